DESC="ike-scan (Debian ike-scan 1.9) probes a libreswan IKEv1 responder (Aggressive Mode allowed): Main Mode with its default 8 legacy transforms, Aggressive Mode with 3 IPv4 identities 192.0.2.1/.99/.254 (the first the responder's PSK peer), 3 transform sets, IKEv2"
WIRE="one-exchange IKE SAs from 192.0.2.1 (random source port): pluto answers only the Aggressive Mode probe naming its PSK peer (AM2 with HASH_R, then drops the half-open state after 10 s); the other AM and MM probes get no answer (no connection for them), the IKEv2 IKE_SA_INIT an unencrypted N(NO_PROPOSAL_CHOSEN)"
VERSION=1               # libreswan: one IKE version per connection
R_IMPL=libreswan
IKE_VERSIONS='[1, 2]'
AGGRESSIVE=yes
IKE_PROP=aes128-sha256-modp2048
INITIATORS=""           # no charon initiates; ike-scan does
DURATION=12
PING_COUNT=0
FINDINGS='[{"kind": "ike_scan", "phase": "phase1"}]'
FACTS='{"ike_sa_established": false, "psk_hash_exposed": true}'
VERIFY_SIDE=right
VERIFY_RE='sent Aggressive Mode response'
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
