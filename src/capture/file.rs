//! Capture file framing: pcap (both byte orders; microsecond, nanosecond and the "modified"
//! magic) and pcapng (several interfaces and sections, both byte orders, per-interface
//! `if_tsresol`/`if_tsoffset`), on top of `pcap-parser`'s streaming readers with a bounded
//! circular buffer.

use super::packet::{linktype_supported, PacketDecoder};
use super::{
    CaptureError, CaptureFormat, DatagramSink, IngestEvent, IngestOptions, InputStats, MAX_BLOCK_LEN,
};
use crate::record::Timestamp;
use pcap_parser::pcapng::Block;
use pcap_parser::traits::PcapReaderIterator;
use pcap_parser::{LegacyPcapReader, PcapBlockOwned, PcapError, PcapNGReader};
use std::cell::RefCell;
use std::io::{self, Read};
use std::rc::Rc;

/// Initial circular buffer size; grown on demand up to [`MAX_BLOCK_LEN`] plus slack.
const INITIAL_BUFFER: usize = 1 << 20;

/// Reader wrapper: the first `read` returns at least [`FIRST_FILL`] bytes (or everything up to end
/// of input), so the file header is complete even from a pipe that delivers a few bytes at a time;
/// later reads pass through. I/O errors are kept so they can be reported with their text
/// (pcap-parser only says "read error").
struct Source<R> {
    inner: R,
    first: bool,
    error: Rc<RefCell<Option<io::Error>>>,
}

/// Bytes the first read gathers before pcap-parser parses the file/section header.
const FIRST_FILL: usize = 64 << 10;

impl<R: Read> Read for Source<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let want = if self.first { buf.len().min(FIRST_FILL) } else { 1 };
        self.first = false;
        let mut n = 0;
        loop {
            match self.inner.read(&mut buf[n..]) {
                Ok(0) => return Ok(n),
                Ok(k) => {
                    n += k;
                    if n >= want {
                        return Ok(n);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    if n > 0 {
                        // Deliver what we have; the error comes back on the next call.
                        return Ok(n);
                    }
                    let copy = io::Error::new(e.kind(), e.to_string());
                    *self.error.borrow_mut() = Some(e);
                    return Err(copy);
                }
            }
        }
    }
}

/// Read up to `buf.len()` bytes (fewer only at end of input).
fn read_full(r: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Entry point, see [`super::read_capture`].
pub(crate) fn read_capture(
    mut input: Box<dyn Read + Send>,
    opts: &IngestOptions,
    sink: &mut dyn DatagramSink,
) -> Result<InputStats, CaptureError> {
    let mut magic = [0u8; 4];
    let n = read_full(&mut input, &mut magic).map_err(CaptureError::Io)?;
    if n < 2 {
        return Err(CaptureError::Empty { len: n });
    }
    if magic[0] == 0x1f && magic[1] == 0x8b {
        // gzip handed in directly (open_input already unwraps files).
        let rest = io::Cursor::new(magic[..n].to_vec()).chain(input);
        let gz = flate2::read::MultiGzDecoder::new(io::BufReader::with_capacity(1 << 16, rest));
        let mut inner: Box<dyn Read + Send> = Box::new(gz);
        let mut m2 = [0u8; 4];
        let n2 = read_full(&mut inner, &mut m2).map_err(CaptureError::Io)?;
        if n2 < 4 {
            return Err(CaptureError::Empty { len: n2 });
        }
        if m2[0] == 0x1f && m2[1] == 0x8b {
            return Err(CaptureError::BadMagic { magic: m2 });
        }
        let input = Box::new(io::Cursor::new(m2).chain(inner));
        return read_capture_inner(input, m2, opts, sink);
    }
    if n < 4 {
        return Err(CaptureError::Empty { len: n });
    }
    let input = Box::new(io::Cursor::new(magic).chain(input));
    read_capture_inner(input, magic, opts, sink)
}

fn read_capture_inner(
    input: Box<dyn Read + Send>,
    magic: [u8; 4],
    opts: &IngestOptions,
    sink: &mut dyn DatagramSink,
) -> Result<InputStats, CaptureError> {
    let err = Rc::new(RefCell::new(None));
    let src = Source {
        inner: input,
        first: true,
        error: err.clone(),
    };
    let mut dec = PacketDecoder::new(&opts.ike_ports, opts.window);
    let res = match CaptureFormat::from_magic(magic) {
        Some(CaptureFormat::Pcap) => read_legacy(src, &err, &mut dec, sink),
        Some(CaptureFormat::PcapNg) => read_ng(src, &err, &mut dec, sink),
        None => Err(CaptureError::BadMagic { magic }),
    };
    finish_read(dec, res, sink)
}

/// The end of a read: a framing problem after at least one frame is reported as a malformed
/// frame and the read counts as stopped early (before any frame, it is the input's error);
/// pending reassemblies are reported.
pub(super) fn finish_read(
    mut dec: PacketDecoder,
    res: Result<(), CaptureError>,
    sink: &mut dyn DatagramSink,
) -> Result<InputStats, CaptureError> {
    match res {
        Ok(()) => {}
        Err(e) => {
            if dec.stats.packets == 0 {
                return Err(e);
            }
            dec.stats.stopped_early = true;
            let frame = dec.stats.packets + 1;
            dec.malformed(
                sink,
                frame,
                0,
                format!(
                    "{e}; stopped reading this file after {} frames",
                    dec.stats.packets
                ),
            );
        }
    }
    dec.reasm.flush(sink);
    dec.stats.incomplete_reassemblies = dec.reasm.incomplete;
    Ok(dec.stats)
}

fn header_error(e: PcapError<&[u8]>, err: &Rc<RefCell<Option<io::Error>>>) -> CaptureError {
    if let Some(ioe) = err.borrow_mut().take() {
        return CaptureError::Io(ioe);
    }
    match e {
        PcapError::Incomplete(_) | PcapError::UnexpectedEof | PcapError::Eof => CaptureError::Header {
            what: "file ends inside the file header".into(),
        },
        PcapError::BufferTooSmall => CaptureError::Header {
            what: "file header larger than the read buffer".into(),
        },
        other => CaptureError::Header {
            what: describe(&other),
        },
    }
}

fn describe(e: &PcapError<&[u8]>) -> String {
    match e {
        PcapError::NomError(_, k) => format!("invalid structure ({k:?})"),
        PcapError::OwnedNomError(_, k) => format!("invalid structure ({k:?})"),
        PcapError::HeaderNotRecognized => "header not recognized".into(),
        PcapError::ReadError => "read error".into(),
        other => format!("{other:?}"),
    }
}

/// Inspects the head of the buffer; returns the claimed record/block length (or an error).
type CheckFn<'a> = dyn FnMut(&[u8], u64) -> Result<Option<usize>, CaptureError> + 'a;

/// Drive a pcap-parser reader: `check` inspects the bytes at the head of the buffer and returns
/// the total length the next record/block claims (erroring when it exceeds the bound);
/// `handle` processes each block. Returns on end of input.
fn drive<R: PcapReaderIterator>(
    reader: &mut R,
    err: &Rc<RefCell<Option<io::Error>>>,
    check: &mut CheckFn<'_>,
    handle: &mut dyn FnMut(PcapBlockOwned<'_>) -> Result<(), CaptureError>,
) -> Result<(), CaptureError> {
    let mut stalls = 0u32;
    loop {
        let claimed = check(reader.data(), reader.consumed() as u64)?;
        let have = reader.data().len();
        let offset = reader.consumed() as u64;
        match reader.next() {
            Ok((len, block)) => {
                stalls = 0;
                handle(block)?;
                reader.consume_noshift(len);
            }
            Err(PcapError::Eof) => return Ok(()),
            Err(PcapError::UnexpectedEof) => {
                if let Some(ioe) = err.borrow_mut().take() {
                    return Err(CaptureError::Io(ioe));
                }
                if reader.data().is_empty() {
                    return Ok(());
                }
                return Err(CaptureError::Truncated {
                    offset,
                    what: format!(
                        "input ends inside a record/block ({} of {} bytes present)",
                        reader.data().len(),
                        claimed.map(|c| c.to_string()).unwrap_or_else(|| "?".into())
                    ),
                });
            }
            Err(PcapError::Incomplete(_)) => {
                if let Some(c) = claimed {
                    if have >= c {
                        return Err(CaptureError::Corrupt {
                            offset,
                            what: "record/block is inconsistent with its own length".into(),
                        });
                    }
                }
                stalls += 1;
                if stalls > 1_000_000 {
                    return Err(CaptureError::Corrupt {
                        offset,
                        what: "reader makes no progress".into(),
                    });
                }
                if reader.refill().is_err() {
                    let ioe = err.borrow_mut().take();
                    return Err(match ioe {
                        Some(e) => CaptureError::Io(e),
                        None => CaptureError::Io(io::Error::other("read error")),
                    });
                }
            }
            Err(PcapError::BufferTooSmall) => {
                // The claimed length was checked against MAX_BLOCK_LEN: grow to hold it.
                let want = claimed.unwrap_or(0).max(reader.data().len()) + (64 << 10);
                let want = want.min(MAX_BLOCK_LEN + (128 << 10));
                if !reader.grow(want) {
                    return Err(CaptureError::TooLarge {
                        offset,
                        claimed: claimed.unwrap_or(0) as u64,
                        limit: MAX_BLOCK_LEN as u64,
                    });
                }
            }
            Err(e) => {
                return Err(CaptureError::Corrupt {
                    offset,
                    what: describe(&e),
                })
            }
        }
    }
}

/// How the records of a classic pcap file are laid out and stamped, from its file header.
#[derive(Clone, Copy, Debug)]
pub(super) struct LegacyFormat {
    /// LINKTYPE_ of every frame (the low 16 bits of the header's field).
    pub linktype: u32,
    /// Timestamps' fraction is in nanoseconds (else microseconds).
    pub nanos: bool,
    /// Header fields are big-endian.
    pub big_endian: bool,
    /// Record header length: 16, or 24 in the "modified" format.
    pub rec_hdr: usize,
}

impl LegacyFormat {
    pub fn of(h: &pcap_parser::PcapHeader) -> LegacyFormat {
        LegacyFormat {
            // The upper bits of the field carry FCS information; the link type is the low 16.
            linktype: h.network.0 as u32 & 0xffff,
            nanos: h.is_nanosecond_precision(),
            big_endian: h.is_bigendian(),
            rec_hdr: if h.is_modified_format() { 24 } else { 16 },
        }
    }

    /// A record's time from its header's seconds and fraction.
    #[inline]
    pub fn time(&self, ts_sec: u32, ts_frac: u32) -> Timestamp {
        let frac = if self.nanos {
            ts_frac as i64
        } else {
            ts_frac as i64 * 1000
        };
        Timestamp((ts_sec as i64) * 1_000_000_000 + frac)
    }

    /// Length of the record whose header `head` (at least 16 bytes, at file offset `offset`)
    /// starts: header and captured bytes, or the error for a captured length beyond
    /// [`MAX_BLOCK_LEN`].
    pub fn record_len(&self, head: &[u8], offset: u64) -> Result<usize, CaptureError> {
        let caplen = self.field(head, 8) as usize;
        if caplen > MAX_BLOCK_LEN {
            return Err(CaptureError::TooLarge {
                offset,
                claimed: caplen as u64,
                limit: MAX_BLOCK_LEN as u64,
            });
        }
        Ok(self.rec_hdr + caplen)
    }

    /// The record header's field at `at` (0 seconds, 4 fraction, 8 captured length, 12
    /// original length); `d` holds at least 16 bytes.
    #[inline]
    pub fn field(&self, d: &[u8], at: usize) -> u32 {
        let b = [d[at], d[at + 1], d[at + 2], d[at + 3]];
        if self.big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        }
    }
}

/// Hands the records of a classic pcap file, one by one, to the packet decoder: numbers them,
/// stamps them, and skips (reporting once) frames of an unsupported link type.
pub(super) struct LegacyFrames {
    format: LegacyFormat,
    supported: bool,
    reported: bool,
}

impl LegacyFrames {
    pub fn new(format: LegacyFormat) -> LegacyFrames {
        LegacyFrames {
            format,
            supported: linktype_supported(format.linktype),
            reported: false,
        }
    }

    /// One record: its header fields and captured bytes.
    #[inline]
    pub fn record(
        &mut self,
        dec: &mut PacketDecoder,
        sink: &mut dyn DatagramSink,
        ts_sec: u32,
        ts_frac: u32,
        origlen: u32,
        data: &[u8],
    ) {
        dec.stats.packets += 1;
        let frame = dec.stats.packets;
        let time = self.format.time(ts_sec, ts_frac);
        if !self.supported {
            dec.stats.unsupported_frames += 1;
            if !self.reported {
                self.reported = true;
                sink.event(&IngestEvent::UnsupportedLinkType {
                    frame,
                    linktype: self.format.linktype,
                });
            }
            return;
        }
        dec.frame(frame, time, data, origlen, self.format.linktype, sink);
    }
}

fn read_legacy<R: Read>(
    src: Source<R>,
    err: &Rc<RefCell<Option<io::Error>>>,
    dec: &mut PacketDecoder,
    sink: &mut dyn DatagramSink,
) -> Result<(), CaptureError> {
    let mut reader = LegacyPcapReader::new(INITIAL_BUFFER, src).map_err(|e| header_error(e, err))?;
    // The header block comes first; handle it before records so `check` knows the byte order.
    let format = match reader.next() {
        Ok((len, PcapBlockOwned::LegacyHeader(h))) => {
            let f = LegacyFormat::of(&h);
            reader.consume_noshift(len);
            f
        }
        Ok(_) => {
            return Err(CaptureError::Header {
                what: "no pcap file header".into(),
            })
        }
        Err(e) => return Err(header_error(e, err)),
    };
    let mut check = |d: &[u8], offset: u64| -> Result<Option<usize>, CaptureError> {
        if d.len() < 16 {
            return Ok(None);
        }
        format.record_len(d, offset).map(Some)
    };
    let mut frames = LegacyFrames::new(format);
    let mut handle = |block: PcapBlockOwned<'_>| -> Result<(), CaptureError> {
        let PcapBlockOwned::Legacy(b) = block else {
            return Ok(());
        };
        let data = b.data.get(..b.caplen as usize).unwrap_or(b.data);
        frames.record(dec, sink, b.ts_sec, b.ts_usec, b.origlen, data);
        Ok(())
    };
    let r = drive(&mut reader, err, &mut check, &mut handle);
    dec.stats.bytes = reader.consumed() as u64;
    r
}

/// One pcapng interface.
struct Iface {
    linktype: u32,
    snaplen: u32,
    /// Timestamp units per second.
    units: u64,
    offset_secs: i64,
    reported: bool,
}

fn tsresol_units(r: u8) -> Option<u64> {
    if r & 0x80 == 0 {
        10u64.checked_pow(r as u32)
    } else {
        1u64.checked_shl((r & 0x7f) as u32)
    }
}

fn ng_time(iface: &Iface, high: u32, low: u32) -> Timestamp {
    let ts = ((high as u64) << 32) | low as u64;
    let units = iface.units.max(1);
    let secs = (ts / units) as i128 + iface.offset_secs as i128;
    let frac = ((ts % units) as u128 * 1_000_000_000 / units as u128) as i128;
    let ns = secs * 1_000_000_000 + frac;
    Timestamp(ns.clamp(i64::MIN as i128, i64::MAX as i128) as i64)
}

fn read_ng<R: Read>(
    src: Source<R>,
    err: &Rc<RefCell<Option<io::Error>>>,
    dec: &mut PacketDecoder,
    sink: &mut dyn DatagramSink,
) -> Result<(), CaptureError> {
    let mut reader = PcapNGReader::new(INITIAL_BUFFER, src).map_err(|e| header_error(e, err))?;
    let big_endian = std::cell::Cell::new(false);
    let mut check = |d: &[u8], offset: u64| -> Result<Option<usize>, CaptureError> {
        if d.len() < 12 {
            return Ok(None);
        }
        let btype = u32::from_le_bytes([d[0], d[1], d[2], d[3]]);
        let be = if btype == 0x0a0d0d0a {
            // Section header: its byte-order magic decides.
            match u32::from_le_bytes([d[8], d[9], d[10], d[11]]) {
                0x1a2b3c4d => false,
                0x4d3c2b1a => true,
                _ => {
                    return Err(CaptureError::Corrupt {
                        offset,
                        what: "section header block with an invalid byte-order magic".into(),
                    })
                }
            }
        } else {
            big_endian.get()
        };
        let rd = |at: usize| -> u32 {
            let b = [d[at], d[at + 1], d[at + 2], d[at + 3]];
            if be {
                u32::from_be_bytes(b)
            } else {
                u32::from_le_bytes(b)
            }
        };
        let blen = rd(4) as usize;
        if blen > MAX_BLOCK_LEN {
            return Err(CaptureError::TooLarge {
                offset,
                claimed: blen as u64,
                limit: MAX_BLOCK_LEN as u64,
            });
        }
        if blen < 12 || blen % 4 != 0 {
            return Err(CaptureError::Corrupt {
                offset,
                what: format!("pcapng block length {blen} is invalid"),
            });
        }
        let btype_norm = if be { btype.swap_bytes() } else { btype };
        if btype_norm == 6 && d.len() >= 28 {
            let caplen = rd(20) as usize;
            if caplen > blen.saturating_sub(32) {
                return Err(CaptureError::Corrupt {
                    offset,
                    what: format!(
                        "enhanced packet block: captured length {caplen} exceeds its block ({blen} bytes)"
                    ),
                });
            }
        }
        Ok(Some(blen))
    };
    let mut ifaces: Vec<Iface> = Vec::new();
    let mut handle = |block: PcapBlockOwned<'_>| -> Result<(), CaptureError> {
        let PcapBlockOwned::NG(block) = block else {
            return Ok(());
        };
        // (iface index, ts high, ts low, data, origlen)
        let (idx, high, low, data, origlen): (usize, u32, u32, &[u8], u32) = match block {
            Block::SectionHeader(shb) => {
                big_endian.set(shb.big_endian());
                ifaces.clear();
                return Ok(());
            }
            Block::InterfaceDescription(idb) => {
                let be = big_endian.get();
                // pcap-parser reads if_tsoffset little-endian only; decode it here.
                let mut offset_secs = 0i64;
                let mut resol = 6u8;
                for o in &idb.options {
                    let code: u16 = o.code.0;
                    if code == 9 && !o.value.is_empty() {
                        resol = o.value[0];
                    } else if code == 14 && o.value.len() >= 8 {
                        let mut b = [0u8; 8];
                        b.copy_from_slice(&o.value[..8]);
                        offset_secs = if be {
                            i64::from_be_bytes(b)
                        } else {
                            i64::from_le_bytes(b)
                        };
                    }
                }
                ifaces.push(Iface {
                    linktype: idb.linktype.0 as u32,
                    snaplen: idb.snaplen,
                    units: tsresol_units(resol).unwrap_or(1_000_000),
                    offset_secs,
                    reported: false,
                });
                return Ok(());
            }
            Block::EnhancedPacket(epb) => {
                let d = epb.data.get(..epb.caplen as usize).unwrap_or(epb.data);
                (epb.if_id as usize, epb.ts_high, epb.ts_low, d, epb.origlen)
            }
            Block::SimplePacket(spb) => {
                let mut n = spb.data.len().min(spb.origlen as usize);
                if let Some(i) = ifaces.first() {
                    if i.snaplen != 0 {
                        n = n.min(i.snaplen as usize);
                    }
                }
                (0, 0, 0, &spb.data[..n], spb.origlen)
            }
            Block::Unknown(ub) if ub.block_type == 2 || ub.block_type == 0x0200_0000 => {
                // Obsolete Packet Block: if_id u16, drops u16, ts high, ts low, caplen, len.
                let be = big_endian.get();
                let d = ub.data;
                if d.len() < 20 {
                    return Ok(());
                }
                let r16 = |at: usize| {
                    let b = [d[at], d[at + 1]];
                    if be {
                        u16::from_be_bytes(b)
                    } else {
                        u16::from_le_bytes(b)
                    }
                };
                let r32 = |at: usize| {
                    let b = [d[at], d[at + 1], d[at + 2], d[at + 3]];
                    if be {
                        u32::from_be_bytes(b)
                    } else {
                        u32::from_le_bytes(b)
                    }
                };
                let caplen = r32(12) as usize;
                let body = &d[20..];
                let data = body.get(..caplen).unwrap_or(body);
                (r16(0) as usize, r32(4), r32(8), data, r32(16))
            }
            _ => return Ok(()),
        };
        dec.stats.packets += 1;
        let frame = dec.stats.packets;
        let Some(iface) = ifaces.get_mut(idx) else {
            dec.malformed(
                sink,
                frame,
                0,
                format!("packet block refers to interface {idx}, which is not described"),
            );
            return Ok(());
        };
        let time = ng_time(iface, high, low);
        if !linktype_supported(iface.linktype) {
            dec.stats.unsupported_frames += 1;
            if !iface.reported {
                iface.reported = true;
                sink.event(&IngestEvent::UnsupportedLinkType {
                    frame,
                    linktype: iface.linktype,
                });
            }
            return Ok(());
        }
        let lt = iface.linktype;
        dec.frame(frame, time, data, origlen, lt, sink);
        Ok(())
    };
    let r = drive(&mut reader, err, &mut check, &mut handle);
    dec.stats.bytes = reader.consumed() as u64;
    r
}
