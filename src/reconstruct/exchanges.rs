//! Exchanges: requests matched to responses, retransmissions, round-trip times, and what each
//! exchange achieved as far as the wire (or a key table) shows.

use super::collect::FrameRef;
use crate::record::{IkeInfo, Record, Timestamp};
use std::net::IpAddr;

/// IKEv2 payload numbers used by the classification.
pub mod payload {
    /// IKEv2 SA.
    pub const SA: u8 = 33;
    /// IKEv2 KE.
    pub const KE: u8 = 34;
    /// IKEv2 IDi.
    pub const IDI: u8 = 35;
    /// IKEv2 IDr.
    pub const IDR: u8 = 36;
    /// IKEv2 AUTH.
    pub const AUTH: u8 = 39;
    /// IKEv2 Notify.
    pub const N: u8 = 41;
    /// IKEv2 Delete.
    pub const D: u8 = 42;
    /// IKEv2 TSi.
    pub const TSI: u8 = 44;
    /// IKEv2 TSr.
    pub const TSR: u8 = 45;
    /// IKEv2 SK.
    pub const SK: u8 = 46;
    /// IKEv2 EAP.
    pub const EAP: u8 = 48;
    /// IKEv2 SKF.
    pub const SKF: u8 = 53;
}

/// Notify types used by the diagnosis.
pub mod notify {
    /// INVALID_MAJOR_VERSION.
    pub const INVALID_MAJOR_VERSION: u16 = 5;
    /// NO_PROPOSAL_CHOSEN.
    pub const NO_PROPOSAL_CHOSEN: u16 = 14;
    /// PAYLOAD_MALFORMED (IKEv1).
    pub const PAYLOAD_MALFORMED: u16 = 16;
    /// INVALID_KE_PAYLOAD (IKEv2).
    pub const INVALID_KE_PAYLOAD: u16 = 17;
    /// INVALID_ID_INFORMATION (IKEv1).
    pub const INVALID_ID_INFORMATION: u16 = 18;
    /// INVALID_HASH_INFORMATION (IKEv1).
    pub const INVALID_HASH_INFORMATION: u16 = 23;
    /// AUTHENTICATION_FAILED.
    pub const AUTHENTICATION_FAILED: u16 = 24;
    /// TS_UNACCEPTABLE.
    pub const TS_UNACCEPTABLE: u16 = 38;
    /// INVALID_SELECTORS.
    pub const INVALID_SELECTORS: u16 = 39;
    /// COOKIE.
    pub const COOKIE: u16 = 16390;
    /// REDIRECT (RFC 5685).
    pub const REDIRECT: u16 = 16407;
    /// REKEY_SA.
    pub const REKEY_SA: u16 = 16393;
    /// IKEV2_FRAGMENTATION_SUPPORTED.
    pub const FRAGMENTATION_SUPPORTED: u16 = 16430;
    /// NAT_DETECTION_SOURCE_IP.
    pub const NAT_DETECTION_SOURCE_IP: u16 = 16388;
    /// NAT_DETECTION_DESTINATION_IP.
    pub const NAT_DETECTION_DESTINATION_IP: u16 = 16389;
    /// IKEv1 R-U-THERE.
    pub const R_U_THERE: u16 = 36136;
    /// IKEv1 R-U-THERE-ACK.
    pub const R_U_THERE_ACK: u16 = 36137;

    /// Error notifies are below 16384 (IKEv2) / 8192 (IKEv1 private range starts there).
    pub fn is_error(t: u16) -> bool {
        (1..16384).contains(&t)
    }
}

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

impl ExchangeKind {
    /// Phase the exchange belongs to: `phase1` (IKE SA) or `phase2` (CHILD/IPsec SA).
    pub fn phase(self) -> Option<&'static str> {
        use ExchangeKind::*;
        match self {
            IkeSaInit | IkeAuth | MainMode | AggressiveMode | IkeRekey => Some("phase1"),
            NewChild | ChildRekey | CreateChildSa | QuickMode => Some("phase2"),
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
    /// Where it is.
    pub at: FrameRef,
    /// When.
    pub time: Timestamp,
    /// Bitwise copy of an earlier message of the same exchange and direction.
    pub retransmit: bool,
}

/// A request and its response(s), or for IKEv1 phase 1 / Quick Mode the whole message sequence.
#[derive(Clone, Debug)]
pub struct Exchange {
    /// What it is.
    pub kind: ExchangeKind,
    /// Exchange type number.
    pub exchange_type: u8,
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
        exchange_type: u8,
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
pub fn notifies_of(ike: &IkeInfo) -> Vec<u16> {
    let mut v = ike.notify.clone();
    if let Some(d) = &ike.decrypted {
        v.extend(d.notify.iter().copied());
    }
    v
}

/// Payload chain of a message, decrypted inner chain when available.
pub fn inner_payloads(ike: &IkeInfo) -> Option<&[u8]> {
    ike.decrypted.as_deref().map(|d| d.payloads.as_slice())
}

/// First payload of the protected body: from decryption, else the SK/SKF next-payload field.
pub fn inner_first(ike: &IkeInfo) -> Option<u8> {
    if let Some(d) = &ike.decrypted {
        return Some(d.payloads.first().copied().unwrap_or(0));
    }
    ike.sk_inner_first
}

/// Classify an IKEv2 exchange from its first request (and, for CREATE_CHILD_SA, decryption).
pub fn classify_v2(req: &Record) -> ExchangeKind {
    let Some(ike) = req.ike.as_deref() else {
        return ExchangeKind::Other;
    };
    match ike.exchange {
        34 => ExchangeKind::IkeSaInit,
        35 => ExchangeKind::IkeAuth,
        36 => {
            if let Some(d) = &ike.decrypted {
                if d.notify.contains(&notify::REKEY_SA) {
                    ExchangeKind::ChildRekey
                } else if d.proposals.iter().any(|p| p.protocol == 1) {
                    ExchangeKind::IkeRekey
                } else {
                    ExchangeKind::NewChild
                }
            } else if ike.sk_inner_first == Some(payload::N) {
                // Implementations put N(REKEY_SA) first when rekeying a CHILD SA.
                ExchangeKind::ChildRekey
            } else {
                ExchangeKind::CreateChildSa
            }
        }
        37 => match inner_first(ike) {
            Some(0) => ExchangeKind::Liveness,
            Some(payload::D) => ExchangeKind::Delete,
            _ => ExchangeKind::Informational,
        },
        _ => ExchangeKind::Other,
    }
}

/// Largest IKE_AUTH response (bytes) read as a lone error notify when it cannot be decrypted:
/// header, SK header, IV, one Notify with a little data, padding and ICV.
pub const MAX_LONE_NOTIFY_RESPONSE: u32 = 160;

/// How an IKE_AUTH response reads: `Some(false)` the responder refused (AUTHENTICATION_FAILED, or
/// an error without AUTH; without keys a small response whose protected body starts with a
/// Notify), `Some(true)` it authenticated itself (AUTH present; without keys anything else but an
/// EAP round), `None` undecided (an EAP round in progress).
pub fn auth_response(ike: &IkeInfo) -> Option<bool> {
    match ike.decrypted.as_deref() {
        Some(d) => {
            if d.notify.contains(&notify::AUTHENTICATION_FAILED)
                || (!d.payloads.contains(&payload::AUTH) && d.notify.iter().any(|n| notify::is_error(*n)))
            {
                Some(false)
            } else if d.payloads.contains(&payload::AUTH) {
                Some(true)
            } else {
                None
            }
        }
        None => match inner_first(ike) {
            Some(payload::N) if ike.length <= MAX_LONE_NOTIFY_RESPONSE => Some(false),
            Some(payload::EAP) | Some(0) | None => None,
            // IDr, AUTH, CERT, or a vendor ID first (as Cisco sends).
            Some(_) => Some(true),
        },
    }
}
