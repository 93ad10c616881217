//! Never silent: every tunnel whose negotiation stopped (a retransmitted request or a refusal
//! seen, and no IKE SA established afterwards) carries at least one error or warning finding,
//! over every capture of the project and of the shared corpus.

mod common;

use ikescope::reconstruct::exchanges::notifies_of;
use ikescope::reconstruct::{IkeSa, Model, SaState};
use std::path::{Path, PathBuf};

fn captures_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            captures_under(&p, out);
        } else if p
            .extension()
            .is_some_and(|x| x == "pcap" || x == "pcapng" || x == "cap")
        {
            out.push(p);
        }
    }
}

/// The SA's negotiation was refused: authentication failed, or a message carries an error notify
/// (a REDIRECT is no refusal).
fn refused(model: &Model, sa: &IkeSa) -> bool {
    sa.state == SaState::AuthFailed
        || sa.messages.iter().any(|&i| {
            model.data.ike[i]
                .ike
                .as_deref()
                .is_some_and(|ike| notifies_of(ike).into_iter().any(|n| n.is_error()))
        })
}

/// Tunnels (ids) whose latest negotiation stopped: an IKE SA attempted after the last one that
/// was established (or any, when none was) shows a retransmitted request or was refused.
fn stopped_tunnels(model: &Model) -> Vec<String> {
    let mut out = Vec::new();
    for t in &model.tunnels {
        let sas: Vec<_> = t.sas.iter().map(|&s| &model.sas[s]).collect();
        let up =
            |s: &&ikescope::reconstruct::IkeSa| matches!(s.state, SaState::Established | SaState::Midstream);
        let last_up = sas.iter().filter(|s| up(s)).map(|s| s.first).max();
        let stopped = sas
            .iter()
            .filter(|s| !up(s))
            .filter(|s| last_up.is_none_or(|u| s.first > u))
            .any(|s| refused(model, s) || s.exchanges.iter().any(|e| e.request_retransmits() > 0));
        if stopped {
            out.push(t.id.clone());
        }
    }
    out
}

#[test]
fn no_stopped_negotiation_is_silent() {
    let mut files = Vec::new();
    captures_under(&common::captures_dir(), &mut files);
    // The shared corpus when it is there (required under IKESCOPE_REQUIRE_CORPUS=1).
    if let Some(shared) = common::corpus_extra() {
        captures_under(&shared.join("captures"), &mut files);
        captures_under(&shared.join("public-captures"), &mut files);
    }
    let mut silent = Vec::new();
    let mut checked = 0;
    for f in &files {
        let (model, findings) = common::analyze(f);
        for id in stopped_tunnels(&model) {
            checked += 1;
            if !findings.iter().any(|x| x.tunnel == id && x.is_failure()) {
                silent.push(format!("{}: tunnel {id}", f.display()));
            }
        }
    }
    eprintln!(
        "{} captures, {checked} stopped tunnels, {} silent",
        files.len(),
        silent.len()
    );
    assert!(
        silent.is_empty(),
        "stopped negotiations without an error or warning:\n{}",
        silent.join("\n")
    );
}
