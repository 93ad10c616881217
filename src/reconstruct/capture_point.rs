//! Where the capture was taken, as far as the wire shows it.
//!
//! Every IP stack starts its TTL / hop limit at 64, 128 or 255 and each router lowers it by one,
//! so a packet captured with exactly its initial value was captured on its sender (or on the
//! sender's own link, before any router). The signals, per tunnel:
//! - one peer's IKE packets carry their initial TTL and the other's arrive lowered: the capture
//!   is on the first peer's side (`initiator` or `responder`);
//! - both arrive lowered: on the `path` between them;
//! - each IKE message captured twice within 50 ms, the second copy one hop lower: a router
//!   capturing on both interfaces (`tcpdump -i any`): the `path`;
//! - IP datagrams from a peer whose first fragment arrived and the others never did: the capture
//!   is not on that peer (a sender's own capture sees every fragment it sends).
//!
//! Limits: the initiator's own interface and the link next to it (a router's interface facing
//! it) look the same; two peers on one link (no router between) show no hops anywhere.

use super::collect::Collected;
use super::sas::IkeSa;
use crate::capture::IngestEvent;
use serde::Serialize;
use std::net::IpAddr;

/// Where the capture was taken relative to one tunnel.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CapturePoint {
    /// On the initiator, or on its link before the first router.
    Initiator,
    /// On the responder, or on its link after the last router.
    Responder,
    /// Between them, past at least one router from each.
    Path,
    /// The wire does not tell.
    #[default]
    Unknown,
}

impl CapturePoint {
    /// The JSON spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            CapturePoint::Initiator => "initiator",
            CapturePoint::Responder => "responder",
            CapturePoint::Path => "path",
            CapturePoint::Unknown => "unknown",
        }
    }
}

/// The inference with the reasons for it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CapturePointGuess {
    /// The answer.
    pub point: CapturePoint,
    /// What on the wire says so (one line each).
    pub evidence: Vec<String>,
    /// The peer the capture was taken beside (`initiator` / `responder`), if either.
    #[serde(skip)]
    pub near: Option<IpAddr>,
}

impl CapturePointGuess {
    /// The capture was taken on `peer`'s side (on it or on its link).
    pub fn beside(&self, peer: IpAddr) -> bool {
        self.near == Some(peer)
    }
}

/// Hops a packet travelled, from its captured TTL: the distance below the nearest common
/// initial value (64, 128, 255) at or above it.
pub fn hops(ttl: u8) -> Option<u8> {
    [64u8, 128, 255]
        .into_iter()
        .find(|&initial| ttl <= initial)
        .map(|initial| initial - ttl)
        .filter(|_| ttl > 0)
}

/// The fewest hops among `src`'s IKE messages of these SAs (to the other peer).
fn fewest_hops(data: &Collected, sas: &[&IkeSa], src: IpAddr) -> Option<u8> {
    sas.iter()
        .flat_map(|sa| sa.messages.iter())
        .map(|&i| &data.ike[i])
        .filter(|r| r.src == src)
        .filter_map(|r| hops(r.ttl))
        .min()
}

/// The (source, destination) pairs with an IP datagram (its ports known) left as incomplete
/// fragments: made once for all tunnels (each tunnel going through every event was tunnels x
/// events).
pub struct LostFragments(foldhash::HashSet<(IpAddr, IpAddr)>);

impl LostFragments {
    /// The pairs of the incomplete reassemblies in `data`.
    pub fn of(data: &Collected) -> LostFragments {
        LostFragments(
            data.incomplete
                .iter()
                .filter_map(|(_, ev)| match ev {
                    IngestEvent::IncompleteReassembly {
                        src,
                        dst,
                        ports: Some(_),
                        ..
                    } => Some((*src, *dst)),
                    _ => None,
                })
                .collect(),
        )
    }

    /// A datagram from `src` to `dst` was left as incomplete fragments.
    fn from(&self, src: IpAddr, dst: IpAddr) -> bool {
        self.0.contains(&(src, dst))
    }
}

/// Infer the capture point of one tunnel from its IKE SAs (initiator of the first one first);
/// `lost` is [`LostFragments::of`] `data`.
pub fn infer(data: &Collected, lost: &LostFragments, sas: &[&IkeSa]) -> CapturePointGuess {
    let Some(first) = sas.first() else {
        return CapturePointGuess::default();
    };
    let (i, r) = (first.initiator, first.responder);
    let mut evidence = Vec::new();
    // The same messages captured twice by a forwarding box.
    for (a, b) in [(i, r), (r, i)] {
        if let Some(c) = data.capture_copies.get(&(a, b)) {
            if c.ttls.0 > 0 && c.ttls.1 + 1 == c.ttls.0 {
                evidence.push(format!(
                    "{} IKE messages from {a} captured twice, TTL {} then {}: a router forwarding them, captured on both of its interfaces",
                    c.count, c.ttls.0, c.ttls.1
                ));
                return CapturePointGuess {
                    point: CapturePoint::Path,
                    evidence,
                    near: None,
                };
            }
        }
    }
    let (hi, hr) = (fewest_hops(data, sas, i), fewest_hops(data, sas, r));
    // A peer whose own datagrams arrive as incomplete fragments is not where the capture is.
    let lost_from = |src: IpAddr, dst: IpAddr| lost.from(src, dst);
    let describe = |who: &str, addr: IpAddr, h: u8| {
        if h == 0 {
            format!("{who} {addr}'s packets carry their initial TTL (no router passed)")
        } else {
            format!(
                "{who} {addr}'s packets arrive {h} hop{} from it",
                if h == 1 { "" } else { "s" }
            )
        }
    };
    if let Some(h) = hi {
        evidence.push(describe("initiator", i, h));
    }
    if let Some(h) = hr {
        evidence.push(describe("responder", r, h));
    }
    let lost_i = lost_from(i, r);
    let lost_r = lost_from(r, i);
    if lost_i {
        evidence.push(format!(
            "datagrams from {i} arrive as first IP fragments only: the capture is past the loss"
        ));
    }
    if lost_r {
        evidence.push(format!(
            "datagrams from {r} arrive as first IP fragments only: the capture is past the loss"
        ));
    }
    let point = match (hi, hr) {
        (Some(0), Some(0)) => CapturePoint::Unknown,
        (Some(0), Some(_)) if !lost_i => CapturePoint::Initiator,
        (Some(_), Some(0)) if !lost_r => CapturePoint::Responder,
        (Some(a), Some(b)) if a > 0 && b > 0 => CapturePoint::Path,
        (Some(0), None) if !lost_i => CapturePoint::Initiator,
        (None, Some(0)) if !lost_r => CapturePoint::Responder,
        _ => CapturePoint::Unknown,
    };
    let near = match point {
        CapturePoint::Initiator => Some(i),
        CapturePoint::Responder => Some(r),
        _ => None,
    };
    CapturePointGuess {
        point,
        evidence,
        near,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hops_count_down_from_the_usual_initial_values() {
        assert_eq!(hops(64), Some(0));
        assert_eq!(hops(63), Some(1));
        assert_eq!(hops(128), Some(0));
        assert_eq!(hops(120), Some(8));
        assert_eq!(hops(255), Some(0));
        assert_eq!(hops(250), Some(5));
        assert_eq!(hops(0), None);
    }
}
