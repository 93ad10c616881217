//! A capture gives the same report whether one thread reads it from start to end or several
//! threads read it in parts (`IKESCOPE_PARTS_MIN_BYTES=0` splits even small captures,
//! `IKESCOPE_PARTS_MIN_THREADS=2` allows two parts, `RAYON_NUM_THREADS` sets their number, `IKESCOPE_PARTS_AHEAD_BYTES=0` makes the
//! replayer read every passed-on frame again from the file), or on two threads whose collecting
//! one reads ahead (`IKESCOPE_SHARED_READ=0` turns that off). Checked on every bundled capture (and, when
//! present, the corpus's), and on copies cut short or with a broken record, whose framing
//! problems must read the same.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

/// How one run reads its input.
#[derive(Clone, Copy, Debug)]
enum Reading {
    /// One thread, start to end.
    Whole,
    /// In this many parts.
    InParts(usize),
    /// In this many parts, every passed-on frame read again from the file by the replayer.
    InPartsFromFile(usize),
    /// On two threads, one parsing, one collecting and reading chunks ahead when idle
    /// (`capture::shared_read`), not in parts.
    CollectorReadsAhead,
    /// On two threads, one parsing, one collecting, the parsing thread reading everything.
    CollectorOnly,
}

/// `ikescope <args> <capture>` read the given way: (exit status, stdout).
fn run(args: &[&str], capture: &Path, how: Reading) -> (Option<i32>, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ikescope"));
    cmd.args(args).arg("-q");
    match how {
        Reading::Whole => {
            cmd.env("RAYON_NUM_THREADS", "1");
        }
        Reading::InParts(n) => {
            cmd.env("RAYON_NUM_THREADS", n.to_string())
                .env("IKESCOPE_PARTS_MIN_THREADS", "2")
                .env("IKESCOPE_PARTS_MIN_BYTES", "0");
        }
        Reading::InPartsFromFile(n) => {
            cmd.env("RAYON_NUM_THREADS", n.to_string())
                .env("IKESCOPE_PARTS_MIN_THREADS", "2")
                .env("IKESCOPE_PARTS_MIN_BYTES", "0")
                .env("IKESCOPE_PARTS_AHEAD_BYTES", "0");
        }
        Reading::CollectorReadsAhead => {
            cmd.env("RAYON_NUM_THREADS", "2")
                .env("IKESCOPE_PARTS_MIN_THREADS", "3");
        }
        Reading::CollectorOnly => {
            cmd.env("RAYON_NUM_THREADS", "2")
                .env("IKESCOPE_PARTS_MIN_THREADS", "3")
                .env("IKESCOPE_SHARED_READ", "0");
        }
    }
    let out = cmd.arg(capture).output().expect("ikescope runs");
    (
        out.status.code(),
        String::from_utf8(out.stdout).expect("UTF-8 output"),
    )
}

/// Assert that reading `capture` whole and in 2 and 3 parts gives the same `analyze` JSON (and
/// exit status).
fn same_every_way(capture: &Path) {
    let analyze = ["analyze", "--format", "json", "--no-auto-keys"];
    let reference = run(&analyze, capture, Reading::Whole);
    for how in [
        Reading::InParts(2),
        Reading::InParts(3),
        Reading::InPartsFromFile(2),
    ] {
        let got = run(&analyze, capture, how);
        assert!(
            got == reference,
            "{}: analyze read {how:?} differs from the whole read",
            capture.display()
        );
    }
}

/// Classic pcap files under `dir` (recursively), sorted.
fn pcaps_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "pcap") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn every_bundled_capture_reads_the_same_whole_and_in_parts() {
    let own = common::own_pcaps();
    assert!(own.len() >= 50, "the bundled captures are there");
    for capture in &own {
        same_every_way(capture);
    }
    if let Some(shared) = common::corpus_extra() {
        let mut corpus = pcaps_under(&shared.join("captures"));
        corpus.extend(pcaps_under(&shared.join("public-captures")));
        assert!(corpus.len() >= 20, "the corpus captures are there");
        for capture in &corpus {
            same_every_way(capture);
        }
    }
}

/// Byte offsets of each record of a little-endian microsecond pcap file.
fn record_offsets(bytes: &[u8]) -> Vec<usize> {
    let mut out = Vec::new();
    let mut at = 24;
    while at + 16 <= bytes.len() {
        out.push(at);
        let caplen = u32::from_le_bytes(bytes[at + 8..at + 12].try_into().unwrap()) as usize;
        at += 16 + caplen;
    }
    out
}

#[test]
fn a_capture_of_many_chunks_reads_the_same_when_the_collector_reads_ahead() {
    // The bundled captures are under one chunk (1 MiB), where the collecting thread never reads
    // ahead (it takes odd chunks only): repeat one's records into a file of several chunks, and
    // cut a copy inside a record, whose framing problem must read the same.
    let source = common::captures_dir().join("mtu_esp_fragmented_at_responder.pcap");
    let bytes = std::fs::read(&source).expect("bundled capture");
    let body = &bytes[24..];
    let mut big = bytes[..24].to_vec();
    while big.len() < 9 << 20 {
        big.extend_from_slice(body);
    }
    let dir = std::env::temp_dir().join(format!("ikescope-shared-read-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let whole = dir.join("repeated.pcap");
    std::fs::write(&whole, &big).unwrap();
    let cut = dir.join("repeated_cut.pcap");
    let records = record_offsets(&big);
    let inside = records[records.len() * 2 / 3] + 20;
    std::fs::write(&cut, &big[..inside]).unwrap();
    let analyze = ["analyze", "--format", "json", "--no-auto-keys"];
    for capture in [&whole, &cut] {
        let reference = run(&analyze, capture, Reading::Whole);
        assert!(
            reference.1.contains("\"packets\""),
            "{}: a report",
            capture.display()
        );
        // the helper reads when the collector is idle: several runs meet different interleavings
        for how in [
            Reading::CollectorOnly,
            Reading::CollectorReadsAhead,
            Reading::CollectorReadsAhead,
            Reading::CollectorReadsAhead,
        ] {
            let got = run(&analyze, capture, how);
            assert!(
                got == reference,
                "{}: analyze read {how:?} differs from the whole read",
                capture.display()
            );
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn cut_and_broken_copies_report_the_same_problems_every_way() {
    let source = common::captures_dir().join("mtu_esp_fragmented_at_responder.pcap");
    let bytes = std::fs::read(&source).expect("bundled capture");
    assert_eq!(&bytes[..4], &[0xd4, 0xc3, 0xb2, 0xa1], "a little-endian pcap");
    let records = record_offsets(&bytes);
    assert!(records.len() > 100);
    let middle = records[records.len() / 2];
    let late = records[records.len() * 3 / 4];

    let mut cases: Vec<(&str, Vec<u8>)> = Vec::new();
    // cut inside a record's header, and inside a record's data
    cases.push(("cut_in_header", bytes[..middle + 7].to_vec()));
    cases.push(("cut_in_data", bytes[..late + 30].to_vec()));
    // a record claiming more than any record may hold
    let mut too_large = bytes.clone();
    too_large[middle + 8..middle + 12].copy_from_slice(&0x7fff_ffffu32.to_le_bytes());
    cases.push(("too_large", too_large));
    // a record whose captured length is off by a few bytes: the walk goes astray from there
    let mut astray = bytes.clone();
    let caplen = u32::from_le_bytes(astray[late + 8..late + 12].try_into().unwrap());
    astray[late + 8..late + 12].copy_from_slice(&(caplen + 5).to_le_bytes());
    cases.push(("astray", astray));
    // garbage over a record header near the start of the second half
    let mut garbage = bytes.clone();
    for b in &mut garbage[middle..middle + 16] {
        *b = 0xee;
    }
    cases.push(("garbage", garbage));

    for (name, content) in cases {
        let file = common::scratch_file(&format!("{name}.pcap"), &content);
        same_every_way(&file);
        // the problem is said, not swallowed
        let (_, json) = run(&["analyze", "--format", "json"], &file, Reading::InParts(2));
        let v: serde_json::Value = serde_json::from_str(&json).expect("JSON report");
        let problems = v["problems"].as_array().map_or(0, Vec::len);
        let stats = &v["inputs"][0];
        assert!(
            problems > 0 || stats.to_string().contains("stopped"),
            "{name}: the broken record is reported: {stats}"
        );
    }
}

#[test]
fn randomly_damaged_copies_read_the_same_whole_and_in_parts() {
    // A fixed sequence of damaged copies: bytes overwritten at pseudo-random places (record
    // headers and packet bytes alike), so parts start on garbage, walks go astray and frames are
    // malformed; every way of reading must still agree (and none may crash: a crash has no
    // exit status and differs from the whole read).
    let source = common::captures_dir().join("bgp_mtu_blackhole.pcap");
    let bytes = std::fs::read(&source).expect("bundled capture");
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as usize
    };
    for case in 0..12 {
        let mut copy = bytes.clone();
        for _ in 0..(1 + case % 4) {
            let at = 24 + next() % (copy.len() - 24);
            let n = 1 + next() % 24;
            for b in copy.iter_mut().skip(at).take(n) {
                *b = next() as u8;
            }
        }
        let file = common::scratch_file(&format!("damaged{case}.pcap"), &copy);
        let (status, _) = run(&["analyze", "--format", "json"], &file, Reading::Whole);
        assert!(status.is_some(), "case {case}: the whole read ended by a signal");
        same_every_way(&file);
    }
}
