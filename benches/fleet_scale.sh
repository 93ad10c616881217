#!/usr/bin/env bash
# Fleet-scale benchmarks of issue 15 (docs/performance.md, "Many captures" and "One capture on
# two cores"): 200 synthesized 50 MiB gateway captures analysed with --separate on one core and
# on two, peak RSS as the number of captures grows, and one 1 GiB capture on one and two cores
# against dd. Run from the project root after `cargo build --release --examples`:
#   bash benches/fleet_scale.sh [WORKDIR]   (default /tmp/ikescope-fleet-bench; needs ~2 GB)
set -euo pipefail
BIN=${BIN:-target/release/ikescope}
SYNTH=${SYNTH:-target/release/examples/synth}
WORK=${1:-/tmp/ikescope-fleet-bench}
RUNS=${RUNS:-3}
mkdir -p "$WORK/distinct" "$WORK/fleet"

# 20 distinct gateway-hours (seeds 1-20, 500 tunnels each), each linked 10 times: 200 captures of
# 50 MiB that stay in the page cache (1 GiB of distinct data instead of 10 GiB).
for s in $(seq 1 20); do
    f="$WORK/distinct/gw$s.pcap"
    [ -s "$f" ] || "$SYNTH" --size 50MiB --tunnels 500 --seed "$s" -o "$f" >/dev/null 2>&1
    for c in $(seq 0 9); do ln -f "$f" "$WORK/fleet/gw$s-copy$c.pcap"; done
done
ls "$WORK"/fleet/*.pcap | sort > "$WORK/list200"
head -n 20 "$WORK/list200" > "$WORK/list20"
head -n 100 "$WORK/list200" > "$WORK/list100"
cat "$WORK"/distinct/*.pcap > /dev/null   # warm the page cache

measure() { # label cpus list
    for r in $(seq 1 "$RUNS"); do
        /usr/bin/time -f "$1 wall %e s  cpu %U+%S s  maxrss %M KB" \
            taskset -c "$2" "$BIN" analyze --separate --format jsonl -q --files-from "$3" >/dev/null ||
            [ $? -eq 1 ]   # 1 = findings, the normal outcome on these captures
    done
}
echo "== 200 captures x 50 MiB, analyze --separate --format jsonl"
measure "1 core " 0 "$WORK/list200"
measure "2 cores" 0,1 "$WORK/list200"
echo "== peak RSS as the number of captures grows (2 cores)"
for n in 20 100 200; do RUNS=1 measure "$n captures" 0,1 "$WORK/list$n"; done

echo "== one 1 GiB capture"
big="$WORK/big.pcap"
[ -s "$big" ] || "$SYNTH" --size 1GiB --tunnels 5000 --seed 7 -o "$big" >/dev/null 2>&1
cat "$big" > /dev/null
for r in $(seq 1 "$RUNS"); do
    /usr/bin/time -f "dd       wall %e s  cpu %U+%S s" dd if="$big" of=/dev/null bs=1M 2>&1 | grep wall
    /usr/bin/time -f "1 core   wall %e s  cpu %U+%S s  maxrss %M KB" taskset -c 0 "$BIN" analyze -q --format json "$big" >/dev/null || [ $? -eq 1 ]
    /usr/bin/time -f "2 cores  wall %e s  cpu %U+%S s  maxrss %M KB" taskset -c 0,1 "$BIN" analyze -q --format json "$big" >/dev/null || [ $? -eq 1 ]
done
