DESC="IKEv2 PSK tunnel; BIRD 2 BGP inside it, the right speaker passive, and the right gateway's firewall drops TCP port 179 (iptables INPUT DROP)"
WIRE="tunnel up, pings both ways; inside ESP: TCP SYNs from 10.1.0.1 to 10.2.0.1:179, retransmitted, never answered"
BGP=yes
R_BGP_PASSIVE=yes
DURATION=25
PING_COUNT=15
FINDINGS='[{"kind": "bgp_down", "phase": null}]'
FACTS='{"ike_sa_established": true, "child_sa_established": true, "bgp": {"state": "no_answer"}}'
VERIFY_RE='Connect delayed|Connection lost|Connect timeout|Error'
router_setup() {
  in_r iptables -A INPUT -p tcp --dport 179 -j DROP
}
