//! Configuration consistency across CHILD SAs and connections:
//! - ts_overlap (warning): the agreed traffic selectors of two tunnels through the same gateway
//!   overlap on both sides without being identical, so the gateway cannot tell which tunnel a
//!   packet belongs to; identical selectors are a redundant (dual-tunnel, active/standby) pair,
//!   and selectors that differ between such a pair are exactly this mismatch.
//! - ts_reserved_range (warning): a traffic selector covers part of 100.64.0.0/10, the shared
//!   address space (RFC 6598) that cloud VPN gateways use internally and refuse to route.
//! - proposal_inconsistent (warning): one peer's connections to the same other peer offer
//!   different IKE proposals or lifetimes; connections that share phase 1 must offer identical
//!   ones, or the SA that wins depends on which connection initiates.
//!
//! Selectors travel encrypted: the first two need key tables (IKEv2 TSi/TSr; IKEv1 Quick Mode
//! identification payloads); the third reads the cleartext IKE_SA_INIT / Main Mode offers.

use crate::diagnose::{fixes, Confidence, Ctx, Finding, FindingKind, Severity, TunnelOutcome};
use crate::reconstruct::selectors::{agreed, AgreedSelectors as Pair};
use crate::reconstruct::{ExchangeKind, MsgRef, Phase, Tunnel};
use ikescope_parsers::iana::IkeVersion;
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};

/// An address range (first, last).
type Range = (IpAddr, IpAddr);
/// A pair oriented at one gateway: (pair index, gateway-side range, far-side range, far gateway).
type Oriented = (usize, Range, Range, IpAddr);
/// One distinct IKE offer (normalised transforms) and its first request.
type Offer = (Vec<String>, MsgRef);

/// ts_overlap findings reported per gateway at most (the rest repeat the same lesson).
const MAX_OVERLAPS_PER_GATEWAY: usize = 100;

/// Run the rules.
pub fn run(ctx: &mut Ctx<'_>) {
    let pairs = agreed(ctx.model);
    reserved(ctx, &pairs);
    overlaps(ctx, &pairs);
    proposals(ctx);
}

fn overlap(a: (IpAddr, IpAddr), b: (IpAddr, IpAddr)) -> bool {
    a.0.is_ipv4() == b.0.is_ipv4() && a.0 <= b.1 && b.0 <= a.1
}

fn show(r: (IpAddr, IpAddr)) -> String {
    if r.0 == r.1 {
        r.0.to_string()
    } else {
        format!("{}-{}", r.0, r.1)
    }
}

fn reserved(ctx: &mut Ctx<'_>, pairs: &[Pair]) {
    let cgn = (
        IpAddr::V4(Ipv4Addr::new(100, 64, 0, 0)),
        IpAddr::V4(Ipv4Addr::new(100, 127, 255, 255)),
    );
    for p in pairs {
        for (side, range) in [(p.initiator, p.init_side), (p.responder, p.resp_side)] {
            if !overlap(range, cgn) {
                continue;
            }
            let mut f = Finding::new(
                FindingKind::TsReservedRange,
                &ctx.model.tunnels[p.tunnel].id,
                Severity::Warning,
                Confidence::Certain,
            );
            f.parties(Some(Phase::Phase2), p.initiator, p.responder);
            f.evidence(
                ctx.model,
                p.at,
                format!("agreed selector {} on {side}'s side", show(range)),
            );
            f.summary = format!(
                "traffic selector {} on {side}'s side covers part of 100.64.0.0/10 (RFC 6598 shared address space), which cloud VPN gateways reserve",
                show(range)
            );
            f.fix = Some(
                "Do not protect or route 100.64.0.0/10 (or a block containing it) through the tunnel; \
                 renumber the subnet or narrow the selectors on both ends."
                    .into(),
            );
            ctx.add(f);
        }
    }
}

fn overlaps(ctx: &mut Ctx<'_>, pairs: &[Pair]) {
    // Orient every pair by each of its two gateways: (gateway-side range, far-side range).
    let mut by_gateway: BTreeMap<IpAddr, Vec<Oriented>> = BTreeMap::new();
    for (i, p) in pairs.iter().enumerate() {
        by_gateway
            .entry(p.initiator)
            .or_default()
            .push((i, p.init_side, p.resp_side, p.responder));
        by_gateway
            .entry(p.responder)
            .or_default()
            .push((i, p.resp_side, p.init_side, p.initiator));
    }
    for (gw, mut list) in by_gateway {
        // One entry per distinct (tunnel, selectors): every CHILD SA rekey repeats them.
        let mut seen = std::collections::HashSet::new();
        list.retain(|o| seen.insert((pairs[o.0].tunnel, o.1, o.2, o.3)));
        // Sorted by the gateway-side range's start, the ranges that can overlap `a` follow it
        // until one starts past its end: a sweep, not every pair.
        list.sort_by_key(|o| (o.1 .0, o.1 .1));
        let mut reported = 0;
        'sweep: for (x, a) in list.iter().enumerate() {
            for b in &list[x + 1..] {
                if b.1 .0 > a.1 .1 {
                    break;
                }
                if reported >= MAX_OVERLAPS_PER_GATEWAY {
                    break 'sweep;
                }
                // The finding goes to the earlier tunnel (the order the report lists them in).
                let (a, b) = if pairs[a.0].tunnel <= pairs[b.0].tunnel {
                    (a, b)
                } else {
                    (b, a)
                };
                let (pa, pb) = (&pairs[a.0], &pairs[b.0]);
                // Identical selectors through two tunnels are a redundant (active/standby) pair.
                let identical = a.1 == b.1 && a.2 == b.2;
                if pa.tunnel == pb.tunnel || identical || !overlap(a.1, b.1) || !overlap(a.2, b.2) {
                    continue;
                }
                let tid = ctx.model.tunnels[pa.tunnel].id.clone();
                let other = ctx.model.tunnels[pb.tunnel].id.clone();
                let mut f = Finding::new(
                    FindingKind::TsOverlap,
                    &tid,
                    Severity::Warning,
                    Confidence::Certain,
                );
                f.parties(Some(Phase::Phase2), pa.initiator, pa.responder);
                f.evidence(
                    ctx.model,
                    pa.at,
                    format!("{} <-> {} via {}", show(a.1), show(a.2), a.3),
                );
                f.evidence(
                    ctx.model,
                    pb.at,
                    format!("{} <-> {} via {}", show(b.1), show(b.2), b.3),
                );
                f.summary = format!(
                    "at gateway {gw}, the selectors of this tunnel ({} <-> {} via {}) overlap those of tunnel {other} ({} <-> {} via {}): traffic matching both can go into either tunnel; an active/standby pair needs identical selectors, separate tunnels disjoint ones",
                    show(a.1), show(a.2), a.3, show(b.1), show(b.2), b.3
                );
                f.detail("other_tunnel", &other);
                f.fix = Some(format!(
                    "Make the protected subnets of the tunnels through {gw} disjoint (or, for an \
                     active/standby pair, identical with route priorities deciding); {}",
                    fixes::TS
                ));
                ctx.add(f);
                reported += 1;
            }
        }
    }
}

fn proposals(ctx: &mut Ctx<'_>) {
    // each tunnel on its own: decided on all cores
    ctx.per_tunnel(|ctx, t, out| {
        // two different offers need two IKE SAs: a tunnel with one has nothing to compare
        if t.sas.iter().filter(|&&s| !ctx.is_probe(s)).nth(1).is_some() {
            tunnel_proposals(ctx, t, out);
        }
    });
}

fn tunnel_proposals(ctx: &Ctx<'_>, t: &Tunnel, out: &mut Vec<TunnelOutcome>) {
    let model = ctx.model;
    {
        // (initiator, version) -> distinct offers, each with the frame of its first request.
        let mut offers: BTreeMap<(IpAddr, IkeVersion), Vec<Offer>> = BTreeMap::new();
        for &sid in t.sas.iter().filter(|s| !ctx.is_probe(**s)) {
            let sa = &model.sas[sid];
            let first = sa.exchanges.iter().find(|e| {
                matches!(
                    e.kind,
                    ExchangeKind::IkeSaInit | ExchangeKind::MainMode | ExchangeKind::AggressiveMode
                )
            });
            let Some(req) = first.and_then(|e| e.requests.first()) else {
                continue;
            };
            let ike = ctx.ike(req);
            let mut offer: Vec<String> = ike
                .proposals
                .iter()
                .flat_map(|p| {
                    p.transforms.iter().map(move |tr| {
                        let attrs: Vec<String> = tr
                            .attributes
                            .iter()
                            .map(|a| format!("{}={:?}", a.kind, a.value.as_u64()))
                            .collect();
                        format!("{}:{}:{}:{}", p.protocol.0, tr.kind, tr.id, attrs.join(","))
                    })
                })
                .collect();
            if offer.is_empty() {
                continue;
            }
            offer.sort();
            let list = offers.entry((sa.initiator, sa.version)).or_default();
            if !list.iter().any(|(o, _)| *o == offer) {
                list.push((offer, *req));
            }
        }
        for ((initiator, ike_version), list) in offers {
            let version = ike_version.number();
            if list.len() < 2 {
                continue;
            }
            let mut f = Finding::new(
                FindingKind::ProposalInconsistent,
                &t.id,
                Severity::Warning,
                Confidence::Certain,
            );
            f.phase = Some(Phase::Phase1);
            f.initiator = Some(initiator);
            let mut shown = Vec::new();
            for (_, m) in &list {
                let sum = ctx.proposal_summaries(m).join(",");
                f.evidence(
                    model,
                    m.at,
                    format!("IKEv{version} offer from {initiator}: {sum}"),
                );
                shown.push(sum);
            }
            f.summary = format!(
                "{initiator}'s IKEv{version} connections to this peer offer {} different IKE proposal sets or lifetimes ({}); connections sharing phase 1 must offer identical ones",
                list.len(),
                shown.join(" | ")
            );
            f.fix = Some(
                "Give every connection between these two peers the same IKE proposals and lifetimes \
                 (on the initiating end), and the same on the other end."
                    .into(),
            );
            out.push(TunnelOutcome::Add(f));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn ranges_overlap_only_within_one_family() {
        let a = (ip("10.0.0.0"), ip("10.0.0.255"));
        assert!(overlap(a, (ip("10.0.0.128"), ip("10.0.1.0"))));
        assert!(!overlap(a, (ip("10.0.1.0"), ip("10.0.1.255"))));
        assert!(!overlap(a, (ip("::"), ip("ffff::"))));
        let cgn = (ip("100.64.0.0"), ip("100.127.255.255"));
        assert!(overlap((ip("100.100.0.0"), ip("100.100.0.255")), cgn));
        assert!(overlap((ip("0.0.0.0"), ip("255.255.255.255")), cgn));
        assert!(!overlap((ip("100.128.0.0"), ip("100.128.0.255")), cgn));
    }

    mod on_models {
        //! Selector rules on IKEv2 tunnels through gateway 192.0.2.1 whose
        //! decrypted IKE_AUTH responses carry the agreed selectors.
        use super::super::super::testkit::{findings, the, tunnel_up};

        const GW: &str = "192.0.2.1";

        #[test]
        fn overlapping_but_different_selectors_through_one_gateway_are_flagged() {
            let mut m = tunnel_up(
                0.0,
                GW,
                "198.51.100.1",
                1,
                ("10.1.0.0", "10.1.0.255"),
                ("10.2.0.0", "10.2.255.255"),
            );
            m.extend(tunnel_up(
                1.0,
                GW,
                "203.0.113.1",
                3,
                ("10.1.0.0", "10.1.0.255"),
                ("10.2.5.0", "10.2.5.255"),
            ));
            let f = findings(m, vec![]);
            let o = the(&f, "ts_overlap");
            assert!(o.summary.contains("10.2.5.0-10.2.5.255"), "{}", o.summary);
            assert!(o.is_failure());
        }

        #[test]
        fn identical_selectors_are_a_redundant_pair_and_disjoint_ones_are_fine() {
            let mut m = tunnel_up(
                0.0,
                GW,
                "198.51.100.1",
                1,
                ("10.1.0.0", "10.1.0.255"),
                ("10.2.0.0", "10.2.0.255"),
            );
            m.extend(tunnel_up(
                1.0,
                GW,
                "203.0.113.1",
                3,
                ("10.1.0.0", "10.1.0.255"),
                ("10.2.0.0", "10.2.0.255"),
            ));
            m.extend(tunnel_up(
                2.0,
                GW,
                "203.0.113.9",
                5,
                ("10.1.0.0", "10.1.0.255"),
                ("10.3.0.0", "10.3.0.255"),
            ));
            let f = findings(m, vec![]);
            assert!(!f.iter().any(|f| f.is_failure()), "{f:#?}");
        }

        #[test]
        fn selectors_in_the_shared_address_space_are_flagged() {
            let m = tunnel_up(
                0.0,
                GW,
                "198.51.100.1",
                1,
                ("10.1.0.0", "10.1.0.255"),
                ("100.100.0.0", "100.100.0.255"),
            );
            let f = findings(m, vec![]);
            assert!(the(&f, "ts_reserved_range").summary.contains("100.64.0.0/10"));
        }

        #[test]
        fn overlap_is_reported_once_however_often_the_tunnels_are_rebuilt() {
            // Two tunnels through the gateway, each set up five times with the same selectors,
            // among 2,000 tunnels with disjoint selectors.
            let mut m = Vec::new();
            for round in 0..5u64 {
                let t = 100.0 * round as f64;
                m.extend(tunnel_up(
                    t,
                    GW,
                    "198.51.100.1",
                    10 + round * 2,
                    ("10.1.0.0", "10.1.0.255"),
                    ("10.2.0.0", "10.2.255.255"),
                ));
                m.extend(tunnel_up(
                    t + 10.0,
                    GW,
                    "203.0.113.1",
                    11 + round * 2,
                    ("10.1.0.0", "10.1.0.255"),
                    ("10.2.5.0", "10.2.5.255"),
                ));
            }
            for i in 0..2000u64 {
                let peer = format!("198.18.{}.{}", i / 250, i % 250 + 1);
                let far = (format!("172.16.{}.0", i / 8), format!("172.16.{}.255", i / 8));
                let near = (format!("10.9.{}.0", i % 250), format!("10.9.{}.255", i % 250));
                m.extend(tunnel_up(
                    1000.0 + i as f64,
                    GW,
                    &peer,
                    1000 + i,
                    (&near.0, &near.1),
                    (&far.0, &far.1),
                ));
            }
            let f = findings(m, vec![]);
            let o: Vec<_> = f.iter().filter(|f| f.kind.as_str() == "ts_overlap").collect();
            assert_eq!(
                o.len(),
                1,
                "{:#?}",
                o.iter().map(|f| &f.summary).collect::<Vec<_>>()
            );
        }
    }
}
