DESC="IKEv2, active/standby pair from 192.0.2.1: gw to 198.51.100.1 (CHILD net) and gw2 to 198.51.100.2 (CHILD net2), both protecting 10.1.0.1/32 === 10.2.0.1/32; DPD every 2 s, dpd_action=clear; pings flow through gw, then the router drops everything to and from 198.51.100.1, gw's DPD gives up, and the standby net2 is brought up: the pings continue through gw2"
WIRE="gw: IKE_SA_INIT, IKE_AUTH, ESP; after the cut DPD INFORMATIONALs from 192.0.2.1 retransmitted unanswered, the pings' ESP on gw unanswered; then gw2: IKE_SA_INIT, IKE_AUTH and the ESP of the same pings; selectors only inside the encrypted IKE_AUTH"
R_EXTRA_ADDRS=198.51.100.2
DPD_DELAY=2s
DPD_ACTION=clear
DURATION=45
PING_COUNT=42
PING_INTERVAL=1
FINDINGS='[{"kind": "no_response", "phase": null, "also_ok": ["dpd_flap"]}]'
FACTS='{"ike_sa_established": true, "child_sa_established": true, "dpd": {"delay": 2}, "redundant_pair": {"tunnels": ["192.0.2.1-198.51.100.1", "192.0.2.1-198.51.100.2"], "failovers": 1}}'
VERIFY_RE='CHILD_SA net2\{\d+\} established .* TS 10\.1\.0\.1/32 === 10\.2\.0\.1/32'
during() {
  sleep 8
  rtr iptables -I FORWARD -d 198.51.100.1 -j DROP
  rtr iptables -I FORWARD -s 198.51.100.1 -j DROP
  # the active tunnel's DPD gives up (about 12 s of retransmissions), then the standby comes up
  local i
  for i in $(seq 1 40); do
    swan left --list-sas --ike gw 2>/dev/null | grep -q ESTABLISHED || break
    sleep 0.5
  done
  swan left --initiate --child net2 --timeout 10 >/dev/null 2>&1
}
L_EXTRA_CONNS='  gw2 {
    version = 2
    local_addrs = 192.0.2.1
    remote_addrs = 198.51.100.2
    proposals = aes128-sha256-modp2048
    dpd_delay = 2s
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
        local_ts = 10.1.0.1/32
        remote_ts = 10.2.0.1/32
        esp_proposals = aes128-sha256
        dpd_action = clear
      }
    }
  }'
R_EXTRA_CONNS='  gw2 {
    version = 2
    local_addrs = 198.51.100.2
    remote_addrs = 192.0.2.1
    proposals = aes128-sha256-modp2048
    dpd_delay = 2s
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
        local_ts = 10.2.0.1/32
        remote_ts = 10.1.0.1/32
        esp_proposals = aes128-sha256
        dpd_action = clear
      }
    }
  }'
EXTRA_SECRETS='  ike-2 {
    id-1 = 192.0.2.1
    id-2 = 198.51.100.2
    secret = "ikescope-lab-psk-0123456789"
  }'
