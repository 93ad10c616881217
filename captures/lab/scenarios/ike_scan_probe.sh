DESC="ike-scan (Debian ike-scan 1.9) probes a strongSwan responder: Main Mode with its default 8 legacy transforms, Aggressive Mode with 3 IPv4 identities 192.0.2.1/.99/.254 (the first the responder's PSK peer, so AM2 carries HASH_R), 3 transform sets, IKEv2"
WIRE="one-exchange IKE SAs from 192.0.2.1 (random source port): MM1 refused, AM1 x3 (the first answered with AM2 incl. HASH_R, which strongSwan retransmits), MM1 x3 refused, IKEv2 IKE_SA_INIT answered"
VERSION=0               # the responder answers IKEv1 and IKEv2
IKE_VERSIONS='[1, 2]'
AGGRESSIVE=yes
IKE_PROP=aes128-sha256-modp2048
R_CHARON_EXTRA="  i_dont_care_about_security_and_use_aggressive_mode_psk = yes"
INITIATORS=""           # no charon initiates; ike-scan does
DURATION=12
PING_COUNT=0
FINDINGS='[{"kind": "ike_scan", "phase": "phase1"}]'
FACTS='{"ike_sa_established": false, "psk_hash_exposed": true}'
VERIFY_SIDE=right
VERIFY_RE='generating AGGRESSIVE response'
# ike-scan from the left namespace, from a random source port (charon holds 500/4500 there);
# each run waits for its answers (--retry 1: one copy per probe)
during() {
  sleep 1
  local t=198.51.100.1 o="--sport=0 --retry=1 --interval=50"
  in_l ike-scan $o "$t" >"$WORK/scan.mm.out" 2>&1
  for id in 0xc0000201 0xc0000263 0xc00002fe; do
    in_l ike-scan $o --aggressive --trans=7/128,4,1,14 --dhgroup=14 --idtype=1 --id="$id" "$t" \
      >>"$WORK/scan.am.out" 2>&1
  done
  for tr in 5,2,1,2 7/256,2,1,14 1,1,1,1; do
    in_l ike-scan $o --trans="$tr" "$t" >>"$WORK/scan.trans.out" 2>&1
  done
  in_l ike-scan $o --ikev2 "$t" >"$WORK/scan.v2.out" 2>&1
  sleep 30
}
