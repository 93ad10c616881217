//! The error/warning findings of every labelled capture equal its label: the shared strongSwan
//! captures (`../shared/captures/labels.json`) and the project's own (`captures/expected.json`).
//!
//! An entry may carry `"pending": "<issue: the rule that is missing>"`: a capture whose label
//! states the truth the analyzer does not reach yet. A pending entry that differs from its label
//! is reported as skipped (one line on stdout); a pending entry that already meets its label fails
//! the test, so the mark is removed (from `captures/lab/results/<capture>.json`, then
//! `captures/lab/run.sh --expected`) as soon as the rule lands.

mod common;

use serde_json::Value;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;

type KindPhase = (String, Option<String>);

fn expected(entry: &Value) -> (BTreeSet<KindPhase>, BTreeSet<String>) {
    let mut exp = BTreeSet::new();
    let mut also = BTreeSet::new();
    for f in entry["expected_findings"].as_array().into_iter().flatten() {
        exp.insert((
            f["kind"].as_str().unwrap_or_default().to_string(),
            f["phase"].as_str().map(str::to_string),
        ));
        for k in f["also_ok"].as_array().into_iter().flatten() {
            also.insert(k.as_str().unwrap_or_default().to_string());
        }
    }
    (exp, also)
}

fn matches(a: &KindPhase, pool: &BTreeSet<KindPhase>) -> bool {
    pool.iter()
        .any(|b| a.0 == b.0 && (a.1.is_none() || b.1.is_none() || a.1 == b.1))
}

/// The lab's two gateways: left (the initiator in every lab scenario) and right.
const LEFT: [&str; 2] = ["192.0.2.1", "2001:db8:1::1"];
const RIGHT: [&str; 2] = ["198.51.100.1", "2001:db8:2::1"];

/// The label's `capture_point` against the one inferred for the tunnel between the lab's
/// gateways, where the label has one; `Some(why)` when they differ beyond what the wire can show.
///
/// Two readings are accepted besides an exact match, both because the wire cannot tell more:
/// - `path` captured on the router's interface facing the left gateway (the lab's `left0`, named
///   in the truth note) reads as the left gateway's side (`initiator`, or `responder` where the
///   right one initiated first): the left gateway's packets are captured before any router
///   lowered their TTL, exactly as on the gateway itself; only a capture on both router
///   interfaces (`-i any`, every message twice one TTL apart) or past the router reads `path`;
/// - `unknown` when one gateway sent no IKE message at all (nothing answered): the other's
///   packets alone cannot place the capture between the responder and the path.
fn capture_point_differs(e: &Value, model: &ikescope::reconstruct::Model) -> Option<String> {
    let label = e["capture_point"].as_str()?;
    let is = |a: std::net::IpAddr, set: [&str; 2]| set.contains(&a.to_string().as_str());
    let t = model.tunnels.iter().find(|t| {
        (is(t.peers[0], LEFT) && is(t.peers[1], RIGHT)) || (is(t.peers[1], LEFT) && is(t.peers[0], RIGHT))
    })?;
    let got = t.capture_point.point.as_str();
    if got == label {
        return None;
    }
    let note = e["truth_note"].as_str().unwrap_or_default();
    // The left gateway's role in the tunnel's first IKE SA (the initiator in all but
    // ike_version_mismatch.pcap, where both ends initiate and the right one is first).
    let left_role = t.sas.first().map(|&s| {
        if is(model.sas[s].initiator, LEFT) {
            "initiator"
        } else {
            "responder"
        }
    });
    if label == "path" && Some(got) == left_role && note.contains("left0") {
        return None;
    }
    let silent_peer = t.peers.iter().any(|&p| {
        !t.sas
            .iter()
            .flat_map(|&s| model.sas[s].messages.iter())
            .any(|&i| model.data.ike[i].src == p)
    });
    if got == "unknown" && silent_peer {
        return None;
    }
    Some(format!(
        "capture_point {got}, label {label} ({})",
        t.capture_point.evidence.join("; ")
    ))
}

/// Check every entry of a labels file; returns the number of entries checked and the list of
/// mismatches (pending entries count only when they already meet their label).
fn check_labels(labels: &Path) -> (usize, Vec<String>) {
    let base = labels.parent().unwrap();
    let entries: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(labels).unwrap()).unwrap();
    let mut bad = Vec::new();
    let mut n = 0;
    for e in &entries {
        let file = base.join(e["file"].as_str().unwrap());
        assert!(
            file.exists(),
            "{} listed in {} is missing",
            file.display(),
            labels.display()
        );
        n += 1;
        let (exp, also) = expected(e);
        let (model, findings) = common::analyze(&file);
        if let Some(why) = capture_point_differs(e, &model) {
            bad.push(format!("{}: {why}", e["file"].as_str().unwrap()));
        }
        let got: BTreeSet<KindPhase> = findings
            .iter()
            .filter(|f| f.is_failure())
            .map(|f| {
                (
                    f.kind.as_str().to_string(),
                    f.phase.map(|p| p.as_str().to_string()),
                )
            })
            .collect();
        let missing: Vec<_> = exp.iter().filter(|a| !matches(a, &got)).collect();
        let extra: Vec<_> = got
            .iter()
            .filter(|g| !matches(g, &exp) && !also.contains(&g.0))
            .collect();
        let differs = !missing.is_empty() || !extra.is_empty();
        if let Some(reason) = e["pending"].as_str() {
            let name = e["file"].as_str().unwrap();
            if differs {
                // straight to stderr, past the test harness's capture: the line shows in CI logs
                let _ = writeln!(
                    std::io::stderr(),
                    "skipped (pending: {reason}): {name}: missing {missing:?}, unexpected {extra:?}"
                );
            } else {
                bad.push(format!(
                    "{name}: marked pending ({reason}) but now meets its label: remove the mark"
                ));
            }
            continue;
        }
        if differs {
            bad.push(format!(
                "{}: missing {:?}, unexpected {:?}",
                e["file"].as_str().unwrap(),
                missing,
                extra
            ));
        }
    }
    (n, bad)
}

#[test]
fn shared_captures_meet_their_labels() {
    let Some(shared) = common::corpus_dir() else {
        return;
    };
    let labels = shared.join("captures/labels.json");
    let (n, bad) = check_labels(&labels);
    assert!(n >= 21, "expected the 21 labelled shared captures, found {n}");
    assert!(
        bad.is_empty(),
        "{} of {n} captures differ from their labels:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

#[test]
fn own_captures_meet_their_expectations() {
    let labels = common::captures_dir().join("expected.json");
    assert!(labels.exists(), "captures/expected.json is missing");
    let (n, bad) = check_labels(&labels);
    assert!(n >= 10, "expected at least 10 project captures, found {n}");
    // Every capture in captures/ has its expectation.
    let listed: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(&labels).unwrap()).unwrap();
    let listed: BTreeSet<String> = listed
        .iter()
        .map(|e| e["file"].as_str().unwrap().to_string())
        .collect();
    for entry in std::fs::read_dir(common::captures_dir()).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if name.ends_with(".pcap") || name.ends_with(".pcapng") {
            assert!(
                listed.contains(&name),
                "captures/{name} has no entry in captures/expected.json"
            );
        }
    }
    assert!(
        bad.is_empty(),
        "{} of {n} captures differ from expected.json:\n{}",
        bad.len(),
        bad.join("\n")
    );
}
