DESC="libreswan initiator configured for IKEv2 only, strongSwan responder for IKEv1 only, IPv6"
WIRE="only IKEv2 on the wire: libreswan's IKE_SA_INIT is answered by N(NO_PROPOSAL_CHOSEN); libreswan drops the answer as unexpected and re-sends at 0.5 s doubling, each copy answered the same way"
AF=6
L_VERSION=2
R_VERSION=1
L_IMPL=libreswan
IKE_VERSIONS='[2]'
DURATION=5
PING_COUNT=0
# the wire shows only IKEv2 refused with NO_PROPOSAL_CHOSEN, as a proposal mismatch would: the
# version mismatch is in strongSwan's log ("no IKE config found") alone
FINDINGS='[{"kind": "proposal_mismatch", "phase": "phase1", "also_ok": ["ike_version_mismatch"]}]'
FACTS='{"ike_sa_established": false}'
VERIFY_SIDE=right
VERIFY_RE='no IKE config found'
