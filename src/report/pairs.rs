//! Redundant pairs and their failovers (found by `reconstruct::pairs`) in the text report and
//! in JSON (`pairs`).

use crate::reconstruct::pairs::{redundant_pairs, Failover, FailoverCause, RedundantPair};
use crate::reconstruct::selectors::Range;
use crate::reconstruct::Model;
use serde_json::{json, Value};
use std::fmt::Write as _;

/// `10.1.0.1` or `10.1.0.0-10.1.0.255`.
fn range_text(r: Range) -> String {
    if r.0 == r.1 {
        r.0.to_string()
    } else {
        format!("{}-{}", r.0, r.1)
    }
}

/// The pairs with at least one tunnel `keep` marks (all when `None`).
pub fn shown_pairs(model: &Model, keep: Option<&[bool]>) -> Vec<RedundantPair> {
    redundant_pairs(model)
        .into_iter()
        .filter(|p| keep.is_none_or(|k| p.tunnels.iter().any(|&t| k[t])))
        .collect()
}

/// What the cause was, in words.
pub fn cause_text(c: FailoverCause) -> &'static str {
    match c {
        FailoverCause::DpdGiveUp => "liveness checks (DPD) unanswered, given up",
        FailoverCause::Delete => "Delete",
        FailoverCause::FailedRekey => "rekey unanswered or refused",
    }
}

fn failover_json(model: &Model, f: &Failover) -> Value {
    json!({
        "time": f.time,
        "from": model.tunnels[f.from].id,
        "to": model.tunnels[f.to].id,
        "file": model.data.files.get(f.at.file),
        "frame": f.at.frame,
        "from_last_esp": f.from_last_esp,
        "cause": f.cause.as_ref().map(|c| json!({
            "kind": c.kind,
            "time": c.time,
            "file": model.data.files.get(c.at.file),
            "frame": c.at.frame,
        })),
    })
}

/// `pairs` of the JSON document.
pub fn json(model: &Model, pairs: &[RedundantPair]) -> Value {
    Value::Array(
        pairs
            .iter()
            .map(|p| {
                json!({
                    "tunnels": p.tunnels.map(|t| model.tunnels[t].id.clone()),
                    "selectors": p.selectors.iter().map(|(a, b)| format!("{} <-> {}", range_text(*a), range_text(*b))).collect::<Vec<_>>(),
                    "failovers": p.failovers.iter().map(|f| failover_json(model, f)).collect::<Vec<_>>(),
                })
            })
            .collect(),
    )
}

/// The text report's section (empty without pairs).
pub fn text(model: &Model, pairs: &[RedundantPair]) -> String {
    let mut out = String::new();
    for p in pairs {
        let [a, b] = p.tunnels.map(|t| model.tunnels[t].id.as_str());
        let sel: Vec<String> = p
            .selectors
            .iter()
            .map(|(x, y)| format!("{} <-> {}", range_text(*x), range_text(*y)))
            .collect();
        let _ = writeln!(out, "\nRedundant pair {a} / {b}");
        let _ = writeln!(out, "  selectors {}", sel.join(", "));
        if p.failovers.is_empty() {
            let _ = writeln!(out, "  no failover: ESP did not move between them");
        }
        for f in &p.failovers {
            let _ = writeln!(
                out,
                "  failover  {} (frame {}): ESP moved from {} to {}",
                f.time.rfc3339(),
                f.at.frame,
                model.tunnels[f.from].id,
                model.tunnels[f.to].id
            );
            if let Some(last) = f.from_last_esp {
                let _ = writeln!(
                    out,
                    "            last ESP on {} at {}",
                    model.tunnels[f.from].id,
                    last.rfc3339()
                );
            }
            match &f.cause {
                Some(c) => {
                    let _ = writeln!(
                        out,
                        "            before it on {}: {} at {} (frame {})",
                        model.tunnels[f.from].id,
                        cause_text(c.kind),
                        c.time.rfc3339(),
                        c.at.frame
                    );
                }
                None => {
                    let _ = writeln!(
                        out,
                        "            before it: no IKE event on {} (its ESP stopped)",
                        model.tunnels[f.from].id
                    );
                }
            }
        }
    }
    out
}
