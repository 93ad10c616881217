DESC="strongSwan initiator, libreswan responder: IKEv2 with RSA-4096 certificates, IKE fragmentation off on both, the router drops non-first IPv4 fragments"
WIRE="IKE_SA_INIT ok; each IKE_AUTH (re)transmission leaves as 2 IPv4 fragments and the router drops the second: at the initiator and on the path both fragments, at the responder only the first (UDP and IKE headers); never answered"
R_IMPL=libreswan
AUTH=pubkey
RSA_BITS=4096
FRAGMENTATION=no
DURATION=12
PING_COUNT=0
FINDINGS='[{"kind": "fragmentation_loss", "phase": "phase1", "also_ok": ["no_response"]}]'
FACTS='{"ike_sa_established": false}'
VERIFY_SIDE=left
VERIFY_RE='giving up after \d+ retransmits|retransmit \d+ of request'
router_setup() { rtr iptables -A FORWARD -f -j DROP; }
CAPTURE_POINTS="path initiator responder responder_any"
