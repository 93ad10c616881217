DESC="strongSwan initiator, libreswan responder: IKEv2, a firewall on the router rejects UDP 500 toward the responder (ICMP administratively prohibited from the router, 192.0.2.254)"
WIRE="each IKE_SA_INIT (strongSwan: retransmits at 1, 2.5, 4.75 s) is answered by an ICMP type 3 code 13 from the router's address, not from the responder; nothing reaches the responder"
R_IMPL=libreswan
DURATION=6
PING_COUNT=0
FINDINGS='[{"kind": "no_response", "phase": "phase1"}]'
FACTS='{"ike_sa_established": false}'
VERIFY_SIDE=left
VERIFY_RE='retransmit \d+ of request with message ID 0'
router_setup() { rtr iptables -A FORWARD -d 198.51.100.1 -p udp --dport 500 -j REJECT --reject-with icmp-admin-prohibited; }
CAPTURE_POINTS="path initiator"
