//! The finding vocabulary and its JSON form.

use crate::reconstruct::{FrameRef, Model, Phase};
use serde::Serialize;
use std::net::IpAddr;

/// Evidence kept per finding at most (the summary states totals).
pub const MAX_EVIDENCE: usize = 24;

/// Severity of a finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The tunnel (or part of it) does not work.
    Error,
    /// Something is wrong but traffic may still flow.
    Warning,
    /// Healthy behaviour or context; never counted as a failure.
    Info,
}

/// How sure the finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    /// Seen on the wire (cleartext or decrypted).
    Certain,
    /// Inferred from sizes, timing, retransmissions or silence.
    Likely,
}

impl Confidence {
    /// `Certain` when the evidence was seen, else `Likely`.
    pub fn of(certain: bool) -> Confidence {
        if certain {
            Confidence::Certain
        } else {
            Confidence::Likely
        }
    }
}

/// The fixed vocabulary of finding kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// Proposals (phase 1 or 2) had nothing in common.
    ProposalMismatch,
    /// PSK or certificate authentication failed.
    AuthFailure,
    /// Requests retransmitted with no reply.
    NoResponse,
    /// Tunnel torn down and rebuilt on a cadence, or rekeys keep failing.
    RekeyFlap,
    /// Liveness checks unanswered, SA torn down and rebuilt, repeatedly.
    DpdFlap,
    /// Traffic selectors refused.
    TsMismatch,
    /// One side speaks IKEv1, the other IKEv2.
    IkeVersionMismatch,
    /// SAs up but ESP in one direction only.
    OneWayEsp,
    /// Silence starts at a message lost to IP fragmentation / path MTU.
    FragmentationLoss,
    /// NAT between the peers (info).
    NatDetected,
    /// IKEv2 COOKIE challenge (info).
    CookieChallenge,
    /// INVALID_KE_PAYLOAD answered by a successful retry (info).
    InvalidKeRetry,
    /// Healthy rekeys (info).
    Rekey,
    /// Weak algorithms offered or chosen (info).
    WeakCrypto,
    /// Peer implementation from its vendor IDs (info).
    PeerVendor,
    /// Traffic selectors of two tunnels through one gateway overlap (warning; needs keys).
    TsOverlap,
    /// Traffic selectors cover the reserved shared address space 100.64.0.0/10 (warning).
    TsReservedRange,
    /// Connections from one peer offer different IKE proposals or lifetimes (warning).
    ProposalInconsistent,
    /// A negotiation stopped and no rule explains why (error): the phase and last messages.
    NegotiationStalled,
    /// The capture ends in the middle of a first exchange, too soon to judge it (info).
    CaptureTooShort,
    /// The responder redirected the initiator to another gateway (RFC 5685) (info).
    Redirect,
    /// ESP ran at 80 % or more of the link capacity given with `--bandwidth` (warning).
    BandwidthSaturation,
    /// A BGP session inside the tunnel is not established at the end of the capture (error).
    BgpDown,
    /// A BGP session inside the tunnel went down and came back, or its hold timer expired (warning).
    BgpFlap,
    /// Large inner packets vanish while small ones pass: a path-MTU black hole (warning).
    MtuBlackhole,
    /// BGP peering addresses break the tunnel-address conventions (169.254.x.x/30 per tunnel,
    /// nothing in 100.64.0.0/10) (warning).
    TunnelAddressing,
    /// New IKE SA attempts that never go past their first exchange, toward one responder, far
    /// above its normal (warning).
    IkeFlood,
    /// Probes in the style of ike-scan: one exchange per SA, transform sets or identities
    /// enumerated (info; warning when an Aggressive Mode answer exposed a PSK hash).
    IkeScan,
    /// Authentication failures from many sources, or many identities from one (warning).
    AuthSpray,
}

impl FindingKind {
    /// The vocabulary string.
    pub fn as_str(self) -> &'static str {
        use FindingKind::*;
        match self {
            ProposalMismatch => "proposal_mismatch",
            AuthFailure => "auth_failure",
            NoResponse => "no_response",
            RekeyFlap => "rekey_flap",
            DpdFlap => "dpd_flap",
            TsMismatch => "ts_mismatch",
            IkeVersionMismatch => "ike_version_mismatch",
            OneWayEsp => "one_way_esp",
            FragmentationLoss => "fragmentation_loss",
            NatDetected => "nat_detected",
            CookieChallenge => "cookie_challenge",
            InvalidKeRetry => "invalid_ke_retry",
            Rekey => "rekey",
            WeakCrypto => "weak_crypto",
            PeerVendor => "peer_vendor",
            TsOverlap => "ts_overlap",
            TsReservedRange => "ts_reserved_range",
            ProposalInconsistent => "proposal_inconsistent",
            NegotiationStalled => "negotiation_stalled",
            CaptureTooShort => "capture_too_short",
            Redirect => "redirect",
            BandwidthSaturation => "bandwidth_saturation",
            BgpDown => "bgp_down",
            BgpFlap => "bgp_flap",
            MtuBlackhole => "mtu_blackhole",
            TunnelAddressing => "tunnel_addressing",
            IkeFlood => "ike_flood",
            IkeScan => "ike_scan",
            AuthSpray => "auth_spray",
        }
    }
}

/// One piece of evidence: a frame and what it shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// Input file.
    pub file: String,
    /// 1-based frame number.
    pub frame: u64,
    /// What this frame shows.
    pub note: String,
}

/// Another cause the capture alone cannot rule out, and what would settle it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Alternative {
    /// The finding kind this cause would be.
    #[serde(serialize_with = "ser_kind")]
    pub kind: FindingKind,
    /// The cause, in words.
    pub cause: String,
    /// What would tell it apart from the finding's own kind (keys, the other end's log, a
    /// capture elsewhere).
    pub settle: String,
}

/// A diagnosis with its evidence and fix.
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    /// Kind (vocabulary string in JSON).
    #[serde(serialize_with = "ser_kind")]
    pub kind: FindingKind,
    /// Id of the tunnel it is about (`<lower address>-<higher address>`).
    pub tunnel: String,
    /// `phase1`, `phase2` or null.
    pub phase: Option<Phase>,
    /// How bad: an error means the tunnel (or part of it) does not work, a warning that traffic
    /// may still flow, info is context.
    pub severity: Severity,
    /// Certain when the wire proves it (e.g. a decrypted notify), likely when it only fits.
    pub confidence: Confidence,
    /// Who initiated the failing negotiation.
    pub initiator: Option<IpAddr>,
    /// Who responded.
    pub responder: Option<IpAddr>,
    /// One line.
    pub summary: String,
    /// Evidence frames with notes (capped at [`MAX_EVIDENCE`]).
    pub evidence: Vec<Evidence>,
    /// Total evidence items before the cap.
    pub evidence_total: usize,
    /// The fix: which setting, on which end.
    pub fix: Option<String>,
    /// Structured details (offered proposals, intervals, counts...).
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    pub details: serde_json::Map<String, serde_json::Value>,
    /// Other causes the capture alone cannot rule out, most likely first (absent when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alternatives: Vec<Alternative>,
}

fn ser_kind<S: serde::Serializer>(k: &FindingKind, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(k.as_str())
}

impl Finding {
    /// A new finding with no evidence yet.
    pub fn new(kind: FindingKind, tunnel: &str, severity: Severity, confidence: Confidence) -> Self {
        Finding {
            kind,
            tunnel: tunnel.to_string(),
            phase: None,
            severity,
            confidence,
            initiator: None,
            responder: None,
            summary: String::new(),
            evidence: Vec::new(),
            evidence_total: 0,
            fix: None,
            details: serde_json::Map::new(),
            alternatives: Vec::new(),
        }
    }

    /// Set the phase and the two parties of the negotiation the finding is about.
    pub fn parties(&mut self, phase: Option<Phase>, initiator: IpAddr, responder: IpAddr) {
        self.phase = phase;
        self.initiator = Some(initiator);
        self.responder = Some(responder);
    }

    /// Add evidence (kept up to the cap; counted always).
    pub fn evidence(&mut self, model: &Model, at: FrameRef, note: impl Into<String>) {
        self.evidence_total += 1;
        if self.evidence.len() < MAX_EVIDENCE {
            let file = model.data.files.get(at.file).cloned().unwrap_or_default();
            let note = note.into();
            if !self
                .evidence
                .iter()
                .any(|e| e.file == file && e.frame == at.frame && e.note == note)
            {
                self.evidence.push(Evidence {
                    file,
                    frame: at.frame,
                    note,
                });
            }
        }
    }

    /// Add a detail value.
    pub fn detail(&mut self, key: &str, value: impl Serialize) {
        if let Ok(v) = serde_json::to_value(value) {
            self.details.insert(key.to_string(), v);
        }
    }

    /// Add another possible cause (kept once per kind, in the order added: most likely first).
    pub fn alternative(&mut self, kind: FindingKind, cause: impl Into<String>, settle: impl Into<String>) {
        if kind != self.kind && !self.alternatives.iter().any(|a| a.kind == kind) {
            self.alternatives.push(Alternative {
                kind,
                cause: cause.into(),
                settle: settle.into(),
            });
        }
    }

    /// True for error and warning findings (the ones that set exit status 1).
    pub fn is_failure(&self) -> bool {
        matches!(self.severity, Severity::Error | Severity::Warning)
    }
}
