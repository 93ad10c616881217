//! ts_mismatch: the responder refuses the traffic selectors (proxy IDs).
//!
//! Wire signatures: IKEv2 IKE_AUTH / CREATE_CHILD_SA response with N(TS_UNACCEPTABLE) or
//! N(INVALID_SELECTORS) (inside SK: certain with keys); IKEv1 Informational
//! N(INVALID-ID-INFORMATION) after phase 1 completed (clear or decrypted). Without keys the
//! IKEv2 case looks like a phase-2 proposal refusal and is reported there as likely.

use crate::diagnose::{fixes, logged, Confidence, Ctx, Finding, FindingKind, Severity};
use crate::keys::hints::ConfigHint;
use crate::reconstruct::exchanges::notifies_of;
use crate::reconstruct::{ExchangeKind, Phase, SaState};
use crate::wording::{notify_list, selectors};
use ikescope_parsers::iana::{IkeVersion, NotifyType};

/// Run the rule.
pub fn run(ctx: &mut Ctx<'_>) {
    let model = ctx.model;
    for sa in &model.sas {
        if ctx.version_mismatch(sa.tunnel) {
            continue;
        }
        for (ei, e) in sa.exchanges.iter().enumerate() {
            if ctx.is_explained(sa.id, ei) {
                continue;
            }
            let v2_child = sa.version == IkeVersion::V2
                && matches!(
                    e.kind,
                    ExchangeKind::IkeAuth
                        | ExchangeKind::NewChild
                        | ExchangeKind::ChildRekey
                        | ExchangeKind::CreateChildSa
                );
            let v1_phase2 = sa.version == IkeVersion::V1
                && e.kind == ExchangeKind::V1Informational
                && matches!(sa.state, SaState::Established | SaState::Midstream);
            if !(v2_child || v1_phase2) {
                continue;
            }
            let (msg, request) = if v2_child {
                match e.distinct_responses().last() {
                    Some(m) => (*m, e.requests.first().copied()),
                    None => continue,
                }
            } else {
                (e.requests[0], None)
            };
            let notes = notifies_of(ctx.ike(&msg));
            let hit: Vec<NotifyType> = notes
                .iter()
                .copied()
                .filter(|n| {
                    if v2_child {
                        *n == NotifyType::V2_TS_UNACCEPTABLE || *n == NotifyType::V2_INVALID_SELECTORS
                    } else {
                        *n == NotifyType::V1_INVALID_ID_INFORMATION
                    }
                })
                .collect();
            if hit.is_empty() {
                continue;
            }
            let mut f = Finding::new(
                FindingKind::TsMismatch,
                ctx.tunnel_id(sa),
                Severity::Error,
                Confidence::Certain,
            );
            f.phase = Some(Phase::Phase2);
            let (ini, resp) = if v2_child {
                (e.requester, e.responder)
            } else {
                (e.responder, e.requester)
            };
            f.initiator = Some(ini);
            f.responder = Some(resp);
            let mut offered = Vec::new();
            if let Some(req) = request {
                if let Some(d) = ctx.ike(&req).decrypted.as_deref() {
                    offered = selectors(&d.traffic_selectors);
                }
                f.evidence(
                    model,
                    req.at,
                    if offered.is_empty() {
                        format!("{} request from {}", e.kind.label(), ini)
                    } else {
                        format!(
                            "{} request from {} proposes {}",
                            e.kind.label(),
                            ini,
                            offered.join(" ")
                        )
                    },
                );
            }
            f.evidence(
                model,
                msg.at,
                format!(
                    "{} from {}: {}",
                    e.kind.label(),
                    resp,
                    notify_list(sa.version, &notes)
                ),
            );
            f.summary = format!(
                "{resp} refused the traffic selectors ({}){}",
                notify_list(sa.version, &hit),
                if offered.is_empty() {
                    String::new()
                } else {
                    format!("; {ini} proposed {}", offered.join(" "))
                }
            );
            if let Some(ConfigHint::SelectorsRefused {
                local,
                remote,
                source,
                ..
            }) = logged::selector_refusal(ctx, &offered)
            {
                f.summary.push_str(&format!(
                    "; {resp}'s log ({}) shows it configured for local {} and remote {}",
                    logged::source_text(source),
                    local.join(" "),
                    remote.join(" ")
                ));
                f.detail("refuser_local_selectors", local);
                f.detail("refuser_remote_selectors", remote);
                f.detail("refuser_log", logged::source_text(source));
            }
            f.detail("offered_selectors", offered);
            f.fix = Some(fixes::TS.to_string());
            ctx.explain(sa.id, ei);
            if !v2_child {
                // The Quick Mode the Informational refuses: its copies re-sent after the refusal
                // (libreswan keeps retransmitting Quick Mode 1 after it) belong to this finding,
                // not to a separate silence.
                let refused_at = msg.time;
                if let Some((qi, q)) = sa.exchanges.iter().enumerate().rfind(|(_, q)| {
                    q.kind == ExchangeKind::QuickMode
                        && q.unanswered()
                        && q.requester == e.responder
                        && q.start() <= refused_at
                        && refused_at.secs_since(q.start()) < 10.0
                }) {
                    if let Some(m) = q.requests.first() {
                        f.evidence(model, m.at, format!("Quick Mode message 1 from {}", q.requester));
                    }
                    let again = q.requests.iter().filter(|m| m.time > refused_at).count();
                    if again > 0 {
                        f.summary.push_str(&format!(
                            "; {} re-sent Quick Mode message 1 {} after the refusal",
                            q.requester,
                            crate::wording::times(again)
                        ));
                    }
                    ctx.explain(sa.id, qi);
                }
            }
            ctx.add(f);
        }
    }
}
