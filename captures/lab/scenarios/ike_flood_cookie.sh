DESC="IKE_SA_INIT flood: 600 copies of a real strongSwan IKE_SA_INIT (fresh SPIs) from 64 addresses of 192.0.2.0/24 at about 300/s toward a strongSwan responder with charon.cookie_threshold = 5"
WIRE="600 IKE_SA_INIT requests never followed by IKE_AUTH; after 5 half-open SAs the responder answers with IKE_SA_INIT responses carrying only N(COOKIE)"
IKE_VERSIONS='[2]'
R_CHARON_EXTRA="  cookie_threshold = 5
  block_threshold = 1000
  init_limit_half_open = 0"
INITIATORS=""           # no charon initiates; the script floods
DURATION=6
PING_COUNT=0
FINDINGS='[{"kind": "ike_flood", "phase": null}]'
FACTS='{"ike_sa_established": false, "cookie_challenges": true}'
VERIFY_SIDE=right
VERIFY_RE='generating IKE_SA_INIT response 0 \[ N\(COOKIE\) \]'
R_REMOTE_ADDRS=%any     # a configuration for every source: full answers until the threshold
L_EXTRA_ADDRS=$(seq -f '192.0.2.%g' 100 163 | tr '\n' ' ')
during() {
  sleep 1
  in_l python3 - "$OUT/ikev2_ok.pcap" 198.51.100.1 <<'PY' >"$WORK/flood.out" 2>&1
import os, socket, struct, sys, time
data = open(sys.argv[1], "rb").read()
length = struct.unpack("<I", data[24 + 8:24 + 12])[0]
frame = data[24 + 16:24 + 16 + length]
ike = bytearray(frame[14 + 20 + 8:])  # Ethernet, IPv4 (20), UDP: the IKE_SA_INIT request
socks = []
for i in range(64):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("192.0.2.%d" % (100 + i), 0))
    socks.append(s)
for n in range(600):
    ike[0:8] = os.urandom(8)
    socks[n % 64].sendto(bytes(ike), (sys.argv[2], 500))
    time.sleep(1 / 300)
print("sent 600")
PY
  sleep 30
}
