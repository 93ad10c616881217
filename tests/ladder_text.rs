//! The terminal report's text ladder: every tunnel with an error or warning whose evidence names
//! one of its IKE messages shows the exchange holding the first such frame of its most severe
//! finding, every message of it (frames from the JSON of the same run), and says NO ANSWER
//! exactly when the JSON says the exchange was not answered.

mod common;

use serde_json::Value;
use std::collections::BTreeSet;

/// The exchange (its JSON) holding `frame` on tunnel `t`.
fn exchange_with(t: &Value, frame: u64) -> Option<&Value> {
    t["ike_sas"]
        .as_array()?
        .iter()
        .flat_map(|sa| sa["exchanges"].as_array().into_iter().flatten())
        .find(|e| {
            ["requests", "responses"]
                .iter()
                .flat_map(|k| e[k].as_array().into_iter().flatten())
                .any(|m| m["frame"] == frame)
        })
}

#[test]
fn failing_tunnels_show_their_failing_exchange() {
    let caps = common::own_pcaps();
    let mut ladders = 0;
    for cap in &caps {
        let (model, findings) = common::analyze(cap);
        let doc = ikescope::report::analyze_json::document(&model, &findings);
        let text = ikescope::report::analyze_text::render(&model, &findings, false);
        let name = cap.file_name().unwrap().to_string_lossy();
        for t in doc["tunnels"].as_array().unwrap() {
            let id = t["id"].as_str().unwrap();
            let block = text
                .split("\nTunnel ")
                .find(|b| b.starts_with(&format!("{id} ")))
                .unwrap_or_else(|| panic!("{name}: no block for {id}"));
            let block = block.split("\nRedundant pair").next().unwrap();
            // findings are sorted most severe first; the first failure's first IKE evidence frame
            let expected = doc["findings"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|f| f["tunnel"] == id && matches!(f["severity"].as_str(), Some("error" | "warning")))
                .flat_map(|f| f["evidence"].as_array().unwrap().iter())
                .find_map(|e| exchange_with(t, e["frame"].as_u64().unwrap()));
            let Some(e) = expected else {
                assert!(
                    !block.contains("  ladder "),
                    "{name} {id}: a ladder without a failing exchange"
                );
                continue;
            };
            ladders += 1;
            let ladder: Vec<&str> = block
                .lines()
                .skip_while(|l| !l.starts_with("  ladder "))
                .take_while(|l| !l.trim().is_empty())
                .collect();
            assert!(!ladder.is_empty(), "{name} {id}: no ladder in\n{block}");
            assert!(
                ladder[0].contains(&format!("MID {}", e["message_id"])),
                "{name} {id}: {}",
                ladder[0]
            );
            let shown: BTreeSet<u64> = ladder
                .iter()
                .filter_map(|l| l.split(" #").nth(1))
                .filter_map(|r| r.split_whitespace().next()?.parse().ok())
                .collect();
            let frames: BTreeSet<u64> = ["requests", "responses"]
                .iter()
                .flat_map(|k| e[k].as_array().unwrap().iter())
                .map(|m| m["frame"].as_u64().unwrap())
                .collect();
            if frames.len() <= 12 {
                assert_eq!(shown, frames, "{name} {id}: frames of the failing exchange");
            } else {
                assert!(
                    shown.is_subset(&frames) && shown.len() == 12,
                    "{name} {id}: cut to 12"
                );
            }
            let no_answer = ladder.iter().any(|l| l.ends_with("NO ANSWER"));
            assert_eq!(no_answer, e["answered"] == false, "{name} {id}: NO ANSWER mark");
            assert!(
                ladder.iter().all(|l| l.chars().count() <= 100),
                "{name} {id}: fits 100 columns"
            );
        }
    }
    assert!(
        ladders >= 15,
        "the captures' failing tunnels got ladders ({ladders})"
    );
}
