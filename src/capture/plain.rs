//! An uncompressed classic pcap file read by offset (`pread`), so that several threads can each
//! read a part of it ([`super::parts`]). The streaming reader ([`super::read_capture`]) reads
//! everything else, and any file from start to end.

use super::file::LegacyFormat;
use super::{CaptureError, CaptureFormat};
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

/// Bytes read at a time.
const WINDOW: usize = 1 << 20;

/// A regular file holding an uncompressed classic pcap, its file header read.
pub struct PlainPcap {
    file: File,
    len: u64,
    format: LegacyFormat,
    /// Where the first record starts (after the file header).
    first_record: u64,
}

impl PlainPcap {
    /// Open `path` when it is a regular file holding an uncompressed classic pcap whose header
    /// reads; `None` for anything else (stdin, gzip, pcapng, an unreadable header: the streaming
    /// reader then reads it and reports its problems).
    pub fn open(path: &str) -> Option<PlainPcap> {
        if path == "-" {
            return None;
        }
        let file = File::open(path).ok()?;
        let meta = file.metadata().ok()?;
        if !meta.is_file() {
            return None;
        }
        let mut head = [0u8; 24];
        file.read_exact_at(&mut head, 0).ok()?;
        let magic: [u8; 4] = head[..4].try_into().ok()?;
        if CaptureFormat::from_magic(magic) != Some(CaptureFormat::Pcap) {
            return None;
        }
        let (rest, header) = pcap_parser::parse_pcap_header(&head).ok()?;
        Some(PlainPcap {
            file,
            len: meta.len(),
            format: LegacyFormat::of(&header),
            first_record: (head.len() - rest.len()) as u64,
        })
    }

    /// The file's size in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the file holds nothing (never: it has a file header).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// How its records are laid out.
    pub(super) fn format(&self) -> LegacyFormat {
        self.format
    }

    /// Offset of the first record.
    pub(super) fn first_record(&self) -> u64 {
        self.first_record
    }

    /// A reader of this file's bytes by offset, with a buffer of its own.
    pub(super) fn window(&self) -> Window<'_> {
        Window {
            file: &self.file,
            file_len: self.len,
            buf: Vec::new(),
            start: 0,
            filled: 0,
        }
    }
}

/// A stretch of the file held in memory, moved forward as it is read.
pub(super) struct Window<'f> {
    file: &'f File,
    file_len: u64,
    buf: Vec<u8>,
    /// File offset of `buf[0]`.
    start: u64,
    /// Bytes of `buf` holding file content.
    filled: usize,
}

impl Window<'_> {
    /// Bytes of the file left from `offset` on.
    pub fn remaining(&self, offset: u64) -> u64 {
        self.file_len.saturating_sub(offset)
    }

    /// The file's bytes from `offset`: at least `want` of them, or all that remain when the file
    /// ends first. Reads [`WINDOW`] bytes at a time (more for a longer `want`).
    pub fn at(&mut self, offset: u64, want: usize) -> io::Result<&[u8]> {
        let want = (want as u64).min(self.remaining(offset)) as usize;
        let held = offset >= self.start && offset + want as u64 <= self.start + self.filled as u64;
        if !held {
            let size = WINDOW.max(want);
            if self.buf.len() < size {
                self.buf.resize(size, 0);
            }
            let size = (size as u64).min(self.remaining(offset)) as usize;
            self.file.read_exact_at(&mut self.buf[..size], offset)?;
            self.start = offset;
            self.filled = size;
        }
        let from = (offset - self.start) as usize;
        Ok(&self.buf[from..self.filled])
    }
}

/// Length of the record whose header starts `head` (at `offset`, `remaining` bytes before the end
/// of the file: the header is complete when that is at least the header length), or the framing
/// problem the streaming reader reports for it: a captured length beyond [`MAX_BLOCK_LEN`], or a
/// record the file ends inside.
pub(super) fn record_len(
    format: &LegacyFormat,
    head: &[u8],
    remaining: u64,
    offset: u64,
) -> Result<usize, CaptureError> {
    if remaining < 16 || head.len() < 16 {
        return Err(cut_short(remaining, None, offset));
    }
    let len = format.record_len(head, offset)?;
    if remaining < len as u64 {
        return Err(cut_short(remaining, Some(len), offset));
    }
    Ok(len)
}

/// The file ends `present` bytes into a record that claims `claimed` bytes (unknown when its
/// header is cut).
fn cut_short(present: u64, claimed: Option<usize>, offset: u64) -> CaptureError {
    CaptureError::Truncated {
        offset,
        what: format!(
            "input ends inside a record/block ({present} of {} bytes present)",
            claimed.map(|c| c.to_string()).unwrap_or_else(|| "?".into())
        ),
    }
}
