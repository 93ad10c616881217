//! `analyze --format text`: per tunnel a header, then its findings with evidence, most severe
//! first; fits a 100-column terminal; colour only when asked for.

use crate::diagnose::{by_tunnel, tunnel_state, Confidence, Finding, Severity};
use crate::reconstruct::{Model, SaState};
use crate::wording::inner_flow_text;
use std::fmt::Write as _;

const WIDTH: usize = 100;

struct Style {
    color: bool,
}

impl Style {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
}

/// Word-wrap `text` to the width: the first line starts with `indent` spaces and the verbatim
/// `label`, continuation lines are indented to line up after the label.
fn wrap_labeled(label: &str, text: &str, indent: usize) -> String {
    let mut out = String::new();
    let cont = indent + label.chars().count();
    let mut line = format!("{}{}", " ".repeat(indent), label);
    let mut empty = true;
    for word in text.split_whitespace() {
        if !empty && line.chars().count() + 1 + word.len() > WIDTH {
            let _ = writeln!(out, "{line}");
            line = " ".repeat(cont);
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    let _ = writeln!(out, "{line}");
    out
}

/// Word-wrap `text` with every line indented.
fn wrap(text: &str, indent: usize) -> String {
    wrap_labeled("", text, indent)
}

fn state_line(model: &Model, t: &crate::reconstruct::Tunnel) -> String {
    let sas: Vec<_> = t.sas.iter().map(|&s| &model.sas[s]).collect();
    let up = sas
        .iter()
        .filter(|s| matches!(s.state, SaState::Established | SaState::Midstream))
        .count();
    let best = if up > 0 {
        "IKE SA established"
    } else if sas.iter().any(|s| s.state == SaState::AuthFailed) {
        "authentication failed"
    } else if sas.iter().any(|s| s.state == SaState::Negotiating) {
        "first exchange answered, authentication not completed"
    } else if sas.iter().any(|s| s.state == SaState::Refused) {
        "first exchange refused"
    } else if sas.is_empty() {
        "no IKE seen (ESP only)"
    } else {
        "no answer from the responder"
    };
    format!(
        "{best}; {} IKE SAs ({} up), {} CHILD SAs",
        sas.len(),
        up,
        t.children.len()
    )
}

/// Render the report.
pub fn render(model: &Model, findings: &[Finding], color: bool) -> String {
    render_selected(model, findings, None, color)
}

/// [`render`] for the tunnels `keep` marks (all when `None`); the header counts all of them.
pub fn render_selected(model: &Model, findings: &[Finding], keep: Option<&[bool]>, color: bool) -> String {
    let grouped = by_tunnel(findings);
    let st = Style { color };
    let mut out = String::new();
    let packets: u64 = model.data.stats.iter().map(|s| s.packets).sum();
    let _ = writeln!(
        out,
        "{} input(s), {} packets: {} IKE messages, {} ESP packets; {} tunnel(s)",
        model.data.files.len(),
        packets,
        // kept messages, and the two of every folded liveness check
        model.data.ike.len() as u64 + 2 * model.sas.iter().map(|s| s.liveness_folded).sum::<u64>(),
        model.esp.values().map(|f| f.packets).sum::<u64>(),
        model.tunnels.len()
    );
    if let Some(keep) = keep {
        let _ = writeln!(
            out,
            "{} of {} tunnel(s) shown (--peer / --failing)",
            keep.iter().filter(|k| **k).count(),
            model.tunnels.len()
        );
    }
    let malformed: u64 = model.data.malformed.iter().sum();
    if malformed > 0 {
        let _ = writeln!(
            out,
            "{malformed} malformed packet(s); details on stderr (or in --format json)"
        );
    }
    for (ti, t) in model.tunnels.iter().enumerate() {
        if keep.is_some_and(|k| !k[ti]) {
            continue;
        }
        let tf: &[&Finding] = grouped.get(t.id.as_str()).map(Vec::as_slice).unwrap_or(&[]);
        let state = tunnel_state(model, t, tf);
        let state_col = match state {
            "up" => st.paint("1;32", "UP"),
            "failed" => st.paint("1;31", "FAILED"),
            "flapping" => st.paint("1;33", "FLAPPING"),
            "down" => st.paint("1;31", "DOWN"),
            _ => st.paint("1", "UNKNOWN"),
        };
        let _ = writeln!(out);
        let _ = writeln!(out, "{} {}  [{}]", st.paint("1", "Tunnel"), t.id, state_col);
        let first_sa = t.sas.first().map(|&s| &model.sas[s]);
        if let Some(sa) = first_sa {
            let _ = writeln!(
                out,
                "  peers     {} (initiator) <-> {} (responder)",
                sa.initiator, sa.responder
            );
        } else {
            let _ = writeln!(out, "  peers     {} <-> {}", t.peers[0], t.peers[1]);
        }
        let versions: Vec<String> = t.versions.iter().map(|v| format!("IKEv{v}")).collect();
        if !versions.is_empty() {
            let _ = writeln!(out, "  IKE       {}", versions.join(", "));
        }
        for f in tf.iter().filter(|f| f.kind.as_str() == "peer_vendor") {
            out.push_str(&wrap_labeled("vendor    ", &f.summary, 2));
        }
        let nat = tf
            .iter()
            .find(|f| f.kind.as_str() == "nat_detected")
            .map(|f| f.summary.clone())
            .unwrap_or_else(|| "not detected".into());
        out.push_str(&wrap_labeled("NAT       ", &nat, 2));
        let _ = writeln!(out, "  reached   {}", state_line(model, t));
        let folded: u64 = t.sas.iter().map(|&s| model.sas[s].liveness_folded).sum();
        if folded > 0 {
            let _ = writeln!(
                out,
                "  liveness  {folded} more answered liveness checks (counted, not listed as exchanges)"
            );
        }
        let msgs = t
            .sas
            .iter()
            .flat_map(|&s| model.sas[s].messages.iter())
            .filter_map(|&i| model.data.ike[i].ike.as_deref());
        let (enc, ok, bad) = super::decryption_tally(msgs);
        let (esp_ok, esp_bad) = t
            .esp
            .iter()
            .filter_map(|k| model.data.esp_decryption.get(k))
            .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
        if esp_bad > 0 {
            out.push_str(&wrap_labeled(
                "esp keys  ",
                &format!(
                    "{esp_bad} ESP packets failed the integrity check with the esp_sa key of their SPI (the key is not that SA's); {esp_ok} opened"
                ),
                2,
            ));
        }
        if ok + bad > 0 {
            let mut line = format!("decrypted {ok} of {enc} encrypted IKE messages");
            if bad > 0 {
                line.push_str(&format!(
                    "; {bad} did not open with the key (integrity check failed, or for IKEv1 no valid payload chain): the key does not match those messages"
                ));
            }
            out.push_str(&wrap_labeled("keys      ", &line, 2));
        }
        for p in t.peers {
            let (pk, by) = t.esp_from(model, p);
            let other = if p == t.peers[0] { t.peers[1] } else { t.peers[0] };
            let _ = writeln!(out, "  ESP       {p} -> {other}: {pk} packets, {by} bytes");
        }
        let inner = t.inner_flows(model);
        for x in inner.iter().take(10) {
            let line = format!(
                "{} ({} packets, {} bytes) in SPI {:08x} {} -> {}",
                inner_flow_text(&x.flow),
                x.packets,
                x.bytes,
                x.spi,
                x.src,
                x.dst
            );
            out.push_str(&wrap_labeled("inside    ", &line, 2));
        }
        if inner.len() > 10 {
            let _ = writeln!(out, "            ... {} more inner flows", inner.len() - 10);
        }
        let mine: Vec<&Finding> = tf
            .iter()
            .copied()
            .filter(|f| f.kind.as_str() != "peer_vendor" && f.kind.as_str() != "nat_detected")
            .collect();
        if mine.is_empty() {
            let _ = writeln!(out, "  no findings");
        }
        for f in mine {
            let _ = writeln!(out);
            let sev = match f.severity {
                Severity::Error => st.paint("1;31", "ERROR  "),
                Severity::Warning => st.paint("1;33", "WARNING"),
                Severity::Info => st.paint("36", "info   "),
            };
            let conf = match f.confidence {
                Confidence::Certain => "certain",
                Confidence::Likely => "likely",
            };
            let phase = f.phase.map(|p| format!(" {p}")).unwrap_or_default();
            let _ = writeln!(out, "  {sev} {}{phase} ({conf})", st.paint("1", f.kind.as_str()));
            out.push_str(&wrap(&f.summary, 4));
            for a in &f.alternatives {
                out.push_str(&wrap_labeled(
                    "or: ",
                    &format!("{} - {}; settle it with {}", a.kind.as_str(), a.cause, a.settle),
                    4,
                ));
            }
            if !f.evidence.is_empty() {
                let _ = writeln!(out, "    evidence:");
                for ev in &f.evidence {
                    let label = if model.data.files.len() > 1 {
                        format!("{}:{}  ", ev.file, ev.frame)
                    } else {
                        format!("frame {:>6}  ", ev.frame)
                    };
                    out.push_str(&wrap_labeled(&label, &ev.note, 6));
                }
                if f.evidence_total > f.evidence.len() {
                    let _ = writeln!(out, "      ... {} more", f.evidence_total - f.evidence.len());
                }
            }
            if let Some(fix) = &f.fix {
                out.push_str(&wrap_labeled("fix: ", fix, 4));
            }
        }
    }
    let errors = findings.iter().filter(|f| f.severity == Severity::Error).count();
    let warnings = findings
        .iter()
        .filter(|f| f.severity == Severity::Warning)
        .count();
    let _ = writeln!(out);
    let _ = writeln!(out, "{errors} error(s), {warnings} warning(s)");
    out
}
