//! A tiny offset-tracking reader over nom's big-endian number parsers.

use crate::error::ParseError;
use nom::bytes::complete::take;
use nom::number::complete::{be_u16, be_u32, be_u8};
use nom::IResult;

type NomErr<'a> = nom::error::Error<&'a [u8]>;

/// Reads fields from a slice, remembering the absolute offset of the slice start.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Cursor<'a> {
    data: &'a [u8],
    base: usize,
    start_len: usize,
}

impl<'a> Cursor<'a> {
    /// A cursor over `data`, whose first byte is at absolute offset `base`.
    pub(crate) fn new(data: &'a [u8], base: usize) -> Self {
        Cursor {
            data,
            base,
            start_len: data.len(),
        }
    }

    /// Absolute offset of the next unread byte.
    pub(crate) fn offset(&self) -> usize {
        self.base.saturating_add(self.start_len - self.data.len())
    }

    /// Unread bytes.
    pub(crate) fn rest(&self) -> &'a [u8] {
        self.data
    }

    fn run<T>(&mut self, needed: usize, r: IResult<&'a [u8], T, NomErr<'a>>) -> Result<T, ParseError> {
        match r {
            Ok((rest, v)) => {
                self.data = rest;
                Ok(v)
            }
            Err(_) => Err(ParseError::Truncated {
                offset: self.offset(),
                needed,
                available: self.data.len(),
            }),
        }
    }

    pub(crate) fn u8(&mut self) -> Result<u8, ParseError> {
        let r = be_u8(self.data);
        self.run(1, r)
    }

    pub(crate) fn u16(&mut self) -> Result<u16, ParseError> {
        let r = be_u16(self.data);
        self.run(2, r)
    }

    pub(crate) fn u32(&mut self) -> Result<u32, ParseError> {
        let r = be_u32(self.data);
        self.run(4, r)
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], ParseError> {
        let r = take::<usize, &'a [u8], NomErr<'a>>(n)(self.data);
        self.run(n, r)
    }

    pub(crate) fn array8(&mut self) -> Result<[u8; 8], ParseError> {
        let s = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(s);
        Ok(a)
    }
}
