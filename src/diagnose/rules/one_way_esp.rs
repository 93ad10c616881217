//! one_way_esp: the SAs are up but ESP flows in one direction only ("egress climbs, ingress
//! zero").
//!
//! Wire signature: a tunnel whose IKE traffic is seen in both directions (so the capture point
//! sees both ways) and whose CHILD SA is up, with ESP packets from one peer and none from the
//! other over the whole capture; or, when the tunnel carried ESP both ways, one CHILD SA
//! generation (the SPIs that appeared after it was created) with ESP one way only, as after a
//! rekey whose new SA one end never installed.

use crate::diagnose::{fixes, Confidence, Ctx, Finding, FindingKind, Severity, TunnelOutcome};
use crate::reconstruct::{SaState, Tunnel};
use crate::wording::inner_flow_text;

/// Packets one way before the silence of the other way counts.
const MIN_PACKETS: u64 = 5;

/// Run the rule.
pub fn run(ctx: &mut Ctx<'_>) {
    // each tunnel on its own: decided on all cores
    ctx.per_tunnel(tunnel);
}

fn tunnel(ctx: &Ctx<'_>, t: &Tunnel, out: &mut Vec<TunnelOutcome>) {
    let model = ctx.model;
    {
        let [a, b] = t.peers;
        let sas_up = t
            .sas
            .iter()
            .any(|&s| matches!(model.sas[s].state, SaState::Established | SaState::Midstream));
        if !sas_up {
            return;
        }
        if !(ctx.sent_ike_to(a, b) && ctx.sent_ike_to(b, a)) {
            return;
        }
        let (pa, ba) = t.esp_from(model, a);
        let (pb, bb) = t.esp_from(model, b);
        let (sender, silent, packets, bytes) = if pa >= MIN_PACKETS && pb == 0 {
            (a, b, pa, ba)
        } else if pb >= MIN_PACKETS && pa == 0 {
            (b, a, pb, bb)
        } else {
            per_child(ctx, t, out);
            return;
        };
        let mut f = Finding::new(FindingKind::OneWayEsp, &t.id, Severity::Error, Confidence::Likely);
        let first_sa = &model.sas[t.sas[0]];
        f.initiator = Some(first_sa.initiator);
        f.responder = Some(first_sa.responder);
        for &c in &t.children {
            let child = &model.children[c];
            f.evidence(
                model,
                child.at,
                format!(
                    "CHILD SA up ({} response)",
                    model.sas[child.ike_sa].exchanges[child.exchange].kind.label()
                ),
            );
        }
        let mut spis = Vec::new();
        for k in t.esp.iter().filter(|k| k.0 == sender) {
            let fl = &model.esp[k];
            spis.push(format!("{:08x}", fl.spi));
            f.evidence(
                model,
                fl.first_frame,
                format!("first ESP packet from {sender} on SPI {:08x}", fl.spi),
            );
            f.evidence(
                model,
                fl.last_frame,
                format!(
                    "last of {} ESP packets from {sender} on SPI {:08x}",
                    fl.packets, fl.spi
                ),
            );
        }
        f.summary = format!(
            "SAs are up but ESP flows one way: {packets} packets ({bytes} bytes) from {sender} on SPI {}, none from {silent}",
            spis.join(", ")
        );
        // With ESP keys, say what the one-way traffic carries (the subnets that get no answer).
        let inner: Vec<String> = t
            .inner_flows(model)
            .iter()
            .filter(|x| x.src == sender)
            .take(5)
            .map(|x| inner_flow_text(&x.flow))
            .collect();
        if !inner.is_empty() {
            f.summary.push_str(&format!(
                "; it carries {} and nothing comes back",
                inner.join(", ")
            ));
        }
        f.detail("sender", sender);
        f.detail("silent", silent);
        f.detail("packets", packets);
        f.detail("bytes", bytes);
        f.fix = Some(format!("{} The silent end here is {silent}.", fixes::ONE_WAY));
        out.push(TunnelOutcome::Add(f));
    }
}

/// Packets one way on one CHILD SA generation before the silence of the other way counts.
const MIN_CHILD_PACKETS: u64 = 5;

/// ESP both ways on the tunnel overall, but one CHILD SA generation (the SPIs that appeared after
/// it was created) carries traffic one way only: e.g. after a rekey one end keeps sending on the
/// new SA while the other never installed it. Generations whose IKE SA had unanswered requests
/// (an outage, reported elsewhere) are skipped.
fn per_child(ctx: &Ctx<'_>, t: &Tunnel, out: &mut Vec<TunnelOutcome>) {
    let model = ctx.model;
    for &c in &t.children {
        let child = &model.children[c];
        let sa = &model.sas[child.ike_sa];
        if sa
            .exchanges
            .iter()
            .any(|e| e.unanswered() && e.start() >= child.time)
        {
            continue;
        }
        let from = |p| {
            child
                .esp
                .iter()
                .filter(|k| k.0 == p)
                .filter_map(|k| model.esp.get(k))
                .fold((0u64, 0u64), |(n, b), f| (n + f.packets, b + f.bytes))
        };
        let (pa, _) = from(t.peers[0]);
        let (pb, _) = from(t.peers[1]);
        let (sender, silent, packets) = if pa >= MIN_CHILD_PACKETS && pb == 0 {
            (t.peers[0], t.peers[1], pa)
        } else if pb >= MIN_CHILD_PACKETS && pa == 0 {
            (t.peers[1], t.peers[0], pb)
        } else {
            continue;
        };
        let mut f = Finding::new(FindingKind::OneWayEsp, &t.id, Severity::Error, Confidence::Likely);
        f.initiator = Some(sa.initiator);
        f.responder = Some(sa.responder);
        f.evidence(
            model,
            child.at,
            format!("CHILD SA created ({})", sa.exchanges[child.exchange].kind.label()),
        );
        let mut spis = Vec::new();
        for k in child.esp.iter().filter(|k| k.0 == sender) {
            let fl = &model.esp[k];
            spis.push(format!("{:08x}", fl.spi));
            f.evidence(
                model,
                fl.first_frame,
                format!("first ESP packet from {sender} on SPI {:08x}", fl.spi),
            );
        }
        f.summary = format!(
            "after this CHILD SA was created, {packets} ESP packets from {sender} on SPI {} and none from {silent} on a new SPI, although the tunnel carried ESP both ways before",
            spis.join(", ")
        );
        f.fix = Some(format!(
            "{} A rekey whose new SA one end did not install (rekey collision) shows like this: \
             check both ends' logs around the rekey and the SA lists (the silent end here is {silent}).",
            fixes::ONE_WAY
        ));
        out.push(TunnelOutcome::Add(f));
    }
}
