//! Decryption against real captures: IKEv2 key tables and charon logs vs tshark's decrypted truth,
//! wrong-key behaviour, and IKEv1 IV/decryption checks against charon's own logged values.
//!
//! Runs on the project's own captures (captures/, truth in captures/truth/); the public captures
//! and the shared strongSwan captures of `../shared` are added when that corpus is beside the
//! project (the tests that need only it are skipped without it, see tests/common).

use ikescope::decrypt::ikev2::{self, inner_payload_types, FragKey, Ikev2Reassembler, SkOutcome};
use ikescope::keys::{detect_format, KeyFileFormat, KeyStore, Secret};
use ikescope::record::Spi8;
use pcap_parser::{create_reader, Block, PcapBlockOwned, PcapError};
use serde_json::Value;
use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

mod common;

/// Directories of strongSwan lab captures with their logs and key tables, each with the directory
/// of its tshark truth files: the project's own (always) and the shared corpus's (when present).
fn lab_capture_dirs() -> Vec<(PathBuf, PathBuf)> {
    let own = common::captures_dir();
    let mut dirs = vec![(own.clone(), own.join("truth"))];
    if let Some(sh) = common::corpus_extra() {
        dirs.push((sh.join("captures"), sh.join("captures")));
    }
    dirs
}

/// One IKE message found in a capture.
struct IkeMsg {
    frame: u64,
    bytes: Vec<u8>,
    src: Ipv4Addr,
    dst: Ipv4Addr,
}

/// One ESP packet found in a capture (UDP-encapsulated or protocol 50).
#[allow(dead_code)]
struct EspPkt {
    frame: u64,
    bytes: Vec<u8>,
    src: Ipv4Addr,
    dst: Ipv4Addr,
}

/// (src, dst, IP id, protocol) of an IPv4 datagram being reassembled.
type FragId = (Ipv4Addr, Ipv4Addr, u16, u8);
/// (offset, more fragments, data) of one IPv4 fragment.
type IpFrag = (usize, bool, Vec<u8>);

/// Minimal Ethernet/IPv4/UDP walker with IPv4 reassembly (test helper only).
fn read_capture(path: &Path) -> (Vec<IkeMsg>, Vec<EspPkt>) {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut reader = create_reader(1 << 20, file).expect("pcap reader");
    let mut frames: Vec<(u32, Vec<u8>)> = Vec::new();
    let mut linktypes: Vec<u32> = Vec::new();
    loop {
        match reader.next() {
            Ok((off, block)) => {
                match block {
                    PcapBlockOwned::LegacyHeader(h) => linktypes = vec![h.network.0 as u32],
                    PcapBlockOwned::Legacy(b) => {
                        let n = (b.caplen as usize).min(b.data.len());
                        frames.push((linktypes.first().copied().unwrap_or(1), b.data[..n].to_vec()));
                    }
                    PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
                        linktypes.push(idb.linktype.0 as u32)
                    }
                    PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
                        let n = (epb.caplen as usize).min(epb.data.len());
                        let lt = linktypes.get(epb.if_id as usize).copied().unwrap_or(1);
                        frames.push((lt, epb.data[..n].to_vec()));
                    }
                    PcapBlockOwned::NG(Block::SimplePacket(spb)) => {
                        frames.push((linktypes.first().copied().unwrap_or(1), spb.data.to_vec()))
                    }
                    _ => {}
                }
                reader.consume(off);
            }
            Err(PcapError::Eof) => break,
            Err(PcapError::Incomplete(_)) => reader.refill().expect("refill"),
            Err(e) => panic!("{}: {e:?}", path.display()),
        }
    }
    let mut ike = Vec::new();
    let mut esp = Vec::new();
    let mut frags: HashMap<FragId, Vec<IpFrag>> = HashMap::new();
    for (i, (lt, f)) in frames.iter().enumerate() {
        let frame = i as u64 + 1;
        let ip = match lt {
            1 => {
                let mut et = u16::from_be_bytes([f[12], f[13]]);
                let mut off = 14;
                while et == 0x8100 && f.len() >= off + 4 {
                    et = u16::from_be_bytes([f[off + 2], f[off + 3]]);
                    off += 4;
                }
                if et != 0x0800 {
                    continue;
                }
                &f[off..]
            }
            101 | 228 => &f[..],
            113 => &f[16..],
            _ => continue,
        };
        if ip.len() < 20 || ip[0] >> 4 != 4 {
            continue;
        }
        let ihl = (ip[0] & 15) as usize * 4;
        let total = (u16::from_be_bytes([ip[2], ip[3]]) as usize).min(ip.len());
        let src = Ipv4Addr::new(ip[12], ip[13], ip[14], ip[15]);
        let dst = Ipv4Addr::new(ip[16], ip[17], ip[18], ip[19]);
        let proto = ip[9];
        let fo = u16::from_be_bytes([ip[6], ip[7]]);
        let mf = fo & 0x2000 != 0;
        let offset = (fo & 0x1fff) as usize * 8;
        let mut payload = ip[ihl..total].to_vec();
        if mf || offset != 0 {
            let id = u16::from_be_bytes([ip[4], ip[5]]);
            let e = frags.entry((src, dst, id, proto)).or_default();
            e.push((offset, mf, payload));
            e.sort_by_key(|x| x.0);
            let mut buf = Vec::new();
            let mut complete = false;
            for (o, more, d) in e.iter() {
                if *o != buf.len() {
                    break;
                }
                buf.extend_from_slice(d);
                if !more {
                    complete = true;
                }
            }
            if !complete {
                continue;
            }
            frags.remove(&(src, dst, id, proto));
            payload = buf;
        }
        match proto {
            17 if payload.len() >= 8 => {
                let sp = u16::from_be_bytes([payload[0], payload[1]]);
                let dp = u16::from_be_bytes([payload[2], payload[3]]);
                let udp = &payload[8..];
                if sp == 4500 || dp == 4500 {
                    if udp.len() >= 4 && udp[..4] == [0, 0, 0, 0] {
                        ike.push(IkeMsg {
                            frame,
                            bytes: udp[4..].to_vec(),
                            src,
                            dst,
                        });
                    } else if udp.len() > 8 {
                        esp.push(EspPkt {
                            frame,
                            bytes: udp.to_vec(),
                            src,
                            dst,
                        });
                    }
                } else if sp == 500 || dp == 500 {
                    ike.push(IkeMsg {
                        frame,
                        bytes: udp.to_vec(),
                        src,
                        dst,
                    });
                }
            }
            50 => esp.push(EspPkt {
                frame,
                bytes: payload,
                src,
                dst,
            }),
            _ => {}
        }
    }
    (ike, esp)
}

/// Truth IKE objects by frame (first message of the frame).
fn truth_ike(path: &Path) -> HashMap<u64, Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let v: Value = serde_json::from_str(&text).expect("truth json");
    let mut out = HashMap::new();
    for r in v["records"].as_array().expect("records") {
        if r["kind"] == "ike" && r.get("inside_esp").is_none() {
            let frame = r["frame"].as_u64().expect("frame");
            out.entry(frame).or_insert_with(|| r["ike"].clone());
        }
    }
    out
}

fn u8s(v: &Value) -> Vec<u64> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_u64).collect())
        .unwrap_or_default()
}

/// (payload types, notify types, first KE group) of an inner payload chain.
fn inner_summary(first: u8, inner: &[u8]) -> (Vec<u64>, Vec<u64>, Option<u64>) {
    let types = inner_payload_types(first, inner);
    let mut notify = Vec::new();
    let mut ke = None;
    let mut off = 0usize;
    for t in &types {
        let len = u16::from_be_bytes([inner[off + 2], inner[off + 3]]) as usize;
        let p = &inner[off..off + len];
        if *t == 41 && p.len() >= 8 {
            notify.push(u16::from_be_bytes([p[6], p[7]]) as u64);
        }
        if *t == 34 && p.len() >= 6 && ke.is_none() {
            ke = Some(u16::from_be_bytes([p[4], p[5]]) as u64);
        }
        off += len;
    }
    (types.into_iter().map(u64::from).collect(), notify, ke)
}

fn is_ikev2_encrypted(b: &[u8]) -> bool {
    matches!(ikev2::locate_sk(b), Ok(Some(_)))
}

/// (capture, key table, truth.decrypted) triples: captures/<s>.ikev2_decryption_table and the
/// public captures that ship an ikev2_decryption_table.
fn ikev2_cases() -> Vec<(PathBuf, PathBuf, PathBuf)> {
    let mut out = Vec::new();
    for (dir, truth_dir) in lab_capture_dirs() {
        let mut names: Vec<_> = std::fs::read_dir(&dir)
            .expect("captures dir")
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "ikev2_decryption_table"))
            .collect();
        names.sort();
        for t in names {
            let cap = t.with_extension("pcap");
            let file = cap.file_name().unwrap().to_string_lossy();
            let truth = truth_dir.join(format!("{file}.truth.decrypted.json"));
            out.push((cap, t, truth));
        }
    }
    let pg = common::corpus_extra()
        .map(|sh| sh.join("public-captures/packetgen-ipsec/ikev2_cbc_hmac"))
        .filter(|pg| pg.is_dir());
    if let Some(pg) = pg {
        out.push((
            pg.join("ikev2_cbc_hmac.pcapng"),
            pg.join("ikev2_decryption_table"),
            pg.join("ikev2_cbc_hmac.pcapng.truth.decrypted.json"),
        ));
    }
    assert!(
        out.len() >= 10,
        "expected the IKEv2 key-table captures, found {}",
        out.len()
    );
    out
}

#[derive(Default, Debug)]
struct Tally {
    /// Disagreements with tshark (each one a test failure).
    failures: Vec<String>,
    /// Messages tshark "decrypted" although the key row fails its integrity check on them
    /// (tshark 4.0 decrypts regardless of the ICV); proven wrong rows, not failures.
    wrong_rows: Vec<String>,
    encrypted: usize,
    decrypted: usize,
    compared_with_truth: usize,
    fragments: usize,
    reassembled: usize,
    integrity_failed: usize,
}

/// Decrypt every encrypted IKEv2 message of a capture with `keys`, checking against truth
/// wherever tshark decrypted the message. `must_match_spis`: table rows (all messages with those
/// SPIs must decrypt, or be ones tshark could not decrypt either).
fn run_capture(
    cap: &Path,
    keys: &KeyStore,
    truth: &HashMap<u64, Value>,
    strict: bool,
    witness: Option<&KeyStore>,
) -> Tally {
    let (msgs, _) = read_capture(cap);
    let mut t = Tally::default();
    let mut reasm = Ikev2Reassembler::new();
    for m in &msgs {
        if !is_ikev2_encrypted(&m.bytes) {
            continue;
        }
        t.encrypted += 1;
        let tr = truth.get(&m.frame);
        let tr_dec = tr.and_then(|x| x.get("decrypted")).filter(|d| !d.is_null());
        let out = ikev2::decrypt_message(&m.bytes, keys);
        let name = format!("{} frame {}", cap.file_name().unwrap().to_string_lossy(), m.frame);
        match &out {
            SkOutcome::Decrypted {
                first_payload,
                plaintext,
                fragment,
                ..
            } => {
                t.decrypted += 1;
                if let Some(tr) = tr {
                    if Some(u64::from(first_payload.0)) != tr["sk_inner_first"].as_u64() {
                        t.failures
                            .push(format!("{name}: first inner payload {}", first_payload.0));
                    }
                }
                if let Some((n, total)) = fragment {
                    t.fragments += 1;
                    let key = FragKey::of_message(&m.bytes).expect("frag key");
                    if let Some(r) = reasm.add(key, *n, *total, *first_payload, plaintext) {
                        if !ikev2::inner_chain_ok(r.first_payload, &r.plaintext) {
                            t.failures
                                .push(format!("{name}: reassembled inner chain does not parse"));
                        }
                        t.reassembled += 1;
                    }
                } else if let Some(d) = tr_dec {
                    let (types, notify, ke) = inner_summary(first_payload.0, plaintext);
                    let want = (u8s(&d["payloads"]), u8s(&d["notify"]), d["ke_group"].as_u64());
                    if (types.clone(), notify.clone(), ke) != want {
                        t.failures.push(format!(
                            "{name}: ours (types, notify, ke) {:?} vs tshark {want:?}",
                            (types, notify, ke)
                        ));
                    }
                    t.compared_with_truth += 1;
                }
            }
            other => {
                if matches!(other, SkOutcome::IntegrityFailed { .. }) {
                    t.integrity_failed += 1;
                }
                if tr_dec.is_some() {
                    // tshark shows a decryption even when the ICV fails; that is a wrong key
                    // row when another key (from the daemon's log) verifies on this message.
                    let proven = matches!(other, SkOutcome::IntegrityFailed { .. })
                        && witness.is_some_and(|w| {
                            matches!(ikev2::decrypt_message(&m.bytes, w), SkOutcome::Decrypted { .. })
                        });
                    if proven {
                        t.wrong_rows.push(name.clone());
                    } else if strict {
                        t.failures
                            .push(format!("{name}: tshark decrypted it but we got {other:?}"));
                    }
                }
            }
        }
    }
    t
}

/// The strongSwan (charon) logs of a lab capture, left first: `<stem>.left.log` and
/// `<stem>.right.log`, or, for a capture named after its capture point (`<scenario>_at_responder`,
/// `<scenario>_on_path`, ...), the scenario's. A libreswan side's log (pluto's) is left out.
fn charon_logs(cap: &Path) -> Vec<PathBuf> {
    let Some(stem) = cap.file_stem().map(|s| s.to_string_lossy().into_owned()) else {
        return Vec::new();
    };
    let scenario = ["_at_", "_on_path"]
        .iter()
        .filter_map(|m| stem.find(m))
        .min()
        .map_or(stem.as_str(), |i| &stem[..i]);
    let mut out = Vec::new();
    for side in ["left", "right"] {
        let log = [&stem, scenario]
            .iter()
            .map(|s| cap.with_file_name(format!("{s}.{side}.log")))
            .find(|p| p.is_file());
        if let Some(log) = log {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            if detect_format(&log, &text) == Some(KeyFileFormat::CharonLog) {
                out.push(log);
            }
        }
    }
    out
}

/// Both gateways' charon logs as one key store (None unless both sides ran strongSwan).
fn logs_of(cap: &Path) -> Option<KeyStore> {
    let logs = charon_logs(cap);
    if logs.len() < 2 {
        return None;
    }
    Some(KeyStore::from_paths(&logs).expect("charon logs load"))
}

#[test]
fn ikev2_key_tables_agree_with_tshark() {
    let mut total = Tally::default();
    let mut failures = Vec::new();
    let mut wrong_rows = Vec::new();
    for (cap, table, truth) in ikev2_cases() {
        let mut ks = KeyStore::new();
        assert_eq!(ks.load_path(&table).unwrap(), KeyFileFormat::Ikev2Table);
        let tr = truth_ike(&truth);
        let witness = logs_of(&cap);
        let t = run_capture(&cap, &ks, &tr, true, witness.as_ref());
        eprintln!("{}: {t:?}", cap.file_name().unwrap().to_string_lossy());
        failures.extend(t.failures.iter().cloned());
        wrong_rows.extend(t.wrong_rows.iter().cloned());
        // every message with the table's SPIs decrypted (except the packetgen responder row,
        // whose keys are zero placeholders: that one must fail its integrity check)
        let (msgs, _) = read_capture(&cap);
        for m in msgs.iter().filter(|m| is_ikev2_encrypted(&m.bytes)) {
            let spis = (&m.bytes[0..8], &m.bytes[8..16]);
            if ks.ikev2.iter().any(|k| {
                k.spi_i.map(|s| s.0.to_vec()) == Some(spis.0.to_vec())
                    && k.spi_r.map(|s| s.0.to_vec()) == Some(spis.1.to_vec())
            }) {
                let out = ikev2::decrypt_message(&m.bytes, &ks);
                let zero_keys = ks.ikev2.iter().any(|k| k.sk_er.bytes().iter().all(|b| *b == 0));
                let from_responder = m.bytes[19] & 0x08 == 0;
                let proven_wrong = matches!(out, SkOutcome::IntegrityFailed { .. })
                    && witness.as_ref().is_some_and(|w| {
                        matches!(ikev2::decrypt_message(&m.bytes, w), SkOutcome::Decrypted { .. })
                    });
                if proven_wrong {
                    wrong_rows.push(format!("{} frame {}", cap.display(), m.frame));
                }
                if (zero_keys && from_responder) || proven_wrong {
                    assert!(matches!(out, SkOutcome::IntegrityFailed { .. }), "{out:?}");
                } else {
                    assert!(
                        matches!(out, SkOutcome::Decrypted { .. }),
                        "{} frame {} ({}→{}): {out:?}",
                        cap.display(),
                        m.frame,
                        m.src,
                        m.dst
                    );
                }
            }
        }
        total.encrypted += t.encrypted;
        total.decrypted += t.decrypted;
        total.compared_with_truth += t.compared_with_truth;
        total.fragments += t.fragments;
        total.reassembled += t.reassembled;
    }
    eprintln!("TOTAL {total:?}");
    eprintln!("key rows proven wrong by the logs (tshark decrypted regardless of the ICV): {wrong_rows:?}");
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(total.compared_with_truth >= 30, "{total:?}");
    assert!(total.reassembled >= 2, "SKF reassembly: {total:?}");
}

#[test]
fn charon_log_yields_the_table_keys() {
    let mut mismatched = 0;
    let mut checked = 0;
    for (cap, table, _) in ikev2_cases() {
        // the log the lab made the table from: the first strongSwan side's
        let Some(log) = charon_logs(&cap).into_iter().next() else {
            continue;
        };
        let mut tks = KeyStore::new();
        tks.load_path(&table).unwrap();
        let mut lks = KeyStore::new();
        assert_eq!(lks.load_path(&log).unwrap(), KeyFileFormat::CharonLog);
        let row = &tks.ikev2[0];
        let hit = lks
            .ikev2
            .iter()
            .find(|k| k.sk_ei == row.sk_ei)
            .unwrap_or_else(|| panic!("{}: table SK_ei not among the log's keys", log.display()));
        assert_eq!(hit.sk_er, row.sk_er);
        checked += 1;
        assert_eq!(hit.sk_ai, row.sk_ai);
        assert_eq!(hit.sk_ar, row.sk_ar);
        assert_eq!(hit.enc, row.enc, "{}", log.display());
        assert_eq!(hit.integ, row.integ, "{}", log.display());
        assert!(!hit.spis_certain);
        if (hit.spi_i, hit.spi_r) != (row.spi_i, row.spi_r) {
            // The table pairs these keys with other SPIs. Then the row must be provably wrong:
            // the keys verify on the SPIs the log names, and fail on the table's SPIs.
            let (msgs, _) = read_capture(&cap);
            let with = |a: Option<Spi8>, b: Option<Spi8>| {
                msgs.iter()
                    .filter(move |m| {
                        is_ikev2_encrypted(&m.bytes)
                            && Some(&m.bytes[0..8]) == a.as_ref().map(|s| &s.0[..])
                            && Some(&m.bytes[8..16]) == b.as_ref().map(|s| &s.0[..])
                    })
                    .map(|m| ikev2::decrypt_message(&m.bytes, &tks))
                    .collect::<Vec<_>>()
            };
            let on_table = with(row.spi_i, row.spi_r);
            assert!(
                !on_table.is_empty()
                    && on_table
                        .iter()
                        .all(|o| matches!(o, SkOutcome::IntegrityFailed { .. })),
                "{}: {on_table:?}",
                log.display()
            );
            eprintln!(
                "{}: table row pairs the keys of SA {:?} with SPIs {:?} (row is wrong)",
                table.display(),
                hit.spi_i,
                row.spi_i
            );
            mismatched += 1;
        }
    }
    eprintln!("{checked} tables checked against their logs, {mismatched} with SPIs of another SA");
    assert!(checked >= 10 && mismatched <= 2, "{checked} {mismatched}");
}

#[test]
fn charon_logs_decrypt_captures() {
    let mut grand = Tally::default();
    let mut names: Vec<(PathBuf, PathBuf)> = Vec::new();
    for (dir, truth_dir) in lab_capture_dirs() {
        let mut caps: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "pcap"))
            .collect();
        caps.sort();
        names.extend(caps.into_iter().map(|c| (c, truth_dir.clone())));
    }
    for (cap, truth_dir) in names {
        let stem = cap.file_stem().unwrap().to_string_lossy().into_owned();
        let logs = charon_logs(&cap);
        if logs.is_empty() {
            continue;
        }
        let ks = KeyStore::from_paths(&logs).unwrap();
        let file = cap.file_name().unwrap().to_string_lossy();
        let truth_path = truth_dir.join(format!("{file}.truth.decrypted.json"));
        let tr = if truth_path.is_file() {
            truth_ike(&truth_path)
        } else {
            HashMap::new()
        };
        // drop truth that tshark produced with a key row failing its ICV (see above)
        let table = cap.with_extension("ikev2_decryption_table");
        let mut tr = tr;
        if table.is_file() {
            let tks = KeyStore::from_paths(&[&table]).unwrap();
            let (msgs, _) = read_capture(&cap);
            for m in &msgs {
                if matches!(
                    ikev2::decrypt_message(&m.bytes, &tks),
                    SkOutcome::IntegrityFailed { .. }
                ) {
                    tr.remove(&m.frame);
                }
            }
        }
        let t = run_capture(&cap, &ks, &tr, truth_path.is_file(), None);
        assert!(t.failures.is_empty(), "{stem}: {:#?}", t.failures);
        if t.encrypted > 0 {
            eprintln!("{stem} (logs): {t:?}");
        }
        grand.encrypted += t.encrypted;
        grand.decrypted += t.decrypted;
        grand.compared_with_truth += t.compared_with_truth;
        grand.integrity_failed += t.integrity_failed;
        grand.reassembled += t.reassembled;
    }
    eprintln!("TOTAL (logs) {grand:?}");
    assert!(grand.encrypted > 100, "{grand:?}");
    assert_eq!(grand.integrity_failed, 0, "{grand:?}");
}

/// A capture, its table and the first encrypted message sent by the initiator.
fn sample() -> (KeyStore, Vec<u8>) {
    let own = common::captures_dir();
    let mut ks = KeyStore::new();
    ks.load_path(&own.join("ikev2_ok.ikev2_decryption_table"))
        .unwrap();
    let (msgs, _) = read_capture(&own.join("ikev2_ok.pcap"));
    let m = msgs
        .into_iter()
        .find(|m| is_ikev2_encrypted(&m.bytes) && m.bytes[19] & 0x08 != 0)
        .expect("encrypted initiator message");
    (ks, m.bytes)
}

fn flip(s: &Secret) -> Secret {
    let mut b = s.bytes().to_vec();
    b[0] ^= 0x01;
    Secret::new(b)
}

#[test]
fn wrong_integrity_key_is_an_integrity_failure() {
    let (mut ks, msg) = sample();
    assert!(matches!(
        ikev2::decrypt_message(&msg, &ks),
        SkOutcome::Decrypted { .. }
    ));
    ks.ikev2[0].sk_ai = flip(&ks.ikev2[0].sk_ai);
    let out = ikev2::decrypt_message(&msg, &ks);
    assert!(matches!(out, SkOutcome::IntegrityFailed { .. }), "{out:?}");
}

#[test]
fn wrong_encryption_key_is_malformed_not_garbage() {
    let (mut ks, msg) = sample();
    ks.ikev2[0].sk_ei = flip(&ks.ikev2[0].sk_ei);
    let out = ikev2::decrypt_message(&msg, &ks);
    assert!(matches!(out, SkOutcome::Malformed(_)), "{out:?}");
}

#[test]
fn tampered_message_fails_integrity() {
    let (ks, mut msg) = sample();
    let n = msg.len();
    msg[n - 20] ^= 0x80;
    let out = ikev2::decrypt_message(&msg, &ks);
    assert!(matches!(out, SkOutcome::IntegrityFailed { .. }), "{out:?}");
    // truncations never panic
    for cut in 0..msg.len() {
        let _ = ikev2::decrypt_message(&msg[..cut], &ks);
    }
}

#[test]
fn no_key_for_other_spis() {
    let (ks, mut msg) = sample();
    msg[0] ^= 0xff;
    assert_eq!(ikev2::decrypt_message(&msg, &ks), SkOutcome::NoKey);
}

#[test]
fn discover_beside_finds_scenario_tables() {
    use std::collections::BTreeSet;
    let found = |cap: &Path| -> BTreeSet<PathBuf> { KeyStore::discover_beside(cap).into_iter().collect() };
    let own = common::captures_dir();
    // Every key table named after the capture is found, however many sit beside it.
    assert_eq!(
        found(&own.join("ikev2_ok.pcap")),
        BTreeSet::from([
            own.join("ikev2_ok.esp_sa"),
            own.join("ikev2_ok.ikev2_decryption_table")
        ])
    );
    assert_eq!(
        found(&own.join("ikev1_main_ok.pcap")),
        BTreeSet::from([
            own.join("ikev1_main_ok.esp_sa"),
            own.join("ikev1_main_ok.ikev1_decryption_table")
        ])
    );
    // A capture without tables, and a directory's generic `esp_sa` beside a public capture.
    assert!(found(&own.join("ikev1_no_response.pcap")).is_empty());
    let Some(sh) = common::corpus_extra() else {
        return;
    };
    assert_eq!(
        found(&sh.join("captures/ikev2_ok.pcap")),
        BTreeSet::from([sh.join("captures/ikev2_ok.ikev2_decryption_table")])
    );
    let pg = sh.join("public-captures/packetgen-ipsec/esp4-cbc");
    assert_eq!(
        found(&pg.join("esp4-cbc.pcapng")),
        BTreeSet::from([pg.join("esp_sa")])
    );
}

#[test]
fn key_debug_output_is_redacted() {
    let (ks, _) = sample();
    let dbg = format!("{ks:?}");
    let hex: String = ks.ikev2[0]
        .sk_ei
        .bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert!(!dbg.contains(&hex));
    assert!(!dbg.contains(&format!("{:?}", ks.ikev2[0].sk_ei.bytes())));
    assert!(dbg.contains("bytes redacted"));
}

#[test]
fn esp_tables_load() {
    // The lab's own esp_sa tables: one row per CHILD SA direction.
    let own = common::captures_dir();
    let mut own_rows = 0;
    for e in std::fs::read_dir(&own).unwrap().filter_map(|e| e.ok()) {
        let p = e.path();
        if p.extension().is_some_and(|x| x == "esp_sa") {
            let mut ks = KeyStore::new();
            assert_eq!(ks.load_path(&p).unwrap(), KeyFileFormat::EspSa, "{}", p.display());
            assert!(
                ks.esp.len() >= 2 && ks.esp.len() % 2 == 0,
                "{}: {}",
                p.display(),
                ks.esp.len()
            );
            own_rows += ks.esp.len();
        }
    }
    assert!(own_rows >= 28, "{own_rows}");
    let Some(sh) = common::corpus_extra() else {
        return;
    };
    let mut n = 0;
    for dir in [
        "public-captures/packetgen-ipsec/esp4-gcm",
        "public-captures/packetgen-ipsec/esp4-cbc",
        "public-captures/packetgen-ipsec/esp4-ctr-hmac",
        "public-captures/wireshark-wiki/ipsec_esp_capture_1",
        "public-captures/tcpdump/02-sunrise-sunset-esp",
    ] {
        let p = sh.join(dir).join("esp_sa");
        if p.is_file() {
            let mut ks = KeyStore::new();
            assert_eq!(ks.load_path(&p).unwrap(), KeyFileFormat::EspSa);
            n += ks.esp.len();
        }
    }
    assert!(n >= 20, "{n}");
}

/// IKEv1 payload type of a strongSwan short payload name ("N(INITIAL_CONTACT)" → 11).
fn v1_type(name: &str) -> Option<u64> {
    let base = name.split('(').next().unwrap_or(name);
    Some(match base {
        "SA" => 1,
        "KE" => 4,
        "ID" => 5,
        "CERT" => 6,
        "CERTREQ" => 7,
        "HASH" => 8,
        "SIG" => 9,
        "No" => 10,
        "N" => 11,
        "D" => 12,
        "V" => 13,
        "NAT-D" => 20,
        "NAT-OA" => 21,
        "FRAG" => 132,
        _ => return None,
    })
}

/// (message id, payload types) of every IKEv1 message the daemons parsed or generated.
fn v1_logged_messages(logs: &[PathBuf]) -> Vec<(u32, Vec<u64>)> {
    let mut out = Vec::new();
    for l in logs {
        let text = std::fs::read_to_string(l).unwrap();
        for line in text.lines() {
            let Some(i) = line.find("[ENC] ") else { continue };
            let rest = &line[i + 6..];
            let mut w = rest.split_whitespace();
            let verb = w.next();
            if !matches!(verb, Some("parsed") | Some("generating")) {
                continue;
            }
            let exch = w.next().unwrap_or("");
            if !matches!(exch, "ID_PROT" | "AGGRESSIVE" | "QUICK_MODE" | "INFORMATIONAL_V1") {
                continue;
            }
            let _dir = w.next();
            let Some(mid) = w.next().and_then(|m| m.parse::<u32>().ok()) else {
                continue;
            };
            let (Some(a), Some(b)) = (rest.find('['), rest.rfind(']')) else {
                continue;
            };
            let types: Option<Vec<u64>> = rest[a + 1..b].split_whitespace().map(v1_type).collect();
            if let Some(t) = types {
                out.push((mid, t));
            }
        }
    }
    out
}

/// The first "initial IV" a charon log printed.
fn logged_initial_iv(log: &Path) -> Option<Vec<u8>> {
    let text = std::fs::read_to_string(log).ok()?;
    let mut lines = text.lines();
    while let Some(l) = lines.next() {
        if l.contains("] initial IV => ") {
            let dump = lines.next()?;
            let hex = dump.split(": ").nth(1)?;
            return Some(
                hex.split_whitespace()
                    .take(16)
                    .map_while(|h| u8::from_str_radix(h, 16).ok())
                    .collect(),
            );
        }
    }
    None
}

#[test]
fn ikev1_decrypts_with_charon_log_keys() {
    use ikescope::decrypt::{Ikev1Decryptor, Ikev1Outcome};
    let mut total_enc = 0;
    let mut total_dec = 0;
    let mut ivs_checked = 0;
    let stems = [
        "ikev1_main_ok",
        "ikev1_aggressive_ok",
        "ikev1_p2_proposal_mismatch",
        "ikev1_psk_mismatch",
    ];
    let dirs = lab_capture_dirs();
    for (dir, stem) in dirs.iter().flat_map(|(d, _)| stems.iter().map(move |s| (d, *s))) {
        let cap = dir.join(format!("{stem}.pcap"));
        let logs = vec![
            dir.join(format!("{stem}.left.log")),
            dir.join(format!("{stem}.right.log")),
        ];
        let ks = KeyStore::from_paths(&logs).unwrap();
        assert!(!ks.ikev1.is_empty(), "{stem}: no IKEv1 keys in the logs");
        let logged = v1_logged_messages(&logs);
        let mut dec = Ikev1Decryptor::new(&ks);
        let (msgs, _) = read_capture(&cap);
        let mut initiator_addr: HashMap<Vec<u8>, Ipv4Addr> = HashMap::new();
        let (mut enc, mut ok) = (0, 0);
        for m in msgs
            .iter()
            .filter(|m| m.bytes.len() >= 28 && m.bytes[17] >> 4 == 1)
        {
            let from_i = *initiator_addr.entry(m.bytes[..8].to_vec()).or_insert(m.src) == m.src;
            let out = dec.observe(&m.bytes, from_i);
            if m.bytes[19] & 1 == 0 {
                assert_eq!(out, Ikev1Outcome::Cleartext);
                continue;
            }
            enc += 1;
            let mid = u32::from_be_bytes(m.bytes[20..24].try_into().unwrap());
            match out {
                Ikev1Outcome::Decrypted(p) => {
                    let types: Vec<u64> = {
                        let mut v = Vec::new();
                        let mut np = p.first_payload.0;
                        let mut off = 0;
                        while np != 0 {
                            v.push(np as u64);
                            let len = u16::from_be_bytes([p.plaintext[off + 2], p.plaintext[off + 3]]);
                            np = p.plaintext[off];
                            off += len as usize;
                        }
                        v
                    };
                    // NAT-D may be 20 or 130 on the wire
                    assert!(
                        logged.iter().any(|(lm, lt)| *lm == mid && *lt == types),
                        "{stem} frame {}: decrypted (mid {mid}, {types:?}) not among the logged messages",
                        m.frame
                    );
                    ok += 1;
                }
                other => panic!("{stem} frame {}: {other:?}", m.frame),
            }
        }
        let icookie = msgs
            .iter()
            .find(|m| m.bytes.len() >= 28 && m.bytes[17] >> 4 == 1)
            .map(|m| Spi8(m.bytes[..8].try_into().unwrap()))
            .unwrap();
        if let Some(iv) = logged_initial_iv(&logs[0]) {
            if let Some(ours) = dec.phase1_iv(icookie) {
                assert_eq!(ours, iv, "{stem}: phase-1 IV vs charon's 'initial IV'");
                ivs_checked += 1;
            }
        }
        eprintln!("{stem}: {ok}/{enc} encrypted IKEv1 messages decrypted and matched the logs");
        assert!(enc > 0 && ok == enc, "{stem}: {ok}/{enc}");
        total_enc += enc;
        total_dec += ok;
    }
    eprintln!("IKEv1 total {total_dec}/{total_enc}, phase-1 IVs checked {ivs_checked}");
    assert!(ivs_checked >= 3);
}

#[test]
fn ikev1_wrong_key_is_detected() {
    use ikescope::decrypt::{Ikev1Decryptor, Ikev1Outcome};
    let own = common::captures_dir();
    let stem = "ikev1_main_ok";
    let cap = own.join(format!("{stem}.pcap"));
    let ks = KeyStore::from_paths(&[own.join(format!("{stem}.left.log"))]).unwrap();
    // turn the log key into a table row for the capture's cookie, then break it
    let (msgs, _) = read_capture(&cap);
    let first = msgs.iter().find(|m| m.bytes[17] >> 4 == 1).unwrap();
    let cookie: String = first.bytes[..8].iter().map(|b| format!("{b:02x}")).collect();
    let mut key = ks.ikev1[0].key.bytes().to_vec();
    key[0] ^= 1;
    let keyhex: String = key.iter().map(|b| format!("{b:02x}")).collect();
    let mut bad = KeyStore::new();
    bad.load_str(
        Path::new("ikev1_decryption_table"),
        &format!("{cookie},{keyhex}\n"),
    )
    .unwrap();
    assert_eq!(bad.ikev1.len(), 1);
    let mut dec = Ikev1Decryptor::new(&bad);
    let src = first.src;
    let mut wrong = 0;
    for m in msgs.iter().filter(|m| m.bytes[17] >> 4 == 1) {
        match dec.observe(&m.bytes, m.src == src) {
            Ikev1Outcome::WrongKey { .. } => wrong += 1,
            Ikev1Outcome::Cleartext => {}
            other => panic!("frame {}: {other:?}", m.frame),
        }
    }
    assert!(wrong > 0);
}

#[test]
fn esp_decrypts_like_tshark() {
    use ikescope::decrypt::esp::{decrypt_esp, EspOutcome};
    let Some(sh) = common::corpus_dir() else {
        return;
    };
    // public captures with esp_sa tables and tshark's decrypted truth
    let mut compared = 0;
    for dir in [
        "packetgen-ipsec/esp4-cbc",
        "packetgen-ipsec/esp4-gcm",
        "packetgen-ipsec/esp4-ctr-hmac",
        "wireshark-wiki/ipsec_esp_capture_1",
        "tcpdump/02-sunrise-sunset-esp",
        "tcpdump/08-sunrise-sunset-esp2",
    ] {
        let d = sh.join("public-captures").join(dir);
        if !d.is_dir() {
            continue;
        }
        let ks = KeyStore::from_paths(&[d.join("esp_sa")]).unwrap();
        let truth_file = std::fs::read_dir(&d)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .find(|p| p.to_string_lossy().ends_with(".truth.decrypted.json"))
            .unwrap();
        let cap = PathBuf::from(truth_file.to_string_lossy().replace(".truth.decrypted.json", ""));
        let truth: Value = serde_json::from_str(&std::fs::read_to_string(&truth_file).unwrap()).unwrap();
        let by_frame: HashMap<u64, Value> = truth["records"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["kind"] == "esp" && r.get("inside_esp").is_none())
            .map(|r| (r["frame"].as_u64().unwrap(), r["esp"].clone()))
            .collect();
        let (_, esp) = read_capture(&cap);
        for p in &esp {
            let Some(want) = by_frame.get(&p.frame).and_then(|e| e.get("decrypted")) else {
                continue;
            };
            let out = decrypt_esp(&p.bytes, p.src.into(), p.dst.into(), &ks);
            match out {
                EspOutcome::Decrypted(x) => {
                    assert_eq!(
                        Some(x.next_header as u64),
                        want["next_header"].as_u64(),
                        "{dir} frame {}",
                        p.frame
                    );
                    assert_eq!(
                        Some(x.pad_len as u64),
                        want["pad_len"].as_u64(),
                        "{dir} frame {}",
                        p.frame
                    );
                    compared += 1;
                }
                other => panic!("{dir} frame {}: {other:?}", p.frame),
            }
        }
    }
    eprintln!("ESP packets compared with tshark: {compared}");
    assert!(compared >= 3, "{compared}");
}

/// strongSwan captures: every ESP packet opens with the CHILD SA keys from the logs.
#[test]
fn esp_decrypts_with_charon_logs() {
    use ikescope::decrypt::esp::{decrypt_esp, EspOutcome};
    let mut total = 0;
    let stems = ["ikev2_ok", "ikev2_rekey_ok", "ikev1_main_ok", "one_way_esp"];
    let dirs = lab_capture_dirs();
    for (dir, stem) in dirs.iter().flat_map(|(d, _)| stems.iter().map(move |s| (d, *s))) {
        let cap = dir.join(format!("{stem}.pcap"));
        let ks = logs_of(&cap).unwrap();
        let (_, esp) = read_capture(&cap);
        for p in &esp {
            match decrypt_esp(&p.bytes, p.src.into(), p.dst.into(), &ks) {
                EspOutcome::Decrypted(x) => {
                    let f = x
                        .inner
                        .unwrap_or_else(|| panic!("{stem} frame {}: no inner flow", p.frame));
                    let ends = [f.src.to_string(), f.dst.to_string()];
                    assert!(
                        ends.contains(&"10.1.0.1".to_string()) && ends.contains(&"10.2.0.1".to_string()),
                        "{stem} frame {}: {f:?}",
                        p.frame
                    );
                    total += 1;
                }
                other => panic!("{stem} frame {}: {other:?}", p.frame),
            }
        }
    }
    eprintln!("strongSwan ESP packets decrypted with log keys: {total}");
    assert!(total > 20, "{total}");
}
