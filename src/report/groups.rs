//! Groups of one-message initiators (see `reconstruct::aggregate`) in the `analyze` report: one
//! block of text and one JSON object per responder, however many sources the group holds.

use crate::diagnose::Finding;
use crate::reconstruct::aggregate::{InitiatorGroup, OpeningMode, GROUP_PREFIX};
use crate::reconstruct::Model;
use crate::wording::{count, notify_name};
use foldhash::HashMap;
use ikescope_parsers::iana::{IkeVersion, NotifyType};
use serde_json::{json, Value};
use std::fmt::Write as _;

/// Top sources listed per group.
pub const TOP_SHOWN: usize = 10;
/// Source prefixes listed per group (JSON; the text names fewer).
pub const PREFIXES_SHOWN: usize = 32;

/// The header line about the groups (empty without any).
pub fn header_line(model: &Model) -> String {
    let groups = &model.data.groups;
    if groups.is_empty() {
        return String::new();
    }
    let attempts: u64 = groups.values().map(|g| g.attempts).sum();
    format!(
        "{} one-message initiator(s) in {} group(s), not listed as tunnels\n",
        count(attempts),
        groups.len()
    )
}

fn mode_label(m: OpeningMode) -> &'static str {
    match m {
        OpeningMode::IkeSaInit => "IKEv2 IKE_SA_INIT",
        OpeningMode::MainMode => "IKEv1 Main Mode",
        OpeningMode::AggressiveMode => "IKEv1 Aggressive Mode",
    }
}

/// The IKE version the group's notifies are named in: IKEv2 unless every attempt was IKEv1.
fn notify_version(g: &InitiatorGroup) -> IkeVersion {
    if g.modes.contains_key(&OpeningMode::IkeSaInit) || g.modes.is_empty() {
        IkeVersion::V2
    } else {
        IkeVersion::V1
    }
}

/// The JSON spelling of a mode.
fn mode_key(m: OpeningMode) -> &'static str {
    match m {
        OpeningMode::IkeSaInit => "ike_sa_init",
        OpeningMode::MainMode => "main_mode",
        OpeningMode::AggressiveMode => "aggressive_mode",
    }
}

/// The findings of a group (by its id), in their order.
fn group_findings<'a>(grouped: &HashMap<&str, Vec<&'a Finding>>, g: &InitiatorGroup) -> Vec<&'a Finding> {
    grouped.get(g.id().as_str()).cloned().unwrap_or_default()
}

/// The text blocks of the groups. With a selection (`--peer`, `--failing`) a group is shown
/// when one of its findings survived it.
pub fn write_text(
    out: &mut String,
    model: &Model,
    grouped: &HashMap<&str, Vec<&Finding>>,
    selected: bool,
    mut write_finding: impl FnMut(&mut String, &Finding),
) {
    for g in model.data.groups.values() {
        let mine = group_findings(grouped, g);
        if selected && mine.is_empty() {
            continue;
        }
        let verdict: Vec<String> = mine
            .iter()
            .filter(|f| f.is_failure() || f.kind.as_str() == "ike_scan")
            .map(|f| f.kind.as_str().to_uppercase())
            .collect();
        let verdict = if verdict.is_empty() {
            "HALF-OPEN".to_string()
        } else {
            verdict.join(", ")
        };
        let _ = writeln!(out);
        let _ = writeln!(out, "Group {}  [{verdict}]", g.id());
        let mut line = |label: &str, text: String| {
            out.push_str(&super::analyze_text::wrap_labeled(label, &text, 2));
        };
        line("what      ", g.headline());
        let modes: Vec<String> = g
            .modes
            .iter()
            .map(|(m, n)| format!("{} {}", count(*n), mode_label(*m)))
            .collect();
        line(
            "attempts  ",
            format!(
                "{} IKE SA attempts that never went past their first exchange ({}), {} to {}; peak {} per second, {} busy second(s)",
                count(g.attempts),
                modes.join(", "),
                g.first.rfc3339(),
                g.last.rfc3339(),
                count(g.peak_per_second),
                count(g.busy_seconds)
            ),
        );
        line(
            "sources   ",
            format!(
                "about {} distinct, in {} prefix(es){}",
                count(g.sources.estimate()),
                count(g.prefixes.len() as u64),
                if g.prefixes_other > 0 {
                    format!(" and {} attempts from further prefixes", count(g.prefixes_other))
                } else {
                    String::new()
                }
            ),
        );
        let heavy = g.top_sources.dominant(g.attempts);
        let top: Vec<String> = heavy
            .iter()
            .take(TOP_SHOWN)
            .map(|t| {
                if t.overcount == 0 {
                    format!("{} ({})", t.address, count(t.count))
                } else {
                    format!(
                        "{} ({}-{})",
                        t.address,
                        count(t.count - t.overcount),
                        count(t.count)
                    )
                }
            })
            .collect();
        let top = if top.is_empty() {
            format!(
                "no source stands out: none is certainly above 1/{} of the attempts",
                crate::reconstruct::sketch::DOMINANT_SHARE
            )
        } else {
            top.join(", ")
        };
        line("top       ", top);
        let notifies: Vec<String> = g
            .response_notifies
            .iter()
            .map(|(t, n)| {
                format!(
                    "{} x{}",
                    notify_name(notify_version(g), NotifyType(*t)),
                    count(*n)
                )
            })
            .collect();
        line(
            "answers   ",
            format!(
                "{} of {} attempts answered; {} with a COOKIE challenge, {} refused{}{}",
                count(g.answered),
                count(g.attempts),
                count(g.cookie_challenged),
                count(g.refused),
                if notifies.is_empty() {
                    String::new()
                } else {
                    format!("; notifies {}", notifies.join(", "))
                },
                if g.retransmissions > 0 {
                    format!("; {} retransmitted requests", count(g.retransmissions))
                } else {
                    String::new()
                }
            ),
        );
        if !g.identities.is_empty() {
            let ids: Vec<String> = g.identities.keys().take(TOP_SHOWN).cloned().collect();
            line(
                "IDs       ",
                format!(
                    "{} distinct identities probed: {}{}",
                    count(g.identities.len() as u64 + g.identities_other),
                    ids.join(", "),
                    if g.identities.len() > TOP_SHOWN {
                        ", ..."
                    } else {
                        ""
                    }
                ),
            );
        }
        let samples: Vec<String> = g
            .samples
            .iter()
            .flat_map(|s| s.frames.first())
            .map(|f| f.0.frame.to_string())
            .collect();
        line("samples   ", format!("frames {}", samples.join(", ")));
        for f in mine {
            write_finding(out, f);
        }
    }
    for (id, fs) in responder_findings(model, grouped) {
        let verdict: Vec<String> = fs.iter().map(|f| f.kind.as_str().to_uppercase()).collect();
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "Responder {}  [{}]",
            &id[GROUP_PREFIX.len()..],
            verdict.join(", ")
        );
        for f in fs {
            write_finding(out, f);
        }
    }
}

/// Findings about a responder as a whole that has no group (e.g. a password spray, whose
/// attempts are real tunnels), by their `group:<responder>` id in order.
pub fn responder_findings<'g, 'f>(
    model: &Model,
    grouped: &'g HashMap<&str, Vec<&'f Finding>>,
) -> Vec<(&'g str, &'g [&'f Finding])> {
    let mut lone: Vec<(&str, &[&Finding])> = grouped
        .iter()
        .filter(|(id, _)| id.starts_with(GROUP_PREFIX))
        .filter(|(id, _)| !model.data.groups.values().any(|g| g.id() == **id))
        .map(|(id, v)| (*id, v.as_slice()))
        .collect();
    lone.sort_by_key(|(id, _)| *id);
    lone
}

/// The JSON object of a group (contract in docs/json.md).
pub fn group_value(model: &Model, g: &InitiatorGroup) -> Value {
    let file = |i: usize| model.data.files.get(i).cloned();
    json!({
        "id": g.id(),
        "kind": "one_message_initiators",
        "responder": g.responder,
        "headline": g.headline(),
        "attempts": g.attempts,
        "modes": g.modes.iter().map(|(m, n)| (mode_key(*m).to_string(), json!(n))).collect::<serde_json::Map<String, Value>>(),
        "requests": g.requests,
        "responses": g.responses,
        "retransmissions": g.retransmissions,
        "answered": g.answered,
        "cookie_challenged": g.cookie_challenged,
        "refused": g.refused,
        "response_notifies": g.response_notifies.iter().map(|(t, n)| json!({"type": t, "name": notify_name(notify_version(g), NotifyType(*t)), "count": n})).collect::<Vec<_>>(),
        "psk_hash_exposed": g.psk_hash_exposed,
        "first": g.first,
        "last": g.last,
        "peak_per_second": g.peak_per_second,
        "busy_seconds": g.busy_seconds,
        "distinct_sources": g.sources.estimate(),
        "source_cover": g.source_cover().iter().map(|p| p.to_string()).collect::<Vec<_>>(),
        "prefixes": g.ranked_prefixes().iter().take(PREFIXES_SHOWN).map(|(p, n)| json!({"prefix": p.to_string(), "attempts": n})).collect::<Vec<_>>(),
        "prefixes_total": g.prefixes.len(),
        "prefixes_other_attempts": g.prefixes_other,
        "top_sources": g.top_sources.ranked().iter().take(TOP_SHOWN).collect::<Vec<_>>(),
        "samples": g.samples.iter().map(|s| json!({
            "initiator": s.initiator,
            "spi_i": s.spi_i,
            "mode": s.mode,
            "time": s.time,
            "frames": s.frames.iter().map(|(f, from_initiator)| json!({"file": file(f.file), "frame": f.frame, "from_initiator": from_initiator})).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "vendor_ids": g.vendor_ids.iter().map(|(h, (name, n))| json!({"vendor_id": h, "name": name, "count": n})).collect::<Vec<_>>(),
        "requests_without_vendor_id": g.requests_without_vendor_id,
        "identities": g.identities.iter().map(|(id, n)| json!({"id": id, "count": n})).collect::<Vec<_>>(),
        "identities_other": g.identities_other,
        "transform_sets": g.transform_sets.len(),
        "max_transforms": g.max_transforms,
        "ike_scan_offers": g.ike_scan_offers,
        "late_messages": g.late_messages,
    })
}

/// The groups to list: all of them, or with a selection those with a surviving finding.
pub fn shown<'m>(model: &'m Model, findings: &[Finding], selected: bool) -> Vec<&'m InitiatorGroup> {
    model
        .data
        .groups
        .values()
        .filter(|g| {
            let id = g.id();
            !selected || findings.iter().any(|f| f.tunnel == id)
        })
        .collect()
}
