//! SA timeline data: IKE SAs and CHILD SAs as bars over the tunnel's life (negotiated,
//! established, rekeyed, deleted, last seen), liveness outages (unanswered liveness checks),
//! deletes, and the measured rekey cadence next to the lifetimes the proposals carry.

use super::Origin;
use crate::reconstruct::{ExchangeKind, Model, SaState, Tunnel};
use crate::record::Timestamp;
use serde_json::{json, Value};

/// Median of a list of seconds.
fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    Some(v[v.len() / 2])
}

/// Seconds between successive times.
fn intervals(times: &[Timestamp]) -> Vec<f64> {
    times.windows(2).map(|w| w[1].secs_since(w[0])).collect()
}

fn state_name(s: SaState) -> &'static str {
    match s {
        SaState::NoResponse => "no response",
        SaState::Negotiating => "negotiating",
        SaState::Refused => "refused",
        SaState::AuthFailed => "authentication failed",
        SaState::Established => "established",
        SaState::Midstream => "established before the capture",
    }
}

/// The timeline of one tunnel (times in milliseconds since the page origin).
pub fn timeline(model: &Model, t: &Tunnel, origin: Origin) -> Value {
    let ms = |x: Timestamp| origin.ms(x);
    let mut outages = Vec::new();
    let mut deletes = Vec::new();
    let ike: Vec<Value> = t
        .sas
        .iter()
        .map(|&sid| {
            let sa = &model.sas[sid];
            for e in &sa.exchanges {
                let frame = e.requests.first().map(|m| m.at.frame);
                let carries_delete = e.requests.iter().any(|m| {
                    model.data.ike[m.index]
                        .ike
                        .as_deref()
                        .is_some_and(|i| !i.deletes.is_empty())
                });
                if e.kind == ExchangeKind::Liveness && e.unanswered() {
                    outages.push(json!([ms(e.start()), ms(e.end()), e.requests.len(), frame]));
                } else if e.kind == ExchangeKind::Delete
                    || (e.kind == ExchangeKind::V1Informational && carries_delete)
                {
                    deletes.push(json!([ms(e.start()), e.requester, frame]));
                }
            }
            json!({
                "spi": sa.spi_i.to_hex(),
                "version": sa.version,
                "state": state_name(sa.state),
                "up": matches!(sa.state, SaState::Established | SaState::Midstream),
                "first": ms(sa.first),
                "established": sa.established.map(|(x, _)| ms(x)),
                "last": ms(sa.last),
                "rekey_of": sa.rekey_of.and_then(|p| t.sas.iter().position(|&s| s == p)),
            })
        })
        .collect();
    let child: Vec<Value> = t
        .children
        .iter()
        .map(|&c| {
            let ch = &model.children[c];
            let last = ch.esp.iter().filter_map(|k| model.esp.get(k)).map(|f| f.last).max();
            json!({
                "time": ms(ch.time),
                "last_esp": last.map(ms),
                "kind": ch.kind.label(),
                "spis": ch.spis.iter().chain(ch.esp.iter().map(|k| &k.2)).map(|s| format!("{s:08x}")).collect::<std::collections::BTreeSet<_>>(),
                "ike_sa": t.sas.iter().position(|&s| s == ch.ike_sa),
                "frame": ch.at.frame,
            })
        })
        .collect();
    let established: Vec<Timestamp> = t
        .sas
        .iter()
        .filter_map(|&s| model.sas[s].established.map(|(x, _)| x))
        .collect();
    let child_times: Vec<Timestamp> = t.children.iter().map(|&c| model.children[c].time).collect();
    json!({
        "ike": ike,
        "child": child,
        "outages": outages,
        "deletes": deletes,
        "ike_cadence_s": median(intervals(&established)),
        "child_cadence_s": median(intervals(&child_times)),
        "lifetimes": crate::diagnose::rules::rekey_flap::proposal_lifetimes(model, &t.sas),
    })
}
