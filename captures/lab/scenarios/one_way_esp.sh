DESC="IKEv2 PSK; the router drops ESP-in-UDP coming from the responder (u32: UDP sport 4500 and non-zero first payload word)"
WIRE="IKE_SA_INIT, IKE_AUTH ok; ESP only from the initiator, none from the responder"
DURATION=10
PING_COUNT=8
FINDINGS='[{"kind": "one_way_esp", "phase": null}]'
router_setup() {
  rtr iptables -A FORWARD -s 198.51.100.1 -p udp --sport 4500 \
    -m u32 --u32 "0>>22&0x3C@8=1:0xffffffff" -j DROP
}
