DESC="IKEv2, two tunnels from 192.0.2.1: gw to 198.51.100.1 (CHILD net 10.1.0.1/32 === 10.2.0.1/32 and CHILD cgn 10.1.0.0/24 === 100.64.1.0/24) and gw2 to a second address 198.51.100.2 (CHILD net2 10.1.0.0/24 === 10.2.0.0/24, overlapping net)"
WIRE="two IKE SAs (IKE_SA_INIT + IKE_AUTH each), a CREATE_CHILD_SA for cgn, ESP for net; selectors only inside the encrypted IKE_AUTH / CREATE_CHILD_SA"
R_EXTRA_ADDRS=198.51.100.2
R_LO_ADDRS=100.64.1.1   # charon installs the route for cgn only with a local address inside it
INITIATE_CHILDREN="net net2"
during() { sleep 2; swan left --initiate --child cgn --timeout 5 >/dev/null 2>&1; }
DURATION=8
FINDINGS='[{"kind": "ts_overlap", "phase": "phase2"}, {"kind": "ts_reserved_range", "phase": "phase2"}]'
VERIFY_RE='CHILD_SA net2\{\d+\} established .* TS 10\.1\.0\.0/24 === 10\.2\.0\.0/24'
L_EXTRA_CHILDREN='      cgn {
        local_ts = 10.1.0.0/24
        remote_ts = 100.64.1.0/24
        esp_proposals = aes128-sha256
      }'
R_EXTRA_CHILDREN='      cgn {
        local_ts = 100.64.1.0/24
        remote_ts = 10.1.0.0/24
        esp_proposals = aes128-sha256
      }'
L_EXTRA_CONNS='  gw2 {
    version = 2
    local_addrs = 192.0.2.1
    remote_addrs = 198.51.100.2
    proposals = aes128-sha256-modp2048
    local {
      auth = psk
      id = 192.0.2.1
    }
    remote {
      auth = psk
      id = 198.51.100.2
    }
    children {
      net2 {
        local_ts = 10.1.0.0/24
        remote_ts = 10.2.0.0/24
        esp_proposals = aes128-sha256
      }
    }
  }'
R_EXTRA_CONNS='  gw2 {
    version = 2
    local_addrs = 198.51.100.2
    remote_addrs = 192.0.2.1
    proposals = aes128-sha256-modp2048
    local {
      auth = psk
      id = 198.51.100.2
    }
    remote {
      auth = psk
      id = 192.0.2.1
    }
    children {
      net2 {
        local_ts = 10.2.0.0/24
        remote_ts = 10.1.0.0/24
        esp_proposals = aes128-sha256
      }
    }
  }'
EXTRA_SECRETS='  ike-2 {
    id-1 = 192.0.2.1
    id-2 = 198.51.100.2
    secret = "ikescope-lab-psk-0123456789"
  }'
