DESC="IKEv2 PSK tunnel; the router's right link has MTU 1200 (fragments and ICMP pass); a 200 kB TCP transfer 10.1.0.1 -> 10.2.0.1:5001 with the TUN's MSS (not clamped); captured at the responder"
WIRE="the transfer's full-size ESP packets exceed 1200 bytes and reach the responder as IP fragments; the transfer completes"
DURATION=20
PING_COUNT=0
CAPTURE_POINTS=responder
FACTS='{"ike_sa_established": true, "child_sa_established": true, "router_mtu": 1200, "esp_ip_fragmented": true}'
router_setup() {
  rtr ip link set dev right0 mtu 1200
}
during() {
  while ! child_installed left; do sleep 0.3; done
  sleep 1
  in_r timeout 15 socat -u TCP-LISTEN:5001,bind=10.2.0.1,reuseaddr OPEN:/dev/null &
  sleep 1
  head -c 200000 /dev/zero | in_l timeout 12 socat -u - TCP:10.2.0.1:5001,bind=10.1.0.1
  wait
}
