//! `analyze --format jsonl` (issue 15) says the same as `--format json` of the same run, in flat
//! self-contained records: checked on every capture of the project's own lab.

mod common;

use serde_json::Value;
use std::process::Command;

fn analyze(format: &str, args: &[&str]) -> (Option<i32>, Vec<u8>) {
    let out = Command::new(env!("CARGO_BIN_EXE_ikescope"))
        .args(["analyze", "-q", "--format", format])
        .args(args)
        .output()
        .unwrap();
    (out.status.code(), out.stdout)
}

fn own_captures() -> Vec<String> {
    common::own_capture_paths()
}

const COMMON: [&str; 8] = [
    "event_type",
    "timestamp",
    "timestamp_end",
    "tunnel_id",
    "src_ip",
    "dest_ip",
    "capture_file",
    "capture_files",
];

/// Every value is a scalar or an array of scalars: loadable as a table row without unnesting.
fn assert_flat(rec: &serde_json::Map<String, Value>) {
    for (k, v) in rec {
        let scalar = |v: &Value| !v.is_object() && !v.is_array();
        assert!(
            scalar(v) || v.as_array().is_some_and(|a| a.iter().all(scalar)),
            "{k} is nested: {v}"
        );
    }
}

fn check(file: &str) -> (usize, usize) {
    let (code_json, doc) = analyze("json", &[file]);
    let (code_jsonl, lines) = analyze("jsonl", &[file]);
    assert_eq!(code_json, code_jsonl, "{file}: exit status");
    let doc: Value = serde_json::from_slice(&doc).unwrap();
    let records: Vec<serde_json::Map<String, Value>> = String::from_utf8(lines)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{file}: {e}: {l}")))
        .collect();
    for r in &records {
        for k in COMMON {
            assert!(r.contains_key(k), "{file}: {k} missing in {r:?}");
        }
        assert_flat(r);
        assert_eq!(r["capture_file"], r["capture_files"][0], "{file}");
        assert_eq!(r["capture_files"], serde_json::json!([file]), "{file}");
    }
    let tunnels: Vec<_> = records.iter().filter(|r| r["event_type"] == "tunnel").collect();
    let findings: Vec<_> = records.iter().filter(|r| r["event_type"] == "finding").collect();
    let groups: Vec<_> = records.iter().filter(|r| r["event_type"] == "group").collect();
    assert_eq!(
        tunnels.len() + findings.len() + groups.len(),
        records.len(),
        "{file}: unknown event types"
    );

    // Groups of one-message initiators: one record per `groups[]` entry, in its order.
    let doc_groups = doc["groups"].as_array().unwrap();
    assert_eq!(groups.len(), doc_groups.len(), "{file}: groups");
    for (rec, g) in groups.iter().zip(doc_groups) {
        assert_eq!(rec["tunnel_id"], g["id"], "{file}");
        assert_eq!(rec["dest_ip"], g["responder"], "{file}");
        assert_eq!(rec["timestamp"], g["first"], "{file}");
        assert_eq!(rec["timestamp_end"], g["last"], "{file}");
        assert_eq!(rec["headline"], g["headline"], "{file}");
        for k in [
            "attempts",
            "requests",
            "responses",
            "answered",
            "cookie_challenged",
            "refused",
            "psk_hash_exposed",
        ] {
            assert_eq!(rec[k], g[k], "{file}: group {k}");
        }
        assert_eq!(rec["src_ip"], g["top_sources"][0]["address"], "{file}");
        let mine: Vec<_> = findings.iter().filter(|f| f["tunnel_id"] == g["id"]).collect();
        let n = |s: &str| mine.iter().filter(|f| f["severity"] == s).count();
        assert_eq!(
            (
                rec["errors"].clone(),
                rec["warnings"].clone(),
                rec["infos"].clone()
            ),
            (n("error").into(), n("warning").into(), n("info").into()),
            "{file}"
        );
    }

    let doc_tunnels = doc["tunnels"].as_array().unwrap();
    assert_eq!(tunnels.len(), doc_tunnels.len(), "{file}: tunnels");
    for (rec, t) in tunnels.iter().zip(doc_tunnels) {
        assert_eq!(rec["tunnel_id"], t["id"], "{file}");
        assert_eq!(rec["state"], t["state"], "{file}");
        assert_eq!(rec["timestamp"], t["first"], "{file}");
        assert_eq!(rec["timestamp_end"], t["last"], "{file}");
        assert_eq!(rec["ike_versions"], t["ike_versions"], "{file}");
        assert_eq!(rec["ike_sas"], t["ike_sas"].as_array().unwrap().len(), "{file}");
        assert_eq!(
            rec["child_sas"],
            t["child_sas"].as_array().unwrap().len(),
            "{file}"
        );
        let peers = [rec["src_ip"].clone(), rec["dest_ip"].clone()];
        assert!(
            t["peers"].as_array().unwrap().iter().all(|p| peers.contains(p)),
            "{file}"
        );
        // each end's implementation, as the document names it for that peer
        for end in ["src", "dest"] {
            let guess = t["implementations"]
                .as_array()
                .unwrap()
                .iter()
                .find(|g| g["peer"] == rec[&format!("{end}_ip")])
                .unwrap_or_else(|| panic!("{file}: no implementation for the {end} peer"));
            assert_eq!(rec[&format!("{end}_implementation")], guess["name"], "{file}");
            assert_eq!(
                rec[&format!("{end}_implementation_confidence")],
                guess["confidence"],
                "{file}"
            );
        }
        let exchanges: usize = t["ike_sas"]
            .as_array()
            .unwrap()
            .iter()
            .map(|sa| sa["exchanges"].as_array().unwrap().len())
            .sum();
        assert_eq!(rec["exchanges"], exchanges, "{file}");
        let esp = t["esp"].as_array().unwrap();
        assert_eq!(rec["esp_flows"], esp.len(), "{file}");
        let sent_by = |who: &Value| -> u64 {
            esp.iter()
                .filter(|f| f["src"] == *who)
                .map(|f| f["packets"].as_u64().unwrap())
                .sum()
        };
        assert_eq!(rec["esp_packets_to_dest"], sent_by(&rec["src_ip"]), "{file}");
        assert_eq!(rec["esp_packets_to_src"], sent_by(&rec["dest_ip"]), "{file}");
    }

    // The same findings, grouped by tunnel in tunnel order.
    let doc_findings = doc["findings"].as_array().unwrap();
    assert_eq!(findings.len(), doc_findings.len(), "{file}: findings");
    for rec in &findings {
        let same = doc_findings.iter().find(|f| {
            f["tunnel"] == rec["tunnel_id"]
                && f["kind"] == rec["kind"]
                && f["phase"] == rec["phase"]
                && f["summary"] == rec["summary"]
        });
        let f = same.unwrap_or_else(|| panic!("{file}: no finding like {rec:?}"));
        for k in ["severity", "confidence", "fix", "evidence_total"] {
            assert_eq!(rec[k], f[k], "{file}: {k}");
        }
        let first = &f["evidence"][0];
        assert_eq!(rec["evidence_frame"], first["frame"], "{file}");
        assert_eq!(rec["evidence_note"], first["note"], "{file}");
        if !f["initiator"].is_null() {
            assert_eq!(rec["src_ip"], f["initiator"], "{file}");
        }
        if !f["responder"].is_null() {
            assert_eq!(rec["dest_ip"], f["responder"], "{file}");
        }
        assert_ne!(rec["src_ip"], rec["dest_ip"], "{file}");
        let details: Value = serde_json::from_str(rec["details"].as_str().unwrap()).unwrap();
        assert_eq!(
            details,
            f.get("details").cloned().unwrap_or(serde_json::json!({}))
        );
    }
    // Each tunnel's summary counts match its findings.
    for t in &tunnels {
        let mine: Vec<_> = findings
            .iter()
            .filter(|f| f["tunnel_id"] == t["tunnel_id"])
            .collect();
        let n = |s: &str| mine.iter().filter(|f| f["severity"] == s).count();
        assert_eq!(
            (t["errors"].clone(), t["warnings"].clone()),
            (n("error").into(), n("warning").into())
        );
    }
    (tunnels.len(), findings.len())
}

#[test]
fn jsonl_records_say_what_the_json_document_says() {
    let files = own_captures();
    assert!(files.len() >= 20, "{} captures", files.len());
    let (mut tunnels, mut findings) = (0, 0);
    for f in &files {
        let (t, n) = check(f);
        tunnels += t;
        findings += n;
    }
    assert!(
        tunnels >= files.len() && findings > tunnels,
        "{tunnels} tunnels, {findings} findings"
    );
}

#[test]
fn failing_selects_the_same_records() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/captures/");
    let files = [
        format!("{dir}ikev2_ok.pcap"),
        format!("{dir}ikev2_psk_mismatch.pcap"),
    ];
    let (_, all) = analyze("jsonl", &[&files[0]]);
    let (code, failing) = analyze("jsonl", &["--failing", &files[0]]);
    assert!(!all.is_empty());
    assert_eq!(
        (code, failing.len()),
        (Some(0), 0),
        "a healthy tunnel is not failing"
    );
    let (code, failing) = analyze("jsonl", &["--failing", &files[1]]);
    assert_eq!(code, Some(1));
    let first: Value = serde_json::from_slice(failing.split(|&b| b == b'\n').next().unwrap()).unwrap();
    assert_eq!(first["event_type"], "tunnel");
    assert_eq!(first["failure_kinds"], serde_json::json!(["auth_failure"]));
}

#[test]
fn separate_analyses_each_input_alone_in_input_order() {
    let files = own_captures();
    // Captures of the lab share their peer addresses: analysed together they would merge.
    let some: Vec<&str> = files.iter().step_by(3).map(String::as_str).collect();
    assert!(some.len() >= 5);
    let mut want = Vec::new();
    let mut worst = 0;
    for f in &some {
        let (code, out) = analyze("jsonl", &[f]);
        want.extend_from_slice(&out);
        worst = worst.max(code.unwrap());
    }
    let mut args = vec!["--separate"];
    args.extend_from_slice(&some);
    let (code, got) = analyze("jsonl", &args);
    assert_eq!(code, Some(worst));
    assert!(got == want, "--separate differs from one run per capture");
    // An unreadable input among them: exit 2, the others still reported.
    args.insert(2, "/nonexistent/x.pcap");
    let (code, got) = analyze("jsonl", &args);
    assert_eq!(code, Some(2));
    assert!(got == want);
}
