//! Redundant pairs and failovers on the project's captures: the lab's active/standby capture
//! gives exactly the pair its expected.json facts name, with one failover whose moment is the
//! standby's first ESP packet and whose cause is the active tunnel's last unanswered liveness
//! check (both read from the decoded packets here, not from the analysis); no other capture
//! has a pair.

mod common;

use serde_json::Value;

/// Decoded records of a capture (`decode --format json`).
fn decode(path: &std::path::Path) -> Vec<Value> {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ikescope"))
        .args(["decode", "--format", "json", "-q"])
        .arg(path)
        .output()
        .unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn the_lab_failover_is_found_with_its_cause_and_nothing_else_pairs() {
    let dir = common::captures_dir();
    let expected: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    let mut with_pairs = 0;
    for e in &expected {
        let path = dir.join(e["file"].as_str().unwrap());
        let (model, findings) = common::analyze(&path);
        let doc = ikescope::report::analyze_json::document(&model, &findings);
        let pairs = doc["pairs"].as_array().unwrap();
        let fact = &e["facts"]["redundant_pair"];
        if fact.is_null() {
            assert!(pairs.is_empty(), "{}: unexpected pairs {pairs:?}", e["file"]);
            continue;
        }
        with_pairs += 1;
        assert_eq!(pairs.len(), 1, "{}", e["file"]);
        let p = &pairs[0];
        assert_eq!(p["tunnels"], fact["tunnels"]);
        let failovers = p["failovers"].as_array().unwrap();
        assert_eq!(failovers.len() as u64, fact["failovers"].as_u64().unwrap());
        let (active, standby) = (&fact["tunnels"][0], &fact["tunnels"][1]);
        let f = &failovers[0];
        assert_eq!((&f["from"], &f["to"]), (active, standby));
        // The truth from the packets: the standby's first ESP, and the last IKE message sent on
        // the active tunnel before it (its DPD retransmissions)
        let records = decode(&path);
        let peer = |id: &Value| id.as_str().unwrap().split('-').nth(1).unwrap().to_string();
        let on = |r: &Value, id: &Value| r["src"] == peer(id).as_str() || r["dst"] == peer(id).as_str();
        let first_standby_esp = records
            .iter()
            .find(|r| r["kind"] == "esp" && on(r, standby))
            .unwrap();
        assert_eq!(f["frame"], first_standby_esp["frame"]);
        assert_eq!(f["time"], first_standby_esp["time"]);
        let frame = first_standby_esp["frame"].as_u64().unwrap();
        let last_active_ike = records
            .iter()
            .rfind(|r| r["kind"] == "ike" && on(r, active) && r["frame"].as_u64().unwrap() < frame)
            .unwrap();
        assert_eq!(
            last_active_ike["ike"]["exchange"], 37,
            "an INFORMATIONAL (the DPD check)"
        );
        assert_eq!(f["cause"]["kind"], "dpd_give_up");
        assert_eq!(f["cause"]["frame"], last_active_ike["frame"]);
        let last_active_esp = records
            .iter()
            .rfind(|r| r["kind"] == "esp" && on(r, active) && r["frame"].as_u64().unwrap() < frame)
            .unwrap();
        assert_eq!(f["from_last_esp"], last_active_esp["time"]);
        // and the text report says so
        let text = ikescope::report::analyze_text::render(&model, &findings, false);
        assert!(text.contains(&format!(
            "Redundant pair {} / {}",
            active.as_str().unwrap(),
            standby.as_str().unwrap()
        )));
        assert!(
            text.contains("liveness checks (DPD) unanswered, given up"),
            "{text}"
        );
    }
    assert_eq!(with_pairs, 1, "the lab has one capture with a redundant pair");
}
