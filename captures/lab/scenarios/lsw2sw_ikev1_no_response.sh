DESC="libreswan initiator, IPv6: IKEv1 Main Mode, the router drops all UDP toward the responder"
WIRE="MM1 sent and re-sent by libreswan (0.5 s, doubling), never answered"
AF=6
VERSION=1
IKE_VERSIONS='[1]'
L_IMPL=libreswan
DURATION=8
LSW_RETRANSMIT_TIMEOUT=10s
PING_COUNT=0
FINDINGS='[{"kind": "no_response", "phase": "phase1"}]'
FACTS='{"ike_sa_established": false}'
VERIFY_SIDE=left
VERIFY_RE='retransmission; will wait \d+ seconds? for response'
router_setup() { rtr ip6tables -A FORWARD -d 2001:db8:2::1 -p udp -j DROP; }
CAPTURE_POINTS="path initiator"
