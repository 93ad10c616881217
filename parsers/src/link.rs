//! Link layers of capture files (LINKTYPE_ numbers): Ethernet with VLAN tags, PPPoE sessions and
//! MPLS label stacks, Linux cooked v1/v2, BSD loopback, raw IP. The answer is where the IP
//! packet starts and which version the link layer announces.

/// Most link-level encapsulations followed (VLAN tags, MPLS label stacks) per frame.
pub const MAX_LINK_LEVELS: u8 = 8;

/// Ethernet type of IPv4.
pub const ETHERTYPE_IPV4: u16 = 0x0800;
/// Ethernet type of IPv6.
pub const ETHERTYPE_IPV6: u16 = 0x86dd;

/// Link types [`parse_link`] decodes.
#[inline]
pub fn linktype_supported(linktype: u32) -> bool {
    matches!(linktype, 0 | 1 | 12 | 14 | 101 | 108 | 113 | 228 | 229 | 276)
}

/// Where the IP packet of a frame starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpStart {
    /// Offset of the IP header in the frame.
    pub offset: usize,
    /// IP version the link layer announces; `None` when it does not say (raw IP, MPLS): the
    /// first nibble decides.
    pub version: Option<u8>,
    /// Link-level encapsulations passed (Ethernet type dispatches, VLAN tags, ...).
    pub levels: u8,
}

/// A link-layer header too short for its fixed part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// An Ethernet frame shorter than its 14-byte header.
    #[error("Ethernet frame of {0} bytes")]
    Ethernet(usize),
    /// A Linux cooked (SLL) header shorter than 16 bytes.
    #[error("Linux SLL header shorter than 16 bytes")]
    Sll,
    /// A Linux cooked v2 (SLL2) header shorter than 20 bytes.
    #[error("Linux SLL2 header shorter than 20 bytes")]
    Sll2,
    /// A BSD loopback header shorter than 4 bytes.
    #[error("BSD loopback header shorter than 4 bytes")]
    Loopback,
}

/// The IP packet of a frame of `linktype`: `Ok(None)` when the frame carries something else
/// (ARP, an unknown address family, a non-IP PPP protocol, too many tags) or the link type is
/// not supported; `Err` when the link header itself does not fit.
#[inline]
pub fn parse_link(linktype: u32, frame: &[u8]) -> Result<Option<IpStart>, LinkError> {
    let be16 = |at: usize| Some(u16::from_be_bytes([*frame.get(at)?, *frame.get(at + 1)?]));
    let ip = |offset, version| {
        Ok(Some(IpStart {
            offset,
            version,
            levels: 0,
        }))
    };
    match linktype {
        1 => match be16(12) {
            Some(et) if frame.len() >= 14 => Ok(ethertype(et, frame, 14)),
            _ => Err(LinkError::Ethernet(frame.len())),
        },
        // Linux cooked v1: 16-byte header, protocol at 14.
        113 => match be16(14) {
            Some(et) => Ok(ethertype(et, frame, 16)),
            None => Err(LinkError::Sll),
        },
        // Linux cooked v2: 20-byte header, protocol at 0.
        276 => match be16(0) {
            Some(et) if frame.len() >= 20 => Ok(ethertype(et, frame, 20)),
            _ => Err(LinkError::Sll2),
        },
        0 | 108 => {
            let Some(h) = frame.get(0..4) else {
                return Err(LinkError::Loopback);
            };
            let le = u32::from_le_bytes([h[0], h[1], h[2], h[3]]);
            let be = u32::from_be_bytes([h[0], h[1], h[2], h[3]]);
            // The address family is in the capturing host's byte order (NULL) or big-endian
            // (LOOP); accept either: a valid AF is small.
            match if le <= 0xffff { le } else { be } {
                2 => ip(4, Some(4)),
                10 | 24 | 28 | 30 => ip(4, Some(6)),
                _ => Ok(None),
            }
        }
        12 | 14 | 101 => ip(0, None),
        228 => ip(0, Some(4)),
        229 => ip(0, Some(6)),
        _ => Ok(None),
    }
}

/// Follow Ethernet type `et` whose payload starts at `frame[off..]` through VLAN tags, PPPoE and
/// MPLS to an IP packet.
#[inline]
fn ethertype(mut et: u16, frame: &[u8], mut off: usize) -> Option<IpStart> {
    let be16 = |at: usize| Some(u16::from_be_bytes([*frame.get(at)?, *frame.get(at + 1)?]));
    let mut levels = 0u8;
    loop {
        levels += 1;
        if levels > MAX_LINK_LEVELS {
            return None;
        }
        let ip = |offset, version| {
            Some(IpStart {
                offset,
                version,
                levels,
            })
        };
        match et {
            ETHERTYPE_IPV4 => return ip(off, Some(4)),
            ETHERTYPE_IPV6 => return ip(off, Some(6)),
            // 802.1Q, 802.1ad, old QinQ: 2-byte TCI then the next type.
            0x8100 | 0x88a8 | 0x9100 | 0x9200 => {
                et = be16(off + 2)?;
                off += 4;
            }
            // PPPoE session: 6-byte header, then the PPP protocol.
            0x8864 => {
                return match be16(off + 6)? {
                    0x0021 => ip(off + 8, Some(4)),
                    0x0057 => ip(off + 8, Some(6)),
                    _ => None,
                }
            }
            // MPLS: labels until the bottom of the stack, then the nibble decides.
            0x8847 | 0x8848 => {
                for _ in 0..MAX_LINK_LEVELS {
                    let label = frame.get(off..off + 4)?;
                    off += 4;
                    if label[2] & 1 == 1 {
                        return ip(off, None);
                    }
                }
                return None;
            }
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eth(et: [u8; 2], rest: &[u8]) -> Vec<u8> {
        let mut f = vec![0u8; 12];
        f.extend_from_slice(&et);
        f.extend_from_slice(rest);
        f
    }

    #[test]
    fn ethernet_vlan_pppoe_mpls() {
        let ip4 = |offset, levels| {
            Ok(Some(IpStart {
                offset,
                version: Some(4),
                levels,
            }))
        };
        assert_eq!(parse_link(1, &eth([0x08, 0x00], &[0x45])), ip4(14, 1));
        // one 802.1Q tag, then IPv6
        let f = eth([0x81, 0x00], &[0, 5, 0x86, 0xdd, 0x60]);
        assert_eq!(
            parse_link(1, &f),
            Ok(Some(IpStart {
                offset: 18,
                version: Some(6),
                levels: 2
            }))
        );
        // PPPoE session carrying IPv4 (PPP protocol 0x0021)
        let f = eth([0x88, 0x64], &[0x11, 0, 0, 1, 0, 20, 0x00, 0x21, 0x45]);
        assert_eq!(parse_link(1, &f), ip4(22, 1));
        // two MPLS labels, bottom of stack on the second
        let f = eth([0x88, 0x47], &[0, 0, 0x10, 64, 0, 0, 0x21, 64, 0x45]);
        assert_eq!(
            parse_link(1, &f),
            Ok(Some(IpStart {
                offset: 22,
                version: None,
                levels: 1
            }))
        );
        // ARP: not IP
        assert_eq!(parse_link(1, &eth([0x08, 0x06], &[])), Ok(None));
        assert_eq!(parse_link(1, &[0; 13]), Err(LinkError::Ethernet(13)));
        // nine stacked VLAN tags are more than followed
        let mut tags = Vec::new();
        for _ in 0..9 {
            tags.extend_from_slice(&[0, 1, 0x81, 0x00]);
        }
        assert_eq!(parse_link(1, &eth([0x81, 0x00], &tags)), Ok(None));
    }

    #[test]
    fn cooked_loopback_raw() {
        let mut sll = vec![0u8; 14];
        sll.extend_from_slice(&[0x86, 0xdd]);
        assert_eq!(
            parse_link(113, &sll),
            Ok(Some(IpStart {
                offset: 16,
                version: Some(6),
                levels: 1
            }))
        );
        assert_eq!(parse_link(113, &sll[..15]), Err(LinkError::Sll));
        let mut sll2 = vec![0x08, 0x00];
        sll2.extend_from_slice(&[0u8; 18]);
        assert_eq!(
            parse_link(276, &sll2),
            Ok(Some(IpStart {
                offset: 20,
                version: Some(4),
                levels: 1
            }))
        );
        assert_eq!(parse_link(276, &sll2[..19]), Err(LinkError::Sll2));
        // NULL (little-endian AF_INET) and LOOP (big-endian AF_INET6 = 24 on NetBSD)
        assert_eq!(
            parse_link(0, &[2, 0, 0, 0, 0x45]),
            Ok(Some(IpStart {
                offset: 4,
                version: Some(4),
                levels: 0
            }))
        );
        assert_eq!(
            parse_link(108, &[0, 0, 0, 24]),
            Ok(Some(IpStart {
                offset: 4,
                version: Some(6),
                levels: 0
            }))
        );
        assert_eq!(parse_link(0, &[7, 0, 0, 0]), Ok(None));
        assert_eq!(parse_link(0, &[2, 0]), Err(LinkError::Loopback));
        assert_eq!(
            parse_link(101, &[0x45]),
            Ok(Some(IpStart {
                offset: 0,
                version: None,
                levels: 0
            }))
        );
        assert_eq!(
            parse_link(229, &[]),
            Ok(Some(IpStart {
                offset: 0,
                version: Some(6),
                levels: 0
            }))
        );
        assert!(!linktype_supported(105));
        assert_eq!(parse_link(105, &[0; 40]), Ok(None));
    }
}
