DESC="IKEv2 PSK tunnel 10.1.0.1/32 <-> 10.2.0.1/32; BIRD 2 BGP between 10.1.0.1 (AS 65001) and 10.2.0.1 (AS 65002) inside it, hold 9 s, keepalive 3 s, each side announces one /24"
WIRE="IKE_SA_INIT, IKE_AUTH; inside ESP: TCP 179 handshake, OPEN both ways, KEEPALIVE every ~3 s, UPDATE 10.1.1.0/24 and 10.2.1.0/24, End-of-RIB"
BGP=yes
DURATION=25
PING_COUNT=0
FACTS='{"ike_sa_established": true, "child_sa_established": true, "bgp": {"state": "established", "hold_time": 9, "announced": ["10.1.1.0/24", "10.2.1.0/24"]}}'
VERIFY_RE='BGP state:\s+Established'
