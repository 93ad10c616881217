DESC="IKEv2 PSK tunnel; BIRD 2 BGP inside it (hold 9 s); 8 s after BGP is up the router drops all ESP (UDP 4500 with a non-zero first word) for 16 s, then lets it through again"
WIRE="BGP established; during the cut KEEPALIVEs go unanswered, both hold timers expire (the left's NOTIFICATION Hold Timer Expired is sent into the cut); after the cut a new TCP connection, OPENs, and BGP is established again"
BGP=yes
DURATION=50
PING_COUNT=0
FINDINGS='[{"kind": "bgp_flap", "phase": null}]'
FACTS='{"ike_sa_established": true, "child_sa_established": true, "bgp": {"state": "established", "hold_time": 9, "expired": true, "established_times": 2}}'
VERIFY_RE='Hold timer expired'
during() {
  sleep 10
  rtr iptables -I FORWARD -p udp --dport 4500 -m u32 --u32 "0>>22&0x3C@8=1:0xffffffff" -j DROP
  sleep 16
  rtr iptables -D FORWARD -p udp --dport 4500 -m u32 --u32 "0>>22&0x3C@8=1:0xffffffff" -j DROP
}
