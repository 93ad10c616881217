//! The never-silent net, run after every failure rule: a tunnel whose negotiation started and
//! did not reach an established state (or went down and stayed down) and that no rule explained
//! gets one finding saying how far it got:
//! - `redirect` (info): the responder answered IKE_SA_INIT with N(REDIRECT) (RFC 5685): the
//!   initiator was sent to another gateway, nothing failed here.
//! - `capture_too_short` (info): no retransmission, no refusal, and either the negotiation shows
//!   at most two messages or the capture ends less than [`LONE_REQUEST_WAIT_SECS`] after its
//!   last one: too soon to tell a slow peer from a dead one.
//! - `negotiation_stalled` (error): anything else: the phase, how far it got and the last
//!   messages as evidence. The labelled captures never need it; when it appears, a rule is
//!   missing.

use crate::diagnose::{progress, Confidence, Ctx, Finding, FindingKind, Severity, LONE_REQUEST_WAIT_SECS};
use crate::reconstruct::exchanges::notifies_of;
use crate::reconstruct::{IkeSa, MsgRef, Phase, SaState, Tunnel};
use ikescope_parsers::iana::NotifyType;
use ikescope_parsers::redirect::parse_redirect;

/// Messages shown as evidence of a stalled negotiation.
const LAST_MESSAGES: usize = 6;

/// The IKE SAs of the tunnel that started after its latest established one (all of them when
/// none was established) and did not come up themselves.
pub fn open_negotiations<'m>(ctx: &Ctx<'m>, t: &Tunnel) -> Vec<&'m IkeSa> {
    let model = ctx.model;
    let latest_up = t
        .sas
        .iter()
        .map(|&s| &model.sas[s])
        .filter(|sa| matches!(sa.state, SaState::Established | SaState::Midstream))
        .map(|sa| sa.first)
        .max();
    t.sas
        .iter()
        .map(|&s| &model.sas[s])
        .filter(|sa| !matches!(sa.state, SaState::Established | SaState::Midstream))
        .filter(|sa| latest_up.is_none_or(|u| sa.first > u))
        .filter(|sa| !sa.exchanges.is_empty())
        .collect()
}

fn messages(sa: &IkeSa) -> Vec<MsgRef> {
    let mut v: Vec<MsgRef> = sa
        .exchanges
        .iter()
        .flat_map(|e| e.requests.iter().chain(e.responses.iter()))
        .copied()
        .collect();
    v.sort_by_key(|m| (m.time, m.at));
    v
}

/// Run the rule.
pub fn run(ctx: &mut Ctx<'_>) {
    let model = ctx.model;
    for t in &model.tunnels {
        let open = open_negotiations(ctx, t);
        let Some(&last) = open.last() else { continue };
        // A failure explains it, or the tunnel is a prober's (ike_scan explains its SAs).
        if ctx.has_failure(&t.id) || ctx.has(FindingKind::IkeScan, &t.id) {
            continue;
        }
        if let Some(f) = redirect(ctx, t, &open) {
            ctx.add(f);
            continue;
        }
        let retransmitted = open.iter().any(|sa| {
            sa.exchanges
                .iter()
                .any(|e| e.requests.iter().chain(&e.responses).any(|m| m.retransmit))
        });
        let refused = open
            .iter()
            .any(|sa| matches!(sa.state, SaState::Refused | SaState::AuthFailed));
        let msgs = messages(last);
        let tail = msgs
            .last()
            .map(|m| model.capture_end.secs_since(m.time))
            .unwrap_or(0.0);
        let short = !retransmitted && !refused && (msgs.len() <= 2 || tail < LONE_REQUEST_WAIT_SECS);
        let how_far = progress::describe(ctx, last, !short);
        let phase = last
            .exchanges
            .iter()
            .rev()
            .find_map(|e| e.kind.phase())
            .or(Some(Phase::Phase1));
        let mut f = if short {
            let mut f = Finding::new(
                FindingKind::CaptureTooShort,
                &t.id,
                Severity::Info,
                Confidence::Certain,
            );
            f.summary = format!(
                "{how_far}; the capture ends {tail:.1} s later with {} message{} of this negotiation and no retransmission: too short to judge whether the peer answers",
                msgs.len(),
                if msgs.len() == 1 { "" } else { "s" }
            );
            f.fix = Some("Capture longer (at least a minute after the first message), on both ends if possible, and include the start of the negotiation.".into());
            f
        } else {
            let mut f = Finding::new(
                FindingKind::NegotiationStalled,
                &t.id,
                Severity::Error,
                Confidence::Likely,
            );
            f.summary = format!(
                "{how_far}; the negotiation never completed and no known failure pattern explains it{}",
                if refused {
                    " (the responder refused it)"
                } else {
                    ""
                }
            );
            f.fix = Some("Read both ends' logs for this negotiation (its SPIs are in the evidence); the wire shows where it stopped, not why.".into());
            f
        };
        f.parties(phase, last.initiator, last.responder);
        for m in msgs.iter().rev().take(LAST_MESSAGES).rev() {
            let e = last
                .exchanges
                .iter()
                .find(|e| e.requests.iter().chain(&e.responses).any(|x| x.index == m.index))
                .expect("message of the SA");
            let response = e.responses.iter().any(|x| x.index == m.index);
            f.evidence(model, m.at, ctx.describe(e, m, response));
        }
        f.detail("progress", &how_far);
        f.detail("messages", msgs.len());
        ctx.add(f);
    }
}

/// The first exchange was answered with REDIRECT: the initiator was sent elsewhere.
fn redirect(ctx: &Ctx<'_>, t: &Tunnel, open: &[&IkeSa]) -> Option<Finding> {
    let model = ctx.model;
    for sa in open {
        for e in &sa.exchanges {
            for m in &e.responses {
                let ike = ctx.ike(m);
                if !notifies_of(ike).contains(&NotifyType::V2_REDIRECT) {
                    continue;
                }
                let mut f = Finding::new(FindingKind::Redirect, &t.id, Severity::Info, Confidence::Certain);
                f.parties(Some(Phase::Phase1), sa.initiator, sa.responder);
                // Where to: the gateway the notify names (RFC 5685 §8), when its data parses.
                let target = ike
                    .notifies
                    .iter()
                    .filter(|n| n.kind == NotifyType::V2_REDIRECT)
                    .find_map(|n| parse_redirect(&n.data.0).ok().map(|r| r.gateway.to_string()));
                let to = target.clone().unwrap_or_else(|| "another gateway".into());
                f.evidence(
                    model,
                    m.at,
                    format!(
                        "{} response from {}: REDIRECT to {to}",
                        e.kind.label(),
                        sa.responder
                    ),
                );
                // The initiator's next attempt, toward the gateway it was sent to.
                // By the address named, or (for a name) by its REDIRECTED_FROM notify.
                let came_from_redirect = |other: &Tunnel| {
                    other.sas.iter().any(|&s| {
                        let next = &model.sas[s];
                        next.initiator == sa.initiator
                            && next.first >= m.time
                            && next.exchanges.iter().take(1).any(|x| {
                                x.requests.iter().any(|r| {
                                    notifies_of(ctx.ike(r)).contains(&NotifyType::V2_REDIRECTED_FROM)
                                })
                            })
                    })
                };
                let continued = model.tunnels.iter().find(|other| {
                    other.id != t.id
                        && other.peers.contains(&sa.initiator)
                        && (target
                            .as_deref()
                            .is_some_and(|to| other.peers.iter().any(|p| p.to_string() == to))
                            || came_from_redirect(other))
                });
                f.summary = match continued {
                    Some(next) => format!(
                        "{} redirected {} to {to} (RFC 5685 REDIRECT); nothing failed here: the negotiation continues in tunnel {}",
                        sa.responder, sa.initiator, next.id
                    ),
                    None => format!(
                        "{} redirected {} to {to} (RFC 5685 REDIRECT); nothing failed here: the negotiation continues there, outside this capture",
                        sa.responder, sa.initiator
                    ),
                };
                f.detail("redirected_by", sa.responder.to_string());
                if let Some(to) = &target {
                    f.detail("redirected_to", to.clone());
                }
                if let Some(next) = continued {
                    f.detail("continued_in", next.id.clone());
                }
                let errors: Vec<NotifyType> = notifies_of(ike).into_iter().filter(|n| n.is_error()).collect();
                if !errors.is_empty() {
                    return None;
                }
                return Some(f);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use ikescope_parsers::iana::{ExchangeType, PayloadType};

    #[test]
    fn a_lone_first_message_is_too_short_to_judge() {
        let f = findings(
            vec![
                Msg::new(2, ExchangeType::IKE_SA_INIT, 0.0, I, R, true, false, 1).payloads(
                    &[PayloadType::V2_SA, PayloadType::V2_KE, PayloadType::V2_NONCE],
                    None,
                ),
            ],
            vec![],
        );
        assert!(failures(&f).is_empty(), "{f:#?}");
        let x = f
            .iter()
            .find(|x| x.kind.as_str() == "capture_too_short")
            .expect("info finding");
        assert!(
            x.summary.starts_with("IKEv2 seen up to IKE_SA_INIT"),
            "{}",
            x.summary
        );
    }

    #[test]
    fn copies_from_a_router_capturing_both_interfaces_are_no_retransmissions() {
        // tcpdump -i any on a router: every message twice, 0.1 ms apart, TTL 64 then 63.
        let mut m = Vec::new();
        for (k, msg) in ike_sa_init(0.0).into_iter().enumerate() {
            let src = msg.rec.src.to_string();
            let dst = msg.rec.dst.to_string();
            let (resp, d) = (k == 1, k as u64 + 1);
            let p = [PayloadType::V2_SA, PayloadType::V2_KE, PayloadType::V2_NONCE];
            m.push(
                Msg::new(
                    2,
                    ExchangeType::IKE_SA_INIT,
                    0.02 * k as f64,
                    &src,
                    &dst,
                    !resp,
                    resp,
                    d,
                )
                .payloads(&p, None)
                .ttl(64),
            );
            m.push(
                Msg::new(
                    2,
                    ExchangeType::IKE_SA_INIT,
                    0.02 * k as f64 + 0.0001,
                    &src,
                    &dst,
                    !resp,
                    resp,
                    d,
                )
                .payloads(&p, None)
                .ttl(63),
            );
        }
        let model = model(m, vec![]);
        let t = &model.tunnels[0];
        assert_eq!(
            t.capture_point.point,
            crate::reconstruct::CapturePoint::Path,
            "{:?}",
            t.capture_point
        );
        let sa = &model.sas[t.sas[0]];
        assert_eq!(sa.messages.len(), 2);
        assert_eq!(sa.exchanges[0].request_retransmits(), 0);
        let f = crate::diagnose::diagnose(&model);
        assert!(failures(&f).is_empty(), "{f:#?}");
    }

    #[test]
    fn both_peers_seen_through_routers_put_the_capture_on_the_path() {
        let m: Vec<Msg> = ike_sa_init(0.0)
            .into_iter()
            .enumerate()
            .map(|(k, x)| x.ttl(if k == 0 { 61 } else { 126 }))
            .collect();
        let model = model(m, vec![]);
        assert_eq!(
            model.tunnels[0].capture_point.point,
            crate::reconstruct::CapturePoint::Path
        );
        assert_eq!(model.tunnels[0].capture_point.evidence.len(), 2);
    }

    #[test]
    fn an_eap_round_that_stops_is_reported_as_stalled() {
        // IKE_AUTH answered by an EAP request, then nothing from the initiator for a minute
        // while the responder re-sends... nothing: no rule knows this, the net catches it.
        let mut m = ike_sa_init(0.0);
        m.push(
            Msg::new(2, ExchangeType::IKE_AUTH, 1.0, I, R, true, false, 3)
                .mid(1)
                .payloads(&[PayloadType::V2_SK], Some(PayloadType::V2_IDI)),
        );
        m.push(
            Msg::new(2, ExchangeType::IKE_AUTH, 2.0, I, R, true, false, 3)
                .mid(1)
                .payloads(&[PayloadType::V2_SK], Some(PayloadType::V2_IDI)),
        );
        m.push(
            Msg::new(2, ExchangeType::IKE_AUTH, 2.1, R, I, false, true, 4)
                .mid(1)
                .payloads(&[PayloadType::V2_SK], Some(PayloadType::V2_EAP)),
        );
        m.push(
            Msg::new(2, ExchangeType::INFORMATIONAL, 70.0, R, I, false, false, 5)
                .mid(0)
                .payloads(&[PayloadType::V2_SK], Some(PayloadType::V2_N)),
        );
        let f = findings(m, vec![]);
        assert_eq!(
            failures(&f),
            vec![("negotiation_stalled", Some("phase1"))],
            "{f:#?}"
        );
        let x = &f[0];
        assert!(
            x.summary.starts_with("IKEv2 stopped after IKE_AUTH (answered)"),
            "{}",
            x.summary
        );
        assert!(!x.evidence.is_empty());
    }

    #[test]
    fn a_lone_request_long_before_the_capture_ends_is_no_response_not_stalled() {
        // IKE_SA_INIT answered, IKE_AUTH sent once and never again; another pair's negotiation
        // keeps the capture going for five more minutes: a silence, not a capture too short to
        // judge (that is left to the other pair, whose answer comes as the capture ends).
        let mut m = ike_sa_init(0.0);
        m.push(
            Msg::new(2, ExchangeType::IKE_AUTH, 1.0, I, R, true, false, 3)
                .mid(1)
                .payloads(&[PayloadType::V2_SK], Some(PayloadType::V2_IDI)),
        );
        let (a, b) = ("203.0.113.5", "203.0.113.6");
        let p = [PayloadType::V2_SA, PayloadType::V2_KE, PayloadType::V2_NONCE];
        m.push(
            Msg::new(2, ExchangeType::IKE_SA_INIT, 300.0, a, b, true, false, 8)
                .sa(9)
                .payloads(&p, None),
        );
        m.push(
            Msg::new(2, ExchangeType::IKE_SA_INIT, 300.01, b, a, false, true, 9)
                .sa(9)
                .payloads(&p, None),
        );
        let f = findings(m, vec![]);
        assert_eq!(failures(&f), vec![("no_response", Some("phase1"))], "{f:#?}");
        let x = the(&f, "no_response");
        assert_eq!(x.tunnel, format!("{I}-{R}"));
        assert_eq!(x.confidence, crate::diagnose::Confidence::Certain);
        assert_eq!(frames(x), vec![3]);
        assert!(
            x.summary.starts_with(&format!(
                "{R} answers the earlier messages, then goes silent: IKE_AUTH sent once with no reply"
            )),
            "{}",
            x.summary
        );
        let short = the(&f, "capture_too_short");
        assert_eq!(short.tunnel, format!("{a}-{b}"));
        assert_eq!(frames(short), vec![4, 5]);
    }
}
