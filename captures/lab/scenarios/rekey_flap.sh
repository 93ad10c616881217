DESC="IKEv2, PFS (modp2048) in the initiator's ESP proposal only; CHILD rekey 20 s, life 30 s"
WIRE="first CHILD SA (inside IKE_AUTH, no KE) works; the CREATE_CHILD_SA rekey at 20 s is refused with NO_PROPOSAL_CHOSEN, the CHILD SA expires at 30 s and its recreation is refused too; a watchdog then deletes the IKE SA and initiates again; three cycles"
L_ESP_PROP=aes128-sha256-modp2048
R_ESP_PROP=aes128-sha256
CHILD_REKEY=20s
CHILD_LIFE=30s
RAND_TIME=0s
DURATION=100
PING_COUNT=50
PING_INTERVAL=2
FINDINGS='[{"kind": "rekey_flap", "phase": "phase2", "also_ok": ["proposal_mismatch"]}]'
FACTS='{"ike_sa_established": true, "child_sa_established": true, "lifetimes": {"child_rekey": 20, "child_life": 30}}'
VERIFY_RE='CHILD_SA rekeying failed'
# only the initiator rekeys; the responder keeps its defaults
R_CHILD_REKEY=1h
R_CHILD_LIFE=66m
# A watchdog (like a monitoring script an operator would run): when the left
# gateway has an IKE SA but no installed CHILD SA, tear the IKE SA down and
# initiate again - the fresh CHILD SA inside IKE_AUTH needs no KE, so it works
# until the next rekey. This is what makes it flap.
during() {
  sleep 5
  while :; do
    sleep 2
    if ! swan left --list-sas --child net 2>/dev/null | grep -q INSTALLED &&
       swan left --list-sas 2>/dev/null | grep -q ESTABLISHED; then
      swan left --terminate --ike gw --timeout 3 >/dev/null 2>&1
      sleep 1
      swan left --initiate --child net --timeout 5 >/dev/null 2>&1
    fi
  done
}
