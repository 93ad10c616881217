#!/usr/bin/env bash
# Rewrites the scenario table in captures/README.md (between the markers) from
# the scenario files, the daemons' logs and captures/expected.json.
# Needs no root; run.sh calls it at the end.
set -u
LAB=$(cd "$(dirname "$0")" && pwd)
OUT=$(cd "$LAB/.." && pwd)
. "$LAB/lib.sh"
row() {
  local s=$1
  scenario_defaults
  . "$LAB/scenarios/$s.sh"
  local log="$OUT/$s.$VERIFY_SIDE.log" ev="(not run)" size="-"
  if [ -f "$log" ]; then
    ev=$(grep -P -m1 -- "$VERIFY_RE" "$log" | sed 's/^[A-Z][a-z][a-z] [ 0-9][0-9] [0-9:.]*: //' | cut -c1-150 \
      | sed 's/|/\\|/g; s/^[0-9:]* [0-9]*\[\([A-Z]*\)\] /[\1] /')
    [ -n "$ev" ] || ev="NOT FOUND: /$VERIFY_RE/"
  fi
  if [ "$CAPTURE_POINTS" = path ]; then
    [ -f "$OUT/$s.pcap" ] && size="$(( ($(stat -c %s "$OUT/$s.pcap") + 1023) / 1024 )) KB"
  else  # one file per capture point: name suffix and size
    local p stem sizes=""
    for p in $CAPTURE_POINTS; do
      stem=$s$(capture_point_suffix "$p")
      [ -f "$OUT/$stem.pcap" ] && sizes="$sizes${sizes:+, }\`${stem#"$s"}\` $(( ($(stat -c %s "$OUT/$stem.pcap") + 1023) / 1024 )) KB"
    done
    [ -n "$sizes" ] && size=$sizes
  fi
  local f
  f=$(FINDINGS="$FINDINGS" python3 -c 'import json,os
f=json.loads(os.environ["FINDINGS"])
print(", ".join("%s (%s)%s" % (x["kind"], x.get("phase") or "-", " or also " + "/".join(x["also_ok"]) if x.get("also_ok") else "") for x in f) or "none (healthy)")')
  # captures of the scenario whose label is marked pending (tests/labels.rs skips them)
  local stems="" p2
  for p2 in $CAPTURE_POINTS; do stems="$stems $s$(capture_point_suffix "$p2")"; done
  f="$f$(python3 - "$LAB/results" $stems <<'PY'
import json, os, sys
d, stems = sys.argv[1], sys.argv[2:]
marks = {}
for s in stems:
    try:
        m = json.load(open(os.path.join(d, s + ".json"))).get("pending")
    except (OSError, ValueError):
        m = None
    if m:
        marks.setdefault(m, []).append(s)
for m, ss in marks.items():
    which = "" if len(ss) == len(stems) else " (%s)" % ", ".join("`%s`" % x[len(os.path.commonprefix(stems)):] for x in ss)
    print(" - *pending*%s: %s" % (which, m.replace("|", "\\|")), end="")
PY
)"
  printf '| %s | %s | %s | %s: `%s` | %s | %s |\n' "$s" "$DESC" "$WIRE" "$VERIFY_SIDE" "$ev" "$f" "$size"
}
{
  echo '| scenario | configured | on the wire | daemon log (checked by run.sh) | `ikescope analyze` must report | pcap |'
  echo '|---|---|---|---|---|---|'
  for s in $(ls "$LAB/scenarios" | sed -n 's/\.sh$//p' | sort); do row "$s"; done
} > "$LAB/results/table.md.tmp"
python3 - "$OUT/README.md" "$LAB/results/table.md.tmp" <<'PY'
import sys
readme, table = sys.argv[1], open(sys.argv[2]).read()
text = open(readme).read()
a, b = "<!-- scenario-table:begin -->", "<!-- scenario-table:end -->"
i, j = text.index(a) + len(a), text.index(b)
open(readme, "w").write(text[:i] + "\n" + table + text[j:])
PY
rm -f "$LAB/results/table.md.tmp"
