#!/usr/bin/env python3
"""tshark's decrypted decode of the project's captures, for tests/decrypt_truth.rs.

Usage: decrypted_truth.py [SCENARIO ...]      (default: every capture with key tables)
Needs tshark and ../shared/oracle/tshark_truth.py (beside the project). For each
captures/<scenario>.pcap with key tables beside it (written by keytable.py) it writes
captures/truth/<scenario>.pcap.truth.decrypted.json in the oracle's format
"ikescope-tshark-truth/1", made by the oracle's own code with two adjustments, stated in
the file's "notes":
  - IKEv1: tshark puts a decrypted IKEv1 body under "isakmp.enc.data" (IKEv2's under
    "isakmp.enc.contained", the only one the oracle reads); both are read here.
  - "traffic_selectors" and "ids" (added keys): the IKEv2 TSi/TSr and the identification
    payloads (IKEv2 IDi/IDr, IKEv1 phase-1 IDs and Quick Mode proxy IDs) tshark decrypted, per
    frame, from `tshark -T fields` passes with the same key tables.
  - key table rows whose algorithm Wireshark 4.0 cannot use (ESP AES-CCM, AES-XCBC in IKEv2
    and ESP) are not passed to tshark, so those records carry no "decrypted" object.
"""
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile

LAB = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.dirname(LAB)
ORACLE = os.path.join(OUT, "..", "..", "shared", "oracle", "tshark_truth.py")
TABLES = ("ikev1_decryption_table", "ikev2_decryption_table", "esp_sa")
WIRESHARK_ESP = ("AES-CBC [RFC3602]", "TripleDES-CBC [RFC2451]", "AES-CTR [RFC3686]",
                 "AES-GCM with 8 octet ICV [RFC4106]", "AES-GCM with 12 octet ICV [RFC4106]",
                 "AES-GCM with 16 octet ICV [RFC4106]", "NULL")
WIRESHARK_AUTH = ("HMAC-SHA-1-96 [RFC2404]", "HMAC-SHA-256-128 [RFC4868]", "HMAC-SHA-384-192 [RFC4868]",
                  "HMAC-SHA-512-256 [RFC4868]", "HMAC-MD5-96 [RFC2403]", "NULL")
NOTES = ("made by captures/lab/decrypted_truth.py with the oracle's tshark_truth.py; traffic "
         "selectors and IDs added from tshark -T fields; IKEv1 "
         "decrypted bodies read from isakmp.enc.data; esp_sa rows with algorithms Wireshark 4.0 "
         "lacks (ESP AES-CCM, AES-XCBC) not given to tshark")


def load_oracle():
    spec = importlib.util.spec_from_file_location("tshark_truth", ORACLE)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)

    def decrypted_chain(isakmp):
        for k, v in mod.walk(isakmp):
            if k in ("isakmp.enc.contained", "isakmp.enc.data") and mod.is_pairs(v):
                return mod.payload_list(v)
        return None

    mod.decrypted_chain = decrypted_chain
    return mod


def ikev2_row_ok(line):
    return "XCBC" not in line


TS_FIELDS = ("isakmp.ts.start_ipv4", "isakmp.ts.end_ipv4", "isakmp.ts.start_ipv6",
             "isakmp.ts.end_ipv6", "isakmp.ts.protoid", "isakmp.ts.start_port", "isakmp.ts.end_port")
ID_FIELDS = ("isakmp.id.type", "isakmp.id.data.ipv4_addr", "isakmp.id.data.ipv6_addr")


def tshark_fields(oracle, cap, keys, display_filter, fields):
    """(frame, [values of each field, all occurrences]) per frame matching the filter, decoded
    with the key tables in `keys`."""
    extra, _ = oracle.uat_args(keys)
    cmd = ["tshark", "-n", "-r", cap] + extra + ["-Y", display_filter, "-T", "fields",
                                                  "-E", "separator=/t", "-E", "occurrence=a",
                                                  "-E", "aggregator=,", "-e", "frame.number"]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True).stdout
    for line in out.splitlines():
        cols = line.split("\t")
        if len(cols) == 1 + len(fields):
            yield cols[0], [c.split(",") if c else [] for c in cols[1:]]


def selectors(oracle, cap, keys):
    """IKEv2 traffic selectors tshark decrypted, per frame: {"frame": [[start, end, proto,
    start_port, end_port], ...]} in payload order (TSi then TSr)."""
    result = {}
    for frame, (v4s, v4e, v6s, v6e, proto, sp, ep) in tshark_fields(oracle, cap, keys, "isakmp.ts.protoid", TS_FIELDS):
        starts, ends = v4s + v6s, v4e + v6e
        n = min(len(starts), len(ends), len(proto), len(sp), len(ep))
        result[frame] = [[starts[i], ends[i], int(proto[i]), int(sp[i]), int(ep[i])] for i in range(n)]
    return result


def identities(oracle, cap, keys):
    """Identification payloads tshark decoded, per frame: {"frame": {"types": [..],
    "ipv4": [..], "ipv6": [..]}} (ID types in payload order, and the address values of the
    ID_IPV4_ADDR / ID_IPV6_ADDR ones)."""
    return {frame: {"types": [int(x) for x in types], "ipv4": v4, "ipv6": v6}
            for frame, (types, v4, v6) in tshark_fields(oracle, cap, keys, "isakmp.id.type", ID_FIELDS)}


def esp_row_ok(line):
    cols = [c.strip().strip('"') for c in line.split('","')]
    return len(cols) >= 8 and cols[4] in WIRESHARK_ESP and cols[6] in WIRESHARK_AUTH


def main(names):
    if not os.path.isfile(ORACLE):
        sys.exit("decrypted_truth: %s is missing" % ORACLE)
    oracle = load_oracle()
    if not names:
        names = sorted(f[:-5] for f in os.listdir(OUT) if f.endswith(".pcap")
                       and any(os.path.exists(os.path.join(OUT, f[:-5] + "." + t)) for t in TABLES))
    os.makedirs(os.path.join(OUT, "truth"), exist_ok=True)
    for name in names:
        keys = tempfile.mkdtemp(prefix="ikescope-truth-")
        try:
            for t in TABLES:
                src = os.path.join(OUT, name + "." + t)
                if not os.path.exists(src):
                    continue
                lines = [l for l in open(src).read().splitlines() if l.strip()]
                if t == "esp_sa":
                    lines = [l for l in lines if esp_row_ok(l)]
                elif t == "ikev2_decryption_table":
                    lines = [l for l in lines if ikev2_row_ok(l)]
                if lines:
                    with open(os.path.join(keys, t), "w") as f:
                        f.write("\n".join(lines) + "\n")
            cap = os.path.join(OUT, name + ".pcap")
            t = oracle.truth(cap, keys)
            t["notes"] = NOTES
            t["traffic_selectors"] = selectors(oracle, cap, keys)
            t["ids"] = identities(oracle, cap, keys)
            out = os.path.join(OUT, "truth", name + ".pcap.truth.decrypted.json")
            with open(out, "w") as f:
                f.write(json.dumps(t, indent=1) + "\n")
            dec = sum(1 for r in t["records"] if (r.get("ike") or r.get("esp") or {}).get("decrypted"))
            print("%s: %d records, %d decrypted by tshark" % (out, len(t["records"]), dec), file=sys.stderr)
        finally:
            shutil.rmtree(keys)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
