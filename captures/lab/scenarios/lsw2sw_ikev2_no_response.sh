DESC="libreswan initiator, strongSwan responder: IKEv2, the router drops every UDP datagram from the responder (its answers are lost on the way back)"
WIRE="IKE_SA_INIT re-sent by libreswan at 0.5 s doubling; strongSwan answers every copy but the router drops the answers: at the responder requests and answers, at the initiator and on the path requests only"
L_IMPL=libreswan
DURATION=8
LSW_RETRANSMIT_TIMEOUT=10s
PING_COUNT=0
FINDINGS='[{"kind": "no_response", "phase": "phase1"}]'
FACTS='{"ike_sa_established": false}'
VERIFY_SIDE=left
VERIFY_RE='retransmission; will wait \d+ seconds? for response'
router_setup() { rtr iptables -A FORWARD -s 198.51.100.1 -p udp -j DROP; }
CAPTURE_POINTS="path initiator responder initiator_any"
