//! Captures under attack (issue 16), synthesized with `examples/flood`'s generator from the
//! project's own captures: a flood is one group with one verdict while the real tunnels on the
//! same gateway keep their blocks; a busy legitimate gateway is not a flood; a spray of failing
//! authentications from many sources is named.

#[path = "../examples/flood/gen.rs"]
#[allow(dead_code)]
mod gen;

use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

fn captures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("captures")
}

/// Analyse the capture for `spec`: (JSON document, text).
fn analyse(name: &str, spec: &gen::FloodSpec) -> (Value, String) {
    let json_text = raw_output(name, spec, "json");
    let text = raw_output(name, spec, "text");
    (serde_json::from_str(&json_text).unwrap(), text)
}

fn spec(
    initiators: u64,
    family: gen::Family,
    answer: gen::Answer,
    conversations: &[(&str, u32)],
) -> gen::FloodSpec {
    gen::FloodSpec {
        initiators,
        rate: 500,
        family,
        answer,
        conversations: conversations.iter().map(|(t, n)| (t.to_string(), *n)).collect(),
        captures: captures(),
    }
}

/// (kind, tunnel) of the error and warning findings and of every ike_scan finding.
fn kinds(doc: &Value) -> Vec<(String, String)> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] != "info" || f["kind"] == "ike_scan")
        .map(|f| {
            (
                f["kind"].as_str().unwrap().to_string(),
                f["tunnel"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn flood_is_one_group_with_its_verdict_and_real_tunnels_keep_theirs() {
    let s = spec(
        2_000,
        gen::Family::V6,
        gen::Answer::Cookie,
        &[("ikev2_ok_ipv6.pcap", 3)],
    );
    let (doc, text) = analyse("flood", &s);
    let tunnels = doc["tunnels"].as_array().unwrap();
    assert_eq!(tunnels.len(), 3, "only the real tunnels are tunnels");
    assert!(tunnels.iter().all(|t| t["state"] == "up"));
    let groups = doc["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 1);
    let g = &groups[0];
    assert_eq!(g["responder"], "2001:db8:2::1");
    assert_eq!(g["attempts"], 2_000);
    assert_eq!(g["answered"], 2_000);
    assert_eq!(g["cookie_challenged"], 2_000);
    assert_eq!(g["modes"]["ike_sa_init"], 2_000);
    assert_eq!(g["peak_per_second"], 500);
    assert_eq!(g["source_cover"][0], "2001:db8:100::/53");
    let distinct = g["distinct_sources"].as_u64().unwrap();
    assert!((1_900..=2_100).contains(&distinct), "{distinct}");
    let k = kinds(&doc);
    assert_eq!(
        k,
        vec![("ike_flood".to_string(), "group:2001:db8:2::1".to_string())],
        "one verdict for the flood, none per initiator, none on the real tunnels"
    );
    let flood = &doc["findings"][0];
    assert_eq!(flood["severity"], "warning");
    assert_eq!(flood["details"]["cookie_challenged"], 2_000);
    assert_eq!(flood["details"]["established_sas"], 3);
    // Bounded report: one block for the group, one per real tunnel.
    assert!(text.contains("2,000 one-message initiators from 2001:db8:100::/48 toward 2001:db8:2::1"));
    assert_eq!(text.matches("\nTunnel ").count(), 3);
    assert!(text.lines().count() < 150, "{} lines", text.lines().count());
}

#[test]
fn busy_legitimate_gateway_is_not_a_flood() {
    // 200 healthy peers, 6 with a stale key, 6 whose gateway never answers, all toward
    // 198.51.100.1 within a minute: every one keeps its tunnel and its own verdict.
    let s = spec(
        0,
        gen::Family::V4,
        gen::Answer::None,
        &[
            ("ikev2_ok.pcap", 200),
            ("ikev2_psk_mismatch.pcap", 6),
            ("ikev2_no_response.pcap", 6),
        ],
    );
    let (doc, _) = analyse("busy", &s);
    assert_eq!(doc["tunnels"].as_array().unwrap().len(), 212);
    assert!(doc["groups"].as_array().unwrap().is_empty());
    let k = kinds(&doc);
    for attack in ["ike_flood", "ike_scan", "auth_spray"] {
        assert!(
            !k.iter().any(|(kind, _)| kind == attack),
            "{attack} on a busy gateway"
        );
    }
    assert_eq!(k.iter().filter(|(kind, _)| kind == "auth_failure").count(), 6);
    assert_eq!(k.iter().filter(|(kind, _)| kind == "no_response").count(), 6);
}

#[test]
fn failing_authentications_from_many_sources_are_a_spray() {
    let s = spec(
        0,
        gen::Family::V4,
        gen::Answer::None,
        &[("ikev2_ok.pcap", 4), ("ikev2_psk_mismatch.pcap", 12)],
    );
    let (doc, text) = analyse("spray", &s);
    let sprays: Vec<&Value> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "auth_spray")
        .collect();
    assert_eq!(sprays.len(), 1);
    assert_eq!(sprays[0]["tunnel"], "group:198.51.100.1");
    assert_eq!(sprays[0]["severity"], "warning");
    assert_eq!(sprays[0]["details"]["sources"], 12);
    assert_eq!(sprays[0]["details"]["failures"], 12);
    // The failing tunnels keep their own auth_failure findings.
    assert_eq!(
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["kind"] == "auth_failure")
            .count(),
        12
    );
    assert!(text.contains("Responder 198.51.100.1  [AUTH_SPRAY]"));
}

#[test]
fn flood_memory_does_not_keep_the_initiators() {
    // Far more attempts than the fold keeps pending or held: still one group, exact counts.
    let s = spec(
        30_000,
        gen::Family::V4,
        gen::Answer::Response,
        &[("ikev2_ok.pcap", 2)],
    );
    let (doc, _) = analyse("big", &s);
    assert_eq!(doc["tunnels"].as_array().unwrap().len(), 2);
    let g = &doc["groups"][0];
    assert_eq!(g["attempts"], 30_000);
    assert_eq!(g["answered"], 30_000);
    assert_eq!(g["cookie_challenged"], 0);
    assert_eq!(g["prefixes_total"], 2);
    assert_eq!(g["source_cover"].as_array().unwrap().len(), 1);
    let k = kinds(&doc);
    assert_eq!(
        k,
        vec![("ike_flood".to_string(), "group:198.51.100.1".to_string())]
    );
}

/// Write the capture for `spec` and return the raw output of `analyze --format FORMAT`.
fn raw_output(name: &str, spec: &gen::FloodSpec, format: &str) -> String {
    let dir = std::env::temp_dir().join(format!("ikescope-attack-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.pcap"));
    let mut bytes = Vec::new();
    gen::write_flood(spec, &mut bytes);
    std::fs::write(&path, &bytes).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ikescope"))
        .args(["analyze", "-q", "--format", format])
        .arg(&path)
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).ok();
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{name}: {:?}",
        out.status
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn report_size_follows_real_tunnels_and_groups_not_initiators() {
    // The same gateway and real tunnels under a flood ten times larger: the JSON document holds
    // the same tunnels, groups and findings, and grows only by the digits of its counts.
    let real = [("ikev2_ok.pcap", 2)];
    let small = spec(3_000, gen::Family::V4, gen::Answer::Response, &real);
    let large = spec(30_000, gen::Family::V4, gen::Answer::Response, &real);
    let docs: Vec<(usize, Value)> = [("small", &small), ("large", &large)]
        .iter()
        .map(|(name, s)| {
            let text = raw_output(name, s, "json");
            (text.len(), serde_json::from_str(&text).unwrap())
        })
        .collect();
    let count = |doc: &Value, key: &str| doc[key].as_array().unwrap().len();
    for (_, doc) in &docs {
        assert_eq!(count(doc, "tunnels"), 2);
        assert_eq!(count(doc, "groups"), 1);
    }
    assert_eq!(docs[1].1["groups"][0]["attempts"], 30_000);
    assert_eq!(count(&docs[0].1, "findings"), count(&docs[1].1, "findings"));
    let (small_len, large_len) = (docs[0].0, docs[1].0);
    assert!(
        large_len < small_len + small_len / 20,
        "JSON of 30,000 initiators {large_len} bytes, of 3,000 {small_len} bytes"
    );
    // JSON Lines: one record per real tunnel, per group and per finding, nothing per initiator.
    let lines = raw_output("large_jsonl", &large, "jsonl");
    let records: Vec<Value> = lines.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let of = |t: &str| records.iter().filter(|r| r["event_type"] == t).count();
    assert_eq!((of("tunnel"), of("group")), (2, 1));
    assert_eq!(of("finding"), count(&docs[1].1, "findings"));
    assert_eq!(records.len(), 3 + of("finding"));
    let group = records.iter().find(|r| r["event_type"] == "group").unwrap();
    assert_eq!(group["attempts"], 30_000);
    assert!(records.iter().any(|r| r["event_type"] == "finding"
        && r["kind"] == "ike_flood"
        && r["tunnel_id"] == "group:198.51.100.1"));
}
