//! no_response: requests retransmitted with no reply.
//!
//! Wire signature: bitwise-identical requests repeated with a growing back-off and nothing from
//! the peer for that exchange (RFC 7296 §2.1). Two cases are told apart: the peer never answers
//! anything ("peer never answers": path blocked, peer down, wrong address) and the peer answers
//! the first exchange, then goes silent (UDP 4500 blocked after the NAT-T float, an oversized
//! message, or an IKEv1 responder that cannot decrypt MM5). ICMP errors quoting the flow are
//! shown when present. Liveness checks that go unanswered are reported with phase null.

use crate::diagnose::{fixes, Confidence, Ctx, Finding, FindingKind, Severity, TunnelOutcome};
use crate::reconstruct::{ExchangeKind, IkeSa, MsgRef, Tunnel};
use crate::record::Timestamp;
use ikescope_parsers::iana::IkeVersion;

struct Silence<'a> {
    sa: &'a IkeSa,
    exchange: usize,
    /// Requests that went unanswered.
    requests: Vec<MsgRef>,
    /// The peer answered earlier exchanges of this SA.
    answered_before: bool,
    /// The exchange was answered, yet the requester kept retransmitting: the answers are lost on
    /// the way back (seen from the responder's side of the path).
    answers_lost: bool,
}

/// The tunnel had an IKE SA established after `time` (the silence did not last).
fn recovered_after(ctx: &Ctx<'_>, tunnel: usize, time: Timestamp) -> bool {
    ctx.latest_established(tunnel).is_some_and(|t| t > time)
}

fn silences<'a>(ctx: &Ctx<'a>, sa: &'a IkeSa) -> Vec<Silence<'a>> {
    let mut out = Vec::new();
    for (ei, e) in sa.exchanges.iter().enumerate() {
        if ctx.is_explained(sa.id, ei) {
            continue;
        }
        let Some(requests) = ctx.silent_requests(sa, ei) else {
            if let Some(lost) = answers_lost(sa, ei) {
                out.push(Silence {
                    sa,
                    exchange: ei,
                    requests: lost,
                    answered_before: true,
                    answers_lost: true,
                });
            }
            continue;
        };
        // A single copy never retransmitted, superseded by a later working SA, is a lost packet.
        if e.unanswered() && requests.len() == 1 && recovered_after(ctx, sa.tunnel, e.start()) {
            continue;
        }
        out.push(Silence {
            sa,
            exchange: ei,
            requests,
            answered_before: !e.unanswered() || sa.exchanges[..ei].iter().any(|x| !x.unanswered()),
            answers_lost: false,
        });
    }
    out
}

/// IKEv2: copies of the request that arrived after the first response (at least two), with no
/// later exchange of the SA answered: the responder answers, the requester never hears it.
fn answers_lost(sa: &IkeSa, ei: usize) -> Option<Vec<MsgRef>> {
    let e = &sa.exchanges[ei];
    if sa.version != IkeVersion::V2 || sa.exchanges[ei + 1..].iter().any(|x| !x.unanswered()) {
        return None;
    }
    let first_answer = e.responses.first()?.time;
    let late: Vec<MsgRef> = e
        .requests
        .iter()
        .copied()
        .filter(|m| m.retransmit && m.time > first_answer)
        .collect();
    (late.len() >= 2).then_some(late)
}

/// Run the rule.
pub fn run(ctx: &mut Ctx<'_>) {
    // each tunnel on its own (its silences are all found before any is explained): decided on
    // all cores
    ctx.per_tunnel(tunnel);
}

fn tunnel(ctx: &Ctx<'_>, t: &Tunnel, out: &mut Vec<TunnelOutcome>) {
    let model = ctx.model;
    {
        if ctx.version_mismatch(t.index) {
            return;
        }
        let mut found: Vec<Silence> = Vec::new();
        for &sid in &t.sas {
            found.extend(silences(ctx, &model.sas[sid]));
        }
        for s in found {
            let e = &s.sa.exchanges[s.exchange];
            let phase = e.kind.phase();
            let recovered = recovered_after(ctx, t.index, e.end());
            // Unanswered liveness checks alone (the peer went away; no negotiation failed) are a
            // warning, like a silence the tunnel recovered from.
            let severity = if recovered || phase.is_none() {
                Severity::Warning
            } else {
                Severity::Error
            };
            let mut f = Finding::new(FindingKind::NoResponse, &t.id, severity, Confidence::Certain);
            f.parties(phase, e.requester, e.responder);
            for m in s.requests.iter().take(6) {
                f.evidence(model, m.at, format!("{}, no response", ctx.describe(e, m, false)));
            }
            let backoff: Vec<f64> = s
                .requests
                .windows(2)
                .map(|w| (w[1].time.secs_since(w[0].time) * 100.0).round() / 100.0)
                .collect();
            // ICMP errors quoting this flow.
            let mut icmp_notes = Vec::new();
            for r in ctx.icmp_quoting(e.requester, e.responder) {
                let Some(icmp) = &r.icmp else { continue };
                let note = format!(
                    "ICMP{} type {} code {} from {}",
                    if icmp.version == 6 { "v6" } else { "" },
                    icmp.icmp_type,
                    icmp.code,
                    r.src
                );
                f.evidence(
                    model,
                    crate::reconstruct::FrameRef {
                        file: r.file_index,
                        frame: r.frame,
                    },
                    format!("{note} quoting the request"),
                );
                icmp_notes.push(note);
            }
            let what = if matches!(e.kind, ExchangeKind::MainMode | ExchangeKind::AggressiveMode)
                && s.answered_before
            {
                format!("{} message from {}", e.kind.label(), e.requester)
            } else {
                e.kind.label().to_string()
            };
            let (summary, fix) = if s.answers_lost {
                for m in e.responses.iter().take(3) {
                    f.evidence(
                        model,
                        m.at,
                        format!("{} response from {}", e.kind.label(), e.responder),
                    );
                }
                f.confidence = Confidence::Likely;
                (
                    format!(
                        "{} answers {} but {} keeps retransmitting it ({} copies after the answer): the answers are lost on the way back",
                        e.responder,
                        e.kind.label(),
                        e.requester,
                        s.requests.len()
                    ),
                    fixes::RETURN_PATH,
                )
            } else if phase.is_none() {
                (
                    format!(
                        "{} checks from {} unanswered by {} ({} copies)",
                        what,
                        e.requester,
                        e.responder,
                        s.requests.len()
                    ),
                    fixes::DPD_FLAP,
                )
            } else if s.answered_before || !e.responses.is_empty() {
                silence_alternatives(ctx, &mut f, e, &s.requests);
                (
                    format!(
                        "{} answers the earlier messages, then goes silent: {} sent {} with no reply",
                        e.responder,
                        what,
                        crate::wording::times(s.requests.len())
                    ),
                    fixes::PATH_AFTER_INIT,
                )
            } else {
                let point = if t.capture_point.beside(e.responder) {
                    ": the requests reach the responder's side (captured there), so the responder ignores them (no configuration for this peer or IKE version, or its own firewall)"
                } else {
                    ""
                };
                (
                    format!(
                        "peer never answers: {} from {} to {} sent {} with no reply{point}",
                        what,
                        e.requester,
                        e.responder,
                        crate::wording::times(s.requests.len())
                    ),
                    fixes::PATH,
                )
            };
            f.summary = summary;
            if !backoff.is_empty() {
                f.summary.push_str(&format!(" (back-off {:?} s)", backoff));
            }
            if icmp_notes.is_empty() {
                f.summary.push_str("; no ICMP error seen");
            } else {
                f.summary.push_str(&format!("; {}", icmp_notes.join(", ")));
            }
            if recovered {
                f.summary.push_str("; the tunnel came up later");
            }
            f.detail("backoff_s", backoff);
            f.detail("copies", s.requests.len());
            f.fix = Some(fix.to_string());
            out.push(TunnelOutcome::Explain(s.sa.id, s.exchange));
            out.push(TunnelOutcome::Add(f));
        }
    }
}

/// Causes a silence after an answered first exchange shares with a path problem, by what the
/// unanswered request is.
fn silence_alternatives(
    ctx: &Ctx<'_>,
    f: &mut Finding,
    e: &crate::reconstruct::Exchange,
    requests: &[MsgRef],
) {
    let encrypted = requests.iter().any(|m| ctx.ike(m).encrypted);
    match e.kind {
        ExchangeKind::MainMode | ExchangeKind::AggressiveMode if encrypted => f.alternative(
            FindingKind::AuthFailure,
            "the responder cannot decrypt the encrypted message (the pre-shared keys differ) and drops it without a notify",
            "the responder's log (libreswan \"probable authentication failure (mismatch of preshared secrets?)\", strongSwan \"decryption failed?\"), or keys for both ends",
        ),
        ExchangeKind::IkeAuth => f.alternative(
            FindingKind::FragmentationLoss,
            "the IKE_AUTH request leaves as IP fragments and some are lost after the capture point",
            "a capture on the responder (do all IP fragments of IKE_AUTH arrive?), or IKEv2 fragmentation (RFC 7383) enabled on both ends",
        ),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use ikescope_parsers::iana::{ExchangeType, PayloadType};

    #[test]
    fn answers_lost_on_the_return_path_are_told_apart() {
        // The responder answers IKE_SA_INIT; the initiator keeps sending the same request
        // (the answers are lost on the way back).
        let p = [PayloadType::V2_SA, PayloadType::V2_KE, PayloadType::V2_NONCE];
        let mut m = vec![
            Msg::new(2, ExchangeType::IKE_SA_INIT, 0.0, I, R, true, false, 42).payloads(&p, None),
            Msg::new(2, ExchangeType::IKE_SA_INIT, 0.01, R, I, false, true, 2).payloads(&p, None),
        ];
        for secs in [1.0, 3.0, 7.0] {
            m.push(Msg::new(2, ExchangeType::IKE_SA_INIT, secs, I, R, true, false, 42).payloads(&p, None));
        }
        let f = findings(m, vec![]);
        let n = the(&f, "no_response");
        assert!(n.summary.contains("lost on the way back"), "{}", n.summary);
        assert_eq!(n.phase, Some(crate::reconstruct::Phase::Phase1));
    }
}
