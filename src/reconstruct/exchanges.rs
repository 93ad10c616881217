//! Exchanges: requests matched to responses, retransmissions, round-trip times, and what each
//! exchange achieved as far as the wire (or a key table) shows.

use super::collect::FrameRef;
use crate::record::{IkeInfo, Record, Timestamp};
use ikescope_parsers::iana::{ExchangeType, NotifyType, PayloadType, ProtocolId};
use std::net::IpAddr;

/// What an exchange is, as far as can be told.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExchangeKind {
    /// IKEv2 IKE_SA_INIT.
    IkeSaInit,
    /// IKEv2 IKE_AUTH.
    IkeAuth,
    /// IKEv2 CREATE_CHILD_SA creating a new CHILD SA.
    NewChild,
    /// IKEv2 CREATE_CHILD_SA rekeying a CHILD SA.
    ChildRekey,
    /// IKEv2 CREATE_CHILD_SA rekeying the IKE SA.
    IkeRekey,
    /// IKEv2 CREATE_CHILD_SA whose purpose is hidden by encryption.
    CreateChildSa,
    /// IKEv2 INFORMATIONAL with an empty body: a liveness (DPD) check.
    Liveness,
    /// IKEv2 INFORMATIONAL carrying a Delete.
    Delete,
    /// IKEv2 INFORMATIONAL with a notify or other content.
    Informational,
    /// IKEv1 Main Mode.
    MainMode,
    /// IKEv1 Aggressive Mode.
    AggressiveMode,
    /// IKEv1 Quick Mode.
    QuickMode,
    /// IKEv1 Informational (one message, no reply expected).
    V1Informational,
    /// IKEv1 Transaction (Mode-Config/XAUTH).
    Transaction,
    /// Anything else.
    Other,
}

/// The negotiation phase an exchange or finding belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// The IKE SA itself: IKE_SA_INIT, IKE_AUTH, IKE SA rekeys; IKEv1 Main and Aggressive Mode.
    Phase1,
    /// CHILD SAs: CREATE_CHILD_SA; IKEv1 Quick Mode.
    Phase2,
}

impl Phase {
    /// The JSON and text spelling: `phase1`, `phase2`.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Phase1 => "phase1",
            Phase::Phase2 => "phase2",
        }
    }
}

impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl ExchangeKind {
    /// Phase the exchange belongs to: `phase1` (IKE SA) or `phase2` (CHILD/IPsec SA).
    pub fn phase(self) -> Option<Phase> {
        use ExchangeKind::*;
        match self {
            IkeSaInit | IkeAuth | MainMode | AggressiveMode | IkeRekey => Some(Phase::Phase1),
            NewChild | ChildRekey | CreateChildSa | QuickMode => Some(Phase::Phase2),
            _ => None,
        }
    }

    /// Human name.
    pub fn label(self) -> &'static str {
        use ExchangeKind::*;
        match self {
            IkeSaInit => "IKE_SA_INIT",
            IkeAuth => "IKE_AUTH",
            NewChild => "CREATE_CHILD_SA (new CHILD SA)",
            ChildRekey => "CREATE_CHILD_SA (CHILD SA rekey)",
            IkeRekey => "CREATE_CHILD_SA (IKE SA rekey)",
            CreateChildSa => "CREATE_CHILD_SA",
            Liveness => "INFORMATIONAL (liveness check)",
            Delete => "INFORMATIONAL (Delete)",
            Informational => "INFORMATIONAL",
            MainMode => "Main Mode",
            AggressiveMode => "Aggressive Mode",
            QuickMode => "Quick Mode",
            V1Informational => "Informational",
            Transaction => "Transaction (Mode-Config/XAUTH)",
            Other => "exchange",
        }
    }
}

/// One IKE message as placed in an exchange.
#[derive(Clone, Copy, Debug)]
pub struct MsgRef {
    /// Index into the collected IKE records.
    pub index: usize,
    /// The input file and frame it was captured in.
    pub at: FrameRef,
    /// Capture time.
    pub time: Timestamp,
    /// Bitwise copy of an earlier message of the same exchange and direction.
    pub retransmit: bool,
}

/// A request and its response(s), or for IKEv1 phase 1 / Quick Mode the whole message sequence.
#[derive(Clone, Debug)]
pub struct Exchange {
    /// What it is.
    pub kind: ExchangeKind,
    /// Exchange type.
    pub exchange_type: ExchangeType,
    /// Message ID.
    pub message_id: u32,
    /// Who sent the request (IKEv1: the first message).
    pub requester: IpAddr,
    /// Who answers.
    pub responder: IpAddr,
    /// Requester's messages (IKEv1: initiator-side messages), with retransmissions.
    pub requests: Vec<MsgRef>,
    /// Responder's messages.
    pub responses: Vec<MsgRef>,
    /// Round-trip time from the first request to the first response, seconds.
    pub rtt: Option<f64>,
}

impl Exchange {
    /// A new exchange with no messages yet.
    pub fn new(
        kind: ExchangeKind,
        exchange_type: ExchangeType,
        message_id: u32,
        requester: IpAddr,
        responder: IpAddr,
    ) -> Self {
        Exchange {
            kind,
            exchange_type,
            message_id,
            requester,
            responder,
            requests: Vec::new(),
            responses: Vec::new(),
            rtt: None,
        }
    }

    /// The same exchange with `m` as its first request.
    pub fn with_request(mut self, m: MsgRef) -> Self {
        self.requests.push(m);
        self
    }

    /// Number of retransmitted requests.
    pub fn request_retransmits(&self) -> usize {
        self.requests.iter().filter(|m| m.retransmit).count()
    }

    /// Distinct (non-retransmitted) request messages.
    pub fn distinct_requests(&self) -> impl Iterator<Item = &MsgRef> {
        self.requests.iter().filter(|m| !m.retransmit)
    }

    /// Distinct responses.
    pub fn distinct_responses(&self) -> impl Iterator<Item = &MsgRef> {
        self.responses.iter().filter(|m| !m.retransmit)
    }

    /// True when no response at all was seen.
    pub fn unanswered(&self) -> bool {
        self.responses.is_empty()
    }

    /// First message time.
    pub fn start(&self) -> Timestamp {
        let a = self.requests.first().map(|m| m.time);
        let b = self.responses.first().map(|m| m.time);
        match (a, b) {
            (Some(a), Some(b)) => a.min(b),
            (Some(a), None) | (None, Some(a)) => a,
            (None, None) => Timestamp::default(),
        }
    }

    /// Last message time.
    pub fn end(&self) -> Timestamp {
        self.requests
            .iter()
            .chain(self.responses.iter())
            .map(|m| m.time)
            .max()
            .unwrap_or_default()
    }

    /// Seconds between successive copies of the first request (retransmission back-off).
    pub fn backoff(&self) -> Vec<f64> {
        let first_digest_times: Vec<Timestamp> = self.requests.iter().map(|m| m.time).collect();
        first_digest_times
            .windows(2)
            .map(|w| w[1].secs_since(w[0]))
            .filter(|d| *d > 0.05)
            .collect()
    }
}

/// Notify types visible in a message: clear ones, plus decrypted ones.
pub fn notifies_of(ike: &IkeInfo) -> Vec<NotifyType> {
    let mut v = ike.notify.clone();
    if let Some(d) = &ike.decrypted {
        v.extend(d.notify.iter().copied());
    }
    v
}

/// Payload chain of a message, decrypted inner chain when available.
pub fn inner_payloads(ike: &IkeInfo) -> Option<&[PayloadType]> {
    ike.decrypted.as_deref().map(|d| d.payloads.as_slice())
}

/// First payload of the protected body: from decryption, else the SK/SKF next-payload field.
pub fn inner_first(ike: &IkeInfo) -> Option<PayloadType> {
    if let Some(d) = &ike.decrypted {
        return Some(d.payloads.first().copied().unwrap_or(PayloadType::NONE));
    }
    ike.sk_inner_first
}

/// Classify an IKEv2 exchange from its first request (and, for CREATE_CHILD_SA, decryption).
pub fn classify_v2(req: &Record) -> ExchangeKind {
    let Some(ike) = req.ike.as_deref() else {
        return ExchangeKind::Other;
    };
    match ike.exchange {
        ExchangeType::IKE_SA_INIT => ExchangeKind::IkeSaInit,
        ExchangeType::IKE_AUTH => ExchangeKind::IkeAuth,
        ExchangeType::CREATE_CHILD_SA => {
            if let Some(d) = &ike.decrypted {
                if d.notify.contains(&NotifyType::V2_REKEY_SA) {
                    ExchangeKind::ChildRekey
                } else if d.proposals.iter().any(|p| p.protocol == ProtocolId::IKE) {
                    ExchangeKind::IkeRekey
                } else {
                    ExchangeKind::NewChild
                }
            } else if ike.sk_inner_first == Some(PayloadType::V2_N) {
                // Implementations put N(REKEY_SA) first when rekeying a CHILD SA.
                ExchangeKind::ChildRekey
            } else {
                ExchangeKind::CreateChildSa
            }
        }
        ExchangeType::INFORMATIONAL => match inner_first(ike) {
            Some(PayloadType::NONE) => ExchangeKind::Liveness,
            Some(PayloadType::V2_D) => ExchangeKind::Delete,
            _ => ExchangeKind::Informational,
        },
        _ => ExchangeKind::Other,
    }
}

/// Largest IKE_AUTH response (bytes) read as a lone error notify when it cannot be decrypted:
/// header, SK header, IV, one Notify with a little data, padding and ICV.
pub const MAX_LONE_NOTIFY_RESPONSE: u32 = 160;

/// Minimum shortfall (bytes) of an encrypted IKE_AUTH response against its request for the
/// CHILD SA payloads (SA, TSi, TSr) to be judged missing: the response authenticates, but a
/// responder that accepted the CHILD SA would answer with payloads about as large as the offer.
pub const CHILD_PAYLOADS_MIN_BYTES: u32 = 96;

/// Without keys: an IKE_AUTH response of `response_len` bytes to a request of `request_len`
/// bytes is too short to carry the CHILD SA (see [`CHILD_PAYLOADS_MIN_BYTES`]).
pub fn auth_response_lacks_child(request_len: u32, response_len: u32) -> bool {
    response_len + CHILD_PAYLOADS_MIN_BYTES <= request_len
}

/// How an IKE_AUTH response reads: `Some(false)` the responder refused (AUTHENTICATION_FAILED,
/// an EAP Failure, or an error without AUTH; without keys a small response whose protected body starts with a
/// Notify), `Some(true)` it authenticated itself (AUTH present; without keys anything else but an
/// EAP round), `None` undecided (an EAP round in progress).
pub fn auth_response(ike: &IkeInfo) -> Option<bool> {
    match ike.decrypted.as_deref() {
        Some(d) => {
            let has_auth = d.payloads.contains(&PayloadType::V2_AUTH);
            if d.notify.contains(&NotifyType::V2_AUTHENTICATION_FAILED)
                || (!has_auth && d.notify.iter().any(|n| n.is_error()))
                || d.eap.iter().any(|e| e.is_failure())
            {
                Some(false)
            } else if has_auth {
                Some(true)
            } else {
                None
            }
        }
        None => match inner_first(ike) {
            Some(PayloadType::V2_N) if ike.length <= MAX_LONE_NOTIFY_RESPONSE => Some(false),
            Some(PayloadType::V2_EAP) | Some(PayloadType::NONE) | None => None,
            // IDr, AUTH, CERT, or a vendor ID first (as Cisco sends).
            Some(_) => Some(true),
        },
    }
}
