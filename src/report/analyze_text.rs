//! `analyze --format text`: per tunnel a header, then its findings with evidence, most severe
//! first; fits a 100-column terminal; colour only when asked for.

use crate::diagnose::{by_tunnel, tunnel_state, Confidence, Finding, Severity, TunnelState};
use crate::reconstruct::{Model, NotAnalysed, SaState};
use crate::wording::inner_flow_text;
use std::fmt::Write as _;

const WIDTH: usize = 100;

/// Evidence lines shown per finding in the terminal; the JSON keeps every kept one.
const EVIDENCE_SHOWN: usize = 8;

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
pub(super) fn wrap_labeled(label: &str, text: &str, indent: usize) -> String {
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

/// `n` and the noun, singular or plural as `n` asks ("1 tunnel", "2 tunnels").
pub fn count(n: impl Into<u64>, singular: &str, plural: &str) -> String {
    let n = n.into();
    format!("{n} {}", if n == 1 { singular } else { plural })
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
        "{best}; {} ({up} up), {}",
        count(sas.len() as u64, "IKE SA", "IKE SAs"),
        count(t.children.len() as u64, "CHILD SA", "CHILD SAs")
    )
}

/// One finding: severity, kind, summary, alternatives, evidence and fix.
fn write_finding(out: &mut String, st: &Style, model: &Model, f: &Finding) {
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
        for ev in f.evidence.iter().take(EVIDENCE_SHOWN) {
            if model.data.files.len() > 1 {
                // Several inputs: the file's name (its base name when that is unique)
                // and frame; a long one gets a line of its own.
                let label = format!("{}:{}", short_file_name(&model.data.files, &ev.file), ev.frame);
                if label.chars().count() > 28 {
                    let _ = writeln!(out, "      {label}");
                    out.push_str(&wrap(&ev.note, 10));
                } else {
                    out.push_str(&wrap_labeled(&format!("{label:<28}  "), &ev.note, 6));
                }
            } else {
                out.push_str(&wrap_labeled(&format!("frame {:>6}  ", ev.frame), &ev.note, 6));
            }
        }
        let shown = f.evidence.len().min(EVIDENCE_SHOWN);
        if f.evidence_total > shown {
            let _ = writeln!(
                out,
                "      ... {} more (all kept ones in --format json)",
                f.evidence_total - shown
            );
        }
    }
    if let Some(fix) = &f.fix {
        out.push_str(&wrap_labeled("fix: ", fix, 4));
    }
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
    let shown = |ti: usize| keep.is_none_or(|k| k[ti]);
    let states: Vec<TunnelState> = model
        .tunnels
        .iter()
        .map(|t| {
            let tf: &[&Finding] = grouped.get(t.id.as_str()).map(Vec::as_slice).unwrap_or(&[]);
            tunnel_state(model, t, tf)
        })
        .collect();
    let unread = model
        .data
        .not_analysed
        .iter()
        .filter(|(_, why)| matches!(why, NotAnalysed::Unreadable(_)))
        .count() as u64;
    out.push_str(&verdict_line(findings, &states, keep, unread, &st));
    let packets: u64 = model.data.stats.iter().map(|s| s.packets).sum();
    let _ = writeln!(
        out,
        "{}, {}: {}, {}",
        count(model.data.files.len() as u64, "input", "inputs"),
        count(packets, "packet", "packets"),
        // kept messages, and the two of every folded liveness check
        count(
            model.data.ike.len() as u64
                + 2 * model.sas.iter().map(|s| s.liveness_folded).sum::<u64>()
                + model.data.undecodable_ike.iter().sum::<u64>()
                + model
                    .data
                    .groups
                    .values()
                    .map(|g| g.requests + g.responses)
                    .sum::<u64>(),
            "IKE message",
            "IKE messages"
        ),
        count(
            model.esp.values().map(|f| f.packets).sum::<u64>(),
            "ESP packet",
            "ESP packets"
        ),
    );
    if let Some(keep) = keep {
        let _ = writeln!(
            out,
            "{} of {} shown (--peer / --failing)",
            keep.iter().filter(|k| **k).count(),
            count(model.tunnels.len() as u64, "tunnel", "tunnels")
        );
    }
    out.push_str(&coverage_notes(model));
    out.push_str(&super::groups::header_line(model));
    super::groups::write_text(&mut out, model, &grouped, keep.is_some(), |out, f| {
        write_finding(out, &st, model, f)
    });
    // Failing tunnels first, then the ones whose state is unknown, then the healthy ones.
    let mut order: Vec<usize> = (0..model.tunnels.len()).filter(|&ti| shown(ti)).collect();
    order.sort_by_key(|&ti| state_rank(states[ti]));
    for ti in order {
        let t = &model.tunnels[ti];
        let tf: &[&Finding] = grouped.get(t.id.as_str()).map(Vec::as_slice).unwrap_or(&[]);
        let state = states[ti];
        let state_col = match state {
            TunnelState::Up => st.paint("1;32", "UP"),
            TunnelState::Failed => st.paint("1;31", "FAILED"),
            TunnelState::Flapping => st.paint("1;33", "FLAPPING"),
            TunnelState::Down => st.paint("1;31", "DOWN"),
            TunnelState::Redirected => st.paint("1;36", "REDIRECTED"),
            TunnelState::Unknown => st.paint("1", "UNKNOWN"),
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
        let versions: Vec<String> = t.versions.iter().map(|v| format!("IKEv{}", v.number())).collect();
        if !versions.is_empty() {
            let _ = writeln!(out, "  IKE       {}", versions.join(", "));
        }
        if !t.sas.is_empty() {
            let cp = &t.capture_point;
            let place = match cp.point {
                crate::reconstruct::CapturePoint::Initiator => "initiator side",
                crate::reconstruct::CapturePoint::Responder => "responder side",
                crate::reconstruct::CapturePoint::Path => "path between the peers",
                crate::reconstruct::CapturePoint::Unknown => "unknown",
            };
            let line = if cp.evidence.is_empty() {
                place.to_string()
            } else {
                format!("{place}: {}", cp.evidence.join("; "))
            };
            out.push_str(&wrap_labeled("captured  ", &line, 2));
        }
        if !t.sas.is_empty() {
            for g in &t.implementations {
                out.push_str(&wrap_labeled("software  ", &super::software_line(g), 2));
            }
        }
        for f in tf.iter().filter(|f| f.kind.as_str() == "peer_vendor") {
            out.push_str(&wrap_labeled("vendor    ", &f.summary, 2));
        }
        let nat = tf
            .iter()
            .find(|f| f.kind.as_str() == "nat_detected")
            .map(|f| nat_line(f))
            .unwrap_or_else(|| "not detected".into());
        out.push_str(&wrap_labeled("NAT       ", &nat, 2));
        let redirect = tf.iter().find(|f| f.kind.as_str() == "redirect");
        match redirect
            .and_then(|f| f.details.get("redirected_to"))
            .and_then(|v| v.as_str())
        {
            Some(to) => {
                let by = redirect
                    .and_then(|f| f.responder)
                    .map(|r| r.to_string())
                    .unwrap_or_default();
                let _ = writeln!(out, "  reached   redirected by {by} to {to} (RFC 5685)");
            }
            None => {
                let _ = writeln!(out, "  reached   {}", state_line(model, t));
            }
        }
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
        let esp: Vec<(std::net::IpAddr, u64, u64)> = t
            .peers
            .iter()
            .map(|&p| {
                let (pk, by) = t.esp_from(model, p);
                (p, pk, by)
            })
            .collect();
        // A tunnel that never had a CHILD SA nor carried ESP has nothing to say here.
        if !t.children.is_empty() || esp.iter().any(|e| e.1 > 0) {
            for (p, pk, by) in esp {
                let other = if p == t.peers[0] { t.peers[1] } else { t.peers[0] };
                let _ = writeln!(
                    out,
                    "  ESP       {p} -> {other}: {}, {}{}",
                    count(pk, "packet", "packets"),
                    count(by, "byte", "bytes"),
                    super::inner::fragmented_text(model, t, p)
                );
            }
        }
        for s in super::inner::bgp_of(model, t) {
            out.push_str(&wrap_labeled("BGP       ", &super::inner::bgp_line(s), 2));
        }
        let tcp = super::inner::tcp_flows(model, t);
        let troubled: Vec<_> = tcp.iter().filter(|(_, f)| super::inner::troubled(f)).collect();
        for (k, f) in troubled.iter().take(10) {
            out.push_str(&wrap_labeled("tcp       ", &super::inner::tcp_line(k, f), 2));
        }
        if tcp.len() > troubled.len().min(10) {
            let _ = writeln!(
                out,
                "  tcp       {} more inner TCP flow directions ({} without retransmissions, resets or ICMP errors)",
                tcp.len() - troubled.len().min(10),
                tcp.len() - troubled.len()
            );
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
            write_finding(&mut out, &st, model, f);
        }
        super::ladder_text::push(&mut out, model, t, tf);
        inner_flow_lines(&mut out, model, t);
    }
    out.push_str(&super::pairs::text(
        model,
        &super::pairs::shown_pairs(model, keep),
    ));
    let errors = findings.iter().filter(|f| f.severity == Severity::Error).count();
    let warnings = findings
        .iter()
        .filter(|f| f.severity == Severity::Warning)
        .count();
    let _ = writeln!(
        out,
        "\n{}, {}",
        count(errors as u64, "error", "errors"),
        count(warnings as u64, "warning", "warnings")
    );
    out
}

/// What the report does not cover, and why: inputs not read or cut short, link types skipped,
/// duplicate inputs, malformed packets (the first few, with frame and offset), and a hint when
/// nothing IPsec was found at all.
fn coverage_notes(model: &Model) -> String {
    const PROBLEMS_SHOWN: usize = 5;
    let mut out = String::new();
    let files = &model.data.files;
    let name = |i: usize| files.get(i).map(String::as_str).unwrap_or("?");
    for (i, why) in &model.data.not_analysed {
        out.push_str(&wrap_labeled(
            "note      ",
            &format!("{}: {}", name(*i), why.describe(files)),
            0,
        ));
    }
    let malformed: u64 = model.data.malformed.iter().sum();
    if malformed > 0 {
        let _ = writeln!(
            out,
            "{} (never used to create or advance an SA):",
            count(malformed, "malformed packet", "malformed packets")
        );
        for p in model.data.problems.iter().take(PROBLEMS_SHOWN) {
            let place = if files.len() > 1 {
                format!("{} frame {}", name(p.file_index), p.frame)
            } else {
                format!("frame {}", p.frame)
            };
            out.push_str(&wrap_labeled(
                "  ",
                &format!("{place}, offset {}: {}", p.offset, p.what),
                0,
            ));
        }
        if model.data.problems.len() > PROBLEMS_SHOWN {
            let _ = writeln!(
                out,
                "  ... {} more in --format json",
                model.data.problems.len() - PROBLEMS_SHOWN
            );
        }
    }
    let read_something = model.data.stats.iter().any(|s| s.packets > 0);
    if model.tunnels.is_empty() && model.data.groups.is_empty() && read_something {
        let corrupt: u64 = model.data.undecodable_ike.iter().sum();
        let hint = if corrupt > 0 {
            format!(
                "no tunnel could be reconstructed: the only IKE traffic, {}, was malformed",
                count(corrupt, "message", "messages")
            )
        } else {
            "nothing IPsec was found: no IKE on UDP 500 or 4500 and no ESP. If the peers use other \
             IKE ports, name them with --ike-port PORT; if the capture was filtered, capture udp \
             port 500 or udp port 4500 or esp"
                .to_string()
        };
        out.push_str(&wrap_labeled("note      ", &hint, 0));
    }
    out
}

/// An input's name for evidence lines: its base name when no other input shares it, else the
/// path as given.
fn short_file_name<'a>(files: &[String], file: &'a str) -> &'a str {
    let base = |p: &'a str| {
        std::path::Path::new(p)
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or(p)
    };
    let mine = base(file);
    let shared = files
        .iter()
        .filter(|f| {
            std::path::Path::new(f.as_str())
                .file_name()
                .and_then(|n| n.to_str())
                == Some(mine)
        })
        .count();
    if shared == 1 {
        mine
    } else {
        file
    }
}

/// The first line: how many tunnels are in which state and how many errors and warnings, so the
/// answer comes before the detail.
fn verdict_line(
    findings: &[Finding],
    states: &[TunnelState],
    keep: Option<&[bool]>,
    unread: u64,
    st: &Style,
) -> String {
    let errors = findings.iter().filter(|f| f.severity == Severity::Error).count() as u64;
    let warnings = findings
        .iter()
        .filter(|f| f.severity == Severity::Warning)
        .count() as u64;
    let mut by_state: Vec<(TunnelState, u64)> = Vec::new();
    for (ti, state) in states.iter().enumerate() {
        if keep.is_some_and(|k| !k[ti]) {
            continue;
        }
        match by_state.iter_mut().find(|(s, _)| s == state) {
            Some((_, n)) => *n += 1,
            None => by_state.push((*state, 1)),
        }
    }
    by_state.sort_by_key(|(s, _)| state_rank(*s));
    let shown: u64 = by_state.iter().map(|(_, n)| n).sum();
    let states_text = by_state
        .iter()
        .map(|(s, n)| format!("{n} {s}"))
        .collect::<Vec<_>>()
        .join(", ");
    let verdict = if errors > 0 {
        st.paint("1;31", "FAILING")
    } else if warnings > 0 {
        st.paint("1;33", "WARNINGS")
    } else if unread > 0 {
        st.paint("1;33", "INCOMPLETE")
    } else if shown == 0 {
        st.paint("1", "NOTHING TO JUDGE")
    } else {
        st.paint("1;32", "OK")
    };
    let tunnels = if shown == 0 {
        "no tunnel".to_string()
    } else {
        format!("{} ({states_text})", count(shown, "tunnel", "tunnels"))
    };
    let unread = if unread > 0 {
        format!("; {} not read", count(unread, "input", "inputs"))
    } else {
        String::new()
    };
    format!(
        "{verdict}: {tunnels}; {}, {}{unread}\n",
        count(errors, "error", "errors"),
        count(warnings, "warning", "warnings")
    )
}

/// Report order of tunnel states: the ones that need attention first.
fn state_rank(state: TunnelState) -> u8 {
    match state {
        TunnelState::Failed => 0,
        TunnelState::Down => 1,
        TunnelState::Flapping => 2,
        TunnelState::Unknown => 3,
        TunnelState::Redirected => 4,
        TunnelState::Up => 5,
    }
}

/// The NAT finding in one line: who announced or was seen at another address.
fn nat_line(f: &Finding) -> String {
    let side = |role: &str| -> Option<String> {
        let behind = f
            .details
            .get(&format!("{role}_behind_nat"))
            .and_then(|v| v.as_bool())?;
        if !behind {
            return None;
        }
        let addr = if role == "initiator" {
            f.initiator
        } else {
            f.responder
        }?;
        Some(format!("{role} {addr}"))
    };
    let sides: Vec<String> = ["initiator", "responder"]
        .iter()
        .filter_map(|r| side(r))
        .collect();
    if sides.is_empty() {
        return "NAT-T (UDP 4500): a NAT rewrote the IKE ports".into();
    }
    format!("NAT-T: {} behind NAT or forcing UDP 4500", sides.join(", "))
}

/// The flows seen inside the tunnel's decrypted ESP, one line per flow (its SPIs together).
fn inner_flow_lines(out: &mut String, model: &Model, t: &crate::reconstruct::Tunnel) {
    const SHOWN: usize = 10;
    let mut flows: Vec<(String, u64, u64, Vec<u32>)> = Vec::new();
    for x in t.inner_flows(model) {
        let text = inner_flow_text(&x.flow);
        match flows.iter_mut().find(|f| f.0 == text) {
            Some(f) => {
                f.1 += x.packets;
                f.2 += x.bytes;
                if !f.3.contains(&x.spi) {
                    f.3.push(x.spi);
                }
            }
            None => flows.push((text, x.packets, x.bytes, vec![x.spi])),
        }
    }
    if flows.is_empty() {
        return;
    }
    flows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let _ = writeln!(out);
    for (text, packets, bytes, spis) in flows.iter().take(SHOWN) {
        let spis: Vec<String> = spis.iter().map(|s| format!("{s:08x}")).collect();
        let line = format!(
            "{text} ({}, {}; {} {})",
            count(*packets, "packet", "packets"),
            count(*bytes, "byte", "bytes"),
            if spis.len() == 1 { "SPI" } else { "SPIs" },
            spis.join(", ")
        );
        out.push_str(&wrap_labeled("inside    ", &line, 2));
    }
    if flows.len() > SHOWN {
        let _ = writeln!(out, "            ... {} more inner flows", flows.len() - SHOWN);
    }
}
