//! Informational findings (severity info, never failures): nat_detected, cookie_challenge,
//! invalid_ke_retry, rekey (healthy), weak_crypto, peer_vendor.

use crate::diagnose::{fixes, Confidence, Ctx, Finding, FindingKind, Severity};
use crate::reconstruct::exchanges::notify;
use crate::reconstruct::{ExchangeKind, IkeSa, MsgRef, SaState, Tunnel};
use sha1::{Digest, Sha1};
use std::net::IpAddr;

/// Algorithm names (tokens of strongSwan-style proposal strings) considered weak.
const WEAK_TOKENS: &[&str] = &[
    "des", "3des", "desiv64", "desiv32", "md5", "sha1", "prfmd5", "prfsha1", "modp768", "modp1024", "null",
    "hmacmd5",
];

/// Run the rules.
pub fn run(ctx: &mut Ctx<'_>) {
    let model = ctx.model;
    for t in &model.tunnels {
        nat(ctx, t);
        init_retries(ctx, t);
        rekeys(ctx, t);
        weak(ctx, t);
        vendors(ctx, t);
    }
}

fn nat_hash(spi_i: &[u8; 8], spi_r: &[u8; 8], ip: IpAddr, port: u16) -> [u8; 20] {
    let mut h = Sha1::new();
    h.update(spi_i);
    h.update(spi_r);
    match ip {
        IpAddr::V4(a) => h.update(a.octets()),
        IpAddr::V6(a) => h.update(a.octets()),
    }
    h.update(port.to_be_bytes());
    h.finalize().into()
}

/// Compare the NAT_DETECTION notifies of a message with its own addresses. Returns
/// (source matches, destination matches) when the notifies are present.
fn nat_check(ctx: &Ctx<'_>, m: &MsgRef) -> (Option<bool>, Option<bool>) {
    let r = ctx.rec(m);
    let ike = ctx.ike(m);
    let (Some(sport), Some(dport)) = (r.sport, r.dport) else {
        return (None, None);
    };
    let mut src = None;
    let mut dst = None;
    for n in &ike.notifies {
        if n.data.0.len() != 20 {
            continue;
        }
        if n.kind == notify::NAT_DETECTION_SOURCE_IP {
            let ok = nat_hash(&ike.spi_i.0, &ike.spi_r.0, r.src, sport)[..] == n.data.0[..];
            src = Some(src.unwrap_or(false) || ok);
        } else if n.kind == notify::NAT_DETECTION_DESTINATION_IP {
            let ok = nat_hash(&ike.spi_i.0, &ike.spi_r.0, r.dst, dport)[..] == n.data.0[..];
            dst = Some(dst.unwrap_or(false) || ok);
        }
    }
    (src, dst)
}

/// What the NAT detection payloads of one IKE SA say: (initiator seen elsewhere, responder seen
/// elsewhere, initiator claims another address, responder claims another address), with the
/// messages carrying them (initiator's, responder's).
struct NatView<'a> {
    initiator_seen: bool,
    responder_seen: bool,
    initiator_claim: bool,
    responder_claim: bool,
    req: &'a MsgRef,
    resp: &'a MsgRef,
}

fn nat_view_v2<'a>(ctx: &Ctx<'_>, sa: &'a IkeSa) -> Option<NatView<'a>> {
    let (_, init) = sa.exchanges_of(ExchangeKind::IkeSaInit).last()?;
    let (req, resp) = (init.requests.first()?, init.responses.first()?);
    let (req_src, req_dst) = nat_check(ctx, req);
    let (resp_src, resp_dst) = nat_check(ctx, resp);
    Some(NatView {
        initiator_seen: resp_dst == Some(false),
        responder_seen: req_dst == Some(false),
        initiator_claim: req_src == Some(false),
        responder_claim: resp_src == Some(false),
        req,
        resp,
    })
}

/// IKEv1 NAT-D (RFC 3947 §3.2): HASH(CKY-I | CKY-R | IP | port) with the negotiated hash; the first
/// NAT-D payload is the peer's address as the sender sees it, the others the sender's own.
fn nat_view_v1<'a>(ctx: &Ctx<'_>, sa: &'a IkeSa) -> Option<NatView<'a>> {
    let p1 = sa
        .exchanges
        .iter()
        .find(|e| matches!(e.kind, ExchangeKind::MainMode | ExchangeKind::AggressiveMode))?;
    let with_natd = |msgs: &'a [MsgRef]| msgs.iter().find(|m| !ctx.ike(m).nat_d.is_empty());
    let (req, resp) = (with_natd(&p1.requests)?, with_natd(&p1.responses)?);
    // Negotiated hash: the responder's chosen transform (attribute 2), else the first offered.
    let hash_alg = [resp, req]
        .iter()
        .flat_map(|m| ctx.ike(m).proposals.iter())
        .flat_map(|p| p.transforms.iter())
        .flat_map(|t| t.attributes.iter())
        .find(|a| a.kind == 2)
        .and_then(|a| a.value.as_u64())
        .or_else(|| {
            p1.responses
                .iter()
                .chain(p1.requests.iter())
                .flat_map(|m| ctx.ike(m).proposals.iter())
                .flat_map(|p| p.transforms.iter())
                .flat_map(|t| t.attributes.iter())
                .find(|a| a.kind == 2)
                .and_then(|a| a.value.as_u64())
        })?;
    let check = |m: &MsgRef| -> (Option<bool>, Option<bool>) {
        let r = ctx.rec(m);
        let ike = ctx.ike(m);
        let (Some(sport), Some(dport)) = (r.sport, r.dport) else {
            return (None, None);
        };
        let h = |ip: IpAddr, port: u16| v1_nat_hash(hash_alg, &ike.spi_i.0, &ike.spi_r.0, ip, port);
        let (Some(peer), Some(own)) = (h(r.dst, dport), h(r.src, sport)) else {
            return (None, None);
        };
        let dst_ok = ike.nat_d.first().map(|d| d.0 == peer);
        let src_ok = (ike.nat_d.len() > 1).then(|| ike.nat_d[1..].iter().any(|d| d.0 == own));
        (src_ok, dst_ok)
    };
    let (req_src, req_dst) = check(req);
    let (resp_src, resp_dst) = check(resp);
    Some(NatView {
        initiator_seen: resp_dst == Some(false),
        responder_seen: req_dst == Some(false),
        initiator_claim: req_src == Some(false),
        responder_claim: resp_src == Some(false),
        req,
        resp,
    })
}

fn v1_nat_hash(alg: u64, ci: &[u8; 8], cr: &[u8; 8], ip: IpAddr, port: u16) -> Option<Vec<u8>> {
    let mut data = Vec::with_capacity(36);
    data.extend_from_slice(ci);
    data.extend_from_slice(cr);
    match ip {
        IpAddr::V4(a) => data.extend_from_slice(&a.octets()),
        IpAddr::V6(a) => data.extend_from_slice(&a.octets()),
    }
    data.extend_from_slice(&port.to_be_bytes());
    Some(match alg {
        1 => md5::Md5::digest(&data).to_vec(),
        2 => Sha1::digest(&data).to_vec(),
        4 => sha2::Sha256::digest(&data).to_vec(),
        5 => sha2::Sha384::digest(&data).to_vec(),
        6 => sha2::Sha512::digest(&data).to_vec(),
        _ => return None,
    })
}

fn nat(ctx: &mut Ctx<'_>, t: &Tunnel) {
    let model = ctx.model;
    for &sid in &t.sas {
        let sa = &model.sas[sid];
        let view = if sa.version == 2 {
            nat_view_v2(ctx, sa)
        } else {
            nat_view_v1(ctx, sa)
        };
        let Some(NatView {
            initiator_seen,
            responder_seen,
            initiator_claim,
            responder_claim,
            req,
            resp,
        }) = view
        else {
            continue;
        };
        // "seen": a peer's view of the other's address differs from what the capture shows, so a
        // NAT sits between the capture point and that peer (certain). "claim": a peer's own
        // NAT detection hash differs from its address in the capture: it is behind a NAT the
        // capture is outside of, or it fakes the hash to force UDP encapsulation.
        let port_rewritten = [req, resp].iter().any(|m| {
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
        f.parties(Some("phase1"), sa.initiator, sa.responder);
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
        ctx.add(f);
        return;
    }
}

fn init_retries(ctx: &mut Ctx<'_>, t: &Tunnel) {
    let model = ctx.model;
    for &sid in &t.sas {
        let sa = &model.sas[sid];
        let up = matches!(sa.state, SaState::Established | SaState::Negotiating);
        for (_, e) in sa.exchanges_of(ExchangeKind::IkeSaInit) {
            let Some(resp) = e.responses.first() else { continue };
            let notes = &ctx.ike(resp).notify;
            let (kind, what) = if notes.contains(&notify::COOKIE) {
                (
                    FindingKind::CookieChallenge,
                    "COOKIE challenge (responder under load or DoS protection)",
                )
            } else if notes.contains(&notify::INVALID_KE_PAYLOAD) && up {
                (
                    FindingKind::InvalidKeRetry,
                    "INVALID_KE_PAYLOAD: initiator retried with the group the responder asked for",
                )
            } else {
                continue;
            };
            let mut f = Finding::new(kind, &t.id, Severity::Info, Confidence::Certain);
            f.parties(Some("phase1"), sa.initiator, sa.responder);
            if let Some(m) = e.requests.first() {
                f.evidence(model, m.at, format!("IKE_SA_INIT request from {}", sa.initiator));
            }
            f.evidence(
                model,
                resp.at,
                format!("IKE_SA_INIT response from {}: {what}", sa.responder),
            );
            f.summary = format!("{what}; healthy, not a failure");
            ctx.add(f);
        }
    }
}

fn rekeys(ctx: &mut Ctx<'_>, t: &Tunnel) {
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
    f.detail("child_rekeys", child.len());
    f.detail("ike_rekeys", ike.len());
    ctx.add(f);
}

fn weak(ctx: &mut Ctx<'_>, t: &Tunnel) {
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
            let msgs: Vec<&MsgRef> = e.responses.iter().chain(e.requests.iter()).take(1).collect();
            let chosen = e
                .responses
                .first()
                .filter(|m| !ctx.proposal_summaries(m).is_empty());
            let m = match chosen.or(msgs.first().copied()) {
                Some(m) => m,
                None => continue,
            };
            for s in ctx.proposal_summaries(m) {
                let bad: Vec<&str> = s.split('-').filter(|tok| WEAK_TOKENS.contains(tok)).collect();
                if !bad.is_empty() && !weak_seen.contains(&s) {
                    f.evidence(
                        model,
                        m.at,
                        format!(
                            "{} {} {s}",
                            e.kind.label(),
                            if chosen.is_some() { "chose" } else { "offered" }
                        ),
                    );
                    weak_seen.push(s);
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
    ctx.add(f);
}

fn vendors(ctx: &mut Ctx<'_>, t: &Tunnel) {
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
        ctx.push_unmerged(f);
    }
}
