DESC="IKEv1 Main Mode, the router drops all UDP toward the responder (retransmit 1 s, base 1.5, 4 tries)"
WIRE="MM1 sent and retransmitted 4 times, never answered"
DURATION=15
PING_COUNT=0
FINDINGS='[{"kind": "no_response", "phase": "phase1"}]'
FACTS='{"ike_sa_established": false}'
VERIFY_RE='giving up after \d+ retransmits'
router_setup() { rtr iptables -A FORWARD -d 198.51.100.1 -p udp -j DROP; }
VERSION=1
IKE_VERSIONS='[1]'
