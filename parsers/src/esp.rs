//! ESP header (RFC 4303 §2): SPI and sequence number; the rest is opaque without keys.

use crate::cursor::Cursor;
use crate::error::ParseError;

/// Length of the ESP header (SPI + sequence number).
pub const ESP_HEADER_LEN: usize = 8;

/// The cleartext part of an ESP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EspHeader<'a> {
    /// Security Parameters Index (never 0).
    pub spi: u32,
    /// Sequence number (low 32 bits).
    pub seq: u32,
    /// IV, ciphertext, padding, trailer and ICV.
    pub payload: &'a [u8],
}

/// Parse an ESP packet. Needs at least 8 bytes and a non-zero SPI.
pub fn parse_esp(input: &[u8]) -> Result<EspHeader<'_>, ParseError> {
    let mut c = Cursor::new(input, 0);
    let spi = c.u32()?;
    let seq = c.u32()?;
    if spi == 0 {
        return Err(ParseError::ZeroSpi);
    }
    Ok(EspHeader {
        spi,
        seq,
        payload: c.rest(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn esp_header() {
        let e = parse_esp(&[0xc6, 0x1c, 0x0e, 0x4f, 0, 0, 0, 1, 0xaa]).unwrap();
        assert_eq!(e.spi, 0xc61c0e4f);
        assert_eq!(e.seq, 1);
        assert_eq!(e.payload, [0xaa]);
        assert_eq!(parse_esp(&[0, 0, 0, 0, 0, 0, 0, 1]), Err(ParseError::ZeroSpi));
        assert!(matches!(parse_esp(&[1, 2, 3]), Err(ParseError::Truncated { .. })));
    }
}
