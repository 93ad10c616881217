# shellcheck source=ike_scan_probe.sh
. "$LAB/scenarios/ike_scan_probe.sh"
DESC="ike-scan (Debian ike-scan 1.9) probes a libreswan IKEv1 responder (Aggressive Mode allowed): Main Mode with its default 8 legacy transforms, Aggressive Mode with 3 IPv4 identities 192.0.2.1/.99/.254 (the first the responder's PSK peer), 3 transform sets, IKEv2"
WIRE="one-exchange IKE SAs from 192.0.2.1 (random source port): pluto answers only the Aggressive Mode probe naming its PSK peer (AM2 with HASH_R, then drops the half-open state after 10 s); the other AM and MM probes get no answer (no connection for them), the IKEv2 IKE_SA_INIT an unencrypted N(NO_PROPOSAL_CHOSEN)"
FACTS='{"ike_sa_established": false, "psk_hash_exposed": true}'
VERIFY_RE='sent Aggressive Mode response'
VERSION=1               # libreswan: one IKE version per connection
R_IMPL=libreswan
R_CHARON_EXTRA=""
VERIFY_SIDE=right
