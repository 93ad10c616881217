#!/usr/bin/env bash
# Findings on a large synthesized capture must equal those of a small one with the same tunnels
# (issue 5). Synthesizes the same seed and tunnel count at two sizes, runs
# `ikescope analyze --format json` on both and compares the sets of (tunnel, kind, phase).
#
#   benches/findings_equal.sh [TUNNELS] [SMALL] [LARGE] [SEED]      (defaults: 20 50MiB 500MiB 1)
#
# Needs a release build: cargo build --release --bin ikescope --example synth
set -euo pipefail
cd "$(dirname "$0")/.."
tunnels=${1:-20}
small=${2:-50MiB}
large=${3:-500MiB}
seed=${4:-1}
tmp=${TMPDIR:-/tmp}/ikescope-findings-$$
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
synth=target/release/examples/synth
ike=${IKESCOPE:-target/release/ikescope}
for size in "$small" "$large"; do
  "$synth" --size "$size" --tunnels "$tunnels" --seed "$seed" -o "$tmp/$size.pcap" 2>"$tmp/$size.synth"
  head -1 "$tmp/$size.synth"
  "$ike" analyze --format json "$tmp/$size.pcap" >"$tmp/$size.json" || [ $? -eq 1 ]
  python3 - "$tmp/$size.json" >"$tmp/$size.set" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
for f in sorted({(f["tunnel"], f["kind"], str(f.get("phase"))) for f in d["findings"]}):
    print("\t".join(f))
EOF
  echo "$size: $(wc -l <"$tmp/$size.set") distinct (tunnel, kind, phase), $(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d["tunnels"]), "tunnels,", d["inputs"][0]["packets"], "packets")' "$tmp/$size.json")"
done
if diff "$tmp/$small.set" "$tmp/$large.set"; then
  echo "findings identical: $small and $large, $tunnels tunnels, seed $seed"
else
  echo "FINDINGS DIFFER between $small and $large" >&2
  exit 1
fi
