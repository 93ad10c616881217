#!/usr/bin/env python3
"""Wireshark IKEv2 decryption table (ikev2_decryption_table) from a charon log.

charon logs (ike = 4) the derived keys of every IKE SA as hex dumps:
    Sk_ai secret => 32 bytes @ 0x...
       0: EC 9C 02 53 ...
and, just before, the NAT-D input "natd_chunk" whose first 16 bytes are SPIi|SPIr.
The first IKEv2 SA whose keys appear in the log is written as one line:
    SPIi,SPIr,SK_ei,SK_er,"<enc>",SK_ai,SK_ar,"<integ>"
Usage: keytable.py initiator.log > scenario.ikev2_decryption_table
Prints nothing (exit 1) for IKEv1 or when no keys were derived.
"""
import re
import sys

ENC = {
    "AES_CBC_128": "AES-CBC-128 [RFC3602]",
    "AES_CBC_192": "AES-CBC-192 [RFC3602]",
    "AES_CBC_256": "AES-CBC-256 [RFC3602]",
    "3DES_CBC": "3DES [RFC2451]",
    "AES_GCM_16_128": "AES-GCM-128 with 16 octet ICV [RFC5282]",
    "AES_GCM_16_256": "AES-GCM-256 with 16 octet ICV [RFC5282]",
}
INTEG = {
    "HMAC_SHA2_256_128": "HMAC_SHA2_256_128 [RFC4868]",
    "HMAC_SHA2_384_192": "HMAC_SHA2_384_192 [RFC4868]",
    "HMAC_SHA2_512_256": "HMAC_SHA2_512_256 [RFC4868]",
    "HMAC_SHA1_96": "HMAC_SHA1_96 [RFC2404]",
    "HMAC_MD5_96": "HMAC_MD5_96 [RFC2403]",
    None: "NONE [RFC4306]",
}

HEAD = re.compile(r"\[IKE\] (natd_chunk|Sk_(?:ei|er|ai|ar) secret) => (\d+) bytes")
HEX = re.compile(r"\[IKE\]\s+\d+: ((?:[0-9A-F]{2} ){1,16})")
PROP = re.compile(r"selected proposal: IKE:(\S+)")


def main(path):
    lines = open(path, errors="replace").read().splitlines()
    if not any("IKE_SA_INIT" in l for l in lines):
        return 1  # IKEv1 (or nothing): no IKEv2 key table
    proposal = None
    spis = None
    keys = {}
    i = 0
    while i < len(lines):
        m = PROP.search(lines[i])
        if m and proposal is None:
            proposal = m.group(1).split("/")
        m = HEAD.search(lines[i])
        if m:
            name, n = m.group(1), int(m.group(2))
            data = ""
            j = i + 1
            while len(data) < 2 * n and j < len(lines):
                h = HEX.search(lines[j])
                if not h:
                    break
                data += h.group(1).replace(" ", "").lower()
                j += 1
            data = data[: 2 * n]
            if name == "natd_chunk":
                if len(data) >= 32 and data[16:32] != "0" * 16 and not keys:
                    spis = (data[:16], data[16:32])
            else:
                k = name.split()[0].lower()
                keys.setdefault(k, data)
                if len(keys) == 4:
                    break
            i = j
            continue
        i += 1
    if len(keys) < 4 or not spis or not proposal:
        return 1
    enc = ENC.get(proposal[0])
    integ = None
    for p in proposal[1:]:
        if p.startswith(("HMAC_", "AES_XCBC", "AES_CMAC")):
            integ = p
            break
    if enc is None or integ not in INTEG:
        print("unknown algorithm in %s" % proposal, file=sys.stderr)
        return 1
    print('%s,%s,%s,%s,"%s",%s,%s,"%s"' % (
        spis[0], spis[1], keys["sk_ei"], keys["sk_er"], enc,
        keys["sk_ai"] if integ else "", keys["sk_ar"] if integ else "", INTEG[integ]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
