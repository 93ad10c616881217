//! auth_failure: PSK or certificate authentication failed.
//!
//! Wire signatures:
//! - IKEv2: the IKE_AUTH response is a lone protected Notify (its SK body starts with N, no IDr):
//!   AUTHENTICATION_FAILED when decrypted (certain), likely without keys; no CHILD SA and no ESP
//!   follow. Or the initiator rejects the responder's AUTH: an INFORMATIONAL from the initiator
//!   right after an authenticating IKE_AUTH response, carrying AUTHENTICATION_FAILED.
//! - IKEv1 Main Mode: MM1-MM4 complete in clear; MM5 (encrypted, keyed from the PSK) is answered
//!   by an Informational (PAYLOAD-MALFORMED / INVALID-HASH-INFORMATION / AUTHENTICATION-FAILED,
//!   usually encrypted with the wrong key) instead of MM6, and MM5 is retransmitted. Or, as
//!   libreswan answers an undecryptable MM5: no notify at all, the responder re-sends MM4 while
//!   the initiator re-sends MM5 (likely; a lost MM5 is the alternative).

use crate::diagnose::{fixes, progress, Confidence, Ctx, Finding, FindingKind, Severity, TunnelOutcome};
use crate::reconstruct::exchanges::{inner_first, notifies_of};
use crate::reconstruct::{ExchangeKind, IkeSa, Phase, SaState};
use crate::record::IkeDecryption;
use crate::wording::notify_list;
use ikescope_parsers::iana::{ExchangeType, IkeVersion, NotifyType, PayloadType};
use ikescope_parsers::vendor::Maker;

/// Run the rule.
pub fn run(ctx: &mut Ctx<'_>) {
    // each tunnel on its own (the SAs are numbered tunnel by tunnel: the same order as going
    // through them all): decided on all cores
    ctx.per_tunnel(|ctx, t, out| {
        for &sid in &t.sas {
            let sa = &ctx.model.sas[sid];
            if ctx.version_mismatch(sa.tunnel) || ctx.is_probe(sa.id) {
                continue;
            }
            tunnel_sa(ctx, sa, out);
        }
    });
}

fn tunnel_sa(ctx: &Ctx<'_>, sa: &IkeSa, out: &mut Vec<TunnelOutcome>) {
    {
        if sa.version == IkeVersion::V2 {
            v2_responder_refused(ctx, sa, out);
            v2_initiator_refused(ctx, sa, out);
        } else if sa.state == SaState::AuthFailed {
            v1(ctx, sa, out);
        } else if sa.state == SaState::Negotiating {
            v1_aggressive_restart(ctx, sa, out);
            v1_message5_unreadable(ctx, sa, out);
        }
    }
}

fn v2_responder_refused(ctx: &Ctx<'_>, sa: &IkeSa, out: &mut Vec<TunnelOutcome>) {
    if sa.state != SaState::AuthFailed {
        return;
    }
    let model = ctx.model;
    for (ei, e) in sa.exchanges_of(ExchangeKind::IkeAuth) {
        let Some(resp) = e.distinct_responses().last() else {
            continue;
        };
        let ike = ctx.ike(resp);
        let notes = notifies_of(ike);
        let decrypted = ike.decrypted.is_some();
        let auth_failed = notes.contains(&NotifyType::V2_AUTHENTICATION_FAILED);
        let eap_failed = ike
            .decrypted
            .as_deref()
            .is_some_and(|d| d.eap.iter().any(|x| x.is_failure()));
        if decrypted && !auth_failed && !eap_failed {
            continue;
        }
        if !auth_failed && !eap_failed && inner_first(ike) != Some(PayloadType::V2_N) {
            continue;
        }
        let certain = auth_failed || eap_failed;
        let mut f = Finding::new(
            FindingKind::AuthFailure,
            ctx.tunnel_id(sa),
            Severity::Error,
            Confidence::of(certain),
        );
        f.parties(Some(Phase::Phase1), sa.initiator, sa.responder);
        for m in e.requests.iter().take(3) {
            f.evidence(model, m.at, ctx.describe(e, m, false));
        }
        let note = if eap_failed && !auth_failed {
            format!("IKE_AUTH response from {}: EAP Failure (decrypted)", sa.responder)
        } else if certain {
            format!(
                "IKE_AUTH response from {}: AUTHENTICATION_FAILED{}",
                sa.responder,
                if decrypted { " (decrypted)" } else { "" }
            )
        } else {
            format!(
                "IKE_AUTH response from {} is a lone protected Notify ({} bytes, no IDr): the error reply",
                sa.responder, ike.length
            )
        };
        f.evidence(model, resp.at, note);
        let id_of = |payload: PayloadType| -> Vec<String> {
            let mut v: Vec<String> = e
                .requests
                .iter()
                .filter_map(|m| ctx.ike(m).decrypted.as_deref())
                .flat_map(|d| {
                    d.ids
                        .iter()
                        .filter(|i| i.payload == payload)
                        .map(|i| i.value.clone())
                })
                .collect();
            v.dedup();
            v
        };
        let (idi, idr) = (id_of(PayloadType::V2_IDI), id_of(PayloadType::V2_IDR));
        // IDi and the EAP user names travel in the SA's earlier IKE_AUTH rounds.
        let eap_users = eap_identities(ctx, sa);
        let idi = if idi.is_empty() && eap_failed {
            first_round_ids(ctx, sa)
        } else {
            idi
        };
        f.summary = if eap_failed && !auth_failed {
            format!(
                "{} refused {}'s EAP authentication (EAP Failure){}",
                sa.responder,
                sa.initiator,
                if eap_users.is_empty() {
                    String::new()
                } else {
                    format!(" of user {}", eap_users.join(", "))
                }
            )
        } else if certain {
            format!(
                "{} refused {}'s authentication (AUTHENTICATION_FAILED)",
                sa.responder, sa.initiator
            )
        } else {
            format!(
                "{} answered IKE_AUTH with an error notify alone (encrypted; AUTHENTICATION_FAILED is the usual one) and no CHILD SA or ESP followed",
                sa.responder
            )
        };
        if !idi.is_empty() {
            f.summary.push_str(&format!("; initiator ID {}", idi.join(", ")));
        }
        if !idr.is_empty() {
            f.summary
                .push_str(&format!(", asking for responder ID {}", idr.join(", ")));
        }
        if !idi.is_empty() {
            f.detail("initiator_id", &idi);
        }
        if !eap_users.is_empty() {
            f.detail("eap_identity", &eap_users);
        }
        f.fix = Some(
            if eap_failed && !auth_failed {
                fixes::EAP
            } else {
                fixes::AUTH
            }
            .to_string(),
        );
        out.push(TunnelOutcome::Explain(sa.id, ei));
        if eap_failed {
            // strongSwan's initiator then sends INFORMATIONAL [N(AUTHENTICATION_FAILED)] to a
            // responder that has already dropped the SA: left unanswered, part of this failure.
            for later in ei + 1..sa.exchanges.len() {
                out.push(TunnelOutcome::Explain(sa.id, later));
            }
        }
        out.push(TunnelOutcome::Add(f));
        return;
    }
}

/// The user names of the SA's EAP-Identity Responses (decrypted), each once.
pub fn eap_identities(ctx: &Ctx<'_>, sa: &IkeSa) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (_, e) in sa.exchanges_of(ExchangeKind::IkeAuth) {
        for m in &e.requests {
            let Some(d) = ctx.ike(m).decrypted.as_deref() else {
                continue;
            };
            for id in d.eap.iter().filter_map(|x| x.identity.as_ref()) {
                if !out.contains(id) {
                    out.push(id.clone());
                }
            }
        }
    }
    out
}

/// The IDi of the SA's first IKE_AUTH request (decrypted).
fn first_round_ids(ctx: &Ctx<'_>, sa: &IkeSa) -> Vec<String> {
    sa.exchanges_of(ExchangeKind::IkeAuth)
        .flat_map(|(_, e)| e.requests.first())
        .filter_map(|m| ctx.ike(m).decrypted.as_deref())
        .flat_map(|d| d.ids.iter().filter(|i| i.payload == PayloadType::V2_IDI))
        .map(|i| i.value.clone())
        .take(1)
        .collect()
}

fn v2_initiator_refused(ctx: &Ctx<'_>, sa: &IkeSa, out: &mut Vec<TunnelOutcome>) {
    if sa.state != SaState::Established {
        return;
    }
    let model = ctx.model;
    let Some((ai, auth)) = sa.exchanges_of(ExchangeKind::IkeAuth).last() else {
        return;
    };
    let Some(resp) = auth.responses.first() else {
        return;
    };
    // The next exchange: an INFORMATIONAL from the initiator carrying AUTHENTICATION_FAILED.
    let Some(next) = sa.exchanges.get(ai + 1) else {
        return;
    };
    if next.exchange_type != ExchangeType::INFORMATIONAL || next.requester != sa.initiator {
        return;
    }
    let Some(m) = next.requests.first() else { return };
    let ike = ctx.ike(m);
    let notes = notifies_of(ike);
    let certain = notes.contains(&NotifyType::V2_AUTHENTICATION_FAILED);
    let quick = m.time.secs_since(resp.time) < 2.0;
    let lone_notify = ike.decrypted.is_none() && inner_first(ike) == Some(PayloadType::V2_N);
    let nothing_after = sa.exchanges[ai + 2..].is_empty();
    if !(certain || (quick && lone_notify && nothing_after && child_esp_missing(ctx, sa))) {
        return;
    }
    let mut f = Finding::new(
        FindingKind::AuthFailure,
        ctx.tunnel_id(sa),
        Severity::Error,
        Confidence::of(certain),
    );
    f.parties(Some(Phase::Phase1), sa.initiator, sa.responder);
    f.evidence(model, resp.at, format!("IKE_AUTH response from {}", sa.responder));
    f.evidence(
        model,
        m.at,
        format!(
            "INFORMATIONAL from {}: {}",
            sa.initiator,
            if certain {
                notify_list(sa.version, &notes)
            } else {
                "a lone protected Notify right after IKE_AUTH".into()
            }
        ),
    );
    f.summary = format!(
        "{} rejected {}'s authentication right after IKE_AUTH",
        sa.initiator, sa.responder
    );
    f.fix = Some(fixes::AUTH.to_string());
    out.push(TunnelOutcome::Explain(sa.id, ai));
    out.push(TunnelOutcome::Explain(sa.id, ai + 1));
    out.push(TunnelOutcome::Add(f));
}

fn child_esp_missing(ctx: &Ctx<'_>, sa: &IkeSa) -> bool {
    let model = ctx.model;
    let t = &model.tunnels[sa.tunnel];
    !t.esp
        .iter()
        .filter_map(|k| model.esp.get(k))
        .any(|f| f.last >= sa.first)
}

fn v1(ctx: &Ctx<'_>, sa: &IkeSa, out: &mut Vec<TunnelOutcome>) {
    let model = ctx.model;
    let Some((pi, p1)) = sa.v1_phase1() else {
        return;
    };
    let infos: Vec<(usize, &crate::reconstruct::Exchange)> = sa
        .exchanges
        .iter()
        .enumerate()
        .filter(|(_, e)| e.kind == ExchangeKind::V1Informational && e.requester == sa.responder)
        .collect();
    let notes: Vec<NotifyType> = infos
        .iter()
        .flat_map(|(_, e)| e.requests.iter())
        .flat_map(|m| notifies_of(ctx.ike(m)))
        .collect();
    // With a key: the key that opens the initiator's message 5 does not open the responder's
    // answers, so the two ends derived different SKEYID_e from one Diffie-Hellman exchange and
    // one pair of nonces: their pre-shared keys differ (RFC 2409 section 5.4).
    let opened = |m: &crate::reconstruct::MsgRef| ctx.ike(m).decrypted.is_some();
    let key_split = p1.requests.iter().any(|m| ctx.ike(m).encrypted && opened(m))
        && infos
            .iter()
            .flat_map(|(_, e)| e.requests.iter())
            .any(|m| ctx.ike(m).decryption == Some(IkeDecryption::WrongKey));
    let certain = key_split
        || notes.contains(&NotifyType::V1_AUTHENTICATION_FAILED)
        || notes.contains(&NotifyType::V1_INVALID_HASH_INFORMATION);
    let mut f = Finding::new(
        FindingKind::AuthFailure,
        ctx.tunnel_id(sa),
        Severity::Error,
        Confidence::of(certain),
    );
    f.parties(Some(Phase::Phase1), sa.initiator, sa.responder);
    let encrypted: Vec<_> = p1.requests.iter().filter(|m| ctx.ike(m).encrypted).collect();
    for m in encrypted.iter().take(4) {
        f.evidence(
            model,
            m.at,
            format!(
                "{} message 5 (encrypted with the PSK-derived key) from {}{}",
                p1.kind.label(),
                sa.initiator,
                if m.retransmit { ", retransmitted" } else { "" }
            ),
        );
    }
    for (_, e) in infos.iter().take(4) {
        let m = &e.requests[0];
        let n = notifies_of(ctx.ike(m));
        let what = if n.is_empty() && ctx.ike(m).decryption == Some(IkeDecryption::WrongKey) {
            "encrypted Informational that the initiator's key does not open (the responder derived another key)"
                .to_string()
        } else if n.is_empty() {
            "encrypted Informational (the responder could not read message 5)".to_string()
        } else {
            format!("Informational {}", notify_list(sa.version, &n))
        };
        f.evidence(
            model,
            m.at,
            format!(
                "{what} from {} instead of message {}",
                sa.responder,
                if p1.unanswered() { 2 } else { 6 }
            ),
        );
    }
    if p1.unanswered() {
        // Refused at message 1, in clear: the responder does not accept this peer's
        // authentication method in this mode (strongSwan refuses Aggressive Mode with a
        // pre-shared key unless told otherwise).
        f.evidence(
            model,
            p1.requests[0].at,
            format!("{} message 1 from {}", p1.kind.label(), sa.initiator),
        );
        f.summary = format!(
            "{} answers {} message 1 from {} with AUTHENTICATION-FAILED in clear (refused {}; message 1 sent {}): it refuses to authenticate this peer in this mode{}",
            sa.responder,
            p1.kind.label(),
            sa.initiator,
            crate::wording::times(infos.len()),
            crate::wording::times(p1.requests.len()),
            if p1.kind == ExchangeKind::AggressiveMode {
                "; strongSwan refuses Aggressive Mode with a pre-shared key by default (\"Aggressive Mode PSK disabled for security reasons\")"
            } else {
                ""
            }
        );
        if p1.request_retransmits() > 0 {
            f.summary.push_str(&format!(
                "; {} ignores the unauthenticated refusal and keeps re-sending message 1 (as libreswan does)",
                sa.initiator
            ));
        }
        f.fix = Some(format!(
            "Use Main Mode (or IKEv2) with a pre-shared key on {}, or allow Aggressive Mode with a pre-shared key on {} (strongSwan: charon.i_dont_care_about_security_and_use_aggressive_mode_psk = yes; weak: the PSK hash can be cracked offline). {}",
            sa.initiator,
            sa.responder,
            fixes::AUTH
        ));
        out.push(TunnelOutcome::Explain(sa.id, pi));
        for (i, _) in infos {
            out.push(TunnelOutcome::Explain(sa.id, i));
        }
        out.push(TunnelOutcome::Add(f));
        return;
    }
    f.summary = format!(
        "{} Mode reached the authentication step and {} refused it ({} retransmissions of message 5, {} error Informationals){}",
        if p1.kind == ExchangeKind::AggressiveMode { "Aggressive" } else { "Main" },
        sa.responder,
        p1.request_retransmits(),
        infos.len(),
        if key_split {
            ": the initiator's key opens its own message 5 but not the responder's answers, so the two ends derived different keys: the pre-shared keys differ"
        } else if certain {
            ""
        } else {
            ": pre-shared key mismatch is the usual cause"
        }
    );
    f.fix = Some(fixes::AUTH.to_string());
    out.push(TunnelOutcome::Explain(sa.id, pi));
    for (i, _) in infos {
        out.push(TunnelOutcome::Explain(sa.id, i));
    }
    out.push(TunnelOutcome::Add(f));
}

/// IKEv1 Aggressive Mode: AM2 arrived but the initiator never sent AM3 and started a new ISAKMP
/// SA instead (within a minute): it could not verify the responder's HASH_R, i.e. the pre-shared
/// keys differ (RFC 2409 §5.4). Likely, as a lost AM3 would look the same.
fn v1_aggressive_restart(ctx: &Ctx<'_>, sa: &IkeSa, out: &mut Vec<TunnelOutcome>) {
    let model = ctx.model;
    let Some((pi, am)) = sa.exchanges_of(ExchangeKind::AggressiveMode).next() else {
        return;
    };
    let Some(am2) = am.responses.first() else { return };
    if am.distinct_requests().count() != 1 {
        return;
    }
    let restart = model.tunnels[sa.tunnel]
        .sas
        .iter()
        .map(|&s| &model.sas[s])
        .find(|o| {
            o.id != sa.id
                && o.version == IkeVersion::V1
                && o.initiator == sa.initiator
                && o.first > am2.time
                && o.first.secs_since(am2.time) < 60.0
        });
    let Some(restart) = restart else { return };
    let mut f = Finding::new(
        FindingKind::AuthFailure,
        ctx.tunnel_id(sa),
        Severity::Error,
        Confidence::Likely,
    );
    f.parties(Some(Phase::Phase1), sa.initiator, sa.responder);
    if let Some(m) = am.requests.first() {
        f.evidence(
            model,
            m.at,
            format!("Aggressive Mode message 1 from {}", sa.initiator),
        );
    }
    f.evidence(
        model,
        am2.at,
        format!(
            "Aggressive Mode message 2 from {} (carries its HASH_R)",
            sa.responder
        ),
    );
    if let Some(m) = restart.exchanges.first().and_then(|e| e.requests.first()) {
        f.evidence(
            model,
            m.at,
            format!(
                "{} starts over with a new ISAKMP SA instead of message 3",
                sa.initiator
            ),
        );
    }
    f.summary = format!(
        "{} received Aggressive Mode message 2 but never sent message 3 and started over: it could not verify {}'s hash, the pre-shared keys differ",
        sa.initiator, sa.responder
    );
    f.fix = Some(fixes::AUTH.to_string());
    out.push(TunnelOutcome::Explain(sa.id, pi));
    out.push(TunnelOutcome::Add(f));
}

/// IKEv1 Main Mode: messages 1-4 answered, the initiator's encrypted message 5 never answered by
/// message 6, and the responder re-sends message 4 after message 5 arrived, with no notify:
/// it could not decrypt message 5, so the keys derived from the pre-shared key differ. This is
/// how libreswan answers a wrong pre-shared key (it logs "probable authentication failure
/// (mismatch of preshared secrets?)"); a message 5 lost before the responder looks the same
/// from the initiator's side, so that stays an alternative.
fn v1_message5_unreadable(ctx: &Ctx<'_>, sa: &IkeSa, out: &mut Vec<TunnelOutcome>) {
    let model = ctx.model;
    let Some((pi, mm)) = sa.exchanges_of(ExchangeKind::MainMode).next() else {
        return;
    };
    let requests: Vec<_> = mm.distinct_requests().collect();
    if requests.len() < 3 || mm.distinct_responses().count() != 2 || !ctx.ike(requests[2]).encrypted {
        return;
    }
    let mm5 = *requests[2];
    let mm4_again: Vec<_> = mm
        .responses
        .iter()
        .filter(|m| m.retransmit && m.time > mm5.time)
        .collect();
    if mm4_again.is_empty() {
        return;
    }
    let responder_spoke = sa
        .exchanges
        .iter()
        .any(|e| e.requester == sa.responder && e.start() > mm5.time);
    if responder_spoke || ctx.latest_established(sa.tunnel).is_some_and(|t| t > mm5.time) {
        return;
    }
    let mut f = Finding::new(
        FindingKind::AuthFailure,
        ctx.tunnel_id(sa),
        Severity::Error,
        Confidence::Likely,
    );
    f.parties(Some(Phase::Phase1), sa.initiator, sa.responder);
    for m in mm.requests.iter().filter(|m| m.time >= mm5.time).take(4) {
        f.evidence(
            model,
            m.at,
            format!(
                "Main Mode message 5 (encrypted with the PSK-derived key) from {}{}",
                sa.initiator,
                if m.retransmit { ", re-sent" } else { "" }
            ),
        );
    }
    for m in mm4_again.iter().take(4) {
        f.evidence(
            model,
            m.at,
            format!(
                "Main Mode message 4 re-sent by {} instead of message 6",
                sa.responder
            ),
        );
    }
    let how_far = progress::describe(ctx, sa, true);
    f.summary = format!(
        "{how_far}. {} never answers message 5 and keeps re-sending message 4, with no notify: it cannot decrypt message 5, so the two ends derived different keys - the pre-shared keys most likely differ (libreswan answers a wrong pre-shared key this way and logs \"probable authentication failure (mismatch of preshared secrets?)\")",
        sa.responder
    );
    if let Some(g) = model.tunnels[sa.tunnel]
        .implementations
        .iter()
        .find(|g| g.peer == sa.responder && g.maker == Some(Maker::Libreswan))
    {
        f.summary.push_str(&format!(
            "; {} runs libreswan ({})",
            sa.responder,
            g.confidence.map_or("possible", |c| c.as_str())
        ));
    }
    if model.tunnels[sa.tunnel].capture_point.beside(sa.responder) {
        f.summary.push_str(
            "; message 5 reached the responder (captured on its side), so it was not lost on the path",
        );
    } else {
        f.alternative(
        FindingKind::NoResponse,
        "message 5 is lost before it reaches the responder (UDP 4500 dropped after the NAT-T float, or a large message 5 lost to IP fragmentation), and the responder re-sends message 4 waiting for it",
        "the responder's log (a wrong key: libreswan \"probable authentication failure\", strongSwan \"invalid ID_V1 payload length, decryption failed?\"; a lost message: nothing logged after message 4), or a capture on the responder showing whether message 5 arrives",
    );
    }
    f.detail("progress", &how_far);
    f.detail("message4_resent", mm4_again.len());
    f.fix = Some(fixes::AUTH.to_string());
    out.push(TunnelOutcome::Explain(sa.id, pi));
    out.push(TunnelOutcome::Add(f));
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use ikescope_parsers::iana::ExchangeType;

    /// IKEv1 Main Mode: MM1-MM4 in clear, then MM5 (encrypted) re-sent and MM4 re-sent: a
    /// libreswan responder that cannot decrypt message 5.
    fn main_mode_mm4_repeated(mm4_again: bool) -> Vec<Msg> {
        let mut v = main_mode(5);
        for k in 1..5 {
            let t = 0.04 + f64::from(1u32 << k) / 2.0;
            if mm4_again {
                v.push(Msg::new(
                    1,
                    ExchangeType::MAIN_MODE,
                    t - 0.2,
                    R,
                    I,
                    false,
                    false,
                    4,
                ));
            }
            v.push(Msg::new(1, ExchangeType::MAIN_MODE, t, I, R, true, false, 5).encrypted());
        }
        v
    }

    #[test]
    fn message_4_repeated_after_message_5_is_a_likely_psk_mismatch_with_alternatives() {
        let f = findings(main_mode_mm4_repeated(true), vec![]);
        assert_eq!(failures(&f), vec![("auth_failure", Some("phase1"))], "{f:#?}");
        let a = f.iter().find(|x| x.kind.as_str() == "auth_failure").unwrap();
        assert_eq!(a.confidence, crate::diagnose::Confidence::Likely);
        assert!(
            a.summary.starts_with(
                "IKEv1 Main Mode stopped after message 4: the responder re-sends message 4, the initiator message 5"
            ),
            "{}",
            a.summary
        );
        let alt: Vec<&str> = a.alternatives.iter().map(|x| x.kind.as_str()).collect();
        assert_eq!(alt, vec!["no_response"]);
    }

    #[test]
    fn message_5_unanswered_without_message_4_again_stays_a_silence_with_auth_as_alternative() {
        let f = findings(main_mode_mm4_repeated(false), vec![]);
        assert_eq!(failures(&f), vec![("no_response", Some("phase1"))], "{f:#?}");
        let n = f.iter().find(|x| x.kind.as_str() == "no_response").unwrap();
        let alt: Vec<&str> = n.alternatives.iter().map(|x| x.kind.as_str()).collect();
        assert_eq!(alt, vec!["auth_failure"]);
    }

    /// Aggressive Mode message 1 and 2 in IKEv1 SA `sa` at `secs`.
    fn am1_am2(secs: f64, sa: u64, digest: u64) -> Vec<Msg> {
        vec![
            Msg::new(1, ExchangeType::AGGRESSIVE, secs, I, R, true, false, digest).sa(sa),
            Msg::new(
                1,
                ExchangeType::AGGRESSIVE,
                secs + 0.01,
                R,
                I,
                false,
                false,
                digest + 1,
            )
            .sa(sa),
        ]
    }

    #[test]
    fn aggressive_mode_started_over_after_message_2_is_a_likely_psk_mismatch() {
        let mut m = am1_am2(0.0, 1, 1);
        m.extend(am1_am2(5.0, 3, 3));
        let f = findings(m, vec![]);
        assert_eq!(failures(&f), vec![("auth_failure", Some("phase1"))], "{f:#?}");
        let a = the(&f, "auth_failure");
        assert_eq!(a.confidence, crate::diagnose::Confidence::Likely);
        assert_eq!(frames(a), vec![1, 2, 3]);
        assert_eq!(
            a.summary,
            format!("{I} received Aggressive Mode message 2 but never sent message 3 and started over: it could not verify {R}'s hash, the pre-shared keys differ")
        );
    }

    #[test]
    fn aggressive_mode_started_over_more_than_a_minute_later_is_no_auth_failure() {
        let mut m = am1_am2(0.0, 1, 1);
        m.extend(am1_am2(61.0, 3, 3));
        let f = findings(m, vec![]);
        assert!(!f.iter().any(|x| x.kind.as_str() == "auth_failure"), "{f:#?}");
    }

    #[test]
    fn aggressive_mode_refused_in_clear_once_is_certain_and_names_the_strongswan_default() {
        use ikescope_parsers::iana::NotifyType;
        let m = vec![
            Msg::new(1, ExchangeType::AGGRESSIVE, 0.0, I, R, true, false, 1),
            Msg::new(1, ExchangeType::INFORMATIONAL_V1, 0.01, R, I, false, false, 2)
                .mid(0x1234)
                .notify(&[NotifyType::V1_AUTHENTICATION_FAILED]),
        ];
        let f = findings(m, vec![]);
        assert_eq!(failures(&f), vec![("auth_failure", Some("phase1"))], "{f:#?}");
        let a = the(&f, "auth_failure");
        assert_eq!(a.confidence, crate::diagnose::Confidence::Certain);
        assert_eq!(frames(a), vec![2, 1]);
        assert!(
            a.summary.starts_with(&format!(
                "{R} answers Aggressive Mode message 1 from {I} with AUTHENTICATION-FAILED in clear (refused once; message 1 sent once)"
            )),
            "{}",
            a.summary
        );
        assert!(a
            .summary
            .contains("strongSwan refuses Aggressive Mode with a pre-shared key by default"));
        assert!(!a.summary.contains("keeps re-sending message 1"), "{}", a.summary);
    }
}
