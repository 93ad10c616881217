#!/usr/bin/env python3
"""Wireshark key tables from a charon log (ike = 4, chd = 4).

Usage: keytable.py CHARON.log PREFIX
Writes, when the log holds such keys:
    PREFIX.ikev2_decryption_table   SPIi,SPIr,SK_ei,SK_er,"<enc>",SK_ai,SK_ar,"<integ>"
    PREFIX.ikev1_decryption_table   initiator cookie,encryption key
    PREFIX.esp_sa                   "IPv4","src","dst","0xSPI","<enc>","0xkey","<auth>","0xkey"
and removes stale ones. Exits 1 when it wrote nothing.

charon logs the derived keys as hex dumps:
    Sk_ai secret => 32 bytes @ 0x...
       0: EC 9C 02 53 ...
IKE SAs: the SPIs come from the NAT-D input "natd_chunk" (SPIi | SPIr | address | port) logged
by the same IKE_SA_INIT / Main Mode; IKE SAs made by rekeying log no such chunk and are left
out (their SPIs are not in the log). ESP: the log names the SPI, source and destination of each
installed SA ("adding inbound ESP SA" + "SPI 0x..., src A dst B"); the CHILD SA exchange's
initiator protects its outbound traffic with the "initiator" keys. Whether this end initiated
is read from the last "parsed ... request/response" line of the same thread: the initiator
installs after parsing the response, the responder after parsing the request.
Algorithms Wireshark 4.0 cannot use (ESP AES-CCM, AES-XCBC) keep names ikescope reads.
"""
import os
import re
import sys

IKEV2_ENC = {
    "AES_CBC_128": "AES-CBC-128 [RFC3602]",
    "AES_CBC_192": "AES-CBC-192 [RFC3602]",
    "AES_CBC_256": "AES-CBC-256 [RFC3602]",
    "AES_CTR_128": "AES-CTR-128 [RFC5930]",
    "AES_CTR_192": "AES-CTR-192 [RFC5930]",
    "AES_CTR_256": "AES-CTR-256 [RFC5930]",
    "3DES_CBC": "3DES [RFC2451]",
}
for _bits in (128, 192, 256):
    for _icv in (8, 12, 16):
        IKEV2_ENC["AES_GCM_%d_%d" % (_icv, _bits)] = "AES-GCM-%d with %d octet ICV [RFC5282]" % (_bits, _icv)
        IKEV2_ENC["AES_CCM_%d_%d" % (_icv, _bits)] = "AES-CCM-%d with %d octet ICV [RFC5282]" % (_bits, _icv)
IKEV2_INTEG = {
    "HMAC_SHA2_256_128": "HMAC_SHA2_256_128 [RFC4868]",
    "HMAC_SHA2_384_192": "HMAC_SHA2_384_192 [RFC4868]",
    "HMAC_SHA2_512_256": "HMAC_SHA2_512_256 [RFC4868]",
    "HMAC_SHA1_96": "HMAC_SHA1_96 [RFC2404]",
    "HMAC_MD5_96": "HMAC_MD5_96 [RFC2403]",
    "AES_XCBC_96": "AES-XCBC-96 [RFC3566]",
    None: "NONE [RFC4306]",
}
ESP_ENC = {
    "AES_CBC": "AES-CBC [RFC3602]",
    "AES_CTR": "AES-CTR [RFC3686]",
    "3DES_CBC": "TripleDES-CBC [RFC2451]",
    "AES_GCM_8": "AES-GCM with 8 octet ICV [RFC4106]",
    "AES_GCM_12": "AES-GCM with 12 octet ICV [RFC4106]",
    "AES_GCM_16": "AES-GCM with 16 octet ICV [RFC4106]",
    "AES_CCM_8": "AES-CCM with 8 octet ICV [RFC4309]",
    "AES_CCM_12": "AES-CCM with 12 octet ICV [RFC4309]",
    "AES_CCM_16": "AES-CCM with 16 octet ICV [RFC4309]",
    "NULL": "NULL",
}
ESP_AUTH = {
    "HMAC_SHA2_256_128": "HMAC-SHA-256-128 [RFC4868]",
    "HMAC_SHA2_384_192": "HMAC-SHA-384-192 [RFC4868]",
    "HMAC_SHA2_512_256": "HMAC-SHA-512-256 [RFC4868]",
    "HMAC_SHA1_96": "HMAC-SHA-1-96 [RFC2404]",
    "HMAC_MD5_96": "HMAC-MD5-96 [RFC2403]",
    "AES_XCBC_96": "AES-XCBC-MAC-96 [RFC3566]",
    None: "NULL",
}

LINE = re.compile(r" (\d+)\[([A-Z]+)\] (.*)$")
DUMP_HEAD = re.compile(r"^(.*?) => (\d+) bytes @ ")
DUMP_ROW = re.compile(r"^\s+\d+: ((?:[0-9A-F]{2} ){0,15}[0-9A-F]{2})")
IKE_PROP = re.compile(r"selected proposal: IKE:(\S+)")
ESP_USING = re.compile(r"^\s+using (\S+) for (encryption|integrity)")
ESP_SPI = re.compile(r"^\s+SPI 0x([0-9a-f]+), src (\S+) dst (\S+)")
PARSED = re.compile(r"^parsed \S+ (request|response) ")


def events(path):
    """(index, thread, group, message) with hex dumps folded into ("dump", name, hex)."""
    rows = []
    for raw in open(path, errors="replace"):
        m = LINE.search(raw.rstrip("\n"))
        if m:
            rows.append((int(m.group(1)), m.group(2), m.group(3)))
    out, i = [], 0
    while i < len(rows):
        thread, grp, msg = rows[i]
        h = DUMP_HEAD.match(msg)
        if h:
            n, data, j = int(h.group(2)), "", i + 1
            while len(data) < 2 * n and j < len(rows):
                r = DUMP_ROW.match(rows[j][2]) if rows[j][0] == thread else None
                if r:
                    data += r.group(1).replace(" ", "").lower()
                elif rows[j][0] == thread:
                    break
                j += 1
            out.append((len(out), thread, grp, ("dump", h.group(1).strip(), data[: 2 * n])))
            i += 1
            continue
        out.append((len(out), thread, grp, msg))
        i += 1
    return out


def natd_spis(evs):
    """(index, thread, spi_i, spi_r) of every NAT-D chunk naming both SPIs."""
    out = []
    for idx, thread, _, msg in evs:
        if isinstance(msg, tuple) and msg[1] == "natd_chunk" and len(msg[2]) >= 32:
            a, b = msg[2][:16], msg[2][16:32]
            if a != "0" * 16 and b != "0" * 16:
                out.append((idx, thread, a, b))
    return out


def ikev2_rows(evs):
    natd = natd_spis(evs)
    claimed, rows, prop, keys = set(), [], {}, {}
    for idx, thread, _, msg in evs:
        if isinstance(msg, str):
            m = IKE_PROP.search(msg)
            if m:
                prop[thread] = m.group(1).split("/")
            continue
        name = msg[1]
        if name in ("Sk_ei secret", "Sk_er secret", "Sk_ai secret", "Sk_ar secret"):
            keys.setdefault(thread, {})[name.split()[0].lower()] = msg[2]
        if name != "Sk_pr secret" or thread not in keys:
            continue
        k = keys.pop(thread)
        p = prop.get(thread) or []
        before = [n for n in natd if n[0] < idx and (n[2], n[3]) not in claimed]
        same = [n for n in before if n[1] == thread]
        pick = (same or before or [None])[-1]
        if pick is None or not p or "sk_ei" not in k:
            continue  # a rekeyed IKE SA: its SPIs are not in the log
        claimed.add((pick[2], pick[3]))
        enc = IKEV2_ENC.get(p[0])
        integ = next((x for x in p[1:] if x.startswith(("HMAC_", "AES_XCBC", "AES_CMAC"))), None)
        if enc is None or integ not in IKEV2_INTEG:
            print("keytable: no Wireshark name for %s" % "/".join(p), file=sys.stderr)
            continue
        rows.append('%s,%s,%s,%s,"%s",%s,%s,"%s"' % (
            pick[2], pick[3], k["sk_ei"], k["sk_er"], enc,
            k.get("sk_ai", "") if integ else "", k.get("sk_ar", "") if integ else "",
            IKEV2_INTEG[integ]))
    return rows


def ikev1_rows(evs):
    natd = natd_spis(evs)
    rows, seen = [], set()
    for idx, thread, _, msg in evs:
        if not (isinstance(msg, tuple) and msg[1] == "encryption key Ka"):
            continue
        # Main Mode initiators log NAT-D after deriving the keys, responders before.
        near = [n for n in natd if n[1] == thread and n[0] > idx and n[2] not in seen][:1] or \
            [n for n in natd if n[1] == thread and n[0] < idx and n[2] not in seen][-1:]
        if not near:
            continue
        seen.add(near[0][2])
        rows.append("%s,%s" % (near[0][2], msg[2]))
    return rows


def esp_rows(evs):
    rows, role, algs, keys, direction, done = [], {}, {}, {}, {}, set()
    for idx, thread, grp, msg in evs:
        if isinstance(msg, tuple):
            if grp == "CHD" and msg[1] in ("encryption initiator key", "encryption responder key",
                                           "integrity initiator key", "integrity responder key"):
                if msg[1] == "encryption initiator key":
                    keys[thread] = {"used": set()}
                keys.setdefault(thread, {"used": set()})[msg[1]] = msg[2]
            continue
        if msg in ("adding inbound ESP SA", "adding outbound ESP SA"):
            direction[thread] = msg.split()[1]
            continue
        m = PARSED.match(msg)
        if m:
            role[thread] = m.group(1)
            continue
        m = ESP_USING.match(msg)
        if m and grp == "CHD":
            if m.group(2) == "encryption":
                algs[thread] = {"enc": m.group(1)}
            else:
                algs.setdefault(thread, {})["integ"] = m.group(1)
            continue
        m = ESP_SPI.match(msg)
        if not m or thread not in keys:
            continue
        k, a = keys[thread], algs.get(thread, {})
        spi, src, dst = m.group(1), m.group(2), m.group(3)
        inbound = direction.get(thread) == "inbound"
        # one key set serves one inbound and one outbound SA; an SA installed again (the
        # outbound half of a rekey) keeps the keys it was first listed with
        if (inbound in k["used"]) or (spi, src, dst) in done:
            continue
        k["used"].add(inbound)
        done.add((spi, src, dst))
        initiator = role.get(thread) == "response"
        # initiator keys protect initiator -> responder traffic
        side = "initiator" if initiator != inbound else "responder"
        enc, integ = ESP_ENC.get(a.get("enc")), ESP_AUTH.get(a.get("integ"))
        if enc is None or integ is None:
            print("keytable: no Wireshark name for ESP %s" % a, file=sys.stderr)
            continue
        ek = k.get("encryption %s key" % side, "")
        ak = k.get("integrity %s key" % side, "") if a.get("integ") else ""
        rows.append('"%s","%s","%s","0x%s","%s","0x%s","%s","%s"' % (
            "IPv6" if ":" in src else "IPv4", src, dst, spi.zfill(8), enc, ek, integ,
            "0x" + ak if ak else ""))
    return rows


def main(log, prefix):
    evs = events(log)
    wrote = False
    for suffix, rows in (("ikev2_decryption_table", ikev2_rows(evs)),
                         ("ikev1_decryption_table", ikev1_rows(evs)),
                         ("esp_sa", esp_rows(evs))):
        path = "%s.%s" % (prefix, suffix)
        if rows:
            with open(path, "w") as f:
                f.write("\n".join(rows) + "\n")
            wrote = True
        elif os.path.exists(path):
            os.remove(path)
    return 0 if wrote else 1


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
