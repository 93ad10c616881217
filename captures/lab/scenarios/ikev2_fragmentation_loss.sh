DESC="IKEv2 with RSA-4096 certificates (IKE_AUTH about 2.8 KB), IKEv2 fragmentation off, the router drops non-first IPv4 fragments"
WIRE="IKE_SA_INIT ok; IKE_AUTH leaves as IP fragments, only first fragments pass, retransmitted, never answered"
AUTH=pubkey
RSA_BITS=4096
FRAGMENTATION=no
DURATION=15
PING_COUNT=0
FINDINGS='[{"kind": "fragmentation_loss", "phase": "phase1", "also_ok": ["no_response"]}]'
FACTS='{"ike_sa_established": false}'
VERIFY_RE='giving up after \d+ retransmits'
router_setup() { rtr iptables -A FORWARD -f -j DROP; }
