DESC="IKEv2, DPD every 3 s (initiator dpd_action=restart, responder clear); the router cuts the path (drops all UDP) for 18 s, three times"
WIRE="tunnel up, ESP; during each cut DPD INFORMATIONALs are retransmitted unanswered, the SA is dropped and IKE_SA_INIT retried until the path returns, then the tunnel is rebuilt"
DPD_DELAY=3s
DPD_ACTION=restart
R_DPD_ACTION=clear   # only the initiator restarts; the responder just clears
KEYINGTRIES=0
DURATION=106
PING_COUNT=52
PING_INTERVAL=2
FINDINGS='[{"kind": "dpd_flap", "phase": null, "also_ok": ["no_response"]}]'
FACTS='{"ike_sa_established": true, "child_sa_established": true, "dpd": {"delay": 3}, "path_cuts": 3}'
VERIFY_RE='giving up after \d+ retransmits'
during() {
  sleep 10
  for _ in 1 2 3; do
    rtr iptables -I FORWARD -p udp -j DROP
    sleep 18
    rtr iptables -D FORWARD -p udp -j DROP
    sleep 14
  done
}
