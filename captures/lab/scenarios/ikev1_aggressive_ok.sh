DESC="IKEv1 Aggressive Mode, PSK, same proposals on both sides"
WIRE="Aggressive Mode (3 messages), Quick Mode (3), ESP both ways"
VERSION=1
AGGRESSIVE=yes
IKE_VERSIONS='[1]'
# strongSwan refuses Aggressive Mode with PSK as responder unless told otherwise
R_CHARON_EXTRA="  i_dont_care_about_security_and_use_aggressive_mode_psk = yes"
