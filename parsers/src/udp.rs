//! The UDP header. Ports are read on their own first: the capture stage decides from them alone
//! whether a datagram is of interest, before judging its length.

/// Length of the UDP header.
pub const UDP_HEADER_LEN: usize = 8;
/// IKE's port.
pub const IKE_PORT: u16 = 500;
/// NAT traversal's port (IKE behind the non-ESP marker, ESP in UDP, keepalives).
pub const NATT_PORT: u16 = 4500;

/// Source and destination port, when the first 4 bytes are present.
#[inline]
pub fn udp_ports(b: &[u8]) -> Option<(u16, u16)> {
    let h = b.get(..4)?;
    Some((u16::from_be_bytes([h[0], h[1]]), u16::from_be_bytes([h[2], h[3]])))
}

/// A UDP datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UdpDatagram<'a> {
    /// Source port.
    pub sport: u16,
    /// Destination port.
    pub dport: u16,
    /// Length field (header included); a zero field (jumbogram, offload) is the IP payload
    /// length the caller declared.
    pub length: usize,
    /// Payload bytes present: `8..min(length, captured)`.
    pub payload: &'a [u8],
}

impl UdpDatagram<'_> {
    /// Payload length the header announces.
    #[inline]
    pub fn declared_payload_len(&self) -> usize {
        self.length - UDP_HEADER_LEN
    }
}

/// A UDP header that does not fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UdpError {
    /// The length field is not captured.
    #[error("UDP header cut short")]
    Cut,
    /// A length field below the header's 8 bytes (at offset 4).
    #[error("UDP length {0} < 8")]
    Length(usize),
}

/// Parse a UDP header at the start of `b`; `ip_payload_len` is the length the IP header
/// announces for it.
#[inline]
pub fn parse_udp(b: &[u8], ip_payload_len: usize) -> Result<UdpDatagram<'_>, UdpError> {
    let (sport, dport) = udp_ports(b).ok_or(UdpError::Cut)?;
    let Some(l) = b.get(4..6) else {
        return Err(UdpError::Cut);
    };
    let length = match usize::from(u16::from_be_bytes([l[0], l[1]])) {
        0 => ip_payload_len,
        n => n,
    };
    if length < UDP_HEADER_LEN {
        return Err(UdpError::Length(length));
    }
    Ok(UdpDatagram {
        sport,
        dport,
        length,
        payload: b.get(UDP_HEADER_LEN..length.min(b.len())).unwrap_or(&[]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn udp_header() {
        // 500 → 500, length 12, 4 payload bytes
        let b = [0x01, 0xf4, 0x01, 0xf4, 0, 12, 0, 0, 1, 2, 3, 4, 9, 9];
        let u = parse_udp(&b, 12).unwrap();
        assert_eq!((u.sport, u.dport, u.length), (500, 500, 12));
        assert_eq!(u.payload, [1, 2, 3, 4]);
        assert_eq!(u.declared_payload_len(), 4);
        // cut by the capture: payload is what is there
        assert_eq!(parse_udp(&b[..10], 12).unwrap().payload, [1, 2]);
        // zero length field: the IP payload length
        let z = [0x11, 0x94, 0x11, 0x94, 0, 0, 0, 0, 0xff];
        assert_eq!(parse_udp(&z, 9).unwrap().length, 9);
        assert_eq!(
            parse_udp(&[0x11, 0x94, 0x11, 0x94, 0, 5], 5),
            Err(UdpError::Length(5))
        );
        assert_eq!(parse_udp(&b[..5], 12), Err(UdpError::Cut));
        assert_eq!(udp_ports(&b[..4]), Some((500, 500)));
        assert_eq!(udp_ports(&b[..3]), None);
    }
}
