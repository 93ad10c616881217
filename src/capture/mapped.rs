//! Classic pcap read straight out of a file mapped into memory ([`super::mmap`]): records are
//! sliced out of the map and handed to the packet decoder with no copy and no read buffer.
//! Everything else (gzip, pcapng, stdin, a file that cannot be mapped) takes the streaming
//! reader; both report the same frames, events and framing problems with the same words.

use super::file::{finish_read, LegacyFormat, LegacyFrames};
use super::mmap::{prefetch, MappedFile};
use super::packet::PacketDecoder;
use super::{CaptureError, CaptureFormat, DatagramSink, IngestOptions, InputStats, MAX_BLOCK_LEN};
use std::fs::File;

/// Bytes between two progress reports.
const PROGRESS_STEP: usize = 8 << 20;
/// How far ahead of the record being read the file is prefetched, one cache line at a time.
const PREFETCH_AHEAD: usize = 16 << 10;
/// A cache line.
const LINE: usize = 64;

/// A classic pcap file mapped into memory, its file header read.
pub struct MappedCapture {
    file: MappedFile,
    format: LegacyFormat,
    /// Where the first record starts (after the file header).
    first_record: usize,
}

impl MappedCapture {
    /// Map `path` when it is a regular, uncompressed classic pcap file whose header reads;
    /// `None` for anything else (the streaming reader then reads it and reports its problems).
    pub fn open(path: &str) -> Option<MappedCapture> {
        if path == "-" {
            return None;
        }
        let f = File::open(path).ok()?;
        if !f.metadata().ok()?.is_file() {
            return None;
        }
        let file = MappedFile::map(&f).ok()?;
        let bytes = file.bytes();
        let magic: [u8; 4] = bytes.get(..4)?.try_into().ok()?;
        if CaptureFormat::from_magic(magic) != Some(CaptureFormat::Pcap) {
            return None;
        }
        let (rest, header) = pcap_parser::parse_pcap_header(bytes).ok()?;
        let first_record = bytes.len() - rest.len();
        Some(MappedCapture {
            format: LegacyFormat::of(&header),
            first_record,
            file,
        })
    }

    /// The file's bytes.
    pub(super) fn bytes(&self) -> &[u8] {
        self.file.bytes()
    }

    /// How its records are laid out.
    pub(super) fn format(&self) -> LegacyFormat {
        self.format
    }

    /// Offset of the first record.
    pub(super) fn first_record(&self) -> usize {
        self.first_record
    }

    /// The file's size in bytes.
    pub fn len(&self) -> u64 {
        self.file.bytes().len() as u64
    }

    /// Whether the file holds nothing (never: a mapped capture has a file header).
    pub fn is_empty(&self) -> bool {
        self.file.bytes().is_empty()
    }

    /// Read every record, handing datagrams and events to `sink` exactly as
    /// [`super::read_capture`] would; `progress` is told the bytes read so far now and then.
    pub fn read(
        &self,
        opts: &IngestOptions,
        sink: &mut dyn DatagramSink,
        progress: &mut dyn FnMut(u64),
    ) -> Result<InputStats, CaptureError> {
        let mut dec = PacketDecoder::new(&opts.ike_ports, opts.window);
        let res = self.read_records(&mut dec, sink, progress);
        finish_read(dec, res, sink)
    }

    fn read_records(
        &self,
        dec: &mut PacketDecoder,
        sink: &mut dyn DatagramSink,
        progress: &mut dyn FnMut(u64),
    ) -> Result<(), CaptureError> {
        let bytes = self.file.bytes();
        let format = self.format;
        let mut frames = LegacyFrames::new(format);
        let mut offset = self.first_record;
        let mut next_report = offset + PROGRESS_STEP;
        let mut prefetched = offset;
        let result = loop {
            prefetched = prefetch_ahead(bytes, offset, prefetched);
            let rest = &bytes[offset..];
            if rest.is_empty() {
                break Ok(());
            }
            match record_len(&format, rest, offset as u64) {
                Ok(len) => {
                    let (head, data) = rest[..len].split_at(format.rec_hdr);
                    frames.record(
                        dec,
                        sink,
                        format.field(head, 0),
                        format.field(head, 4),
                        format.field(head, 12),
                        data,
                    );
                    offset += len;
                    if offset >= next_report {
                        progress(offset as u64);
                        next_report = offset + PROGRESS_STEP;
                    }
                }
                Err(e) => break Err(e),
            }
        };
        progress(offset as u64);
        dec.stats.bytes = offset as u64;
        result
    }
}

/// Prefetch the file from `prefetched` up to [`PREFETCH_AHEAD`] past `offset`, where the
/// reader is; returns how far it is now prefetched.
#[inline]
pub(super) fn prefetch_ahead(bytes: &[u8], offset: usize, mut prefetched: usize) -> usize {
    while prefetched < offset + PREFETCH_AHEAD {
        prefetch(bytes, prefetched);
        prefetched += LINE;
    }
    prefetched
}

/// Length of the record at the head of `rest` (header and captured bytes), or the framing
/// problem the streaming reader reports for it: a captured length beyond [`MAX_BLOCK_LEN`], or
/// a record the file ends inside.
pub(super) fn record_len(format: &LegacyFormat, rest: &[u8], offset: u64) -> Result<usize, CaptureError> {
    if rest.len() < 16 {
        return Err(cut_short(rest.len(), None, offset));
    }
    let caplen = format.field(rest, 8) as usize;
    if caplen > MAX_BLOCK_LEN {
        return Err(CaptureError::TooLarge {
            offset,
            claimed: caplen as u64,
            limit: MAX_BLOCK_LEN as u64,
        });
    }
    let len = format.rec_hdr + caplen;
    if rest.len() < len {
        return Err(cut_short(rest.len(), Some(len), offset));
    }
    Ok(len)
}

/// The file ends `present` bytes into a record that claims `claimed` bytes (unknown when its
/// header is cut).
fn cut_short(present: usize, claimed: Option<usize>, offset: u64) -> CaptureError {
    CaptureError::Truncated {
        offset,
        what: format!(
            "input ends inside a record/block ({present} of {} bytes present)",
            claimed.map(|c| c.to_string()).unwrap_or_else(|| "?".into())
        ),
    }
}
