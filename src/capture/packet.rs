//! Per-frame decoding: the parsers of `ikescope-parsers` read each layer (link, IPv4/IPv6 with
//! extension headers and AH, GRE, UDP, ESP, ICMP errors); this glue follows the layers, feeds IP
//! fragments to the reassembler, reports malformed frames with their offsets, and hands
//! IKE/ESP/keepalive/ICMP-error datagrams to the sink.
//!
//! The common path (an unfragmented ESP or UDP packet) allocates nothing.

use super::reasm::{Fed, FragIn, FragKey, Reassembler};
use super::{
    ClearPacket, Content, Datagram, DatagramSink, IngestEvent, InputStats, QuotedFlowRef, TimeWindow,
};
use crate::record::Timestamp;
use ikescope_parsers::esp::{parse_esp, ESP_HEADER_LEN};
use ikescope_parsers::icmp::{parse_icmp_error, parse_quoted};
use ikescope_parsers::ip::{self, proto, ExtWalk, IpError, IPV6_HEADER_LEN};
use ikescope_parsers::isakmp::{self, HEADER_LEN as IKE_HEADER_LEN};
use ikescope_parsers::link::{self, ETHERTYPE_IPV4, ETHERTYPE_IPV6, MAX_LINK_LEVELS};
use ikescope_parsers::udp::{parse_udp, udp_ports, UdpError, IKE_PORT, NATT_PORT, UDP_HEADER_LEN};
use ikescope_parsers::udp_encap::{self, UdpEncap, NAT_KEEPALIVE, NON_ESP_MARKER_LEN};
use std::net::IpAddr;

pub use ikescope_parsers::link::linktype_supported;

/// Most encapsulation levels followed (VLAN tags, MPLS labels, IP-in-IP, GRE) per frame.
const MAX_DEPTH: u8 = MAX_LINK_LEVELS;

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
    /// IPv4 TTL / IPv6 hop limit as captured.
    ttl: u8,
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
    /// IP fragments fed to reassembly are announced with [`DatagramSink::fragment`] (a decoder
    /// reading part of a capture, whose fragments another decoder also reassembles).
    announce_fragments: bool,
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
            announce_fragments: false,
        }
    }

    /// A decoder that announces the IP fragments it feeds to reassembly with
    /// [`DatagramSink::fragment`].
    pub fn announcing_fragments(ike_ports: &[u16], window: TimeWindow) -> Self {
        PacketDecoder {
            announce_fragments: true,
            ..PacketDecoder::new(ike_ports, window)
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
        match link::parse_link(linktype, data) {
            Ok(Some(ip)) => self.ip(f, data, ip.offset, ip.version, ip.levels, sink),
            Ok(None) => {}
            Err(e) => {
                if !f.truncated {
                    self.malformed(sink, frame, 0, e.to_string());
                }
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

    /// Report an IP header fault (a cut one only when the frame was not cut by the snap length).
    fn ip_fault(&mut self, f: FrameCtx, base: usize, e: IpError, sink: &mut dyn DatagramSink) {
        if !(e.is_cut() && f.truncated) {
            self.malformed(sink, f.frame, base, e.to_string());
        }
    }

    fn ipv4(&mut self, f: FrameCtx, p: &[u8], base: usize, depth: u8, sink: &mut dyn DatagramSink) {
        let h = match ip::parse_ipv4(p) {
            Ok(h) => h,
            Err(e) => return self.ip_fault(f, base, e, sink),
        };
        let declared = h.declared_payload_len();
        let ctx = IpCtx {
            f,
            v6: false,
            src: h.src.into(),
            dst: h.dst.into(),
            ip_length: h.total_len as u32,
            payload_len: declared,
            fragment_frames: None,
            ttl: p[8],
        };
        let body_base = base + h.header_len;
        if h.is_fragment() {
            if !matches!(h.protocol, proto::UDP | proto::ESP | proto::AH) {
                return;
            }
            if self.announce_fragments {
                sink.fragment();
            }
            self.stats.ip_fragments += 1;
            if h.payload.len() < declared {
                // Not fully captured: cannot be reassembled. Like tshark, dissect the first
                // fragment's bytes as they are; later fragments are skipped.
                if h.fragment.offset == 0 {
                    self.upper(ctx, h.protocol, h.payload, declared, body_base, depth, sink);
                }
                return;
            }
            let fin = FragIn {
                key: FragKey {
                    src: ctx.src,
                    dst: ctx.dst,
                    id: h.fragment.id,
                    proto: h.protocol,
                },
                offset: h.fragment.offset,
                more: h.fragment.more,
                data: h.payload,
                hdr_len: h.header_len,
                frame: f.frame,
                time: f.time,
            };
            self.feed_fragment(ctx, fin, 0, sink);
            return;
        }
        self.upper(ctx, h.protocol, h.payload, declared, body_base, depth, sink);
    }

    fn ipv6(&mut self, f: FrameCtx, p: &[u8], base: usize, depth: u8, sink: &mut dyn DatagramSink) {
        let h = match ip::parse_ipv6(p) {
            Ok(h) => h,
            Err(e) => return self.ip_fault(f, base, e, sink),
        };
        let plen = h.payload_len;
        let body = h.payload;
        let ctx = IpCtx {
            f,
            v6: true,
            src: h.src.into(),
            dst: h.dst.into(),
            ip_length: (IPV6_HEADER_LEN + plen) as u32,
            payload_len: plen,
            fragment_frames: None,
            ttl: p[7],
        };
        let body_base = base + IPV6_HEADER_LEN;
        match ip::walk_extensions(h.next_header, body, true, true) {
            ExtWalk::Final { proto, offset } => {
                let declared = plen.saturating_sub(offset);
                let b = body.get(offset..).unwrap_or(&[]);
                self.upper_noext(ctx, proto, b, declared, body_base + offset, depth, sink);
            }
            ExtWalk::Fragment {
                next_header,
                fragment,
                header_at,
                offset,
            } => {
                if !matches!(
                    next_header,
                    proto::UDP | proto::ESP | proto::AH | proto::IPV6_DEST_OPTS
                ) {
                    return;
                }
                if self.announce_fragments {
                    sink.fragment();
                }
                self.stats.ip_fragments += 1;
                let declared = plen.saturating_sub(offset);
                let b = body.get(offset..).unwrap_or(&[]);
                if b.len() < declared {
                    if fragment.offset == 0 {
                        self.upper(ctx, next_header, b, declared, body_base + offset, depth, sink);
                    }
                    return;
                }
                let fin = FragIn {
                    key: FragKey {
                        src: ctx.src,
                        dst: ctx.dst,
                        id: fragment.id,
                        proto: next_header,
                    },
                    offset: fragment.offset,
                    more: fragment.more,
                    data: b,
                    hdr_len: IPV6_HEADER_LEN + header_at,
                    frame: f.frame,
                    time: f.time,
                };
                self.feed_fragment(ctx, fin, 0, sink);
            }
            ExtWalk::Short => {
                if !f.truncated {
                    self.malformed(
                        sink,
                        f.frame,
                        body_base,
                        "IPv6 extension headers cut short".into(),
                    );
                }
            }
            ExtWalk::Bad(o, what) => self.malformed(sink, f.frame, body_base + o, what.into()),
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
        let needs_walk = proto == proto::AH || (c.v6 && proto::is_ipv6_extension(proto));
        if !needs_walk {
            return self.upper_noext(c, proto, b, declared, base, depth, sink);
        }
        match ip::walk_extensions(proto, b, c.v6, false) {
            ExtWalk::Final { proto, offset } => {
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
            ExtWalk::Short | ExtWalk::Fragment { .. } => {
                if !c.f.truncated {
                    self.malformed(sink, c.f.frame, base, "extension header / AH cut short".into());
                }
            }
            ExtWalk::Bad(o, what) => self.malformed(sink, c.f.frame, base + o, what.into()),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn upper_noext(
        &mut self,
        c: IpCtx<'_>,
        protocol: u8,
        b: &[u8],
        declared: usize,
        base: usize,
        depth: u8,
        sink: &mut dyn DatagramSink,
    ) {
        let tunnel_ok = c.fragment_frames.is_none() && depth < MAX_DEPTH;
        match protocol {
            proto::UDP => self.udp(c, b, declared, base, sink),
            proto::ESP => self.esp(c, b, declared, base, sink),
            proto::ICMP if !c.v6 => self.icmp(c, b, sink),
            proto::ICMPV6 if c.v6 => self.icmp(c, b, sink),
            proto::TCP => self.clear(&c, protocol, declared, b, sink),
            // Inner packet: offsets relative to the frame stay meaningful via `base`.
            proto::IPV4 if tunnel_ok => self.ip_inner(c.f, b, base, 4, depth + 1, sink),
            proto::IPV6 if tunnel_ok => self.ip_inner(c.f, b, base, 6, depth + 1, sink),
            proto::GRE if tunnel_ok => self.gre(c.f, b, base, depth + 1, sink),
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
        let Some(g) = ip::parse_gre(b) else { return };
        match g.protocol {
            ETHERTYPE_IPV4 => self.ip_inner(f, g.payload, base + g.offset, 4, depth, sink),
            ETHERTYPE_IPV6 => self.ip_inner(f, g.payload, base + g.offset, 6, depth, sink),
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
            ttl: c.ttl,
            content,
        };
        sink.datagram(&d);
    }

    fn udp(&mut self, c: IpCtx<'_>, b: &[u8], declared: usize, base: usize, sink: &mut dyn DatagramSink) {
        let Some((sp, dp)) = udp_ports(b) else {
            return;
        };
        let natt = sp == NATT_PORT || dp == NATT_PORT;
        let ike = sp == IKE_PORT || dp == IKE_PORT;
        let extra = !natt && !ike && (self.extra_port(sp) || self.extra_port(dp));
        if !natt && !ike && !extra {
            return;
        }
        let u = match parse_udp(b, declared) {
            Ok(u) => u,
            Err(UdpError::Cut) => {
                if !c.f.truncated {
                    self.malformed(sink, c.f.frame, base, UdpError::Cut.to_string());
                }
                return;
            }
            Err(e @ UdpError::Length(_)) => return self.malformed(sink, c.f.frame, base + 4, e.to_string()),
        };
        if u.length > declared && !c.f.truncated {
            self.malformed(
                sink,
                c.f.frame,
                base + 4,
                format!("UDP length {} exceeds the IP payload length {declared}", u.length),
            );
        }
        let plen = u.declared_payload_len();
        let pbase = base + UDP_HEADER_LEN;
        if natt {
            self.natt(c, sp, dp, u.payload, plen, pbase, true, sink)
        } else if ike {
            self.ike(c, sp, dp, false, u.payload, plen, pbase, sink)
        } else {
            self.natt(c, sp, dp, u.payload, plen, pbase, false, sink)
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
        if declared < IKE_HEADER_LEN {
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
        let pay = match udp_encap::classify(pay, plen) {
            UdpEncap::OneByte(Some(NAT_KEEPALIVE)) => {
                return self.emit(&c, Content::NatKeepalive { sport: sp, dport: dp }, sink)
            }
            UdpEncap::OneByte(Some(x)) => {
                return self.malformed(
                    sink,
                    c.f.frame,
                    base,
                    format!("1-byte UDP payload 0x{x:02x} is not a NAT-T keepalive (0xff)"),
                )
            }
            UdpEncap::OneByte(None) => return,
            UdpEncap::Ike { message, declared } => {
                return self.ike(
                    c,
                    sp,
                    dp,
                    true,
                    message,
                    declared,
                    base + NON_ESP_MARKER_LEN,
                    sink,
                )
            }
            UdpEncap::Unmarked(pay) => pay,
        };
        if !esp_allowed {
            return self.ike(c, sp, dp, false, pay, plen, base, sink);
        }
        let Ok(esp) = parse_esp(pay) else {
            if !c.f.truncated {
                self.malformed(
                    sink,
                    c.f.frame,
                    base,
                    format!("UDP 4500 payload of {plen} bytes is neither keepalive, IKE nor ESP"),
                );
            }
            return;
        };
        if plen < ESP_HEADER_LEN {
            self.malformed(
                sink,
                c.f.frame,
                base,
                format!("UDP 4500 payload of {plen} bytes is too short for ESP"),
            );
            return;
        }
        self.emit(
            &c,
            Content::Esp {
                ports: Some((sp, dp)),
                spi: esp.spi,
                seq: esp.seq.unwrap_or(0),
                length: plen as u32,
                data: pay,
            },
            sink,
        );
    }

    fn esp(&mut self, c: IpCtx<'_>, b: &[u8], declared: usize, base: usize, sink: &mut dyn DatagramSink) {
        // A header cut by the capture still gives the SPI; a short packet on the wire does not.
        let esp = parse_esp(b).ok().filter(|e| e.seq.is_some() || c.f.truncated);
        let Some(esp) = esp else {
            if !c.f.truncated || declared < ESP_HEADER_LEN {
                self.malformed(
                    sink,
                    c.f.frame,
                    base,
                    format!("ESP packet of {} bytes (< 8)", declared),
                );
            }
            return;
        };
        self.emit(
            &c,
            Content::Esp {
                ports: None,
                spi: esp.spi,
                seq: esp.seq.unwrap_or(0),
                length: c.payload_len.max(declared) as u32,
                data: b,
            },
            sink,
        );
    }

    fn icmp(&mut self, c: IpCtx<'_>, b: &[u8], sink: &mut dyn DatagramSink) {
        let Some(e) = parse_icmp_error(b, c.v6) else {
            return;
        };
        let Some(quoted) = self.quoted(e.quoted, c.v6) else {
            // about other traffic: maybe the tunnel's inner traffic (path MTU)
            let icmp = if c.v6 { proto::ICMPV6 } else { proto::ICMP };
            return self.clear(&c, icmp, b.len(), b, sink);
        };
        self.emit(
            &c,
            Content::IcmpError {
                version: if c.v6 { 6 } else { 4 },
                icmp_type: e.icmp_type,
                code: e.code,
                mtu: e.mtu,
                quoted,
            },
            sink,
        );
    }

    /// The flow quoted in an ICMP error, when it is IKE/NAT-T UDP or ESP.
    fn quoted(&self, q: &[u8], v6: bool) -> Option<QuotedFlowRef> {
        let p = parse_quoted(q, v6)?;
        let tp = p.transport;
        let mut flow = QuotedFlowRef {
            src: p.src,
            dst: p.dst,
            ports: None,
            proto: p.protocol,
            esp_spi: None,
            ike_spis: None,
        };
        match p.protocol {
            proto::UDP => {
                let (sp, dp) = udp_ports(tp)?;
                if !self.interesting_ports(sp, dp) {
                    return None;
                }
                flow.ports = Some((sp, dp));
                let pay = tp.get(UDP_HEADER_LEN..).unwrap_or(&[]);
                let after_marker = pay.strip_prefix(&[0u8; NON_ESP_MARKER_LEN]);
                if sp == NATT_PORT || dp == NATT_PORT {
                    match after_marker {
                        Some(ike) => flow.ike_spis = isakmp::parse_spis(ike),
                        None => flow.esp_spi = parse_esp(pay).ok().map(|e| e.spi),
                    }
                } else {
                    match after_marker {
                        Some(ike) if !(sp == IKE_PORT || dp == IKE_PORT) => {
                            flow.ike_spis = isakmp::parse_spis(ike)
                        }
                        _ => flow.ike_spis = isakmp::parse_spis(pay),
                    }
                }
            }
            proto::ESP => flow.esp_spi = parse_esp(tp).ok().map(|e| e.spi),
            _ => return None,
        }
        Some(flow)
    }
}
