//! Redundant-pair view data: the two tunnels' ESP (both directions) on one time axis, the
//! failovers and the event just before each (see `reconstruct::pairs`).

use super::Origin;
use crate::reconstruct::pairs::{tunnel_series, RedundantPair};
use crate::reconstruct::Model;
use crate::record::Timestamp;
use serde_json::{json, Value};

/// The pairs (times in milliseconds since the page origin).
pub fn pairs(model: &Model, pairs: &[RedundantPair], origin: Origin) -> Value {
    let shown = crate::report::pairs::json(model, pairs);
    let out: Vec<Value> = pairs
        .iter()
        .zip(shown.as_array().into_iter().flatten())
        .map(|(p, text)| {
            let lanes: Vec<Value> = p
                .tunnels
                .iter()
                .map(|&t| {
                    let series = tunnel_series(model, t);
                    let span = series.as_ref().and_then(|s| s.span().map(|x| (s.width_ns, x)));
                    json!({
                        "id": model.tunnels[t].id,
                        "start": span.map(|(_, (start, _, _))| origin.ms(Timestamp(start))),
                        "width_ms": span.map(|(w, _)| w / 1_000_000),
                        "bytes": span.map(|(_, (_, b, _))| b.to_vec()).unwrap_or_default(),
                    })
                })
                .collect();
            let failovers: Vec<Value> = p
                .failovers
                .iter()
                .map(|f| {
                    json!({
                        "time": origin.ms(f.time),
                        "from": model.tunnels[f.from].id,
                        "to": model.tunnels[f.to].id,
                        "file": f.at.file,
                        "frame": f.at.frame,
                        "cause": f.cause.as_ref().map(|c| json!({
                            "text": crate::report::pairs::cause_text(c.kind),
                            "time": origin.ms(c.time),
                            "file": c.at.file,
                            "frame": c.at.frame,
                        })),
                    })
                })
                .collect();
            json!({"selectors": text["selectors"], "lanes": lanes, "failovers": failovers})
        })
        .collect();
    Value::Array(out)
}
