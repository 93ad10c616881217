//! fragmentation_loss: the silence starts at a message that was IP-fragmented or larger than
//! the path allows.
//!
//! Wire signature: an unanswered (retransmitted) request that travelled as IP fragments or is
//! larger than 1500 bytes, IP reassemblies of IKE datagrams that never completed at the capture
//! point, ICMP "fragmentation needed"/"packet too big" quoting the flow, or IKEv2 SKF fragments
//! with a missing index; together with IKEv2 fragmentation (N(IKEV2_FRAGMENTATION_SUPPORTED))
//! not negotiated by both ends.
//!
//! Seen where the later fragments never arrive (on the responder, or on the path after the
//! loss), the lost message is no IKE message at all: after the last answered exchange, only
//! first IP fragments of UDP 500/4500 datagrams from one peer to the other, one per
//! retransmission, never completed. Those alone make the finding (see
//! [`first_fragments_only`]).

use crate::capture::IngestEvent;
use crate::diagnose::{fixes, progress, Confidence, Ctx, Finding, FindingKind, Severity, TunnelOutcome};
use crate::reconstruct::SaState;
use crate::reconstruct::{ExchangeKind, FrameRef, IkeSa, Phase};
use crate::record::Timestamp;
use ikescope_parsers::iana::{IkeVersion, NotifyType};
use ikescope_parsers::ip;
use std::collections::BTreeSet;

/// Typical path MTU; IKE datagrams above it are fragmented on most paths.
const TYPICAL_MTU: u32 = 1500;

fn fragmentation_negotiated(ctx: &Ctx<'_>, sa: &IkeSa) -> Option<bool> {
    let init = sa.exchanges.iter().rfind(|e| e.kind == ExchangeKind::IkeSaInit)?;
    let req = init.requests.first()?;
    let resp = init.responses.first()?;
    Some(
        ctx.ike(req)
            .notify
            .contains(&NotifyType::V2_IKEV2_FRAGMENTATION_SUPPORTED)
            && ctx
                .ike(resp)
                .notify
                .contains(&NotifyType::V2_IKEV2_FRAGMENTATION_SUPPORTED),
    )
}

/// Run the rule.
pub fn run(ctx: &mut Ctx<'_>) {
    // each tunnel on its own (the SAs are numbered tunnel by tunnel: the same order as going
    // through them all): decided on all cores
    ctx.per_tunnel(|ctx, t, out| {
        for &sid in &t.sas {
            tunnel_sa(ctx, &ctx.model.sas[sid], out);
        }
    });
}

fn tunnel_sa(ctx: &Ctx<'_>, sa: &IkeSa, out: &mut Vec<TunnelOutcome>) {
    let model = ctx.model;
    {
        if ctx.version_mismatch(sa.tunnel) {
            return;
        }
        first_fragments_only(ctx, sa, out);
        let tunnel = &model.tunnels[sa.tunnel];
        for (ei, e) in sa.exchanges.iter().enumerate() {
            let Some(silent) = ctx.silent_requests(sa, ei) else {
                continue;
            };
            let mut f = Finding::new(
                FindingKind::FragmentationLoss,
                &tunnel.id,
                Severity::Error,
                Confidence::Likely,
            );
            let mut signals = Vec::new();
            let mut fragmented_frames = BTreeSet::new();
            let mut max_len = 0u32;
            for m in &silent {
                let r = ctx.rec(m);
                max_len = max_len.max(r.ip_length);
                if let Some(frames) = &r.ip_fragment_frames {
                    fragmented_frames.extend(frames.iter().copied());
                    f.evidence(
                        model,
                        m.at,
                        format!(
                            "{} sent as {} IP fragments ({} bytes IP datagram), no response",
                            e.kind.label(),
                            frames.len(),
                            r.ip_length
                        ),
                    );
                }
            }
            if !fragmented_frames.is_empty() {
                signals.push(format!("the request was IP-fragmented ({} bytes)", max_len));
            } else if max_len > TYPICAL_MTU {
                signals.push(format!(
                    "the request is {max_len} bytes, above a {TYPICAL_MTU}-byte path MTU"
                ));
                for m in silent.iter().take(3) {
                    f.evidence(
                        model,
                        m.at,
                        format!(
                            "{} of {} bytes, no response",
                            e.kind.label(),
                            ctx.rec(m).ip_length
                        ),
                    );
                }
            }
            // Reassemblies that never completed between the same peers during the exchange.
            let (start, end) = (e.start(), e.end());
            let mut incomplete = 0;
            for (file, ev) in ctx.incomplete_between(e.requester, e.responder) {
                if let IngestEvent::IncompleteReassembly {
                    frames,
                    first_time,
                    src,
                    dst,
                    bytes_seen,
                    ..
                } = ev
                {
                    let near =
                        first_time.0 >= start.0 - 2_000_000_000 && first_time.0 <= end.0 + 10_000_000_000;
                    if *src == e.requester && *dst == e.responder && near {
                        incomplete += 1;
                        if let Some(&fr) = frames.first() {
                            f.evidence(
                                model,
                                FrameRef { file: *file, frame: fr },
                                format!("IP fragments never completed at the capture point ({bytes_seen} bytes seen)"),
                            );
                        }
                    }
                }
            }
            if incomplete > 0 {
                signals.push(format!("{incomplete} IP reassemblies never completed"));
            }
            // ICMP too-big quoting the flow.
            let mut icmp_certain = false;
            for r in ctx.icmp_quoting(e.requester, e.responder) {
                let Some(icmp) = &r.icmp else { continue };
                let too_big = (icmp.version == 4 && icmp.icmp_type == 3 && icmp.code == 4)
                    || (icmp.version == 6 && icmp.icmp_type == 2);
                if too_big && icmp.quoted.src == e.requester && icmp.quoted.dst == e.responder {
                    icmp_certain = true;
                    f.evidence(
                        model,
                        FrameRef {
                            file: r.file_index,
                            frame: r.frame,
                        },
                        format!("ICMP packet too big from {} (MTU {:?})", r.src, icmp.mtu),
                    );
                }
            }
            if icmp_certain {
                signals.push("an ICMP packet-too-big quotes it".into());
            }
            // IKEv2 SKF fragments with a hole.
            let mut skf_total = None;
            let mut skf_seen = BTreeSet::new();
            for m in &silent {
                if let Some(fr) = &ctx.ike(m).fragment {
                    if let Some(t) = fr.total {
                        skf_total = Some(t);
                        skf_seen.insert(fr.number);
                    }
                }
            }
            if let Some(total) = skf_total {
                let missing: Vec<u16> = (1..=total).filter(|n| !skf_seen.contains(n)).collect();
                if !missing.is_empty() {
                    signals.push(format!("IKEv2 fragments {missing:?} of {total} never seen"));
                    if let Some(m) = silent.first() {
                        f.evidence(
                            model,
                            m.at,
                            format!("IKEv2 fragment set incomplete: missing {missing:?} of {total}"),
                        );
                    }
                }
            }
            if signals.is_empty() {
                continue;
            }
            let negotiated = fragmentation_negotiated(ctx, sa);
            if negotiated == Some(false) {
                signals.push("IKEv2 fragmentation (RFC 7383) was not negotiated by both ends".into());
            }
            if icmp_certain {
                f.confidence = Confidence::Certain;
            }
            f.parties(e.kind.phase().or(Some(Phase::Phase1)), e.requester, e.responder);
            f.summary = format!(
                "{} from {} to {} never answered ({} retransmissions): {}",
                e.kind.label(),
                e.requester,
                e.responder,
                e.request_retransmits(),
                signals.join("; ")
            );
            f.detail("max_ip_length", max_len);
            f.detail("retransmissions", e.request_retransmits());
            f.fix = Some(fixes::FRAGMENTATION.to_string());
            out.push(TunnelOutcome::Explain(sa.id, ei));
            out.push(TunnelOutcome::Add(f));
        }
    }
}

/// IKE ports: datagrams to or from them are IKE (or ESP in UDP, never fragmented in practice at
/// negotiation time).
fn ike_ports(ports: Option<(u16, u16)>) -> bool {
    ports.is_some_and(|(a, b)| [500, 4500].contains(&a) || [500, 4500].contains(&b))
}

/// An SA whose negotiation stopped after an answered exchange, followed only by incomplete IP
/// datagrams on the IKE ports from one peer to the other: the message that would continue the
/// negotiation (IKE_AUTH with certificates, IKEv1 message 5) left as IP fragments and only the
/// first ones reached the capture point.
fn first_fragments_only(ctx: &Ctx<'_>, sa: &IkeSa, out: &mut Vec<TunnelOutcome>) {
    if matches!(sa.state, SaState::Established | SaState::Midstream) {
        return;
    }
    let model = ctx.model;
    let Some((ei, last)) = sa.exchanges.iter().enumerate().rfind(|(_, e)| !e.unanswered()) else {
        return;
    };
    // Nothing of the SA after the answered exchange except retransmissions of it.
    if sa.exchanges[ei + 1..].iter().any(|e| e.kind.phase().is_some()) {
        return;
    }
    let after = last.end();
    let until = model.tunnels[sa.tunnel]
        .sas
        .iter()
        .map(|&s| &model.sas[s])
        .filter(|o| o.first > after)
        .map(|o| o.first)
        .min()
        .unwrap_or(Timestamp(i64::MAX));
    for (from, to) in [(sa.initiator, sa.responder), (sa.responder, sa.initiator)] {
        let lost: Vec<&(usize, IngestEvent)> = ctx
            .incomplete_between(from, to)
            .filter(|(_, ev)| match ev {
                IngestEvent::IncompleteReassembly {
                    first_time,
                    ports,
                    proto,
                    ..
                } => {
                    *proto == ip::proto::UDP
                        && ike_ports(*ports)
                        && *first_time >= after
                        && *first_time < until
                }
                _ => false,
            })
            .collect();
        if lost.is_empty() {
            continue;
        }
        let mut f = Finding::new(
            FindingKind::FragmentationLoss,
            ctx.tunnel_id(sa),
            Severity::Error,
            Confidence::Likely,
        );
        let next = if sa.version == IkeVersion::V2 {
            "IKE_AUTH"
        } else {
            "the next phase-1 message"
        };
        f.parties(Some(Phase::Phase1), sa.initiator, sa.responder);
        let mut seen = 0;
        for (file, ev) in &lost {
            if let IngestEvent::IncompleteReassembly {
                frames,
                bytes_seen,
                total_len,
                ..
            } = ev
            {
                seen = seen.max(*bytes_seen);
                if let Some(&fr) = frames.first() {
                    f.evidence(
                        model,
                        FrameRef { file: *file, frame: fr },
                        format!(
                            "first IP fragment from {from} to {to} ({bytes_seen} bytes{}), the other fragments never seen",
                            total_len.map(|t| format!(" of {t}")).unwrap_or_default()
                        ),
                    );
                }
            }
        }
        let how_far = progress::describe(ctx, sa, true);
        let place = if model.tunnels[sa.tunnel].capture_point.beside(to) {
            format!("on the path before {to} (captured on its side)")
        } else {
            "before the capture point".to_string()
        };
        f.summary = format!(
            "{how_far}; then {} IKE datagram{} from {from} to {to} arrived only as {} first IP fragment{} ({seen} bytes): the other fragments were lost {place}, so {to} never gets {next} (too big for the path){}",
            lost.len(),
            if lost.len() == 1 { "" } else { "s" },
            if lost.len() == 1 { "its" } else { "their" },
            if lost.len() == 1 { "" } else { "s" },
            if lost.len() > 1 { "; each retransmission fails the same way" } else { "" }
        );
        if fragmentation_negotiated(ctx, sa) == Some(false) {
            f.summary
                .push_str("; IKEv2 fragmentation (RFC 7383) was not negotiated by both ends");
        }
        f.detail("progress", &how_far);
        f.detail("incomplete_datagrams", lost.len());
        f.fix = Some(fixes::FRAGMENTATION.to_string());
        out.push(TunnelOutcome::Explain(sa.id, ei));
        out.push(TunnelOutcome::Add(f));
        return;
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use ikescope_parsers::iana::{ExchangeType, PayloadType};

    #[test]
    fn only_first_fragments_after_ike_sa_init_are_a_fragmentation_loss() {
        // Captured on the responder: IKE_SA_INIT answered, then the first fragment of each of
        // four copies of IKE_AUTH, nothing else.
        let lost = (0..4)
            .map(|k| first_fragment_only(3 + k, 1.0 + f64::from(1u32 << k), I, R))
            .collect();
        let f = findings(ike_sa_init(0.0), lost);
        assert_eq!(
            failures(&f),
            vec![("fragmentation_loss", Some("phase1"))],
            "{f:#?}"
        );
        let x = &f[0];
        assert!(
            x.summary
                .contains("4 IKE datagrams from 192.0.2.1 to 198.51.100.1"),
            "{}",
            x.summary
        );
        assert!(x.summary.contains("never gets IKE_AUTH"), "{}", x.summary);
        assert_eq!(x.evidence.len(), 4);
    }

    #[test]
    fn captured_on_the_responder_the_loss_is_placed_before_it() {
        // The responder's packets carry their initial TTL, the initiator's arrive 2 hops away.
        let msgs = vec![
            Msg::new(2, ExchangeType::IKE_SA_INIT, 0.0, I, R, true, false, 1)
                .payloads(
                    &[PayloadType::V2_SA, PayloadType::V2_KE, PayloadType::V2_NONCE],
                    None,
                )
                .ttl(62),
            Msg::new(2, ExchangeType::IKE_SA_INIT, 0.01, R, I, false, true, 2)
                .payloads(
                    &[PayloadType::V2_SA, PayloadType::V2_KE, PayloadType::V2_NONCE],
                    None,
                )
                .ttl(64),
        ];
        let lost = vec![
            first_fragment_only(3, 1.0, I, R),
            first_fragment_only(4, 2.0, I, R),
        ];
        let m = model(msgs, lost);
        assert_eq!(
            m.tunnels[0].capture_point.point,
            crate::reconstruct::CapturePoint::Responder
        );
        let f = crate::diagnose::diagnose(&m);
        let x = f
            .iter()
            .find(|x| x.kind.as_str() == "fragmentation_loss")
            .expect("finding");
        assert!(
            x.summary
                .contains("lost on the path before 198.51.100.1 (captured on its side)"),
            "{}",
            x.summary
        );
    }

    #[test]
    fn fragments_of_other_ports_or_before_the_exchange_do_not_count() {
        let mut other = first_fragment_only(3, 5.0, I, R);
        if let crate::capture::IngestEvent::IncompleteReassembly { ports, .. } = &mut other {
            *ports = Some((53, 53));
        }
        let early = first_fragment_only(1, 0.0, I, R);
        let mut msgs = ike_sa_init(1.0);
        msgs.push(
            Msg::new(2, ExchangeType::IKE_AUTH, 30.0, I, R, true, false, 9)
                .mid(1)
                .payloads(&[PayloadType::V2_SK], Some(PayloadType::V2_IDI)),
        );
        let f = findings(msgs, vec![other, early]);
        assert!(
            !f.iter().any(|x| x.kind.as_str() == "fragmentation_loss"),
            "{f:#?}"
        );
    }

    #[test]
    fn main_mode_message_6_lost_in_fragments_on_the_way_to_the_initiator() {
        // Main Mode 1-4 and the encrypted message 5 arrive; the responder's message 6 (with its
        // certificate) is cut into IP fragments and only the first of each copy reaches the
        // capture: the loss is in the responder-to-initiator direction.
        let m = main_mode(5);
        let lost = (0..3)
            .map(|k| first_fragment_only(6 + k, 0.06 + f64::from(1u32 << k), R, I))
            .collect();
        let f = findings(m, lost);
        assert_eq!(
            failures(&f),
            vec![("fragmentation_loss", Some("phase1"))],
            "{f:#?}"
        );
        let x = the(&f, "fragmentation_loss");
        assert_eq!((x.initiator, x.responder), (Some(ip(I)), Some(ip(R))));
        assert_eq!(frames(x), vec![6, 7, 8]);
        assert!(
            x.summary.contains(&format!(
                "then 3 IKE datagrams from {R} to {I} arrived only as their first IP fragments (1480 bytes)"
            )),
            "{}",
            x.summary
        );
        assert!(
            x.summary
                .contains(&format!("so {I} never gets the next phase-1 message")),
            "{}",
            x.summary
        );
        assert_eq!(x.details["incomplete_datagrams"], 3);
    }
}
