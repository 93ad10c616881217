//! Differential test against tshark: every IKE and ESP record of every truth file in
//! `../shared/public-captures` and `../shared/captures` must agree with `ikescope decode` on
//! version, exchange, flags, SPIs, message id, payload chain, notify types, vendor IDs, KE group,
//! fragment info and proposals/transforms (IKE), and SPI/sequence (ESP). Disagreements where
//! tshark is wrong are listed in `TSHARK_WRONG` with the reason.

mod common;

use ikescope::app::pipeline::process_file;
use ikescope::capture::IngestEvent;
use ikescope::decode::RecordSink;
use ikescope::record::Record;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// (capture path suffix, frame, reason): records where tshark's decode is wrong.
const TSHARK_WRONG: &[(&str, u64, &str)] = &[
    (
        "tcpdump/ISAKMP_sa_setup/ISAKMP_sa_setup.pcap",
        3,
        "tshark stops the chain at the first payload of type 15 although its length is consistent; \
         the chain holds a second type-15 payload, which ikescope lists",
    ),
    (
        "tcpdump/ISAKMP_sa_setup/ISAKMP_sa_setup.pcap",
        4,
        "same as frame 3",
    ),
    (
        "tcpdump/esp_truncated/esp_truncated.pcap",
        1,
        "the snaplen cut the frame after the SPI: there is no sequence number; tshark says null, \
         ikescope reports 0 on a record marked truncated",
    ),
    (
        "tcpdump/ikev2pI2-segfault/ikev2pI2-segfault.pcapng",
        1,
        "tshark invents an all-null proposal for a proposal whose length is broken; ikescope reports \
         the fault as a problem instead (tshark flags the packet malformed)",
    ),
    (
        "tcpdump/isakmp-delete-segfault/isakmp-delete-segfault.pcap",
        1,
        "the header length field claims about 1.1 GB; tshark drops the header fields (null \
         exchange), ikescope decodes the header and reports the bad length (tshark: malformed)",
    ),
    (
        "tcpdump/isakmp-various-oobr/isakmp-various-oobr.pcap",
        1,
        "tshark lists no payload for this malformed message; ikescope lists the first payload \
         header it could read and reports the out-of-bounds length as a problem",
    ),
    (
        "tcpdump/isakmpv1-attr-oobr/isakmpv1-attr-oobr.pcap",
        1,
        "as isakmp-various-oobr: tshark lists no payload, ikescope lists the first one and \
         reports the attribute overrun",
    ),
];

struct Gather(Vec<Value>);

impl RecordSink for Gather {
    fn record(&mut self, r: Record) {
        self.0.push(serde_json::to_value(&r).unwrap());
    }
    fn event(&mut self, _: usize, _: &IngestEvent) {}
}

fn project(rec: &Value) -> Value {
    let kind = rec["kind"].as_str().unwrap_or_default();
    match kind {
        "ike" => {
            let ike = &rec["ike"];
            let props = common::project_proposals(&ike["proposals"]);
            let frag = match &ike["fragment"] {
                Value::Null => Value::Null,
                f => json!([f["number"], f["total"]]),
            };
            json!({
                "kind": kind,
                "version": ike["version"], "exchange": ike["exchange"], "initiator": ike["initiator"],
                "response": ike["response"], "encrypted": ike["encrypted"], "spi_i": ike["spi_i"],
                "spi_r": ike["spi_r"], "message_id": ike["message_id"], "payloads": ike["payloads"],
                "notify": ike["notify"], "vendor_ids": ike["vendor_ids"], "ke_group": ike["ke_group"],
                "proposals": props, "fragment": frag,
            })
        }
        "esp" => json!({"kind": kind, "spi": rec["esp"]["spi"], "seq": rec["esp"]["seq"]}),
        _ => json!({"kind": kind}),
    }
}

fn truth_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            truth_files(&p, out);
        } else {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            if name.ends_with(".truth.json") && !name.ends_with(".truth.decrypted.json") {
                out.push(p);
            }
        }
    }
}

#[test]
fn decode_agrees_with_tshark() {
    let Some(shared) = common::corpus_dir() else {
        return;
    };
    let mut files = Vec::new();
    truth_files(&shared.join("public-captures"), &mut files);
    truth_files(&shared.join("captures"), &mut files);
    files.sort();
    assert!(
        files.len() >= 80,
        "expected the shared truth files, found {}",
        files.len()
    );
    let (mut total, mut matched) = (0usize, 0usize);
    let mut failures = Vec::new();
    for tf in &files {
        let cap = tf.to_string_lossy().trim_end_matches(".truth.json").to_string();
        if !Path::new(&cap).exists() {
            continue;
        }
        let truth: Value = serde_json::from_str(&std::fs::read_to_string(tf).unwrap()).unwrap();
        let mut want: BTreeMap<u64, Vec<&Value>> = BTreeMap::new();
        for r in truth["records"].as_array().unwrap() {
            let k = r["kind"].as_str().unwrap_or_default();
            if (k == "ike" || k == "esp") && r.get("inside_esp").is_none() {
                want.entry(r["frame"].as_u64().unwrap()).or_default().push(r);
            }
        }
        let mut g = Gather(Vec::new());
        let _ = process_file(&cap, 0, &Default::default(), None, None, &mut g);
        let mut got: BTreeMap<u64, Vec<Value>> = BTreeMap::new();
        for r in g.0 {
            let k = r["kind"].as_str().unwrap_or_default().to_string();
            if k == "ike" || k == "esp" {
                got.entry(r["frame"].as_u64().unwrap()).or_default().push(r);
            }
        }
        for (frame, recs) in &want {
            for (i, r) in recs.iter().enumerate() {
                total += 1;
                let a = project(r);
                let b = got.get(frame).and_then(|v| v.get(i)).map(project);
                if Some(&a) == b.as_ref() {
                    matched += 1;
                    continue;
                }
                if TSHARK_WRONG
                    .iter()
                    .any(|(c, f, _)| cap.ends_with(c) && f == frame)
                {
                    matched += 1;
                    continue;
                }
                let diff = match &b {
                    None => "missing".to_string(),
                    Some(b) => a
                        .as_object()
                        .unwrap()
                        .iter()
                        .filter(|(k, v)| b.get(*k) != Some(v))
                        .map(|(k, v)| format!("{k}: tshark {v} ikescope {}", b[k]))
                        .collect::<Vec<_>>()
                        .join("; "),
                };
                failures.push(format!(
                    "{}:{frame}: {diff}",
                    cap.trim_start_matches(&*shared.to_string_lossy())
                ));
            }
        }
    }
    let pct = 100.0 * matched as f64 / total.max(1) as f64;
    eprintln!("decode vs tshark: {matched}/{total} records ({pct:.2}%)");
    assert!(total >= 1800, "too few truth records: {total}");
    assert!(
        failures.is_empty(),
        "{} records disagree with tshark ({matched}/{total}):\n{}",
        failures.len(),
        failures.iter().take(60).cloned().collect::<Vec<_>>().join("\n")
    );
}
