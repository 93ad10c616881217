DESC="IKEv2, initiator proposes ecp256 first (then modp2048), responder accepts only modp2048"
WIRE="IKE_SA_INIT answered by N(INVALID_KE_PAYLOAD), retried with modp2048, success (healthy)"
L_IKE_PROP=aes128-sha256-ecp256-modp2048
R_IKE_PROP=aes128-sha256-modp2048
FACTS='{"ike_sa_established": true, "child_sa_established": true, "invalid_ke_retry": true}'
VERIFY_SIDE=right
VERIFY_RE='DH group .* unacceptable, requesting'
