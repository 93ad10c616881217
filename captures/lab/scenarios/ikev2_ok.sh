DESC="IKEv2 PSK, same IKE (aes128-sha256-modp2048) and ESP (aes128-sha256) proposals on both sides"
WIRE="IKE_SA_INIT, IKE_AUTH, ESP (UDP 4500) both ways, INFORMATIONAL DELETE at shutdown"
