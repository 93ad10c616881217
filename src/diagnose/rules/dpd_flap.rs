//! dpd_flap: liveness probes go unanswered, the SA is torn down and renegotiated, repeatedly.
//!
//! Wire signature: IKEv2 INFORMATIONAL requests with an empty SK body (liveness checks)
//! retransmitted with no response, after which the IKE SA carries nothing more and a new
//! IKE_SA_INIT follows; IKEv1: encrypted Informational (R-U-THERE) messages from one peer
//! repeated with nothing from the other, then a new Main/Aggressive Mode. Two or more such
//! outages on one tunnel make a flap; one is reported as no_response.

use crate::diagnose::{fixes, Confidence, Ctx, Finding, FindingKind, Severity};
use crate::reconstruct::ExchangeKind;
use crate::record::Timestamp;
use ikescope_parsers::iana::IkeVersion;
use ikescope_parsers::vendor::Maker;

struct Outage {
    sa: usize,
    exchange: usize,
    start: Timestamp,
    rebuilt: bool,
}

/// Run the rule.
pub fn run(ctx: &mut Ctx<'_>) {
    let model = ctx.model;
    for t in &model.tunnels {
        let mut outages = Vec::new();
        for (n, &sid) in t.sas.iter().enumerate() {
            let sa = &model.sas[sid];
            // The last liveness-type exchange that was never answered, with nothing answered after.
            let Some((ei, e)) = sa.exchanges.iter().enumerate().rev().find(|(_, e)| {
                matches!(
                    e.kind,
                    ExchangeKind::Liveness | ExchangeKind::Informational | ExchangeKind::V1Informational
                )
            }) else {
                continue;
            };
            let unanswered = if sa.version == IkeVersion::V2 {
                e.unanswered() && e.requests.len() >= 2
            } else {
                v1_probe_unanswered(ctx, sa, ei)
            };
            let answered_after = sa.exchanges[ei + 1..].iter().any(|x| !x.unanswered());
            if !unanswered || answered_after {
                continue;
            }
            let start = e.start();
            let rebuilt = t.sas[n + 1..].iter().any(|&s| model.sas[s].first >= start);
            outages.push(Outage {
                sa: sid,
                exchange: ei,
                start,
                rebuilt,
            });
        }
        let flaps: Vec<&Outage> = outages.iter().filter(|o| o.rebuilt).collect();
        if flaps.len() < 2 {
            continue;
        }
        let first_sa = &model.sas[flaps[0].sa];
        let mut f = Finding::new(FindingKind::DpdFlap, &t.id, Severity::Error, Confidence::Likely);
        f.initiator = Some(first_sa.initiator);
        f.responder = Some(first_sa.responder);
        let first_outage = &model.sas[flaps[0].sa].exchanges[flaps[0].exchange];
        let prober = first_outage.requester;
        let mut intervals = Vec::new();
        for w in flaps.windows(2) {
            intervals.push((w[1].start.secs_since(w[0].start) * 10.0).round() / 10.0);
        }
        for o in &flaps {
            let sa = &model.sas[o.sa];
            let e = &sa.exchanges[o.exchange];
            for m in e.requests.iter().take(4) {
                f.evidence(
                    model,
                    m.at,
                    format!(
                        "liveness check {} from {} unanswered{}",
                        ctx.ike(m).message_id,
                        ctx.rec(m).src,
                        if m.retransmit { " (retransmission)" } else { "" }
                    ),
                );
            }
            if let Some(&next) = t
                .sas
                .iter()
                .find(|&&s| model.sas[s].first >= o.start && s != o.sa)
            {
                let nsa = &model.sas[next];
                if let Some(m) = nsa.exchanges.first().and_then(|e| e.requests.first()) {
                    f.evidence(
                        model,
                        m.at,
                        format!("SA renegotiated by {} after the outage", nsa.initiator),
                    );
                }
            }
            ctx.explain(o.sa, o.exchange);
        }
        let mean = if intervals.is_empty() {
            0.0
        } else {
            intervals.iter().sum::<f64>() / intervals.len() as f64
        };
        f.summary = format!(
            "{} liveness (DPD) outages: probes from {} unanswered, IKE SA torn down and renegotiated each time (every {:.0} s on average)",
            flaps.len(),
            prober,
            mean
        );
        if let Some(g) = t
            .implementations
            .iter()
            .find(|g| g.peer == prober && g.maker == Some(Maker::StrongSwan))
        {
            // strongswan discussion #2271: DPD is sent only when nothing came from the peer
            f.summary.push_str(&format!(
                "; {prober} runs strongSwan ({}), which sends a liveness check only after dpd_delay without any packet from its peer (none while traffic flows): each outage began with the peer's traffic stopping",
                g.confidence.map_or("possible", |c| c.as_str())
            ));
        }
        f.detail("outages", flaps.len());
        f.detail("intervals_s", intervals);
        f.fix = Some(fixes::DPD_FLAP.to_string());
        ctx.add(f);
    }
}

/// IKEv1: this Informational and at least two more from the same sender follow each other with
/// nothing from the peer in between.
fn v1_probe_unanswered(ctx: &Ctx<'_>, sa: &crate::reconstruct::IkeSa, ei: usize) -> bool {
    let e = &sa.exchanges[ei];
    let sender = e.requester;
    let mut run = 0;
    for x in sa.exchanges.iter().rev() {
        if x.requester == sender
            && x.kind == ExchangeKind::V1Informational
            && x.requests.first().map(|m| ctx.ike(m).encrypted).unwrap_or(false)
        {
            run += 1;
            continue;
        }
        break;
    }
    run >= 3
}
