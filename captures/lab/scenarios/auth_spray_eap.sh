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
L_EXTRA_CONNS='  s1 {
    version = 2
    local_addrs = 192.0.2.1
    remote_addrs = 198.51.100.1
    proposals = aes128-sha256-modp2048
    keyingtries = 1
    local {
      auth = eap-md5
      id = alice@example.org
      eap_id = alice
    }
    remote {
      auth = psk
      id = 198.51.100.1
    }
    children {
      s1 {
        local_ts = 10.1.0.1/32
        remote_ts = 10.2.0.1/32
        esp_proposals = aes128-sha256
      }
    }
  }
  s2 {
    version = 2
    local_addrs = 192.0.2.1
    remote_addrs = 198.51.100.1
    proposals = aes128-sha256-modp2048
    keyingtries = 1
    local {
      auth = eap-md5
      id = bob@example.org
      eap_id = bob
    }
    remote {
      auth = psk
      id = 198.51.100.1
    }
    children {
      s2 {
        local_ts = 10.1.0.1/32
        remote_ts = 10.2.0.1/32
        esp_proposals = aes128-sha256
      }
    }
  }
  s3 {
    version = 2
    local_addrs = 192.0.2.1
    remote_addrs = 198.51.100.1
    proposals = aes128-sha256-modp2048
    keyingtries = 1
    local {
      auth = eap-md5
      id = carol@example.org
      eap_id = carol
    }
    remote {
      auth = psk
      id = 198.51.100.1
    }
    children {
      s3 {
        local_ts = 10.1.0.1/32
        remote_ts = 10.2.0.1/32
        esp_proposals = aes128-sha256
      }
    }
  }
  s4 {
    version = 2
    local_addrs = 192.0.2.1
    remote_addrs = 198.51.100.1
    proposals = aes128-sha256-modp2048
    keyingtries = 1
    local {
      auth = eap-md5
      id = dave@example.org
      eap_id = dave
    }
    remote {
      auth = psk
      id = 198.51.100.1
    }
    children {
      s4 {
        local_ts = 10.1.0.1/32
        remote_ts = 10.2.0.1/32
        esp_proposals = aes128-sha256
      }
    }
  }
  s5 {
    version = 2
    local_addrs = 192.0.2.1
    remote_addrs = 198.51.100.1
    proposals = aes128-sha256-modp2048
    keyingtries = 1
    local {
      auth = eap-md5
      id = erin@example.org
      eap_id = erin
    }
    remote {
      auth = psk
      id = 198.51.100.1
    }
    children {
      s5 {
        local_ts = 10.1.0.1/32
        remote_ts = 10.2.0.1/32
        esp_proposals = aes128-sha256
      }
    }
  }'
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
L_EXTRA_SECRETS='  eap-alice {
    id = alice
    secret = "guess-1-Summer2026"
  }
  eap-bob {
    id = bob
    secret = "guess-2-Summer2026"
  }
  eap-carol {
    id = carol
    secret = "guess-3-Summer2026"
  }
  eap-dave {
    id = dave
    secret = "guess-4-Summer2026"
  }
  eap-erin {
    id = erin
    secret = "guess-5-Summer2026"
  }'
R_EXTRA_SECRETS='  eap-alice {
    id = alice
    secret = "alice-real-password-1"
  }
  eap-bob {
    id = bob
    secret = "bob-real-password-2"
  }
  eap-carol {
    id = carol
    secret = "carol-real-password-3"
  }
  eap-dave {
    id = dave
    secret = "dave-real-password-4"
  }
  eap-erin {
    id = erin
    secret = "erin-real-password-5"
  }'
