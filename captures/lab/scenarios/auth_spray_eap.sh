DESC="Password spray against an IKEv2 EAP-MD5 responder: 192.0.2.1 tries 5 user names (alice, bob, carol, dave, erin @example.org) with wrong passwords beside its own working PSK tunnel; strongSwan responder authenticates itself with the PSK, the users with EAP-MD5"
WIRE="6 IKE SAs from 192.0.2.1: gw established (PSK); s1..s5 IKE_SA_INIT ok, IKE_AUTH rounds (IDr AUTH EAP-Identity request, EAP-MD5 challenge) ending in an encrypted EAP Failure"
PLUGINS="$PLUGINS md5 eap-identity eap-md5"
INITIATE_CHILDREN="net s1 s2 s3 s4 s5"
DURATION=10
PING_COUNT=0
FINDINGS='[{"kind": "auth_spray", "phase": "phase1"}, {"kind": "auth_failure", "phase": "phase1"}]'
FACTS='{"ike_sa_established": true, "eap_failures": 5}'
VERIFY_SIDE=right
VERIFY_RE='EAP method EAP_MD5 failed'
# one connection per user name tried from 192.0.2.1 (EAP-MD5 with a wrong password each), and
# the password the responder knows for it
SPRAY_USERS="alice bob carol dave erin"
L_EXTRA_CONNS=""; L_EXTRA_SECRETS=""; R_EXTRA_SECRETS=""
spray_n=0
for spray_user in $SPRAY_USERS; do
  spray_n=$((spray_n + 1))
  [ $spray_n -gt 1 ] && { L_EXTRA_CONNS+=$'\n'; L_EXTRA_SECRETS+=$'\n'; R_EXTRA_SECRETS+=$'\n'; }
  L_EXTRA_CONNS+="  s$spray_n {
    version = 2
    local_addrs = 192.0.2.1
    remote_addrs = 198.51.100.1
    proposals = aes128-sha256-modp2048
    keyingtries = 1
    local {
      auth = eap-md5
      id = $spray_user@example.org
      eap_id = $spray_user
    }
    remote {
      auth = psk
      id = 198.51.100.1
    }
    children {
      s$spray_n {
        local_ts = 10.1.0.1/32
        remote_ts = 10.2.0.1/32
        esp_proposals = aes128-sha256
      }
    }
  }"
  L_EXTRA_SECRETS+="  eap-$spray_user {
    id = $spray_user
    secret = \"guess-$spray_n-Summer2026\"
  }"
  R_EXTRA_SECRETS+="  eap-$spray_user {
    id = $spray_user
    secret = \"$spray_user-real-password-$spray_n\"
  }"
done
R_EXTRA_CONNS='  eap {
    version = 2
    local_addrs = 198.51.100.1
    remote_addrs = 192.0.2.1
    proposals = aes128-sha256-modp2048
    local {
      auth = psk
      id = 198.51.100.1
    }
    remote {
      auth = eap-md5
      eap_id = %any
    }
    children {
      rw {
        local_ts = 10.2.0.1/32
        remote_ts = 10.1.0.1/32
        esp_proposals = aes128-sha256
      }
    }
  }'
EXTRA_SECRETS='  ike-eap {
    id-1 = 198.51.100.1
    secret = "ikescope-lab-psk-0123456789"
  }'
