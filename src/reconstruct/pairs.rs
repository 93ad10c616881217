//! Redundant pairs and their failovers. Two tunnels through a common gateway that were agreed
//! the same traffic selectors (see [`super::selectors`]) protect the same traffic: a dual-tunnel
//! or active/standby pair. A failover is a moment when ESP moves from one to the other: in one
//! throughput interval the tunnel that carried the pair's ESP goes (nearly) quiet and the other,
//! nearly quiet before, carries it. The event just before, on the tunnel that lost the traffic,
//! is its likely cause: liveness checks given up on, a Delete, a failed rekey.

use super::esp_series::EspSeries;
use super::selectors::{agreed, Range};
use super::{ExchangeKind, FrameRef, Model};
use crate::record::Timestamp;
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

/// More tunnels than this with one set of selectors through one gateway is a hub, not a pair.
const MAX_GROUP: usize = 8;
/// A tunnel carrying less than this share of what the other carries counts as quiet.
const QUIET_SHARE: f64 = 0.1;
/// How long before a failover an event on the losing tunnel is taken as its cause.
const CAUSE_WINDOW_SECS: f64 = 120.0;

/// What happened on the tunnel that lost the traffic just before a failover.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailoverCause {
    /// Liveness checks went unanswered (DPD gave up).
    DpdGiveUp,
    /// An INFORMATIONAL Delete.
    Delete,
    /// A CREATE_CHILD_SA (rekey or new CHILD SA) unanswered or refused.
    FailedRekey,
}

/// The event before a failover.
#[derive(Clone, Debug)]
pub struct CauseEvent {
    /// What it was.
    pub kind: FailoverCause,
    /// When (its last message).
    pub time: Timestamp,
    /// Its last message's frame.
    pub at: FrameRef,
}

/// ESP moving from one tunnel of a pair to the other.
#[derive(Clone, Debug)]
pub struct Failover {
    /// When the new carrier's ESP started (its first packet in the interval).
    pub time: Timestamp,
    /// That first packet.
    pub at: FrameRef,
    /// Tunnel index that lost the traffic.
    pub from: usize,
    /// Tunnel index that took it.
    pub to: usize,
    /// The last ESP packet on `from` before the failover.
    pub from_last_esp: Option<Timestamp>,
    /// The event on `from` just before, if any.
    pub cause: Option<CauseEvent>,
}

/// Two tunnels protecting the same traffic.
#[derive(Clone, Debug)]
pub struct RedundantPair {
    /// The two tunnel indices, lower first.
    pub tunnels: [usize; 2],
    /// The shared selectors: (one side's range, the other side's range).
    pub selectors: BTreeSet<(Range, Range)>,
    /// Failovers in time order.
    pub failovers: Vec<Failover>,
}

/// Both directions of a tunnel's ESP in one series.
pub fn tunnel_series(model: &Model, t: usize) -> Option<EspSeries> {
    let tunnel = &model.tunnels[t];
    let mut it = tunnel.esp_directions(model).map(|(_, _, s)| s);
    let mut s = it.next()?;
    for o in it {
        s.to_mut().absorb(&o);
    }
    Some(s.into_owned())
}

/// Bytes per interval start, both series at the same width.
fn aligned(a: &EspSeries, b: &EspSeries) -> (i64, BTreeMap<i64, (u64, u64)>) {
    let (mut a, mut b) = (a.clone(), b.clone());
    while a.width_ns < b.width_ns {
        a.coarsen();
    }
    while b.width_ns < a.width_ns {
        b.coarsen();
    }
    let mut m: BTreeMap<i64, (u64, u64)> = BTreeMap::new();
    for (start, bytes, _) in a.used() {
        m.entry(start).or_default().0 += bytes;
    }
    for (start, bytes, _) in b.used() {
        m.entry(start).or_default().1 += bytes;
    }
    (a.width_ns, m)
}

/// The latest event on tunnel `t` at or before `until` (within the cause window).
fn cause_before(model: &Model, t: usize, until: Timestamp) -> Option<CauseEvent> {
    let mut best: Option<CauseEvent> = None;
    for &sid in &model.tunnels[t].sas {
        for e in &model.sas[sid].exchanges {
            let kind = match e.kind {
                ExchangeKind::Liveness if e.unanswered() => FailoverCause::DpdGiveUp,
                ExchangeKind::Delete => FailoverCause::Delete,
                ExchangeKind::CreateChildSa
                | ExchangeKind::ChildRekey
                | ExchangeKind::IkeRekey
                | ExchangeKind::NewChild
                    if e.unanswered() || refused(model, e) =>
                {
                    FailoverCause::FailedRekey
                }
                _ => continue,
            };
            let Some(last) = e
                .requests
                .iter()
                .chain(&e.responses)
                .max_by_key(|m| (m.time, m.at))
            else {
                continue;
            };
            if last.time > until || until.secs_since(last.time) > CAUSE_WINDOW_SECS {
                continue;
            }
            if best.as_ref().is_none_or(|b| last.time > b.time) {
                best = Some(CauseEvent {
                    kind,
                    time: last.time,
                    at: last.at,
                });
            }
        }
    }
    best
}

fn refused(model: &Model, e: &super::Exchange) -> bool {
    e.responses.iter().any(|m| {
        model.data.ike[m.index]
            .ike
            .as_deref()
            .is_some_and(|i| super::exchanges::notifies_of(i).iter().any(|n| n.is_error()))
    })
}

/// The first ESP packet of tunnel `t` at or after `from` (within `width_ns`), else `None`.
fn first_esp(model: &Model, t: usize, from: i64, width_ns: i64) -> Option<(Timestamp, FrameRef)> {
    model.tunnels[t]
        .esp
        .iter()
        .filter_map(|k| model.esp.get(k))
        .filter_map(|f| {
            // the flow's first packet in the interval: its first packet, or the interval's start
            let in_interval = f
                .series
                .used()
                .any(|(s, _, _)| s < from + width_ns && s + f.series.width_ns > from);
            // (a flow that started earlier has no frame kept for the interval: its first frame
            // and the interval's start stand for it)
            in_interval.then_some((Timestamp(f.first.0.max(from)), f.first_frame))
        })
        .min_by_key(|x| x.0)
}

/// The failovers between tunnels `a` and `b`.
fn failovers(model: &Model, a: usize, b: usize) -> Vec<Failover> {
    let (Some(sa), Some(sb)) = (tunnel_series(model, a), tunnel_series(model, b)) else {
        return Vec::new();
    };
    let (width, grid) = aligned(&sa, &sb);
    let mut out = Vec::new();
    let mut carrier: Option<(usize, i64)> = None;
    for (&start, &(x, y)) in &grid {
        let now = if x as f64 * QUIET_SHARE > y as f64 {
            a
        } else if y as f64 * QUIET_SHARE > x as f64 {
            b
        } else {
            // both carry (load sharing) or neither: no carrier to move from
            carrier = None;
            continue;
        };
        if let Some((prev, _)) = carrier {
            if prev != now {
                let Some((time, at)) = first_esp(model, now, start, width) else {
                    carrier = Some((now, start));
                    continue;
                };
                let from_last_esp = model.tunnels[prev]
                    .esp
                    .iter()
                    .filter_map(|k| model.esp.get(k))
                    .map(|f| f.last)
                    .filter(|l| *l <= time)
                    .max();
                out.push(Failover {
                    time,
                    at,
                    from: prev,
                    to: now,
                    from_last_esp,
                    cause: cause_before(model, prev, time),
                });
            }
        }
        carrier = Some((now, start));
    }
    out
}

/// Orient a selector pair so the same traffic compares equal whichever end initiated.
fn unordered(x: Range, y: Range) -> (Range, Range) {
    if x <= y {
        (x, y)
    } else {
        (y, x)
    }
}

/// The redundant pairs of the capture, with their failovers (needs key tables: selectors are
/// encrypted).
pub fn redundant_pairs(model: &Model) -> Vec<RedundantPair> {
    // (gateway, selectors) → tunnels
    let mut groups: BTreeMap<(IpAddr, (Range, Range)), BTreeSet<usize>> = BTreeMap::new();
    for s in agreed(model) {
        let key = unordered(s.init_side, s.resp_side);
        for gw in model.tunnels[s.tunnel].peers {
            groups.entry((gw, key)).or_default().insert(s.tunnel);
        }
    }
    let mut pairs: BTreeMap<[usize; 2], BTreeSet<(Range, Range)>> = BTreeMap::new();
    for ((_, sel), tunnels) in groups {
        if tunnels.len() < 2 || tunnels.len() > MAX_GROUP {
            continue;
        }
        let v: Vec<usize> = tunnels.into_iter().collect();
        for (i, &a) in v.iter().enumerate() {
            for &b in &v[i + 1..] {
                pairs.entry([a, b]).or_default().insert(sel);
            }
        }
    }
    pairs
        .into_iter()
        .map(|(tunnels, selectors)| RedundantPair {
            tunnels,
            selectors,
            failovers: failovers(model, tunnels[0], tunnels[1]),
        })
        .collect()
}
