//! Demultiplexing of UDP-encapsulated traffic on port 4500 (RFC 3948 §2).

use crate::esp::{parse_esp, EspHeader};

/// Length of the non-ESP marker.
pub const NON_ESP_MARKER_LEN: usize = 4;

/// What a UDP-4500 payload carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UdpEncap<'a> {
    /// A single 0xFF byte: NAT-keepalive.
    NatKeepalive,
    /// Four zero bytes then an IKE message (the slice starts at the IKE header).
    Ike(&'a [u8]),
    /// An ESP packet.
    Esp(EspHeader<'a>),
    /// None of the above (too short, zero SPI without a full marker, ...).
    Invalid,
}

/// Classify a UDP-4500 payload: one byte 0xFF is a keepalive; a leading 4-byte zero marker
/// means IKE follows; otherwise ESP (at least 8 bytes and a non-zero SPI).
pub fn classify(payload: &[u8]) -> UdpEncap<'_> {
    if payload == [0xff] {
        return UdpEncap::NatKeepalive;
    }
    if let Some(rest) = payload.strip_prefix(&[0u8; NON_ESP_MARKER_LEN]) {
        return UdpEncap::Ike(rest);
    }
    match parse_esp(payload) {
        Ok(e) => UdpEncap::Esp(e),
        Err(_) => UdpEncap::Invalid,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_all() {
        assert_eq!(classify(&[0xff]), UdpEncap::NatKeepalive);
        // ikev2_ok.pcap frame 3 starts with the marker then SPIi 73918f74...
        let m = [0, 0, 0, 0, 0x73, 0x91, 0x8f, 0x74];
        assert_eq!(classify(&m), UdpEncap::Ike(&[0x73, 0x91, 0x8f, 0x74]));
        match classify(&[0xc6, 0x1c, 0x0e, 0x4f, 0, 0, 0, 2]) {
            UdpEncap::Esp(e) => assert_eq!((e.spi, e.seq), (0xc61c0e4f, 2)),
            other => panic!("{other:?}"),
        }
        assert_eq!(classify(&[1, 2, 3]), UdpEncap::Invalid);
        assert_eq!(classify(&[]), UdpEncap::Invalid);
        assert_eq!(classify(&[0, 0, 0]), UdpEncap::Invalid);
    }
}
