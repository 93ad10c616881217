#!/usr/bin/env python3
"""Fleet analysis of IKE/IPsec captures on Apache Spark, with ikescope as the map step.

    python3 ikescope_job.py --out OUT [--master local[2]] [--ikescope PATH] [--group file|dir]
                            [--partitions N] [--top N] INPUT...

INPUT: capture files, directories (searched recursively; captures recognised by their first
bytes, as ikescope does) or @LIST (a file with one path per line). Every path must be readable
from the executors under the same name (a shared filesystem, or the same mount on every node;
see docs/fleet.md for object storage).

The captures are grouped into units: `--group file` (default) analyses each capture on its own;
`--group dir` analyses the captures of one directory together (the rotating files of one
gateway, so that a tunnel seen in consecutive files is one tunnel). The map step is
mapPartitions with a subprocess: `ikescope analyze --files-from - --format jsonl --quiet`, the
paths on its stdin, its JSON Lines back as rows; with `--group file` one process per partition
with `--separate` (each capture analysed alone), with `--group dir` one process per directory.

Output, under OUT: tunnels/, findings/ and groups/ (Parquet, zstd; the columns of the `tunnel`,
`finding` and `group` records, docs/json.md, plus `unit`), failed_units/ (units ikescope could not read
completely, with its stderr). Then it prints the top failure kinds per peer.
"""

import argparse
import gzip
import json
import os
import subprocess
import sys

PCAP_MAGICS = {
    bytes.fromhex(m)
    for m in ("d4c3b2a1", "a1b2c3d4", "4d3cb2a1", "a1b23c4d", "34cdb2a1", "a1b2cd34", "0a0d0d0a")
}


def is_capture(path):
    """pcap or pcapng, plain or gzip-compressed, by content (as ikescope recognises them)."""
    try:
        with open(path, "rb") as f:
            head = f.read(4)
            if head[:2] == b"\x1f\x8b":
                f.seek(0)
                with gzip.GzipFile(fileobj=f) as g:
                    head = g.read(4)
    except (OSError, EOFError):
        return False
    return head in PCAP_MAGICS


def list_captures(inputs):
    """Expand INPUTs into capture paths: directories in name order, lists read, files as given."""
    out = []
    for item in inputs:
        if item.startswith("@"):
            with open(item[1:], encoding="utf-8") as f:
                out.extend(list_captures([l.rstrip("\r\n") for l in f if l.strip()]))
        elif os.path.isdir(item):
            for root, dirs, files in os.walk(item):
                dirs.sort()
                for name in sorted(files):
                    p = os.path.join(root, name)
                    if os.path.isfile(p) and is_capture(p):
                        out.append(p)
        else:
            out.append(item)
    return out


def units_of(paths, group):
    """[(unit name, [paths])]: one per file, or one per directory."""
    if group == "file":
        return [(p, [p]) for p in paths]
    by_dir = {}
    for p in paths:
        by_dir.setdefault(os.path.dirname(p), []).append(p)
    return sorted(by_dir.items())


def analyze_partition(ikescope, group):
    """The map step; yields (event type, unit, record) tuples.

    --group file: one ikescope process per partition, `analyze --separate` (each capture its own
    analysis, the unit of a record is its capture_file). --group dir: one process per unit.
    """

    def run(units):
        units = list(units)
        if group == "file":
            batches = [([u for u, _ in units], [p for _, ps in units for p in ps], ["--separate"])]
        else:
            batches = [([u], ps, []) for u, ps in units]
        for names, paths, extra in batches:
            if not paths:
                continue
            proc = subprocess.run(
                [ikescope, "analyze", *extra, "--files-from", "-", "--format", "jsonl", "--quiet"],
                input="\n".join(paths) + "\n",
                capture_output=True,
                text=True,
            )
            # 0: clean, 1: failures found, 2: an input could not be read (the rest is reported).
            if proc.returncode != 0 and proc.returncode != 1:
                yield ("failed_unit", "\n".join(names),
                       {"exit_status": proc.returncode, "stderr": proc.stderr})
            if proc.returncode not in (0, 1, 2):
                continue
            for line in proc.stdout.splitlines():
                rec = json.loads(line)
                unit = rec["capture_file"] if group == "file" else names[0]
                yield (rec["event_type"], unit, rec)

    return run


def schemas():
    from pyspark.sql.types import (
        ArrayType, LongType, StringType, StructField, StructType, TimestampType,
    )

    common = [
        StructField("unit", StringType(), False),
        StructField("timestamp", TimestampType()),
        StructField("timestamp_end", TimestampType()),
        StructField("tunnel_id", StringType()),
        StructField("src_ip", StringType()),
        StructField("dest_ip", StringType()),
        StructField("capture_file", StringType()),
        StructField("capture_files", ArrayType(StringType())),
    ]
    counts = [
        "ike_sas", "ike_sas_established", "child_sas", "exchanges", "exchanges_unanswered",
        "retransmissions", "esp_flows", "esp_packets_to_dest", "esp_bytes_to_dest",
        "esp_packets_to_src", "esp_bytes_to_src", "errors", "warnings", "infos",
    ]
    tunnel = StructType(
        common
        + [StructField("state", StringType()), StructField("ike_versions", ArrayType(LongType()))]
        + [StructField(c, LongType()) for c in counts]
        + [StructField("failure_kinds", ArrayType(StringType()))]
    )
    finding = StructType(
        common
        + [StructField(c, StringType()) for c in
           ("kind", "severity", "confidence", "phase", "summary", "fix", "evidence_file")]
        + [StructField("evidence_frame", LongType())]
        + [StructField("evidence_note", StringType()), StructField("evidence_total", LongType()),
           StructField("details", StringType())]
    )
    group_counts = [
        "attempts", "ike_sa_init_attempts", "main_mode_attempts", "aggressive_mode_attempts",
        "requests", "responses", "retransmissions", "answered", "cookie_challenged", "refused",
        "psk_hash_exposed", "peak_per_second", "busy_seconds", "distinct_sources",
    ]
    group = StructType(
        common
        + [StructField("headline", StringType())]
        + [StructField(c, LongType()) for c in group_counts]
        + [StructField("source_cover", ArrayType(StringType())),
           StructField("prefixes_total", LongType()),
           StructField("top_sources", ArrayType(StringType()))]
        + [StructField(c, LongType()) for c in
           ("identities", "ike_scan_offers", "errors", "warnings", "infos")]
        + [StructField("failure_kinds", ArrayType(StringType()))]
    )
    failed = StructType([
        StructField("unit", StringType(), False),
        StructField("exit_status", LongType()),
        StructField("stderr", StringType()),
    ])
    return tunnel, finding, group, failed


def to_row(schema, unit, rec):
    """A record as a tuple in schema order; times parsed (RFC 3339 UTC, microseconds)."""
    from datetime import datetime, timezone

    values = []
    for field in schema.fields:
        if field.name == "unit":
            values.append(unit)
        elif field.name in ("timestamp", "timestamp_end"):
            t = rec.get(field.name)
            values.append(
                datetime.strptime(t, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc) if t else None
            )
        else:
            values.append(rec.get(field.name))
    return tuple(values)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("inputs", nargs="+", metavar="INPUT")
    ap.add_argument("--out", required=True, help="output directory (Parquet tables)")
    ap.add_argument("--master", help="Spark master (default: from spark-submit / SPARK_MASTER)")
    ap.add_argument("--ikescope", default="ikescope", help="ikescope binary on the executors")
    ap.add_argument("--group", choices=("file", "dir"), default="file")
    ap.add_argument("--partitions", type=int, help="partitions (default: 4 per core)")
    ap.add_argument("--top", type=int, default=20, help="peers to print")
    args = ap.parse_args(argv)

    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F
    from pyspark.storagelevel import StorageLevel

    builder = SparkSession.builder.appName("ikescope-fleet")
    if args.master:
        builder = builder.master(args.master)
    spark = (
        builder.config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
        .config("spark.sql.parquet.compression.codec", "zstd")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    sc = spark.sparkContext

    units = units_of(list_captures(args.inputs), args.group)
    if not units:
        print("no captures found", file=sys.stderr)
        return 2
    parts = min(len(units), args.partitions or sc.defaultParallelism * 4)
    records = (
        sc.parallelize(units, parts)
        .mapPartitions(analyze_partition(args.ikescope, args.group))
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    tunnel_schema, finding_schema, group_schema, failed_schema = schemas()

    def table(kind, schema):
        rows = records.filter(lambda r: r[0] == kind).map(lambda r: to_row(schema, r[1], r[2]))
        return spark.createDataFrame(rows, schema)

    tunnels = table("tunnel", tunnel_schema)
    findings = table("finding", finding_schema)
    groups = table("group", group_schema)
    failed = table("failed_unit", failed_schema)
    tunnels.write.mode("overwrite").parquet(os.path.join(args.out, "tunnels"))
    findings.write.mode("overwrite").parquet(os.path.join(args.out, "findings"))
    groups.write.mode("overwrite").parquet(os.path.join(args.out, "groups"))
    failed.write.mode("overwrite").parquet(os.path.join(args.out, "failed_units"))

    # Top failure kinds per peer: each error/warning finding counts for both of its addresses.
    findings = spark.read.parquet(os.path.join(args.out, "findings"))
    per_peer = (
        findings.where(F.col("severity").isin("error", "warning"))
        .select(F.explode(F.array("src_ip", "dest_ip")).alias("peer"), "kind")
        .groupBy("peer", "kind")
        .count()
    )
    totals = per_peer.groupBy("peer").agg(F.sum("count").alias("failures"))
    top = totals.orderBy(F.desc("failures"), "peer").limit(args.top).collect()
    kinds = {}
    for r in per_peer.collect():
        kinds.setdefault(r["peer"], []).append((r["count"], r["kind"]))
    n_tunnels = spark.read.parquet(os.path.join(args.out, "tunnels")).count()
    n_groups = spark.read.parquet(os.path.join(args.out, "groups")).count()
    n_failed = spark.read.parquet(os.path.join(args.out, "failed_units")).count()
    print(f"units: {len(units)}  tunnels: {n_tunnels}  groups of one-message initiators: {n_groups}"
          f"  units with unreadable input: {n_failed}")
    print("top failure kinds per peer (error and warning findings):")
    for r in top:
        ranked = sorted(kinds[r["peer"]], key=lambda ck: (-ck[0], ck[1]))
        print(f"  {r['peer']:<40} {r['failures']:>6}  " + ", ".join(f"{k} {c}" for c, k in ranked))
    spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
