//! Decrypted differential test: with the key tables that sit beside the captures, the payload
//! types, notify types, proposals, vendor IDs and KE group of every decrypted IKE message agree
//! with tshark's decrypted decode (`*.truth.decrypted.json`). Where tshark "decrypted" with a key
//! whose integrity check fails (it does not verify the ICV), its output is garbage; those rows are
//! listed with the reason, and ikescope must report the integrity failure instead.

mod common;

use ikescope::capture::IngestEvent;
use ikescope::pipeline::{keys_for, process_file, RecordSink};
use ikescope::record::Record;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// (capture suffix, frame, reason): tshark's decrypted record is garbage.
const TSHARK_GARBAGE: &[(&str, u64, &str)] = &[
    (
        "captures/dpd_flap.pcap",
        25,
        "the shared key table pairs the first IKE SA's keys with these SPIs",
    ),
    ("captures/dpd_flap.pcap", 26, "same key table row as frame 25"),
    (
        "captures/rekey_flap.pcap",
        51,
        "the shared key table pairs the first IKE SA's keys with these SPIs",
    ),
    ("captures/rekey_flap.pcap", 77, "same key table row as frame 51"),
    ("captures/rekey_flap.pcap", 78, "same key table row as frame 51"),
    ("captures/rekey_flap.pcap", 91, "same key table row as frame 51"),
    ("captures/rekey_flap.pcap", 97, "same key table row as frame 51"),
];

struct Gather(Vec<Record>);

impl RecordSink for Gather {
    fn record(&mut self, r: Record) {
        self.0.push(r);
    }
    fn event(&mut self, _: usize, _: &IngestEvent) {}
}

fn project(d: &Value) -> Value {
    let props = common::project_proposals(&d["proposals"]);
    json!({"payloads": d["payloads"], "notify": d["notify"], "vendor_ids": d["vendor_ids"],
           "ke_group": d["ke_group"], "proposals": props})
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files(&p, out);
        } else if p.to_string_lossy().ends_with(".truth.decrypted.json") {
            out.push(p);
        }
    }
}

#[test]
fn decrypted_payloads_agree_with_tshark() {
    let shared = common::shared_dir();
    let mut truths = Vec::new();
    files(&shared, &mut truths);
    truths.sort();
    assert!(
        truths.len() >= 12,
        "expected the decrypted truth files, found {}",
        truths.len()
    );
    let (mut total, mut matched, mut garbage_refused) = (0, 0, 0);
    let mut failures = Vec::new();
    for tf in &truths {
        let cap = tf
            .to_string_lossy()
            .trim_end_matches(".truth.decrypted.json")
            .to_string();
        let truth: Value = serde_json::from_str(&std::fs::read_to_string(tf).unwrap()).unwrap();
        let keys = keys_for(&cap, &[], true, true).unwrap();
        assert!(keys.is_some(), "{cap}: no key table found beside it");
        let mut g = Gather(Vec::new());
        process_file(&cap, 0, &Default::default(), keys, None, &mut g).unwrap();
        let mut got: BTreeMap<u64, &Record> = BTreeMap::new();
        for r in &g.0 {
            got.entry(r.frame).or_insert(r);
        }
        for r in truth["records"].as_array().unwrap() {
            let Some(want) = r
                .get("ike")
                .and_then(|i| i.get("decrypted"))
                .filter(|d| !d.is_null())
            else {
                continue;
            };
            let frame = r["frame"].as_u64().unwrap();
            total += 1;
            let rec = got.get(&frame);
            let ike = rec.and_then(|r| r.ike.as_deref());
            if let Some((_, _, _)) = TSHARK_GARBAGE
                .iter()
                .find(|(c, f, _)| cap.ends_with(c) && *f == frame)
            {
                // ikescope must refuse the wrong key rather than print garbage.
                assert_eq!(
                    ike.and_then(|i| i.decryption.as_deref()),
                    Some("integrity_failed"),
                    "{cap}:{frame}: expected an integrity failure"
                );
                garbage_refused += 1;
                continue;
            }
            let got_dec = ike
                .and_then(|i| i.decrypted.as_ref())
                .map(|d| serde_json::to_value(d).unwrap());
            match got_dec {
                Some(d) if project(&d) == project(want) => matched += 1,
                other => failures.push(format!(
                    "{cap}:{frame}: tshark {} ikescope {}",
                    project(want),
                    other
                        .map(|d| project(&d).to_string())
                        .unwrap_or_else(|| format!("{:?}", ike.map(|i| &i.decryption)))
                )),
            }
        }
    }
    eprintln!("decrypted: {matched}/{total} agree, {garbage_refused} wrong-key rows refused");
    assert!(matched >= 20, "too few decrypted records compared: {matched}");
    assert!(
        failures.is_empty(),
        "{} decrypted records disagree:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
