//! ESP header (RFC 4303 §2): SPI and sequence number; everything after is opaque without keys.

use crate::error::ParseError;

/// Length of the ESP header (SPI + sequence number).
pub const ESP_HEADER_LEN: usize = 8;

/// The cleartext part of an ESP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EspHeader<'a> {
    /// Security Parameters Index.
    pub spi: u32,
    /// Sequence number (low 32 bits); `None` when the capture cut the packet inside it.
    pub seq: Option<u32>,
    /// IV, ciphertext, padding and ICV: the bytes after the header that were captured.
    pub payload: &'a [u8],
}

/// Parse an ESP header: the SPI must be present, the sequence number may be cut off by the
/// capture. SPI 0 is reserved (RFC 4303 §2.1) but read as it is: the caller judges.
#[inline]
pub fn parse_esp(input: &[u8]) -> Result<EspHeader<'_>, ParseError> {
    let Some(s) = input.get(..4) else {
        return Err(ParseError::Truncated {
            offset: 0,
            needed: ESP_HEADER_LEN,
            available: input.len(),
        });
    };
    let seq = input
        .get(4..ESP_HEADER_LEN)
        .map(|q| u32::from_be_bytes([q[0], q[1], q[2], q[3]]));
    Ok(EspHeader {
        spi: u32::from_be_bytes([s[0], s[1], s[2], s[3]]),
        seq,
        payload: input.get(ESP_HEADER_LEN..).unwrap_or(&[]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn esp_header() {
        let e = parse_esp(&[0xc6, 0x1c, 0x0e, 0x4f, 0, 0, 0, 1, 0xaa]).unwrap();
        assert_eq!(e.spi, 0xc61c0e4f);
        assert_eq!(e.seq, Some(1));
        assert_eq!(e.payload, [0xaa]);
        let cut = parse_esp(&[0xc6, 0x1c, 0x0e, 0x4f, 0]).unwrap();
        assert_eq!((cut.spi, cut.seq, cut.payload.len()), (0xc61c0e4f, None, 0));
        assert!(parse_esp(&[1, 2, 3]).is_err());
    }
}
