//! Capture ingest tests: differential test against the tshark truth files of every shared
//! capture, a corrupted-input suite, synthetic link/IP/demux cases and gzip/stdin-style input.

use ikescope::capture::{
    open_input, read_capture, CaptureError, Content, Datagram, DatagramSink, IngestEvent, IngestOptions,
    InputStats,
};
use ikescope::record::Timestamp;
use serde_json::Value;
use std::collections::BTreeSet;
use std::io::{Cursor, Read, Write};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

mod common;

// ------------------------------------------------------------------------------------------
// Collecting sink
// ------------------------------------------------------------------------------------------

/// (frame, kind, src, dst, sport, dport, truncated, fragment frames, esp spi, esp seq)
type Key = (
    u64,
    &'static str,
    IpAddr,
    IpAddr,
    Option<u16>,
    Option<u16>,
    bool,
    Option<Vec<u64>>,
    Option<u32>,
    Option<u32>,
);

#[derive(Default)]
struct Collect {
    keys: Vec<Key>,
    times: Vec<(u64, Timestamp)>,
    ike_data: Vec<(u64, Vec<u8>, bool)>,
    esp_len: Vec<(u64, u32)>,
    icmp: Vec<(u64, u8, u8, u8, Option<u32>, ikescope::capture::QuotedFlowRef)>,
    events: Vec<IngestEvent>,
}

impl DatagramSink for Collect {
    fn datagram(&mut self, d: &Datagram<'_>) {
        let (kind, sport, dport, spi, seq) = match d.content {
            Content::Ike {
                sport,
                dport,
                data,
                non_esp_marker,
            } => {
                self.ike_data.push((d.frame, data.to_vec(), non_esp_marker));
                ("ike", Some(sport), Some(dport), None, None)
            }
            Content::Esp {
                ports,
                spi,
                seq,
                length,
                ..
            } => {
                self.esp_len.push((d.frame, length));
                (
                    "esp",
                    ports.map(|p| p.0),
                    ports.map(|p| p.1),
                    Some(spi),
                    Some(seq),
                )
            }
            Content::NatKeepalive { sport, dport } => ("nat_keepalive", Some(sport), Some(dport), None, None),
            Content::IcmpError {
                version,
                icmp_type,
                code,
                mtu,
                quoted,
            } => {
                self.icmp.push((d.frame, version, icmp_type, code, mtu, quoted));
                ("icmp_error", None, None, None, None)
            }
        };
        self.times.push((d.frame, d.time));
        self.keys.push((
            d.frame,
            kind,
            d.src,
            d.dst,
            sport,
            dport,
            d.truncated,
            d.fragment_frames.map(|f| f.to_vec()),
            spi,
            seq,
        ));
    }
    fn event(&mut self, e: &IngestEvent) {
        self.events.push(e.clone());
    }
}

fn run_bytes(bytes: Vec<u8>) -> (Result<InputStats, CaptureError>, Collect) {
    run_bytes_opts(bytes, &IngestOptions::default())
}

fn run_bytes_opts(bytes: Vec<u8>, opts: &IngestOptions) -> (Result<InputStats, CaptureError>, Collect) {
    let mut c = Collect::default();
    let r = read_capture(Box::new(Cursor::new(bytes)), opts, &mut c);
    (r, c)
}

fn run_path(path: &Path) -> (Result<InputStats, CaptureError>, Collect) {
    let mut c = Collect::default();
    let input = open_input(path.to_str().unwrap()).expect("open");
    let r = read_capture(input, &IngestOptions::default(), &mut c);
    (r, c)
}

/// The project's own capture `name` (in captures/).
fn own(name: &str) -> PathBuf {
    common::captures_dir().join(name)
}

// ------------------------------------------------------------------------------------------
// (a) differential test against tshark truth
// ------------------------------------------------------------------------------------------

fn truth_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            truth_files(&p, out);
        } else if p.to_string_lossy().ends_with(".truth.json") {
            out.push(p);
        }
    }
}

/// Truth records we knowingly do not reproduce: (capture path suffix, frame, reason).
const MISSING_OK: &[(&str, u64, &str)] = &[];

/// Datagrams we produce that the truth does not have: (capture path suffix, frame, reason).
/// Frames listed in a truth file's `undissected` array are accepted as extra automatically:
/// tshark saw UDP 500/4500 there but its ISAKMP dissector refused the bytes, while ingest hands
/// every ≥ 28-byte payload on an IKE port to the decoder (which reports what is wrong).
const EXTRA_OK: &[(&str, u64, &str)] = &[];

fn truth_key(r: &Value) -> Key {
    let kind: &'static str = match r["kind"].as_str().unwrap() {
        "ike" => "ike",
        "esp" => "esp",
        "nat_keepalive" => "nat_keepalive",
        "icmp_error" => "icmp_error",
        other => panic!("unknown kind {other}"),
    };
    let port = |k: &str| r[k].as_u64().map(|v| v as u16);
    let frags = r
        .get("ip_fragment_frames")
        .and_then(|v| v.as_array())
        .map(|a| a.iter().map(|x| x.as_u64().unwrap()).collect());
    let truncated = r["truncated"].as_bool().unwrap_or(false);
    let (spi, seq) = if kind == "esp" {
        let e = &r["esp"];
        let spi = u32::from_str_radix(e["spi"].as_str().unwrap(), 16).unwrap();
        // tshark has no sequence number when the snaplen cut the ESP header after the SPI;
        // ingest reports 0 there (the datagram is flagged truncated).
        let seq = match e["seq"].as_u64() {
            Some(s) => s as u32,
            None => {
                assert!(truncated, "ESP without seq must be truncated");
                0
            }
        };
        (Some(spi), Some(seq))
    } else {
        (None, None)
    };
    (
        r["frame"].as_u64().unwrap(),
        kind,
        r["src"].as_str().unwrap().parse().unwrap(),
        r["dst"].as_str().unwrap().parse().unwrap(),
        port("sport"),
        port("dport"),
        truncated,
        frags,
        spi,
        seq,
    )
}

#[test]
fn matches_tshark_truth_on_every_shared_capture() {
    let Some(root) = common::corpus_dir() else {
        return;
    };
    let mut report = Vec::new();
    let mut failures = Vec::new();
    let mut total_captures = 0;
    for corpus in ["captures", "public-captures"] {
        let mut files = Vec::new();
        truth_files(&root.join(corpus), &mut files);
        assert!(!files.is_empty(), "no truth files under {corpus}");
        let mut matched = 0usize;
        let mut truth_total = 0usize;
        let mut extra_undissected = Vec::new();
        for tf in &files {
            let name = tf.to_string_lossy().to_string();
            let cap = PathBuf::from(name.trim_end_matches(".truth.json"));
            assert!(cap.is_file(), "capture missing for {name}");
            total_captures += 1;
            let rel = cap.strip_prefix(&root).unwrap().to_string_lossy().to_string();
            let truth: Value = serde_json::from_slice(&std::fs::read(tf).unwrap()).unwrap();
            let (res, got) = run_path(&cap);
            let stats = match res {
                Ok(s) => s,
                Err(e) => {
                    failures.push(format!("{rel}: read error {e}"));
                    continue;
                }
            };
            if let Some(n) = truth["frames_total"].as_u64() {
                if stats.packets != n {
                    failures.push(format!("{rel}: {} frames read, capinfos says {n}", stats.packets));
                }
            }
            let undissected: BTreeSet<u64> = truth["undissected"]
                .as_array()
                .map(|a| a.iter().filter_map(|u| u["frame"].as_u64()).collect())
                .unwrap_or_default();
            let want: BTreeSet<Key> = truth["records"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|r| r.get("inside_esp").is_none())
                .map(truth_key)
                .collect();
            let have: BTreeSet<Key> = got.keys.iter().cloned().collect();
            assert_eq!(have.len(), got.keys.len(), "{rel}: duplicate datagrams");
            truth_total += want.len();
            for k in want.difference(&have) {
                if MISSING_OK.iter().any(|(f, fr, _)| rel.ends_with(f) && *fr == k.0) {
                    continue;
                }
                failures.push(format!("{rel}: missing {k:?}"));
            }
            for k in have.difference(&want) {
                if undissected.contains(&k.0) {
                    extra_undissected.push(format!("{rel}#{}", k.0));
                    continue;
                }
                if EXTRA_OK.iter().any(|(f, fr, _)| rel.ends_with(f) && *fr == k.0) {
                    continue;
                }
                failures.push(format!("{rel}: extra {k:?}"));
            }
            matched += want.intersection(&have).count();
            // ESP length as tshark computes it.
            for r in truth["records"].as_array().unwrap() {
                if r["kind"] == "esp" && r.get("inside_esp").is_none() {
                    let f = r["frame"].as_u64().unwrap();
                    let l = r["esp"]["length"].as_u64().unwrap() as u32;
                    if !got.esp_len.contains(&(f, l)) {
                        failures.push(format!(
                            "{rel}: frame {f}: ESP length {l} expected, got {:?}",
                            got.esp_len.iter().filter(|e| e.0 == f).collect::<Vec<_>>()
                        ));
                    }
                }
                // Timestamps: tshark's epoch string with nanoseconds.
                if r.get("inside_esp").is_none() {
                    let f = r["frame"].as_u64().unwrap();
                    let te = r["time_epoch"].as_str().unwrap();
                    let (s, frac) = te.split_once('.').unwrap();
                    let ns: i64 = s.parse::<i64>().unwrap() * 1_000_000_000
                        + format!("{frac:0<9}")[..9].parse::<i64>().unwrap();
                    if let Some((_, t)) = got.times.iter().find(|(fr, _)| *fr == f) {
                        if t.0 != ns {
                            failures.push(format!("{rel}: frame {f}: time {} != {ns}", t.0));
                        }
                    }
                }
            }
        }
        report.push(format!(
            "{corpus}: {} captures, {matched} of {truth_total} truth datagrams matched; \
             extra on tshark-undissected frames: {extra_undissected:?}",
            files.len()
        ));
    }
    for r in &report {
        eprintln!("{r}");
    }
    assert!(
        total_captures >= 66 + 20,
        "expected all shared captures, found {total_captures}"
    );
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn fragmentation_loss_capture_reassembles_and_reports_lost_fragments() {
    let path = own("ikev2_fragmentation_loss.pcap");
    let (res, c) = run_path(&path);
    let stats = res.unwrap();
    // Captured before the dropping router: both fragments of every IKE_AUTH are present.
    assert_eq!(stats.reassembled, 5);
    assert!(c.events.is_empty(), "{:?}", c.events);
    for (frame, data, marker) in &c.ike_data {
        if *frame >= 3 {
            assert!(*marker);
            // IKE length field equals the reassembled message length.
            let len = u32::from_be_bytes(data[24..28].try_into().unwrap()) as usize;
            assert_eq!(len, data.len(), "frame {frame}");
        }
    }
    // What the responder sees: drop every non-first fragment.
    let bytes = std::fs::read(&path).unwrap();
    let recs = split_pcap(&bytes);
    let mut out = bytes[..24].to_vec();
    for r in &recs {
        let ip = &r[16 + 14..];
        let frag = u16::from_be_bytes([ip[6], ip[7]]) & 0x1fff;
        if frag == 0 {
            out.extend_from_slice(r);
        }
    }
    let (res, c) = run_bytes(out);
    let stats = res.unwrap();
    assert_eq!(stats.incomplete_reassemblies, 5);
    let inc: Vec<_> = c
        .events
        .iter()
        .filter_map(|e| match e {
            IngestEvent::IncompleteReassembly {
                frames,
                ports,
                proto,
                total_len,
                bytes_seen,
                ..
            } => Some((frames.clone(), *ports, *proto, *total_len, *bytes_seen)),
            _ => None,
        })
        .collect();
    assert_eq!(inc.len(), 5, "{:?}", c.events);
    for (frames, ports, proto, total, seen) in &inc {
        assert_eq!(frames.len(), 1);
        assert_eq!(*ports, Some((4500, 4500)));
        assert_eq!(*proto, 17);
        assert_eq!(*total, None);
        assert_eq!(*seen, 1480);
    }
    // Only the two IKE_SA_INIT messages are complete datagrams.
    assert_eq!(c.keys.len(), 2);
}

fn split_pcap(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut off = 24;
    while off + 16 <= bytes.len() {
        let cl = u32::from_le_bytes(bytes[off + 8..off + 12].try_into().unwrap()) as usize;
        out.push(bytes[off..off + 16 + cl].to_vec());
        off += 16 + cl;
    }
    out
}

// ------------------------------------------------------------------------------------------
// Packet builders
// ------------------------------------------------------------------------------------------

const A: [u8; 4] = [192, 0, 2, 1];
const B: [u8; 4] = [198, 51, 100, 1];

fn csum_ipv4(h: &mut [u8]) {
    let mut s = 0u32;
    for i in (0..h.len()).step_by(2) {
        s += u16::from_be_bytes([h[i], h[i + 1]]) as u32;
    }
    while s > 0xffff {
        s = (s & 0xffff) + (s >> 16);
    }
    let c = !(s as u16);
    h[10..12].copy_from_slice(&c.to_be_bytes());
}

fn ipv4_frag(
    src: [u8; 4],
    dst: [u8; 4],
    proto: u8,
    id: u16,
    more: bool,
    off8: u16,
    payload: &[u8],
) -> Vec<u8> {
    let mut h = vec![0x45, 0, 0, 0, 0, 0, 0, 0, 64, proto, 0, 0];
    let tl = (20 + payload.len()) as u16;
    h[2..4].copy_from_slice(&tl.to_be_bytes());
    h[4..6].copy_from_slice(&id.to_be_bytes());
    let fw = off8 | if more { 0x2000 } else { 0 };
    h[6..8].copy_from_slice(&fw.to_be_bytes());
    h.extend_from_slice(&src);
    h.extend_from_slice(&dst);
    csum_ipv4(&mut h);
    h.extend_from_slice(payload);
    h
}

fn ipv4(src: [u8; 4], dst: [u8; 4], proto: u8, payload: &[u8]) -> Vec<u8> {
    ipv4_frag(src, dst, proto, 1, false, 0, payload)
}

fn v6(last: u8) -> [u8; 16] {
    let mut a = [0u8; 16];
    a[0] = 0x20;
    a[1] = 0x01;
    a[2] = 0x0d;
    a[3] = 0xb8;
    a[15] = last;
    a
}

fn ipv6(src: [u8; 16], dst: [u8; 16], nh: u8, payload: &[u8]) -> Vec<u8> {
    let mut h = vec![0x60, 0, 0, 0];
    h.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    h.push(nh);
    h.push(64);
    h.extend_from_slice(&src);
    h.extend_from_slice(&dst);
    h.extend_from_slice(payload);
    h
}

fn udp(sp: u16, dp: u16, payload: &[u8]) -> Vec<u8> {
    let mut u = Vec::new();
    u.extend_from_slice(&sp.to_be_bytes());
    u.extend_from_slice(&dp.to_be_bytes());
    u.extend_from_slice(&((payload.len() + 8) as u16).to_be_bytes());
    u.extend_from_slice(&[0, 0]);
    u.extend_from_slice(payload);
    u
}

fn eth(et: u16, payload: &[u8]) -> Vec<u8> {
    let mut e = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2];
    e.extend_from_slice(&et.to_be_bytes());
    e.extend_from_slice(payload);
    e
}

/// A plausible IKEv2 IKE_SA_INIT header (+ body) of `len` bytes.
fn ike_msg(len: usize) -> Vec<u8> {
    let mut m = vec![0u8; len.max(28)];
    m[..8].copy_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8]);
    m[16] = 33;
    m[17] = 0x20;
    m[18] = 34;
    m[19] = 0x08;
    m[24..28].copy_from_slice(&(len as u32).to_be_bytes());
    m.truncate(len);
    m
}

fn esp_body(spi: u32, seq: u32, len: usize) -> Vec<u8> {
    let mut e = Vec::new();
    e.extend_from_slice(&spi.to_be_bytes());
    e.extend_from_slice(&seq.to_be_bytes());
    e.resize(len, 0xab);
    e
}

/// pcap file, little-endian µs unless `nanos`/`be`.
fn pcap(linktype: u32, recs: &[(u32, u32, Vec<u8>, u32)], nanos: bool, be: bool) -> Vec<u8> {
    let magic: u32 = if nanos { 0xa1b23c4d } else { 0xa1b2c3d4 };
    let w32 = |v: u32| if be { v.to_be_bytes() } else { v.to_le_bytes() };
    let w16 = |v: u16| if be { v.to_be_bytes() } else { v.to_le_bytes() };
    let mut f = Vec::new();
    f.extend_from_slice(&w32(magic));
    f.extend_from_slice(&w16(2));
    f.extend_from_slice(&w16(4));
    f.extend_from_slice(&w32(0));
    f.extend_from_slice(&w32(0));
    f.extend_from_slice(&w32(65535));
    f.extend_from_slice(&w32(linktype));
    for (s, frac, d, orig) in recs {
        f.extend_from_slice(&w32(*s));
        f.extend_from_slice(&w32(*frac));
        f.extend_from_slice(&w32(d.len() as u32));
        f.extend_from_slice(&w32(*orig));
        f.extend_from_slice(d);
    }
    f
}

fn rec(s: u32, d: Vec<u8>) -> (u32, u32, Vec<u8>, u32) {
    let l = d.len() as u32;
    (s, 0, d, l)
}

/// pcapng block writer.
struct Ng {
    out: Vec<u8>,
    be: bool,
}

impl Ng {
    fn new() -> Self {
        Ng {
            out: Vec::new(),
            be: false,
        }
    }
    fn w32(&self, v: u32) -> [u8; 4] {
        if self.be {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }
    fn w16(&self, v: u16) -> [u8; 2] {
        if self.be {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }
    fn block(&mut self, btype: u32, body: &[u8]) {
        let mut b = body.to_vec();
        while b.len() % 4 != 0 {
            b.push(0);
        }
        let len = (b.len() + 12) as u32;
        let t = self.w32(btype);
        let l = self.w32(len);
        self.out.extend_from_slice(&t);
        self.out.extend_from_slice(&l);
        self.out.extend_from_slice(&b);
        self.out.extend_from_slice(&l);
    }
    fn shb(&mut self, be: bool) {
        self.be = be;
        let mut b = Vec::new();
        b.extend_from_slice(&self.w32(0x1a2b3c4d));
        b.extend_from_slice(&self.w16(1));
        b.extend_from_slice(&self.w16(0));
        b.extend_from_slice(&[0xff; 8]);
        self.block(0x0a0d0d0a, &b);
    }
    fn idb(&mut self, linktype: u16, tsresol: Option<u8>, tsoffset: Option<i64>) {
        let mut b = Vec::new();
        b.extend_from_slice(&self.w16(linktype));
        b.extend_from_slice(&self.w16(0));
        b.extend_from_slice(&self.w32(0));
        if let Some(r) = tsresol {
            b.extend_from_slice(&self.w16(9));
            b.extend_from_slice(&self.w16(1));
            b.extend_from_slice(&[r, 0, 0, 0]);
        }
        if let Some(o) = tsoffset {
            b.extend_from_slice(&self.w16(14));
            b.extend_from_slice(&self.w16(8));
            b.extend_from_slice(&if self.be { o.to_be_bytes() } else { o.to_le_bytes() });
        }
        if tsresol.is_some() || tsoffset.is_some() {
            b.extend_from_slice(&[0, 0, 0, 0]);
        }
        self.block(1, &b);
    }
    fn epb(&mut self, iface: u32, ts: u64, data: &[u8], orig: u32) {
        let mut b = Vec::new();
        b.extend_from_slice(&self.w32(iface));
        b.extend_from_slice(&self.w32((ts >> 32) as u32));
        b.extend_from_slice(&self.w32(ts as u32));
        b.extend_from_slice(&self.w32(data.len() as u32));
        b.extend_from_slice(&self.w32(orig));
        b.extend_from_slice(data);
        self.block(6, &b);
    }
}

fn malformed(c: &Collect) -> Vec<String> {
    c.events
        .iter()
        .filter_map(|e| match e {
            IngestEvent::Malformed { what, .. } => Some(what.clone()),
            _ => None,
        })
        .collect()
}

// ------------------------------------------------------------------------------------------
// (b) corrupted input
// ------------------------------------------------------------------------------------------

#[test]
fn truncated_files_never_panic_and_deliver_complete_records() {
    // The project's own captures always; public pcapng captures too when the corpus is there.
    let mut inputs = vec![own("ikev2_natt_ok.pcap"), own("ikev2_fragmentation_loss.pcap")];
    if let Some(root) = common::corpus_extra() {
        inputs.push(root.join("public-captures/packetgen-ipsec/ikev2_cbc_hmac/ikev2_cbc_hmac.pcapng"));
        inputs.push(root.join("public-captures/ndpi/esp/esp.pcapng"));
    }
    for path in &inputs {
        let name = path.display();
        let bytes = std::fs::read(path).unwrap();
        let (full, fc) = run_bytes(bytes.clone());
        full.unwrap();
        let step = (bytes.len() / 400).max(1);
        let mut cuts: Vec<usize> = (0..bytes.len()).step_by(step).collect();
        cuts.extend(0..64.min(bytes.len()));
        for cut in cuts {
            let (r, c) = run_bytes(bytes[..cut].to_vec());
            match r {
                Ok(stats) => {
                    // Everything delivered is what the full run delivered for those frames.
                    let expect: Vec<&Key> = fc.keys.iter().filter(|k| k.0 <= stats.packets).collect();
                    let got: Vec<&Key> = c.keys.iter().collect();
                    assert_eq!(got, expect, "{name} cut at {cut}");
                }
                Err(e) => {
                    assert!(!e.to_string().is_empty());
                    assert!(
                        c.keys.is_empty(),
                        "{name} cut at {cut}: datagrams delivered before Err"
                    );
                }
            }
        }
    }
}

#[test]
fn bad_magic_and_empty_inputs_are_errors() {
    let (r, _) = run_bytes(b"hello world, not a capture".to_vec());
    let e = r.unwrap_err();
    assert!(matches!(e, CaptureError::BadMagic { .. }), "{e}");
    assert!(e.to_string().contains("not a pcap"), "{e}");
    let (r, _) = run_bytes(Vec::new());
    assert!(matches!(r.unwrap_err(), CaptureError::Empty { .. }));
    let (r, _) = run_bytes(vec![0xd4, 0xc3, 0xb2]);
    assert!(r.is_err());
    // Header cut short.
    let (r, _) = run_bytes(pcap(1, &[], false, false)[..20].to_vec());
    assert!(matches!(r.unwrap_err(), CaptureError::Header { .. }));
    // Header only: a valid, empty capture.
    let (r, c) = run_bytes(pcap(1, &[], false, false));
    assert_eq!(r.unwrap().packets, 0);
    assert!(c.events.is_empty());
}

fn ike_frame() -> Vec<u8> {
    eth(0x0800, &ipv4(A, B, 17, &udp(500, 500, &ike_msg(100))))
}

#[test]
fn pcap_record_claiming_gigabytes_is_an_error_not_an_allocation() {
    let mut f = pcap(1, &[rec(1, ike_frame())], false, false);
    // A record header claiming 4 GB.
    f.extend_from_slice(&2u32.to_le_bytes());
    f.extend_from_slice(&0u32.to_le_bytes());
    f.extend_from_slice(&0xffff_fff0u32.to_le_bytes());
    f.extend_from_slice(&0xffff_fff0u32.to_le_bytes());
    f.extend_from_slice(&[0u8; 100]);
    let (r, c) = run_bytes(f);
    let stats = r.unwrap();
    assert_eq!(stats.packets, 1);
    assert!(stats.stopped_early);
    assert_eq!(c.keys.len(), 1);
    let m = malformed(&c);
    assert!(
        m.iter().any(|w| w.contains("4294967280") && w.contains("limit")),
        "{m:?}"
    );
    // Same record as the very first one: nothing readable → Err.
    let mut f = pcap(1, &[], false, false);
    f.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0xf0, 0xff, 0xff, 0xff, 0, 0, 0, 1]);
    let (r, _) = run_bytes(f);
    assert!(matches!(r.unwrap_err(), CaptureError::TooLarge { .. }));
}

#[test]
fn pcapng_block_claiming_gigabytes_is_an_error_not_an_allocation() {
    for be in [false, true] {
        let mut ng = Ng::new();
        ng.shb(be);
        ng.idb(1, None, None);
        ng.epb(0, 1_000_000, &ike_frame(), ike_frame().len() as u32);
        let t = ng.w32(6);
        let l = ng.w32(0xc000_0000);
        ng.out.extend_from_slice(&t);
        ng.out.extend_from_slice(&l);
        ng.out.extend_from_slice(&[0u8; 64]);
        let (r, c) = run_bytes(ng.out);
        let stats = r.unwrap();
        assert_eq!(stats.packets, 1);
        assert_eq!(c.keys.len(), 1);
        assert!(
            malformed(&c).iter().any(|w| w.contains("3221225472")),
            "{:?}",
            c.events
        );
    }
    // An EPB whose captured length exceeds its block.
    let mut ng = Ng::new();
    ng.shb(false);
    ng.idb(1, None, None);
    ng.epb(0, 1, &ike_frame(), 142);
    let at = ng.out.len();
    ng.epb(0, 2, &ike_frame(), 142);
    ng.out[at + 20..at + 24].copy_from_slice(&100_000u32.to_le_bytes());
    let (r, c) = run_bytes(ng.out);
    assert_eq!(r.unwrap().packets, 1);
    assert!(
        malformed(&c).iter().any(|w| w.contains("exceeds")),
        "{:?}",
        c.events
    );
}

#[test]
fn zero_length_and_tiny_packets() {
    let recs = vec![
        rec(1, Vec::new()),
        rec(2, vec![1, 2, 3]),
        rec(3, ike_frame()),
        (4, 0, Vec::new(), 1500),
        rec(5, eth(0x0800, &[0x45])),
        rec(6, eth(0x0800, &ipv4(A, B, 17, &udp(500, 500, &[1, 2, 3])))),
        rec(7, ike_frame()),
    ];
    for lt in [1u32, 0, 101, 113, 276, 228, 229, 108, 12] {
        let (r, c) = run_bytes(pcap(lt, &recs, false, false));
        let stats = r.unwrap();
        assert_eq!(stats.packets, 7, "linktype {lt}");
        if lt == 1 {
            let frames: Vec<u64> = c.keys.iter().map(|k| k.0).collect();
            assert_eq!(frames, vec![3, 7]);
            let m = malformed(&c);
            assert!(m.iter().any(|w| w.contains("28-byte")), "{m:?}");
        }
    }
}

#[test]
fn garbage_frames_never_panic() {
    // Deterministic pseudo-random frames on every link type, plus mutations of a real packet.
    let mut x: u64 = 0x1234_5678_9abc_def0;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let base = ike_frame();
    let mut recs = Vec::new();
    for i in 0..3000u32 {
        let mut d = if i % 2 == 0 {
            base.clone()
        } else {
            let n = (next() % 200) as usize;
            (0..n).map(|_| next() as u8).collect()
        };
        for _ in 0..(next() % 6) {
            if !d.is_empty() {
                let at = (next() as usize) % d.len();
                d[at] = next() as u8;
            }
        }
        if next() % 4 == 0 && !d.is_empty() {
            let l = (next() as usize) % d.len();
            d.truncate(l);
        }
        recs.push(rec(i, d));
    }
    for lt in [1u32, 0, 101, 113, 276, 228, 229, 108, 12, 14] {
        let (r, _) = run_bytes(pcap(lt, &recs, false, false));
        assert_eq!(r.unwrap().packets, 3000);
    }
}

// ------------------------------------------------------------------------------------------
// pcapng interfaces, resolutions, sections
// ------------------------------------------------------------------------------------------

#[test]
fn pcapng_interfaces_with_different_linktypes_and_tsresol() {
    let mut ng = Ng::new();
    ng.shb(false);
    ng.idb(1, None, None); // Ethernet, µs
    ng.idb(101, Some(9), None); // raw IP, ns
    ng.idb(147, None, None); // unsupported (USER0)
    let ike = ike_frame();
    ng.epb(0, 1_700_000_000_123_456, &ike, ike.len() as u32);
    let esp = ipv4(A, B, 50, &esp_body(0x01020304, 7, 64));
    ng.epb(1, 1_700_000_001_000_000_123, &esp, esp.len() as u32);
    ng.epb(2, 5, &[1, 2, 3], 3);
    ng.epb(2, 6, &[1, 2, 3], 3);
    // Second section, big-endian, SLL2 with 2^-20 resolution and a 100 s offset.
    ng.shb(true);
    ng.idb(276, Some(0x80 | 20), Some(100));
    let mut sll2 = vec![0x08, 0x00, 0, 0, 0, 0, 0, 1, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0];
    sll2.extend_from_slice(&ipv4(A, B, 17, &udp(4500, 4500, &[0xff])));
    ng.epb(0, (1_700_000_002u64 << 20) + (1 << 19), &sll2, sll2.len() as u32);
    // Interface 1 does not exist in this section.
    ng.epb(1, 0, &sll2, sll2.len() as u32);

    let (r, c) = run_bytes(ng.out.clone());
    let stats = r.unwrap();
    assert_eq!(stats.packets, 6);
    let kinds: Vec<(u64, &str)> = c.keys.iter().map(|k| (k.0, k.1)).collect();
    assert_eq!(kinds, vec![(1, "ike"), (2, "esp"), (5, "nat_keepalive")]);
    assert_eq!(
        c.times,
        vec![
            (1, Timestamp(1_700_000_000_123_456_000)),
            (2, Timestamp(1_700_000_001_000_000_123)),
            (5, Timestamp(1_700_000_102_500_000_000)),
        ]
    );
    let unsupported: Vec<_> = c
        .events
        .iter()
        .filter(|e| matches!(e, IngestEvent::UnsupportedLinkType { .. }))
        .collect();
    assert_eq!(
        unsupported,
        vec![&IngestEvent::UnsupportedLinkType {
            frame: 3,
            linktype: 147
        }]
    );
    assert!(malformed(&c).iter().any(|w| w.contains("interface 1")));
    assert_eq!(c.esp_len, vec![(2, 64)]);
}

#[test]
fn pcap_byte_orders_and_nanosecond_magic() {
    for (nanos, be) in [(false, false), (false, true), (true, false), (true, true)] {
        let f = pcap(1, &[(10, 999_999, ike_frame(), 142)], nanos, be);
        let (r, c) = run_bytes(f);
        r.unwrap();
        let want = if nanos { 10_000_999_999 } else { 10_999_999_000 };
        assert_eq!(c.times, vec![(1, Timestamp(want))]);
    }
}

#[test]
fn unsupported_pcap_linktype_reported_once() {
    let f = pcap(147, &[rec(1, ike_frame()), rec(2, ike_frame())], false, false);
    let (r, c) = run_bytes(f);
    let s = r.unwrap();
    assert_eq!(s.packets, 2);
    assert_eq!(s.unsupported_frames, 2);
    assert_eq!(
        c.events,
        vec![IngestEvent::UnsupportedLinkType {
            frame: 1,
            linktype: 147
        }]
    );
}

// ------------------------------------------------------------------------------------------
// Link layers, IPv6, demux, ICMP
// ------------------------------------------------------------------------------------------

#[test]
fn link_layers() {
    let ip = ipv4(A, B, 17, &udp(500, 500, &ike_msg(60)));
    let ip6 = ipv6(v6(1), v6(2), 50, &esp_body(9, 10, 40));
    let mut qinq = vec![
        2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x88, 0xa8, 0, 5, 0x81, 0x00, 0, 7, 0x08, 0x00,
    ];
    qinq.extend_from_slice(&ip);
    let mut sll = vec![0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x86, 0xdd];
    sll.extend_from_slice(&ip6);
    let mut null_le = 30u32.to_le_bytes().to_vec();
    null_le.extend_from_slice(&ip6);
    let mut null_be = 24u32.to_be_bytes().to_vec();
    null_be.extend_from_slice(&ip6);
    let mut null4 = 2u32.to_be_bytes().to_vec();
    null4.extend_from_slice(&ip);
    let mut pppoe = vec![0x11, 0, 0, 1, 0, 0, 0x00, 0x21];
    pppoe.extend_from_slice(&ip);
    let mut mpls = vec![0, 0x01, 0x01, 0x40];
    mpls.extend_from_slice(&ip6);
    let cases: Vec<(u32, Vec<u8>, &str)> = vec![
        (1, qinq, "ike"),
        (113, sll, "esp"),
        (0, null_le, "esp"),
        (0, null_be, "esp"),
        (108, null4, "ike"),
        (101, ip6.clone(), "esp"),
        (12, ip.clone(), "ike"),
        (14, ip6.clone(), "esp"),
        (228, ip.clone(), "ike"),
        (229, ip6.clone(), "esp"),
        (1, eth(0x8864, &pppoe), "ike"),
        (1, eth(0x8847, &mpls), "esp"),
    ];
    for (lt, frame, kind) in cases {
        let (r, c) = run_bytes(pcap(lt, &[rec(1, frame)], false, false));
        r.unwrap();
        assert_eq!(c.keys.len(), 1, "linktype {lt}: {:?}", c.events);
        assert_eq!(c.keys[0].1, kind, "linktype {lt}");
    }
}

#[test]
fn ipv6_extension_headers_ah_and_fragments() {
    // hop-by-hop, dest options, then ESP.
    let mut ext = vec![60, 0, 1, 4, 0, 0, 0, 0]; // HBH → DO
    ext.extend_from_slice(&[50, 0, 1, 4, 0, 0, 0, 0]); // DO → ESP
    ext.extend_from_slice(&esp_body(0xaabbccdd, 3, 32));
    let p1 = eth(0x86dd, &ipv6(v6(1), v6(2), 0, &ext));
    // IPv4 AH then ESP.
    let mut ah = vec![50, 4, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1];
    ah.extend_from_slice(&[0; 12]);
    ah.extend_from_slice(&esp_body(0x11111111, 5, 40));
    let p2 = eth(0x0800, &ipv4(A, B, 51, &ah));
    // IPv6 fragmented IKE on 500: two fragments, second arrives first.
    let msg = udp(500, 500, &ike_msg(1400));
    let (f1, f2) = msg.split_at(1232);
    let frag = |off: usize, more: bool, data: &[u8]| {
        let mut h = vec![17, 0];
        h.extend_from_slice(&((off as u16) | more as u16).to_be_bytes());
        h.extend_from_slice(&0xdeadbeefu32.to_be_bytes());
        h.extend_from_slice(data);
        eth(0x86dd, &ipv6(v6(1), v6(2), 44, &h))
    };
    let p3 = frag(1232, false, f2);
    let p4 = frag(0, true, f1);
    let (r, c) = run_bytes(pcap(
        1,
        &[rec(1, p1), rec(2, p2), rec(3, p3), rec(4, p4)],
        false,
        false,
    ));
    let s = r.unwrap();
    assert_eq!(s.reassembled, 1);
    type Short<'a> = (u64, &'a str, Option<u32>, Option<Vec<u64>>);
    let keys: Vec<Short> = c.keys.iter().map(|k| (k.0, k.1, k.8, k.7.clone())).collect();
    assert_eq!(
        keys,
        vec![
            (1, "esp", Some(0xaabbccdd), None),
            (2, "esp", Some(0x11111111), None),
            (4, "ike", None, Some(vec![4, 3])),
        ]
    );
    // Protocol 50: the IP payload length, extension headers and AH included (as tshark).
    assert_eq!(c.esp_len, vec![(1, 48), (2, 64)]);
    assert_eq!(c.ike_data[0].1, ike_msg(1400));
}

#[test]
fn nat_t_demux_and_short_ike() {
    let mut marker = vec![0, 0, 0, 0];
    marker.extend_from_slice(&ike_msg(80));
    let frames = vec![
        rec(1, eth(0x0800, &ipv4(A, B, 17, &udp(4500, 4500, &[0xff])))),
        rec(2, eth(0x0800, &ipv4(A, B, 17, &udp(4500, 4500, &marker)))),
        rec(
            3,
            eth(
                0x0800,
                &ipv4(A, B, 17, &udp(61000, 4500, &esp_body(0x77, 1, 100))),
            ),
        ),
        rec(4, eth(0x0800, &ipv4(A, B, 17, &udp(500, 500, &ike_msg(20))))),
        rec(5, eth(0x0800, &ipv4(A, B, 17, &udp(4500, 4500, &[0x00])))),
        rec(6, eth(0x0800, &ipv4(A, B, 17, &udp(53, 53, &[0; 40])))),
        rec(7, eth(0x0800, &ipv4(A, B, 17, &udp(7000, 7001, &ike_msg(40))))),
    ];
    let (r, c) = run_bytes(pcap(1, &frames, false, false));
    let s = r.unwrap();
    let kinds: Vec<(u64, &str)> = c.keys.iter().map(|k| (k.0, k.1)).collect();
    assert_eq!(kinds, vec![(1, "nat_keepalive"), (2, "ike"), (3, "esp")]);
    assert!(c.ike_data[0].2, "non-ESP marker flagged");
    assert_eq!(c.ike_data[0].1, ike_msg(80));
    assert_eq!(c.esp_len, vec![(3, 100)]);
    assert_eq!(s.malformed, 2, "{:?}", c.events);
    // Extra IKE port.
    let opts = IngestOptions {
        ike_ports: vec![7001],
        ..Default::default()
    };
    let (r, c) = run_bytes_opts(pcap(1, &frames, false, false), &opts);
    r.unwrap();
    assert!(c.keys.iter().any(|k| k.0 == 7 && k.1 == "ike"));
}

#[test]
fn snaplen_truncated_ike_is_handed_on() {
    let full = ike_frame();
    let cut = full[..14 + 20 + 8 + 40].to_vec();
    let (r, c) = run_bytes(pcap(1, &[(1, 0, cut, full.len() as u32)], false, false));
    assert_eq!(r.unwrap().truncated_frames, 1);
    assert_eq!(c.keys.len(), 1);
    assert!(c.keys[0].6, "truncated flag");
    assert_eq!(c.ike_data[0].1.len(), 40);
}

#[test]
fn icmp_errors_quoting_ike_and_esp() {
    // Frag needed (MTU 1400) quoting ESP-in-UDP 4500.
    let quoted = ipv4(A, B, 17, &udp(4500, 4500, &esp_body(0xcafe0001, 9, 1400)));
    let mut icmp = vec![3, 4, 0, 0, 0, 0];
    icmp.extend_from_slice(&1400u16.to_be_bytes());
    icmp.extend_from_slice(&quoted[..20 + 8 + 8]);
    let p1 = eth(0x0800, &ipv4([10, 0, 0, 1], A, 1, &icmp));
    // ICMPv6 packet too big quoting IKE on 500.
    let q6 = ipv6(v6(1), v6(2), 17, &udp(500, 500, &ike_msg(1500)));
    let mut icmp6 = vec![2, 0, 0, 0];
    icmp6.extend_from_slice(&1280u32.to_be_bytes());
    icmp6.extend_from_slice(&q6[..40 + 8 + 28]);
    let p2 = eth(0x86dd, &ipv6(v6(9), v6(1), 58, &icmp6));
    // Port unreachable quoting DNS: ignored.
    let mut icmp3 = vec![3, 3, 0, 0, 0, 0, 0, 0];
    icmp3.extend_from_slice(&ipv4(A, B, 17, &udp(53, 53, &[0; 8]))[..28]);
    let p3 = eth(0x0800, &ipv4(B, A, 1, &icmp3));
    // Time exceeded quoting raw ESP.
    let mut icmp4 = vec![11, 0, 0, 0, 0, 0, 0, 0];
    icmp4.extend_from_slice(&ipv4(A, B, 50, &esp_body(0x42, 1, 64))[..28]);
    let p4 = eth(0x0800, &ipv4([10, 0, 0, 1], A, 1, &icmp4));
    let (r, c) = run_bytes(pcap(
        1,
        &[rec(1, p1), rec(2, p2), rec(3, p3), rec(4, p4)],
        false,
        false,
    ));
    assert_eq!(r.unwrap().icmp_errors, 3);
    assert_eq!(c.icmp.len(), 3);
    let (f, v, t, code, mtu, q) = c.icmp[0];
    assert_eq!((f, v, t, code, mtu), (1, 4, 3, 4, Some(1400)));
    assert_eq!(q.ports, Some((4500, 4500)));
    assert_eq!(q.esp_spi, Some(0xcafe0001));
    assert_eq!(q.src, IpAddr::from(A));
    let (f, v, t, _, mtu, q) = c.icmp[1];
    assert_eq!((f, v, t, mtu), (2, 6, 2, Some(1280)));
    assert_eq!(q.ike_spis.unwrap().0, [1, 2, 3, 4, 5, 6, 7, 8]);
    let (f, _, t, _, _, q) = c.icmp[2];
    assert_eq!((f, t, q.proto, q.esp_spi), (4, 11, 50, Some(0x42)));
    // The ICMP record carries the outer addresses.
    assert_eq!(c.keys[0].2, IpAddr::from([10, 0, 0, 1]));
}

#[test]
fn ipv4_reassembly_overlap_timeout_and_non_ike_udp() {
    let msg = udp(4500, 4500, &{
        let mut m = vec![0, 0, 0, 0];
        m.extend_from_slice(&ike_msg(2000));
        m
    });
    let pieces = [(0usize, 1000usize), (1000, 1012)];
    let frag = |id: u16, off: usize, len: usize, more: bool| {
        eth(
            0x0800,
            &ipv4_frag(A, B, 17, id, more, (off / 8) as u16, &msg[off..off + len]),
        )
    };
    let dns = udp(53, 53, &[0u8; 1500]);
    let frames = vec![
        rec(1, frag(1, pieces[0].0, pieces[0].1, true)),
        // duplicate of the first fragment
        rec(2, frag(1, pieces[0].0, pieces[0].1, true)),
        rec(3, frag(1, pieces[1].0, pieces[1].1, false)),
        // id 2: only the first fragment, then 40 s of silence → expired
        rec(4, frag(2, 0, 1000, true)),
        // non-IKE UDP fragments: never reported
        rec(5, eth(0x0800, &ipv4_frag(A, B, 17, 3, true, 0, &dns[..800]))),
        rec(50, ike_frame()),
    ];
    let (r, c) = run_bytes(pcap(1, &frames, false, false));
    let s = r.unwrap();
    assert_eq!(s.reassembled, 1);
    assert_eq!(c.keys[0].0, 3);
    assert_eq!(c.keys[0].7, Some(vec![1, 3]));
    let inc: Vec<_> = c
        .events
        .iter()
        .filter(|e| matches!(e, IngestEvent::IncompleteReassembly { .. }))
        .collect();
    assert_eq!(inc.len(), 1, "{:?}", c.events);
    // The expiry is reported before frame 6's datagram is delivered (capture order): check by
    // the event content.
    match inc[0] {
        IngestEvent::IncompleteReassembly { frames, ports, .. } => {
            assert_eq!(frames, &vec![4]);
            assert_eq!(*ports, Some((4500, 4500)));
        }
        _ => unreachable!(),
    }
}

// ------------------------------------------------------------------------------------------
// (c) gzip and open_input
// ------------------------------------------------------------------------------------------

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

#[test]
fn gzip_input_by_content_not_name() {
    let src = own("ikev2_natt_ok.pcap");
    let plain = std::fs::read(&src).unwrap();
    let (r, want) = run_bytes(plain.clone());
    let want_stats = r.unwrap();
    let gz = gzip(&plain);

    // read_capture directly on gzip bytes.
    let (r, got) = run_bytes(gz.clone());
    assert_eq!(r.unwrap().packets, want_stats.packets);
    assert_eq!(got.keys, want.keys);

    let dir = std::env::temp_dir().join(format!("ikescope-ingest-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for name in ["a.pcap.gz", "renamed.pcap", "noext"] {
        let p = dir.join(name);
        std::fs::write(&p, &gz).unwrap();
        let (r, got) = run_path(&p);
        assert_eq!(r.unwrap().packets, want_stats.packets, "{name}");
        assert_eq!(got.keys, want.keys, "{name}");
    }
    // A plain file named .gz is read as plain.
    let p = dir.join("plain.gz");
    std::fs::write(&p, &plain).unwrap();
    let (r, got) = run_path(&p);
    r.unwrap();
    assert_eq!(got.keys, want.keys);
    // Corrupt gzip after some packets: stops with an event, packets so far delivered.
    let mut bad = gzip(&plain);
    let n = bad.len();
    for b in &mut bad[n / 2..n - 8] {
        *b ^= 0x5a;
    }
    let p = dir.join("corrupt.gz");
    std::fs::write(&p, &bad).unwrap();
    let (r, _) = run_path(&p);
    match r {
        Ok(s) => assert!(s.stopped_early),
        Err(e) => assert!(!e.to_string().is_empty()),
    }
    // Missing file.
    assert!(matches!(
        open_input(dir.join("nope").to_str().unwrap()),
        Err(CaptureError::Open { .. })
    ));
    std::fs::remove_dir_all(&dir).ok();
}

/// A reader that returns one byte at a time (like a slow pipe on stdin).
struct Trickle(Vec<u8>, usize);
impl Read for Trickle {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.1 >= self.0.len() || buf.is_empty() {
            return Ok(0);
        }
        buf[0] = self.0[self.1];
        self.1 += 1;
        Ok(1)
    }
}

#[test]
fn stdin_like_short_reads() {
    let mut inputs = vec![own("ikev2_natt_ok.pcap")];
    if let Some(root) = common::corpus_extra() {
        inputs.push(root.join("public-captures/packetgen-ipsec/ikev2_cbc_hmac/ikev2_cbc_hmac.pcapng"));
    }
    for path in &inputs {
        let name = path.display();
        let plain = std::fs::read(path).unwrap();
        let (r, want) = run_bytes(plain.clone());
        r.unwrap();
        for bytes in [plain.clone(), gzip(&plain)] {
            let mut c = Collect::default();
            let r = read_capture(Box::new(Trickle(bytes, 0)), &IngestOptions::default(), &mut c);
            r.unwrap();
            assert_eq!(c.keys, want.keys, "{name}");
        }
    }
}

#[test]
fn time_window_drops_frames_outside_it_and_keeps_frame_numbers() {
    // Frames at t = 100, 101, ..., 105 s; the window [102 s, 104 s) keeps frames 3 and 4.
    let frames: Vec<_> = (0..6)
        .map(|i| {
            rec(
                100 + i,
                eth(0x0800, &ipv4(A, B, 17, &udp(500, 500, &ike_msg(40)))),
            )
        })
        .collect();
    let opts = IngestOptions {
        window: ikescope::capture::TimeWindow {
            since: Some(ikescope::capture::parse_time_bound("102").unwrap()),
            until: Some(ikescope::capture::parse_time_bound("1970-01-01T00:01:44Z").unwrap()),
        },
        ..Default::default()
    };
    let (r, c) = run_bytes_opts(pcap(1, &frames, false, false), &opts);
    let stats = r.unwrap();
    let kept: Vec<u64> = c.keys.iter().map(|k| k.0).collect();
    assert_eq!(kept, [3, 4]);
    assert_eq!(
        (stats.packets, stats.outside_window, stats.ike_packets),
        (6, 4, 2)
    );
    // Without a window every frame is read.
    let (r, c) = run_bytes(pcap(1, &frames, false, false));
    assert_eq!(r.unwrap().outside_window, 0);
    assert_eq!(c.keys.len(), 6);
}
