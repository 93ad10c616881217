//! Deterministic gateway-scale capture synthesizer (issue 5).
//!
//! ```sh
//! cargo run --release --example synth -- --size 2GiB --tunnels 5000 --seed 1 -o /tmp/big.pcap
//! ```
//!
//! Writes an Ethernet pcap (microsecond timestamps) whose frames are in time order:
//!
//! - **IKE tunnels**: each tunnel replays the whole conversation of one of the project's own
//!   captures (`captures/*.pcap`) with rewritten outer addresses (peers in 198.18.0.0/15, then
//!   10.0.0.0/8 past 32,768 tunnels; a few gateways at 198.19.254.x; IPv6 templates map into the
//!   2001:2::/48 benchmarking block), rewritten IKE SPIs (both 8-byte SPIs of the ISAKMP header),
//!   rewritten ESP SPIs and a start time shifted into the first `--window` seconds. A share
//!   (`--fail-share`) replays the failure captures (those with expected findings in
//!   `captures/expected.json`). Captures of attacks (expected `ike_flood`, `ike_scan` or
//!   `auth_spray`: floods, scans, sprays from the lab) are not templates: the synthesized gateway
//!   is a busy legitimate one, which must not read as attacked.
//! - **Bulk ESP**: after its conversation ends, every healthy tunnel (and `one_way_esp`, in its
//!   single direction) carries UDP-encapsulated ESP on the SPIs it last used, sequence numbers
//!   continuing; `--raw-share` of the tunnels are SAs set up before the capture began and carry
//!   raw ESP (IP protocol 50) only. Frame sizes are a mix of ~100-byte, mid-size and 1300–1400-byte
//!   frames.
//! - **Other traffic**: `--other-share` of the bulk frames are TCP/UDP on unrelated ports between
//!   10.255.0.0/16 hosts.
//!
//! Everything about a tunnel (template, addresses, SPIs, start time) depends only on `--seed` and
//! the tunnel's index, never on `--size`: the same seed and `--tunnels` give the same tunnels, and
//! so the same findings, in a 50 MiB file as in a 4 GiB one; `--size` only scales the bulk traffic.
//! The output depends on the templates too (the files in `--captures`, taken in name order).

use clap::Parser;
use pcap_parser::pcap::parse_pcap;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// 2026-01-01T00:00:00Z: start of every synthesized capture.
const BASE_EPOCH_S: u64 = 1_767_225_600;
/// Peer addresses available in 198.18.0.0/15 below the gateway block 198.19.254.0/23.
const BENCH_V4_PEERS: u64 = (1 << 17) - 512;
/// Address slots reserved per tunnel.
const SLOTS: u64 = 4;

#[derive(Parser, Debug)]
#[command(about = "Synthesize a large, deterministic IKE/IPsec gateway capture (pcap, Ethernet)")]
struct Args {
    /// Target file size (e.g. 50MiB, 2GiB, 1GB, 123456); the file stops at the first frame
    /// past it, once every IKE conversation has been written.
    #[arg(long, default_value = "100MiB")]
    size: String,
    /// Number of tunnels.
    #[arg(long, default_value_t = 1000)]
    tunnels: u32,
    /// PRNG seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output file.
    #[arg(short, long)]
    output: PathBuf,
    /// Directory of template captures (default: the project's captures/).
    #[arg(long)]
    captures: Option<PathBuf>,
    /// Share of tunnels replaying a failure capture.
    #[arg(long, default_value_t = 0.2)]
    fail_share: f64,
    /// Share of tunnels established before the capture (raw ESP, no IKE in the file).
    #[arg(long, default_value_t = 0.2)]
    raw_share: f64,
    /// Share of bulk frames that are unrelated TCP/UDP traffic.
    #[arg(long, default_value_t = 0.05)]
    other_share: f64,
    /// Tunnels start within this many seconds of the capture start.
    #[arg(long, default_value_t = 600)]
    window: u64,
    /// Nominal capture duration in seconds (bulk traffic is spread over it).
    #[arg(long, default_value_t = 1800)]
    duration: u64,
    /// Number of gateway addresses the tunnels' responders map to.
    #[arg(long, default_value_t = 16)]
    gateways: u32,
    /// Also write a JSON manifest of the tunnels (index, template, addresses) to this file.
    #[arg(long)]
    manifest: Option<PathBuf>,
}

// ---------------------------------------------------------------------------------------------
// PRNG and hashing

/// splitmix64 step.
fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Deterministic hash of a few words.
fn h(parts: &[u64]) -> u64 {
    parts
        .iter()
        .fold(0x1234_5678_9abc_def0, |acc, &p| splitmix(acc ^ splitmix(p)))
}

/// Uniform f64 in [0, 1).
fn unit(x: u64) -> f64 {
    (x >> 11) as f64 / (1u64 << 53) as f64
}

/// xorshift64* stream for the bulk traffic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        ((self.next() >> 32) * n) >> 32
    }
}

// Salts for the per-tunnel hashes.
const S_KIND: u64 = 1;
const S_TEMPLATE: u64 = 2;
const S_START: u64 = 3;
const S_GATEWAY: u64 = 4;
const S_IKE_SPI: u64 = 5;
const S_ESP_SPI: u64 = 6;
const S_RAW: u64 = 7;

// ---------------------------------------------------------------------------------------------
// Templates

/// Where the interesting parts of an Ethernet frame are.
#[derive(Clone, Copy, Debug, Default)]
struct Layout {
    /// Offset of the IP header.
    ip: usize,
    /// 4 or 6.
    version: u8,
    /// Offset of the IP payload (past IPv6 fragment header), when this is the first fragment.
    l4: Option<usize>,
    /// IP protocol of the payload.
    proto: u8,
    /// What the payload carries, with its offset.
    content: Content,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Content {
    #[default]
    Other,
    /// ISAKMP header at this offset.
    Ike(usize),
    /// ESP SPI at this offset; UDP header offset when encapsulated.
    Esp(usize, Option<usize>),
}

fn be16(b: &[u8], o: usize) -> u16 {
    u16::from_be_bytes([b[o], b[o + 1]])
}

/// Parse the layers of an Ethernet frame far enough to find addresses, IKE and ESP.
fn layout(f: &[u8]) -> Option<Layout> {
    let mut o = 12;
    let mut et = be16(f, o);
    while et == 0x8100 || et == 0x88a8 {
        o += 4;
        et = be16(f, o);
    }
    let ip = o + 2;
    let mut l = Layout {
        ip,
        ..Default::default()
    };
    match et {
        0x0800 => {
            if f.len() < ip + 20 {
                return None;
            }
            l.version = 4;
            l.proto = f[ip + 9];
            let fo = be16(f, ip + 6) & 0x1fff;
            if fo == 0 {
                l.l4 = Some(ip + usize::from(f[ip] & 15) * 4);
            }
        }
        0x86dd => {
            if f.len() < ip + 40 {
                return None;
            }
            l.version = 6;
            l.proto = f[ip + 6];
            let mut p = ip + 40;
            if l.proto == 44 && f.len() >= p + 8 {
                l.proto = f[p];
                if be16(f, p + 2) & 0xfff8 != 0 {
                    return Some(l);
                }
                p += 8;
            }
            l.l4 = Some(p);
        }
        _ => return None,
    }
    let Some(p) = l.l4 else { return Some(l) };
    match l.proto {
        50 if f.len() >= p + 8 => l.content = Content::Esp(p, None),
        17 if f.len() >= p + 8 => {
            let (sp, dp) = (be16(f, p), be16(f, p + 2));
            let d = p + 8;
            let rest = &f[d..];
            if sp == 500 || dp == 500 {
                l.content = Content::Ike(d);
            } else if sp == 4500 || dp == 4500 {
                if rest.len() >= 8 && rest[..4] == [0, 0, 0, 0] {
                    l.content = Content::Ike(d + 4);
                } else if rest.len() >= 8 {
                    l.content = Content::Esp(d, Some(p));
                }
            }
        }
        _ => {}
    }
    Some(l)
}

fn addr_range(l: &Layout) -> (usize, usize, usize) {
    if l.version == 4 {
        (l.ip + 12, l.ip + 16, 4)
    } else {
        (l.ip + 8, l.ip + 24, 16)
    }
}

struct TFrame {
    rel_us: u64,
    origlen: u32,
    data: Vec<u8>,
}

/// The last ESP frame of one direction of a template.
#[derive(Clone)]
struct TEsp {
    frame: usize,
    seq: u32,
}

struct Template {
    name: String,
    failing: bool,
    frames: Vec<TFrame>,
    /// Distinct addresses in order of first appearance (4 or 16 bytes each).
    addrs: Vec<Vec<u8>>,
    /// Index in `addrs` of the gateway (responder of the first frame).
    gateway: usize,
    /// Last ESP frame per direction, in order of first appearance of the direction.
    esp_dirs: Vec<TEsp>,
}

/// Finding kinds that mark a capture of an attack (not a template).
const ATTACK_KINDS: [&str; 3] = ["ike_flood", "ike_scan", "auth_spray"];

/// What `captures/expected.json` says of a template.
#[derive(Clone, Copy)]
struct Expected {
    /// Some finding is expected.
    failing: bool,
    /// An attack finding is expected.
    attack: bool,
}

fn expected_of(dir: &Path) -> Option<HashMap<String, Expected>> {
    let text = std::fs::read_to_string(dir.join("expected.json")).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    let mut m = HashMap::new();
    for e in v.as_array()? {
        let file = e.get("file")?.as_str()?.to_string();
        let kinds: Vec<&str> = e
            .get("expected_findings")
            .and_then(|f| f.as_array())
            .map(|a| a.iter().filter_map(|f| f.get("kind")?.as_str()).collect())
            .unwrap_or_default();
        let failing = e
            .get("expected_findings")
            .and_then(|f| f.as_array())
            .is_some_and(|a| !a.is_empty());
        let attack = kinds.iter().any(|k| ATTACK_KINDS.contains(k));
        m.insert(file, Expected { failing, attack });
    }
    Some(m)
}

fn load_templates(dir: &Path) -> Vec<Template> {
    let expected = expected_of(dir);
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "pcap"))
        .collect();
    names.sort();
    let mut out = Vec::new();
    for path in names {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let known = expected.as_ref().and_then(|m| m.get(&name).copied());
        if known.is_some_and(|e| e.attack) {
            continue;
        }
        let bytes = std::fs::read(&path).expect("read template");
        let Ok((_, cap)) = parse_pcap(&bytes) else {
            eprintln!("synth: skipping {name}: not a readable pcap");
            continue;
        };
        if cap.header.network.0 != 1 {
            eprintln!(
                "synth: skipping {name}: link type {} is not Ethernet",
                cap.header.network.0
            );
            continue;
        }
        let nanos = cap.header.is_nanosecond_precision();
        let ts = |s: u32, f: u32| u64::from(s) * 1_000_000 + u64::from(if nanos { f / 1000 } else { f });
        let Some(first) = cap.blocks.first() else { continue };
        let t0 = ts(first.ts_sec, first.ts_usec);
        let mut t = Template {
            failing: known.map_or(!name.contains("_ok"), |e| e.failing),
            name,
            frames: Vec::new(),
            addrs: Vec::new(),
            gateway: 1,
            esp_dirs: Vec::new(),
        };
        let mut dir_index: HashMap<(Vec<u8>, Vec<u8>), usize> = HashMap::new();
        for b in &cap.blocks {
            let data = b.data.to_vec();
            let idx = t.frames.len();
            if let Some(l) = layout(&data) {
                let (s, d, n) = addr_range(&l);
                for (i, a) in [&data[s..s + n], &data[d..d + n]].into_iter().enumerate() {
                    if !t.addrs.iter().any(|x| x == a) {
                        t.addrs.push(a.to_vec());
                    }
                    if idx == 0 && i == 1 {
                        t.gateway = t.addrs.len() - 1;
                    }
                }
                if let Content::Esp(p, _) = l.content {
                    let key = (data[s..s + n].to_vec(), data[d..d + n].to_vec());
                    let seq = u32::from_be_bytes(data[p + 4..p + 8].try_into().unwrap());
                    let e = TEsp { frame: idx, seq };
                    match dir_index.get(&key) {
                        Some(&k) => t.esp_dirs[k] = e,
                        None => {
                            dir_index.insert(key, t.esp_dirs.len());
                            t.esp_dirs.push(e);
                        }
                    }
                }
            }
            t.frames.push(TFrame {
                rel_us: ts(b.ts_sec, b.ts_usec).saturating_sub(t0),
                origlen: b.origlen.max(data.len() as u32),
                data,
            });
        }
        out.push(t);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Tunnels

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Replays template `usize`.
    Template(usize),
    /// Established before the capture: raw ESP only.
    Raw,
}

struct Tunnel {
    index: u32,
    kind: Kind,
    start_us: u64,
    /// (template address, new address) pairs.
    map: Vec<(Vec<u8>, Vec<u8>)>,
}

fn v4(x: u32) -> Vec<u8> {
    x.to_be_bytes().to_vec()
}

/// Address of slot `k` of tunnel `t` (IPv4: 198.18.0.0/15, then 10.0.0.0/8 below 10.255/16).
fn peer_v4(t: u32, k: u64) -> Vec<u8> {
    let idx = u64::from(t) * SLOTS + k;
    if idx < BENCH_V4_PEERS {
        v4(0xc612_0000 + idx as u32 + 1)
    } else {
        v4(0x0a00_0000 + ((idx - BENCH_V4_PEERS) % 0x00fe_ffff) as u32 + 1)
    }
}

fn gateway_v4(g: u32) -> Vec<u8> {
    v4(0xc613_fe00 + 1 + g % 250)
}

/// 2001:2::/48 (RFC 5180 benchmarking).
fn peer_v6(t: u32, k: u64) -> Vec<u8> {
    let mut a = vec![0u8; 16];
    a[..4].copy_from_slice(&[0x20, 0x01, 0x00, 0x02]);
    a[8..12].copy_from_slice(&(t + 1).to_be_bytes());
    a[15] = k as u8 + 1;
    a
}

fn gateway_v6(g: u32) -> Vec<u8> {
    let mut a = peer_v6(0, 0);
    a[6] = 0xff;
    a[7] = 0xff;
    a[8..12].copy_from_slice(&[0; 4]);
    a[15] = (g % 250) as u8 + 1;
    a
}

fn make_tunnel(a: &Args, seed: u64, t: u32, ok: &[usize], fail: &[usize], tpl: &[Template]) -> Tunnel {
    let ti = u64::from(t);
    let r = unit(h(&[seed, ti, S_KIND]));
    let pick = h(&[seed, ti, S_TEMPLATE]);
    let kind = if r < a.raw_share {
        Kind::Raw
    } else if (r < a.raw_share + a.fail_share && !fail.is_empty()) || ok.is_empty() {
        Kind::Template(fail[(pick % fail.len() as u64) as usize])
    } else {
        Kind::Template(ok[(pick % ok.len() as u64) as usize])
    };
    let g = (h(&[seed, ti, S_GATEWAY]) % u64::from(a.gateways.max(1))) as u32;
    let mut map = Vec::new();
    match kind {
        Kind::Template(i) => {
            let mut k = 0;
            for (j, addr) in tpl[i].addrs.iter().enumerate() {
                let new = match (addr.len(), j == tpl[i].gateway) {
                    (4, true) => gateway_v4(g),
                    (_, true) => gateway_v6(g),
                    (4, false) => peer_v4(t, k),
                    (_, false) => peer_v6(t, k),
                };
                if j != tpl[i].gateway {
                    k += 1;
                }
                map.push((addr.clone(), new));
            }
        }
        Kind::Raw => {
            map.push((Vec::new(), peer_v4(t, 0)));
            map.push((Vec::new(), gateway_v4(g)));
        }
    }
    Tunnel {
        index: t,
        kind,
        start_us: h(&[seed, ti, S_START]) % (a.window.max(1) * 1_000_000),
        map,
    }
}

fn map_spi8(seed: u64, t: u32, old: &[u8]) -> [u8; 8] {
    let v = u64::from_be_bytes(old.try_into().unwrap());
    if v == 0 {
        return [0; 8];
    }
    h(&[seed, u64::from(t), S_IKE_SPI, v]).max(1).to_be_bytes()
}

fn map_spi4(seed: u64, t: u32, old: u32) -> u32 {
    let v = h(&[seed, u64::from(t), S_ESP_SPI, u64::from(old)]) as u32;
    v.max(0x100)
}

fn ipv4_checksum(f: &mut [u8], ip: usize) {
    let hl = usize::from(f[ip] & 15) * 4;
    f[ip + 10] = 0;
    f[ip + 11] = 0;
    let mut sum = 0u32;
    for i in (0..hl).step_by(2) {
        sum += u32::from(be16(f, ip + i));
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    f[ip + 10..ip + 12].copy_from_slice(&(!(sum as u16)).to_be_bytes());
}

/// Rewrite one template frame for tunnel `tun` in place.
fn rewrite(f: &mut [u8], tun: &Tunnel, seed: u64) {
    let Some(l) = layout(f) else { return };
    let (s, d, n) = addr_range(&l);
    for o in [s, d] {
        if let Some((_, new)) = tun.map.iter().find(|(old, _)| old[..] == f[o..o + n]) {
            f[o..o + n].copy_from_slice(new);
        }
    }
    match l.content {
        Content::Ike(p) if f.len() >= p + 16 => {
            let i = map_spi8(seed, tun.index, &f[p..p + 8]);
            let r = map_spi8(seed, tun.index, &f[p + 8..p + 16]);
            f[p..p + 8].copy_from_slice(&i);
            f[p + 8..p + 16].copy_from_slice(&r);
        }
        Content::Esp(p, _) => {
            let old = u32::from_be_bytes(f[p..p + 4].try_into().unwrap());
            f[p..p + 4].copy_from_slice(&map_spi4(seed, tun.index, old).to_be_bytes());
        }
        _ => {}
    }
    if l.version == 4 {
        ipv4_checksum(f, l.ip);
    }
}

// ---------------------------------------------------------------------------------------------
// Bulk flows

/// One direction of ESP carried in bulk.
struct Flow {
    /// Frame headers up to the ESP SPI (Ethernet, IP, UDP when encapsulated).
    hdr: Vec<u8>,
    ip: usize,
    v6: bool,
    udp: Option<usize>,
    seq: u32,
    active_us: u64,
}

fn flows_for(tun: &Tunnel, tpl: &[Template], seed: u64) -> Vec<Flow> {
    match tun.kind {
        Kind::Template(i) => {
            let t = &tpl[i];
            // Failure captures other than one-way ESP stay as they are.
            if t.failing && !t.name.starts_with("one_way_esp") {
                return Vec::new();
            }
            let end = t.frames.last().map_or(0, |f| f.rel_us);
            t.esp_dirs
                .iter()
                .filter_map(|e| {
                    let mut data = t.frames[e.frame].data.clone();
                    rewrite(&mut data, tun, seed);
                    let l = layout(&data)?;
                    let Content::Esp(p, udp) = l.content else {
                        return None;
                    };
                    data.truncate(p + 4);
                    Some(Flow {
                        hdr: data,
                        ip: l.ip,
                        v6: l.version == 6,
                        udp,
                        seq: e.seq.wrapping_add(1),
                        active_us: tun.start_us + end + 500_000,
                    })
                })
                .collect()
        }
        Kind::Raw => {
            let (a, b) = (&tun.map[0].1, &tun.map[1].1);
            let r = h(&[seed, u64::from(tun.index), S_RAW]);
            [(a, b, 0u64), (b, a, 1u64)]
                .into_iter()
                .map(|(src, dst, dir)| {
                    let mut hdr = vec![0u8; 14 + 20 + 4];
                    hdr[..6].copy_from_slice(&[0x02, 0, 0, 0, 0, (dir as u8) + 1]);
                    hdr[6..12].copy_from_slice(&[0x02, 0, 0, 0, 0, 2 - dir as u8]);
                    hdr[12..14].copy_from_slice(&[0x08, 0x00]);
                    hdr[14] = 0x45;
                    hdr[22] = 64;
                    hdr[23] = 50;
                    hdr[26..30].copy_from_slice(src);
                    hdr[30..34].copy_from_slice(dst);
                    let spi = map_spi4(seed, tun.index, 0xffff_0000 | dir as u32);
                    hdr[34..38].copy_from_slice(&spi.to_be_bytes());
                    Flow {
                        hdr,
                        ip: 14,
                        v6: false,
                        udp: None,
                        seq: 1 + ((r >> (32 * dir)) % 1_000_000) as u32,
                        active_us: 0,
                    }
                })
                .collect()
        }
    }
}

/// ESP body length for one bulk packet: ~35 % small (ACK-like), ~15 % mid, ~50 % near the MTU.
fn esp_body_len(rng: &mut Rng) -> usize {
    let r = rng.below(100);
    if r < 35 {
        40 + rng.below(80) as usize
    } else if r < 50 {
        120 + rng.below(600) as usize
    } else {
        1240 + rng.below(160) as usize
    }
}

// ---------------------------------------------------------------------------------------------
// Output

struct Out {
    w: BufWriter<File>,
    bytes: u64,
    frames: u64,
}

impl Out {
    fn frame(&mut self, time_us: u64, data: &[u8], origlen: u32) {
        let t = BASE_EPOCH_S * 1_000_000 + time_us;
        let mut rec = [0u8; 16];
        rec[0..4].copy_from_slice(&((t / 1_000_000) as u32).to_le_bytes());
        rec[4..8].copy_from_slice(&((t % 1_000_000) as u32).to_le_bytes());
        rec[8..12].copy_from_slice(&(data.len() as u32).to_le_bytes());
        rec[12..16].copy_from_slice(&origlen.max(data.len() as u32).to_le_bytes());
        self.w.write_all(&rec).expect("write");
        self.w.write_all(data).expect("write");
        self.bytes += 16 + data.len() as u64;
        self.frames += 1;
    }
}

fn parse_size(s: &str) -> u64 {
    let s = s.trim();
    let split = s
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: f64 = num.parse().unwrap_or_else(|_| panic!("bad --size {s}"));
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        other => panic!("bad --size unit {other}"),
    };
    (n * mult as f64) as u64
}

fn addr_text(a: &[u8]) -> String {
    if a.len() == 4 {
        std::net::Ipv4Addr::from(<[u8; 4]>::try_from(a).unwrap()).to_string()
    } else {
        std::net::Ipv6Addr::from(<[u8; 16]>::try_from(a).unwrap()).to_string()
    }
}

fn main() {
    let a = Args::parse();
    let started = Instant::now();
    let seed = a.seed;
    let size = parse_size(&a.size);
    let dir = a
        .captures
        .clone()
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("captures"));
    let tpl = load_templates(&dir);
    assert!(
        !tpl.is_empty(),
        "no usable template captures in {}",
        dir.display()
    );
    let ok: Vec<usize> = (0..tpl.len()).filter(|&i| !tpl[i].failing).collect();
    let fail: Vec<usize> = (0..tpl.len()).filter(|&i| tpl[i].failing).collect();

    let tunnels: Vec<Tunnel> = (0..a.tunnels)
        .map(|t| make_tunnel(&a, seed, t, &ok, &fail, &tpl))
        .collect();

    // Bulk flows, in order of activation.
    let mut pending: Vec<Flow> = tunnels.iter().flat_map(|t| flows_for(t, &tpl, seed)).collect();
    pending.sort_by_key(|f| f.active_us);
    let mut pending = pending.into_iter().peekable();
    let mut active: Vec<Flow> = Vec::new();

    // Template frames, merged by time through a heap of (time, tunnel, frame).
    let mut heap = BinaryHeap::new();
    for (i, t) in tunnels.iter().enumerate() {
        if let Kind::Template(k) = t.kind {
            heap.push(Reverse((t.start_us + tpl[k].frames[0].rel_us, i, 0usize)));
        }
    }

    if let Some(m) = &a.manifest {
        let list: Vec<serde_json::Value> = tunnels
            .iter()
            .map(|t| {
                serde_json::json!({
                    "index": t.index,
                    "template": match t.kind { Kind::Template(k) => tpl[k].name.as_str(), Kind::Raw => "raw_esp" },
                    "start_s": t.start_us as f64 / 1e6,
                    "addresses": t.map.iter().map(|(_, n)| addr_text(n)).collect::<Vec<_>>(),
                })
            })
            .collect();
        std::fs::write(m, serde_json::to_string_pretty(&list).unwrap()).expect("write manifest");
    }

    let file =
        File::create(&a.output).unwrap_or_else(|e| panic!("cannot create {}: {e}", a.output.display()));
    let mut out = Out {
        w: BufWriter::with_capacity(4 << 20, file),
        bytes: 0,
        frames: 0,
    };
    let mut hdr = [0u8; 24];
    hdr[0..4].copy_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    hdr[4..6].copy_from_slice(&2u16.to_le_bytes());
    hdr[6..8].copy_from_slice(&4u16.to_le_bytes());
    hdr[16..20].copy_from_slice(&65535u32.to_le_bytes());
    hdr[20..24].copy_from_slice(&1u32.to_le_bytes());
    out.w.write_all(&hdr).unwrap();
    out.bytes = 24;

    // Random payload pool (ciphertext-looking bytes), sliced at random offsets.
    let mut rng = Rng(splitmix(seed ^ 0x5eed) | 1);
    let pool: Vec<u8> = (0..8192).map(|_| rng.next() as u8).collect();

    // Bulk packets are spaced so that the nominal duration is filled at the target size.
    let ike_bytes: u64 = tunnels
        .iter()
        .filter_map(|t| match t.kind {
            Kind::Template(k) => Some(
                tpl[k]
                    .frames
                    .iter()
                    .map(|f| 16 + f.data.len() as u64)
                    .sum::<u64>(),
            ),
            Kind::Raw => None,
        })
        .sum();
    const MEAN_BULK_FRAME: u64 = 16 + 760;
    let bulk_frames = (size.saturating_sub(ike_bytes + 24) / MEAN_BULK_FRAME).max(1);
    let step_us = (a.duration * 1_000_000) as f64 / bulk_frames as f64;
    let mut bulk_clock = 0f64;
    let mut frame = vec![0u8; 2048];
    let mut esp_frames = 0u64;
    let mut other_frames = 0u64;
    let mut ip_id = 0u16;

    loop {
        let bulk_due = out.bytes < size;
        let bulk_t = bulk_clock as u64;
        // Next template frame, when it comes first (or the bulk stream is finished).
        if let Some(&Reverse((t, ti, fi))) = heap.peek() {
            if !bulk_due || t <= bulk_t {
                heap.pop();
                let tun = &tunnels[ti];
                let Kind::Template(k) = tun.kind else {
                    unreachable!()
                };
                let tf = &tpl[k].frames[fi];
                let buf = &mut frame[..tf.data.len().min(2048)];
                if tf.data.len() <= 2048 {
                    buf.copy_from_slice(&tf.data);
                    rewrite(buf, tun, seed);
                    out.frame(t, buf, tf.origlen);
                } else {
                    let mut v = tf.data.clone();
                    rewrite(&mut v, tun, seed);
                    out.frame(t, &v, tf.origlen);
                }
                if let Some(next) = tpl[k].frames.get(fi + 1) {
                    heap.push(Reverse((tun.start_us + next.rel_us, ti, fi + 1)));
                }
                continue;
            }
        }
        if !bulk_due {
            break;
        }
        while pending.peek().is_some_and(|f| f.active_us <= bulk_t) {
            active.push(pending.next().unwrap());
        }
        ip_id = ip_id.wrapping_add(1);
        if active.is_empty() || unit(rng.next()) < a.other_share {
            let n = other_frame(&mut frame, &mut rng, &pool, ip_id);
            out.frame(bulk_t, &frame[..n], n as u32);
            other_frames += 1;
        } else {
            let pick = rng.below(active.len() as u64) as usize;
            let fl = &mut active[pick];
            let body = esp_body_len(&mut rng);
            let hl = fl.hdr.len();
            let n = hl + 4 + body;
            frame[..hl].copy_from_slice(&fl.hdr);
            frame[hl..hl + 4].copy_from_slice(&fl.seq.to_be_bytes());
            fl.seq = fl.seq.wrapping_add(1);
            let off = rng.below((pool.len() - body) as u64) as usize;
            frame[hl + 4..n].copy_from_slice(&pool[off..off + body]);
            let ip = fl.ip;
            if fl.v6 {
                frame[ip + 4..ip + 6].copy_from_slice(&((n - ip - 40) as u16).to_be_bytes());
            } else {
                frame[ip + 2..ip + 4].copy_from_slice(&((n - ip) as u16).to_be_bytes());
                frame[ip + 4..ip + 6].copy_from_slice(&ip_id.to_be_bytes());
                frame[ip + 6] &= 0x40; // keep DF, clear any fragment bits
                frame[ip + 7] = 0;
                ipv4_checksum(&mut frame, ip);
            }
            if let Some(u) = fl.udp {
                frame[u + 4..u + 6].copy_from_slice(&((n - u) as u16).to_be_bytes());
                frame[u + 6..u + 8].copy_from_slice(&[0, 0]);
            }
            out.frame(bulk_t, &frame[..n], n as u32);
            esp_frames += 1;
        }
        bulk_clock += step_us * (0.5 + unit(rng.next()));
    }
    out.w.flush().unwrap();
    let secs = started.elapsed().as_secs_f64();
    let mut per_kind: HashMap<&str, u32> = HashMap::new();
    for t in &tunnels {
        let name = match t.kind {
            Kind::Template(k) => tpl[k].name.as_str(),
            Kind::Raw => "raw_esp (pre-established)",
        };
        *per_kind.entry(name).or_default() += 1;
    }
    let mut kinds: Vec<_> = per_kind.into_iter().collect();
    kinds.sort();
    eprintln!(
        "synth: wrote {} ({} bytes, {} frames: {} bulk ESP, {} other, {} from templates) in {:.1} s ({:.0} MB/s); span {:.0} s",
        a.output.display(),
        out.bytes,
        out.frames,
        esp_frames,
        other_frames,
        out.frames - esp_frames - other_frames,
        secs,
        out.bytes as f64 / secs / 1e6,
        bulk_clock / 1e6
    );
    for (k, n) in kinds {
        eprintln!("synth:   {n:6} tunnels  {k}");
    }
}

/// An unrelated TCP (443/22) or UDP (53/123) frame between 10.255.0.0/16 hosts; returns its length.
fn other_frame(f: &mut [u8], rng: &mut Rng, pool: &[u8], ip_id: u16) -> usize {
    let r = rng.next();
    let tcp = r & 3 != 0;
    let payload = if tcp {
        if r & 4 == 0 {
            0
        } else {
            rng.below(1400) as usize
        }
    } else {
        40 + rng.below(200) as usize
    };
    let l4 = if tcp { 20 } else { 8 };
    let n = 14 + 20 + l4 + payload;
    f[..6].copy_from_slice(&[0x02, 0, 0, 0, 1, 1]);
    f[6..12].copy_from_slice(&[0x02, 0, 0, 0, 1, 2]);
    f[12..14].copy_from_slice(&[0x08, 0x00]);
    let ip = &mut f[14..34];
    ip.fill(0);
    ip[0] = 0x45;
    ip[2..4].copy_from_slice(&((n - 14) as u16).to_be_bytes());
    ip[4..6].copy_from_slice(&ip_id.to_be_bytes());
    ip[6] = 0x40;
    ip[8] = 64;
    ip[9] = if tcp { 6 } else { 17 };
    let a = (r >> 8) as u16;
    let b = (r >> 24) as u16;
    ip[12..16].copy_from_slice(&[10, 255, (a >> 8) as u8, a as u8]);
    ip[16..20].copy_from_slice(&[10, 255, (b >> 8) as u8, b as u8]);
    ipv4_checksum(f, 14);
    let port: u16 = if tcp {
        if r & 0x100_0000_0000 != 0 {
            443
        } else {
            22
        }
    } else if r & 0x100_0000_0000 != 0 {
        53
    } else {
        123
    };
    let eph = 32768 + (r >> 48) as u16 % 28000;
    let (sp, dp) = if r & 0x200_0000_0000 != 0 {
        (eph, port)
    } else {
        (port, eph)
    };
    let t = &mut f[34..34 + l4];
    t.fill(0);
    t[0..2].copy_from_slice(&sp.to_be_bytes());
    t[2..4].copy_from_slice(&dp.to_be_bytes());
    if tcp {
        t[4..8].copy_from_slice(&((r >> 16) as u32).to_be_bytes());
        t[8..12].copy_from_slice(&((r >> 20) as u32).to_be_bytes());
        t[12] = 0x50;
        t[13] = if payload == 0 { 0x10 } else { 0x18 };
        t[14..16].copy_from_slice(&502u16.to_be_bytes());
    } else {
        t[4..6].copy_from_slice(&((8 + payload) as u16).to_be_bytes());
    }
    let off = rng.below((pool.len() - payload) as u64) as usize;
    f[34 + l4..n].copy_from_slice(&pool[off..off + payload]);
    n
}
