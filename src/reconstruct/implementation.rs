//! Which implementation each peer of a tunnel most likely runs, and why.
//!
//! Signals, strongest first:
//! - a vendor ID that names a product (strongSwan, libreswan, Cisco, Juniper, Fortinet, Check
//!   Point, SonicWall, Microsoft, Zyxel, ...: [`ikescope_parsers::vendor::Maker`]): `certain`;
//! - habits, each worth one vote (lab-verified with strongSwan 5.9.8 and libreswan 4.10 unless
//!   noted):
//!   - IKEv2 IKE_SA_INIT notify order: strongSwan puts NAT_DETECTION_SOURCE_IP /
//!     DESTINATION_IP first and its other notifies after them; libreswan puts its others
//!     (IKEV2_FRAGMENTATION_SUPPORTED, SIGNATURE_HASH_ALGORITHMS) before the NAT-D pair;
//!   - IKEv2 MULTIPLE_AUTH_SUPPORTED (RFC 4739) in IKE_SA_INIT: strongSwan announces it, as
//!     responder; libreswan does not implement it;
//!   - IKEv1 phase-1 vendor ID order: strongSwan sends XAUTH, then RFC 3706 DPD, then IKE
//!     fragmentation; libreswan sends IKE fragmentation, then DPD;
//!   - how an unencrypted refusal is built: strongSwan's IKEv1 Informational carries its
//!     responder cookie and a random message ID, libreswan's zeros (IKEv2 IKE_SA_INIT
//!     refusals are not told apart: both send zero and non-zero responder SPIs);
//!   - the retransmission cadence ([`super::cadence`]).
//!
//! Two or more habits agreeing with none against: `likely`; one (or more for than against):
//! `possible`. A peer that sent nothing the signals read (no vendor ID, only encrypted
//! messages, no series of re-sends) is `unknown`, with that said as its evidence.

use super::cadence;
use super::collect::Collected;
use super::exchanges::ExchangeKind;
use super::sas::IkeSa;
use crate::record::{Hex, IkeInfo, Record};
use ikescope_parsers::iana::{ExchangeType, IkeVersion, NotifyType};
use ikescope_parsers::vendor::{self, Maker};
use serde::Serialize;
use std::collections::HashMap;
use std::net::IpAddr;

/// How sure the guess is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImplementationConfidence {
    /// One habit, or more habits for it than against.
    Possible,
    /// Two or more independent habits agree and none disagrees.
    Likely,
    /// The peer named its product in a vendor ID.
    Certain,
}

impl ImplementationConfidence {
    /// The JSON spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ImplementationConfidence::Possible => "possible",
            ImplementationConfidence::Likely => "likely",
            ImplementationConfidence::Certain => "certain",
        }
    }
}

/// The guess for one peer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImplementationGuess {
    /// The peer's address.
    pub peer: IpAddr,
    /// The implementation, `None` when the wire does not tell.
    pub maker: Option<Maker>,
    /// How sure (`None` with `maker` `None`).
    pub confidence: Option<ImplementationConfidence>,
    /// What on the wire says so, one sentence each (for an unknown peer: why it is unknown).
    pub evidence: Vec<String>,
}

impl ImplementationGuess {
    /// The JSON spelling of the implementation: `strongswan`, `libreswan`, ... or `unknown`.
    pub fn name(&self) -> &'static str {
        self.maker.map_or("unknown", Maker::as_str)
    }

    /// The implementation as people write it (`strongSwan`, ... or `unknown`).
    pub fn label(&self) -> &'static str {
        self.maker.map_or("unknown", Maker::label)
    }
}

/// The kinds of habit, so two observations of one habit count once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Habit {
    NotifyOrder,
    MultipleAuth,
    VendorIdOrder,
    Cadence,
    RefusalStyle,
}

/// Everything one peer's messages say.
#[derive(Default)]
struct Votes {
    /// Product vendor IDs, first seen first.
    named: Vec<(Maker, String)>,
    /// Habit → (implementation, evidence); the first observation of each habit is kept.
    habits: Vec<(Habit, Maker, String)>,
    /// Messages from the peer.
    messages: usize,
}

impl Votes {
    fn habit(&mut self, habit: Habit, maker: Maker, evidence: String) {
        if !self.habits.iter().any(|(h, m, _)| *h == habit && *m == maker) {
            self.habits.push((habit, maker, evidence));
        }
    }
}

/// Vendor ID bodies recognised so far on this thread, at most this many (a capture repeats a
/// few dozen across thousands of tunnels; one made of distinct ones only fills it).
const VENDOR_IDS_REMEMBERED: usize = 256;

thread_local! {
    static VENDOR_IDS: std::cell::RefCell<foldhash::HashMap<Vec<u8>, Option<vendor::Vendor>>> =
        std::cell::RefCell::new(foldhash::HashMap::default());
}

/// [`vendor::identify`], remembered per body: it goes through the whole vendor table, and the
/// same bodies come in every IKE SA of every tunnel.
fn identify(vid: &[u8]) -> Option<vendor::Vendor> {
    VENDOR_IDS.with_borrow_mut(|known| {
        if let Some(v) = known.get(vid) {
            return *v;
        }
        let v = vendor::identify(vid);
        if known.len() < VENDOR_IDS_REMEMBERED {
            known.insert(vid.to_vec(), v);
        }
        v
    })
}

/// Guess both peers of a tunnel (in the order of `peers`).
pub fn infer(data: &Collected, sas: &[&IkeSa], peers: [IpAddr; 2]) -> [ImplementationGuess; 2] {
    // one pass over the messages for both peers (each message votes for its sender)
    let mut votes = [Votes::default(), Votes::default()];
    for sa in sas {
        for e in &sa.exchanges {
            for m in e.requests.iter().chain(&e.responses) {
                let r = &data.ike[m.index];
                for (peer, votes) in peers.iter().zip(&mut votes) {
                    if r.src == *peer {
                        message_votes(votes, r, e.kind);
                    }
                }
            }
            for (peer, votes) in peers.iter().zip(&mut votes) {
                cadences(votes, data, sa, e, *peer);
            }
        }
    }
    let [a, b] = votes;
    [decide(peers[0], a), decide(peers[1], b)]
}

fn frame_note(r: &Record) -> String {
    format!("frame {}", r.frame)
}

/// The votes of one message of exchange kind `kind`, sent by the peer `votes` are for.
fn message_votes(votes: &mut Votes, r: &Record, kind: ExchangeKind) {
    votes.messages += 1;
    let Some(ike) = r.ike.as_deref() else { return };
    vendor_ids(votes, r, ike);
    if kind == ExchangeKind::IkeSaInit {
        notify_habits(votes, r, ike);
    }
    if matches!(kind, ExchangeKind::MainMode | ExchangeKind::AggressiveMode) {
        vendor_id_order(votes, r, ike);
    }
    refusal_style(votes, r, ike);
}

fn vendor_ids(votes: &mut Votes, r: &Record, ike: &IkeInfo) {
    let inner = ike
        .decrypted
        .as_deref()
        .map(|d| d.vendor_ids.as_slice())
        .unwrap_or(&[]);
    for vid in ike.vendor_ids.iter().chain(inner) {
        if let Some(v) = identify(&vid.0) {
            if let Some(maker) = v.maker {
                if !votes.named.iter().any(|(m, _)| *m == maker) {
                    votes
                        .named
                        .push((maker, format!("vendor ID \"{v}\" ({})", frame_note(r))));
                }
            }
        }
    }
}

fn is_nat_d(n: NotifyType) -> bool {
    n == NotifyType::V2_NAT_DETECTION_SOURCE_IP || n == NotifyType::V2_NAT_DETECTION_DESTINATION_IP
}

fn notify_habits(votes: &mut Votes, r: &Record, ike: &IkeInfo) {
    // Status notifies only: a refusal carries one error notify, and a COOKIE must come first.
    let list: Vec<NotifyType> = ike
        .notify
        .iter()
        .copied()
        .filter(|n| !n.is_error() && *n != NotifyType::V2_COOKIE)
        .collect();
    // The notifies other than the NAT-D pair, by name.
    let others = || {
        list.iter()
            .filter(|n| !is_nat_d(**n))
            .map(|n| n.name_v2().map_or_else(|| n.0.to_string(), str::to_string))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if list.contains(&NotifyType::V2_MULTIPLE_AUTH_SUPPORTED) {
        votes.habit(
            Habit::MultipleAuth,
            Maker::StrongSwan,
            format!(
                "IKE_SA_INIT announces MULTIPLE_AUTH_SUPPORTED (RFC 4739): strongSwan does, libreswan does not ({})",
                frame_note(r)
            ),
        );
    }
    let Some(first_nat_d) = list.iter().position(|n| is_nat_d(*n)) else {
        return;
    };
    let others_after = list[first_nat_d..].iter().any(|n| !is_nat_d(*n));
    if first_nat_d == 0 && others_after {
        votes.habit(
            Habit::NotifyOrder,
            Maker::StrongSwan,
            format!(
                "IKE_SA_INIT notifies in strongSwan's order: the NAT-D pair first, then {} ({})",
                others(),
                frame_note(r)
            ),
        );
    } else if first_nat_d > 0 {
        votes.habit(
            Habit::NotifyOrder,
            Maker::Libreswan,
            format!(
                "IKE_SA_INIT notifies in libreswan's order: {} before the NAT-D pair ({})",
                others(),
                frame_note(r)
            ),
        );
    }
}

fn vendor_id_order(votes: &mut Votes, r: &Record, ike: &IkeInfo) {
    let names: Vec<&'static str> = ike
        .vendor_ids
        .iter()
        .filter_map(|v: &Hex| identify(&v.0))
        .map(|v| v.name)
        .collect();
    let at = |name: &str| names.iter().position(|n| *n == name);
    let (xauth, dpd, frag) = (at("XAUTH"), at("RFC 3706 DPD"), at("IKE Fragmentation"));
    match (xauth, dpd, frag) {
        (Some(x), Some(d), Some(f)) if x + 1 == d && d < f => votes.habit(
            Habit::VendorIdOrder,
            Maker::StrongSwan,
            format!(
                "IKEv1 vendor IDs in strongSwan's order: XAUTH, DPD, then fragmentation ({})",
                frame_note(r)
            ),
        ),
        (None, Some(d), Some(f)) if f + 1 == d => votes.habit(
            Habit::VendorIdOrder,
            Maker::Libreswan,
            format!(
                "IKEv1 vendor IDs in libreswan's order: fragmentation, then DPD, no XAUTH ({})",
                frame_note(r)
            ),
        ),
        _ => {}
    }
}

/// How an unencrypted refusal is built. IKEv1 Informational: strongSwan fills in its responder
/// cookie and a random message ID, libreswan leaves both zero (lab: `ikev1_p1_proposal_mismatch`,
/// `lsw2sw_ikev1_aggressive_refused` against `sw2lsw_ikev1_p1_proposal_mismatch_on_path`). IKEv2
/// IKE_SA_INIT refusals are not told apart: both daemons send them with a zero responder SPI
/// in some configurations and with their own SPI in others.
fn refusal_style(votes: &mut Votes, r: &Record, ike: &IkeInfo) {
    if ike.encrypted || !ike.notify.iter().any(|n| n.is_error()) {
        return;
    }
    let v1_informational =
        ike.ike_version() == Some(IkeVersion::V1) && ike.exchange == ExchangeType::INFORMATIONAL_V1;
    let (maker, how) = match (ike.version, ike.spi_r.is_zero(), ike.message_id) {
        (1, false, id) if v1_informational && id != 0 => (
            Maker::StrongSwan,
            "unencrypted IKEv1 refusal with its responder cookie and a random message ID, strongSwan's way",
        ),
        (1, true, 0) if v1_informational => (
            Maker::Libreswan,
            "unencrypted IKEv1 refusal with a zero responder cookie and message ID 0, libreswan's way",
        ),
        // An IKE_SA_INIT refused with a zero responder SPI tells nothing: strongSwan does it,
        // and so does libreswan when IKEv2 is not configured for the peer (lab:
        // lsw_ike_scan_probe frame 10, NO_PROPOSAL_CHOSEN with SPIr 0), although it sets its
        // SPI when it refuses a configured IKEv2 peer's proposal.
        _ => return,
    };
    votes.habit(Habit::RefusalStyle, maker, format!("{how} ({})", frame_note(r)));
}

/// Series of sends of one message by `peer` in exchange `e`, on its own timer.
fn cadences(votes: &mut Votes, data: &Collected, sa: &IkeSa, e: &super::exchanges::Exchange, peer: IpAddr) {
    let own_timer = if e.requester == peer {
        &e.requests
    } else if sa.version == IkeVersion::V1 {
        // An IKEv1 responder re-sends its last message on its own timer (libreswan), or when
        // the request comes again (strongSwan): the latter are left out below.
        &e.responses
    } else {
        // An IKEv2 responder only ever answers a request.
        return;
    };
    let mut other: Vec<f64> = if e.requester == peer {
        Vec::new()
    } else {
        e.requests.iter().map(|m| m.time.0 as f64 / 1e9).collect()
    };
    other.sort_by(f64::total_cmp);
    let mut series: HashMap<u64, Vec<f64>> = HashMap::new();
    let mut order: Vec<u64> = Vec::new();
    for m in own_timer {
        let Some(ike) = data.ike[m.index].ike.as_deref() else {
            continue;
        };
        let t = m.time.0 as f64 / 1e9;
        // The latest request at or before it (requests are in time order): a binary search,
        // so a flood of copies costs n log n, not n × m.
        let before = other.partition_point(|o| *o <= t);
        if m.retransmit && before > 0 && t - other[before - 1] < 0.2 {
            continue;
        }
        let s = series.entry(ike.digest).or_default();
        if s.is_empty() {
            order.push(ike.digest);
        }
        s.push(t);
    }
    for d in order {
        if let Some(c) = series.get(&d).and_then(|times| cadence::classify(times)) {
            votes.habit(Habit::Cadence, c.maker, c.evidence);
        }
    }
}

fn decide(peer: IpAddr, votes: Votes) -> ImplementationGuess {
    if let Some((maker, _)) = votes.named.first().cloned() {
        let mut evidence: Vec<String> = votes.named.iter().map(|(_, e)| e.clone()).collect();
        evidence.extend(
            votes
                .habits
                .iter()
                .filter(|(_, m, _)| *m == maker)
                .map(|(_, _, e)| e.clone()),
        );
        return ImplementationGuess {
            peer,
            maker: Some(maker),
            confidence: Some(ImplementationConfidence::Certain),
            evidence,
        };
    }
    let mut tally: Vec<(Maker, usize)> = Vec::new();
    for (_, m, _) in &votes.habits {
        match tally.iter_mut().find(|(t, _)| t == m) {
            Some(t) => t.1 += 1,
            None => tally.push((*m, 1)),
        }
    }
    tally.sort_by_key(|t| std::cmp::Reverse(t.1));
    let all: Vec<String> = votes.habits.iter().map(|(_, _, e)| e.clone()).collect();
    match tally.as_slice() {
        [] => ImplementationGuess {
            peer,
            maker: None,
            confidence: None,
            evidence: vec![if votes.messages == 0 {
                "sent no IKE message in this capture".to_string()
            } else {
                format!(
                    "none of its {} IKE message{} names a product in a vendor ID or shows a habit told apart here (IKE_SA_INIT notify order, IKEv1 vendor ID order, refusal style, retransmission cadence)",
                    votes.messages,
                    if votes.messages == 1 { "" } else { "s" }
                )
            }],
        },
        [(m, n), rest @ ..] if rest.first().is_none_or(|r| r.1 < *n) => {
            let against: usize = rest.iter().map(|r| r.1).sum();
            let confidence = if *n >= 2 && against == 0 {
                ImplementationConfidence::Likely
            } else {
                ImplementationConfidence::Possible
            };
            ImplementationGuess {
                peer,
                maker: Some(*m),
                confidence: Some(confidence),
                evidence: all,
            }
        }
        _ => {
            let mut evidence = vec!["habits of different implementations, as many for each:".to_string()];
            evidence.extend(all);
            ImplementationGuess {
                peer,
                maker: None,
                confidence: None,
                evidence,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The remembered answer is the table's, for bodies seen again and past the memory's size.
    #[test]
    fn remembered_vendor_ids_are_identified_as_the_table_does() {
        let known = [
            "4a131c81070358455c5728f20e95452f", // RFC 3947 NAT-T
            "afcad71368a1f1c96b8696fc77570100", // RFC 3706 DPD
            "4048b7d56ebce88525e7de7f00d6c2d3", // IKE fragmentation
            "882fe56d6fd20dbc2251613b2ebe5beb", // strongSwan
        ];
        let mut bodies: Vec<Vec<u8>> = known.iter().map(|h| crate::keys::unhex(h)).collect();
        bodies.extend((0..VENDOR_IDS_REMEMBERED as u32 + 50).map(|n| n.to_be_bytes().repeat(4)));
        for _ in 0..2 {
            for b in &bodies {
                assert_eq!(identify(b), vendor::identify(b));
            }
        }
        assert!(bodies[..known.len()].iter().any(|b| identify(b).is_some()));
    }
}
