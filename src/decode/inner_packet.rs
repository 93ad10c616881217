//! Packets carried inside a tunnel, reduced to what traffic-health and BGP reconstruction need:
//! addresses, length, and for TCP the header fields, the MSS option and (port 179 only) the
//! payload bytes. They come from decrypted ESP, or in the clear from a gateway's own capture of
//! its tunnel interface (`-i any` sees the TUN/VTI side).

use crate::record::Timestamp;
use ikescope_parsers::{bgp, ip, tcp};
use std::net::IpAddr;

/// Where an inner packet was seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InnerSource {
    /// Decrypted from the ESP flow (outer source, outer destination, SPI).
    Esp {
        /// Outer source.
        src: IpAddr,
        /// Outer destination.
        dst: IpAddr,
        /// SPI of the ESP packet that carried it.
        spi: u32,
    },
    /// Seen in the clear on the capture (a gateway's tunnel interface, or any plain link).
    Clear,
}

/// A TCP segment's header fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TcpSummary {
    /// Source port.
    pub sport: u16,
    /// Destination port.
    pub dport: u16,
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgment number (with ACK).
    pub ack: u32,
    /// Control bits.
    pub flags: tcp::Flags,
    /// MSS option (SYN segments).
    pub mss: Option<u16>,
    /// Payload length as declared by the IP header (not cut by the snaplen).
    pub payload_len: u32,
    /// The payload bytes as captured, kept only for BGP (port 179) segments.
    pub bgp_payload: Option<Box<[u8]>>,
}

/// An ICMP error inside the tunnel (or a clear one about clear traffic).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IcmpSummary {
    /// ICMP type.
    pub icmp_type: u8,
    /// ICMP code.
    pub code: u8,
    /// Next-hop MTU (ICMPv4 fragmentation needed) or MTU (ICMPv6 packet too big).
    pub mtu: Option<u32>,
    /// True for "fragmentation needed and DF set" / "packet too big".
    pub too_big: bool,
    /// Source and destination of the quoted packet.
    pub quoted: Option<(IpAddr, IpAddr)>,
}

/// What an inner packet carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Transport {
    /// TCP.
    Tcp(TcpSummary),
    /// An ICMP/ICMPv6 error.
    IcmpError(IcmpSummary),
    /// Anything else (UDP, ICMP echo, ...): counted, not looked into.
    Other,
}

/// One inner packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InnerPacket {
    /// Input file index.
    pub file_index: usize,
    /// 1-based frame.
    pub frame: u64,
    /// Capture time.
    pub time: Timestamp,
    /// Where it was seen.
    pub source: InnerSource,
    /// Inner source address.
    pub src: IpAddr,
    /// Inner destination address.
    pub dst: IpAddr,
    /// IP protocol.
    pub proto: u8,
    /// Length of the inner IP packet, header included.
    pub ip_len: u32,
    /// Transport details.
    pub transport: Transport,
}

/// The network-layer view of an inner packet: addresses, protocol, declared lengths, and the
/// transport bytes as captured.
#[derive(Clone, Copy, Debug)]
pub struct IpView<'a> {
    /// Inner source address.
    pub src: IpAddr,
    /// Inner destination address.
    pub dst: IpAddr,
    /// Protocol / next header of the transport.
    pub proto: u8,
    /// Declared length of the whole IP packet.
    pub ip_len: u32,
    /// Declared length of the transport part.
    pub transport_len: u32,
    /// The transport bytes as captured.
    pub transport: &'a [u8],
}

/// The network-layer view of an IPv4/IPv6 packet (tunnel mode ESP payload), read with the
/// parsers' IP headers. Non-first IPv4 fragments carry no transport header and get an empty
/// `transport`.
pub fn ip_view(p: &[u8]) -> Option<IpView<'_>> {
    match p.first()? >> 4 {
        4 => {
            let h = ip::parse_ipv4(p).ok()?;
            Some(IpView {
                src: h.src.into(),
                dst: h.dst.into(),
                proto: h.protocol,
                ip_len: h.total_len as u32,
                transport_len: h.declared_payload_len() as u32,
                transport: if h.fragment.offset == 0 { h.payload } else { &[] },
            })
        }
        6 => {
            let h = ip::parse_ipv6(p).ok()?;
            Some(IpView {
                src: h.src.into(),
                dst: h.dst.into(),
                proto: h.next_header,
                ip_len: (ip::IPV6_HEADER_LEN + h.payload_len) as u32,
                transport_len: h.payload_len as u32,
                transport: h.payload,
            })
        }
        _ => None,
    }
}

/// The transport summary of an inner packet.
pub fn transport(view: &IpView<'_>) -> Transport {
    match view.proto {
        6 => match tcp::parse_segment(view.transport) {
            Ok(seg) => {
                let header = (view.transport.len() - seg.payload.len()) as u32;
                let is_bgp = seg.sport == bgp::PORT || seg.dport == bgp::PORT;
                Transport::Tcp(TcpSummary {
                    sport: seg.sport,
                    dport: seg.dport,
                    seq: seg.seq,
                    ack: seg.ack,
                    flags: seg.flags,
                    mss: seg.mss(),
                    payload_len: view.transport_len.saturating_sub(header),
                    bgp_payload: (is_bgp && !seg.payload.is_empty()).then(|| seg.payload.into()),
                })
            }
            Err(_) => Transport::Other,
        },
        1 | 58 => icmp_error(view).map_or(Transport::Other, Transport::IcmpError),
        _ => Transport::Other,
    }
}

fn icmp_error(view: &IpView<'_>) -> Option<IcmpSummary> {
    let b = view.transport;
    let (t, code) = (*b.first()?, *b.get(1)?);
    let v6 = view.proto == ip::proto::ICMPV6;
    let is_error = if v6 {
        matches!(t, 1..=4)
    } else {
        matches!(t, 3 | 11 | 12)
    };
    if !is_error {
        return None;
    }
    let too_big = if v6 { t == 2 } else { t == 3 && code == 4 };
    let mtu = match (too_big, v6) {
        (true, false) => Some(u32::from(u16::from_be_bytes([*b.get(6)?, *b.get(7)?]))),
        (true, true) => Some(u32::from_be_bytes([
            *b.get(4)?,
            *b.get(5)?,
            *b.get(6)?,
            *b.get(7)?,
        ])),
        _ => None,
    };
    let quoted = b.get(8..).and_then(ip_view).map(|q| (q.src, q.dst));
    Some(IcmpSummary {
        icmp_type: t,
        code,
        mtu,
        too_big,
        quoted,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// IPv4 10.1.0.1 -> 10.2.0.1, TCP 40000 -> 179, PSH ACK, 19-byte KEEPALIVE payload.
    fn keepalive_packet() -> Vec<u8> {
        let mut p = vec![
            0x45, 0, 0, 59, 0, 1, 0x40, 0, 64, 6, 0, 0, 10, 1, 0, 1, 10, 2, 0, 1, // IPv4
            0x9c, 0x40, 0, 179, 0, 0, 0, 100, 0, 0, 0, 200, 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0,
        ];
        p.extend_from_slice(&[0xff; 16]);
        p.extend_from_slice(&[0, 19, 4]);
        p
    }

    #[test]
    fn tcp_bgp_segment_keeps_its_payload() {
        let p = keepalive_packet();
        let v = ip_view(&p).unwrap();
        assert_eq!(v.ip_len, 59);
        assert_eq!(v.src.to_string(), "10.1.0.1");
        let Transport::Tcp(t) = transport(&v) else {
            panic!("not TCP")
        };
        assert_eq!((t.sport, t.dport, t.seq, t.ack), (40000, 179, 100, 200));
        assert_eq!(t.payload_len, 19);
        assert_eq!(t.bgp_payload.as_deref().map(<[u8]>::len), Some(19));
        assert!(t.flags.ack());
    }

    #[test]
    fn snaplen_cut_keeps_declared_length() {
        let p = keepalive_packet();
        let v = ip_view(&p[..45]).unwrap();
        let Transport::Tcp(t) = transport(&v) else {
            panic!("not TCP")
        };
        assert_eq!(t.payload_len, 19);
        assert_eq!(t.bgp_payload.as_deref().map(<[u8]>::len), Some(5));
    }

    #[test]
    fn icmp_frag_needed_inside() {
        // 10.9.9.9 -> 10.1.0.1 ICMP 3/4 MTU 1300 quoting 10.1.0.1 -> 10.2.0.1
        let mut p = vec![
            0x45, 0, 0, 56, 0, 0, 0, 0, 64, 1, 0, 0, 10, 9, 9, 9, 10, 1, 0, 1, 3, 4, 0, 0, 0, 0, 0x05, 0x14,
        ];
        p.extend_from_slice(&keepalive_packet()[..28]);
        let v = ip_view(&p).unwrap();
        let Transport::IcmpError(i) = transport(&v) else {
            panic!("not an ICMP error")
        };
        assert!(i.too_big);
        assert_eq!(i.mtu, Some(1300));
        assert_eq!(i.quoted.map(|q| q.1.to_string()), Some("10.2.0.1".into()));
    }

    #[test]
    fn garbage_is_not_a_packet() {
        assert!(ip_view(&[]).is_none());
        assert!(ip_view(&[0x45, 0, 0]).is_none());
        assert!(ip_view(&[0x41; 40]).is_none());
        assert!(ip_view(&[0x60; 20]).is_none());
    }
}
