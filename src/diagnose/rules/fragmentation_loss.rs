//! fragmentation_loss: the silence starts at a message that was IP-fragmented or larger than
//! the path allows.
//!
//! Wire signature: an unanswered (retransmitted) request that travelled as IP fragments or is
//! larger than 1500 bytes, IP reassemblies of IKE datagrams that never completed at the capture
//! point, ICMP "fragmentation needed"/"packet too big" quoting the flow, or IKEv2 SKF fragments
//! with a missing index; together with IKEv2 fragmentation (N(IKEV2_FRAGMENTATION_SUPPORTED))
//! not negotiated by both ends.

use crate::capture::IngestEvent;
use crate::diagnose::{fixes, Confidence, Ctx, Finding, FindingKind, Severity};
use crate::reconstruct::exchanges::notify;
use crate::reconstruct::{ExchangeKind, FrameRef, IkeSa};
use std::collections::BTreeSet;

/// Typical path MTU; IKE datagrams above it are fragmented on most paths.
const TYPICAL_MTU: u32 = 1500;

fn fragmentation_negotiated(ctx: &Ctx<'_>, sa: &IkeSa) -> Option<bool> {
    let init = sa.exchanges.iter().rfind(|e| e.kind == ExchangeKind::IkeSaInit)?;
    let req = init.requests.first()?;
    let resp = init.responses.first()?;
    Some(
        ctx.ike(req).notify.contains(&notify::FRAGMENTATION_SUPPORTED)
            && ctx.ike(resp).notify.contains(&notify::FRAGMENTATION_SUPPORTED),
    )
}

/// Run the rule.
pub fn run(ctx: &mut Ctx<'_>) {
    let model = ctx.model;
    for sa in &model.sas {
        if ctx.version_mismatch_tunnels.contains(&sa.tunnel) {
            continue;
        }
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
            f.parties(e.kind.phase().or(Some("phase1")), e.requester, e.responder);
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
            ctx.explained.insert((sa.id, ei));
            ctx.add(f);
        }
    }
}
