//! auth_spray: authentication failures toward one responder from many sources (password or
//! PSK spraying), or many identities tried from one source (guessing user names or group IDs).
//!
//! Wire signature, per responder: IKE SAs whose authentication failed (`auth_failure`'s
//! evidence: AUTHENTICATION_FAILED, an IKEv1 refusal after MM5/AM, or a lone small notify in
//! answer to IKE_AUTH) from at least [`MIN_SOURCES`] different initiators, at least
//! [`MIN_FAILING_SHARE`] of those that authenticated; or from one initiator
//! at least [`MIN_FAILURES_ONE_SOURCE`] failures naming at least [`MIN_IDENTITIES`] different
//! identities (in clear in IKEv1 Aggressive Mode, otherwise with keys). IKEv1 Aggressive Mode
//! answers carrying HASH_R toward failing initiators are called out: each is a hash of the
//! pre-shared key that can be cracked offline. The finding belongs to the responder
//! (`group:<responder>`); the failing tunnels keep their own `auth_failure` findings.

use crate::diagnose::{fixes, Confidence, Ctx, Finding, FindingKind, Severity};
use crate::reconstruct::aggregate::group_id;
use crate::reconstruct::{IkeSa, Phase, SaState};
use ikescope_parsers::iana::{ExchangeType, IkeVersion, PayloadType};
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

/// Different failing initiators toward one responder that make a spray.
pub const MIN_SOURCES: usize = 10;
/// ... and they must be at least this share of the initiators that authenticated: a busy
/// gateway with a few peers holding a stale key is not being sprayed.
pub const MIN_FAILING_SHARE: f64 = 0.25;
/// Failures from one initiator that, with enough identities, make a spray.
pub const MIN_FAILURES_ONE_SOURCE: usize = 5;
/// Different identities from one initiator.
pub const MIN_IDENTITIES: usize = 3;

/// The identities an initiator sent in an SA (clear or decrypted).
fn identities(ctx: &Ctx<'_>, sa: &IkeSa) -> Vec<String> {
    let mut out = Vec::new();
    for e in &sa.exchanges {
        for m in e.requests.iter().filter(|m| !m.retransmit) {
            if ctx.rec(m).src != sa.initiator {
                continue;
            }
            let ike = ctx.ike(m);
            let clear = ike.ids.iter();
            let inner = ike.decrypted.iter().flat_map(|d| d.ids.iter());
            for id in clear.chain(inner) {
                if matches!(id.payload, PayloadType::V1_ID | PayloadType::V2_IDI) && !out.contains(&id.value)
                {
                    out.push(id.value.clone());
                }
            }
        }
    }
    out
}

/// Aggressive Mode answers with a HASH payload in an SA.
fn hash_answers(ctx: &Ctx<'_>, sa: &IkeSa) -> Vec<crate::reconstruct::MsgRef> {
    sa.exchanges
        .iter()
        .flat_map(|e| e.responses.iter())
        .filter(|m| {
            let ike = ctx.ike(m);
            ike.ike_version() == Some(IkeVersion::V1)
                && ike.exchange == ExchangeType::AGGRESSIVE
                && ike.payloads.contains(&PayloadType::V1_HASH)
        })
        .copied()
        .collect()
}

/// Run the rule.
pub fn run(ctx: &mut Ctx<'_>) {
    let model = ctx.model;
    let mut by_responder: BTreeMap<IpAddr, BTreeMap<IpAddr, Vec<&IkeSa>>> = BTreeMap::new();
    for sa in model.sas.iter().filter(|sa| sa.state == SaState::AuthFailed) {
        by_responder
            .entry(sa.responder)
            .or_default()
            .entry(sa.initiator)
            .or_default()
            .push(sa);
    }
    for (responder, by_source) in by_responder {
        let failures: usize = by_source.values().map(Vec::len).sum();
        let mut identities_of: BTreeMap<IpAddr, BTreeSet<String>> = BTreeMap::new();
        for (src, sas) in &by_source {
            let ids = identities_of.entry(*src).or_default();
            for sa in sas {
                ids.extend(identities(ctx, sa));
            }
        }
        let authenticated: BTreeSet<IpAddr> = model
            .sas
            .iter()
            .filter(|sa| sa.responder == responder && sa.established.is_some())
            .map(|sa| sa.initiator)
            .collect();
        let many_sources = by_source.len() >= MIN_SOURCES
            && by_source.len() as f64 >= MIN_FAILING_SHARE * authenticated.len() as f64;
        let guessing: Vec<IpAddr> = by_source
            .iter()
            .filter(|(src, sas)| {
                sas.len() >= MIN_FAILURES_ONE_SOURCE
                    && identities_of.get(*src).is_some_and(|i| i.len() >= MIN_IDENTITIES)
            })
            .map(|(src, _)| *src)
            .collect();
        if !many_sources && guessing.is_empty() {
            continue;
        }
        let n = crate::wording::count;
        let mut f = Finding::new(
            FindingKind::AuthSpray,
            &group_id(responder),
            Severity::Warning,
            Confidence::of(false),
        );
        f.responder = Some(responder);
        f.phase = Some(Phase::Phase1);
        let all_ids: BTreeSet<&String> = identities_of.values().flatten().collect();
        let mut what = Vec::new();
        if many_sources {
            what.push(format!(
                "{} authentication failures from {} different sources",
                n(failures as u64),
                n(by_source.len() as u64)
            ));
        }
        for src in &guessing {
            what.push(format!(
                "{} failures from {src} naming {} different identities",
                n(by_source[src].len() as u64),
                n(identities_of[src].len() as u64)
            ));
        }
        let mut exposed = Vec::new();
        for sas in by_source.values() {
            for sa in sas {
                exposed.extend(hash_answers(ctx, sa));
            }
        }
        let ids_text = if all_ids.is_empty() {
            String::new()
        } else {
            let v: Vec<&str> = all_ids.iter().take(10).map(|s| s.as_str()).collect();
            format!("; identities tried: {}", v.join(", "))
        };
        let exposed_text = if exposed.is_empty() {
            String::new()
        } else {
            format!(
                "; {} IKEv1 Aggressive Mode answer(s) carried HASH_R, a hash of the pre-shared key that can be cracked offline",
                n(exposed.len() as u64)
            )
        };
        f.summary = format!(
            "Authentication spraying against {responder}: {}{ids_text}{exposed_text}",
            what.join("; ")
        );
        for (src, sas) in &by_source {
            for sa in sas {
                let last = sa
                    .exchanges
                    .iter()
                    .rev()
                    .find_map(|e| e.responses.last().or(e.requests.last()));
                if let Some(m) = last {
                    let ids: Vec<&str> = identities_of[src].iter().map(String::as_str).take(3).collect();
                    let id = if ids.is_empty() {
                        String::new()
                    } else {
                        format!(" (identities {})", ids.join(", "))
                    };
                    f.evidence(model, m.at, format!("authentication of {src} refused{id}"));
                }
            }
        }
        for m in &exposed {
            f.evidence(
                model,
                m.at,
                "Aggressive Mode answer with HASH_R: crackable offline with the PSK",
            );
        }
        f.fix = Some(fixes::SPRAY.to_string());
        f.detail("failures", failures);
        f.detail("sources", by_source.len());
        f.detail("identities", all_ids.len());
        f.detail("guessing_sources", &guessing);
        f.detail("psk_hash_exposed", exposed.len());
        ctx.add(f);
    }
}
