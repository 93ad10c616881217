DESC="IKEv2, CHILD rekey every 15 s, IKE rekey every 40 s, same proposals (PFS on neither side)"
WIRE="several healthy CREATE_CHILD_SA exchanges (CHILD and IKE rekeys), old SAs deleted, ESP throughout"
CHILD_REKEY=15s
IKE_REKEY=40s
RAND_TIME=0s
DURATION=50
PING_COUNT=25
PING_INTERVAL=2
FACTS='{"ike_sa_established": true, "child_sa_established": true, "lifetimes": {"child_rekey": 15, "ike_rekey": 40}}'
VERIFY_RE='inbound CHILD_SA net\{[2-9]\d*\} established|IKE_SA gw\[\d+\] rekeyed'
# only the initiator rekeys (no rekey collisions)
R_CHILD_REKEY=1h
R_IKE_REKEY=4h
