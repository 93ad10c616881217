//! Per-frame decoding: link layer → IPv4/IPv6 (extension headers, AH, IP-in-IP, GRE,
//! fragment reassembly) → UDP/ESP/ICMP demultiplexing.
//!
//! Hand-written header parsing over byte slices: every access is bounds-checked through
//! `get`/length tests (never panics), and the common path (an unfragmented ESP or UDP packet)
//! allocates nothing.

use super::reasm::{Fed, FragIn, FragKey, Reassembler};
use super::{
    ClearPacket, Content, Datagram, DatagramSink, IngestEvent, InputStats, QuotedFlowRef, TimeWindow,
};
use crate::record::Timestamp;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Link types decoded (LINKTYPE_ numbers).
pub fn linktype_supported(lt: u32) -> bool {
    matches!(lt, 0 | 1 | 12 | 14 | 101 | 108 | 113 | 228 | 229 | 276)
}

/// Most encapsulation levels followed (VLAN tags, MPLS labels, IP-in-IP, GRE) per frame.
const MAX_DEPTH: u8 = 8;
/// UDP ports always treated as IKE (500) and NAT-T (4500).
const IKE_PORT: u16 = 500;
const NATT_PORT: u16 = 4500;

#[inline]
fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

#[inline]
fn be32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at + 4)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

fn v4addr(b: &[u8], at: usize) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(b[at], b[at + 1], b[at + 2], b[at + 3]))
}

fn v6addr(b: &[u8], at: usize) -> IpAddr {
    let mut a = [0u8; 16];
    a.copy_from_slice(&b[at..at + 16]);
    IpAddr::V6(Ipv6Addr::from(a))
}

/// Frame-level facts shared by everything decoded from one frame.
#[derive(Clone, Copy)]
struct FrameCtx {
    frame: u64,
    time: Timestamp,
    truncated: bool,
}

/// Facts about the IP datagram carrying a transport payload.
#[derive(Clone, Copy)]
struct IpCtx<'f> {
    f: FrameCtx,
    v6: bool,
    src: IpAddr,
    dst: IpAddr,
    ip_length: u32,
    /// IP payload length as declared (IPv4 total length − header length, IPv6 payload length;
    /// extension headers and AH included), the ESP `length` for protocol 50.
    payload_len: usize,
    fragment_frames: Option<&'f [u64]>,
}

/// Result of walking IPv6 extension headers (and AH).
enum Walk {
    /// Upper-layer protocol `proto` starts at `offset`.
    Final { proto: u8, offset: usize },
    /// A fragment header: `nh` of the fragmentable part, which starts at `offset`.
    Fragment {
        nh: u8,
        frag_off: usize,
        more: bool,
        id: u32,
        hdr_at: usize,
        offset: usize,
    },
    /// Headers run past the captured bytes.
    Short,
    /// A header is inconsistent.
    Bad(usize, &'static str),
}

/// Walk extension headers from `nh` at `b[0..]`. IPv4 only skips AH; a fragment header is
/// reported (first pass) or refused (after reassembly, `allow_frag` false).
fn walk_ext(mut nh: u8, b: &[u8], v6: bool, allow_frag: bool) -> Walk {
    let mut off = 0usize;
    for _ in 0..16 {
        match nh {
            0 | 43 | 60 | 135 | 139 | 140 if v6 => {
                let (Some(&n), Some(&l)) = (b.get(off), b.get(off + 1)) else {
                    return Walk::Short;
                };
                nh = n;
                off += (l as usize + 1) * 8;
            }
            44 if v6 && allow_frag => {
                let Some(h) = b.get(off..off + 8) else {
                    return Walk::Short;
                };
                let fo = u16::from_be_bytes([h[2], h[3]]);
                return Walk::Fragment {
                    nh: h[0],
                    frag_off: (fo & 0xfff8) as usize,
                    more: fo & 1 == 1,
                    id: u32::from_be_bytes([h[4], h[5], h[6], h[7]]),
                    hdr_at: off,
                    offset: off + 8,
                };
            }
            44 if v6 => return Walk::Bad(off, "nested IPv6 fragment header"),
            51 => {
                let (Some(&n), Some(&l)) = (b.get(off), b.get(off + 1)) else {
                    return Walk::Short;
                };
                nh = n;
                off += (l as usize + 2) * 4;
            }
            _ => {
                return if off <= b.len() {
                    Walk::Final {
                        proto: nh,
                        offset: off,
                    }
                } else {
                    Walk::Short
                };
            }
        }
    }
    Walk::Bad(off, "too many IPv6 extension headers")
}

/// Per-file packet decoder.
pub(crate) struct PacketDecoder {
    ike_ports: Vec<u16>,
    window: TimeWindow,
    pub reasm: Reassembler,
    pub stats: InputStats,
    frames_scratch: Vec<u64>,
    /// Frame number of the last Malformed event (count each frame once in stats).
    last_malformed_frame: u64,
}

impl PacketDecoder {
    pub fn new(ike_ports: &[u16], window: TimeWindow) -> Self {
        let mut p: Vec<u16> = ike_ports
            .iter()
            .copied()
            .filter(|&p| p != IKE_PORT && p != NATT_PORT)
            .collect();
        p.sort_unstable();
        p.dedup();
        PacketDecoder {
            ike_ports: p,
            window,
            reasm: Reassembler::new(),
            stats: InputStats::default(),
            frames_scratch: Vec::new(),
            last_malformed_frame: 0,
        }
    }

    #[inline]
    fn extra_port(&self, p: u16) -> bool {
        !self.ike_ports.is_empty() && self.ike_ports.contains(&p)
    }

    #[inline]
    fn interesting_ports(&self, sp: u16, dp: u16) -> bool {
        sp == IKE_PORT
            || dp == IKE_PORT
            || sp == NATT_PORT
            || dp == NATT_PORT
            || self.extra_port(sp)
            || self.extra_port(dp)
    }

    /// Report a malformed frame.
    pub fn malformed(&mut self, sink: &mut dyn DatagramSink, frame: u64, offset: usize, what: String) {
        if self.last_malformed_frame != frame {
            self.last_malformed_frame = frame;
            self.stats.malformed += 1;
        }
        sink.event(&IngestEvent::Malformed { frame, offset, what });
    }

    /// Decode one frame of link type `linktype` (known to be supported).
    pub fn frame(
        &mut self,
        frame: u64,
        time: Timestamp,
        data: &[u8],
        orig_len: u32,
        linktype: u32,
        sink: &mut dyn DatagramSink,
    ) {
        if !self.window.contains(time) {
            self.stats.outside_window += 1;
            return;
        }
        self.reasm.tick(time, sink);
        let f = FrameCtx {
            frame,
            time,
            truncated: (data.len() as u64) < orig_len as u64,
        };
        if f.truncated {
            self.stats.truncated_frames += 1;
        }
        match linktype {
            1 => {
                if data.len() < 14 {
                    if !f.truncated {
                        self.malformed(sink, frame, 0, format!("Ethernet frame of {} bytes", data.len()));
                    }
                    return;
                }
                let et = u16::from_be_bytes([data[12], data[13]]);
                self.ethertype(f, et, data, 14, 0, sink);
            }
            113 => {
                // Linux cooked v1: 16-byte header, protocol at 14.
                if let Some(et) = be16(data, 14) {
                    self.ethertype(f, et, data, 16, 0, sink);
                } else if !f.truncated {
                    self.malformed(sink, frame, 0, "Linux SLL header shorter than 16 bytes".into());
                }
            }
            276 => {
                // Linux cooked v2: 20-byte header, protocol at 0.
                if data.len() >= 20 {
                    let et = u16::from_be_bytes([data[0], data[1]]);
                    self.ethertype(f, et, data, 20, 0, sink);
                } else if !f.truncated {
                    self.malformed(sink, frame, 0, "Linux SLL2 header shorter than 20 bytes".into());
                }
            }
            0 | 108 => {
                let Some(h) = data.get(0..4) else {
                    if !f.truncated {
                        self.malformed(sink, frame, 0, "BSD loopback header shorter than 4 bytes".into());
                    }
                    return;
                };
                let le = u32::from_le_bytes([h[0], h[1], h[2], h[3]]);
                let be = u32::from_be_bytes([h[0], h[1], h[2], h[3]]);
                // The address family is in the capturing host's byte order (NULL) or big-endian
                // (LOOP); accept either: a valid AF is small.
                let af = if le <= 0xffff { le } else { be };
                match af {
                    2 => self.ip(f, data, 4, Some(4), 0, sink),
                    10 | 24 | 28 | 30 => self.ip(f, data, 4, Some(6), 0, sink),
                    _ => {}
                }
            }
            12 | 14 | 101 => self.ip(f, data, 0, None, 0, sink),
            228 => self.ip(f, data, 0, Some(4), 0, sink),
            229 => self.ip(f, data, 0, Some(6), 0, sink),
            _ => {}
        }
    }

    /// Dispatch on an Ethernet type at `data[off..]`.
    fn ethertype(
        &mut self,
        f: FrameCtx,
        mut et: u16,
        data: &[u8],
        mut off: usize,
        mut depth: u8,
        sink: &mut dyn DatagramSink,
    ) {
        loop {
            depth += 1;
            if depth > MAX_DEPTH {
                return;
            }
            match et {
                0x0800 => return self.ip(f, data, off, Some(4), depth, sink),
                0x86dd => return self.ip(f, data, off, Some(6), depth, sink),
                // 802.1Q, 802.1ad, old QinQ: 2-byte TCI then the next type.
                0x8100 | 0x88a8 | 0x9100 | 0x9200 => {
                    let Some(n) = be16(data, off + 2) else {
                        return;
                    };
                    et = n;
                    off += 4;
                }
                // PPPoE session: 6-byte header, then the PPP protocol.
                0x8864 => match be16(data, off + 6) {
                    Some(0x0021) => return self.ip(f, data, off + 8, Some(4), depth, sink),
                    Some(0x0057) => return self.ip(f, data, off + 8, Some(6), depth, sink),
                    _ => return,
                },
                // MPLS: labels until bottom of stack, then guess IPv4/IPv6 from the nibble.
                0x8847 | 0x8848 => {
                    for _ in 0..MAX_DEPTH {
                        let Some(l) = data.get(off..off + 4) else {
                            return;
                        };
                        off += 4;
                        if l[2] & 1 == 1 {
                            return self.ip(f, data, off, None, depth, sink);
                        }
                    }
                    return;
                }
                _ => return,
            }
        }
    }

    /// An IP packet at `data[off..]`; `version` None = decide from the first nibble.
    fn ip(
        &mut self,
        f: FrameCtx,
        data: &[u8],
        off: usize,
        version: Option<u8>,
        depth: u8,
        sink: &mut dyn DatagramSink,
    ) {
        let Some(p) = data.get(off..) else {
            return;
        };
        let Some(&b0) = p.first() else {
            if !f.truncated {
                self.malformed(sink, f.frame, off, "no IP header".into());
            }
            return;
        };
        let v = b0 >> 4;
        match version {
            Some(want) if want != v => {
                self.malformed(
                    sink,
                    f.frame,
                    off,
                    format!("IP version {v} where IPv{want} was announced by the link layer"),
                );
            }
            _ => match v {
                4 => self.ipv4(f, p, off, depth, sink),
                6 => self.ipv6(f, p, off, depth, sink),
                _ => {
                    if version.is_some() {
                        self.malformed(sink, f.frame, off, format!("IP version {v}"));
                    }
                }
            },
        }
    }

    fn ipv4(&mut self, f: FrameCtx, p: &[u8], base: usize, depth: u8, sink: &mut dyn DatagramSink) {
        if p.len() < 20 {
            if !f.truncated {
                self.malformed(
                    sink,
                    f.frame,
                    base,
                    format!("IPv4 header cut at {} bytes", p.len()),
                );
            }
            return;
        }
        let ihl = (p[0] & 15) as usize * 4;
        if ihl < 20 {
            self.malformed(sink, f.frame, base, format!("IPv4 header length {ihl} < 20"));
            return;
        }
        if p.len() < ihl {
            if !f.truncated {
                self.malformed(sink, f.frame, base, "IPv4 options cut short".into());
            }
            return;
        }
        let mut total = u16::from_be_bytes([p[2], p[3]]) as usize;
        if total == 0 {
            // TCP segmentation offload captures leave 0 here; use what was captured.
            total = p.len();
        }
        if total < ihl {
            self.malformed(
                sink,
                f.frame,
                base,
                format!("IPv4 total length {total} < header length {ihl}"),
            );
            return;
        }
        let proto = p[9];
        let fw = u16::from_be_bytes([p[6], p[7]]);
        let more = fw & 0x2000 != 0;
        let frag_off = (fw & 0x1fff) as usize * 8;
        let src = v4addr(p, 12);
        let dst = v4addr(p, 16);
        let end = total.min(p.len());
        let body = &p[ihl..end];
        let declared = total - ihl;
        let ctx = IpCtx {
            f,
            v6: false,
            src,
            dst,
            ip_length: total as u32,
            payload_len: total - ihl,
            fragment_frames: None,
        };
        if more || frag_off != 0 {
            if !matches!(proto, 17 | 50 | 51) {
                return;
            }
            self.stats.ip_fragments += 1;
            if body.len() < declared {
                // Not fully captured: cannot be reassembled. Like tshark, dissect the first
                // fragment's bytes as they are; later fragments are skipped.
                if frag_off == 0 {
                    self.upper(ctx, proto, body, declared, base + ihl, depth, sink);
                }
                return;
            }
            let key = FragKey {
                src,
                dst,
                id: u16::from_be_bytes([p[4], p[5]]) as u32,
                proto,
            };
            let fin = FragIn {
                key,
                offset: frag_off,
                more,
                data: body,
                hdr_len: ihl,
                frame: f.frame,
                time: f.time,
            };
            self.feed_fragment(ctx, fin, 0, sink);
            return;
        }
        self.upper(ctx, proto, body, declared, base + ihl, depth, sink);
    }

    fn ipv6(&mut self, f: FrameCtx, p: &[u8], base: usize, depth: u8, sink: &mut dyn DatagramSink) {
        if p.len() < 40 {
            if !f.truncated {
                self.malformed(
                    sink,
                    f.frame,
                    base,
                    format!("IPv6 header cut at {} bytes", p.len()),
                );
            }
            return;
        }
        let mut plen = u16::from_be_bytes([p[4], p[5]]) as usize;
        let nh = p[6];
        if plen == 0 && nh != 59 {
            // Jumbogram or offload capture: use what was captured.
            plen = p.len() - 40;
        }
        let src = v6addr(p, 8);
        let dst = v6addr(p, 24);
        let end = (40 + plen).min(p.len());
        let body = &p[40..end];
        let ctx = IpCtx {
            f,
            v6: true,
            src,
            dst,
            ip_length: (40 + plen) as u32,
            payload_len: plen,
            fragment_frames: None,
        };
        match walk_ext(nh, body, true, true) {
            Walk::Final { proto, offset } => {
                let declared = plen.saturating_sub(offset);
                let b = body.get(offset..).unwrap_or(&[]);
                self.upper_noext(ctx, proto, b, declared, base + 40 + offset, depth, sink);
            }
            Walk::Fragment {
                nh: fnh,
                frag_off,
                more,
                id,
                hdr_at,
                offset,
            } => {
                if !matches!(fnh, 17 | 50 | 51 | 60) {
                    return;
                }
                self.stats.ip_fragments += 1;
                let declared = plen.saturating_sub(offset);
                let b = body.get(offset..).unwrap_or(&[]);
                if b.len() < declared {
                    if frag_off == 0 {
                        self.upper(ctx, fnh, b, declared, base + 40 + offset, depth, sink);
                    }
                    return;
                }
                let fin = FragIn {
                    key: FragKey {
                        src,
                        dst,
                        id,
                        proto: fnh,
                    },
                    offset: frag_off,
                    more,
                    data: b,
                    hdr_len: 40 + hdr_at,
                    frame: f.frame,
                    time: f.time,
                };
                self.feed_fragment(ctx, fin, 0, sink);
            }
            Walk::Short => {
                if !f.truncated {
                    self.malformed(
                        sink,
                        f.frame,
                        base + 40,
                        "IPv6 extension headers cut short".into(),
                    );
                }
            }
            Walk::Bad(o, what) => self.malformed(sink, f.frame, base + 40 + o, what.into()),
        }
    }

    fn feed_fragment(&mut self, ctx: IpCtx<'_>, fin: FragIn<'_>, depth: u8, sink: &mut dyn DatagramSink) {
        let proto = fin.key.proto;
        let ports = std::mem::take(&mut self.ike_ports);
        let interesting = |sp: u16, dp: u16| {
            sp == IKE_PORT
                || dp == IKE_PORT
                || sp == NATT_PORT
                || dp == NATT_PORT
                || ports.contains(&sp)
                || ports.contains(&dp)
        };
        let fed = self.reasm.feed(fin, &interesting, sink);
        self.ike_ports = ports;
        let Fed::Complete(entry) = fed else {
            return;
        };
        self.stats.reassembled += 1;
        let mut frames = std::mem::take(&mut self.frames_scratch);
        entry.frames_into(&mut frames);
        let total = entry.data.len();
        let c = IpCtx {
            ip_length: (entry.hdr_len + total) as u32,
            payload_len: entry.hdr_len + total - if ctx.v6 { 40 } else { entry.hdr_len },
            fragment_frames: Some(&frames),
            // Every fragment fed was fully captured.
            f: FrameCtx {
                truncated: false,
                ..ctx.f
            },
            ..ctx
        };
        self.upper(c, proto, &entry.data, total, 0, depth, sink);
        self.frames_scratch = frames;
        self.reasm.recycle(entry);
    }

    /// Upper layer after the IP header: skip AH / IPv6 extension headers (no fragment header).
    #[allow(clippy::too_many_arguments)]
    fn upper(
        &mut self,
        c: IpCtx<'_>,
        proto: u8,
        b: &[u8],
        declared: usize,
        base: usize,
        depth: u8,
        sink: &mut dyn DatagramSink,
    ) {
        let needs_walk = proto == 51 || (c.v6 && matches!(proto, 0 | 43 | 60 | 135 | 139 | 140));
        if !needs_walk {
            return self.upper_noext(c, proto, b, declared, base, depth, sink);
        }
        match walk_ext(proto, b, c.v6, false) {
            Walk::Final { proto, offset } => {
                let rest = b.get(offset..).unwrap_or(&[]);
                self.upper_noext(
                    c,
                    proto,
                    rest,
                    declared.saturating_sub(offset),
                    base + offset,
                    depth,
                    sink,
                )
            }
            Walk::Short | Walk::Fragment { .. } => {
                if !c.f.truncated {
                    self.malformed(sink, c.f.frame, base, "extension header / AH cut short".into());
                }
            }
            Walk::Bad(o, what) => self.malformed(sink, c.f.frame, base + o, what.into()),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn upper_noext(
        &mut self,
        c: IpCtx<'_>,
        proto: u8,
        b: &[u8],
        declared: usize,
        base: usize,
        depth: u8,
        sink: &mut dyn DatagramSink,
    ) {
        match proto {
            17 => self.udp(c, b, declared, base, sink),
            50 => self.esp(c, b, declared, base, sink),
            1 if !c.v6 => self.icmp(c, b, base, sink),
            58 if c.v6 => self.icmp(c, b, base, sink),
            6 => self.clear(&c, proto, declared, b, sink),
            4 | 41 if c.fragment_frames.is_none() && depth < MAX_DEPTH => {
                let v = if proto == 4 { 4 } else { 6 };
                // Inner packet: offsets relative to the frame stay meaningful via `base`.
                self.ip_inner(c.f, b, base, v, depth + 1, sink)
            }
            47 if c.fragment_frames.is_none() && depth < MAX_DEPTH => self.gre(c.f, b, base, depth + 1, sink),
            _ => {}
        }
    }

    fn ip_inner(
        &mut self,
        f: FrameCtx,
        b: &[u8],
        base: usize,
        v: u8,
        depth: u8,
        sink: &mut dyn DatagramSink,
    ) {
        match b.first() {
            Some(&b0) if b0 >> 4 == v => {
                if v == 4 {
                    self.ipv4(f, b, base, depth, sink)
                } else {
                    self.ipv6(f, b, base, depth, sink)
                }
            }
            Some(_) => self.malformed(sink, f.frame, base, format!("tunnelled packet is not IPv{v}")),
            None => {}
        }
    }

    fn gre(&mut self, f: FrameCtx, b: &[u8], base: usize, depth: u8, sink: &mut dyn DatagramSink) {
        let Some(flags) = be16(b, 0) else { return };
        let Some(pt) = be16(b, 2) else { return };
        if flags & 0x0007 != 0 {
            return; // GRE version 1 (PPTP) or other: not followed.
        }
        let mut off = 4;
        if flags & 0x8000 != 0 {
            off += 4; // checksum + reserved
        }
        if flags & 0x2000 != 0 {
            off += 4; // key
        }
        if flags & 0x1000 != 0 {
            off += 4; // sequence
        }
        let Some(inner) = b.get(off..) else { return };
        match pt {
            0x0800 => self.ip_inner(f, inner, base + off, 4, depth, sink),
            0x86dd => self.ip_inner(f, inner, base + off, 6, depth, sink),
            _ => {}
        }
    }

    fn clear(&mut self, c: &IpCtx<'_>, proto: u8, declared: usize, data: &[u8], sink: &mut dyn DatagramSink) {
        sink.clear(&ClearPacket {
            frame: c.f.frame,
            time: c.f.time,
            src: c.src,
            dst: c.dst,
            ip_length: c.ip_length,
            proto,
            declared: declared as u32,
            data,
        });
    }

    fn emit(&mut self, c: &IpCtx<'_>, content: Content<'_>, sink: &mut dyn DatagramSink) {
        match content {
            Content::Ike { .. } => self.stats.ike_packets += 1,
            Content::Esp { .. } => self.stats.esp_packets += 1,
            Content::NatKeepalive { .. } => self.stats.nat_keepalives += 1,
            Content::IcmpError { .. } => self.stats.icmp_errors += 1,
        }
        let d = Datagram {
            frame: c.f.frame,
            time: c.f.time,
            truncated: c.f.truncated,
            src: c.src,
            dst: c.dst,
            ip_length: c.ip_length,
            fragment_frames: c.fragment_frames,
            content,
        };
        sink.datagram(&d);
    }

    fn udp(&mut self, c: IpCtx<'_>, b: &[u8], declared: usize, base: usize, sink: &mut dyn DatagramSink) {
        let (Some(sp), Some(dp)) = (be16(b, 0), be16(b, 2)) else {
            return;
        };
        let natt = sp == NATT_PORT || dp == NATT_PORT;
        let ike = sp == IKE_PORT || dp == IKE_PORT;
        let extra = !natt && !ike && (self.extra_port(sp) || self.extra_port(dp));
        if !natt && !ike && !extra {
            return;
        }
        let Some(ulen) = be16(b, 4) else {
            if !c.f.truncated {
                self.malformed(sink, c.f.frame, base, "UDP header cut short".into());
            }
            return;
        };
        let mut ulen = ulen as usize;
        if ulen == 0 {
            ulen = declared; // jumbogram / offload
        }
        if ulen < 8 {
            self.malformed(sink, c.f.frame, base + 4, format!("UDP length {ulen} < 8"));
            return;
        }
        if ulen > declared && !c.f.truncated {
            self.malformed(
                sink,
                c.f.frame,
                base + 4,
                format!("UDP length {ulen} exceeds the IP payload length {declared}"),
            );
        }
        let plen = ulen - 8;
        let end = ulen.min(b.len());
        let pay = b.get(8..end).unwrap_or(&[]);
        let pbase = base + 8;
        if natt {
            self.natt(c, sp, dp, pay, plen, pbase, true, sink)
        } else if ike {
            self.ike(c, sp, dp, false, pay, plen, pbase, sink)
        } else {
            self.natt(c, sp, dp, pay, plen, pbase, false, sink)
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn ike(
        &mut self,
        c: IpCtx<'_>,
        sport: u16,
        dport: u16,
        non_esp_marker: bool,
        data: &[u8],
        declared: usize,
        base: usize,
        sink: &mut dyn DatagramSink,
    ) {
        if declared < 28 {
            self.malformed(
                sink,
                c.f.frame,
                base,
                format!(
                    "UDP payload of {declared} bytes on an IKE port is shorter than the 28-byte IKE header"
                ),
            );
            return;
        }
        self.emit(
            &c,
            Content::Ike {
                sport,
                dport,
                non_esp_marker,
                data,
            },
            sink,
        );
    }

    /// UDP 4500 (or an extra IKE port when `esp_allowed` is false): keepalive, marker + IKE,
    /// ESP in UDP.
    #[allow(clippy::too_many_arguments)]
    fn natt(
        &mut self,
        c: IpCtx<'_>,
        sp: u16,
        dp: u16,
        pay: &[u8],
        plen: usize,
        base: usize,
        esp_allowed: bool,
        sink: &mut dyn DatagramSink,
    ) {
        if plen == 1 {
            match pay.first() {
                Some(0xff) => self.emit(&c, Content::NatKeepalive { sport: sp, dport: dp }, sink),
                Some(&x) => self.malformed(
                    sink,
                    c.f.frame,
                    base,
                    format!("1-byte UDP payload 0x{x:02x} is not a NAT-T keepalive (0xff)"),
                ),
                None => {}
            }
            return;
        }
        if pay.len() >= 4 && pay[..4] == [0, 0, 0, 0] {
            return self.ike(c, sp, dp, true, &pay[4..], plen.saturating_sub(4), base + 4, sink);
        }
        if !esp_allowed {
            return self.ike(c, sp, dp, false, pay, plen, base, sink);
        }
        if pay.len() < 4 {
            if !c.f.truncated {
                self.malformed(
                    sink,
                    c.f.frame,
                    base,
                    format!("UDP 4500 payload of {plen} bytes is neither keepalive, IKE nor ESP"),
                );
            }
            return;
        }
        if plen < 8 {
            self.malformed(
                sink,
                c.f.frame,
                base,
                format!("UDP 4500 payload of {plen} bytes is too short for ESP"),
            );
            return;
        }
        let spi = be32(pay, 0).unwrap_or(0);
        let seq = be32(pay, 4).unwrap_or(0);
        self.emit(
            &c,
            Content::Esp {
                ports: Some((sp, dp)),
                spi,
                seq,
                length: plen as u32,
                data: pay,
            },
            sink,
        );
    }

    fn esp(&mut self, c: IpCtx<'_>, b: &[u8], declared: usize, base: usize, sink: &mut dyn DatagramSink) {
        if b.len() < 8 && !(c.f.truncated && b.len() >= 4) {
            if !c.f.truncated || declared < 8 {
                self.malformed(
                    sink,
                    c.f.frame,
                    base,
                    format!("ESP packet of {} bytes (< 8)", declared),
                );
            }
            return;
        }
        let spi = be32(b, 0).unwrap_or(0);
        let seq = be32(b, 4).unwrap_or(0);
        self.emit(
            &c,
            Content::Esp {
                ports: None,
                spi,
                seq,
                length: c.payload_len.max(declared) as u32,
                data: b,
            },
            sink,
        );
    }

    fn icmp(&mut self, c: IpCtx<'_>, b: &[u8], _base: usize, sink: &mut dyn DatagramSink) {
        let (Some(&t), Some(&code)) = (b.first(), b.get(1)) else {
            return;
        };
        let (is_err, mtu) = if c.v6 {
            (matches!(t, 1..=4), if t == 2 { be32(b, 4) } else { None })
        } else {
            (
                matches!(t, 3 | 4 | 5 | 11 | 12),
                if t == 3 && code == 4 {
                    be16(b, 6).map(u32::from)
                } else {
                    None
                },
            )
        };
        if !is_err {
            return;
        }
        let Some(q) = b.get(8..) else { return };
        let Some(quoted) = self.quoted(q, c.v6) else {
            // about other traffic: maybe the tunnel's inner traffic (path MTU)
            let proto = if c.v6 { 58 } else { 1 };
            return self.clear(&c, proto, b.len(), b, sink);
        };
        self.emit(
            &c,
            Content::IcmpError {
                version: if c.v6 { 6 } else { 4 },
                icmp_type: t,
                code,
                mtu,
                quoted,
            },
            sink,
        );
    }

    /// The flow quoted in an ICMP error, when it is IKE/NAT-T UDP or ESP.
    fn quoted(&self, q: &[u8], v6: bool) -> Option<QuotedFlowRef> {
        let (src, dst, proto, tp) = if !v6 {
            if q.len() < 20 || q[0] >> 4 != 4 {
                return None;
            }
            let ihl = (q[0] & 15) as usize * 4;
            let fw = u16::from_be_bytes([q[6], q[7]]);
            if ihl < 20 || fw & 0x1fff != 0 {
                return None;
            }
            let tp = q.get(ihl..)?;
            match walk_ext(q[9], tp, false, false) {
                Walk::Final { proto, offset } => (v4addr(q, 12), v4addr(q, 16), proto, tp.get(offset..)?),
                _ => return None,
            }
        } else {
            if q.len() < 40 || q[0] >> 4 != 6 {
                return None;
            }
            let rest = &q[40..];
            let (proto, off) = match walk_ext(q[6], rest, true, true) {
                Walk::Final { proto, offset } => (proto, offset),
                Walk::Fragment {
                    nh,
                    frag_off: 0,
                    offset,
                    ..
                } => match walk_ext(nh, rest.get(offset..)?, true, false) {
                    Walk::Final { proto, offset: o2 } => (proto, offset + o2),
                    _ => return None,
                },
                _ => return None,
            };
            (v6addr(q, 8), v6addr(q, 24), proto, rest.get(off..)?)
        };
        let mut flow = QuotedFlowRef {
            src,
            dst,
            ports: None,
            proto,
            esp_spi: None,
            ike_spis: None,
        };
        let spis = |b: &[u8]| -> Option<([u8; 8], [u8; 8])> {
            let s = b.get(0..16)?;
            let mut i = [0u8; 8];
            let mut r = [0u8; 8];
            i.copy_from_slice(&s[..8]);
            r.copy_from_slice(&s[8..]);
            Some((i, r))
        };
        match proto {
            17 => {
                let sp = be16(tp, 0)?;
                let dp = be16(tp, 2)?;
                if !self.interesting_ports(sp, dp) {
                    return None;
                }
                flow.ports = Some((sp, dp));
                let pay = tp.get(8..).unwrap_or(&[]);
                if sp == NATT_PORT || dp == NATT_PORT {
                    if pay.len() >= 4 && pay[..4] == [0, 0, 0, 0] {
                        flow.ike_spis = spis(&pay[4..]);
                    } else if let Some(spi) = be32(pay, 0) {
                        flow.esp_spi = Some(spi);
                    }
                } else if pay.len() >= 4 && pay[..4] == [0, 0, 0, 0] && !(sp == IKE_PORT || dp == IKE_PORT) {
                    flow.ike_spis = spis(&pay[4..]);
                } else {
                    flow.ike_spis = spis(pay);
                }
            }
            50 => flow.esp_spi = be32(tp, 0),
            _ => return None,
        }
        Some(flow)
    }
}
