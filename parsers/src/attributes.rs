//! ISAKMP data attributes (RFC 2408 §3.3): TV (AF bit set, 2-byte value) or TLV (2-byte
//! length + value). Also used by IKEv2 transform attributes (RFC 7296 §3.3.5) and IKEv1
//! mode-config attributes.

use crate::cursor::Cursor;
use crate::error::ParseError;

/// The AF (attribute format) bit: set for TV, clear for TLV.
pub const AF_BIT: u16 = 0x8000;

/// Value of a data attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttributeValue<'a> {
    /// TV (basic) attribute: 16-bit value.
    Basic(u16),
    /// TLV (variable) attribute: value bytes.
    Variable(&'a [u8]),
}

/// One data attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataAttribute<'a> {
    /// Attribute type with the AF bit cleared.
    pub attr_type: u16,
    /// The value.
    pub value: AttributeValue<'a>,
    /// Offset of the attribute from the start of the message.
    pub offset: usize,
}

impl DataAttribute<'_> {
    /// True for a TV attribute.
    pub fn is_tv(&self) -> bool {
        matches!(self.value, AttributeValue::Basic(_))
    }

    /// Numeric value: a TV value, or a non-empty TLV of at most 8 bytes read big-endian.
    pub fn as_u64(&self) -> Option<u64> {
        match self.value {
            AttributeValue::Basic(v) => Some(u64::from(v)),
            AttributeValue::Variable(b) if !b.is_empty() && b.len() <= 8 => {
                Some(b.iter().fold(0u64, |a, x| (a << 8) | u64::from(*x)))
            }
            AttributeValue::Variable(_) => None,
        }
    }
}

/// Iterator over consecutive data attributes; stops with one `Err` on truncation.
#[derive(Debug, Clone)]
pub struct AttributeIter<'a> {
    cur: Cursor<'a>,
    done: bool,
}

impl<'a> AttributeIter<'a> {
    /// Iterate over `data`, whose first byte is at message offset `base`.
    pub fn new(data: &'a [u8], base: usize) -> Self {
        AttributeIter {
            cur: Cursor::new(data, base),
            done: false,
        }
    }
}

impl<'a> Iterator for AttributeIter<'a> {
    type Item = Result<DataAttribute<'a>, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.cur.rest().is_empty() {
            return None;
        }
        let offset = self.cur.offset();
        let r = (|| {
            let t = self.cur.u16()?;
            let v = self.cur.u16()?;
            if t & AF_BIT != 0 {
                Ok(DataAttribute {
                    attr_type: t & !AF_BIT,
                    value: AttributeValue::Basic(v),
                    offset,
                })
            } else {
                let b = self.cur.take(usize::from(v))?;
                Ok(DataAttribute {
                    attr_type: t,
                    value: AttributeValue::Variable(b),
                    offset,
                })
            }
        })();
        if r.is_err() {
            self.done = true;
        }
        Some(r)
    }
}

impl core::iter::FusedIterator for AttributeIter<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tv_and_tlv() {
        // From ikev1_main_ok.pcap frame 1: encryption=7 (AES-CBC), key length 128, then a
        // TLV life duration of 4 bytes.
        let d = [
            0x80, 0x01, 0x00, 0x07, 0x80, 0x0e, 0x00, 0x80, 0x00, 0x0c, 0x00, 0x04, 0x00, 0x01, 0x51, 0x80,
        ];
        let a: Vec<_> = AttributeIter::new(&d, 100).collect::<Result<_, _>>().unwrap();
        assert_eq!(a.len(), 3);
        assert_eq!(a[0].attr_type, 1);
        assert_eq!(a[0].value, AttributeValue::Basic(7));
        assert_eq!(a[1].as_u64(), Some(128));
        assert_eq!(a[2].attr_type, 12);
        assert!(!a[2].is_tv());
        assert_eq!(a[2].as_u64(), Some(86400));
        assert_eq!(a[2].offset, 108);
    }

    #[test]
    fn truncated_tlv() {
        let d = [0x00, 0x0c, 0x00, 0x10, 0x00];
        let v: Vec<_> = AttributeIter::new(&d, 0).collect();
        assert_eq!(v.len(), 1);
        assert!(v[0].is_err());
    }
}
