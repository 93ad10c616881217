//! tunnel_addressing: BGP peering addresses against the tunnel-address conventions of cloud
//! VPN gateways (warning).
//!
//! Signature: a BGP session inside a tunnel whose speakers use link-local tunnel addresses
//! (169.254.0.0/16, "APIPA") that are not in one /30 (the two ends of one tunnel), or only one
//! of them does; two tunnels whose sessions use the same 169.254.x.x/30; or a speaker address or
//! an announced prefix inside 100.64.0.0/10, which cloud gateways reserve for themselves.

use crate::diagnose::{Confidence, Ctx, Finding, FindingKind, Severity};
use crate::reconstruct::bgp_state::BgpSession;
use ipnet::Ipv4Net;
use std::net::{IpAddr, Ipv4Addr};

fn link_local(a: IpAddr) -> Option<Ipv4Addr> {
    match a {
        IpAddr::V4(v) if v.is_link_local() => Some(v),
        _ => None,
    }
}

fn slash30(a: Ipv4Addr) -> Ipv4Net {
    Ipv4Net::new(a, 30).map(|n| n.trunc()).unwrap_or_default()
}

fn shared_space() -> Ipv4Net {
    Ipv4Net::new(Ipv4Addr::new(100, 64, 0, 0), 10).unwrap_or_default()
}

fn in_shared(a: IpAddr) -> bool {
    matches!(a, IpAddr::V4(v) if shared_space().contains(&v))
}

/// Run the rule.
pub fn run(ctx: &mut Ctx<'_>) {
    let sessions: &[BgpSession] = &ctx.model.bgp;
    let mut seen30: Vec<(Ipv4Net, Option<usize>, [IpAddr; 2])> = Vec::new();
    for s in sessions {
        let [a, b] = s.speakers;
        let mut problems = Vec::new();
        match (link_local(a), link_local(b)) {
            (Some(x), Some(y)) if slash30(x) != slash30(y) => problems.push(format!(
                "the BGP addresses {a} and {b} are not in one /30: each tunnel's two ends take the two host addresses of one 169.254.x.x/30"
            )),
            (Some(_), None) | (None, Some(_)) => problems.push(format!(
                "only one end of the BGP session {a} - {b} uses a 169.254.x.x tunnel address: the peering addresses do not align"
            )),
            (Some(x), Some(_)) => {
                let net = slash30(x);
                if let Some((_, t, other)) = seen30.iter().find(|(n, t, _)| *n == net && *t != s.tunnel) {
                    problems.push(format!(
                        "the tunnel address block {net} is used by the BGP session {} - {} on another tunnel{} too: each tunnel needs its own /30",
                        other[0],
                        other[1],
                        t.map(|t| format!(" ({})", ctx.model.tunnels[t].id)).unwrap_or_default()
                    ));
                } else {
                    seen30.push((net, s.tunnel, s.speakers));
                }
            }
            (None, None) => {}
        }
        for x in [a, b].into_iter().filter(|&x| in_shared(x)) {
            problems.push(format!(
                "the BGP address {x} is inside 100.64.0.0/10, which cloud VPN gateways reserve for their own use"
            ));
        }
        for (side, prefixes) in s.announced.iter().enumerate() {
            for p in prefixes {
                let net = Ipv4Net::new(p.address, p.length).unwrap_or_default();
                if shared_space().contains(&net) || net.contains(&shared_space()) {
                    problems.push(format!(
                        "{} announces {p}, which overlaps the reserved block 100.64.0.0/10",
                        s.speakers[side]
                    ));
                }
            }
        }
        if problems.is_empty() {
            continue;
        }
        let mut f = Finding::new(
            FindingKind::TunnelAddressing,
            &super::bgp::tunnel_id(ctx, s),
            Severity::Warning,
            Confidence::Certain,
        );
        f.summary = problems[0].clone();
        f.detail("problems", &problems);
        f.detail("bgp_speakers", s.speakers);
        f.evidence(
            ctx.model,
            s.first_frame,
            format!("first BGP packet between {a} and {b}"),
        );
        f.fix = Some(
            "give each tunnel its own 169.254.x.x/30 with the two ends on its two host addresses, and keep tunnel addresses and routes out of 100.64.0.0/10 (or translate them with NAT)"
                .into(),
        );
        ctx.add(f);
    }
}

#[cfg(test)]
mod tests {
    use crate::decode::RecordSink;
    use crate::reconstruct::bgp_sessions::testkit::{message, open, Wire};
    use crate::reconstruct::{Collected, Model};
    use ikescope_parsers::tcp::Flags;

    /// The tunnel_ and bgp_ findings of a BGP session between `a` and `b` seen in the clear;
    /// `a` announces `prefix` (length, bytes).
    fn kinds(a: &'static str, b: &'static str, prefix: &[u8]) -> Vec<&'static str> {
        let mut c = Collected::new(vec!["t.pcap".into()]);
        let mut w = Wire::new(a, b);
        let mut update = vec![0, 0, 0, 0];
        update.extend_from_slice(prefix);
        let (syn, ack) = (Flags::SYN, Flags::ACK);
        for (side, flags, payload) in [
            (0, syn, vec![]),
            (1, syn | ack, vec![]),
            (0, ack, open(65001, 90, 1)),
            (1, ack, open(65002, 90, 2)),
            (0, ack, message(4, &[])),
            (1, ack, message(4, &[])),
            (0, ack, message(2, &update)),
        ] {
            c.inner(w.segment(side, 0, flags, &payload));
        }
        let model = Model::build(c);
        assert_eq!(model.bgp.len(), 1);
        crate::diagnose::diagnose(&model)
            .iter()
            .map(|f| f.kind.as_str())
            .filter(|k| k.starts_with("tunnel_") || k.starts_with("bgp_"))
            .collect()
    }

    #[test]
    fn one_slash30_per_tunnel_is_fine() {
        assert_eq!(
            kinds("169.254.21.1", "169.254.21.2", &[24, 10, 1, 1]),
            Vec::<&str>::new()
        );
    }

    #[test]
    fn misaligned_link_local_addresses() {
        assert_eq!(kinds("169.254.21.1", "169.254.22.2", &[]), ["tunnel_addressing"]);
        assert_eq!(kinds("169.254.21.1", "10.0.0.2", &[]), ["tunnel_addressing"]);
    }

    #[test]
    fn reserved_shared_space() {
        assert_eq!(
            kinds("169.254.21.1", "169.254.21.2", &[24, 100, 64, 1]),
            ["tunnel_addressing"]
        );
        assert_eq!(kinds("100.64.0.1", "100.64.0.2", &[]), ["tunnel_addressing"]);
        assert_eq!(kinds("10.1.0.1", "10.2.0.1", &[8, 10]), Vec::<&str>::new());
    }
}
