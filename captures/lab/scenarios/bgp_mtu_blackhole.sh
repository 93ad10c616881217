DESC="IKEv2 PSK tunnel with BGP inside; the router's right link has MTU 1200, it drops IP fragments and sends no ICMP fragmentation-needed (a path-MTU black hole); a 200 kB TCP transfer 10.1.0.1 -> 10.2.0.1:5001 with the TUN's MSS (not clamped)"
WIRE="BGP (small packets) comes up; the transfer's full-size segments (ESP packets larger than 1200 bytes) vanish at the router and are retransmitted, small ones pass"
BGP=yes
DURATION=30
PING_COUNT=0
FINDINGS='[{"kind": "mtu_blackhole", "phase": null}]'
FACTS='{"ike_sa_established": true, "child_sa_established": true, "bgp": {"state": "established"}, "router_mtu": 1200}'
VERIFY_RE='BGP state:\s+Established'
router_setup() {
  rtr ip link set dev right0 mtu 1200
  rtr iptables -A OUTPUT -p icmp --icmp-type fragmentation-needed -j DROP
  rtr iptables -A FORWARD -f -j DROP
}
during() {
  sleep 8
  in_r timeout 20 socat -u TCP-LISTEN:5001,bind=10.2.0.1,reuseaddr OPEN:/dev/null &
  sleep 1
  head -c 200000 /dev/zero | in_l timeout 18 socat -u - TCP:10.2.0.1:5001,bind=10.1.0.1
  wait
}
