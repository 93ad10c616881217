DESC="IKEv2 with RSA-4096 certificates, IKEv2 fragmentation (RFC 7383) on, the router drops non-first IPv4 fragments"
WIRE="IKE_AUTH sent as encrypted SKF fragments that each fit the MTU, both ways; success"
AUTH=pubkey
RSA_BITS=4096
FRAGMENTATION=yes
DURATION=8
router_setup() { rtr iptables -A FORWARD -f -j DROP; }
