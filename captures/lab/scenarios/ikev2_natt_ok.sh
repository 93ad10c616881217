DESC="IKEv2 PSK, the router masquerades the initiator (192.0.2.1 -> 198.51.100.254), NAT keepalive every 5 s"
WIRE="IKE_SA_INIT on 500 with NAT-D, float to 4500 for IKE_AUTH, ESP in UDP 4500, NAT keepalives (capture is inside the NAT)"
R_REMOTE_ADDRS=%any
KEEP_ALIVE=5s
DURATION=16
PING_COUNT=4
PING_INTERVAL=2
FACTS='{"ike_sa_established": true, "child_sa_established": true, "nat_detected": true}'
VERIFY_RE='local host is behind NAT'
router_setup() { rtr iptables -t nat -A POSTROUTING -o right0 -j MASQUERADE; }
