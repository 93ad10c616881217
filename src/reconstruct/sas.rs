//! IKE SAs keyed by IKEv1 cookies / IKEv2 SPIs, their exchanges, and what they reached.

use super::collect::FrameRef;
use super::exchanges::{auth_response, classify_v2, notifies_of, Exchange, ExchangeKind, MsgRef};
use crate::record::{Record, Spi8, Timestamp};
use foldhash::HashMap;
use ikescope_parsers::iana::{ExchangeType, IkeVersion, NotifyType, PayloadType};
use std::net::IpAddr;

/// How far an IKE SA got.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SaState {
    /// Only the first request(s) seen, never answered.
    NoResponse,
    /// The first exchange (IKE_SA_INIT / MM1-MM4 / AM1-AM2) was answered but authentication did
    /// not complete.
    Negotiating,
    /// The responder refused the first exchange (NO_PROPOSAL_CHOSEN, INVALID_KE, ...).
    Refused,
    /// Authentication failed.
    AuthFailed,
    /// The IKE SA was established.
    Established,
    /// Seen only in the middle of its life (the capture started after it was set up).
    Midstream,
}

/// A CHILD SA / IPsec SA creation seen on the wire.
#[derive(Clone, Debug)]
pub struct ChildSa {
    /// Index of the IKE SA.
    pub ike_sa: usize,
    /// Index of the creating exchange within that SA.
    pub exchange: usize,
    /// How it was created.
    pub kind: ExchangeKind,
    /// When (the response).
    pub time: Timestamp,
    /// Frame of the response.
    pub at: FrameRef,
    /// ESP SPIs, when known (decrypted or IKEv1 cleartext); lowercase hex.
    pub spis: Vec<u32>,
    /// The creation is inferred (encrypted exchange, no keys) rather than seen.
    pub inferred: bool,
    /// Known ESP flow keys (src, dst, spi) attributed to it.
    pub esp: Vec<(IpAddr, IpAddr, u32)>,
}

/// One IKE SA (IKEv1 ISAKMP SA or IKEv2 IKE SA).
#[derive(Clone, Debug)]
pub struct IkeSa {
    /// Index in the model.
    pub id: usize,
    /// Tunnel index.
    pub tunnel: usize,
    /// IKE version (a message whose major version is not 1 is counted as IKEv2).
    pub version: IkeVersion,
    /// Initiator SPI / cookie.
    pub spi_i: Spi8,
    /// Responder SPI / cookie (last non-zero seen).
    pub spi_r: Spi8,
    /// Original initiator.
    pub initiator: IpAddr,
    /// Original responder.
    pub responder: IpAddr,
    /// Exchanges in order of their first message.
    pub exchanges: Vec<Exchange>,
    /// Time of the first message.
    pub first: Timestamp,
    /// Time of the last message.
    pub last: Timestamp,
    /// How far it got.
    pub state: SaState,
    /// When it was established (response completing authentication).
    pub established: Option<(Timestamp, FrameRef)>,
    /// The IKE SA this one rekeyed (IKEv2 CREATE_CHILD_SA IKE rekey).
    pub rekey_of: Option<usize>,
    /// Indices of all IKE messages of this SA.
    pub messages: Vec<usize>,
    /// Answered liveness checks not kept as messages (see `reconstruct::liveness`): the first
    /// and the latest answered check of the SA are among `exchanges`, these were between them.
    pub liveness_folded: u64,
}

impl IkeSa {
    /// The IKEv1 phase-1 exchange (Main or Aggressive Mode) with its index, when there is one.
    pub fn v1_phase1(&self) -> Option<(usize, &Exchange)> {
        self.exchanges
            .iter()
            .enumerate()
            .find(|(_, e)| matches!(e.kind, ExchangeKind::MainMode | ExchangeKind::AggressiveMode))
    }

    /// The exchanges of one kind.
    pub fn exchanges_of(&self, kind: ExchangeKind) -> impl Iterator<Item = (usize, &Exchange)> {
        self.exchanges
            .iter()
            .enumerate()
            .filter(move |(_, e)| e.kind == kind)
    }

    /// The first exchange.
    pub fn first_exchange(&self) -> Option<&Exchange> {
        self.exchanges.first()
    }
}

fn msg_ref(r: &Record, index: usize, retransmit: bool) -> MsgRef {
    MsgRef {
        index,
        at: FrameRef {
            file: r.file_index,
            frame: r.frame,
        },
        time: r.time,
        retransmit,
    }
}

/// Group time-ordered IKE messages of one tunnel into IKE SAs with exchanges.
/// `order` holds indices into `records`, in time order.
pub fn build_sas(records: &[Record], order: &[usize], tunnel: usize, first_id: usize) -> Vec<IkeSa> {
    let mut sas: Vec<IkeSa> = Vec::new();
    let mut by_key: HashMap<(IkeVersion, Spi8), usize> = HashMap::default();
    // (SA, message ID, exchange type, requester) → latest exchange: finding the exchange a
    // message belongs to stays O(1) however many exchanges an SA has (years of DPD).
    let mut latest: HashMap<ExchangeKey, usize> = HashMap::default();
    for &i in order {
        let r = &records[i];
        let Some(ike) = r.ike.as_deref() else { continue };
        let version = match ike.ike_version() {
            Some(IkeVersion::V1) => IkeVersion::V1,
            _ => IkeVersion::V2,
        };
        let key = (version, ike.spi_i);
        let sa_index = *by_key.entry(key).or_insert_with(|| {
            let (initiator, responder) = if ike.initiator {
                (r.src, r.dst)
            } else {
                (r.dst, r.src)
            };
            sas.push(IkeSa {
                id: first_id + sas.len(),
                tunnel,
                version,
                spi_i: ike.spi_i,
                spi_r: ike.spi_r,
                initiator,
                responder,
                exchanges: Vec::new(),
                first: r.time,
                last: r.time,
                state: SaState::NoResponse,
                established: None,
                rekey_of: None,
                messages: Vec::new(),
                liveness_folded: 0,
            });
            sas.len() - 1
        });
        let sa = &mut sas[sa_index];
        sa.last = sa.last.max(r.time);
        if !ike.spi_r.is_zero() {
            sa.spi_r = ike.spi_r;
        }
        sa.messages.push(i);
        if version == IkeVersion::V2 {
            place_v2(sa, sa_index, &mut latest, records, i);
        } else {
            place_v1(sa, sa_index, &mut latest, records, i);
        }
    }
    for sa in &mut sas {
        sa.state = if sa.version == IkeVersion::V2 {
            state_v2(sa, records)
        } else {
            state_v1(sa, records)
        };
    }
    sas
}

/// (SA index, message ID, exchange type, requester; `None` for IKEv1, matched without it).
type ExchangeKey = (usize, u32, ExchangeType, Option<IpAddr>);

/// Append an exchange to the SA and make it the latest one for `key`; returns its index.
fn push_exchange(
    sa: &mut IkeSa,
    latest: &mut HashMap<ExchangeKey, usize>,
    key: ExchangeKey,
    e: Exchange,
) -> usize {
    sa.exchanges.push(e);
    latest.insert(key, sa.exchanges.len() - 1);
    sa.exchanges.len() - 1
}

fn place_v2(
    sa: &mut IkeSa,
    sa_index: usize,
    latest: &mut HashMap<ExchangeKey, usize>,
    records: &[Record],
    i: usize,
) {
    let r = &records[i];
    let ike = r.ike.as_deref().expect("ike record");
    let requester_is_orig_init = if ike.response {
        !ike.initiator
    } else {
        ike.initiator
    };
    let (requester, responder) = if requester_is_orig_init {
        (sa.initiator, sa.responder)
    } else {
        (sa.responder, sa.initiator)
    };
    // The latest exchange with the same message id, type and requester.
    let key = (sa_index, ike.message_id, ike.exchange, Some(requester));
    let pos = latest.get(&key).copied();
    if !ike.response {
        if let Some(p) = pos {
            let e = &sa.exchanges[p];
            let same = e
                .requests
                .iter()
                .any(|m| records[m.index].ike.as_ref().map(|x| x.digest) == Some(ike.digest));
            // A different request after a response is a new attempt (COOKIE / INVALID_KE retry).
            if same || e.responses.is_empty() {
                let e = &mut sa.exchanges[p];
                e.requests.push(msg_ref(r, i, same));
                return;
            }
        }
        let e = Exchange::new(classify_v2(r), ike.exchange, ike.message_id, requester, responder)
            .with_request(msg_ref(r, i, false));
        push_exchange(sa, latest, key, e);
    } else {
        let p = match pos {
            Some(p) => p,
            None => {
                let e = Exchange::new(classify_v2(r), ike.exchange, ike.message_id, requester, responder);
                push_exchange(sa, latest, key, e)
            }
        };
        let e = &mut sa.exchanges[p];
        let same = e
            .responses
            .iter()
            .any(|m| records[m.index].ike.as_ref().map(|x| x.digest) == Some(ike.digest));
        if e.responses.is_empty() {
            if let Some(q) = e.requests.first() {
                e.rtt = Some(r.time.secs_since(q.time));
            }
        }
        e.responses.push(msg_ref(r, i, same));
    }
}

fn v1_kind(exchange: ExchangeType) -> ExchangeKind {
    match exchange {
        ExchangeType::MAIN_MODE => ExchangeKind::MainMode,
        ExchangeType::AGGRESSIVE => ExchangeKind::AggressiveMode,
        ExchangeType::QUICK_MODE => ExchangeKind::QuickMode,
        ExchangeType::INFORMATIONAL_V1 => ExchangeKind::V1Informational,
        ExchangeType::TRANSACTION => ExchangeKind::Transaction,
        _ => ExchangeKind::Other,
    }
}

fn place_v1(
    sa: &mut IkeSa,
    sa_index: usize,
    latest: &mut HashMap<ExchangeKey, usize>,
    records: &[Record],
    i: usize,
) {
    let r = &records[i];
    let ike = r.ike.as_deref().expect("ike record");
    let kind = v1_kind(ike.exchange);
    if kind == ExchangeKind::V1Informational {
        // One-way notification: its own exchange, sender = requester.
        sa.exchanges.push(
            Exchange::new(kind, ike.exchange, ike.message_id, r.src, r.dst)
                .with_request(msg_ref(r, i, false)),
        );
        return;
    }
    let key = (sa_index, ike.message_id, ike.exchange, None);
    let pos = latest.get(&key).copied();
    let p = match pos {
        Some(p) => p,
        None => {
            // Phase 1 requester is the ISAKMP initiator; Quick Mode / Transaction requester is
            // whoever sent the first message with this message id.
            let requester = if matches!(kind, ExchangeKind::MainMode | ExchangeKind::AggressiveMode) {
                sa.initiator
            } else {
                r.src
            };
            let responder = if requester == sa.initiator {
                sa.responder
            } else {
                sa.initiator
            };
            let e = Exchange::new(kind, ike.exchange, ike.message_id, requester, responder);
            push_exchange(sa, latest, key, e)
        }
    };
    let e = &mut sa.exchanges[p];
    let from_requester = r.src == e.requester;
    let list = if from_requester { &e.requests } else { &e.responses };
    let same = list
        .iter()
        .any(|m| records[m.index].ike.as_ref().map(|x| x.digest) == Some(ike.digest));
    if from_requester {
        e.requests.push(msg_ref(r, i, same));
    } else {
        if e.responses.is_empty() {
            if let Some(q) = e.requests.first() {
                e.rtt = Some(r.time.secs_since(q.time));
            }
        }
        e.responses.push(msg_ref(r, i, same));
    }
}

fn state_v2(sa: &mut IkeSa, records: &[Record]) -> SaState {
    let Some(first) = sa.exchanges.first() else {
        return SaState::NoResponse;
    };
    if first.kind != ExchangeKind::IkeSaInit {
        // Seen mid-life (capture started later, or a rekeyed IKE SA).
        let start = first.start();
        let at = first
            .requests
            .first()
            .or(first.responses.first())
            .map(|m| m.at)
            .unwrap_or(FrameRef { file: 0, frame: 0 });
        sa.established = Some((start, at));
        return SaState::Midstream;
    }
    // The last IKE_SA_INIT attempt decides phase-1 setup.
    let inits: Vec<&Exchange> = sa.exchanges_of(ExchangeKind::IkeSaInit).map(|(_, e)| e).collect();
    let last_init = inits[inits.len() - 1];
    let Some(resp) = last_init.responses.first() else {
        return if inits.iter().any(|e| !e.unanswered()) {
            SaState::Refused
        } else {
            SaState::NoResponse
        };
    };
    let resp_ike = records[resp.index].ike.as_deref().expect("ike");
    if !resp_ike.payloads.contains(&PayloadType::V2_SA) {
        return SaState::Refused;
    }
    // IKE_AUTH rounds in order (several with EAP); the last response decides, so an EAP round
    // that authenticated the responder and a final refusal end as a failure.
    let mut state = SaState::Negotiating;
    for e in sa.exchanges.iter().filter(|e| e.kind == ExchangeKind::IkeAuth) {
        // The message that speaks for the response: the decrypted one (a reassembled SKF set
        // is attached to its completing fragment), else the first fragment / whole message.
        let ike_of = |m: &&MsgRef| records[m.index].ike.as_deref().expect("ike");
        let Some(m) = e
            .distinct_responses()
            .filter(|m| ike_of(m).decrypted.is_some())
            .last()
            .or_else(|| {
                e.distinct_responses()
                    .filter(|m| ike_of(m).fragment.as_ref().is_none_or(|f| f.number == 1))
                    .last()
            })
        else {
            continue;
        };
        let ike = ike_of(&m);
        let verdict = auth_response(ike);
        let (refused, authenticated) = (verdict == Some(false), verdict == Some(true));
        if refused {
            state = SaState::AuthFailed;
        } else if authenticated {
            if sa.established.is_none() {
                sa.established = Some((m.time, m.at));
            }
            state = SaState::Established;
        }
    }
    if state == SaState::AuthFailed {
        sa.established = None;
    }
    // Any later exchange (CREATE_CHILD_SA, INFORMATIONAL) answered proves the SA is up.
    if matches!(state, SaState::Negotiating | SaState::AuthFailed) {
        if let Some(e) = sa
            .exchanges
            .iter()
            .find(|e| !matches!(e.kind, ExchangeKind::IkeSaInit | ExchangeKind::IkeAuth) && !e.unanswered())
        {
            sa.established = Some((e.start(), e.responses[0].at));
            state = SaState::Established;
        }
    }
    state
}

fn state_v1(sa: &mut IkeSa, records: &[Record]) -> SaState {
    let Some(p1) = sa
        .exchanges
        .iter()
        .find(|e| matches!(e.kind, ExchangeKind::MainMode | ExchangeKind::AggressiveMode))
    else {
        if let Some(e) = sa.exchanges.first() {
            if e.kind == ExchangeKind::QuickMode || e.kind == ExchangeKind::Transaction {
                let at = e.requests.first().or(e.responses.first()).map(|m| m.at);
                if let Some(at) = at {
                    sa.established = Some((e.start(), at));
                }
                return SaState::Midstream;
            }
        }
        return SaState::NoResponse;
    };
    let init_msgs = p1.distinct_requests().count();
    let resp_msgs: Vec<&MsgRef> = p1.distinct_responses().collect();
    let aggressive = p1.kind == ExchangeKind::AggressiveMode;
    // A phase-2 or mode-config exchange that got an answer proves phase 1 completed.
    let later_answered = sa
        .exchanges
        .iter()
        .find(|e| matches!(e.kind, ExchangeKind::QuickMode | ExchangeKind::Transaction) && !e.unanswered());
    let done = if aggressive {
        init_msgs >= 2 && !resp_msgs.is_empty()
    } else {
        resp_msgs.len() >= 3
    };
    if done || later_answered.is_some() {
        let at = if aggressive {
            p1.distinct_requests().nth(1).map(|m| (m.time, m.at))
        } else {
            resp_msgs.get(2).map(|m| (m.time, m.at))
        };
        sa.established = at.or_else(|| later_answered.map(|e| (e.start(), e.responses[0].at)));
        return SaState::Established;
    }
    // Errors from the responder in a phase-1 Informational.
    let responder_infos: Vec<&Exchange> = sa
        .exchanges
        .iter()
        .filter(|e| e.kind == ExchangeKind::V1Informational && e.requester == sa.responder)
        .collect();
    let clear_notes: Vec<NotifyType> = responder_infos
        .iter()
        .flat_map(|e| e.requests.iter())
        .flat_map(|m| notifies_of(records[m.index].ike.as_deref().expect("ike")))
        .collect();
    if resp_msgs.is_empty() {
        // Message 1 refused outright with AUTHENTICATION-FAILED (strongSwan refusing Aggressive
        // Mode with a pre-shared key): the responder will not authenticate this peer this way.
        if clear_notes.contains(&NotifyType::V1_AUTHENTICATION_FAILED) {
            return SaState::AuthFailed;
        }
        if clear_notes.iter().any(|n| n.is_error()) || !responder_infos.is_empty() {
            return SaState::Refused;
        }
        return SaState::NoResponse;
    }
    // Main Mode: MM5 (first encrypted initiator message) answered by an error instead of MM6.
    let encrypted_sent = p1.distinct_requests().any(|m| {
        records[m.index]
            .ike
            .as_deref()
            .map(|x| x.encrypted)
            .unwrap_or(false)
    });
    // Aggressive Mode: AM2 answered, but the initiator never sent AM3 (it could not verify the
    // responder's HASH_R, i.e. the pre-shared keys differ) and either said so in an
    // Informational or started over.
    if aggressive && init_msgs == 1 {
        let am2 = resp_msgs[0].time;
        let initiator_info = sa.exchanges.iter().any(|e| {
            e.kind == ExchangeKind::V1Informational && e.requester == sa.initiator && e.start() >= am2
        });
        if initiator_info {
            return SaState::AuthFailed;
        }
    }
    if clear_notes.contains(&NotifyType::V2_AUTHENTICATION_FAILED)
        || clear_notes.contains(&NotifyType::V1_INVALID_HASH_INFORMATION)
        || (encrypted_sent && !responder_infos.is_empty())
        || (aggressive && !responder_infos.is_empty())
    {
        return SaState::AuthFailed;
    }
    SaState::Negotiating
}
