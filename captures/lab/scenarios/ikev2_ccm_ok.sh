DESC="IKEv2 PSK with AES-CCM: IKE aes128ccm16-prfsha256-modp2048 and ESP aes128ccm16 on both sides"
WIRE="IKE_SA_INIT, IKE_AUTH (SK with a 16-byte CCM ICV), ESP both ways, INFORMATIONAL DELETE"
IKE_PROP=aes128ccm16-prfsha256-modp2048
ESP_PROP=aes128ccm16
