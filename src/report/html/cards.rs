//! Finding cards: verdict, confidence, the evidence frames (linked to their arrows in the
//! tunnel's ladder), the fix and the ends of the negotiation it concerns.

use crate::diagnose::Finding;
use crate::reconstruct::Model;
use serde_json::{json, Value};

/// The findings as the page's cards read them; evidence as `[file index, frame, note]`.
pub fn cards(model: &Model, findings: &[Finding]) -> Vec<Value> {
    findings
        .iter()
        .map(|f| {
            let evidence: Vec<Value> = f
                .evidence
                .iter()
                .map(|e| {
                    let file = model.data.files.iter().position(|n| *n == e.file);
                    json!([file, e.frame, e.note])
                })
                .collect();
            json!({
                "kind": f.kind.as_str(),
                "tunnel": f.tunnel,
                "severity": f.severity,
                "confidence": f.confidence,
                "phase": f.phase,
                "initiator": f.initiator,
                "responder": f.responder,
                "summary": f.summary,
                "fix": f.fix,
                "evidence": evidence,
                "evidence_total": f.evidence_total,
            })
        })
        .collect()
}
