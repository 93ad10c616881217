DESC="libreswan initiator, strongSwan responder, IPv6: IKEv2 with RSA-4096 certificates, IKE fragmentation off on both, the router drops non-first IPv6 fragments"
WIRE="IKE_SA_INIT ok; each IKE_AUTH (re)transmission leaves as IPv6 fragments and the router passes only the first: at the initiator and on the path every fragment, at the responder only the first (UDP and IKE headers); never answered"
AF=6
L_IMPL=libreswan
AUTH=pubkey
RSA_BITS=4096
FRAGMENTATION=no
DURATION=8
PING_COUNT=0
FINDINGS='[{"kind": "fragmentation_loss", "phase": "phase1", "also_ok": ["no_response"]}]'
FACTS='{"ike_sa_established": false}'
VERIFY_SIDE=left
VERIFY_RE='retransmission; will wait \d+ seconds? for response'
router_setup() {
  rtr ip6tables -A FORWARD -m frag --fragfirst -j ACCEPT
  rtr ip6tables -A FORWARD -m frag -j DROP
}
CAPTURE_POINTS="path initiator responder"
