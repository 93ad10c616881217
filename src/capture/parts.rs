//! One uncompressed pcap file read in parts, each on a thread of its own (reading by offset),
//! with the same result as one reader from start to end.
//!
//! A gateway capture is mostly ESP, and an ESP packet only adds to its flow's counters: those
//! are counted where they are read ([`PlainPcap::read_part`] hands them to the caller).
//! Every other frame — IKE, keepalives, ICMP errors, traffic in the clear, malformed frames, IP
//! fragments — is passed on, with its bytes, in a [`PartBatch`], to a single
//! [`Replayer`] that decodes the parts' passed-on frames in capture order with one packet
//! decoder, so reassembly and every stateful step see exactly the sequence they would have seen
//! from one reader.
//!
//! ESP that arrives in IP fragments is counted by the part too (its own reassembler completes
//! the datagram), and the replayer, reassembling the same fragments in order, checks that it
//! completes the same datagram at the same frame ([`Replayer::diverged`] says when it did not:
//! a datagram whose fragments straddle two parts, or a reassembler that had to drop pending
//! datagrams; the caller then reads the file the ordinary way).
//!
//! Where a part starts: part *k* looks for a record boundary just after the *k*/*n* point of the
//! file (a run of plausible record headers, not on an IP fragment) and publishes it in [`Cuts`].
//! The part before stops when its own walk from record to record lands on that offset; if the
//! walk passes it instead (the boundary found was not a real one) or stops on a broken record
//! first, it reads on to the end itself and the replayer ignores the later parts. Whatever the
//! threads' timing, the frames read are those of the single walk from the file header.
//!
//! Frames are numbered within their part; the replayer adds the frames of the parts before.

use super::file::{LegacyFormat, LegacyFrames};
use super::packet::PacketDecoder;
use super::plain::{record_len, PlainPcap, Window};
use super::{
    CaptureError, ClearPacket, Content, Datagram, DatagramSink, IngestEvent, IngestOptions, InputStats,
};
use crate::record::Timestamp;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

/// A part's start offset not published yet.
const UNKNOWN: u64 = u64::MAX;
/// The part found no record boundary to start at: the part before reads on.
const NO_CUT: u64 = u64::MAX - 1;
/// How far past its nominal start a part looks for a record boundary.
const SEARCH: usize = 1 << 20;
/// Consecutive plausible record headers (or fewer ending exactly at the end of the file) that
/// make a boundary.
const CHAIN: usize = 8;
/// Records between two looks at the cancel flag.
const CANCEL_CHECK: u64 = 4096;
/// Bytes of passed-on frames a part may have waiting for the replayer; past that, frames are
/// passed on by their place in the file only.
const AHEAD_BYTES: usize = 8 << 20;
/// Environment variable that replaces [`AHEAD_BYTES`] (tests pass every frame on by its place
/// with 0).
pub const AHEAD_BYTES_VAR: &str = "IKESCOPE_PARTS_AHEAD_BYTES";

/// The bound on waiting bytes per part.
fn ahead_bytes() -> usize {
    std::env::var(AHEAD_BYTES_VAR)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(AHEAD_BYTES)
}
/// A batch is handed over when it holds this many items…
const BATCH_ITEMS: usize = 1024;
/// …or this many bytes of passed-on frames.
const BATCH_BYTES: usize = 256 << 10;
/// Longest frame a capture plausibly holds (jumbo frames and offloaded segments included), when
/// looking for a record boundary.
const MAX_FRAME: u32 = 1 << 18;

/// Where each part starts, as the parts find out (shared by the part readers).
pub struct Cuts {
    starts: Vec<AtomicU64>,
    /// Bytes of passed-on frames each part has handed over and the replayer not yet replayed.
    queued: Vec<AtomicUsize>,
    /// Set when the parts' results are no longer wanted.
    cancelled: AtomicBool,
}

impl Cuts {
    /// `parts` parts, none started.
    pub fn new(parts: usize) -> Cuts {
        Cuts {
            starts: (0..parts.max(1)).map(|_| AtomicU64::new(UNKNOWN)).collect(),
            queued: (0..parts.max(1)).map(|_| AtomicUsize::new(0)).collect(),
            cancelled: AtomicBool::new(false),
        }
    }

    /// Number of parts.
    pub fn len(&self) -> usize {
        self.starts.len()
    }

    /// Never: there is at least one part.
    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    /// Tell the part readers to stop early: their results will not be used.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }

    fn cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }

    /// A batch of part `index` has been replayed: its bytes no longer wait.
    pub fn replayed(&self, index: usize, batch: &PartBatch) {
        if let Some(q) = self.queued.get(index) {
            q.fetch_sub(
                batch.bytes.len().min(q.load(Ordering::Relaxed)),
                Ordering::Relaxed,
            );
        }
    }

    fn queued(&self, index: usize) -> usize {
        self.queued.get(index).map_or(0, |q| q.load(Ordering::Relaxed))
    }

    fn handed_over(&self, index: usize, batch: &PartBatch) {
        if let Some(q) = self.queued.get(index) {
            q.fetch_add(batch.bytes.len(), Ordering::Relaxed);
        }
    }
}

/// A frame a part reader did not keep, or a moment the replayer must see.
#[derive(Clone, Copy, Debug)]
pub enum PartItem {
    /// Decode this frame: its number within the part, its time, where its captured bytes are
    /// in the batch, and its original length.
    Frame {
        /// 1-based frame number within the part.
        frame: u64,
        /// Frame timestamp.
        time: Timestamp,
        /// Where the captured bytes are: in [`PartBatch`]'s bytes, or (when the part had too
        /// many bytes waiting) only in the file.
        at: FrameBytes,
        /// Captured length.
        len: u32,
        /// Original length on the wire.
        origlen: u32,
        /// The ESP packet this frame completed from IP fragments, which the part counted: the
        /// replayer must complete the same one here, and leaves it uncounted.
        counted: Option<EspPacket>,
    },
    /// The part's frames entered a new second of capture time at this frame time (pending IP
    /// reassemblies are checked for expiry at these moments).
    NewSecond(Timestamp),
}

/// Where a passed-on frame's captured bytes are.
#[derive(Clone, Copy, Debug)]
pub enum FrameBytes {
    /// At this offset of the batch's bytes.
    InBatch(usize),
    /// Only in the file, at this offset: the replayer reads them again.
    InFile(u64),
}

/// Passed-on items, with the captured bytes of their frames, as a part reader hands them over.
#[derive(Debug, Default)]
pub struct PartBatch {
    items: Vec<PartItem>,
    bytes: Vec<u8>,
}

impl PartBatch {
    /// Items held.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Nothing held.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Empty it, keeping its memory for the next batch.
    pub fn clear(&mut self) {
        self.items.clear();
        self.bytes.clear();
    }

    fn full(&self) -> bool {
        self.items.len() >= BATCH_ITEMS || self.bytes.len() >= BATCH_BYTES
    }
}

/// An ESP packet a part reader kept: what its flow's counters need.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EspPacket {
    /// 1-based frame number within the part.
    pub frame: u64,
    /// Frame timestamp.
    pub time: Timestamp,
    /// IP source.
    pub src: IpAddr,
    /// IP destination.
    pub dst: IpAddr,
    /// SPI.
    pub spi: u32,
    /// Sequence number.
    pub seq: u32,
    /// Bytes of ESP.
    pub length: u32,
    /// Carried in UDP (NAT traversal).
    pub udp_encap: bool,
}

impl EspPacket {
    /// The ESP packet a datagram carries, if it carries one.
    pub fn of(d: &Datagram<'_>) -> Option<EspPacket> {
        let Content::Esp {
            ports,
            spi,
            seq,
            length,
            ..
        } = d.content
        else {
            return None;
        };
        Some(EspPacket {
            frame: d.frame,
            time: d.time,
            src: d.src,
            dst: d.dst,
            spi,
            seq,
            length,
            udp_encap: ports.is_some(),
        })
    }
}

/// How a part's reading ended.
#[derive(Debug)]
pub enum PartEnd {
    /// On the record where the next part starts.
    AtNextPart,
    /// At the end of the file, or on a framing problem (`Err`): the parts after this one are
    /// not used.
    Last(Result<(), CaptureError>),
    /// The part found no record boundary to start at and read nothing; or it was cancelled.
    NotRead,
}

/// What one part reader read.
#[derive(Debug)]
pub struct PartResult {
    /// Frames read (kept or passed on).
    pub frames: u64,
    /// Offset where reading stopped: the next part's start, the end of the file, or the broken
    /// record.
    pub end_offset: u64,
    /// The counters of the frames the part kept (its passed-on frames are counted by the
    /// replayer).
    pub kept: InputStats,
    /// How it ended.
    pub end: PartEnd,
}

/// Watches what the packet decoder makes of one frame: a frame that gives one ESP packet and
/// nothing else is counted by the part; anything else is passed on.
#[derive(Default)]
struct FrameProbe {
    esp: Option<EspPacket>,
    pass_on: bool,
    fragment: bool,
}

impl FrameProbe {
    fn reset(&mut self) {
        *self = FrameProbe::default();
    }
}

impl DatagramSink for FrameProbe {
    fn datagram(&mut self, d: &Datagram<'_>) {
        match EspPacket::of(d) {
            Some(p) if self.esp.is_none() => self.esp = Some(p),
            _ => self.pass_on = true,
        }
    }
    fn clear(&mut self, _p: &ClearPacket<'_>) {
        self.pass_on = true;
    }
    fn event(&mut self, e: &IngestEvent) {
        // The part's own reassembler gives up on datagrams the replayer's also tracks: only the
        // replayer's reports count.
        if !matches!(e, IngestEvent::IncompleteReassembly { .. }) {
            self.pass_on = true;
        }
    }
    fn fragment(&mut self) {
        self.fragment = true;
    }
}

impl PlainPcap {
    /// Whether this capture can be read in parts: its frames are of a link type this tool
    /// decodes (otherwise there is nothing to share out).
    pub fn splittable(&self) -> bool {
        super::packet::linktype_supported(self.format().linktype)
    }

    /// Read part `index` of `cuts.len()`: ESP packets go to `esp`; every other frame (and each
    /// new second of capture time) is passed on, in capture order, in batches handed to
    /// `hand_over`, which returns an empty batch to fill next (a recycled one saves allocating
    /// its memory again).
    pub fn read_part(
        &self,
        index: usize,
        cuts: &Cuts,
        opts: &IngestOptions,
        esp: &mut dyn FnMut(&EspPacket),
        hand_over: &mut dyn FnMut(PartBatch) -> PartBatch,
    ) -> PartResult {
        let mut window = self.window();
        let format = self.format();
        let start = if index == 0 {
            Some(self.first_record())
        } else {
            let nominal = (self.len() / cuts.len() as u64 * index as u64).max(self.first_record());
            self.find_boundary(&mut window, nominal, opts)
        };
        if let Some(slot) = cuts.starts.get(index) {
            slot.store(start.unwrap_or(NO_CUT), Ordering::Release);
        }
        let Some(mut offset) = start else {
            return PartResult {
                frames: 0,
                end_offset: 0,
                kept: InputStats::default(),
                end: PartEnd::NotRead,
            };
        };
        let next = cuts.starts.get(index + 1);
        let mut passed_next = next.is_none();
        let mut dec = PacketDecoder::announcing_fragments(&opts.ike_ports, opts.window);
        let mut frames = LegacyFrames::new(format);
        let mut probe = FrameProbe::default();
        let mut batch = PartBatch::default();
        let ahead = ahead_bytes();
        let end = loop {
            if !passed_next {
                if let Some(n) = next {
                    match n.load(Ordering::Acquire) {
                        UNKNOWN => {}
                        NO_CUT => passed_next = true,
                        cut if offset == cut => break PartEnd::AtNextPart,
                        cut if offset > cut => passed_next = true,
                        _ => {}
                    }
                }
            }
            if dec.stats.packets % CANCEL_CHECK == 0 && cuts.cancelled() {
                break PartEnd::NotRead;
            }
            let remaining = window.remaining(offset);
            if remaining == 0 {
                break PartEnd::Last(Ok(()));
            }
            let len = match window
                .at(offset, format.rec_hdr)
                .map_err(CaptureError::Io)
                .and_then(|head| record_len(&format, head, remaining, offset))
            {
                Ok(len) => len,
                Err(e) => break PartEnd::Last(Err(e)),
            };
            let record = match window.at(offset, len) {
                Ok(r) => r,
                Err(e) => break PartEnd::Last(Err(CaptureError::Io(e))),
            };
            let before = dec.stats.clone();
            let second = dec.reasm.second();
            let (time, origlen, data) =
                decode_record(&format, &mut frames, &mut dec, &mut probe, &record[..len]);
            let frame = dec.stats.packets;
            if probe.pass_on || probe.fragment {
                // The replayer decodes it again and counts it (but for a reassembled ESP
                // packet, counted here).
                let counted = if probe.pass_on { None } else { probe.esp };
                if let Some(p) = &counted {
                    esp(p);
                }
                dec.stats = InputStats {
                    packets: frame,
                    ..before
                };
                // Bytes travel with the item while little waits; beyond that the replayer reads
                // them from the file again, so a part far ahead holds little memory.
                let at = if cuts.queued(index) + batch.bytes.len() < ahead {
                    let at = FrameBytes::InBatch(batch.bytes.len());
                    batch.bytes.extend_from_slice(data);
                    at
                } else {
                    FrameBytes::InFile(offset + format.rec_hdr as u64)
                };
                batch.items.push(PartItem::Frame {
                    frame,
                    time,
                    at,
                    len: data.len() as u32,
                    origlen,
                    counted,
                });
            } else {
                // The replayer's reassembler checks for expired datagrams where this part's
                // did (it decodes the passed-on frames itself).
                if dec.reasm.second() != second {
                    batch.items.push(PartItem::NewSecond(dec.reasm.now()));
                }
                if let Some(p) = &probe.esp {
                    esp(p);
                }
            }
            if batch.full() {
                let full = std::mem::take(&mut batch);
                cuts.handed_over(index, &full);
                batch = hand_over(full);
            }
            offset += len as u64;
        };
        if !batch.is_empty() {
            cuts.handed_over(index, &batch);
            hand_over(batch);
        }
        PartResult {
            frames: dec.stats.packets,
            end_offset: offset,
            kept: dec.stats,
            end,
        }
    }

    /// The first offset at or after `nominal` where a run of plausible record headers starts,
    /// moved on past records that are IP fragments (so that a fragmented datagram is rarely
    /// split between two parts).
    fn find_boundary(&self, window: &mut Window<'_>, nominal: u64, opts: &IngestOptions) -> Option<u64> {
        /// Records skipped at most to leave a run of fragments.
        const MAX_FRAGMENT_SKIP: usize = 64;
        let format = self.format();
        let span = SEARCH + CHAIN * (format.rec_hdr + MAX_FRAME as usize);
        let reaches_end = window.remaining(nominal) <= span as u64;
        let bytes = window.at(nominal, span).ok()?;
        let search = bytes.len().min(SEARCH);
        let mut at = (0..search).find(|&at| plausible_run(&format, bytes, at, reaches_end))?;
        let mut dec = PacketDecoder::announcing_fragments(&opts.ike_ports, opts.window);
        let mut frames = LegacyFrames::new(format);
        let mut probe = FrameProbe::default();
        for _ in 0..MAX_FRAGMENT_SKIP {
            let rest = &bytes[at..];
            let remaining = rest.len() as u64;
            let Ok(len) = record_len(&format, rest, remaining, nominal + at as u64) else {
                break;
            };
            decode_record(&format, &mut frames, &mut dec, &mut probe, &rest[..len]);
            if !probe.fragment {
                break;
            }
            at += len;
        }
        Some(nominal + at as u64)
    }

    /// A reader that decodes the parts' passed-on frames in order.
    pub fn replayer(&self, opts: &IngestOptions) -> Replayer<'_> {
        Replayer {
            window: self.window(),
            linktype: self.format().linktype,
            dec: PacketDecoder::new(&opts.ike_ports, opts.window),
            frames_before: 0,
            diverged: false,
        }
    }
}

/// Decode one record (its header and captured bytes) while `probe` watches; returns its time,
/// original length and captured bytes.
fn decode_record<'r>(
    format: &LegacyFormat,
    frames: &mut LegacyFrames,
    dec: &mut PacketDecoder,
    probe: &mut FrameProbe,
    record: &'r [u8],
) -> (Timestamp, u32, &'r [u8]) {
    let (head, data) = record.split_at(format.rec_hdr);
    let (ts_sec, ts_frac, origlen) = (
        format.field(head, 0),
        format.field(head, 4),
        format.field(head, 12),
    );
    probe.reset();
    frames.record(dec, probe, ts_sec, ts_frac, origlen, data);
    (format.time(ts_sec, ts_frac), origlen, data)
}

/// Whether [`CHAIN`] records (or fewer ending exactly at the end of `bytes`, when `bytes` reaches
/// the end of the file) starting at `at` all look like real record headers: a fraction of a
/// second below one second, a captured length no larger than the original one, and lengths a
/// capture could hold.
fn plausible_run(format: &LegacyFormat, bytes: &[u8], mut at: usize, reaches_end: bool) -> bool {
    let frac_limit = if format.nanos { 1_000_000_000 } else { 1_000_000 };
    for _ in 0..CHAIN {
        let Some(head) = bytes.get(at..at + format.rec_hdr) else {
            return false;
        };
        let (frac, caplen, origlen) = (
            format.field(head, 4),
            format.field(head, 8),
            format.field(head, 12),
        );
        if frac >= frac_limit || caplen > origlen || origlen > MAX_FRAME || caplen == 0 {
            return false;
        }
        at += format.rec_hdr + caplen as usize;
        if at == bytes.len() {
            return reaches_end;
        }
        if at > bytes.len() {
            return false;
        }
    }
    true
}

/// Decodes the frames the part readers passed on, part after part, with one packet decoder.
pub struct Replayer<'f> {
    /// Reads the frames passed on by their place in the file.
    window: Window<'f>,
    linktype: u32,
    dec: PacketDecoder,
    frames_before: u64,
    diverged: bool,
}

/// Between the replayer's decoder and the real sink: leaves out the reassembled ESP packet a
/// part already counted, and notes whether it was there.
struct SkipCounted<'a> {
    sink: &'a mut dyn DatagramSink,
    counted: EspPacket,
    seen: bool,
}

impl DatagramSink for SkipCounted<'_> {
    fn datagram(&mut self, d: &Datagram<'_>) {
        if !self.seen && d.fragment_frames.is_some() && EspPacket::of(d) == Some(self.counted) {
            self.seen = true;
            return;
        }
        self.sink.datagram(d);
    }
    fn clear(&mut self, p: &ClearPacket<'_>) {
        self.sink.clear(p);
    }
    fn event(&mut self, e: &IngestEvent) {
        self.sink.event(e);
    }
}

impl Replayer<'_> {
    /// Decode a batch of the current part; `counted` is told each reassembled ESP packet the
    /// part counted and this replayer completed the same way (numbered in the whole capture).
    pub fn replay(
        &mut self,
        batch: &PartBatch,
        sink: &mut dyn DatagramSink,
        counted: &mut dyn FnMut(&EspPacket),
    ) {
        for item in &batch.items {
            if let Some(p) = self.replay_item(item, &batch.bytes, sink) {
                counted(&p);
            }
        }
    }

    fn replay_item(
        &mut self,
        item: &PartItem,
        bytes: &[u8],
        sink: &mut dyn DatagramSink,
    ) -> Option<EspPacket> {
        match *item {
            PartItem::Frame {
                frame,
                time,
                at,
                len,
                origlen,
                counted,
            } => {
                let data = match at {
                    FrameBytes::InBatch(at) => bytes.get(at..at + len as usize).unwrap_or(&[]),
                    // the part read these bytes a moment ago; reading them again only fails if
                    // the file changed meanwhile
                    FrameBytes::InFile(offset) => match self.window.at(offset, len as usize) {
                        Ok(b) => b.get(..len as usize).unwrap_or(b),
                        Err(_) => {
                            self.diverged = true;
                            &[]
                        }
                    },
                };
                let frame = self.frames_before + frame;
                let Some(counted) = counted else {
                    self.dec.frame(frame, time, data, origlen, self.linktype, sink);
                    return None;
                };
                let renumbered = EspPacket {
                    frame: counted.frame + self.frames_before,
                    ..counted
                };
                let mut skip = SkipCounted {
                    sink,
                    counted: renumbered,
                    seen: false,
                };
                self.dec
                    .frame(frame, time, data, origlen, self.linktype, &mut skip);
                if skip.seen {
                    Some(renumbered)
                } else {
                    self.diverged = true;
                    None
                }
            }
            PartItem::NewSecond(t) => {
                self.dec.reasm.tick(t, sink);
                None
            }
        }
    }

    /// Whether a part counted a reassembled ESP packet this replayer did not complete the same
    /// way: the parts' counts are then not those of a single reader.
    pub fn diverged(&self) -> bool {
        self.diverged
    }

    /// The current part has been replayed (it read `frames` frames): the next part's frames
    /// come after them.
    pub fn next_part(&mut self, frames: u64) {
        self.frames_before += frames;
    }

    /// The end of the read, after the last part used: `parts` are the results of the parts used,
    /// in order (the last one's end says how reading ended). Reports a framing problem and
    /// pending reassemblies as a single reader would, and returns the input's counters.
    pub fn finish(
        mut self,
        parts: Vec<PartResult>,
        sink: &mut dyn DatagramSink,
    ) -> Result<InputStats, CaptureError> {
        let mut result = Ok(());
        self.dec.stats.packets = parts.iter().map(|p| p.frames).sum();
        for p in parts {
            add_counts(&mut self.dec.stats, &p.kept);
            self.dec.stats.bytes = p.end_offset;
            if let PartEnd::Last(Err(e)) = p.end {
                result = Err(e);
            }
        }
        super::file::finish_read(self.dec, result, sink)
    }
}

/// Add the per-kind counters of `kept` to `into` (frames and bytes are set by the caller).
fn add_counts(into: &mut InputStats, kept: &InputStats) {
    into.ike_packets += kept.ike_packets;
    into.esp_packets += kept.esp_packets;
    into.malformed += kept.malformed;
    into.nat_keepalives += kept.nat_keepalives;
    into.icmp_errors += kept.icmp_errors;
    into.truncated_frames += kept.truncated_frames;
    into.unsupported_frames += kept.unsupported_frames;
    into.ip_fragments += kept.ip_fragments;
    into.reassembled += kept.reassembled;
    into.outside_window += kept.outside_window;
}
