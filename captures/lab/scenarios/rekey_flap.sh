DESC="IKEv2, PFS (modp2048) in the initiator's ESP proposal only; CHILD rekey 20 s, life 30 s"
WIRE="first CHILD SA (inside IKE_AUTH, no KE) works; every CREATE_CHILD_SA rekey is refused with NO_PROPOSAL_CHOSEN, the CHILD SA expires at 30 s, the tunnel is rebuilt, again and again"
L_ESP_PROP=aes128-sha256-modp2048
R_ESP_PROP=aes128-sha256
CHILD_REKEY=20s
CHILD_LIFE=30s
RAND_TIME=0s
DURATION=100
PING_COUNT=50
PING_INTERVAL=2
FINDINGS='[{"kind": "rekey_flap", "phase": "phase2", "also_ok": ["proposal_mismatch"]}]'
FACTS='{"ike_sa_established": true, "child_sa_established": true, "lifetimes": {"child_rekey": 20, "child_life": 30}}'
VERIFY_RE='CHILD_SA rekeying failed'
# only the initiator rekeys; the responder keeps its defaults
R_CHILD_REKEY=1h
R_CHILD_LIFE=66m
