//! The fix for each cause, in the words of the field's cause table: which setting, on which
//! end. A tunnel is a negotiation, so almost every fix is "make both ends agree".

/// Phase 1 crypto (IKE proposal) mismatch.
pub const IKE_CRYPTO: &str = "IKE crypto mismatch: align the IKE (phase 1) encryption, integrity/PRF and \
Diffie-Hellman group on both ends to one policy; matching means identical on both ends, not a default on one.";
/// Phase 2 crypto or PFS mismatch.
pub const IPSEC_CRYPTO: &str = "IPsec crypto or PFS mismatch: align the ESP (phase 2) encryption, integrity \
and PFS group on both ends to one policy.";
/// Pre-shared key or certificate problem.
pub const AUTH: &str = "Wrong or rotated pre-shared key (or an untrusted certificate / ID mismatch): set an \
identical key string on both ends (or fix the certificate trust and the IDs each end expects).";
/// EAP authentication of a user refused.
pub const EAP: &str = "EAP authentication refused: check the user name and password (or certificate) the \
client sends, and the responder's user database (strongSwan: the eap secrets, or the RADIUS server behind \
eap-radius); many user names failing from one source or many sources is a password spray (auth_spray).";
/// Traffic selector / proxy-ID mismatch.
pub const TS: &str = "Traffic selector or policy-based mismatch: make the local/remote subnets (proxy IDs) \
mirror each other on both ends (one end's local is the other's remote); with a route-based end facing a \
policy-based one, enable policy-based selectors on the route-based side.";
/// Path blocked.
pub const PATH: &str =
    "Firewall or NAT blocking the path: permit UDP 500 and UDP 4500 (and ESP, IP protocol \
50) in both directions between the two gateways on the responder's side and the path to it; check the \
peer address configured on the initiator.";
/// Silence after the first exchange.
pub const PATH_AFTER_INIT: &str = "The peer answers the first exchange and then goes silent: UDP 4500 is \
likely blocked after the NAT-T float (permit UDP 4500 both ways), or the next message is too large for \
the path (see fragmentation); if neither, check the pre-shared key on both ends.";
/// Fragmentation loss.
pub const FRAGMENTATION: &str = "Large IKE messages are lost to IP fragmentation: enable IKEv2 \
fragmentation (RFC 7383, e.g. strongSwan fragmentation=yes) on both ends, or let IP fragments of UDP \
500/4500 through the path (firewall/NAT on the responder's side), or lower the IKE MTU / certificate \
chain size.";
/// Rekey flap.
pub const REKEY_FLAP: &str = "Rekey flap: align SA lifetimes and the rekey proposal on both ends - the \
crypto policy (including the PFS group) used at rekey must be the one that succeeds at the initial \
handshake on both ends.";
/// DPD flap.
pub const DPD_FLAP: &str = "DPD flap: the path between the peers drops packets for longer than the DPD \
timeout; fix the path (both directions of UDP 4500/500 and ESP), and align DPD delay/timeout on both ends \
so a short outage does not tear the tunnel down. Expect no liveness checks while traffic flows (strongSwan \
sends them only after dpd_delay of silence from the peer) and, from Palo Alto, only when a phase-2 rekey \
triggers one.";
/// Version mismatch.
pub const VERSION: &str = "IKE version mismatch: configure the same IKE version (IKEv1 or IKEv2) for this \
peer on both ends.";
/// One-way ESP.
pub const ONE_WAY: &str = "The SAs are up and one end sends no ESP: on the silent end check that routes \
(or BGP) send the return traffic into the tunnel and that its policy/selectors include the subnets; \
check that the path passes ESP (IP 50 / UDP 4500) from it.";
/// Weak crypto.
pub const WEAK: &str = "Replace weak algorithms with AES-GCM/AES-CBC with SHA-256 or better and DH group 14 \
or stronger (19/20/31) on both ends.";
/// Answers lost on the way back.
pub const RETURN_PATH: &str = "The responder answers but the answers do not reach the initiator: look \
for asymmetric routing, a NAT that does not map the answers back, or a firewall dropping UDP 500/4500 \
towards the initiator on the return path.";
/// IKE_SA_INIT flood.
pub const FLOOD: &str = "IKE_SA_INIT flood: make the responder challenge new initiators with COOKIEs \
early (strongSwan charon.cookie_threshold, e.g. 10 half-open SAs, and charon.block_threshold per source; \
IKEv2 only), limit half-open SAs (charon.init_limit_half_open) and rate-limit UDP 500/4500 per source in \
front of the gateway; filter the dominant sources upstream when they are not spoofed.";
/// ike-scan style probing.
pub const SCAN: &str = "IKE probing: answer only known peers (restrict UDP 500/4500 to their addresses \
where the peers are fixed), disable IKEv1 Aggressive Mode and the legacy transforms the probes offer \
(DES, 3DES, MD5, modp768/modp1024), and suppress vendor IDs that name the implementation.";
/// Password spray / PSK guessing.
pub const SPRAY: &str = "Authentication spraying: rate-limit and block sources after repeated failures \
(fail2ban-style on the daemon log), use certificate or EAP-TLS authentication instead of passwords and \
group PSKs, and disable IKEv1 Aggressive Mode (its answer hands out a hash of the PSK for offline cracking).";
