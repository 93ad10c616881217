//! The command line as scripts use it: exit statuses, JSON Lines, stdin and gzip input, and
//! malformed IKE messages reported with file, frame and offset while the rest is decoded.
mod common;

use std::io::Write;
use std::process::{Command, Stdio};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ikescope"))
}

/// `ikescope analyze --format json -q ARGS...`: exit status and the parsed document.
fn analyze_json<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> (Option<i32>, serde_json::Value) {
    let out = bin()
        .args(["analyze", "--format", "json", "-q"])
        .args(args)
        .output()
        .unwrap();
    let doc = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "analyze {:?}: {e}",
            args.iter().map(|a| a.as_ref().to_owned()).collect::<Vec<_>>()
        )
    });
    (out.status.code(), doc)
}

/// A classic pcap (Ethernet) holding the given UDP payloads 192.0.2.1:500 -> 198.51.100.1:500.
fn pcap_with_udp(payloads: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&0xa1b2c3d4u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&0i32.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&65535u32.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes());
    for (i, p) in payloads.iter().enumerate() {
        let mut frame = Vec::new();
        frame.extend_from_slice(&[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00]);
        let total = 20 + 8 + p.len();
        frame.extend_from_slice(&[0x45, 0, (total >> 8) as u8, total as u8, 0, 1, 0, 0, 64, 17, 0, 0]);
        frame.extend_from_slice(&[192, 0, 2, 1, 198, 51, 100, 1]);
        let ulen = 8 + p.len();
        frame.extend_from_slice(&[0x01, 0xf4, 0x01, 0xf4, (ulen >> 8) as u8, ulen as u8, 0, 0]);
        frame.extend_from_slice(p);
        out.extend_from_slice(&(1_700_000_000u32 + i as u32).to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        out.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        out.extend_from_slice(&frame);
    }
    out
}

/// An IKEv2 IKE_SA_INIT request header (28 bytes) followed by `body`, first payload `np`.
fn ikev2(np: u8, body: &[u8]) -> Vec<u8> {
    let mut m = vec![
        1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0, 0, 0, 0, np, 0x20, 34, 0x08, 0, 0, 0, 0,
    ];
    m.extend_from_slice(&((28 + body.len()) as u32).to_be_bytes());
    m.extend_from_slice(body);
    m
}

fn write_temp(name: &str, bytes: &[u8]) -> common::ScratchFile {
    common::scratch_file(name, bytes)
}

#[test]
fn malformed_messages_are_reported_and_the_rest_is_decoded() {
    // 1: a Nonce payload whose length runs past the end; 2: a zero-length payload header;
    // 3: a payload length below 4 (a chain that would loop); 4: a valid Nonce.
    let past_end = ikev2(40, &[0, 0, 0, 200, 1, 2, 3, 4]);
    let zero_len = ikev2(40, &[40, 0, 0, 0]);
    let loop_len = ikev2(41, &[41, 0, 0, 2, 41, 0, 0, 2]);
    let good = ikev2(40, &[0, 0, 0, 8, 9, 9, 9, 9]);
    let pcap = write_temp(
        "malformed.pcap",
        &pcap_with_udp(&[past_end, zero_len, loop_len, good]),
    );
    let out = bin()
        .args(["decode", "--format", "json"])
        .arg(&pcap)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4, "every packet still yields a record");
    for (i, l) in lines.iter().take(3).enumerate() {
        let problems = l["problems"]
            .as_array()
            .unwrap_or_else(|| panic!("frame {} has no problems", i + 1));
        assert!(!problems.is_empty());
        assert!(
            problems[0]["offset"].as_u64().unwrap() >= 28,
            "offset is inside the body: {l}"
        );
        assert_eq!(l["frame"], i as u64 + 1);
    }
    assert!(
        lines[3].get("problems").is_none(),
        "the valid message has no problems"
    );
    assert_eq!(lines[3]["ike"]["payloads"], serde_json::json!([40]));
    // The text form names frame and offset on the line.
    let text = bin().arg("decode").arg(&pcap).output().unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(
        text.lines().next().unwrap().contains("malformed at offset"),
        "{text}"
    );
}

#[test]
fn exit_statuses() {
    let shared = concat!(env!("CARGO_MANIFEST_DIR"), "/captures");
    let ok = bin()
        .args(["analyze", "-q", &format!("{shared}/ikev2_ok.pcap")])
        .output()
        .unwrap();
    assert_eq!(ok.status.code(), Some(0));
    let bad = bin()
        .args(["analyze", "-q", &format!("{shared}/ikev2_psk_mismatch.pcap")])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
    let missing = bin().args(["analyze", "/nonexistent/x.pcap"]).output().unwrap();
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/nonexistent/x.pcap"));
    let not_pcap = write_temp("not.pcap", b"this is not a capture file at all");
    let d = bin().arg("decode").arg(&not_pcap).output().unwrap();
    assert_eq!(d.status.code(), Some(2));
    let bad_keys = bin()
        .args([
            "analyze",
            "--keys",
            "/nonexistent/keys",
            &format!("{shared}/ikev2_ok.pcap"),
        ])
        .output()
        .unwrap();
    assert_eq!(bad_keys.status.code(), Some(2));
}

#[test]
fn stdin_and_gzip_input() {
    let cap = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/captures/ikev2_ok.pcap")).unwrap();
    let direct = bin()
        .args([
            "decode",
            "--format",
            "json",
            concat!(env!("CARGO_MANIFEST_DIR"), "/captures/ikev2_ok.pcap"),
        ])
        .output()
        .unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&cap).unwrap();
    let gz = gz.finish().unwrap();
    let mut child = bin()
        .args(["decode", "--format", "json", "--no-auto-keys", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&gz).unwrap();
    let piped = child.wait_with_output().unwrap();
    assert_eq!(piped.status.code(), Some(0));
    let strip = |b: &[u8]| -> Vec<serde_json::Value> {
        String::from_utf8_lossy(b)
            .lines()
            .map(|l| {
                let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
                v.as_object_mut().unwrap().remove("file");
                if let Some(ike) = v.get_mut("ike").and_then(|i| i.as_object_mut()) {
                    ike.remove("decrypted");
                    ike.remove("decryption");
                }
                // stdin has no place beside it to find key tables in
                if let Some(esp) = v.get_mut("esp").and_then(|e| e.as_object_mut()) {
                    esp.remove("decrypted");
                    esp.remove("decryption");
                }
                v
            })
            .collect()
    };
    let a = strip(&direct.stdout);
    assert!(a.len() > 10);
    assert_eq!(
        a,
        strip(&piped.stdout),
        "gzip on stdin decodes like the plain file"
    );
}

#[test]
fn analyze_json_contract_keys() {
    let (_, doc) = analyze_json(&[concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/captures/ikev2_p1_proposal_mismatch.pcap"
    )]);
    for k in ["file", "packets", "ike_packets", "esp_packets", "malformed"] {
        assert!(doc["inputs"][0].get(k).is_some(), "inputs[].{k}");
    }
    let t = &doc["tunnels"][0];
    for k in [
        "id",
        "peers",
        "ike_versions",
        "state",
        "ike_sas",
        "child_sas",
        "esp",
    ] {
        assert!(t.get(k).is_some(), "tunnels[].{k}");
    }
    assert_eq!(t["state"], "failed");
    let f = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "proposal_mismatch")
        .unwrap();
    for k in [
        "kind",
        "tunnel",
        "phase",
        "severity",
        "confidence",
        "initiator",
        "responder",
        "summary",
        "evidence",
        "fix",
    ] {
        assert!(f.get(k).is_some(), "findings[].{k}");
    }
    assert_eq!(f["phase"], "phase1");
    assert_eq!(f["severity"], "error");
    assert_eq!(f["confidence"], "certain");
    assert_eq!(f["tunnel"], t["id"]);
    let ev = &f["evidence"][0];
    assert!(ev["file"]
        .as_str()
        .unwrap()
        .ends_with("ikev2_p1_proposal_mismatch.pcap"));
    assert!(ev["frame"].as_u64().unwrap() >= 1);
    assert!(!ev["note"].as_str().unwrap().is_empty());
}

#[test]
fn connections_offering_different_ike_proposals_are_flagged() {
    // Two captures of the same pair: the IKEv1 initiator offers SHA-1 in one and SHA-256 in the other.
    let sha1 = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/captures/ikev1_p1_proposal_mismatch.pcap"
    );
    let sha256 = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/captures/ikev1_p2_proposal_mismatch.pcap"
    );
    let (_, doc) = analyze_json(&[sha1, sha256]);
    let f = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "proposal_inconsistent")
        .expect("proposal_inconsistent finding");
    assert_eq!(f["severity"], "warning");
    assert_eq!(f["initiator"], "192.0.2.1");
    let summary = f["summary"].as_str().unwrap();
    assert!(
        summary.contains("aes128-sha1-modp2048") && summary.contains("aes128-sha256-modp2048"),
        "{summary}"
    );
    // Each capture alone is consistent.
    for cap in [sha1, sha256] {
        let (_, alone) = analyze_json(&[cap]);
        assert!(!alone["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["kind"] == "proposal_inconsistent"));
    }
}

/// `analyze --keys RESPONDER.log`: the refusing end's daemon log supplies the half of the
/// negotiation the wire does not carry (its configured proposals or selectors, and every clause
/// that differs), on the project's captures and on the shared ones.
#[test]
fn the_refusing_ends_log_names_its_configuration() {
    let finding = |dir: &str, name: &str, kind: &str| -> serde_json::Value {
        let cap = format!("{}/{dir}/{name}.pcap", env!("CARGO_MANIFEST_DIR"));
        let log = format!("{}/{dir}/{name}.right.log", env!("CARGO_MANIFEST_DIR"));
        assert!(std::path::Path::new(&log).exists(), "{log} is missing");
        let (_, doc) = analyze_json(&["--no-auto-keys", "--keys", &log, &cap]);
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["kind"] == kind)
            .unwrap_or_else(|| panic!("{name}: no {kind} finding"))
            .clone()
    };
    let f = finding("captures", "ikev2_p2_proposal_mismatch", "proposal_mismatch");
    assert_eq!(f["confidence"], "certain");
    assert_eq!(f["details"]["offered"], serde_json::json!(["aes128-sha256"]));
    assert_eq!(
        f["details"]["refuser_configured"],
        serde_json::json!(["aes256gcm16"])
    );
    assert_eq!(
        f["details"]["disagree_on"],
        serde_json::json!(["encryption algorithm", "integrity algorithm"])
    );
    let f = finding("captures", "ikev1_p1_proposal_mismatch", "proposal_mismatch");
    assert_eq!(f["phase"], "phase1");
    // its log: "configured proposals: IKE:3DES_CBC/HMAC_MD5_96/PRF_HMAC_MD5/MODP_1024"
    assert_eq!(
        f["details"]["refuser_configured"],
        serde_json::json!(["3des-md5-modp1024"])
    );
    assert_eq!(
        f["details"]["disagree_on"],
        serde_json::json!(["encryption algorithm", "integrity algorithm", "PRF", "DH group"])
    );
    let f = finding("captures", "ikev2_ts_mismatch", "ts_mismatch");
    assert_eq!(
        f["details"]["refuser_remote_selectors"],
        serde_json::json!(["10.9.9.0/24"])
    );
    assert_eq!(
        f["details"]["refuser_local_selectors"],
        serde_json::json!(["10.2.0.1/32"])
    );
    assert!(f["summary"]
        .as_str()
        .unwrap()
        .contains("ikev2_ts_mismatch.right.log:304"));
}

/// A wrong ESP key is reported as such, packet by packet in `decode` and per flow in `analyze`,
/// never as garbage: the esp_sa rows of ikev2_ok with the two directions' keys swapped.
#[test]
fn a_wrong_esp_key_fails_the_integrity_check_visibly() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/captures");
    let rows: Vec<String> = std::fs::read_to_string(format!("{dir}/ikev2_ok.esp_sa"))
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    assert_eq!(rows.len(), 2);
    let cols = |r: &str| r.split("\",\"").map(String::from).collect::<Vec<_>>();
    let (mut a, mut b) = (cols(&rows[0]), cols(&rows[1]));
    for i in [5, 7] {
        std::mem::swap(&mut a[i], &mut b[i]);
    }
    let swapped = format!("{}\n{}\n", a.join("\",\""), b.join("\",\""));
    let keys = write_temp("swapped.esp_sa", swapped.as_bytes());
    let cap = format!("{dir}/ikev2_ok.pcap");
    let out = bin()
        .args(["decode", "--format", "json", "--no-auto-keys", "--keys"])
        .arg(&keys)
        .arg(&cap)
        .output()
        .unwrap();
    let (mut failed, mut opened) = (0, 0);
    for l in String::from_utf8_lossy(&out.stdout).lines() {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        match v["esp"]["decryption"].as_str() {
            Some("integrity_failed") => {
                failed += 1;
                assert!(v["esp"].get("decrypted").is_none(), "no garbage: {l}");
            }
            Some("ok") => opened += 1,
            _ => {}
        }
    }
    assert_eq!((failed, opened), (10, 0));
    let keys = keys.to_string_lossy().into_owned();
    let (_, doc) = analyze_json(&["--no-auto-keys", "--keys", &keys, &cap]);
    let flows = doc["tunnels"][0]["esp"].as_array().unwrap();
    assert_eq!(flows.len(), 2);
    for f in flows {
        assert_eq!(
            (f["key_mismatch"].as_u64(), f["decrypted"].as_u64()),
            (Some(5), Some(0))
        );
    }
    // and with the right keys (beside the capture) every packet opens
    let (_, doc) = analyze_json(&[&cap]);
    for f in doc["tunnels"][0]["esp"].as_array().unwrap() {
        assert_eq!(
            (f["key_mismatch"].as_u64(), f["decrypted"].as_u64()),
            (Some(0), Some(5))
        );
    }
}

/// `--peer` (decode, analyze) and `--failing` (analyze) narrow a gateway capture to what the
/// engineer asks about; cross-tunnel findings are made on all tunnels first, and the exit status
/// follows what is shown.
#[test]
fn peer_and_failing_select_tunnels() {
    let cap = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/captures/multi_tunnel_ts_overlap.pcap"
    );
    let analyze = |extra: &[&str]| {
        let mut args = extra.to_vec();
        args.push(cap);
        let (code, doc) = analyze_json(&args);
        let ids: Vec<String> = doc["tunnels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_str().unwrap().to_string())
            .collect();
        let kinds: Vec<String> = doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["kind"].as_str().unwrap().to_string())
            .collect();
        (code, ids, kinds)
    };
    let (code, ids, kinds) = analyze(&[]);
    assert_eq!((code, ids.len()), (Some(1), 2));
    assert!(kinds.contains(&"ts_overlap".to_string()));
    // the quiet tunnel alone: its overlap partner's finding is not shown, exit 0
    let (code, ids, kinds) = analyze(&["--peer", "198.51.100.2"]);
    assert_eq!((code, ids), (Some(0), vec!["192.0.2.1-198.51.100.2".to_string()]));
    assert!(kinds.iter().all(|k| k != "ts_overlap"), "{kinds:?}");
    // a network selects both
    let (_, ids, _) = analyze(&["--peer", "198.51.100.0/24"]);
    assert_eq!(ids.len(), 2);
    let (_, doc) = analyze_json(&["--failing", cap]);
    assert_eq!(
        doc["selection"],
        serde_json::json!({"tunnels_total": 2, "tunnels_shown": 1})
    );
    assert!(analyze_json(&[cap]).1.get("selection").is_none());
    // --failing keeps the tunnel with warnings, found on all tunnels
    let (code, ids, kinds) = analyze(&["--failing"]);
    assert_eq!((code, ids), (Some(1), vec!["192.0.2.1-198.51.100.1".to_string()]));
    assert!(kinds.contains(&"ts_overlap".to_string()) && kinds.contains(&"ts_reserved_range".to_string()));
    // decode --peer: only that peer's packets (IKE_SA_INIT, IKE_AUTH, INFORMATIONAL pairs)
    let out = bin()
        .args(["decode", "-q", "--peer", "198.51.100.2", cap])
        .output()
        .unwrap();
    let lines: Vec<_> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(String::from)
        .collect();
    assert_eq!(lines.len(), 6);
    assert!(lines.iter().all(|l| l.contains("198.51.100.2")));
    // a bad --peer is a usage error
    let out = bin()
        .args(["analyze", "--peer", "nonsense", cap])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
