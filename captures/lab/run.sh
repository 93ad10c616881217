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
  TCPDUMP_PID="" PING_PID="" DURING_PID="" INIT_PIDS=""
  MAIN_PID=$BASHPID
  cleanup() {
    # a background child hit by a signal between fork and exec still carries
    # this trap: only the scenario's main process cleans up
    [ "$BASHPID" = "$MAIN_PID" ] || exit 1
    trap - EXIT INT TERM
    [ -n "$DURING_PID" ] && kill -- "$DURING_PID" 2>/dev/null
    [ -n "$PING_PID" ] && kill "$PING_PID" 2>/dev/null
    local p; for p in $INIT_PIDS; do kill "$p" 2>/dev/null; done
    stop_charons
    [ -n "$TCPDUMP_PID" ] && { kill -TERM "$TCPDUMP_PID" 2>/dev/null; timeout 5 tail --pid="$TCPDUMP_PID" -f /dev/null 2>/dev/null || kill -KILL "$TCPDUMP_PID" 2>/dev/null; }
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
  local pcap="$WORK/capture.pcap"
  ip netns exec "$NS_G" tcpdump -i left0 -w "$pcap" -U -n "$filter" 2>"$WORK/tcpdump.err" &
  TCPDUMP_PID=$!
  local i
  for i in $(seq 1 25); do grep -q 'listening on' "$WORK/tcpdump.err" && break; sleep 0.2; done

  start_charon right "$WORK/right" || exit 1
  start_charon left "$WORK/left" || exit 1
  swan right --load-all --file "$WORK/right/swanctl.conf" >"$WORK/right/load.out" 2>&1
  swan left --load-all --file "$WORK/left/swanctl.conf" >"$WORK/left/load.out" 2>&1
  sleep 0.5

  local start=$SECONDS side
  local child
  for side in $INITIATORS; do
    for child in $INITIATE_CHILDREN; do
      swan "$side" --initiate --child "$child" --timeout $((DURATION + 2)) >>"$WORK/$side/initiate.out" 2>&1 &
      INIT_PIDS="$INIT_PIDS $!"
    done
  done
  during &
  DURING_PID=$!

  if [ "$PING_COUNT" -gt 0 ] && [ $((SECONDS - start)) -lt "$DURATION" ]; then
    if [ "$PING_WAIT_UP" = 1 ]; then
      while [ $((SECONDS - start)) -lt "$DURATION" ]; do
        swan left --list-sas --child net 2>/dev/null | grep -q INSTALLED && break
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
  stop_charons graceful
  sleep 0.5
  kill -TERM "$TCPDUMP_PID" 2>/dev/null; wait "$TCPDUMP_PID" 2>/dev/null; TCPDUMP_PID=""

  # ---- artefacts
  cp "$pcap" "$OUT/$SCENARIO.pcap"
  cp "$WORK/left/charon.log" "$OUT/$SCENARIO.left.log"
  cp "$WORK/right/charon.log" "$OUT/$SCENARIO.right.log"
  local verified=false vlog="$OUT/$SCENARIO.$VERIFY_SIDE.log"
  if grep -qP -- "$VERIFY_RE" "$vlog"; then verified=true; fi
  # Wireshark key tables (ikev2/ikev1 tables, esp_sa) from the initiator's log, and
  # tshark's decrypted decode with them (when tshark and ../shared/oracle are there)
  python3 "$LAB/keytable.py" "$OUT/$SCENARIO.left.log" "$OUT/$SCENARIO" 2>"$WORK/keytable.err" \
    && command -v tshark >/dev/null && python3 "$LAB/decrypted_truth.py" "$SCENARIO"
  trim_log "$OUT/$SCENARIO.left.log"
  trim_log "$OUT/$SCENARIO.right.log"
  local linit lresp
  if [ "$AF" = 6 ]; then linit=$LEFT6; lresp=$RIGHT6; else linit=$LEFT4; lresp=$RIGHT4; fi
  mkdir -p "$LAB/results"
  FINDINGS="$FINDINGS" IKE_VERSIONS="$IKE_VERSIONS" FACTS="$FACTS" DESC="$DESC" \
  VERIFY_SIDE="$VERIFY_SIDE" VERIFY_RE="$VERIFY_RE" SC="$SCENARIO" VERIFIED="$verified" INIT="$linit" RESP="$lresp" \
  python3 - "$LAB/results/$SCENARIO.json" <<'PY'
import json, os, sys
e = os.environ
findings = json.loads(e["FINDINGS"])
out = []
for f in findings:
    g = {"kind": f["kind"], "phase": f.get("phase"), "initiator": e["INIT"], "responder": e["RESP"]}
    if f.get("also_ok"):
        g["also_ok"] = f["also_ok"]
    out.append(g)
rec = {
    "file": e["SC"] + ".pcap",
    "scenario": e["SC"],
    "ike_versions": json.loads(e["IKE_VERSIONS"]),
    "expected_findings": out,
    "facts": json.loads(e["FACTS"]),
    "verified_in_log": e["VERIFIED"] == "true",
    "truth_note": "%s; %s log %s /%s/ (checked by captures/lab/run.sh)" % (
        e["DESC"], e["VERIFY_SIDE"],
        "matches" if e["VERIFIED"] == "true" else "does NOT match", e["VERIFY_RE"]),
}
json.dump(rec, open(sys.argv[1], "w"), indent=1)
PY
  log "$SCENARIO: pcap $(stat -c %s "$OUT/$SCENARIO.pcap") bytes, $(tcpdump -nr "$OUT/$SCENARIO.pcap" 2>/dev/null | wc -l) packets, verified_in_log=$verified"
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
[ "$(id -u)" = 0 ] || { echo "run as root: sudo $0 $*" >&2; exit 1; }
INSTALL=1
if [ "${1:-}" = --no-install ]; then INSTALL=0; shift; fi
if [ "$INSTALL" = 1 ]; then
  log "installing packages"
  export DEBIAN_FRONTEND=noninteractive
  timeout 600 apt-get update -qq >/dev/null
  timeout 900 apt-get install -y -qq strongswan-charon strongswan-swanctl libcharon-extra-plugins \
    tcpdump iproute2 iptables iputils-ping openssl python3 >/dev/null || { log "apt-get failed"; exit 1; }
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
