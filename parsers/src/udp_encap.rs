//! Demultiplexing of UDP-encapsulated traffic on port 4500 (RFC 3948 §2): NAT-keepalives, IKE
//! behind the non-ESP marker, ESP.

/// Length of the non-ESP marker.
pub const NON_ESP_MARKER_LEN: usize = 4;
/// The NAT-keepalive byte.
pub const NAT_KEEPALIVE: u8 = 0xff;

/// What a UDP-4500 payload carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UdpEncap<'a> {
    /// A one-byte payload: a NAT-keepalive when it is 0xFF; `None` when the capture cut it.
    OneByte(Option<u8>),
    /// Four zero bytes then an IKE message: the message (from the IKE header) and its
    /// declared length.
    Ike {
        /// The captured bytes from the IKE header on.
        message: &'a [u8],
        /// Declared length after the marker.
        declared: usize,
    },
    /// No marker: ESP in UDP (RFC 3948 §2.1), to be read with [`crate::esp::parse_esp`].
    Unmarked(&'a [u8]),
}

/// Classify a UDP-4500 payload from its captured bytes and the length the UDP header declares.
#[inline]
pub fn classify(payload: &[u8], declared: usize) -> UdpEncap<'_> {
    if declared == 1 {
        return UdpEncap::OneByte(payload.first().copied());
    }
    match payload.strip_prefix(&[0u8; NON_ESP_MARKER_LEN]) {
        Some(message) => UdpEncap::Ike {
            message,
            declared: declared.saturating_sub(NON_ESP_MARKER_LEN),
        },
        None => UdpEncap::Unmarked(payload),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_all() {
        assert_eq!(classify(&[0xff], 1), UdpEncap::OneByte(Some(NAT_KEEPALIVE)));
        assert_eq!(classify(&[0x00], 1), UdpEncap::OneByte(Some(0)));
        assert_eq!(classify(&[], 1), UdpEncap::OneByte(None));
        let m = [0, 0, 0, 0, 0x73, 0x91, 0x8f, 0x74];
        assert_eq!(
            classify(&m, 300),
            UdpEncap::Ike {
                message: &[0x73, 0x91, 0x8f, 0x74],
                declared: 296
            }
        );
        let esp = [0xc6, 0x1c, 0x0e, 0x4f, 0, 0, 0, 2];
        assert_eq!(classify(&esp, 8), UdpEncap::Unmarked(&esp));
        assert_eq!(classify(&[0, 0, 0], 3), UdpEncap::Unmarked(&[0, 0, 0]));
    }
}
