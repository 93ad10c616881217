//! ike_scan: probes in the style of ike-scan: IKE SAs that consist of their first exchange only,
//! sent to discover or fingerprint a responder, enumerate the transforms it accepts or the
//! Aggressive Mode identities it knows.
//!
//! Wire signature, per initiator toward one responder (a tunnel) or per group of one-message
//! initiators:
//! - ike-scan's default IKEv1 offer (one proposal, eight transforms: {3DES, DES} x {SHA1, MD5} x
//!   {modp1024, modp768}) in a first message without vendor IDs; or
//! - at least [`MIN_ENUMERATED_OFFERS`] probes offering as many different transform sets
//!   (`ike-scan --trans`, one exchange per transform set); or
//! - IKEv1 Aggressive Mode first messages carrying at least [`MIN_PROBED_IDS`] different
//!   identities (`ike-scan --aggressive --id`, guessing a group name).
//!
//! Info; warning when the responder answered an Aggressive Mode probe with its HASH payload:
//! that answer is a hash of the pre-shared key the prober can crack offline (psk-crack).
//! The probes' refusals and silences are explained by the scan (no proposal_mismatch,
//! auth_failure, proposal_inconsistent, no_response or ike_version_mismatch finding for them).

use crate::diagnose::{fixes, Confidence, Ctx, Finding, FindingKind, Severity};
use crate::reconstruct::aggregate::{is_ike_scan_default_offer, is_opening, offer_fingerprint};
use crate::reconstruct::{IkeSa, MsgRef, Phase, SaState};
use ikescope_parsers::iana::{ExchangeType, IkeVersion, PayloadType};
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

/// Different transform sets that make a transform enumeration.
pub const MIN_ENUMERATED_OFFERS: usize = 3;
/// Different Aggressive Mode identities that make an identity probe.
pub const MIN_PROBED_IDS: usize = 2;

/// What the probes of one initiator toward one responder show.
#[derive(Default)]
struct Probes<'m> {
    sas: Vec<&'m IkeSa>,
    default_offers: Vec<MsgRef>,
    offers: BTreeSet<u64>,
    ids: BTreeSet<String>,
    hash_answers: Vec<MsgRef>,
    without_vendor_id: usize,
}

/// True when every message of the SA belongs to its first exchange (an IKEv1 message 1
/// refused in clear, e.g. Aggressive Mode with AUTHENTICATION-FAILED, included).
fn first_exchange_only(ctx: &Ctx<'_>, sa: &IkeSa) -> bool {
    !matches!(sa.state, SaState::Established | SaState::Midstream)
        && sa
            .exchanges
            .iter()
            .flat_map(|e| e.requests.iter().chain(e.responses.iter()))
            .all(|m| is_opening(ctx.ike(m)))
}

/// Run the rule.
pub fn run(ctx: &mut Ctx<'_>) {
    let model = ctx.model;
    for t in &model.tunnels {
        let mut by_initiator: BTreeMap<IpAddr, Probes> = BTreeMap::new();
        for sa in t.sas.iter().map(|&s| &model.sas[s]) {
            if !first_exchange_only(ctx, sa) {
                continue;
            }
            let p = by_initiator.entry(sa.initiator).or_default();
            p.sas.push(sa);
            for e in &sa.exchanges {
                if let Some(m) = e.requests.first() {
                    let ike = ctx.ike(m);
                    if ike.vendor_ids.is_empty() {
                        p.without_vendor_id += 1;
                    }
                    if is_ike_scan_default_offer(ike) && ike.vendor_ids.is_empty() {
                        p.default_offers.push(*m);
                    }
                    if !ike.proposals.is_empty() {
                        p.offers.insert(offer_fingerprint(ike));
                    }
                    if ike.ike_version() == Some(IkeVersion::V1) && ike.exchange == ExchangeType::AGGRESSIVE {
                        p.ids.extend(ike.ids.iter().map(|i| i.value.clone()));
                    }
                }
                for m in &e.responses {
                    let ike = ctx.ike(m);
                    if ike.ike_version() == Some(IkeVersion::V1)
                        && ike.exchange == ExchangeType::AGGRESSIVE
                        && ike.payloads.contains(&PayloadType::V1_HASH)
                    {
                        p.hash_answers.push(*m);
                    }
                }
            }
        }
        for (initiator, p) in by_initiator {
            let enumerated = p.sas.len() >= MIN_ENUMERATED_OFFERS && p.offers.len() >= MIN_ENUMERATED_OFFERS;
            let id_probe = p.ids.len() >= MIN_PROBED_IDS;
            if p.default_offers.is_empty() && !enumerated && !id_probe {
                continue;
            }
            let f = tunnel_finding(ctx, &t.id, initiator, &p, enumerated, id_probe);
            for sa in &p.sas {
                ctx.mark_probe(sa.id);
                for ei in 0..sa.exchanges.len() {
                    ctx.explain(sa.id, ei);
                }
            }
            ctx.add(f);
        }
    }
    for g in model.data.groups.values() {
        let enumerated = g.transform_sets.len() >= MIN_ENUMERATED_OFFERS;
        let id_probe = g.identities.len() >= MIN_PROBED_IDS;
        if g.ike_scan_offers == 0 && !enumerated && !id_probe {
            continue;
        }
        let n = crate::wording::count;
        let exposed = g.psk_hash_exposed > 0;
        let mut f = Finding::new(
            FindingKind::IkeScan,
            &g.id(),
            if exposed {
                Severity::Warning
            } else {
                Severity::Info
            },
            Confidence::Likely,
        );
        f.responder = Some(g.responder);
        let mut what = Vec::new();
        if g.ike_scan_offers > 0 {
            what.push(format!(
                "{} offering ike-scan's default transform set",
                n(g.ike_scan_offers)
            ));
        }
        if enumerated {
            what.push(format!(
                "{} different transform sets",
                n(g.transform_sets.len() as u64)
            ));
        }
        if id_probe {
            what.push(format!(
                "{} different Aggressive Mode identities",
                n(g.identities.len() as u64 + g.identities_other)
            ));
        }
        f.summary = format!(
            "IKE probing of {}: {}: {}{}",
            g.responder,
            g.headline(),
            what.join(", "),
            psk_clause(g.psk_hash_exposed)
        );
        for s in &g.samples {
            for (at, from_initiator) in &s.frames {
                let note = if *from_initiator {
                    format!("probe from {} (SPIi {})", s.initiator, s.spi_i.to_hex())
                } else {
                    format!("answer to {} (SPIi {})", s.initiator, s.spi_i.to_hex())
                };
                f.evidence(ctx.model, *at, note);
            }
        }
        f.fix = Some(fixes::SCAN.to_string());
        f.detail("probes", g.attempts);
        f.detail("ike_scan_offers", g.ike_scan_offers);
        f.detail("transform_sets", g.transform_sets.len());
        f.detail("identities", g.identities.keys().collect::<Vec<_>>());
        f.detail("psk_hash_exposed", g.psk_hash_exposed);
        ctx.add(f);
    }
}

fn psk_clause(exposed: u64) -> String {
    if exposed == 0 {
        return String::new();
    }
    format!(
        "; the responder answered {} Aggressive Mode probe(s) with its HASH payload, a hash of the pre-shared key that can be cracked offline",
        crate::wording::count(exposed)
    )
}

fn tunnel_finding(
    ctx: &Ctx<'_>,
    tunnel: &str,
    initiator: IpAddr,
    p: &Probes<'_>,
    enumerated: bool,
    id_probe: bool,
) -> Finding {
    let model = ctx.model;
    let responder = p.sas[0].responder;
    let exposed = !p.hash_answers.is_empty();
    let mut f = Finding::new(
        FindingKind::IkeScan,
        tunnel,
        if exposed {
            Severity::Warning
        } else {
            Severity::Info
        },
        Confidence::Likely,
    );
    f.parties(Some(Phase::Phase1), initiator, responder);
    let mut what = Vec::new();
    if !p.default_offers.is_empty() {
        what.push(format!(
            "{} first message(s) offering ike-scan's default transform set ({{3DES, DES}} x {{SHA1, MD5}} x {{modp1024, modp768}}) without vendor IDs",
            p.default_offers.len()
        ));
    }
    if enumerated {
        what.push(format!(
            "{} different transform sets, one exchange each",
            p.offers.len()
        ));
    }
    if id_probe {
        let ids: Vec<&str> = p.ids.iter().map(String::as_str).take(10).collect();
        what.push(format!(
            "Aggressive Mode probes for {} identities ({})",
            p.ids.len(),
            ids.join(", ")
        ));
    }
    let answered = p
        .sas
        .iter()
        .filter(|sa| sa.exchanges.iter().any(|e| !e.unanswered()))
        .count();
    f.summary = format!(
        "IKE probing from {initiator} toward {responder}: {} IKE SA(s) that never went past their first exchange ({answered} answered); {}{}",
        p.sas.len(),
        what.join("; "),
        psk_clause(p.hash_answers.len() as u64)
    );
    for m in &p.default_offers {
        f.evidence(
            model,
            m.at,
            "ike-scan default offer (8 legacy transforms, no vendor ID)",
        );
    }
    for sa in &p.sas {
        if let Some(m) = sa.exchanges.first().and_then(|e| e.requests.first()) {
            let ike = ctx.ike(m);
            let mode = match (ike.version, ike.exchange.0) {
                (1, 4) => "Aggressive Mode",
                (1, _) => "Main Mode",
                _ => "IKE_SA_INIT",
            };
            let ids: Vec<&str> = ike.ids.iter().map(|i| i.value.as_str()).collect();
            let id = if ids.is_empty() {
                String::new()
            } else {
                format!(", ID {}", ids.join(", "))
            };
            f.evidence(
                model,
                m.at,
                format!(
                    "{mode} probe (SPIi {}), {} transform(s){id}",
                    sa.spi_i.to_hex(),
                    ike.proposals.iter().map(|p| p.transforms.len()).sum::<usize>()
                ),
            );
        }
    }
    for m in &p.hash_answers {
        f.evidence(
            model,
            m.at,
            "Aggressive Mode answer with HASH_R: crackable offline with the PSK",
        );
    }
    f.fix = Some(fixes::SCAN.to_string());
    f.detail("probes", p.sas.len());
    f.detail("transform_sets", p.offers.len());
    f.detail("identities", &p.ids);
    f.detail("psk_hash_exposed", p.hash_answers.len());
    f
}
