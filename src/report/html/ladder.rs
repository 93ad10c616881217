//! Ladder view data: the tunnel's two peers as lifelines and every IKE message as an arrow
//! (see [`crate::report::arrows`]), plus the finding evidence frames that are not IKE messages
//! of the tunnel (ESP, ICMP), drawn as marks below the arrows.

use super::strings::Strings;
use super::Origin;
use crate::diagnose::Finding;
use crate::reconstruct::{FrameRef, Model, Tunnel};
use crate::record::Timestamp;
use crate::report::arrows::{arrows, fold_liveness, lifelines};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Row flag: a retransmission (drawn dashed).
pub const RETRANSMIT: u32 = 1;
/// Row flag: a response.
pub const RESPONSE: u32 = 2;
/// Row flag: the last copy of a request that got no answer.
pub const UNANSWERED: u32 = 4;
/// Row flag: carries an error notify (a refusal).
pub const REFUSAL: u32 = 8;
/// Row flag: a folded run of answered liveness checks.
pub const FOLDED: u32 = 16;
/// Row flag: an evidence frame of one of the tunnel's findings.
pub const EVIDENCE: u32 = 32;

/// The evidence frames of a tunnel's findings with their notes, by (file index, frame).
fn evidence_of(model: &Model, tf: &[&Finding]) -> BTreeMap<FrameRef, Vec<String>> {
    let mut m: BTreeMap<FrameRef, Vec<String>> = BTreeMap::new();
    for f in tf {
        for ev in &f.evidence {
            let Some(file) = model.data.files.iter().position(|n| *n == ev.file) else {
                continue;
            };
            let notes = m
                .entry(FrameRef {
                    file,
                    frame: ev.frame,
                })
                .or_default();
            notes.push(format!("{}: {}", f.kind.as_str(), ev.note));
        }
    }
    m
}

/// When a non-IKE evidence frame was captured, when the model still knows it.
fn time_of(model: &Model, t: &Tunnel, at: FrameRef) -> Option<Timestamp> {
    let esp = t.esp.iter().filter_map(|k| model.esp.get(k)).find_map(|f| {
        if f.first_frame == at {
            Some(f.first)
        } else if f.last_frame == at {
            Some(f.last)
        } else {
            None
        }
    });
    esp.or_else(|| {
        model
            .data
            .icmp
            .iter()
            .find(|r| r.file_index == at.file && r.frame == at.frame)
            .map(|r| r.time)
    })
}

/// The ladder of one tunnel.
pub fn ladder(model: &Model, t: &Tunnel, tf: &[&Finding], origin: Origin, strings: &mut Strings) -> Value {
    let evidence = evidence_of(model, tf);
    let all = arrows(model, t);
    let folded = fold_liveness(all, model, |a| evidence.contains_key(&a.at));
    let mut drawn = std::collections::BTreeSet::new();
    let rows: Vec<Value> = folded
        .iter()
        .map(|a| {
            let mut flags = 0;
            if a.retransmit {
                flags |= RETRANSMIT;
            }
            if a.response {
                flags |= RESPONSE;
            }
            if a.unanswered {
                flags |= UNANSWERED;
            }
            if !a.refusal.is_empty() {
                flags |= REFUSAL;
            }
            if a.count > 1 {
                flags |= FOLDED;
            }
            let mut detail = a.detail.clone();
            if let Some(notes) = evidence.get(&a.at) {
                flags |= EVIDENCE;
                drawn.insert(a.at);
                for n in notes {
                    detail.push_str("\nevidence: ");
                    detail.push_str(n);
                }
            }
            let mut label = a.label();
            if !a.refusal.is_empty() {
                label.push_str(&format!(" refused: {}", a.refusal_names(model)));
            }
            json!([
                origin.ms(a.time),
                u8::from(!a.from_left),
                a.at.file,
                a.at.frame,
                strings.id(label),
                strings.id(a.payloads.clone()),
                strings.id(detail),
                flags,
                a.count
            ])
        })
        .collect();
    let marks: Vec<Value> = evidence
        .iter()
        .filter(|(at, _)| !drawn.contains(*at))
        .map(|(at, notes)| {
            json!([
                time_of(model, t, *at).map(|x| origin.ms(x)),
                at.file,
                at.frame,
                strings.id(notes.join("\n"))
            ])
        })
        .collect();
    let sides = lifelines(model, t);
    json!({
        "left": sides[0],
        "right": sides[1],
        "rows": rows,
        "marks": marks,
        "liveness_folded": t.sas.iter().map(|&s| model.sas[s].liveness_folded).sum::<u64>(),
    })
}
