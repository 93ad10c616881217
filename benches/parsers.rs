//! Criterion benchmarks of the parser entry points and of ingest, on real bytes from the
//! project's captures (issue 5).
//!
//! ```sh
//! cargo bench --bench parsers
//! cargo bench --bench parsers -- dissect_ike      # one group
//! ```
//!
//! Inputs (all read from `captures/` at start-up):
//! - the first IKEv2 IKE_SA_INIT request of `ikev2_ok.pcap` (UDP 500 payload),
//! - the first IKEv1 Main Mode message of `ikev1_main_ok.pcap`,
//! - the first IKEv2 IKE_AUTH request (on UDP 4500, encrypted SK payload) of `ikev2_ok.pcap`,
//! - the first UDP-encapsulated ESP packet of `ikev2_ok.pcap`,
//! - an in-memory pcap of ~16 MiB built by repeating all frames of `ikev2_ok.pcap`, each round
//!   followed by its ESP frames 25 more times (about 2 % IKE frames, like a gateway capture),
//!   ESP frames padded to 1,400 bytes, for ingest (framing + link/IP/UDP demultiplexing) and
//!   ingest + decode + collect.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use ikescope::capture::{read_capture, Datagram, DatagramSink, IngestEvent, IngestOptions};
use ikescope::decode::Decoder;
use ikescope::decode::RecordSink;
use ikescope::reconstruct::Collected;
use ikescope_parsers::{esp, ikev1, ikev2, isakmp, udp_encap};
use pcap_parser::pcap::parse_pcap;
use std::io::Cursor;
use std::path::Path;

/// Frames (with their pcap record) of one of the project's captures.
fn frames(name: &str) -> Vec<(u32, u32, Vec<u8>)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures").join(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let (_, cap) = parse_pcap(&bytes).expect("pcap");
    cap.blocks
        .iter()
        .map(|b| (b.ts_sec, b.ts_usec, b.data.to_vec()))
        .collect()
}

/// UDP payload of an Ethernet/IPv4/UDP frame: (source port, destination port, payload).
fn udp_payload(f: &[u8]) -> Option<(u16, u16, &[u8])> {
    if f.len() < 42 || f[12..14] != [0x08, 0x00] || f[23] != 17 {
        return None;
    }
    let l4 = 14 + usize::from(f[14] & 15) * 4;
    let sp = u16::from_be_bytes([f[l4], f[l4 + 1]]);
    let dp = u16::from_be_bytes([f[l4 + 2], f[l4 + 3]]);
    Some((sp, dp, &f[l4 + 8..]))
}

/// First IKE message (ISAKMP header onwards) with this exchange type.
fn ike_message(name: &str, exchange: u8) -> Vec<u8> {
    for (_, _, f) in frames(name) {
        let Some((sp, dp, p)) = udp_payload(&f) else {
            continue;
        };
        let msg = if sp == 500 || dp == 500 {
            p
        } else if p.len() > 4 && p[..4] == [0, 0, 0, 0] {
            &p[4..]
        } else {
            continue;
        };
        if msg.len() >= 28 && msg[18] == exchange {
            return msg.to_vec();
        }
    }
    panic!("no exchange {exchange} in {name}");
}

/// First UDP-encapsulated ESP packet (SPI onwards).
fn esp_packet(name: &str) -> Vec<u8> {
    for (_, _, f) in frames(name) {
        if let Some((_, 4500, p)) | Some((4500, _, p)) = udp_payload(&f) {
            if p.len() >= 8 && p[..4] != [0, 0, 0, 0] {
                return p.to_vec();
            }
        }
    }
    panic!("no ESP in {name}");
}

/// An in-memory pcap of about `target` bytes repeating the frames of `name`; ESP frames are
/// padded to 1,400 bytes so the mix is ESP-heavy like a gateway capture.
fn pcap_image(name: &str, target: usize) -> (Vec<u8>, u64) {
    let fr = frames(name);
    let mut out = Vec::with_capacity(target + 4096);
    out.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&65535u32.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes());
    let mut n = 0u64;
    let mut round = 0u32;
    while out.len() < target {
        let esp_only = fr.iter().filter(
            |(_, _, f)| matches!(udp_payload(f), Some((_, _, p)) if p.len() >= 8 && p[..4] != [0, 0, 0, 0]),
        );
        let esp_only: Vec<_> = esp_only.collect();
        let round_frames = fr.iter().chain((0..25).flat_map(|_| esp_only.iter().copied()));
        for (s, us, f) in round_frames {
            let mut f = f.clone();
            let is_esp = matches!(udp_payload(&f), Some((_, _, p)) if p.len() >= 8 && p[..4] != [0, 0, 0, 0] && p.len() != 1);
            if is_esp && f.len() < 1400 {
                let grow = 1400 - f.len();
                f.resize(1400, 0xa5);
                let ip_len = u16::from_be_bytes([f[16], f[17]]) as usize + grow;
                f[16..18].copy_from_slice(&(ip_len as u16).to_be_bytes());
                let udp = 14 + usize::from(f[14] & 15) * 4;
                let ulen = u16::from_be_bytes([f[udp + 4], f[udp + 5]]) as usize + grow;
                f[udp + 4..udp + 6].copy_from_slice(&(ulen as u16).to_be_bytes());
            }
            out.extend_from_slice(&(s + round * 100).to_le_bytes());
            out.extend_from_slice(&us.to_le_bytes());
            out.extend_from_slice(&(f.len() as u32).to_le_bytes());
            out.extend_from_slice(&(f.len() as u32).to_le_bytes());
            out.extend_from_slice(&f);
            n += 1;
        }
        round += 1;
    }
    (out, n)
}

fn bench_isakmp(c: &mut Criterion) {
    let init = ike_message("ikev2_ok.pcap", 34);
    let mm1 = ike_message("ikev1_main_ok.pcap", 2);
    let mut g = c.benchmark_group("isakmp");
    g.throughput(Throughput::Elements(1));
    g.bench_function("parse_header/ikev2_sa_init", |b| {
        b.iter(|| isakmp::parse_header(black_box(&init)).map(|(h, _)| h.length))
    });
    g.bench_function("payload_walk_raw/ikev2_sa_init", |b| {
        b.iter(|| {
            let m = isakmp::parse_message(black_box(&init)).unwrap();
            m.payloads().filter(|p| p.is_ok()).count()
        })
    });
    g.bench_function("payload_walk_typed/ikev2_sa_init", |b| {
        b.iter(|| {
            let m = isakmp::parse_message(black_box(&init)).unwrap();
            m.payloads()
                .filter_map(|p| p.ok())
                .filter(|p| ikev2::parse_payload(p).is_ok())
                .count()
        })
    });
    g.bench_function("payload_walk_typed/ikev1_main_mode_1", |b| {
        b.iter(|| {
            let m = isakmp::parse_message(black_box(&mm1)).unwrap();
            m.payloads()
                .filter_map(|p| p.ok())
                .filter(|p| ikev1::parse_payload(p).is_ok())
                .count()
        })
    });
    g.finish();
}

fn bench_dissect(c: &mut Criterion) {
    let init = ike_message("ikev2_ok.pcap", 34);
    let auth = ike_message("ikev2_ok.pcap", 35);
    let mm1 = ike_message("ikev1_main_ok.pcap", 2);
    let mut g = c.benchmark_group("dissect_ike");
    g.throughput(Throughput::Elements(1));
    for (name, msg) in [
        ("ikev2_sa_init", &init),
        ("ikev2_auth_sk", &auth),
        ("ikev1_main_mode_1", &mm1),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| ikescope::decode::ike::dissect_ike(black_box(msg)).map(|(i, p)| (i.length, p.len())))
        });
    }
    g.finish();
}

fn bench_esp(c: &mut Criterion) {
    let pkt = esp_packet("ikev2_ok.pcap");
    let mut g = c.benchmark_group("esp");
    g.throughput(Throughput::Elements(1));
    g.bench_function("parse_esp", |b| {
        b.iter(|| esp::parse_esp(black_box(&pkt)).map(|h| (h.spi, h.seq)))
    });
    g.bench_function("udp_encap_classify", |b| {
        b.iter(|| {
            matches!(
                udp_encap::classify(black_box(&pkt), pkt.len()),
                udp_encap::UdpEncap::Unmarked(..)
            )
        })
    });
    g.finish();
}

struct Count(u64);

impl DatagramSink for Count {
    fn datagram(&mut self, d: &Datagram<'_>) {
        self.0 += u64::from(d.ip_length);
    }
    fn event(&mut self, _: &IngestEvent) {}
}

struct Collect {
    decoder: Decoder,
    data: Collected,
}

impl DatagramSink for Collect {
    fn datagram(&mut self, d: &Datagram<'_>) {
        let r = self.decoder.decode(d);
        self.data.record(r);
    }
    fn event(&mut self, e: &IngestEvent) {
        self.data.event(0, e);
    }
}

fn bench_ingest(c: &mut Criterion) {
    let (image, frames) = pcap_image("ikev2_ok.pcap", 16 << 20);
    let image: &'static [u8] = Box::leak(image.into_boxed_slice());
    let opts = IngestOptions::default();
    let mut g = c.benchmark_group("ingest");
    g.sample_size(20);
    g.throughput(Throughput::Bytes(image.len() as u64));
    g.bench_function(format!("read_capture/{frames}_frames"), |b| {
        b.iter(|| {
            let mut sink = Count(0);
            read_capture(Box::new(Cursor::new(image)), &opts, &mut sink).unwrap();
            sink.0
        })
    });
    g.bench_function(format!("read_decode_collect/{frames}_frames"), |b| {
        b.iter(|| {
            let mut sink = Collect {
                decoder: Decoder::new(0),
                data: Collected::new(vec!["mem".into()]),
            };
            read_capture(Box::new(Cursor::new(image)), &opts, &mut sink).unwrap();
            sink.data.ike.len()
        })
    });
    g.finish();
}

criterion_group!(benches, bench_isakmp, bench_dissect, bench_esp, bench_ingest);
criterion_main!(benches);
