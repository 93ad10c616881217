#!/usr/bin/env bash
# ikescope capture lab - one command makes every capture in captures/.
#
#   sudo captures/lab/run.sh                 # all scenarios (about 10 minutes)
#   sudo captures/lab/run.sh ikev2_ok dpd_flap
#   sudo captures/lab/run.sh --list
#   sudo captures/lab/run.sh --no-install ikev2_ok   # skip apt-get
#
# Needs root on Debian 12. Each scenario runs in its own network namespaces
# (left gateway, router, right gateway), is bounded by `timeout`, and removes
# its namespaces and daemons on exit. Output: captures/<scenario>.pcap,
# .left.log, .right.log, .ikev2_decryption_table (when keys were logged) and
# captures/expected.json (rebuilt from captures/lab/results/*.json).
set -u
LAB=$(cd "$(dirname "$0")" && pwd)
OUT=$(cd "$LAB/.." && pwd)
# shellcheck source=lib.sh
. "$LAB/lib.sh"

all_scenarios() { ls "$LAB/scenarios" | sed -n 's/\.sh$//p' | sort; }

# ------------------------------------------------------ one scenario (child) --
run_one() {
  SCENARIO=$1
  scenario_defaults
  # shellcheck disable=SC1090
  . "$LAB/scenarios/$SCENARIO.sh"
  WORK=$(mktemp -d "/tmp/ikescope-lab.$SCENARIO.XXXXXX")
  mkdir -p "$WORK/left" "$WORK/right"
  chmod 755 "$WORK"
  TCPDUMP_PIDS="" PING_PID="" DURING_PID="" INIT_PIDS=""
  MAIN_PID=$BASHPID
  cleanup() {
    # a background child hit by a signal between fork and exec still carries
    # this trap: only the scenario's main process cleans up
    [ "$BASHPID" = "$MAIN_PID" ] || exit 1
    trap - EXIT INT TERM
    [ -n "$DURING_PID" ] && kill -- "$DURING_PID" 2>/dev/null
    [ -n "$PING_PID" ] && kill "$PING_PID" 2>/dev/null
    local p; for p in $INIT_PIDS; do kill "$p" 2>/dev/null; done
    stop_birds
    stop_daemons
    for p in $TCPDUMP_PIDS; do kill -TERM "$p" 2>/dev/null; timeout 5 tail --pid="$p" -f /dev/null 2>/dev/null || kill -KILL "$p" 2>/dev/null; done
    topology_down
    [ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"
  }
  trap cleanup EXIT
  trap 'exit 1' INT TERM

  log "=== $SCENARIO: $DESC"
  topology_up
  router_setup
  if [ "$AUTH" = pubkey ]; then
    CERTDIR=/var/tmp/ikescope-lab-certs-rsa$RSA_BITS-v$AF   # cached: RSA-4096 keygen is slow
    make_certs "$CERTDIR"
  fi
  write_configs left "$WORK/left"
  write_configs right "$WORK/right"

  local filter=$CAPTURE_FILTER
  if [ -z "$filter" ]; then
    if [ "$AF" = 6 ]; then filter='ip6 and (udp or ip6 proto 50 or ip6 proto 44)'; else filter='ip'; fi
  fi
  local point
  for point in $CAPTURE_POINTS; do
    capture_point_where "$point"
    ip netns exec "$CP_NS" tcpdump -i "$CP_IF" -w "$WORK/$point.pcap" -U -n "$filter" 2>"$WORK/tcpdump.$point.err" &
    TCPDUMP_PIDS="$TCPDUMP_PIDS $!"
  done
  local i
  for point in $CAPTURE_POINTS; do
    for i in $(seq 1 25); do grep -q 'listening on' "$WORK/tcpdump.$point.err" && break; sleep 0.2; done
  done

  start_daemon right "$WORK/right" || exit 1
  start_daemon left "$WORK/left" || exit 1
  load_daemon right
  load_daemon left
  sleep 0.5

  local start=$SECONDS side
  local child
  for side in $INITIATORS; do
    for child in $INITIATE_CHILDREN; do
      initiate "$side" "$child" >>"$WORK/$side/initiate.out" 2>&1 &
      INIT_PIDS="$INIT_PIDS $!"
    done
  done
  if [ "$BGP" = yes ]; then
    while [ $((SECONDS - start)) -lt "$DURATION" ]; do
      child_installed left && break
      sleep 0.3
    done
    start_bird right "$WORK/right"
    start_bird left "$WORK/left"
  fi
  during &
  DURING_PID=$!

  if [ "$PING_COUNT" -gt 0 ] && [ $((SECONDS - start)) -lt "$DURATION" ]; then
    if [ "$PING_WAIT_UP" = 1 ]; then
      while [ $((SECONDS - start)) -lt "$DURATION" ]; do
        child_installed left && break
        sleep 0.3
      done
    fi
    ip netns exec "$NS_L" ping -n -q -c "$PING_COUNT" -i "$PING_INTERVAL" -W 1 "$RIGHT_NET" >"$WORK/ping.out" 2>&1 &
    PING_PID=$!
  fi
  while [ $((SECONDS - start)) -lt "$DURATION" ]; do sleep 0.5; done
  kill -- "$DURING_PID" 2>/dev/null; wait "$DURING_PID" 2>/dev/null; DURING_PID=""
  [ -n "$PING_PID" ] && { kill "$PING_PID" 2>/dev/null; wait "$PING_PID" 2>/dev/null; PING_PID=""; }
  for i in $INIT_PIDS; do kill "$i" 2>/dev/null; done; INIT_PIDS=""
  if [ "$BGP" = yes ]; then
    { birdc_show left; birdc_show right; } >"$WORK/bird.state" 2>&1
    stop_birds
  fi
  stop_daemons graceful
  sleep 0.5
  for i in $TCPDUMP_PIDS; do kill -TERM "$i" 2>/dev/null; wait "$i" 2>/dev/null; done; TCPDUMP_PIDS=""

  # ---- artefacts
  cp "$(daemon_log left)" "$OUT/$SCENARIO.left.log"
  cp "$(daemon_log right)" "$OUT/$SCENARIO.right.log"
  local verified=false vlog="$OUT/$SCENARIO.$VERIFY_SIDE.log"
  if grep -qP -- "$VERIFY_RE" "$vlog"; then verified=true; fi
  if [ "$BGP" = yes ]; then
    # the BIRD logs (and birdc's view at the end) are the BGP truth
    { cat "$WORK/left/bird.log"; echo "--- birdc show protocols all (end of run)"; cat "$WORK/bird.state"; } \
      >"$OUT/$SCENARIO.left.bird.log" 2>/dev/null
    cp "$WORK/right/bird.log" "$OUT/$SCENARIO.right.bird.log" 2>/dev/null
    if grep -qP -- "$VERIFY_RE" "$OUT/$SCENARIO.$VERIFY_SIDE.bird.log"; then verified=true; fi
  fi
  # Wireshark key tables (ikev2/ikev1 tables, esp_sa) from a strongSwan log (the
  # initiator's when it runs charon; pluto does not log its keys), copied beside every
  # capture of the scenario, and tshark's decrypted decode with them (when tshark and
  # ../shared/oracle are there)
  local keylog="" stem stems="" ext
  for side in left right; do
    [ -z "$keylog" ] && [ "$(impl_of "$side")" = strongswan ] && keylog="$OUT/$SCENARIO.$side.log"
  done
  for point in $CAPTURE_POINTS; do
    stem=$SCENARIO$(capture_point_suffix "$point")
    stems="$stems $stem"
    cp "$WORK/$point.pcap" "$OUT/$stem.pcap"
    for ext in ikev2_decryption_table ikev1_decryption_table esp_sa; do rm -f "$OUT/$stem.$ext"; done
    rm -f "$OUT/truth/$stem.pcap.truth.decrypted.json"
    if [ "$KEY_TABLES" = yes ] && [ -n "$keylog" ] && python3 "$LAB/keytable.py" "$keylog" "$OUT/$stem" 2>"$WORK/keytable.err"; then
      command -v tshark >/dev/null && python3 "$LAB/decrypted_truth.py" "$stem"
    fi
  done
  trim_log "$OUT/$SCENARIO.left.log"
  trim_log "$OUT/$SCENARIO.right.log"
  local linit lresp
  if [ "$AF" = 6 ]; then linit=$LEFT6; lresp=$RIGHT6; else linit=$LEFT4; lresp=$RIGHT4; fi
  mkdir -p "$LAB/results"
  for point in $CAPTURE_POINTS; do
  stem=$SCENARIO$(capture_point_suffix "$point")
  FINDINGS="$FINDINGS" IKE_VERSIONS="$IKE_VERSIONS" FACTS="$FACTS" DESC="$DESC" \
  VERIFY_SIDE="$VERIFY_SIDE" VERIFY_RE="$VERIFY_RE" SC="$SCENARIO" VERIFIED="$verified" INIT="$linit" RESP="$lresp" \
  STEM="$stem" POINT="$(capture_point_role "$point")" WHERE="$(capture_point_text "$point")" \
  IMPLS="$L_IMPL $R_IMPL" \
  python3 - "$LAB/results/$stem.json" <<'PY'
import json, os, sys
e = os.environ
try:  # a "pending" mark (see tests/labels.rs) survives re-making the capture
    pending = json.load(open(sys.argv[1])).get("pending")
except (OSError, ValueError):
    pending = None
findings = json.loads(e["FINDINGS"])
out = []
for f in findings:
    g = {"kind": f["kind"], "phase": f.get("phase"), "initiator": e["INIT"], "responder": e["RESP"]}
    if f.get("also_ok"):
        g["also_ok"] = f["also_ok"]
    out.append(g)
left, right = e["IMPLS"].split()
rec = {
    "file": e["STEM"] + ".pcap",
    "scenario": e["SC"],
    "capture_point": e["POINT"],
    "implementations": {"left": left, "right": right},
    "ike_versions": json.loads(e["IKE_VERSIONS"]),
    "expected_findings": out,
    "facts": json.loads(e["FACTS"]),
    "verified_in_log": e["VERIFIED"] == "true",
    "truth_note": "%s; captured %s; %s log %s /%s/ (checked by captures/lab/run.sh)" % (
        e["DESC"], e["WHERE"], e["VERIFY_SIDE"],
        "matches" if e["VERIFIED"] == "true" else "does NOT match", e["VERIFY_RE"]),
}
if pending:
    rec["pending"] = pending
json.dump(rec, open(sys.argv[1], "w"), indent=1)
PY
  done
  for stem in $stems; do
    log "$stem: pcap $(stat -c %s "$OUT/$stem.pcap") bytes, $(tcpdump -nr "$OUT/$stem.pcap" 2>/dev/null | wc -l) packets, verified_in_log=$verified"
  done
}

build_expected() {
  python3 - "$LAB/results" "$OUT/expected.json" <<'PY'
import json, os, sys
d, out = sys.argv[1], sys.argv[2]
recs = [json.load(open(os.path.join(d, f))) for f in sorted(os.listdir(d)) if f.endswith(".json")]
recs = [r for r in recs if os.path.exists(os.path.join(os.path.dirname(out), r["file"]))]
json.dump(recs, open(out, "w"), indent=1)
open(out, "a").write("\n")
PY
}

# ------------------------------------------------------------------- main --
if [ "${1:-}" = --one ]; then
  run_one "$2"
  exit $?
fi
if [ "${1:-}" = --list ]; then all_scenarios; exit 0; fi
if [ "${1:-}" = --expected ]; then build_expected; "$LAB/table.sh"; exit $?; fi
[ "$(id -u)" = 0 ] || { echo "run as root: sudo $0 $*" >&2; exit 1; }
INSTALL=1
if [ "${1:-}" = --no-install ]; then INSTALL=0; shift; fi
if [ "$INSTALL" = 1 ]; then
  log "installing packages"
  export DEBIAN_FRONTEND=noninteractive
  timeout 600 apt-get update -qq >/dev/null
  timeout 900 apt-get install -y -qq strongswan-charon strongswan-swanctl libcharon-extra-plugins \
    tcpdump iproute2 iptables iputils-ping openssl python3 bird2 socat >/dev/null || { log "apt-get failed"; exit 1; }
  lsw_install || { log "libreswan unpack into $LSW_ROOT failed"; exit 1; }
fi
if [ $# -eq 0 ]; then set -- $(all_scenarios); fi
rc=0
for s in "$@"; do
  [ -f "$LAB/scenarios/$s.sh" ] || { log "unknown scenario $s"; rc=1; continue; }
  limit=$(scenario_defaults; . "$LAB/scenarios/$s.sh"; echo $((DURATION + 90)))
  timeout --kill-after=15 "$limit" "$0" --one "$s" || { log "$s failed (rc=$?)"; rc=1; }
done
build_expected
"$LAB/table.sh" || log "README table not updated"
log "done; expected.json has $(python3 -c "import json;print(len(json.load(open('$OUT/expected.json'))))") entries"
exit $rc
