DESC="IKEv1 Main Mode, PSK, aes128-sha256-modp2048 / ESP aes128-sha256 on both sides"
WIRE="Main Mode (6 messages), Quick Mode (3), ESP both ways, INFORMATIONAL DELETEs at shutdown"
VERSION=1
IKE_VERSIONS='[1]'
