//! Decrypted differential test: with the key tables that sit beside the captures, the payload
//! types, notify types, proposals, vendor IDs and KE group of every decrypted IKE message agree
//! with tshark's decrypted decode (`*.truth.decrypted.json`). Where tshark "decrypted" with a key
//! whose integrity check fails (it does not verify the ICV), its output is garbage; those rows are
//! listed with the reason, and ikescope must report the integrity failure instead.

mod common;

use ikescope::app::keyfiles::keys_for;
use ikescope::app::pipeline::process_file;
use ikescope::capture::IngestEvent;
use ikescope::decode::RecordSink;
use ikescope::keys::KeyStore;
use ikescope::record::{IkeDecryption, Record};
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

/// Each captures/truth/*.truth.decrypted.json (made by captures/lab/decrypted_truth.py), in name
/// order: the capture's file name, the truth, and ikescope's records of that capture decoded with
/// the key tables beside it.
fn own_truths() -> Vec<(String, Value, Vec<Record>)> {
    let mut paths = Vec::new();
    files(&common::captures_dir().join("truth"), &mut paths);
    paths.sort();
    paths
        .iter()
        .map(|tf| {
            let name = tf
                .file_name()
                .unwrap()
                .to_string_lossy()
                .replace(".truth.decrypted.json", "");
            let truth: Value = serde_json::from_str(&std::fs::read_to_string(tf).unwrap()).unwrap();
            let cap = common::captures_dir().join(&name).to_string_lossy().into_owned();
            let keys = keys_for(&cap, &KeyStore::new(), true, true).keys;
            assert!(keys.is_some(), "{cap}: no key table found beside it");
            let mut g = Gather(Vec::new());
            process_file(&cap, 0, &Default::default(), keys, None, &mut g).unwrap();
            (name, truth, g.0)
        })
        .collect()
}

#[test]
fn decrypted_payloads_agree_with_tshark() {
    let Some(shared) = common::corpus_dir() else {
        return;
    };
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
        let keys = keys_for(&cap, &KeyStore::new(), true, true).keys;
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
                    ike.and_then(|i| i.decryption.as_ref()),
                    Some(&IkeDecryption::IntegrityFailed),
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

/// Own-capture records where tshark's decryption is wrong: (capture, frame, what ikescope must
/// show instead). In ikev1_psk_mismatch the responder derived other keys from its other PSK: its
/// Informational messages are noise under the initiator's key (tshark prints garbage, ikescope
/// must say wrong_key), and tshark chains the IV through those messages, so it garbles the
/// initiator's retransmissions too; they are byte-identical to frame 5 and must decrypt like it.
#[derive(Clone, Copy)]
enum OwnExpect {
    WrongKey,
    SameAs(u64),
    /// decrypts to this payload chain (types), as the sending daemon's log lists it
    Payloads(&'static [u64]),
}
const TSHARK_WRONG_OWN: &[(&str, u64, OwnExpect)] = &[
    ("ikev1_psk_mismatch.pcap", 6, OwnExpect::WrongKey),
    ("ikev1_psk_mismatch.pcap", 7, OwnExpect::SameAs(5)),
    ("ikev1_psk_mismatch.pcap", 8, OwnExpect::WrongKey),
    ("ikev1_psk_mismatch.pcap", 9, OwnExpect::SameAs(5)),
    ("ikev1_psk_mismatch.pcap", 10, OwnExpect::WrongKey),
    ("ikev1_psk_mismatch.pcap", 11, OwnExpect::SameAs(5)),
    ("ikev1_psk_mismatch.pcap", 12, OwnExpect::WrongKey),
    ("ikev1_psk_mismatch.pcap", 13, OwnExpect::SameAs(5)),
    ("ikev1_psk_mismatch.pcap", 14, OwnExpect::WrongKey),
];

/// The same for the cross-implementation captures, by file name prefix (a scenario's capture
/// points share their frames) and frame series. tshark chains the IKEv1 IV through
/// retransmissions and through messages it cannot decrypt, so after the first:
/// - `sw2lsw_ikev1_psk_mismatch*`: strongSwan re-sends its MM5 (frame 5) byte for byte;
/// - `lsw2sw_ikev1_ts_mismatch`: libreswan re-sends its Quick Mode 1 (frame 7) byte for byte;
/// - `lsw2sw_ikev1_psk_mismatch`: the key table is the strongSwan responder's, so libreswan's
///   MM5 copies are wrong_key, and strongSwan's answers are `[ HASH N(PLD_MAL) ]` (its log).
const TSHARK_WRONG_OWN_SERIES: &[(&str, &[u64], OwnExpect)] = &[
    (
        "sw2lsw_ikev1_psk_mismatch",
        &[8, 10, 12, 14],
        OwnExpect::SameAs(5),
    ),
    (
        "lsw2sw_ikev1_ts_mismatch.pcap",
        &[9, 10, 11, 12],
        OwnExpect::SameAs(7),
    ),
    (
        "lsw2sw_ikev1_psk_mismatch.pcap",
        &[5, 7, 9, 11, 13, 15],
        OwnExpect::WrongKey,
    ),
    (
        "lsw2sw_ikev1_psk_mismatch.pcap",
        &[6, 8, 10, 12, 14, 16],
        OwnExpect::Payloads(&[8, 11]),
    ),
];

/// Where tshark's decryption of an own capture's record is wrong (the two tables above).
fn tshark_wrong_own(name: &str, frame: u64) -> Option<OwnExpect> {
    let series = TSHARK_WRONG_OWN_SERIES
        .iter()
        .find(|(prefix, frames, _)| name.starts_with(prefix) && frames.contains(&frame))
        .map(|(_, _, e)| *e);
    series.or_else(|| {
        TSHARK_WRONG_OWN
            .iter()
            .find(|(c, f, _)| *c == name && *f == frame)
            .map(|(_, _, e)| *e)
    })
}

/// The project's own captures (captures/truth/, made by captures/lab/decrypted_truth.py with
/// tshark from the key tables the lab extracted from the daemons' logs): IKEv1 Main/Aggressive/
/// Quick Mode, IKEv2 including AES-CCM, and ESP. Every record tshark decrypted, ikescope
/// decrypts to the same payloads (IKE) or the same next header and pad length (ESP); records
/// ikescope decrypts beyond tshark are only those of algorithms Wireshark 4.0 lacks.
#[test]
fn own_captures_decrypt_like_tshark() {
    let truths = own_truths();
    assert!(
        truths.len() >= 20,
        "expected captures/truth/*.truth.decrypted.json, found {}",
        truths.len()
    );
    let (mut ike_total, mut ike_ok, mut esp_total, mut esp_ok, mut v1_ok) = (0, 0, 0, 0, 0);
    let mut beyond = BTreeMap::<String, usize>::new();
    let mut failures = Vec::new();
    for (name, truth, records) in &truths {
        let name = name.as_str();
        let mut got: BTreeMap<u64, Vec<&Record>> = BTreeMap::new();
        for r in records {
            got.entry(r.frame).or_default().push(r);
        }
        let mut tshark_frames = std::collections::BTreeSet::new();
        for r in truth["records"].as_array().unwrap() {
            let frame = r["frame"].as_u64().unwrap();
            let recs = got.get(&frame).map(|v| v.as_slice()).unwrap_or(&[]);
            if let Some(want) = r
                .get("ike")
                .and_then(|i| i.get("decrypted"))
                .filter(|d| !d.is_null())
            {
                tshark_frames.insert(frame);
                ike_total += 1;
                let ike = recs.iter().find_map(|r| r.ike.as_deref());
                if let Some(expect) = tshark_wrong_own(name, frame) {
                    let ok = match expect {
                        OwnExpect::WrongKey => {
                            ike.and_then(|i| i.decryption.as_ref()) == Some(&IkeDecryption::WrongKey)
                        }
                        OwnExpect::SameAs(first) => {
                            let dec = |f: u64| {
                                got.get(&f)
                                    .and_then(|v| v.iter().find_map(|r| r.ike.as_deref()))
                                    .and_then(|i| i.decrypted.as_ref())
                                    .map(|d| serde_json::to_value(d).unwrap())
                            };
                            dec(frame).is_some() && dec(frame) == dec(first)
                        }
                        OwnExpect::Payloads(chain) => ike
                            .and_then(|i| i.decrypted.as_ref())
                            .map(|d| serde_json::to_value(d).unwrap())
                            .is_some_and(|d| d["payloads"] == json!(chain)),
                    };
                    assert!(
                        ok,
                        "{name}:{frame}: expected {}",
                        match expect {
                            OwnExpect::WrongKey => "wrong_key".to_string(),
                            OwnExpect::SameAs(f) => format!("the decryption of frame {f}"),
                            OwnExpect::Payloads(chain) => format!("payloads {chain:?}"),
                        }
                    );
                    ike_ok += 1;
                    continue;
                }
                let got_dec = ike
                    .and_then(|i| i.decrypted.as_ref())
                    .map(|d| serde_json::to_value(d).unwrap());
                match got_dec {
                    Some(d) if project(&d) == project(want) => {
                        ike_ok += 1;
                        if ike.map(|i| i.version) == Some(1) {
                            v1_ok += 1;
                        }
                    }
                    other => failures.push(format!(
                        "{name}:{frame}: tshark {} ikescope {}",
                        project(want),
                        other
                            .map(|d| project(&d).to_string())
                            .unwrap_or_else(|| format!("{:?}", ike.map(|i| &i.decryption)))
                    )),
                }
            }
            if let Some(want) = r
                .get("esp")
                .and_then(|e| e.get("decrypted"))
                .filter(|d| !d.is_null())
            {
                tshark_frames.insert(frame);
                esp_total += 1;
                let d = recs.iter().find_map(|r| r.esp.as_ref()).and_then(|e| e.decrypted);
                match d {
                    Some(d)
                        if Some(d.next_header as u64) == want["next_header"].as_u64()
                            && Some(d.pad_len as u64) == want["pad_len"].as_u64() =>
                    {
                        esp_ok += 1
                    }
                    other => failures.push(format!("{name}:{frame}: tshark ESP {want} ikescope {other:?}")),
                }
            }
        }
        // What ikescope decrypts and tshark did not: only algorithms Wireshark 4.0 lacks (and
        // empty INFORMATIONAL bodies, whose empty chain the truth format cannot show).
        for r in records {
            let ours = r
                .ike
                .as_deref()
                .and_then(|i| i.decrypted.as_ref())
                .is_some_and(|d| !d.payloads.is_empty())
                || r.esp.as_ref().is_some_and(|e| e.decrypted.is_some());
            if ours && !tshark_frames.contains(&r.frame) {
                *beyond.entry(name.to_string()).or_default() += 1;
            }
        }
    }
    eprintln!(
        "own captures: IKE {ike_ok}/{ike_total} agree ({v1_ok} IKEv1), ESP {esp_ok}/{esp_total} agree; \
         decrypted beyond tshark: {beyond:?}"
    );
    assert!(
        failures.is_empty(),
        "{} records disagree:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        ike_ok >= 120 && v1_ok >= 19 && esp_ok >= 290,
        "too few records compared"
    );
    // ESP AES-CCM, IKEv2 and ESP AES-XCBC: Wireshark 4.0 has no such key table entries, the
    // charon logs are the truth there (tests/decrypt_algorithms.rs). ikev2_fragmentation_ok:
    // tshark 4.0 reassembles the SKF fragments of IKE_AUTH but does not decrypt the result.
    let extra: Vec<_> = beyond.keys().map(String::as_str).collect();
    assert_eq!(
        extra,
        [
            "ikev2_ccm_ok.pcap",
            "ikev2_fragmentation_ok.pcap",
            "ikev2_xcbc_ok.pcap"
        ],
        "decrypted beyond tshark: {beyond:?}"
    );
}

/// The IKEv2 traffic selectors (TSi then TSr) of every message tshark decrypted in the project's
/// captures, from a `tshark -T fields` pass with the same key tables
/// (`traffic_selectors` in captures/truth/, made by captures/lab/decrypted_truth.py).
#[test]
fn own_captures_traffic_selectors_agree_with_tshark() {
    let (mut frames, mut selectors) = (0, 0);
    let mut failures = Vec::new();
    for (name, truth, records) in &own_truths() {
        let Some(want) = truth["traffic_selectors"].as_object() else {
            panic!("{name}: no traffic_selectors in its truth file (remake it with decrypted_truth.py)");
        };
        if want.is_empty() {
            continue;
        }
        for (frame, rows) in want {
            let frame: u64 = frame.parse().unwrap();
            frames += 1;
            let want: Vec<Value> = rows.as_array().unwrap().clone();
            let got: Vec<Value> = records
                .iter()
                .filter(|r| r.frame == frame)
                .filter_map(|r| r.ike.as_deref())
                .filter_map(|i| i.decrypted.as_deref())
                .flat_map(|d| d.traffic_selectors.iter())
                .map(|t| {
                    json!([
                        t.start.to_string(),
                        t.end.to_string(),
                        t.protocol,
                        t.start_port,
                        t.end_port
                    ])
                })
                .collect();
            selectors += want.len();
            if got != want {
                failures.push(format!("{name}:{frame}: tshark {want:?} ikescope {got:?}"));
            }
        }
    }
    eprintln!("traffic selectors: {frames} messages, {selectors} selectors compared");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        frames >= 30 && selectors >= 60,
        "too few compared: {frames} messages"
    );
}

/// The identification payloads (IKEv2 IDi/IDr, IKEv1 phase-1 IDs and Quick Mode proxy IDs, in
/// clear or decrypted) of every message of the project's captures: ID types in order and the
/// addresses of the address IDs (`ids` in captures/truth/). The frames where tshark decrypted
/// with the wrong key or IV (TSHARK_WRONG_OWN) are left out.
#[test]
fn own_captures_identities_agree_with_tshark() {
    let (mut frames, mut v1) = (0, 0);
    let mut failures = Vec::new();
    for (name, truth, records) in &own_truths() {
        let Some(want) = truth["ids"].as_object() else {
            panic!("{name}: no ids in its truth file (remake it with decrypted_truth.py)");
        };
        if want.is_empty() {
            continue;
        }
        for (frame, w) in want {
            let frame: u64 = frame.parse().unwrap();
            if TSHARK_WRONG_OWN.iter().any(|(c, f, _)| c == name && *f == frame) {
                continue;
            }
            frames += 1;
            let ike = records
                .iter()
                .filter(|r| r.frame == frame)
                .find_map(|r| r.ike.as_deref());
            // clear IDs (IKEv1 Aggressive Mode) and decrypted ones, in that order
            let ids: Vec<_> = ike
                .map(|i| {
                    let inner = i.decrypted.as_deref().map(|d| d.ids.as_slice()).unwrap_or(&[]);
                    i.ids.iter().chain(inner).cloned().collect()
                })
                .unwrap_or_default();
            if ike.map(|i| i.version) == Some(1) {
                v1 += 1;
            }
            let types: Vec<u64> = ids.iter().map(|i| u64::from(i.id_type)).collect();
            let addrs = |t: u8| -> Vec<String> {
                ids.iter()
                    .filter(|i| i.id_type == t)
                    .map(|i| i.value.clone())
                    .collect()
            };
            let got = json!({"types": types, "ipv4": addrs(1), "ipv6": addrs(5)});
            if &got != w {
                failures.push(format!("{name}:{frame}: tshark {w} ikescope {got}"));
            }
        }
    }
    eprintln!("identities: {frames} messages ({v1} IKEv1) compared");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        frames >= 30 && v1 >= 8,
        "too few compared: {frames} messages, {v1} IKEv1"
    );
}
