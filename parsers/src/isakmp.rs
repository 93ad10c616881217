//! The ISAKMP/IKE fixed header (RFC 2408 §3.1, RFC 7296 §3.1) and the generic payload chain
//! shared by both IKE versions.

use crate::cursor::Cursor;
use crate::error::ParseError;
use crate::iana::{ExchangeType, PayloadType};

/// Length of the fixed ISAKMP/IKE header.
pub const HEADER_LEN: usize = 28;
/// Length of the generic payload header (next payload, flags, length).
pub const PAYLOAD_HEADER_LEN: usize = 4;

/// IKEv1 header flag: Encryption (the body after the header is encrypted).
pub const FLAG_V1_ENCRYPTION: u8 = 0x01;
/// IKEv1 header flag: Commit.
pub const FLAG_V1_COMMIT: u8 = 0x02;
/// IKEv1 header flag: Authentication only.
pub const FLAG_V1_AUTH_ONLY: u8 = 0x04;
/// IKEv2 header flag: Initiator (sent by the original initiator of the IKE SA).
pub const FLAG_V2_INITIATOR: u8 = 0x08;
/// IKEv2 header flag: Version (sender can speak a higher major version).
pub const FLAG_V2_VERSION: u8 = 0x10;
/// IKEv2 header flag: Response.
pub const FLAG_V2_RESPONSE: u8 = 0x20;

/// The 28-byte header common to IKEv1 (ISAKMP) and IKEv2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IsakmpHeader {
    /// Initiator SPI / cookie.
    pub spi_i: [u8; 8],
    /// Responder SPI / cookie.
    pub spi_r: [u8; 8],
    /// Type of the first payload.
    pub next_payload: PayloadType,
    /// Major version (high nibble of the version byte).
    pub major_version: u8,
    /// Minor version (low nibble).
    pub minor_version: u8,
    /// Exchange type.
    pub exchange_type: ExchangeType,
    /// Raw flags byte.
    pub flags: u8,
    /// Message ID.
    pub message_id: u32,
    /// Length of the whole message (header included) as stated in the header.
    pub length: u32,
}

impl IsakmpHeader {
    /// True when the major version is 2.
    pub fn is_ikev2(&self) -> bool {
        self.major_version == 2
    }
    /// IKEv1 E flag.
    pub fn v1_encrypted(&self) -> bool {
        self.flags & FLAG_V1_ENCRYPTION != 0
    }
    /// IKEv2 I flag.
    pub fn v2_initiator(&self) -> bool {
        self.flags & FLAG_V2_INITIATOR != 0
    }
    /// IKEv2 R flag.
    pub fn v2_response(&self) -> bool {
        self.flags & FLAG_V2_RESPONSE != 0
    }
}

/// Parse the 28-byte header. Returns the header and the bytes after it (not limited by the
/// length field; see [`parse_message`] for that).
pub fn parse_header(input: &[u8]) -> Result<(IsakmpHeader, &[u8]), ParseError> {
    if input.len() < HEADER_LEN {
        return Err(ParseError::Truncated {
            offset: 0,
            needed: HEADER_LEN,
            available: input.len(),
        });
    }
    let mut c = Cursor::new(input, 0);
    let spi_i = c.array8()?;
    let spi_r = c.array8()?;
    let next_payload = PayloadType(c.u8()?);
    let version = c.u8()?;
    let exchange_type = ExchangeType(c.u8()?);
    let flags = c.u8()?;
    let message_id = c.u32()?;
    let length = c.u32()?;
    Ok((
        IsakmpHeader {
            spi_i,
            spi_r,
            next_payload,
            major_version: version >> 4,
            minor_version: version & 0x0f,
            exchange_type,
            flags,
            message_id,
            length,
        },
        c.rest(),
    ))
}

/// The initiator and responder SPIs at the start of an IKE header, when its first 16 bytes are
/// present (an ICMP error quotes only the first few bytes of a datagram).
#[inline]
pub fn parse_spis(b: &[u8]) -> Option<([u8; 8], [u8; 8])> {
    let s = b.get(..16)?;
    let (mut i, mut r) = ([0u8; 8], [0u8; 8]);
    i.copy_from_slice(&s[..8]);
    r.copy_from_slice(&s[8..]);
    Some((i, r))
}

/// One IKE message: header plus the body bytes that are both announced by the length field and
/// actually present.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IkeMessage<'a> {
    /// The fixed header.
    pub header: IsakmpHeader,
    /// Body bytes after the header, limited to the header length field and to the input.
    pub body: &'a [u8],
    /// Body length the header announces (`length - 28`).
    pub declared_body_len: usize,
    /// Bytes of the input after the announced message end (e.g. a second message or padding).
    pub trailing: &'a [u8],
}

impl<'a> IkeMessage<'a> {
    /// True when the input held fewer bytes than the header length field announces.
    pub fn is_truncated(&self) -> bool {
        self.body.len() < self.declared_body_len
    }

    /// The top-level payload chain, starting with the header's next-payload type. Offsets are
    /// from the start of the message. For an IKEv1 message with the E flag set the body is
    /// ciphertext; callers should not walk it.
    pub fn payloads(&self) -> PayloadIter<'a> {
        PayloadIter::new(
            self.header.next_payload,
            self.body,
            HEADER_LEN,
            self.header.major_version,
        )
    }
}

/// Parse a message: header, then the body limited by the length field (or by the input when
/// the capture holds fewer bytes, see [`IkeMessage::is_truncated`]).
pub fn parse_message(input: &[u8]) -> Result<IkeMessage<'_>, ParseError> {
    let (header, rest) = parse_header(input)?;
    let total = usize::try_from(header.length).unwrap_or(usize::MAX);
    if total < HEADER_LEN {
        return Err(ParseError::BadMessageLength {
            length: header.length,
        });
    }
    let declared_body_len = total - HEADER_LEN;
    let cut = declared_body_len.min(rest.len());
    let (body, trailing) = rest.split_at(cut);
    Ok(IkeMessage {
        header,
        body,
        declared_body_len,
        trailing,
    })
}

/// One payload of a chain, with its generic header decoded and its body borrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawPayload<'a> {
    /// This payload's type (from the previous payload's next-payload field or the header).
    pub payload_type: PayloadType,
    /// Next-payload field of this payload's generic header.
    pub next_payload: PayloadType,
    /// Critical bit (IKEv2; high bit of the flags byte).
    pub critical: bool,
    /// Raw flags/reserved byte.
    pub flags: u8,
    /// Payload length field (generic header included).
    pub length: u16,
    /// Body bytes after the generic header.
    pub body: &'a [u8],
    /// Offset of the generic header from the start of the message.
    pub offset: usize,
}

impl RawPayload<'_> {
    /// Offset of the body from the start of the message.
    pub fn body_offset(&self) -> usize {
        self.offset.saturating_add(PAYLOAD_HEADER_LEN)
    }
}

/// Iterator over a chain of payloads linked by next-payload fields.
///
/// Yields `Err` once and then stops when a payload header does not fit, when a length is smaller
/// than 4 or when it runs past the end of the data. For IKEv2 the chain ends after an SK or SKF
/// payload (its next-payload field names the first *inner* payload). Unknown payload types are
/// yielded like any other.
#[derive(Debug, Clone)]
pub struct PayloadIter<'a> {
    data: &'a [u8],
    pos: usize,
    base: usize,
    next: PayloadType,
    version: u8,
    done: bool,
}

impl<'a> PayloadIter<'a> {
    /// Walk `data` (whose first byte is at message offset `base`) starting with payload type
    /// `first`. `major_version` selects the IKEv2 SK/SKF end-of-chain rule.
    pub fn new(first: PayloadType, data: &'a [u8], base: usize, major_version: u8) -> Self {
        PayloadIter {
            data,
            pos: 0,
            base,
            next: first,
            version: major_version,
            done: first == PayloadType::NONE,
        }
    }

    /// Bytes after the last payload yielded so far (non-empty after the chain ended means
    /// trailing garbage or unwalked data).
    pub fn remaining(&self) -> &'a [u8] {
        self.data.get(self.pos..).unwrap_or(&[])
    }

    /// Type of the payload the iterator would decode next; after an `Err`, the type of the
    /// payload that failed.
    pub fn next_type(&self) -> PayloadType {
        self.next
    }

    /// After an [`ParseError::Overrun`] (e.g. a capture cut by the snaplen), the failed payload
    /// with its header decoded and `body` holding only the bytes that are present. `None` when
    /// not even the 4-byte generic header is left.
    pub fn partial(&self) -> Option<RawPayload<'a>> {
        let rest = self.remaining();
        let hdr = rest.get(..PAYLOAD_HEADER_LEN)?;
        let (&[next_payload, flags, hi, lo], body) = (hdr, rest.get(PAYLOAD_HEADER_LEN..)?) else {
            return None;
        };
        let length = u16::from_be_bytes([hi, lo]);
        let body = body
            .get(..usize::from(length).saturating_sub(PAYLOAD_HEADER_LEN))
            .unwrap_or(body);
        Some(RawPayload {
            payload_type: self.next,
            next_payload: PayloadType(next_payload),
            critical: flags & 0x80 != 0,
            flags,
            length,
            body,
            offset: self.offset(),
        })
    }

    /// Message offset of the next unread byte.
    pub fn offset(&self) -> usize {
        self.base.saturating_add(self.pos)
    }
}

impl<'a> Iterator for PayloadIter<'a> {
    type Item = Result<RawPayload<'a>, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let offset = self.offset();
        let rest = self.remaining();
        let mut c = Cursor::new(rest, offset);
        let hdr = (|| Ok::<_, ParseError>((PayloadType(c.u8()?), c.u8()?, c.u16()?)))();
        let (next_payload, flags, length) = match hdr {
            Ok(h) => h,
            Err(_) => {
                self.done = true;
                return Some(Err(ParseError::Truncated {
                    offset,
                    needed: PAYLOAD_HEADER_LEN,
                    available: rest.len(),
                }));
            }
        };
        let len = usize::from(length);
        if len < PAYLOAD_HEADER_LEN {
            self.done = true;
            return Some(Err(ParseError::LengthTooShort {
                offset,
                length: len,
                minimum: PAYLOAD_HEADER_LEN,
            }));
        }
        let Some(whole) = rest.get(..len) else {
            self.done = true;
            return Some(Err(ParseError::Overrun {
                offset,
                length: len,
                available: rest.len(),
            }));
        };
        let payload_type = self.next;
        self.pos = self.pos.saturating_add(len);
        self.next = next_payload;
        if next_payload == PayloadType::NONE
            || (self.version == 2
                && (payload_type == PayloadType::V2_SK || payload_type == PayloadType::V2_SKF))
        {
            self.done = true;
        }
        Some(Ok(RawPayload {
            payload_type,
            next_payload,
            critical: flags & 0x80 != 0,
            flags,
            length,
            body: whole.get(PAYLOAD_HEADER_LEN..).unwrap_or(&[]),
            offset,
        }))
    }
}

impl core::iter::FusedIterator for PayloadIter<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    /// First 28 bytes + a Vendor ID payload (IKEv1 main mode, msg 1 header modified to carry
    /// only one VID), from captures/ikev1_main_ok.pcap frame 1 header.
    fn v1_msg() -> Vec<u8> {
        let mut m = vec![
            0x02, 0x19, 0x9c, 0xa2, 0x9b, 0x5e, 0x41, 0x1d, 0, 0, 0, 0, 0, 0, 0, 0, 13, 0x10, 0x02, 0x00, 0,
            0, 0, 0, 0, 0, 0, 0,
        ];
        m.extend_from_slice(&[0, 0, 0, 12, 0x09, 0x00, 0x26, 0x89, 0xdf, 0xd6, 0xb7, 0x12]);
        let len = m.len() as u32;
        m[24..28].copy_from_slice(&len.to_be_bytes());
        m
    }

    #[test]
    fn header_fields() {
        let m = v1_msg();
        let (h, rest) = parse_header(&m).unwrap();
        assert_eq!(h.spi_i, [0x02, 0x19, 0x9c, 0xa2, 0x9b, 0x5e, 0x41, 0x1d]);
        assert_eq!(h.spi_r, [0; 8]);
        assert_eq!(h.major_version, 1);
        assert_eq!(h.minor_version, 0);
        assert_eq!(h.exchange_type, ExchangeType::MAIN_MODE);
        assert_eq!(h.next_payload, PayloadType::V1_VID);
        assert_eq!(h.length, 40);
        assert_eq!(rest.len(), 12);
    }

    #[test]
    fn chain_walk() {
        let m = v1_msg();
        let msg = parse_message(&m).unwrap();
        let p: Vec<_> = msg.payloads().collect::<Result<_, _>>().unwrap();
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].payload_type, PayloadType::V1_VID);
        assert_eq!(p[0].offset, 28);
        assert_eq!(p[0].body, &[0x09, 0x00, 0x26, 0x89, 0xdf, 0xd6, 0xb7, 0x12]);
    }

    #[test]
    fn short_header_is_error() {
        assert!(matches!(
            parse_header(&[0u8; 27]),
            Err(ParseError::Truncated { needed: 28, .. })
        ));
    }

    #[test]
    fn loop_and_overrun_protection() {
        let mut m = v1_msg();
        // payload length 0 -> error, not an endless loop
        m[30] = 0;
        m[31] = 0;
        let msg = parse_message(&m).unwrap();
        let v: Vec<_> = msg.payloads().collect();
        assert_eq!(v.len(), 1);
        assert!(matches!(v[0], Err(ParseError::LengthTooShort { offset: 28, .. })));
        // payload length past the end
        m[31] = 200;
        let msg = parse_message(&m).unwrap();
        let v: Vec<_> = msg.payloads().collect();
        assert!(matches!(v[0], Err(ParseError::Overrun { offset: 28, .. })));
    }

    #[test]
    fn truncated_message() {
        let m = v1_msg();
        let msg = parse_message(&m[..34]).unwrap();
        assert!(msg.is_truncated());
        assert_eq!(msg.body.len(), 6);
        let mut it = msg.payloads();
        assert!(matches!(it.next(), Some(Err(ParseError::Overrun { .. }))));
        let part = it.partial().unwrap();
        assert_eq!(
            (part.payload_type, part.length, part.body.len()),
            (PayloadType::V1_VID, 12, 2)
        );
        assert!(it.next().is_none());
    }

    #[test]
    fn bad_length_field() {
        let mut m = v1_msg();
        m[24..28].copy_from_slice(&20u32.to_be_bytes());
        assert!(matches!(
            parse_message(&m),
            Err(ParseError::BadMessageLength { length: 20 })
        ));
    }

    #[test]
    fn v2_sk_ends_chain() {
        // IKEv2 IKE_AUTH header, SK payload with inner first payload 35 (IDi)
        let mut m = vec![0u8; 28];
        m[16] = 46;
        m[17] = 0x20;
        m[18] = 35;
        m[19] = 0x08;
        m.extend_from_slice(&[35, 0, 0, 8, 1, 2, 3, 4]);
        let len = m.len() as u32;
        m[24..28].copy_from_slice(&len.to_be_bytes());
        let msg = parse_message(&m).unwrap();
        let p: Vec<_> = msg.payloads().collect::<Result<_, _>>().unwrap();
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].payload_type, PayloadType::V2_SK);
        assert_eq!(p[0].next_payload, PayloadType::V2_IDI);
    }
}
