//! Informational findings (severity info, never failures): nat_detected, cookie_challenge,
//! invalid_ke_retry, rekey (healthy), weak_crypto, peer_vendor.

use crate::diagnose::{fixes, lifetimes, Confidence, Ctx, Finding, FindingKind, Severity, TunnelOutcome};
use crate::reconstruct::nat::{nat_view, NatView};
use crate::reconstruct::{ExchangeKind, IkeSa, MsgRef, Phase, SaState, Tunnel};
use ikescope_parsers::iana::NotifyType;

/// Algorithm names (tokens of strongSwan-style proposal strings) considered weak.
const WEAK_TOKENS: &[&str] = &[
    "des", "3des", "desiv64", "desiv32", "md5", "sha1", "prfmd5", "prfsha1", "modp768", "modp1024", "null",
    "hmacmd5",
];

/// Run the rules.
pub fn run(ctx: &mut Ctx<'_>) {
    // each tunnel on its own: decided on all cores
    ctx.per_tunnel(decide);
}

/// The informational findings of one tunnel.
pub fn decide(ctx: &Ctx<'_>, t: &Tunnel, out: &mut Vec<TunnelOutcome>) {
    nat(ctx, t, out);
    init_retries(ctx, t, out);
    rekeys(ctx, t, out);
    weak(ctx, t, out);
    vendors(ctx, t, out);
}

fn nat(ctx: &Ctx<'_>, t: &Tunnel, out: &mut Vec<TunnelOutcome>) {
    let model = ctx.model;
    for &sid in &t.sas {
        let sa = &model.sas[sid];
        let Some(NatView {
            initiator_seen,
            responder_seen,
            initiator_claim,
            responder_claim,
            req,
            resp,
        }) = nat_view(model, sa)
        else {
            continue;
        };
        // "seen": a peer's view of the other's address differs from what the capture shows, so a
        // NAT sits between the capture point and that peer (certain). "claim": a peer's own
        // NAT detection hash differs from its address in the capture: it is behind a NAT the
        // capture is outside of, or it fakes the hash to force UDP encapsulation.
        let port_rewritten = [&req, &resp].iter().any(|m| {
            let r = ctx.rec(m);
            !matches!(r.sport, Some(500) | Some(4500)) || !matches!(r.dport, Some(500) | Some(4500))
        });
        if !(initiator_seen || responder_seen || initiator_claim || responder_claim || port_rewritten) {
            continue;
        }
        let certain = initiator_seen || responder_seen || port_rewritten;
        let mut who = Vec::new();
        if initiator_seen {
            who.push(format!(
                "initiator {} is behind NAT (the responder sees another address; capture taken inside the NAT)",
                sa.initiator
            ));
        } else if initiator_claim {
            who.push(format!(
                "initiator {} announces another address: behind a NAT (capture outside it) or forcing UDP encapsulation",
                sa.initiator
            ));
        }
        if responder_seen {
            who.push(format!(
                "responder {} is behind NAT (the initiator sees another address)",
                sa.responder
            ));
        } else if responder_claim {
            who.push(format!(
                "responder {} announces another address: behind a NAT (capture outside it) or forcing UDP encapsulation",
                sa.responder
            ));
        }
        if port_rewritten && who.is_empty() {
            who.push("a NAT rewrote the IKE ports".into());
        }
        let mut f = Finding::new(
            FindingKind::NatDetected,
            &t.id,
            Severity::Info,
            Confidence::of(certain),
        );
        f.parties(Some(Phase::Phase1), sa.initiator, sa.responder);
        f.evidence(
            model,
            req.at,
            format!("NAT detection hashes from the initiator {}", sa.initiator),
        );
        f.evidence(
            model,
            resp.at,
            format!("NAT detection hashes from the responder {}", sa.responder),
        );
        f.summary = format!("NAT-T in use: {}; IKE and ESP float to UDP 4500", who.join("; "));
        f.detail("initiator_behind_nat", initiator_seen || initiator_claim);
        f.detail("responder_behind_nat", responder_seen || responder_claim);
        out.push(TunnelOutcome::Add(f));
        return;
    }
}

fn init_retries(ctx: &Ctx<'_>, t: &Tunnel, out: &mut Vec<TunnelOutcome>) {
    let model = ctx.model;
    for &sid in &t.sas {
        let sa = &model.sas[sid];
        let up = matches!(sa.state, SaState::Established | SaState::Negotiating);
        for (_, e) in sa.exchanges_of(ExchangeKind::IkeSaInit) {
            let Some(resp) = e.responses.first() else { continue };
            let notes = &ctx.ike(resp).notify;
            let (kind, what) = if notes.contains(&NotifyType::V2_COOKIE) {
                (
                    FindingKind::CookieChallenge,
                    "COOKIE challenge (responder under load or DoS protection)",
                )
            } else if notes.contains(&NotifyType::V2_INVALID_KE_PAYLOAD) && up {
                (
                    FindingKind::InvalidKeRetry,
                    "INVALID_KE_PAYLOAD: initiator retried with the group the responder asked for",
                )
            } else {
                continue;
            };
            let mut f = Finding::new(kind, &t.id, Severity::Info, Confidence::Certain);
            f.parties(Some(Phase::Phase1), sa.initiator, sa.responder);
            if let Some(m) = e.requests.first() {
                f.evidence(model, m.at, format!("IKE_SA_INIT request from {}", sa.initiator));
            }
            f.evidence(
                model,
                resp.at,
                format!("IKE_SA_INIT response from {}: {what}", sa.responder),
            );
            f.summary = format!("{what}; healthy, not a failure");
            out.push(TunnelOutcome::Add(f));
        }
    }
}

fn rekeys(ctx: &Ctx<'_>, t: &Tunnel, out: &mut Vec<TunnelOutcome>) {
    let model = ctx.model;
    if ctx.has(FindingKind::RekeyFlap, &t.id) {
        return;
    }
    let mut child = Vec::new();
    let mut ike = Vec::new();
    for &c in &t.children {
        let ch = &model.children[c];
        let sa = &model.sas[ch.ike_sa];
        // A decrypted CREATE_CHILD_SA without N(REKEY_SA) adds a CHILD SA: not a rekey.
        let is_rekey = matches!(ch.kind, ExchangeKind::ChildRekey | ExchangeKind::CreateChildSa)
            || (ch.kind == ExchangeKind::QuickMode
                && sa.exchanges_of(ExchangeKind::QuickMode).next().map(|(i, _)| i) != Some(ch.exchange));
        if is_rekey {
            child.push((ch.time, ch.at));
        }
    }
    for &sid in &t.sas {
        let sa: &IkeSa = &model.sas[sid];
        if sa.rekey_of.is_some() {
            if let Some(m) = sa.exchanges.first().and_then(|e| e.requests.first()) {
                ike.push((m.time, m.at));
            }
        }
    }
    if child.is_empty() && ike.is_empty() {
        return;
    }
    let mut f = Finding::new(FindingKind::Rekey, &t.id, Severity::Info, Confidence::Likely);
    for (_, at) in &child {
        f.evidence(model, *at, "CHILD SA rekeyed");
    }
    for (_, at) in &ike {
        f.evidence(model, *at, "first message of the rekeyed IKE SA");
    }
    let intervals: Vec<f64> = child
        .windows(2)
        .map(|w| (w[1].0.secs_since(w[0].0) * 10.0).round() / 10.0)
        .collect();
    f.summary = format!(
        "healthy rekeys: {} CHILD SA rekeys, {} IKE SA rekeys{}",
        child.len(),
        ike.len(),
        if intervals.is_empty() {
            String::new()
        } else {
            format!(" (CHILD SA rekey intervals {intervals:?} s)")
        }
    );
    let ike_intervals: Vec<f64> = ike
        .windows(2)
        .map(|w| (w[1].0.secs_since(w[0].0) * 10.0).round() / 10.0)
        .collect();
    let cadences: Vec<String> = [
        (&intervals, "phase 2", "CHILD SA"),
        (&ike_intervals, "phase 1", "IKE SA"),
    ]
    .into_iter()
    .filter_map(|(iv, phase, what)| {
        let m = lifetimes::median(iv)?;
        let fits = lifetimes::describe(m, phase)?;
        Some(format!("{what} rekeys every {m:.0} s, which {fits}"))
    })
    .collect();
    if !cadences.is_empty() {
        f.summary.push_str(&format!("; {}", cadences.join("; ")));
        f.detail("default_lifetime", &cadences);
    }
    f.detail("child_rekeys", child.len());
    f.detail("ike_rekeys", ike.len());
    out.push(TunnelOutcome::Add(f));
}

fn weak(ctx: &Ctx<'_>, t: &Tunnel, out: &mut Vec<TunnelOutcome>) {
    let model = ctx.model;
    let mut weak_seen: Vec<String> = Vec::new();
    let mut f = Finding::new(
        FindingKind::WeakCrypto,
        &t.id,
        Severity::Info,
        Confidence::Certain,
    );
    for &sid in &t.sas {
        let sa = &model.sas[sid];
        for e in &sa.exchanges {
            // The chosen proposal when the response carries one, else what was offered.
            let chosen = e.responses.first().filter(|m| summaries(ctx, m).next().is_some());
            let m = match chosen.or(e.responses.first()).or(e.requests.first()) {
                Some(m) => m,
                None => continue,
            };
            // (a summary seen again is skipped by `weak_seen`: no need to drop repeats first)
            for s in summaries(ctx, m) {
                let bad = s.split('-').any(|tok| WEAK_TOKENS.contains(&tok));
                if bad && !weak_seen.contains(s) {
                    f.evidence(
                        model,
                        m.at,
                        format!(
                            "{} {} {s}",
                            e.kind.label(),
                            if chosen.is_some() { "chose" } else { "offered" }
                        ),
                    );
                    weak_seen.push(s.clone());
                }
            }
        }
    }
    if weak_seen.is_empty() {
        return;
    }
    f.summary = format!("weak algorithms negotiated or offered: {}", weak_seen.join(", "));
    f.detail("proposals", weak_seen);
    f.fix = Some(fixes::WEAK.to_string());
    out.push(TunnelOutcome::Add(f));
}

/// The strongSwan-style summaries of the proposals in a message, clear then decrypted, as
/// [`Ctx::proposal_summaries`] lists them (repeats included), without copying them.
fn summaries<'m>(ctx: &Ctx<'m>, m: &MsgRef) -> impl Iterator<Item = &'m String> {
    let ike = ctx.ike(m);
    let decrypted = ike.decrypted.iter().flat_map(|d| d.proposals.iter());
    ike.proposals
        .iter()
        .chain(decrypted)
        .flat_map(|p| p.summary.iter())
}

fn vendors(ctx: &Ctx<'_>, t: &Tunnel, out: &mut Vec<TunnelOutcome>) {
    let model = ctx.model;
    for peer in t.peers {
        let mut names: Vec<String> = Vec::new();
        let mut first_at = None;
        for &sid in &t.sas {
            for e in &model.sas[sid].exchanges {
                for m in e.requests.iter().chain(e.responses.iter()) {
                    if ctx.rec(m).src != peer {
                        continue;
                    }
                    for n in ctx.ike(m).vendor_names.iter().flatten() {
                        if !names.contains(n) {
                            names.push(n.clone());
                            first_at.get_or_insert(m.at);
                        }
                    }
                }
            }
        }
        if names.is_empty() {
            continue;
        }
        let mut f = Finding::new(
            FindingKind::PeerVendor,
            &t.id,
            Severity::Info,
            Confidence::Certain,
        );
        if let Some(at) = first_at {
            f.evidence(model, at, format!("vendor IDs from {peer}"));
        }
        f.summary = format!("{peer} announces: {}", names.join("; "));
        f.detail("peer", peer);
        f.detail("vendor_ids", &names);
        f.phase = None;
        // Keep one finding per peer: the tunnel/kind/phase merge key would fold both peers.
        f.initiator = Some(peer);
        out.push(TunnelOutcome::Unmerged(f));
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use ikescope_parsers::iana::{ExchangeType, PayloadType};

    /// An IKEv2 SA set up at 0 s whose CHILD SA is rekeyed at each of `rekeys` (seconds).
    fn rekeyed_every(rekeys: &[f64]) -> Vec<Msg> {
        let mut v = ike_sa_init(0.0);
        let sk = [PayloadType::V2_SK];
        v.push(
            Msg::new(2, ExchangeType::IKE_AUTH, 0.02, I, R, true, false, 3)
                .mid(1)
                .payloads(&sk, Some(PayloadType::V2_IDI)),
        );
        v.push(
            Msg::new(2, ExchangeType::IKE_AUTH, 0.03, R, I, false, true, 4)
                .mid(1)
                .payloads(&sk, Some(PayloadType::V2_IDR)),
        );
        for (k, t) in rekeys.iter().enumerate() {
            let mid = k as u32 + 2;
            let d = 10 + 2 * k as u64;
            v.push(
                Msg::new(2, ExchangeType::CREATE_CHILD_SA, *t, I, R, true, false, d)
                    .mid(mid)
                    .payloads(&sk, Some(PayloadType::V2_N)),
            );
            v.push(
                Msg::new(
                    2,
                    ExchangeType::CREATE_CHILD_SA,
                    t + 0.01,
                    R,
                    I,
                    false,
                    true,
                    d + 1,
                )
                .mid(mid)
                .payloads(&sk, Some(PayloadType::V2_SA)),
            );
        }
        v
    }

    #[test]
    fn an_hourly_rekey_cadence_names_the_aws_phase_2_default() {
        let f = findings(rekeyed_every(&[3300.0, 6610.0, 9905.0]), vec![]);
        let r = f
            .iter()
            .find(|x| x.kind.as_str() == "rekey")
            .expect("rekey finding");
        assert!(
            r.summary.contains("CHILD SA rekeys every 3310 s, which fits a lifetime rekeyed shortly before expiry: 3600 s, the default phase 2 lifetime of AWS Site-to-Site VPN"),
            "{}",
            r.summary
        );
        assert!(r.details.get("default_lifetime").is_some());
    }

    #[test]
    fn a_ten_minute_rekey_cadence_names_no_default() {
        let f = findings(rekeyed_every(&[600.0, 1200.0, 1800.0]), vec![]);
        let r = f
            .iter()
            .find(|x| x.kind.as_str() == "rekey")
            .expect("rekey finding");
        assert!(!r.summary.contains("default"), "{}", r.summary);
        assert!(r.details.get("default_lifetime").is_none());
    }
}
