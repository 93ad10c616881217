# shellcheck source=bgp_wrong_peer_as.sh
. "$LAB/scenarios/bgp_wrong_peer_as.sh"
DESC="as bgp_wrong_peer_as, captured with tcpdump -i any on the left gateway (the TUN side carries the BGP packets in the clear) and no key tables"
WIRE="IKE and ESP on eth0; on ipsec0 (kernel-libipsec TUN) the clear TCP 179 packets: OPEN both ways, NOTIFICATION Bad Peer AS from 10.2.0.1"
CAPTURE_POINTS=initiator_any
KEY_TABLES=no
