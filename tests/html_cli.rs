//! `analyze --format html -o FILE` and `--bandwidth RATE` from the command line: the page is
//! self-contained, and the ceiling makes `bandwidth_saturation` appear in JSON and text exactly
//! when a direction's ESP reaches 80 % of it.

use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ikescope"))
}

fn capture(name: &str) -> String {
    format!("{}/captures/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn html_goes_to_the_output_file_and_names_nothing_outside() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("r.html");
    let out = bin()
        .args(["analyze", "-q", "--format", "html", "-o"])
        .arg(&page)
        .arg(capture("ikev2_psk_mismatch.pcap"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "a failing capture exits 1 in HTML too"
    );
    assert!(out.stdout.is_empty(), "-o: nothing on stdout");
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("Content-Security-Policy\" content=\"default-src 'none'"));
    for attr in ["src=\"http", "href=\"http", "url(http", "@import"] {
        assert!(!html.contains(attr), "{attr} in the page");
    }
    // the data document is there and names the failure
    assert!(html.contains("\"kind\":\"auth_failure\""));
}

#[test]
fn bandwidth_saturation_follows_the_ceiling() {
    let run = |rate: &str, format: &str| {
        bin()
            .args(["analyze", "-q", "--format", format, "--bandwidth", rate])
            .arg(capture("ikev2_ok.pcap"))
            .output()
            .unwrap()
    };
    // ikev2_ok carries one 136-byte ESP packet per second each way: 1,088 bit/s.
    let out = run("1k", "json");
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let sat: Vec<&serde_json::Value> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "bandwidth_saturation")
        .collect();
    assert_eq!(sat.len(), 2, "one per direction");
    for f in &sat {
        assert_eq!(f["severity"], "warning");
        assert_eq!(f["details"]["peak_bps"], 1088);
        assert_eq!(f["details"]["bandwidth_bps"], 1000);
        assert_eq!(f["details"]["interval_s"], 1.0);
        assert!(!f["evidence"].as_array().unwrap().is_empty());
    }
    let tp = &doc["tunnels"][0]["throughput"];
    assert_eq!(tp.as_array().unwrap().len(), 2);
    assert_eq!(
        tp[0]["bytes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b.as_u64().unwrap())
            .sum::<u64>(),
        680
    );
    let text = String::from_utf8(run("1k", "text").stdout).unwrap();
    assert!(text.contains("bandwidth_saturation"), "{text}");
    // 1,088 bit/s is 80 % of 1,360 bit/s: at that ceiling it still counts, just above it not
    let at = |rate: &str| {
        let doc: serde_json::Value = serde_json::from_slice(&run(rate, "json").stdout).unwrap();
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["kind"] == "bandwidth_saturation")
            .count()
    };
    assert_eq!(at("1360"), 2);
    assert_eq!(at("1361"), 0);
    let out = run("100M", "json");
    assert_eq!(
        out.status.code(),
        Some(0),
        "a healthy tunnel far below the ceiling"
    );
}

#[test]
fn bad_rates_and_html_decode_are_refused() {
    let out = bin()
        .args(["analyze", "--bandwidth", "fast"])
        .arg(capture("ikev2_ok.pcap"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a rate"));
    let out = bin()
        .args(["decode", "--format", "html"])
        .arg(capture("ikev2_ok.pcap"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
