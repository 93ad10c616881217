//! proposal_mismatch (phase1 or phase2): the two ends' proposals have nothing in common.
//!
//! Wire signatures:
//! - IKEv2 phase 1: IKE_SA_INIT answered by N(NO_PROPOSAL_CHOSEN) (clear), or by
//!   N(INVALID_KE_PAYLOAD) with no successful retry.
//! - IKEv1 phase 1: MM1/AM1 answered by a clear Informational N(NO-PROPOSAL-CHOSEN) or
//!   N(ATTRIBUTES-NOT-SUPPORTED).
//! - IKEv2 phase 2: the IKE_AUTH or CREATE_CHILD_SA response carries N(NO_PROPOSAL_CHOSEN) or
//!   N(INVALID_KE_PAYLOAD) inside SK (certain with keys); without keys, an IKE_AUTH response that
//!   authenticates (starts with IDr) but is too small to carry SA+TSi+TSr and no ESP follows.
//! - IKEv1 phase 2: Main Mode completes, Quick Mode message 1 gets no QM2 and the responder sends
//!   an Informational instead (encrypted: likely; clear N(14): certain).

use crate::diagnose::{fixes, logged, Confidence, Ctx, Finding, FindingKind, Severity};
use crate::keys::hints::ConfigHint;
use crate::reconstruct::exchanges::{auth_response_lacks_child, inner_first, notifies_of};
use crate::reconstruct::{ExchangeKind, IkeSa, Phase, SaState, Tunnel};
use crate::wording::notify_list;
use ikescope_parsers::iana::{IkeVersion, NotifyType, PayloadType, ProtocolId};

/// What the peer `who` itself proposed or chose anywhere on the tunnel (clear or decrypted).
fn wanted_by(ctx: &Ctx<'_>, t: &Tunnel, who: std::net::IpAddr, protocol_ike: bool) -> Vec<String> {
    let mut out = Vec::new();
    for &sid in &t.sas {
        for e in &ctx.model.sas[sid].exchanges {
            for m in e.requests.iter().chain(e.responses.iter()) {
                if ctx.rec(m).src != who {
                    continue;
                }
                let ike = ctx.ike(m);
                let props = ike
                    .proposals
                    .iter()
                    .chain(ike.decrypted.iter().flat_map(|d| d.proposals.iter()));
                for p in props {
                    if (p.protocol == ProtocolId::IKE) == protocol_ike {
                        for s in &p.summary {
                            if !out.contains(s) {
                                out.push(s.clone());
                            }
                        }
                    }
                }
            }
        }
    }
    out
}

fn finish(ctx: &Ctx<'_>, f: &mut Finding, t: &Tunnel, sa: &IkeSa, offered: Vec<String>, protocol_ike: bool) {
    let wanted = wanted_by(ctx, t, sa.responder, protocol_ike);
    if !offered.is_empty() {
        f.summary
            .push_str(&format!("; {} offered {}", sa.initiator, offered.join(", ")));
    }
    if !wanted.is_empty() {
        f.summary
            .push_str(&format!("; {} proposes {}", sa.responder, wanted.join(", ")));
    }
    logged_configuration(ctx, f, sa.responder, &offered, protocol_ike);
    f.detail("offered", offered);
    f.detail("responder_proposes", wanted);
}

/// The refusing end's own configuration, from its daemon log given with `--keys`: what it is
/// configured for and which transform type found nothing acceptable. A log refusal that names
/// this very offer makes the finding certain.
fn logged_configuration(
    ctx: &Ctx<'_>,
    f: &mut Finding,
    refuser: std::net::IpAddr,
    offered: &[String],
    ike: bool,
) {
    let Some((hint, by_offer)) = logged::proposal_refusal(ctx, offered, ike) else {
        return;
    };
    let ConfigHint::ProposalRefused {
        protocol,
        configured,
        missing,
        disagree,
        source,
        ..
    } = hint
    else {
        return;
    };
    // Every clause that differs; charon's own "no acceptable X" when the comparison cannot be
    // made (an algorithm this table does not know).
    let missing = if disagree.is_empty() { missing } else { disagree };
    f.summary.push_str(&format!(
        "; {refuser}'s log ({}) shows it configured for {protocol} {}{}",
        logged::source_text(source),
        configured.join(", "),
        if missing.is_empty() {
            String::new()
        } else {
            format!(": the ends disagree on the {}", missing.join(" and "))
        }
    ));
    f.detail("refuser_configured", configured);
    f.detail("disagree_on", missing);
    f.detail("refuser_log", logged::source_text(source));
    if by_offer {
        f.confidence = Confidence::Certain;
    }
}

/// Run the rule.
pub fn run(ctx: &mut Ctx<'_>) {
    let model = ctx.model;
    for t in &model.tunnels {
        if ctx.version_mismatch(t.index) {
            continue;
        }
        for &sid in &t.sas {
            let sa = &model.sas[sid];
            if ctx.is_probe(sid) {
                continue;
            }
            if sa.version == IkeVersion::V2 {
                phase1_v2(ctx, t, sa);
                phase2_v2(ctx, t, sa);
            } else {
                phase1_v1(ctx, t, sa);
                phase2_v1(ctx, t, sa);
            }
        }
    }
}

fn phase1_v2(ctx: &mut Ctx<'_>, t: &Tunnel, sa: &IkeSa) {
    if sa.state != SaState::Refused {
        return;
    }
    let model = ctx.model;
    let inits: Vec<(usize, &crate::reconstruct::Exchange)> =
        sa.exchanges_of(ExchangeKind::IkeSaInit).collect();
    let Some(&(ei, last)) = inits.last() else { return };
    let Some(resp) = last.responses.first() else {
        return;
    };
    let notes = ctx.ike(resp).notify.clone();
    let mut f = Finding::new(
        FindingKind::ProposalMismatch,
        &t.id,
        Severity::Error,
        Confidence::Certain,
    );
    f.parties(Some(Phase::Phase1), sa.initiator, sa.responder);
    let offered = last
        .requests
        .first()
        .map(|m| ctx.proposal_summaries(m))
        .unwrap_or_default();
    if let Some(m) = last.requests.first() {
        f.evidence(
            model,
            m.at,
            format!(
                "IKE_SA_INIT request from {} offers {}",
                sa.initiator,
                offered.join(", ")
            ),
        );
    }
    if notes.contains(&NotifyType::V2_NO_PROPOSAL_CHOSEN) {
        f.evidence(
            model,
            resp.at,
            format!("IKE_SA_INIT response from {}: NO_PROPOSAL_CHOSEN", sa.responder),
        );
        f.summary = format!("IKE proposal refused by {} (NO_PROPOSAL_CHOSEN)", sa.responder);
    } else if notes.contains(&NotifyType::V2_INVALID_KE_PAYLOAD) {
        let group = ctx
            .ike(resp)
            .notifies
            .iter()
            .find(|n| n.kind == NotifyType::V2_INVALID_KE_PAYLOAD)
            .and_then(|n| (n.data.0.len() == 2).then(|| u16::from_be_bytes([n.data.0[0], n.data.0[1]])));
        // A later successful IKE SA from the same initiator within 30 s is a healthy retry.
        let retried_ok = t.sas.iter().any(|&o| {
            let other = &model.sas[o];
            other.initiator == sa.initiator
                && other.first >= sa.first
                && other.first.secs_since(sa.last) < 30.0
                && matches!(other.state, SaState::Established | SaState::Negotiating)
        });
        if retried_ok {
            return;
        }
        let g = group
            .map(|g| format!("DH group {g}"))
            .unwrap_or_else(|| "another DH group".into());
        f.evidence(
            model,
            resp.at,
            format!(
                "IKE_SA_INIT response from {}: INVALID_KE_PAYLOAD, wants {g}",
                sa.responder
            ),
        );
        f.summary = format!(
            "DH group refused by {} (INVALID_KE_PAYLOAD, it wants {g}) and no retry with an acceptable group succeeded",
            sa.responder
        );
        f.detail("responder_wants_group", group);
    } else if notes.iter().any(|n| n.is_error()) {
        // Other errors (e.g. INVALID_SYNTAX) are not proposal problems.
        return;
    } else {
        return;
    }
    finish(ctx, &mut f, t, sa, offered, true);
    f.fix = Some(fixes::IKE_CRYPTO.to_string());
    ctx.explain(sa.id, ei);
    ctx.add(f);
}

fn phase1_v1(ctx: &mut Ctx<'_>, t: &Tunnel, sa: &IkeSa) {
    // Only the refusal captured (its request is not in the capture): the sender of the
    // Informational is the refusing responder.
    let refusal_only = sa
        .exchanges
        .iter()
        .all(|e| e.kind == ExchangeKind::V1Informational);
    if sa.state != SaState::Refused && !refusal_only {
        return;
    }
    let (initiator, responder) = if refusal_only {
        (sa.responder, sa.initiator)
    } else {
        (sa.initiator, sa.responder)
    };
    let model = ctx.model;
    let mut hit = None;
    for (ei, e) in sa.exchanges.iter().enumerate() {
        if e.kind == ExchangeKind::V1Informational && e.requester == responder {
            if let Some(m) = e.requests.first() {
                let n = ctx.ike(m).notify.clone();
                if n.contains(&NotifyType::V2_NO_PROPOSAL_CHOSEN)
                    || n.contains(&NotifyType::V1_ATTRIBUTES_NOT_SUPPORTED)
                {
                    hit = Some((ei, *m, n));
                    break;
                }
            }
        }
    }
    let Some((ei, m, n)) = hit else { return };
    let p1 = sa.v1_phase1().map(|(_, e)| e);
    let offered = p1
        .and_then(|e| e.requests.first())
        .map(|r| ctx.proposal_summaries(r))
        .unwrap_or_default();
    let mut f = Finding::new(
        FindingKind::ProposalMismatch,
        &t.id,
        Severity::Error,
        Confidence::Certain,
    );
    f.parties(Some(Phase::Phase1), initiator, responder);
    if let Some(r) = p1.and_then(|e| e.requests.first()) {
        f.evidence(
            model,
            r.at,
            format!(
                "{} message 1 from {} offers {}",
                p1.map(|e| e.kind.label()).unwrap_or(""),
                initiator,
                offered.join(", ")
            ),
        );
    }
    f.evidence(
        model,
        m.at,
        format!(
            "Informational from {}: {}",
            responder,
            notify_list(sa.version, &n)
        ),
    );
    f.summary = format!(
        "ISAKMP (phase 1) proposal refused by {} ({}){}",
        responder,
        notify_list(sa.version, &n),
        if refusal_only {
            "; the refused request is not in the capture"
        } else {
            ""
        }
    );
    finish(ctx, &mut f, t, sa, offered, true);
    f.fix = Some(fixes::IKE_CRYPTO.to_string());
    ctx.explain(sa.id, ei);
    // The refused Main/Aggressive Mode exchange is explained too (it has no response of its own).
    for (pi, e) in sa.exchanges.iter().enumerate() {
        if matches!(e.kind, ExchangeKind::MainMode | ExchangeKind::AggressiveMode) {
            ctx.explain(sa.id, pi);
        }
    }
    ctx.add(f);
}

fn phase2_v2(ctx: &mut Ctx<'_>, t: &Tunnel, sa: &IkeSa) {
    let model = ctx.model;
    for (ei, e) in sa.exchanges.iter().enumerate() {
        if ctx.is_explained(sa.id, ei) {
            continue;
        }
        let child_exchange = matches!(
            e.kind,
            ExchangeKind::IkeAuth
                | ExchangeKind::NewChild
                | ExchangeKind::ChildRekey
                | ExchangeKind::CreateChildSa
        );
        if !child_exchange {
            continue;
        }
        let Some(resp) = e.distinct_responses().last() else {
            continue;
        };
        let ike = ctx.ike(resp);
        let Some(req) = e.requests.first() else { continue };
        if let Some(d) = &ike.decrypted {
            let refused: Vec<NotifyType> = d
                .notify
                .iter()
                .copied()
                .filter(|n| {
                    *n == NotifyType::V2_NO_PROPOSAL_CHOSEN
                        || (*n == NotifyType::V2_INVALID_KE_PAYLOAD && e.kind != ExchangeKind::IkeAuth)
                })
                .collect();
            if refused.is_empty() {
                continue;
            }
            let offered = ctx.proposal_summaries(req);
            let mut f = Finding::new(
                FindingKind::ProposalMismatch,
                &t.id,
                Severity::Error,
                Confidence::Certain,
            );
            f.parties(Some(Phase::Phase2), e.requester, e.responder);
            f.evidence(
                model,
                req.at,
                format!(
                    "{} request from {} offers ESP {}",
                    e.kind.label(),
                    e.requester,
                    offered.join(", ")
                ),
            );
            f.evidence(
                model,
                resp.at,
                format!(
                    "{} response from {} (decrypted): {}",
                    e.kind.label(),
                    e.responder,
                    notify_list(sa.version, &d.notify)
                ),
            );
            f.summary = format!(
                "CHILD SA proposal refused by {} ({})",
                e.responder,
                notify_list(sa.version, &refused)
            );
            finish(ctx, &mut f, t, sa, offered, false);
            f.fix = Some(fixes::IPSEC_CRYPTO.to_string());
            ctx.explain(sa.id, ei);
            ctx.add(f);
        } else if e.kind == ExchangeKind::IkeAuth && ike.decrypted.is_none() && req_is_clear_of_keys(ctx, req)
        {
            // Without keys: authenticated (IDr first) but no CHILD SA payloads and no ESP.
            if inner_first(ike) != Some(PayloadType::V2_IDR) {
                continue;
            }
            let req_len = ctx.ike(req).length;
            if !auth_response_lacks_child(req_len, ike.length) {
                continue;
            }
            let established_at = resp.time;
            let esp_after = t
                .esp
                .iter()
                .filter_map(|k| model.esp.get(k))
                .any(|fl| fl.last >= established_at);
            let child_later = sa.exchanges[ei + 1..].iter().any(|x| {
                matches!(x.kind, ExchangeKind::NewChild | ExchangeKind::CreateChildSa) && !x.unanswered()
            });
            if esp_after || child_later {
                continue;
            }
            let mut f = Finding::new(
                FindingKind::ProposalMismatch,
                &t.id,
                Severity::Error,
                Confidence::Likely,
            );
            f.parties(Some(Phase::Phase2), e.requester, e.responder);
            f.evidence(
                model,
                req.at,
                format!(
                    "IKE_AUTH request from {} ({} bytes) asks for a CHILD SA",
                    e.requester, req_len
                ),
            );
            f.evidence(
                model,
                resp.at,
                format!(
                    "IKE_AUTH response from {} authenticates (IDr first) but is {} bytes: too small for SA+TSi+TSr",
                    e.responder, ike.length
                ),
            );
            f.summary = format!(
                "IKE SA up but the CHILD SA was refused inside IKE_AUTH by {} and no ESP follows (NO_PROPOSAL_CHOSEN or TS_UNACCEPTABLE; encrypted - give the key table with --keys to tell which)",
                e.responder
            );
            f.fix = Some(format!(
                "{} If the proposals match, check the traffic selectors: {}",
                fixes::IPSEC_CRYPTO,
                fixes::TS
            ));
            f.alternative(
                FindingKind::TsMismatch,
                "the responder refused the traffic selectors (TS_UNACCEPTABLE), an encrypted notify of the same size",
                "the IKE key table (--keys, or a *.ikev2_decryption_table beside the capture), or the responder's log",
            );
            ctx.explain(sa.id, ei);
            ctx.add(f);
        }
    }
}

fn req_is_clear_of_keys(ctx: &Ctx<'_>, req: &crate::reconstruct::MsgRef) -> bool {
    ctx.ike(req).decrypted.is_none()
}

fn phase2_v1(ctx: &mut Ctx<'_>, t: &Tunnel, sa: &IkeSa) {
    if !matches!(sa.state, SaState::Established | SaState::Midstream) {
        return;
    }
    let model = ctx.model;
    for (ei, e) in sa.exchanges.iter().enumerate() {
        if e.kind != ExchangeKind::QuickMode || !e.unanswered() || ctx.is_explained(sa.id, ei) {
            continue;
        }
        let Some(q1) = e.requests.first() else { continue };
        let offered = ctx.proposal_summaries(q1);
        // An Informational from the Quick Mode responder after QM1, instead of QM2.
        let info = sa.exchanges.iter().enumerate().find(|(_, x)| {
            x.kind == ExchangeKind::V1Informational
                && x.requester == e.responder
                && x.start() >= q1.time
                && x.start().secs_since(e.end()) < 10.0
        });
        let Some((ii, info)) = info else { continue };
        let im = info.requests[0];
        let notes = notifies_of(ctx.ike(&im));
        if notes.contains(&NotifyType::V1_INVALID_ID_INFORMATION) {
            continue; // ts_mismatch
        }
        let certain = notes.contains(&NotifyType::V1_NO_PROPOSAL_CHOSEN);
        let mut f = Finding::new(
            FindingKind::ProposalMismatch,
            &t.id,
            Severity::Error,
            Confidence::of(certain),
        );
        f.parties(Some(Phase::Phase2), e.requester, e.responder);
        f.evidence(
            model,
            q1.at,
            format!(
                "Quick Mode message 1 from {} (MID {:#x}){}",
                e.requester,
                e.message_id,
                if offered.is_empty() {
                    String::new()
                } else {
                    format!(" offers {}", offered.join(", "))
                }
            ),
        );
        for m in e.requests.iter().filter(|m| m.retransmit).take(3) {
            f.evidence(model, m.at, "Quick Mode message 1 retransmitted");
        }
        let what = if notes.is_empty() {
            "encrypted Informational instead of Quick Mode message 2".to_string()
        } else {
            format!("Informational {}", notify_list(sa.version, &notes))
        };
        f.evidence(model, im.at, format!("{} from {}", what, e.responder));
        f.summary = format!(
            "Main Mode completed but Quick Mode was refused by {} ({}){}",
            e.responder,
            what,
            if certain {
                ""
            } else {
                "; the notify is encrypted: NO-PROPOSAL-CHOSEN is the usual cause, INVALID-ID-INFORMATION (selectors) the other"
            }
        );
        if !certain {
            f.alternative(
                FindingKind::TsMismatch,
                "the responder refused the proxy IDs (INVALID-ID-INFORMATION) in the same encrypted Informational",
                "the IKEv1 key table (--keys, or a *.ikev1_decryption_table beside the capture), or the responder's log",
            );
        }
        if !offered.is_empty() {
            f.summary
                .push_str(&format!("; {} offered {}", e.requester, offered.join(", ")));
        }
        let proxy_ids: Vec<String> = ctx
            .ike(q1)
            .decrypted
            .iter()
            .flat_map(|d| d.ids.iter().map(|i| i.value.clone()))
            .collect();
        if !proxy_ids.is_empty() {
            f.summary
                .push_str(&format!(" for proxy IDs {}", proxy_ids.join(" <-> ")));
        }
        if !offered.is_empty() {
            f.detail("offered", &offered);
        }
        logged_configuration(ctx, &mut f, e.responder, &offered, false);
        f.fix = Some(if certain {
            fixes::IPSEC_CRYPTO.to_string()
        } else {
            format!(
                "{} If the proposals match, check the proxy IDs: {}",
                fixes::IPSEC_CRYPTO,
                fixes::TS
            )
        });
        ctx.explain(sa.id, ei);
        ctx.explain(sa.id, ii);
        ctx.add(f);
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use crate::diagnose::Confidence;
    use crate::record::InnerInfo;
    use ikescope_parsers::iana::{ExchangeType, NotifyType, PayloadType};

    /// IKEv2 without keys: IKE_SA_INIT, then an IKE_AUTH request of 500 bytes answered by an
    /// authenticating response (IDr first) of `response_len` bytes.
    fn ike_auth_answered(response_len: u32) -> Vec<Msg> {
        let mut m = ike_sa_init(0.0);
        m.push(
            Msg::new(2, ExchangeType::IKE_AUTH, 0.1, I, R, true, false, 3)
                .mid(1)
                .payloads(&[PayloadType::V2_SK], Some(PayloadType::V2_IDI))
                .length(500),
        );
        m.push(
            Msg::new(2, ExchangeType::IKE_AUTH, 0.11, R, I, false, true, 4)
                .mid(1)
                .payloads(&[PayloadType::V2_SK], Some(PayloadType::V2_IDR))
                .length(response_len),
        );
        m
    }

    #[test]
    fn ike_auth_answer_too_small_for_the_child_sa_is_a_likely_phase2_mismatch_or_selectors() {
        let f = findings(ike_auth_answered(300), vec![]);
        assert_likely_phase2_with_selectors_as_alternative(&f, &[3, 4]);
    }

    /// The one failure is a likely phase-2 proposal_mismatch shown by `shown` frames, with
    /// ts_mismatch as the alternative.
    fn assert_likely_phase2_with_selectors_as_alternative(f: &[crate::diagnose::Finding], shown: &[u64]) {
        assert_eq!(failures(f), vec![("proposal_mismatch", Some("phase2"))], "{f:#?}");
        let x = the(f, "proposal_mismatch");
        assert_eq!(x.confidence, Confidence::Likely);
        assert_eq!(frames(x), shown);
        let alt: Vec<&str> = x.alternatives.iter().map(|a| a.kind.as_str()).collect();
        assert_eq!(alt, vec!["ts_mismatch"]);
    }

    #[test]
    fn ike_auth_answer_large_enough_for_the_child_sa_is_no_mismatch() {
        // 500 - 405 < 96 bytes: room for SA, TSi and TSr.
        let f = findings(ike_auth_answered(405), vec![]);
        assert!(failures(&f).is_empty(), "{f:#?}");
    }

    #[test]
    fn a_small_ike_auth_answer_followed_by_an_answered_create_child_sa_is_no_mismatch() {
        let mut m = ike_auth_answered(300);
        m.push(
            Msg::new(2, ExchangeType::CREATE_CHILD_SA, 5.0, I, R, true, false, 5)
                .mid(2)
                .payloads(&[PayloadType::V2_SK], Some(PayloadType::V2_SA)),
        );
        m.push(
            Msg::new(2, ExchangeType::CREATE_CHILD_SA, 5.01, R, I, false, true, 6)
                .mid(2)
                .payloads(&[PayloadType::V2_SK], Some(PayloadType::V2_SA)),
        );
        let f = findings(m, vec![]);
        assert!(
            !f.iter().any(|x| x.kind.as_str() == "proposal_mismatch"),
            "{f:#?}"
        );
    }

    /// IKEv1 Main Mode completed (three answers, the last two encrypted), Quick Mode message 1
    /// at 1 s never answered, and an Informational from the responder instead.
    fn quick_mode_refused(informational: Msg) -> Vec<Msg> {
        let mut m = main_mode(6);
        m.push(
            Msg::new(1, ExchangeType::QUICK_MODE, 1.0, I, R, true, false, 7)
                .mid(0x10)
                .encrypted(),
        );
        m.push(informational);
        m
    }

    fn informational_from_responder() -> Msg {
        Msg::new(1, ExchangeType::INFORMATIONAL_V1, 1.01, R, I, false, false, 8)
            .mid(0x20)
            .encrypted()
    }

    #[test]
    fn quick_mode_refused_by_an_unread_informational_is_likely_with_selectors_as_alternative() {
        let f = findings(quick_mode_refused(informational_from_responder()), vec![]);
        assert_likely_phase2_with_selectors_as_alternative(&f, &[7, 8]);
    }

    /// The findings when the responder's Informational, decrypted, carries `notify`.
    fn quick_mode_refused_with(notify: NotifyType) -> Vec<crate::diagnose::Finding> {
        let inner = InnerInfo {
            payloads: vec![PayloadType::V1_HASH, PayloadType::V1_N],
            notify: vec![notify],
            ..InnerInfo::default()
        };
        findings(
            quick_mode_refused(informational_from_responder().decrypted(inner)),
            vec![],
        )
    }

    #[test]
    fn quick_mode_refused_with_invalid_id_information_is_left_to_ts_mismatch() {
        let f = quick_mode_refused_with(NotifyType::V1_INVALID_ID_INFORMATION);
        assert_eq!(failures(&f), vec![("ts_mismatch", Some("phase2"))], "{f:#?}");
        assert_eq!(the(&f, "ts_mismatch").confidence, Confidence::Certain);
    }

    #[test]
    fn quick_mode_refused_with_no_proposal_chosen_is_certain() {
        let f = quick_mode_refused_with(NotifyType::V1_NO_PROPOSAL_CHOSEN);
        assert_eq!(
            failures(&f),
            vec![("proposal_mismatch", Some("phase2"))],
            "{f:#?}"
        );
        let x = the(&f, "proposal_mismatch");
        assert_eq!(x.confidence, Confidence::Certain);
        assert!(x.alternatives.is_empty(), "{:?}", x.alternatives);
    }
}
