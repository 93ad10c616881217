//! Substructure chains (proposals, transforms) that share the 4-byte "next/last, reserved,
//! length" header in both IKE versions.

use crate::cursor::Cursor;
use crate::error::ParseError;

/// One substructure: its leading next/last byte, the body after the 4-byte header and the
/// message offset of the header.
pub(crate) type Sub<'a> = (u8, &'a [u8], usize);

/// Iterator over a substructure chain; ends when a header's first byte is 0 (last) or the data
/// runs out; yields one `Err` on a bad length.
#[derive(Debug, Clone)]
pub(crate) struct SubIter<'a> {
    cur: Cursor<'a>,
    min_len: usize,
    done: bool,
}

impl<'a> SubIter<'a> {
    pub(crate) fn new(data: &'a [u8], base: usize, min_len: usize) -> Self {
        SubIter {
            cur: Cursor::new(data, base),
            min_len,
            done: false,
        }
    }
}

impl<'a> Iterator for SubIter<'a> {
    type Item = Result<Sub<'a>, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.cur.rest().is_empty() {
            return None;
        }
        let offset = self.cur.offset();
        let available = self.cur.rest().len();
        let r = (|| {
            let more = self.cur.u8()?;
            let _reserved = self.cur.u8()?;
            let len = usize::from(self.cur.u16()?);
            if len < self.min_len {
                return Err(ParseError::LengthTooShort {
                    offset,
                    length: len,
                    minimum: self.min_len,
                });
            }
            let body = self
                .cur
                .take(len.saturating_sub(4))
                .map_err(|_| ParseError::Overrun {
                    offset,
                    length: len,
                    available,
                })?;
            Ok((more, body, offset))
        })();
        match &r {
            Ok((0, _, _)) | Err(_) => self.done = true,
            Ok(_) => {}
        }
        Some(r)
    }
}

impl core::iter::FusedIterator for SubIter<'_> {}

/// Iterator over fixed-size SPIs (Delete payloads).
#[derive(Debug, Clone)]
pub struct SpiIter<'a> {
    data: &'a [u8],
    size: usize,
    left: usize,
}

impl<'a> SpiIter<'a> {
    pub(crate) fn new(data: &'a [u8], size: usize, count: usize) -> Self {
        SpiIter {
            data,
            size,
            left: if size == 0 { 0 } else { count },
        }
    }
}

impl<'a> Iterator for SpiIter<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.left == 0 || self.data.len() < self.size {
            return None;
        }
        let (a, b) = self.data.split_at(self.size);
        self.data = b;
        self.left -= 1;
        Some(a)
    }
}
