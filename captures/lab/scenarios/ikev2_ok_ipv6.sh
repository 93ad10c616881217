DESC="IKEv2 PSK over IPv6 (2001:db8:1::1 <-> 2001:db8:2::1), IPv4 protected hosts"
WIRE="IKE_SA_INIT, IKE_AUTH, ESP in UDP 4500, all over IPv6"
AF=6
