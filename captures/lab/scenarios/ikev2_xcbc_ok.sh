DESC="IKEv2 PSK with AES-XCBC: IKE aes128-aesxcbc-modp2048 (PRF AES-XCBC too) and ESP aes128-aesxcbc on both sides"
WIRE="IKE_SA_INIT, IKE_AUTH (SK with AES-XCBC-MAC-96), ESP both ways, INFORMATIONAL DELETE"
IKE_PROP=aes128-aesxcbc-modp2048
ESP_PROP=aes128-aesxcbc
