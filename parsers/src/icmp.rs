//! ICMP and ICMPv6 error messages and the packet they quote (RFC 792, RFC 4443): the quoted
//! header says which flow the error is about.

use crate::ip::{self, ExtWalk, IPV6_HEADER_LEN};
use std::net::IpAddr;

/// An ICMP error message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IcmpError<'a> {
    /// ICMP type (IPv4 e.g. 3 destination unreachable, 11 time exceeded; ICMPv6 e.g. 1
    /// destination unreachable, 2 packet too big).
    pub icmp_type: u8,
    /// ICMP code within the type (e.g. 4 "fragmentation needed" under type 3).
    pub code: u8,
    /// Next-hop MTU of an IPv4 "fragmentation needed" (type 3 code 4) or an ICMPv6 "packet too
    /// big" (type 2).
    pub mtu: Option<u32>,
    /// The quoted packet (from its IP header on, as much as the error carries).
    pub quoted: &'a [u8],
}

/// Parse an ICMP (`v6` false) or ICMPv6 message; `None` unless it is an error message
/// (IPv4 types 3, 4, 5, 11, 12; ICMPv6 types 1–4) with its 8-byte header present.
#[inline]
pub fn parse_icmp_error(b: &[u8], v6: bool) -> Option<IcmpError<'_>> {
    let (&icmp_type, &code) = (b.first()?, b.get(1)?);
    let be16 = |at: usize| Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]));
    let (is_error, mtu) = if v6 {
        let mtu = (icmp_type == 2)
            .then(|| Some(u32::from_be_bytes(b.get(4..8)?.try_into().ok()?)))
            .flatten();
        (matches!(icmp_type, 1..=4), mtu)
    } else {
        let mtu = (icmp_type == 3 && code == 4)
            .then(|| be16(6).map(u32::from))
            .flatten();
        (matches!(icmp_type, 3 | 4 | 5 | 11 | 12), mtu)
    };
    if !is_error {
        return None;
    }
    Some(IcmpError {
        icmp_type,
        code,
        mtu,
        quoted: b.get(8..)?,
    })
}

/// The header of a quoted packet: its flow and where its transport header starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotedPacket<'a> {
    /// Source address.
    pub src: IpAddr,
    /// Destination address.
    pub dst: IpAddr,
    /// Transport protocol (after AH and IPv6 extension headers).
    pub protocol: u8,
    /// The quoted transport bytes (usually only the first few).
    pub transport: &'a [u8],
}

/// Read the packet an ICMP error quotes: an IPv4 (`v6` false) or IPv6 header of the same
/// version as the error, not a non-first fragment, with the transport header it leads to.
#[inline]
pub fn parse_quoted(q: &[u8], v6: bool) -> Option<QuotedPacket<'_>> {
    if !v6 {
        if q.first()? >> 4 != 4 {
            return None;
        }
        let h = ip::parse_ipv4(q).ok()?;
        if h.fragment.offset != 0 {
            return None;
        }
        let tp = q.get(h.header_len..)?;
        match ip::walk_extensions(h.protocol, tp, false, false) {
            ExtWalk::Final { proto, offset } => Some(QuotedPacket {
                src: h.src.into(),
                dst: h.dst.into(),
                protocol: proto,
                transport: tp.get(offset..)?,
            }),
            _ => None,
        }
    } else {
        if q.first()? >> 4 != 6 {
            return None;
        }
        let h = ip::parse_ipv6(q).ok()?;
        let rest = q.get(IPV6_HEADER_LEN..)?;
        let (protocol, off) = match ip::walk_extensions(h.next_header, rest, true, true) {
            ExtWalk::Final { proto, offset } => (proto, offset),
            ExtWalk::Fragment {
                next_header,
                fragment,
                offset,
                ..
            } if fragment.offset == 0 => {
                match ip::walk_extensions(next_header, rest.get(offset..)?, true, false) {
                    ExtWalk::Final { proto, offset: o2 } => (proto, offset + o2),
                    _ => return None,
                }
            }
            _ => return None,
        };
        Some(QuotedPacket {
            src: h.src.into(),
            dst: h.dst.into(),
            protocol,
            transport: rest.get(off..)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fragmentation needed (MTU 1400) quoting 192.0.2.1 → 198.51.100.1 UDP 4500 → 4500.
    fn frag_needed() -> Vec<u8> {
        let mut b = vec![3, 4, 0, 0, 0, 0, 0x05, 0x78];
        b.extend_from_slice(&[
            0x45, 0, 0x05, 0xdc, 0, 1, 0x20, 0, 64, 17, 0, 0, 192, 0, 2, 1, 198, 51, 100, 1,
        ]);
        b.extend_from_slice(&[0x11, 0x94, 0x11, 0x94, 0x05, 0xc8, 0, 0]);
        b
    }

    #[test]
    fn ipv4_fragmentation_needed() {
        let b = frag_needed();
        let e = parse_icmp_error(&b, false).unwrap();
        assert_eq!((e.icmp_type, e.code, e.mtu), (3, 4, Some(1400)));
        let q = parse_quoted(e.quoted, false).unwrap();
        assert_eq!(q.src, "192.0.2.1".parse::<IpAddr>().unwrap());
        assert_eq!(q.dst, "198.51.100.1".parse::<IpAddr>().unwrap());
        assert_eq!(q.protocol, 17);
        assert_eq!(q.transport, [0x11, 0x94, 0x11, 0x94, 0x05, 0xc8, 0, 0]);
        // an echo reply is not an error; an ICMPv6 version mismatch is not read
        assert_eq!(parse_icmp_error(&[0, 0, 0, 0, 0, 0, 0, 0], false), None);
        assert_eq!(parse_quoted(e.quoted, true), None);
        // a non-first fragment is not quoted usefully
        let mut nf = b.clone();
        nf[8 + 7] = 1;
        assert_eq!(parse_quoted(&nf[8..], false), None);
    }

    #[test]
    fn ipv6_packet_too_big() {
        let mut b = vec![2, 0, 0, 0, 0, 0, 0x05, 0x00];
        b.extend_from_slice(&[0x60, 0, 0, 0, 0x05, 0xa0, 50, 64]);
        b.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        b.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        b.extend_from_slice(&[0xc6, 0x1c, 0x0e, 0x4f]);
        let e = parse_icmp_error(&b, true).unwrap();
        assert_eq!((e.icmp_type, e.mtu), (2, Some(1280)));
        let q = parse_quoted(e.quoted, true).unwrap();
        assert_eq!((q.protocol, q.transport), (50, &[0xc6, 0x1c, 0x0e, 0x4f][..]));
        assert_eq!(parse_icmp_error(&b[..7], true), None);
    }
}
