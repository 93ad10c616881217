//! The terminal's compact ladder of a failing tunnel's failing exchange: the messages of the
//! exchange that holds the first IKE evidence frame of the tunnel's most severe failure, as
//! arrows between the two peers with times, frames, retransmissions, refusals and a missing
//! answer marked in words (the terminal may have no colour).

use super::arrows::{arrows, lifelines, Arrow};
use crate::diagnose::Finding;
use crate::reconstruct::{FrameRef, Model, Tunnel};
use std::fmt::Write as _;

/// Width of an arrow between the two lifelines.
const BODY: usize = 66;
/// Arrows shown at most (a long run of retransmissions is cut in the middle).
const MAX_ARROWS: usize = 12;

/// The failure findings' evidence frames, most severe finding first.
fn evidence_frames(model: &Model, tf: &[&Finding]) -> Vec<FrameRef> {
    let mut failures: Vec<&&Finding> = tf.iter().filter(|f| f.is_failure()).collect();
    failures.sort_by_key(|f| f.severity);
    failures
        .iter()
        .flat_map(|f| f.evidence.iter())
        .filter_map(|e| {
            let file = model.data.files.iter().position(|n| *n == e.file)?;
            Some(FrameRef { file, frame: e.frame })
        })
        .collect()
}

/// `label` padded with `fill` to `n` characters (cut with `…` when longer).
fn fit(label: &str, n: usize, fill: &str) -> String {
    let chars: Vec<char> = label.chars().collect();
    if chars.len() > n {
        let mut s: String = chars[..n.saturating_sub(1)].iter().collect();
        s.push('…');
        return s;
    }
    let mut s = label.to_string();
    let pattern: Vec<char> = fill.chars().collect();
    let mut i = 0;
    while s.chars().count() < n {
        s.push(pattern[i % pattern.len()]);
        i += 1;
    }
    s
}

fn arrow_line(model: &Model, a: &Arrow, t0: crate::record::Timestamp) -> String {
    // the header names the exchange; each arrow says which message it is
    let mut label = format!(" {}", if a.response { "response" } else { "request" });
    if a.retransmit {
        label.push_str(" (retransmit)");
    }
    if !a.refusal.is_empty() {
        // the refusing notify says more than the rest of the payload chain
        label.push_str(&format!(" REFUSED: {} ", a.refusal_names(model)));
    } else if !a.payloads.is_empty() {
        label.push_str(&format!(" [{}] ", a.payloads));
    } else {
        label.push(' ');
    }
    let fill = if a.retransmit { " -" } else { "-" };
    let body = if a.from_left {
        format!("|-{}>|", fit(&label, BODY - 4, fill))
    } else {
        format!("|<{}-|", fit(&format!("{}{label}", fill.trim()), BODY - 4, fill))
    };
    let mut line = format!(
        "  {:>9}  {body} #{}",
        format!("+{:.3}", a.time.secs_since(t0)),
        a.at.frame
    );
    if a.unanswered {
        line.push_str("  NO ANSWER");
    }
    line
}

/// Append the ladder of the tunnel's failing exchange (nothing for a tunnel without failure or
/// whose evidence holds no IKE message of it).
pub fn push(out: &mut String, model: &Model, t: &Tunnel, tf: &[&Finding]) {
    let frames = evidence_frames(model, tf);
    if frames.is_empty() {
        return;
    }
    let all = arrows(model, t);
    let Some(key) = frames
        .iter()
        .find_map(|at| all.iter().find(|a| a.at == *at).map(|a| (a.sa, a.exchange)))
    else {
        return;
    };
    let shown: Vec<&Arrow> = all.iter().filter(|a| (a.sa, a.exchange) == key).collect();
    let Some(first) = shown.first() else { return };
    let [left, right] = lifelines(model, t);
    let e = &model.sas[key.0].exchanges[key.1];
    let _ = writeln!(
        out,
        "\n  ladder    {} MID {} (the failing exchange), frames {}-{}:",
        e.kind.label(),
        e.message_id,
        first.at.frame,
        shown[shown.len() - 1].at.frame
    );
    let l = left.to_string();
    let r = right.to_string();
    let gap = (BODY + 2).saturating_sub(l.len() + r.len() / 2).max(1);
    let _ = writeln!(
        out,
        "  {:>9}  {l}{}{r}",
        "time s",
        " ".repeat(gap.saturating_sub(r.len() / 2))
    );
    let cut = shown.len() > MAX_ARROWS;
    for (i, a) in shown.iter().enumerate() {
        if cut && i == MAX_ARROWS / 2 {
            let _ = writeln!(
                out,
                "  {:>9}  ... {} more messages ...",
                "",
                shown.len() - MAX_ARROWS
            );
        }
        if cut && i >= MAX_ARROWS / 2 && i < shown.len() - MAX_ARROWS / 2 {
            continue;
        }
        let _ = writeln!(out, "{}", arrow_line(model, a, first.time));
    }
}
