DESC="libreswan initiator: IKEv2, the responder host refuses UDP 500 (iptables REJECT, ICMP port unreachable from 198.51.100.1)"
WIRE="each IKE_SA_INIT (re-sent by libreswan at 0.5 s doubling) is answered by an ICMP port unreachable from the responder's own address (rate-limited by its kernel); never an IKE answer"
L_IMPL=libreswan
DURATION=6
PING_COUNT=0
FINDINGS='[{"kind": "no_response", "phase": "phase1"}]'
FACTS='{"ike_sa_established": false}'
VERIFY_SIDE=left
VERIFY_RE='asynchronous network error report|Connection refused|retransmission; will wait \d+ seconds? for response'
router_setup() { in_r iptables -A INPUT -p udp --dport 500 -j REJECT --reject-with icmp-port-unreachable; }
CAPTURE_POINTS="path initiator responder"
