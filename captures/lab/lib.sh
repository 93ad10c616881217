# shellcheck shell=bash
# ikescope capture lab: topology, daemons, capture. Sourced by run.sh.
#
#   [left ns]                      [router ns]                         [right ns]
#   lo 10.1.0.1/32                                                      lo 10.2.0.1/32
#   eth0 192.0.2.1/24 ------ left0 192.0.2.254/24                       
#   (2001:db8:1::1/64)       (2001:db8:1::fe/64)
#                            right0 198.51.100.254/24 ----- eth0 198.51.100.1/24
#                            (2001:db8:2::fe/64)            (2001:db8:2::1/64)
#   charon (initiator)       tcpdump on left0, iptables        charon (responder)
#   (or pluto: L_IMPL/R_IMPL=libreswan, see libreswan.sh; more capture points: CAPTURE_POINTS)

LEFT4=192.0.2.1;      RTR_L4=192.0.2.254
RIGHT4=198.51.100.1;  RTR_R4=198.51.100.254
LEFT6=2001:db8:1::1;  RTR_L6=2001:db8:1::fe
RIGHT6=2001:db8:2::1; RTR_R6=2001:db8:2::fe
LEFT_NET=10.1.0.1;    RIGHT_NET=10.2.0.1

CHARON=/usr/lib/ipsec/charon
PLUGINS="random nonce openssl pem pkcs1 pkcs8 x509 revocation constraints pubkey sha1 sha2 hmac xcbc cmac kdf gmp aes gcm ccm kernel-libipsec kernel-netlink socket-default vici"

# shellcheck source=libreswan.sh
. "$(dirname "${BASH_SOURCE[0]}")/libreswan.sh"

log() { printf '[lab %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# ---------------------------------------------------------------- defaults --
# Every scenario file (scenarios/<name>.sh) starts from these values and
# overrides what it needs. L_*/R_* fall back to the shared value when empty.
scenario_defaults() {
  DESC=""                 # one line for README / expected.json truth_note
  WIRE=""                 # what one should see on the wire
  IKE_VERSIONS='[2]'
  FINDINGS='[]'           # JSON list of {kind, phase, also_ok?} (peers added)
  FACTS='{"ike_sa_established": true, "child_sa_established": true}'
  VERIFY_SIDE=left        # whose log must match VERIFY_RE (grep -P)
  VERIFY_RE='CHILD_SA net\{\d+\} established'
  DURATION=8              # seconds to run after the first initiate
  PING_COUNT=5            # pings from 10.1.0.1 to 10.2.0.1 (0 = none)
  PING_INTERVAL=1
  PING_WAIT_UP=1          # start pinging only once the CHILD_SA is installed
  AF=4
  VERSION=2;       L_VERSION="";   R_VERSION=""
  IKE_PROP=aes128-sha256-modp2048; L_IKE_PROP=""; R_IKE_PROP=""
  ESP_PROP=aes128-sha256;          L_ESP_PROP=""; R_ESP_PROP=""
  PSK="ikescope-lab-psk-0123456789";  L_PSK=""; R_PSK=""
  L_REMOTE_TS=""; R_REMOTE_TS=""
  R_REMOTE_ADDRS=""       # default: left's address
  AUTH=psk                # psk | pubkey (RSA certificates)
  RSA_BITS=2048
  FRAGMENTATION=yes       # IKE fragmentation (RFC 7383 / IKEv1 vendor)
  AGGRESSIVE=no
  IKE_REKEY=4h; CHILD_REKEY=1h; CHILD_LIFE=""; RAND_TIME=""
  L_IKE_REKEY=""; R_IKE_REKEY=""; L_CHILD_REKEY=""; R_CHILD_REKEY=""; L_CHILD_LIFE=""; R_CHILD_LIFE=""
  DPD_DELAY=0s; DPD_ACTION=clear; L_DPD_ACTION=""; R_DPD_ACTION=""; CLOSE_ACTION=none; KEYINGTRIES=1
  KEEP_ALIVE=20s
  INITIATORS=left         # "left", "right" or "left right"
  L_CHARON_EXTRA=""; R_CHARON_EXTRA=""
  CAPTURE_FILTER=""       # default chosen from AF
  # more tunnels: swanctl text added inside `connections { }` and inside gw's `children { }`,
  # secrets added inside `secrets { }`, extra addresses on the gateways' eth0, and the
  # children to initiate (conn names resolved by swanctl)
  L_EXTRA_CONNS=""; R_EXTRA_CONNS=""; L_EXTRA_CHILDREN=""; R_EXTRA_CHILDREN=""; EXTRA_SECRETS=""
  L_EXTRA_SECRETS=""; R_EXTRA_SECRETS=""   # secrets of one side only (e.g. a wrong EAP password)
  L_EXTRA_ADDRS=""; R_EXTRA_ADDRS=""; L_LO_ADDRS=""; R_LO_ADDRS=""
  INITIATE_CHILDREN="net"
  # implementation per side: strongswan (charon + swanctl) or libreswan (pluto + whack)
  L_IMPL=strongswan; R_IMPL=strongswan
  LSW_DEBUG=all                 # pluto's plutodebug
  LSW_RETRANSMIT_INTERVAL=500   # ms, pluto's first retransmission (then doubling)
  LSW_RETRANSMIT_TIMEOUT=10s    # pluto gives up after this
  # where tcpdump runs: path (router left0, the default; file <scenario>.pcap when alone,
  # <scenario>_on_path.pcap beside others), initiator / responder (that gateway's eth0:
  # _at_initiator, _at_responder), initiator_any / responder_any / path_any (`-i any`,
  # Linux SLL2 link type: _at_initiator_any, ...). The initiator is the first of INITIATORS.
  CAPTURE_POINTS=path
  # BGP over the tunnel (BIRD 2 in both gateway namespaces, between 10.1.0.1 and 10.2.0.1)
  BGP=no
  L_BGP_AS=65001; R_BGP_AS=65002   # each side's own AS
  L_BGP_PEER_AS=""; R_BGP_PEER_AS=""  # the AS each side expects of its neighbour (default: the other's)
  BGP_HOLD=9; BGP_KEEPALIVE=3      # short timers: expiries fit in a capture
  R_BGP_PASSIVE=no                 # the right speaker only listens
  KEY_TABLES=yes                   # no: no key tables beside the captures (inner packets only in the clear)
}
router_setup() { :; }     # scenario hook: iptables/tc in the router ns (use rtr)
during() { :; }           # scenario hook: runs in background during the scenario

# -------------------------------------------------------------- namespaces --
NS_L=""; NS_R=""; NS_G=""
in_l() { ip netns exec "$NS_L" "$@"; }
in_r() { ip netns exec "$NS_R" "$@"; }
rtr()  { ip netns exec "$NS_G" "$@"; }

topology_up() {
  NS_L="ikl$$-left"; NS_R="ikl$$-right"; NS_G="ikl$$-router"
  local ns
  for ns in "$NS_L" "$NS_R" "$NS_G"; do
    ip netns add "$ns"
    ip -n "$ns" link set dev lo up
  done
  ip -n "$NS_G" link add name left0 type veth peer name eth0 netns "$NS_L"
  ip -n "$NS_G" link add name right0 type veth peer name eth0 netns "$NS_R"
  local v6off=1; [ "$AF" = 6 ] && v6off=0
  for ns in "$NS_L" "$NS_R" "$NS_G"; do
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=$v6off \
      net.ipv6.conf.default.disable_ipv6=$v6off
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
      net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.router_solicitations=0 \
      net.ipv6.conf.default.router_solicitations=0 2>/dev/null || true
  done
  ip -n "$NS_L" addr add "$LEFT_NET/32" dev lo
  ip -n "$NS_R" addr add "$RIGHT_NET/32" dev lo
  ip -n "$NS_L" addr add "$LEFT4/24" dev eth0
  ip -n "$NS_R" addr add "$RIGHT4/24" dev eth0
  local a
  for a in $L_EXTRA_ADDRS; do ip -n "$NS_L" addr add "$a/24" dev eth0; done
  for a in $R_EXTRA_ADDRS; do ip -n "$NS_R" addr add "$a/24" dev eth0; done
  for a in $L_LO_ADDRS; do ip -n "$NS_L" addr add "$a/32" dev lo; done
  for a in $R_LO_ADDRS; do ip -n "$NS_R" addr add "$a/32" dev lo; done
  ip -n "$NS_G" addr add "$RTR_L4/24" dev left0
  ip -n "$NS_G" addr add "$RTR_R4/24" dev right0
  if [ "$AF" = 6 ]; then
    ip -n "$NS_L" addr add "$LEFT6/64" dev eth0 nodad
    ip -n "$NS_R" addr add "$RIGHT6/64" dev eth0 nodad
    ip -n "$NS_G" addr add "$RTR_L6/64" dev left0 nodad
    ip -n "$NS_G" addr add "$RTR_R6/64" dev right0 nodad
  fi
  ip -n "$NS_L" link set dev eth0 up
  ip -n "$NS_R" link set dev eth0 up
  ip -n "$NS_G" link set dev left0 up
  ip -n "$NS_G" link set dev right0 up
  ip -n "$NS_L" route add default via "$RTR_L4"
  ip -n "$NS_R" route add default via "$RTR_R4"
  if [ "$AF" = 6 ]; then
    ip -n "$NS_L" -6 route add default via "$RTR_L6"
    ip -n "$NS_R" -6 route add default via "$RTR_R6"
    rtr sysctl -qw net.ipv6.conf.all.forwarding=1
  fi
  # the protected networks must never leak in clear: only the tunnel (charon's
  # routes in table 220, looked up first) reaches them
  ip -n "$NS_L" route add unreachable 10.2.0.0/16
  ip -n "$NS_R" route add unreachable 10.1.0.0/16
  rtr sysctl -qw net.ipv4.ip_forward=1
  # resolve neighbours before the capture starts (no ARP/ND races on the first packet)
  in_l ping -c1 -W2 "$RTR_L4" >/dev/null 2>&1; in_r ping -c1 -W2 "$RTR_R4" >/dev/null 2>&1
  if [ "$AF" = 6 ]; then
    in_l ping -6 -c1 -W2 "$RTR_L6" >/dev/null 2>&1; in_r ping -6 -c1 -W2 "$RTR_R6" >/dev/null 2>&1
  fi
  return 0
}

topology_down() {
  local ns
  for ns in "$NS_L" "$NS_R" "$NS_G"; do
    [ -n "$ns" ] && ip netns del "$ns" 2>/dev/null
  done
  return 0
}

# ------------------------------------------------------------ certificates --
make_certs() {   # $1 = dir, RSA_BITS
  local d=$1
  [ -f "$d/right.pem" ] && return 0
  mkdir -p "$d"
  log "generating RSA-$RSA_BITS CA and gateway certificates (takes a while)"
  openssl req -x509 -newkey "rsa:$RSA_BITS" -nodes -keyout "$d/ca.key" -out "$d/ca.pem" \
    -days 30 -subj "/O=ikescope lab/CN=ikescope lab CA" 2>/dev/null
  local side ip
  for side in left right; do
    if [ "$side" = left ]; then ip=$LEFT4; else ip=$RIGHT4; fi
    [ "$AF" = 6 ] && { if [ "$side" = left ]; then ip=$LEFT6; else ip=$RIGHT6; fi; }
    openssl req -newkey "rsa:$RSA_BITS" -nodes -keyout "$d/$side.key" -out "$d/$side.csr" \
      -subj "/O=ikescope lab/CN=$ip" 2>/dev/null
    printf 'subjectAltName=IP:%s\nextendedKeyUsage=serverAuth,clientAuth\n' "$ip" > "$d/$side.ext"
    openssl x509 -req -in "$d/$side.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
      -days 30 -extfile "$d/$side.ext" -out "$d/$side.pem" 2>/dev/null
  done
}

# ------------------------------------------------------------------ charon --
pick() { if [ -n "$1" ]; then printf '%s' "$1"; else printf '%s' "$2"; fi; }

impl_of() { if [ "$1" = left ]; then printf '%s' "$L_IMPL"; else printf '%s' "$R_IMPL"; fi; }

side_addrs() {  # $1 = side; sets SIDE_ME, SIDE_PEER (outer addresses for AF)
  if [ "$AF" = 6 ]; then
    if [ "$1" = left ]; then SIDE_ME=$LEFT6; SIDE_PEER=$RIGHT6; else SIDE_ME=$RIGHT6; SIDE_PEER=$LEFT6; fi
  else
    if [ "$1" = left ]; then SIDE_ME=$LEFT4; SIDE_PEER=$RIGHT4; else SIDE_ME=$RIGHT4; SIDE_PEER=$LEFT4; fi
  fi
}

write_configs() {  # $1 = side (left|right), $2 = dir
  if [ "$(impl_of "$1")" = libreswan ]; then write_pluto_configs "$@"; else write_charon_configs "$@"; fi
}

write_charon_configs() {  # $1 = side (left|right), $2 = dir
  local side=$1 d=$2 me peer ver ikep espp psk rts lts raddrs extra ikerekey chrekey chlife dpdact
  local xconns xchildren xsecrets
  side_addrs "$side"; me=$SIDE_ME; peer=$SIDE_PEER
  if [ "$side" = left ]; then
    ver=$(pick "$L_VERSION" "$VERSION"); ikep=$(pick "$L_IKE_PROP" "$IKE_PROP")
    espp=$(pick "$L_ESP_PROP" "$ESP_PROP"); psk=$(pick "$L_PSK" "$PSK")
    lts=$LEFT_NET/32; rts=$(pick "$L_REMOTE_TS" "$RIGHT_NET/32"); raddrs=$peer
    extra=$L_CHARON_EXTRA; xconns=$L_EXTRA_CONNS; xchildren=$L_EXTRA_CHILDREN; xsecrets=$L_EXTRA_SECRETS
    ikerekey=$(pick "$L_IKE_REKEY" "$IKE_REKEY"); chrekey=$(pick "$L_CHILD_REKEY" "$CHILD_REKEY")
    chlife=$(pick "$L_CHILD_LIFE" "$CHILD_LIFE"); dpdact=$(pick "$L_DPD_ACTION" "$DPD_ACTION")
  else
    ver=$(pick "$R_VERSION" "$VERSION"); ikep=$(pick "$R_IKE_PROP" "$IKE_PROP")
    espp=$(pick "$R_ESP_PROP" "$ESP_PROP"); psk=$(pick "$R_PSK" "$PSK")
    lts=$RIGHT_NET/32; rts=$(pick "$R_REMOTE_TS" "$LEFT_NET/32"); raddrs=$(pick "$R_REMOTE_ADDRS" "$peer")
    extra=$R_CHARON_EXTRA; xconns=$R_EXTRA_CONNS; xchildren=$R_EXTRA_CHILDREN; xsecrets=$R_EXTRA_SECRETS
    ikerekey=$(pick "$R_IKE_REKEY" "$IKE_REKEY"); chrekey=$(pick "$R_CHILD_REKEY" "$CHILD_REKEY")
    chlife=$(pick "$R_CHILD_LIFE" "$CHILD_LIFE"); dpdact=$(pick "$R_DPD_ACTION" "$DPD_ACTION")
  fi
  cat > "$d/strongswan.conf" <<EOF
# generated by captures/lab for scenario $SCENARIO ($side)
charon {
  load = $PLUGINS
  install_routes = yes
  retransmit_timeout = 1.0
  retransmit_base = 1.5
  retransmit_tries = 4
  keep_alive = $KEEP_ALIVE
  filelog {
    lab {
      path = $d/charon.log
      time_format = %H:%M:%S
      append = no
      flush_line = yes
      default = 1
      ike = 4
      chd = 4
      cfg = 2
      knl = 1
    }
  }
  syslog {
    daemon {
      default = -1
    }
  }
  plugins {
    vici {
      socket = unix://$d/charon.vici
    }
  }
$extra
}
swanctl {
  load = pem pkcs1 pkcs8 x509 openssl random nonce
}
EOF
  local local_auth remote_auth secrets="" sub
  # swanctl looks for credentials in directories beside --file
  for sub in x509 x509ca x509ocsp x509aa x509ac x509crl pubkey private rsa ecdsa bliss pkcs8 pkcs12; do
    mkdir -p "$d/$sub"
  done
  if [ "$AUTH" = pubkey ]; then
    cp "$CERTDIR/$side.pem" "$d/x509/$side.pem"
    cp "$CERTDIR/ca.pem" "$d/x509ca/ca.pem"
    cp "$CERTDIR/$side.key" "$d/private/$side.key"
    local_auth="auth = pubkey
        certs = $side.pem"
    remote_auth="auth = pubkey"
  else
    local_auth="auth = psk"
    remote_auth="auth = psk"
    secrets="ike-1 {
    id-1 = $me
    id-2 = $peer
    secret = \"$psk\"
  }"
  fi
  local life=""; [ -n "$chlife" ] && life="life_time = $chlife"
  local rand=""; [ -n "$RAND_TIME" ] && rand="rand_time = $RAND_TIME"
  cat > "$d/swanctl.conf" <<EOF
# generated by captures/lab for scenario $SCENARIO ($side)
connections {
  gw {
    version = $ver
    local_addrs = $me
    remote_addrs = $raddrs
    proposals = $ikep
    aggressive = $AGGRESSIVE
    fragmentation = $FRAGMENTATION
    rekey_time = $ikerekey
    $rand
    dpd_delay = $DPD_DELAY
    keyingtries = $KEYINGTRIES
    send_cert = always
    local {
        $local_auth
        id = $me
    }
    remote {
        $remote_auth
        id = $peer
    }
    children {
      net {
        local_ts = $lts
        remote_ts = $rts
        esp_proposals = $espp
        rekey_time = $chrekey
        $life
        $rand
        dpd_action = $dpdact
        close_action = $CLOSE_ACTION
      }
$xchildren
    }
  }
$xconns
}
secrets {
  $secrets
$EXTRA_SECRETS
$xsecrets
}
EOF
}

declare -A DAEMON_PID
start_charon() {  # $1 = side, $2 = dir
  local side=$1 d=$2 ns
  if [ "$side" = left ]; then ns=$NS_L; else ns=$NS_R; fi
  # own mount namespace with a private /run (pid file, no clash with other charons)
  ip netns exec "$ns" unshare -m --propagation private sh -c \
    'mount -t tmpfs lab-run /run && mkdir -p /run/netns && exec env STRONGSWAN_CONF="$0/strongswan.conf" "$1"' \
    "$d" "$CHARON" >"$d/charon.stdout" 2>&1 &
  DAEMON_PID[$side]=$!
  await_socket "$d/charon.vici" "charon ($side)"
}

await_socket() {  # $1 = control socket a daemon creates once up, $2 = its name for the log
  local i
  for i in $(seq 1 50); do
    [ -S "$1" ] && return 0
    sleep 0.2
  done
  log "$2 did not come up"; return 1
}

swan() {  # $1 = side, rest = swanctl args
  local side=$1; shift
  local ns; if [ "$side" = left ]; then ns=$NS_L; else ns=$NS_R; fi
  local cmd=$1; shift
  STRONGSWAN_CONF="$WORK/$side/strongswan.conf" ip netns exec "$ns" \
    swanctl "$cmd" --uri "unix://$WORK/$side/charon.vici" "$@"
}

# ------------------------------------------------- either implementation --
start_daemon() {  # $1 = side, $2 = dir
  if [ "$(impl_of "$1")" = libreswan ]; then start_pluto "$@"; else start_charon "$@"; fi
}

load_daemon() {  # $1 = side: load the connection (and secrets)
  local side=$1
  if [ "$(impl_of "$side")" = libreswan ]; then
    load_pluto "$side" >"$WORK/$side/load.out" 2>&1
  else
    swan "$side" --load-all --file "$WORK/$side/swanctl.conf" >"$WORK/$side/load.out" 2>&1
  fi
}

initiate() {  # $1 = side, $2 = child (strongSwan) ; runs in the foreground
  local side=$1 child=$2
  if [ "$(impl_of "$side")" = libreswan ]; then
    timeout $((DURATION + 2)) bash -c "$(declare -f lsw); NS_L=$NS_L NS_R=$NS_R WORK=$WORK LSW_EXEC=$LSW_EXEC lsw $side --name gw --initiate"
  else
    swan "$side" --initiate --child "$child" --timeout $((DURATION + 2))
  fi
}

child_installed() {  # $1 = side: true once its CHILD SA is installed
  if [ "$(impl_of "$1")" = libreswan ]; then
    lsw "$1" --trafficstatus 2>/dev/null | grep -q 'type=ESP'
  else
    swan "$1" --list-sas --child net 2>/dev/null | grep -q INSTALLED
  fi
}

daemon_log() {  # $1 = side: the daemon's log file in the scratch dir
  if [ "$(impl_of "$1")" = libreswan ]; then printf '%s' "$WORK/$1/pluto.log"
  else printf '%s' "$WORK/$1/charon.log"; fi
}

stop_daemons() {  # initiator (left) first, so it sends the DELETE
  local side pid
  if [ "${1:-}" = graceful ]; then
    # close the SAs by an orderly INFORMATIONAL DELETE exchange, then stop
    for side in left right; do
      [ -n "${DAEMON_PID[$side]:-}" ] || continue
      if [ "$(impl_of "$side")" = libreswan ]; then
        timeout 6 bash -c "$(declare -f lsw); NS_L=$NS_L NS_R=$NS_R WORK=$WORK LSW_EXEC=$LSW_EXEC lsw $side --shutdown" >/dev/null 2>&1
      else
        timeout 6 bash -c "$(declare -f swan); NS_L=$NS_L NS_R=$NS_R WORK=$WORK swan $side --terminate --ike gw --timeout 4" >/dev/null 2>&1
      fi
    done
  fi
  for side in left right; do
    pid=${DAEMON_PID[$side]:-}
    [ -n "$pid" ] || continue
    kill -TERM "$pid" 2>/dev/null
    timeout 5 tail --pid="$pid" -f /dev/null 2>/dev/null || kill -KILL "$pid" 2>/dev/null
    DAEMON_PID[$side]=""
  done
}

# -------------------------------------------------------------- artefacts --
trim_log() {  # keep head + tail under ~190 KB
  local f=$1 max=190000
  local sz; sz=$(stat -c %s "$f")
  [ "$sz" -le "$max" ] && return 0
  local head=110000 tail=75000
  { head -c "$head" "$f" | sed '$d'
    printf '... [captures/lab: %s bytes trimmed from the middle of this log] ...\n' "$((sz - head - tail))"
    tail -c "$tail" "$f" | sed '1d'; } > "$f.tmp" && mv "$f.tmp" "$f"
}

# ---------------------------------------------------------- capture points --
# CAPTURE_POINTS names where tcpdump runs; the initiator is the first side in INITIATORS.
init_side() { set -- $INITIATORS; printf '%s' "$1"; }
resp_side() { if [ "$(init_side)" = left ]; then printf right; else printf left; fi; }

capture_point_where() {  # $1 = point; sets CP_NS, CP_IF
  local side=""
  case $1 in
    path|path_any) CP_NS=$NS_G ;;
    initiator|initiator_any) side=$(init_side) ;;
    responder|responder_any) side=$(resp_side) ;;
    *) log "unknown capture point $1"; return 1 ;;
  esac
  if [ -n "$side" ]; then
    if [ "$side" = left ]; then CP_NS=$NS_L; else CP_NS=$NS_R; fi
  fi
  case $1 in
    *_any) CP_IF=any ;;
    path) CP_IF=left0 ;;
    *) CP_IF=eth0 ;;
  esac
}

capture_point_suffix() {  # $1 = point: the file name suffix after the scenario name
  if [ "$CAPTURE_POINTS" = path ]; then return 0; fi
  case $1 in
    path) printf '_on_path' ;;
    path_any) printf '_on_path_any' ;;
    *) printf '_at_%s' "$1" ;;
  esac
}

capture_point_role() {  # $1 = point: expected.json "capture_point"
  case $1 in path*) printf path ;; initiator*) printf initiator ;; responder*) printf responder ;; esac
}

capture_point_text() {  # $1 = point: where, in words (truth_note, README)
  local who
  case $1 in
    path) printf 'on the path (router interface left0, Ethernet)' ;;
    path_any) printf 'on the path (router, tcpdump -i any, Linux SLL2)' ;;
    initiator|responder) who=$(init_side); [ "$1" = responder ] && who=$(resp_side)
      printf 'at the %s (%s gateway eth0, Ethernet)' "$1" "$who" ;;
    *_any) who=$(init_side); [ "$1" = responder_any ] && who=$(resp_side)
      printf 'at the %s (%s gateway, tcpdump -i any, Linux SLL2)' "${1%_any}" "$who" ;;
  esac
}

# -------------------------------------------------------------------- BIRD --
write_bird() {  # $1 = side, $2 = dir
  local side=$1 d=$2 me peer as peer_as passive=off net
  if [ "$side" = left ]; then
    me=$LEFT_NET; peer=$RIGHT_NET; as=$L_BGP_AS; peer_as=$(pick "$L_BGP_PEER_AS" "$R_BGP_AS"); net=10.1.1.0/24
  else
    me=$RIGHT_NET; peer=$LEFT_NET; as=$R_BGP_AS; peer_as=$(pick "$R_BGP_PEER_AS" "$L_BGP_AS"); net=10.2.1.0/24
    [ "$R_BGP_PASSIVE" = yes ] && passive=on
  fi
  cat > "$d/bird.conf" <<EOF
# generated by captures/lab for scenario $SCENARIO ($side)
router id $me;
log "$d/bird.log" all;
protocol device { }
protocol static { ipv4; route $net blackhole; }
protocol bgp tunnel {
  local $me as $as;
  neighbor $peer as $peer_as;
  multihop 2;
  passive $passive;
  hold time $BGP_HOLD;
  keepalive time $BGP_KEEPALIVE;
  connect delay time 2;
  connect retry time 5;
  error wait time 3, 10;
  ipv4 { import all; export where source = RTS_STATIC; };
  debug { states, events };
}
EOF
}

start_bird() {  # $1 = side, $2 = dir (no kernel protocol: BIRD never touches the routes)
  local side=$1 d=$2 ns
  if [ "$side" = left ]; then ns=$NS_L; else ns=$NS_R; fi
  write_bird "$side" "$d"
  ip netns exec "$ns" bird -c "$d/bird.conf" -s "$d/bird.ctl" -P "$d/bird.pid" >"$d/bird.stdout" 2>&1
}

stop_birds() {
  local side pid
  for side in left right; do
    [ -f "$WORK/$side/bird.pid" ] || continue
    pid=$(cat "$WORK/$side/bird.pid")
    [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null
    rm -f "$WORK/$side/bird.pid"
  done
}

birdc_show() {  # $1 = side: the protocol's state, for the log
  birdc -s "$WORK/$1/bird.ctl" show protocols all tunnel 2>/dev/null
}
