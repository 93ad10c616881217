//! TCP segment header (RFC 9293 §3.1) with the options that matter to path-MTU questions:
//! Maximum Segment Size (kind 2), window scale (3), SACK permitted (4), timestamps (8).

use crate::cursor::Cursor;
use crate::error::ParseError;

/// Length of a TCP header without options.
pub const MIN_HEADER_LEN: usize = 20;

/// The control bits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Flags(pub u8);

impl Flags {
    /// FIN.
    pub const FIN: u8 = 0x01;
    /// SYN.
    pub const SYN: u8 = 0x02;
    /// RST.
    pub const RST: u8 = 0x04;
    /// PSH.
    pub const PSH: u8 = 0x08;
    /// ACK.
    pub const ACK: u8 = 0x10;

    /// SYN set.
    pub fn syn(self) -> bool {
        self.0 & Self::SYN != 0
    }
    /// ACK set.
    pub fn ack(self) -> bool {
        self.0 & Self::ACK != 0
    }
    /// RST set.
    pub fn rst(self) -> bool {
        self.0 & Self::RST != 0
    }
    /// FIN set.
    pub fn fin(self) -> bool {
        self.0 & Self::FIN != 0
    }
}

/// A parsed TCP header and the segment's payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment<'a> {
    /// Source port.
    pub sport: u16,
    /// Destination port.
    pub dport: u16,
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgment number (meaningful with ACK).
    pub ack: u32,
    /// Control bits.
    pub flags: Flags,
    /// Receive window (unscaled).
    pub window: u16,
    /// The options (between the fixed header and the data offset).
    pub options: &'a [u8],
    /// The segment's data (as captured; may be cut short by a snaplen).
    pub payload: &'a [u8],
}

impl Segment<'_> {
    /// The Maximum Segment Size option, when present and well formed.
    pub fn mss(&self) -> Option<u16> {
        self.option_iter()
            .find_map(|(kind, v)| (kind == 2 && v.len() == 2).then(|| u16::from_be_bytes([v[0], v[1]])))
    }

    /// The window-scale shift, when present and well formed.
    pub fn window_scale(&self) -> Option<u8> {
        self.option_iter()
            .find_map(|(kind, v)| (kind == 3 && v.len() == 1).then(|| v[0]))
    }

    /// (kind, value) of each option until End of Option List or a malformed option.
    pub fn option_iter(&self) -> impl Iterator<Item = (u8, &[u8])> {
        let mut rest = self.options;
        std::iter::from_fn(move || loop {
            let (&kind, after) = rest.split_first()?;
            match kind {
                0 => return None,
                1 => rest = after,
                _ => {
                    let len = usize::from(*after.first()?);
                    if len < 2 || len > rest.len() {
                        return None;
                    }
                    let value = &rest[2..len];
                    rest = &rest[len..];
                    return Some((kind, value));
                }
            }
        })
    }
}

/// Parse a TCP segment (header, options, payload). The data offset must be at least 5 words and
/// within the bytes given.
pub fn parse_segment(input: &[u8]) -> Result<Segment<'_>, ParseError> {
    let mut c = Cursor::new(input, 0);
    let sport = c.u16()?;
    let dport = c.u16()?;
    let seq = c.u32()?;
    let ack = c.u32()?;
    let off_flags = c.u16()?;
    let window = c.u16()?;
    let _checksum = c.u16()?;
    let _urgent = c.u16()?;
    let header_len = usize::from(off_flags >> 12) * 4;
    if header_len < MIN_HEADER_LEN {
        return Err(ParseError::LengthTooShort {
            offset: 12,
            length: header_len,
            minimum: MIN_HEADER_LEN,
        });
    }
    let options = c.take(header_len - MIN_HEADER_LEN)?;
    Ok(Segment {
        sport,
        dport,
        seq,
        ack,
        flags: Flags((off_flags & 0xff) as u8),
        window,
        options,
        payload: c.rest(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A SYN from 10.1.0.1:40000 to :179 with MSS 1460, SACK permitted, timestamps, window
    /// scale 7 (the layout Linux uses).
    const SYN: [u8; 40] = [
        0x9c, 0x40, 0x00, 0xb3, 0x12, 0x34, 0x56, 0x78, 0, 0, 0, 0, 0xa0, 0x02, 0xfa, 0xf0, 0, 0, 0, 0, 2, 4,
        0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7,
    ];

    #[test]
    fn syn_with_options() {
        let s = parse_segment(&SYN).unwrap();
        assert_eq!((s.sport, s.dport), (40000, 179));
        assert_eq!(s.seq, 0x12345678);
        assert!(s.flags.syn() && !s.flags.ack() && !s.flags.rst() && !s.flags.fin());
        assert_eq!(s.window, 64240);
        assert_eq!(s.mss(), Some(1460));
        assert_eq!(s.window_scale(), Some(7));
        assert!(s.payload.is_empty());
        let kinds: Vec<u8> = s.option_iter().map(|(k, _)| k).collect();
        assert_eq!(kinds, [2, 4, 8, 3]);
    }

    #[test]
    fn payload_and_errors() {
        let mut seg = SYN[..20].to_vec();
        seg[12] = 0x50;
        seg[13] = 0x18; // PSH ACK
        seg.extend_from_slice(b"abc");
        let s = parse_segment(&seg).unwrap();
        assert_eq!(s.payload, b"abc");
        assert_eq!(s.mss(), None);
        assert!(s.flags.ack());
        seg[12] = 0x40; // data offset 4 words
        assert!(matches!(
            parse_segment(&seg),
            Err(ParseError::LengthTooShort { .. })
        ));
        seg[12] = 0xf0; // 60-byte header, only 23 bytes
        assert!(matches!(parse_segment(&seg), Err(ParseError::Truncated { .. })));
        assert!(parse_segment(&SYN[..19]).is_err());
    }

    #[test]
    fn malformed_option_ends_the_walk() {
        let mut seg = SYN;
        seg[21] = 0; // MSS option length 0
        let s = parse_segment(&seg).unwrap();
        assert_eq!(s.option_iter().count(), 0);
        assert_eq!(s.mss(), None);
    }
}
