DESC="IKEv1 Aggressive Mode, PSK, same proposals on both sides"
WIRE="Aggressive Mode (3 messages), Quick Mode (3), ESP both ways"
VERSION=1
AGGRESSIVE=yes
IKE_VERSIONS='[1]'
