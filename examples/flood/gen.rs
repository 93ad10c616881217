//! The flood generator of `examples/flood` (also used by tests/attack.rs): one gateway, many
//! one-message initiators, optional answers and whole conversations replayed from templates.
//! Only documentation addresses (RFC 5737, 2001:db8::/32) are written.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// 2026-01-01T00:00:00Z: start of every synthesized capture.
const BASE_EPOCH_S: u64 = 1_767_225_600;
const ETH: usize = 14;
/// IANA notify type COOKIE.
const COOKIE: u16 = 16390;

/// Address family of the flood.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// 508 RFC 5737 sources, many attempts each.
    V4,
    /// One 2001:db8::/32 source per attempt.
    V6,
}

/// What the gateway answers each attempt with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// Nothing.
    None,
    /// The template's IKE_SA_INIT response.
    Response,
    /// An IKE_SA_INIT response carrying only N(COOKIE).
    Cookie,
}

/// What to write.
#[derive(Clone, Debug)]
pub struct FloodSpec {
    /// IKE SA attempts (one IKE_SA_INIT request each).
    pub initiators: u64,
    /// Attempts per second.
    pub rate: u64,
    /// Family.
    pub family: Family,
    /// Answers.
    pub answer: Answer,
    /// Whole conversations replayed with the gateway during the flood: (template capture file
    /// name, number of peers), each peer its own address.
    pub conversations: Vec<(String, u32)>,
    /// Template directory (the project's captures/).
    pub captures: PathBuf,
}

/// One template frame: offset from the conversation start (µs) and bytes.
struct TFrame {
    at_us: u64,
    data: Vec<u8>,
}

/// Read a little-endian microsecond/nanosecond pcap (what the lab writes).
fn read_pcap(path: &Path) -> Vec<TFrame> {
    let mut bytes = Vec::new();
    File::open(path)
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let magic = u32::from_le_bytes(bytes[0..4].try_into().expect("4"));
    let nanos = match magic {
        0xa1b2_c3d4 => false,
        0xa1b2_3c4d => true,
        _ => panic!("{}: not a little-endian pcap", path.display()),
    };
    let le = |o: usize| u32::from_le_bytes(bytes[o..o + 4].try_into().expect("4")) as u64;
    let mut o = 24;
    let mut out = Vec::new();
    let mut first = None;
    while o + 16 <= bytes.len() {
        let sub = if nanos { le(o + 4) / 1000 } else { le(o + 4) };
        let t = le(o) * 1_000_000 + sub;
        let len = le(o + 8) as usize;
        let start = *first.get_or_insert(t);
        out.push(TFrame {
            at_us: t - start,
            data: bytes[o + 16..o + 16 + len].to_vec(),
        });
        o += 16 + len;
    }
    out
}

/// Offsets of the addresses and of the UDP header in an Ethernet/IP/UDP frame.
#[derive(Clone, Copy)]
struct Layout {
    v6: bool,
    src: usize,
    dst: usize,
    udp: Option<usize>,
}

fn layout(f: &[u8]) -> Layout {
    let v6 = u16::from_be_bytes([f[12], f[13]]) == 0x86dd;
    let (src, dst, proto, l4) = if v6 {
        (ETH + 8, ETH + 24, f[ETH + 6], ETH + 40)
    } else {
        (ETH + 12, ETH + 16, f[ETH + 9], ETH + usize::from(f[ETH] & 15) * 4)
    };
    Layout {
        v6,
        src,
        dst,
        udp: (proto == 17).then_some(l4),
    }
}

fn alen(l: &Layout) -> usize {
    if l.v6 {
        16
    } else {
        4
    }
}

/// Fix the IP lengths and checksums after an edit: IPv4 header checksum (UDP checksum zeroed,
/// which IPv4 allows); IPv6 UDP checksum recomputed.
fn fix_up(f: &mut [u8]) {
    let l = layout(f);
    if l.v6 {
        let plen = (f.len() - ETH - 40) as u16;
        f[ETH + 4..ETH + 6].copy_from_slice(&plen.to_be_bytes());
        if let Some(u) = l.udp {
            let ulen = (f.len() - u) as u16;
            f[u + 4..u + 6].copy_from_slice(&ulen.to_be_bytes());
            f[u + 6..u + 8].copy_from_slice(&[0, 0]);
            let mut sum: u64 = 0;
            let mut add = |b: &[u8]| {
                for c in b.chunks(2) {
                    sum += u64::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]));
                }
            };
            add(&f[ETH + 8..ETH + 40]);
            add(&(u32::from(ulen)).to_be_bytes());
            add(&[0, 0, 0, 17]);
            add(&f[u..]);
            while sum >> 16 != 0 {
                sum = (sum & 0xffff) + (sum >> 16);
            }
            let c = !(sum as u16);
            f[u + 6..u + 8].copy_from_slice(&(if c == 0 { 0xffff } else { c }).to_be_bytes());
        }
    } else {
        let ihl = usize::from(f[ETH] & 15) * 4;
        let tot = (f.len() - ETH) as u16;
        f[ETH + 2..ETH + 4].copy_from_slice(&tot.to_be_bytes());
        f[ETH + 10..ETH + 12].copy_from_slice(&[0, 0]);
        let mut sum: u32 = 0;
        for c in f[ETH..ETH + ihl].chunks(2) {
            sum += u32::from(u16::from_be_bytes([c[0], c[1]]));
        }
        while sum >> 16 != 0 {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        f[ETH + 10..ETH + 12].copy_from_slice(&(!(sum as u16)).to_be_bytes());
        if let Some(u) = l.udp {
            let ulen = (f.len() - u) as u16;
            f[u + 4..u + 6].copy_from_slice(&ulen.to_be_bytes());
            f[u + 6..u + 8].copy_from_slice(&[0, 0]);
        }
    }
}

/// splitmix64: deterministic SPIs.
fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Source address of attempt `i`.
fn source(family: Family, i: u64) -> Vec<u8> {
    match family {
        Family::V4 => {
            // 254 hosts of 203.0.113.0/24, then 254 of 198.51.100.0/24 (the gateway's .1 and
            // the real peers' block are avoided).
            let k = i % 508;
            if k < 254 {
                vec![203, 0, 113, (k + 1) as u8]
            } else {
                vec![198, 51, 100, (k - 254 + 2) as u8]
            }
        }
        Family::V6 => {
            let hi = (i >> 16) as u16 + 0x100;
            let lo = (i & 0xffff) as u16;
            let mut a = vec![0x20, 0x01, 0x0d, 0xb8];
            a.extend_from_slice(&hi.to_be_bytes());
            a.extend_from_slice(&lo.to_be_bytes());
            a.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 1]);
            a
        }
    }
}

/// Address of real peer `k`.
fn real_peer(family: Family, k: u32) -> Vec<u8> {
    match family {
        // 192.0.2.10-249, then 203.0.113.10-249 (shared with the flood's sources)
        Family::V4 if k < 240 => vec![192, 0, 2, 10 + k as u8],
        Family::V4 => vec![203, 0, 113, 10 + ((k - 240) % 240) as u8],
        Family::V6 => {
            let mut a = vec![0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0];
            a.extend_from_slice(&(0x10 + k as u16).to_be_bytes());
            a
        }
    }
}

/// An IKE_SA_INIT response carrying only N(COOKIE), from the headers of a response frame.
fn cookie_response(template_response: &[u8], spi_i: [u8; 8], i: u64) -> Vec<u8> {
    let l = layout(template_response);
    let udp = l.udp.expect("IKE over UDP");
    let mut f = template_response[..udp + 8].to_vec();
    let cookie = mix(i ^ 0xc00c).to_be_bytes();
    let mut ike = Vec::new();
    ike.extend_from_slice(&spi_i);
    ike.extend_from_slice(&[0; 8]);
    ike.extend_from_slice(&[41, 0x20, 34, 0x20]); // next N, version 2.0, IKE_SA_INIT, R flag
    ike.extend_from_slice(&0u32.to_be_bytes()); // message ID 0
    let notify_len = 8 + 2 * cookie.len();
    ike.extend_from_slice(&((28 + notify_len) as u32).to_be_bytes());
    ike.extend_from_slice(&[0, 0]);
    ike.extend_from_slice(&(notify_len as u16).to_be_bytes());
    ike.extend_from_slice(&[0, 0]); // protocol 0, SPI size 0
    ike.extend_from_slice(&COOKIE.to_be_bytes());
    ike.extend_from_slice(&cookie);
    ike.extend_from_slice(&mix(i ^ 0xc00d).to_be_bytes());
    f.extend_from_slice(&ike);
    f
}

struct Out<'w> {
    w: &'w mut dyn Write,
    frames: u64,
    bytes: u64,
}

impl Out<'_> {
    fn frame(&mut self, time_us: u64, data: &[u8]) {
        let t = BASE_EPOCH_S * 1_000_000 + time_us;
        let mut rec = [0u8; 16];
        rec[0..4].copy_from_slice(&((t / 1_000_000) as u32).to_le_bytes());
        rec[4..8].copy_from_slice(&((t % 1_000_000) as u32).to_le_bytes());
        rec[8..12].copy_from_slice(&(data.len() as u32).to_le_bytes());
        rec[12..16].copy_from_slice(&(data.len() as u32).to_le_bytes());
        self.w.write_all(&rec).expect("write");
        self.w.write_all(data).expect("write");
        self.frames += 1;
        self.bytes += 16 + data.len() as u64;
    }
}

/// Write the queued answers and real-tunnel frames due by `until`, in time order.
fn drain(
    out: &mut Out<'_>,
    answers: &mut std::collections::VecDeque<(u64, Vec<u8>)>,
    real: &[(u64, Vec<u8>)],
    next_real: &mut usize,
    until: u64,
) {
    loop {
        let ta = answers.front().map(|x| x.0).filter(|t| *t <= until);
        let tr = real.get(*next_real).map(|x| x.0).filter(|t| *t <= until);
        match (ta, tr) {
            (None, None) => break,
            (Some(x), Some(y)) if y < x => {
                out.frame(y, &real[*next_real].1);
                *next_real += 1;
            }
            (Some(x), _) => {
                let (_, f) = answers.pop_front().expect("front");
                out.frame(x, &f);
            }
            (None, Some(y)) => {
                out.frame(y, &real[*next_real].1);
                *next_real += 1;
            }
        }
    }
}

/// Write the capture to `w` (a pcap file); returns (frames, bytes).
pub fn write_flood(a: &FloodSpec, w: &mut dyn Write) -> (u64, u64) {
    let dir = &a.captures;
    let name = match a.family {
        Family::V4 => "ikev2_ok.pcap",
        Family::V6 => "ikev2_ok_ipv6.pcap",
    };
    let tpl = read_pcap(&dir.join(name));
    let (request, response) = (&tpl[0].data, &tpl[1].data);
    let lreq = layout(request);
    let n = alen(&lreq);

    // The conversations' frames, spread over the flood (at least a minute), in time order.
    let span_us = (a.initiators * 1_000_000 / a.rate.max(1)).max(60_000_000);
    let total: u32 = a.conversations.iter().map(|c| c.1).sum();
    let mut real: Vec<(u64, Vec<u8>)> = Vec::new();
    let mut k = 0u32;
    for (template, count) in &a.conversations {
        let frames = read_pcap(&dir.join(template));
        let Some(first) = frames.first() else { continue };
        let l0 = layout(&first.data);
        let from = first.data[l0.src..l0.src + alen(&l0)].to_vec();
        for _ in 0..*count {
            let start = span_us * (u64::from(k) + 1) / (u64::from(total) + 1);
            let peer = real_peer(a.family, k);
            let spi_salt = mix(0x5eed ^ u64::from(k));
            k += 1;
            for tf in &frames {
                let mut f = tf.data.clone();
                let l = layout(&f);
                for at in [l.src, l.dst] {
                    if f[at..at + from.len()] == from[..] && from.len() == peer.len() {
                        f[at..at + from.len()].copy_from_slice(&peer);
                    }
                }
                if let Some(u) = l.udp {
                    // IKE (port 500, or 4500 after a non-ESP marker): a per-tunnel initiator
                    // SPI so that no two tunnels' messages are bitwise equal.
                    let ike = match f.get(u + 8..u + 12) {
                        Some([0, 0, 0, 0]) => Some(u + 12),
                        _ if u16::from_be_bytes([f[u], f[u + 1]]) == 500 => Some(u + 8),
                        _ => None,
                    };
                    if let Some(o) = ike.filter(|o| f.len() >= o + 28) {
                        for (j, b) in spi_salt.to_be_bytes().iter().enumerate() {
                            f[o + j] ^= b;
                        }
                    }
                }
                fix_up(&mut f);
                real.push((start + tf.at_us, f));
            }
        }
    }
    real.sort_by_key(|r| r.0);

    let mut header = Vec::new();
    header.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    header.extend_from_slice(&2u16.to_le_bytes());
    header.extend_from_slice(&4u16.to_le_bytes());
    header.extend_from_slice(&[0; 8]);
    header.extend_from_slice(&65535u32.to_le_bytes());
    header.extend_from_slice(&1u32.to_le_bytes());
    w.write_all(&header).expect("write");
    let mut out = Out {
        w,
        frames: 0,
        bytes: 24,
    };
    let mut next_real = 0;
    let mut answers: std::collections::VecDeque<(u64, Vec<u8>)> = Default::default();
    let ike = lreq.udp.expect("udp") + 8;
    let lresp = layout(response);
    let resp_ike = lresp.udp.expect("udp") + 8;
    for i in 0..a.initiators {
        let at = i * 1_000_000 / a.rate.max(1);
        drain(&mut out, &mut answers, &real, &mut next_real, at);
        let src = source(a.family, i);
        let spi_i = mix(i).to_be_bytes();
        let mut f = request.clone();
        f[lreq.src..lreq.src + n].copy_from_slice(&src);
        f[ike..ike + 8].copy_from_slice(&spi_i);
        fix_up(&mut f);
        out.frame(at, &f);
        let answer = match a.answer {
            Answer::None => None,
            Answer::Response => {
                let mut r = response.clone();
                r[lresp.dst..lresp.dst + n].copy_from_slice(&src);
                r[resp_ike..resp_ike + 8].copy_from_slice(&spi_i);
                r[resp_ike + 8..resp_ike + 16].copy_from_slice(&mix(i ^ 0x7e5).to_be_bytes());
                Some(r)
            }
            Answer::Cookie => {
                let mut r = cookie_response(response, spi_i, i);
                r[lresp.dst..lresp.dst + n].copy_from_slice(&src);
                Some(r)
            }
        };
        if let Some(mut r) = answer {
            fix_up(&mut r);
            answers.push_back((at + 2_000, r));
        }
    }
    drain(&mut out, &mut answers, &real, &mut next_real, u64::MAX);
    (out.frames, out.bytes)
}
