//! IPv4 and IPv6 headers, the IPv6 extension-header chain (and AH in both versions), and GRE.
//! Lengths follow what capture tools see: a zero IPv4 total length or IPv6 payload length
//! (segmentation offload, jumbograms) means "what was captured".

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// IP protocol numbers the capture stage follows.
pub mod proto {
    /// ICMP.
    pub const ICMP: u8 = 1;
    /// IPv4 in IP.
    pub const IPV4: u8 = 4;
    /// TCP.
    pub const TCP: u8 = 6;
    /// UDP.
    pub const UDP: u8 = 17;
    /// IPv6 in IP.
    pub const IPV6: u8 = 41;
    /// IPv6 Fragment header.
    pub const IPV6_FRAGMENT: u8 = 44;
    /// GRE.
    pub const GRE: u8 = 47;
    /// ESP.
    pub const ESP: u8 = 50;
    /// AH.
    pub const AH: u8 = 51;
    /// ICMPv6.
    pub const ICMPV6: u8 = 58;
    /// IPv6 No Next Header.
    pub const NO_NEXT_HEADER: u8 = 59;
    /// IPv6 Destination Options.
    pub const IPV6_DEST_OPTS: u8 = 60;
    /// SCTP.
    pub const SCTP: u8 = 132;

    /// IPv6 extension headers with the generic (next header, length in 8-octet units) layout,
    /// the fragment header and AH aside.
    #[inline]
    pub fn is_ipv6_extension(p: u8) -> bool {
        matches!(p, 0 | 43 | 60 | 135 | 139 | 140)
    }
}

/// Length of the IPv6 fixed header.
pub const IPV6_HEADER_LEN: usize = 40;
/// Length of the IPv4 header without options.
pub const IPV4_MIN_HEADER_LEN: usize = 20;

/// A header that does not fit or contradicts itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IpError {
    /// Fewer than 20 bytes.
    #[error("IPv4 header cut at {0} bytes")]
    Ipv4Cut(usize),
    /// An IHL below 5 words.
    #[error("IPv4 header length {0} < 20")]
    Ipv4HeaderLength(usize),
    /// Options announced but not present.
    #[error("IPv4 options cut short")]
    Ipv4OptionsCut,
    /// A total length below the header length.
    #[error("IPv4 total length {total} < header length {header}")]
    Ipv4TotalLength {
        /// Total length field.
        total: usize,
        /// Header length.
        header: usize,
    },
    /// Fewer than 40 bytes.
    #[error("IPv6 header cut at {0} bytes")]
    Ipv6Cut(usize),
}

impl IpError {
    /// The header was cut by the capture (snap length), not malformed on the wire.
    #[inline]
    pub fn is_cut(&self) -> bool {
        matches!(
            self,
            IpError::Ipv4Cut(_) | IpError::Ipv4OptionsCut | IpError::Ipv6Cut(_)
        )
    }
}

/// Fragmentation fields of an IPv4 header or an IPv6 Fragment header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fragment {
    /// Identification (16 bits in IPv4).
    pub id: u32,
    /// Offset of this fragment's data in the datagram, bytes.
    pub offset: usize,
    /// More fragments follow.
    pub more: bool,
}

/// An IPv4 header and the payload it announces (cut to what was captured).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv4Packet<'a> {
    /// Source address.
    pub src: Ipv4Addr,
    /// Destination address.
    pub dst: Ipv4Addr,
    /// Protocol of the payload.
    pub protocol: u8,
    /// Header length, bytes.
    pub header_len: usize,
    /// Total length (the field, or the captured length when it is 0).
    pub total_len: usize,
    /// Identification, fragment offset and MF flag.
    pub fragment: Fragment,
    /// Payload bytes present: `header_len..min(total_len, captured)`.
    pub payload: &'a [u8],
}

impl Ipv4Packet<'_> {
    /// Payload length the header announces.
    #[inline]
    pub fn declared_payload_len(&self) -> usize {
        self.total_len - self.header_len
    }

    /// A fragment (MF set or a non-zero offset).
    #[inline]
    pub fn is_fragment(&self) -> bool {
        self.fragment.more || self.fragment.offset != 0
    }
}

/// Parse an IPv4 header at the start of `p`.
#[inline]
pub fn parse_ipv4(p: &[u8]) -> Result<Ipv4Packet<'_>, IpError> {
    let Some(h) = p.get(..IPV4_MIN_HEADER_LEN) else {
        return Err(IpError::Ipv4Cut(p.len()));
    };
    let header_len = usize::from(h[0] & 15) * 4;
    if header_len < IPV4_MIN_HEADER_LEN {
        return Err(IpError::Ipv4HeaderLength(header_len));
    }
    if p.len() < header_len {
        return Err(IpError::Ipv4OptionsCut);
    }
    let mut total_len = usize::from(u16::from_be_bytes([h[2], h[3]]));
    if total_len == 0 {
        total_len = p.len();
    }
    if total_len < header_len {
        return Err(IpError::Ipv4TotalLength {
            total: total_len,
            header: header_len,
        });
    }
    let flags_offset = u16::from_be_bytes([h[6], h[7]]);
    Ok(Ipv4Packet {
        src: Ipv4Addr::new(h[12], h[13], h[14], h[15]),
        dst: Ipv4Addr::new(h[16], h[17], h[18], h[19]),
        protocol: h[9],
        header_len,
        total_len,
        fragment: Fragment {
            id: u32::from(u16::from_be_bytes([h[4], h[5]])),
            offset: usize::from(flags_offset & 0x1fff) * 8,
            more: flags_offset & 0x2000 != 0,
        },
        payload: p.get(header_len..total_len.min(p.len())).unwrap_or(&[]),
    })
}

/// An IPv6 fixed header and the payload it announces (cut to what was captured).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv6Packet<'a> {
    /// Source address.
    pub src: Ipv6Addr,
    /// Destination address.
    pub dst: Ipv6Addr,
    /// Next header of the fixed header.
    pub next_header: u8,
    /// Payload length (the field, or the captured length when it is 0 and a next header is
    /// announced).
    pub payload_len: usize,
    /// Payload bytes present, extension headers included.
    pub payload: &'a [u8],
}

/// Parse an IPv6 fixed header at the start of `p`.
#[inline]
pub fn parse_ipv6(p: &[u8]) -> Result<Ipv6Packet<'_>, IpError> {
    let Some(h) = p.get(..IPV6_HEADER_LEN) else {
        return Err(IpError::Ipv6Cut(p.len()));
    };
    let mut payload_len = usize::from(u16::from_be_bytes([h[4], h[5]]));
    let next_header = h[6];
    if payload_len == 0 && next_header != proto::NO_NEXT_HEADER {
        payload_len = p.len() - IPV6_HEADER_LEN;
    }
    let addr = |at: usize| {
        let mut a = [0u8; 16];
        a.copy_from_slice(&h[at..at + 16]);
        Ipv6Addr::from(a)
    };
    Ok(Ipv6Packet {
        src: addr(8),
        dst: addr(24),
        next_header,
        payload_len,
        payload: p
            .get(IPV6_HEADER_LEN..(IPV6_HEADER_LEN + payload_len).min(p.len()))
            .unwrap_or(&[]),
    })
}

/// An IPv4 or IPv6 header: addresses and upper-layer starting point, whatever the version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IpPacket<'a> {
    /// IPv4.
    V4(Ipv4Packet<'a>),
    /// IPv6.
    V6(Ipv6Packet<'a>),
}

impl IpPacket<'_> {
    /// Source address.
    #[inline]
    pub fn src(&self) -> IpAddr {
        match self {
            IpPacket::V4(p) => p.src.into(),
            IpPacket::V6(p) => p.src.into(),
        }
    }
    /// Destination address.
    #[inline]
    pub fn dst(&self) -> IpAddr {
        match self {
            IpPacket::V4(p) => p.dst.into(),
            IpPacket::V6(p) => p.dst.into(),
        }
    }
}

/// Where the extension headers after an IP header lead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExtWalk {
    /// Upper-layer protocol `proto` starts at `offset`.
    Final {
        /// Upper-layer protocol.
        proto: u8,
        /// Its offset from the start of the walked bytes.
        offset: usize,
    },
    /// An IPv6 Fragment header at `header_at`; the fragmentable part (`next_header`) starts at
    /// `offset`.
    Fragment {
        /// Next header of the fragmentable part.
        next_header: u8,
        /// Fragment fields.
        fragment: Fragment,
        /// Offset of the Fragment header.
        header_at: usize,
        /// Offset of the fragmentable part.
        offset: usize,
    },
    /// Headers run past the captured bytes.
    Short,
    /// A header is inconsistent: offset and what.
    Bad(usize, &'static str),
}

/// Walk the extension headers starting with `next_header` at `b[0..]`: IPv6 extension headers
/// (only when `v6`) and AH. A Fragment header ends the walk when `allow_fragment` (a packet as
/// captured) and is refused otherwise (a reassembled packet cannot hold another).
#[inline]
pub fn walk_extensions(mut next_header: u8, b: &[u8], v6: bool, allow_fragment: bool) -> ExtWalk {
    let mut off = 0usize;
    for _ in 0..16 {
        match next_header {
            n if v6 && proto::is_ipv6_extension(n) => {
                let (Some(&n), Some(&l)) = (b.get(off), b.get(off + 1)) else {
                    return ExtWalk::Short;
                };
                next_header = n;
                off += (usize::from(l) + 1) * 8;
            }
            proto::IPV6_FRAGMENT if v6 && allow_fragment => {
                let Some(h) = b.get(off..off + 8) else {
                    return ExtWalk::Short;
                };
                let fo = u16::from_be_bytes([h[2], h[3]]);
                return ExtWalk::Fragment {
                    next_header: h[0],
                    fragment: Fragment {
                        id: u32::from_be_bytes([h[4], h[5], h[6], h[7]]),
                        offset: usize::from(fo & 0xfff8),
                        more: fo & 1 == 1,
                    },
                    header_at: off,
                    offset: off + 8,
                };
            }
            proto::IPV6_FRAGMENT if v6 => return ExtWalk::Bad(off, "nested IPv6 fragment header"),
            proto::AH => {
                let (Some(&n), Some(&l)) = (b.get(off), b.get(off + 1)) else {
                    return ExtWalk::Short;
                };
                next_header = n;
                off += (usize::from(l) + 2) * 4;
            }
            _ => {
                return if off <= b.len() {
                    ExtWalk::Final {
                        proto: next_header,
                        offset: off,
                    }
                } else {
                    ExtWalk::Short
                };
            }
        }
    }
    ExtWalk::Bad(off, "too many IPv6 extension headers")
}

/// Source and destination port of a TCP, UDP or SCTP header at the start of `transport`.
#[inline]
pub fn transport_ports(protocol: u8, transport: &[u8]) -> Option<(u16, u16)> {
    // The three put the ports first, as UDP does.
    matches!(protocol, proto::TCP | proto::UDP | proto::SCTP)
        .then(|| crate::udp::udp_ports(transport))
        .flatten()
}

/// A GRE version-0 header: the protocol carried and where it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gre<'a> {
    /// Ethernet type of the payload.
    pub protocol: u16,
    /// Offset of the payload (after the optional checksum, key and sequence fields).
    pub offset: usize,
    /// The payload.
    pub payload: &'a [u8],
}

/// Parse a GRE header; `None` when cut or not version 0 (PPTP's enhanced GRE is not followed).
#[inline]
pub fn parse_gre(b: &[u8]) -> Option<Gre<'_>> {
    let flags = u16::from_be_bytes([*b.first()?, *b.get(1)?]);
    let protocol = u16::from_be_bytes([*b.get(2)?, *b.get(3)?]);
    if flags & 0x0007 != 0 {
        return None;
    }
    // checksum + reserved, key, sequence number: 4 bytes each when flagged
    let offset = 4 + [0x8000u16, 0x2000, 0x1000]
        .iter()
        .filter(|&&f| flags & f != 0)
        .count()
        * 4;
    Some(Gre {
        protocol,
        offset,
        payload: b.get(offset..)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// IPv4 header of captures/ikev2_ok.pcap frame 1 (192.0.2.1 → 198.51.100.1, UDP, 492 bytes).
    const V4: [u8; 20] = [
        0x45, 0, 0x01, 0xec, 0x12, 0x34, 0, 0, 64, 17, 0, 0, 192, 0, 2, 1, 198, 51, 100, 1,
    ];

    #[test]
    fn ipv4_header() {
        let mut p = V4.to_vec();
        p.extend_from_slice(&[0xaa; 8]);
        let h = parse_ipv4(&p).unwrap();
        assert_eq!(
            (h.src, h.dst),
            (Ipv4Addr::new(192, 0, 2, 1), Ipv4Addr::new(198, 51, 100, 1))
        );
        assert_eq!((h.protocol, h.header_len, h.total_len), (17, 20, 492));
        assert_eq!(h.declared_payload_len(), 472);
        assert_eq!(h.payload, [0xaa; 8]);
        assert!(!h.is_fragment());
        assert_eq!(h.fragment.id, 0x1234);
        // MF set, offset 185 * 8
        p[6] = 0x20;
        p[7] = 185;
        let h = parse_ipv4(&p).unwrap();
        assert_eq!(
            h.fragment,
            Fragment {
                id: 0x1234,
                offset: 1480,
                more: true
            }
        );
        // total length 0 (offload): what was captured
        p[2] = 0;
        p[3] = 0;
        assert_eq!(parse_ipv4(&p).unwrap().total_len, 28);
    }

    #[test]
    fn ipv4_faults() {
        assert_eq!(parse_ipv4(&V4[..19]), Err(IpError::Ipv4Cut(19)));
        let mut p = V4;
        p[0] = 0x44;
        assert_eq!(parse_ipv4(&p), Err(IpError::Ipv4HeaderLength(16)));
        p[0] = 0x46;
        assert_eq!(parse_ipv4(&p), Err(IpError::Ipv4OptionsCut));
        p[0] = 0x45;
        p[2] = 0;
        p[3] = 10;
        assert_eq!(
            parse_ipv4(&p),
            Err(IpError::Ipv4TotalLength {
                total: 10,
                header: 20
            })
        );
        assert!(IpError::Ipv4Cut(3).is_cut() && !IpError::Ipv4HeaderLength(16).is_cut());
    }

    fn v6(next_header: u8, payload: &[u8]) -> Vec<u8> {
        let mut p = vec![0x60, 0, 0, 0];
        p.extend_from_slice(&(payload.len() as u16).to_be_bytes());
        p.extend_from_slice(&[next_header, 64]);
        p.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        p.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        p.extend_from_slice(payload);
        p
    }

    #[test]
    fn ipv6_header_and_extensions() {
        // Destination Options (8 bytes) then a Fragment header (offset 0, MF, id 7), then UDP.
        let mut ext = vec![proto::IPV6_FRAGMENT, 0, 1, 4, 0, 0, 0, 0];
        ext.extend_from_slice(&[proto::UDP, 0, 0, 1, 0, 0, 0, 7]);
        ext.extend_from_slice(&[0x11, 0x94, 0x11, 0x94]);
        let p = v6(proto::IPV6_DEST_OPTS, &ext);
        let h = parse_ipv6(&p).unwrap();
        assert_eq!(h.src, "2001:db8:1::1".parse::<Ipv6Addr>().unwrap());
        assert_eq!((h.next_header, h.payload_len, h.payload.len()), (60, 20, 20));
        assert_eq!(
            walk_extensions(h.next_header, h.payload, true, true),
            ExtWalk::Fragment {
                next_header: proto::UDP,
                fragment: Fragment {
                    id: 7,
                    offset: 0,
                    more: true
                },
                header_at: 8,
                offset: 16,
            }
        );
        // after reassembly a fragment header is refused
        assert_eq!(
            walk_extensions(proto::IPV6_FRAGMENT, &ext[8..], true, false),
            ExtWalk::Bad(0, "nested IPv6 fragment header")
        );
        // a header announcing more than is there
        assert_eq!(
            walk_extensions(proto::IPV6_DEST_OPTS, &[17, 1, 0, 0], true, true),
            ExtWalk::Short
        );
        assert_eq!(parse_ipv6(&p[..39]), Err(IpError::Ipv6Cut(39)));
        // payload length 0 with a next header: what was captured
        let mut j = v6(proto::UDP, &[1, 2, 3]);
        j[4] = 0;
        j[5] = 0;
        assert_eq!(parse_ipv6(&j).unwrap().payload_len, 3);
    }

    #[test]
    fn ah_in_ipv4_and_ipv6() {
        // AH (payload length 4 → 24 bytes) then ESP
        let mut ah = vec![proto::ESP, 4];
        ah.extend_from_slice(&[0; 22]);
        ah.extend_from_slice(&[0xc6, 0x1c]);
        assert_eq!(
            walk_extensions(proto::AH, &ah, false, false),
            ExtWalk::Final {
                proto: proto::ESP,
                offset: 24
            }
        );
        // IPv4 does not walk IPv6 extension headers
        assert_eq!(
            walk_extensions(proto::IPV6_DEST_OPTS, &ah, false, false),
            ExtWalk::Final { proto: 60, offset: 0 }
        );
        assert_eq!(walk_extensions(proto::AH, &[50], true, true), ExtWalk::Short);
    }

    #[test]
    fn ports_of_tcp_udp_sctp() {
        let t = [0x01, 0xbb, 0xc3, 0x50, 0, 0];
        assert_eq!(transport_ports(proto::TCP, &t), Some((443, 50000)));
        assert_eq!(transport_ports(proto::SCTP, &t), Some((443, 50000)));
        assert_eq!(transport_ports(proto::ICMP, &t), None);
        assert_eq!(transport_ports(proto::UDP, &t[..3]), None);
    }

    #[test]
    fn gre_headers() {
        // key present: 8-byte header, IPv4 inside
        let g = [0x20, 0, 0x08, 0, 0, 0, 0, 9, 0x45];
        assert_eq!(
            parse_gre(&g),
            Some(Gre {
                protocol: 0x0800,
                offset: 8,
                payload: &[0x45]
            })
        );
        // version 1 (PPTP) is not followed
        assert_eq!(parse_gre(&[0x30, 0x01, 0x88, 0x0b, 0, 0, 0, 0]), None);
        assert_eq!(parse_gre(&[0, 0, 0x86]), None);
    }
}
