//! Bounded IPv4/IPv6 fragment reassembly.
//!
//! Limits (all documented on the constants): at most [`MAX_LIVE`] datagrams under reassembly
//! (the oldest is evicted beyond that), at most [`MAX_DATAGRAM`] bytes per datagram, at most
//! [`MAX_FRAGMENTS`] fragments per datagram, at most [`MAX_TOTAL_BYTES`] buffered in all, and a
//! timeout of [`TIMEOUT_NS`] of capture time counted from the first fragment. Every datagram
//! that is dropped for any of these reasons, or still pending at the end of the file, is reported
//! as [`IngestEvent::IncompleteReassembly`] (unless it was found to be uninteresting UDP traffic).
//!
//! Overlaps: the bytes received first win; an exact duplicate fragment is ignored; a partial
//! overlap keeps the earlier bytes, fills only the gaps and is reported as
//! [`IngestEvent::Malformed`] for its frame.

use super::{DatagramSink, IngestEvent};
use crate::record::Timestamp;
use foldhash::HashMap;
use ikescope_parsers::ip;
use std::net::IpAddr;

/// Most datagrams under reassembly at once; the one with the oldest first fragment is evicted.
pub const MAX_LIVE: usize = 1024;
/// Largest reassembled payload (bytes after the IP header); IP cannot carry more without jumbograms.
pub const MAX_DATAGRAM: usize = 65535;
/// Most fragments accepted for one datagram.
pub const MAX_FRAGMENTS: usize = 256;
/// Most payload bytes buffered over all pending datagrams (oldest evicted beyond it).
pub const MAX_TOTAL_BYTES: usize = 32 << 20;
/// Reassembly timeout in capture time, counted from the first fragment seen (30 s).
pub const TIMEOUT_NS: i64 = 30_000_000_000;

/// Identifies one IP datagram being reassembled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct FragKey {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub id: u32,
    pub proto: u8,
}

/// One fragment to feed (only fully captured fragments are fed).
pub(crate) struct FragIn<'a> {
    pub key: FragKey,
    /// Offset of this fragment's data in the datagram payload, bytes.
    pub offset: usize,
    /// More fragments follow.
    pub more: bool,
    /// Fragment data (the whole fragment: fragments are fed only when fully captured).
    pub data: &'a [u8],
    /// Header bytes before the fragmentable part (IPv4 header; IPv6 header + unfragmentable
    /// extension headers), used for the reassembled datagram's total length.
    pub hdr_len: usize,
    pub frame: u64,
    pub time: Timestamp,
}

/// A datagram under reassembly (or just completed).
#[derive(Debug, Default)]
pub(crate) struct Entry {
    pub key: Option<FragKey>,
    pub first_time: Timestamp,
    pub first_frame: u64,
    /// Reassembled payload (valid where `ranges` cover it).
    pub data: Vec<u8>,
    /// Received byte ranges, sorted and merged.
    ranges: Vec<(usize, usize)>,
    /// (offset, frame) of each fragment accepted.
    parts: Vec<(usize, u64)>,
    /// Payload length, known once the last fragment arrived.
    pub total: Option<usize>,
    pub bytes_seen: usize,
    pub hdr_len: usize,
    pub ports: Option<(u16, u16)>,
    /// Known not to be IKE/ESP-related UDP: fragments are absorbed without keeping bytes.
    ignored: bool,
}

impl Entry {
    fn reset(&mut self) {
        self.key = None;
        self.data.clear();
        self.ranges.clear();
        self.parts.clear();
        self.total = None;
        self.bytes_seen = 0;
        self.hdr_len = 0;
        self.ports = None;
        self.ignored = false;
    }

    /// Fragment frames in payload-offset order (as tshark lists them).
    pub fn frames_into(&self, out: &mut Vec<u64>) {
        out.clear();
        let mut parts = self.parts.clone();
        parts.sort_unstable();
        out.extend(parts.iter().map(|p| p.1));
    }

    fn is_complete(&self) -> bool {
        match self.total {
            Some(t) => self.ranges.len() == 1 && self.ranges[0] == (0, t),
            None => false,
        }
    }

    fn incomplete_event(&self) -> IngestEvent {
        let key = self.key.expect("live entry has a key");
        let mut frames = Vec::new();
        self.frames_into(&mut frames);
        IngestEvent::IncompleteReassembly {
            frames,
            first_time: self.first_time,
            src: key.src,
            dst: key.dst,
            proto: key.proto,
            ports: self.ports,
            bytes_seen: self.bytes_seen as u32,
            total_len: self.total.map(|t| (t + self.hdr_len) as u32),
        }
    }
}

/// Outcome of feeding one fragment.
pub(crate) enum Fed {
    /// Stored; the datagram is not complete yet (or the fragment was dropped/ignored).
    Pending,
    /// The datagram is complete; give the entry back with [`Reassembler::recycle`] after use.
    Complete(Box<Entry>),
}

/// The second of capture time (since the epoch) `t` falls in.
#[inline]
fn second_of(t: Timestamp) -> i64 {
    t.0.div_euclid(1_000_000_000)
}

/// Fragment reassembly state of one input file.
pub(crate) struct Reassembler {
    live: HashMap<FragKey, Box<Entry>>,
    #[allow(clippy::vec_box)] // entries move between `live` and `spare` without copying
    spare: Vec<Box<Entry>>,
    total_bytes: usize,
    /// Latest capture time seen.
    now: Timestamp,
    /// Datagrams completed.
    pub completed: u64,
    /// Datagrams reported incomplete.
    pub incomplete: u64,
}

impl Reassembler {
    pub fn new() -> Self {
        Reassembler {
            live: HashMap::default(),
            spare: Vec::new(),
            total_bytes: 0,
            now: Timestamp(i64::MIN),
            completed: 0,
            incomplete: 0,
        }
    }

    /// The latest capture time seen.
    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// The second of capture time the latest time falls in: it changes exactly when [`tick`]
    /// checks for expired datagrams.
    ///
    /// [`tick`]: Reassembler::tick
    pub fn second(&self) -> i64 {
        second_of(self.now)
    }

    /// Number of datagrams pending.
    #[cfg(test)]
    pub fn live(&self) -> usize {
        self.live.len()
    }

    /// Advance capture time; expires datagrams older than the timeout. The check runs once per
    /// second of capture time, at the first frame whose time enters a new second (so it is cheap
    /// per packet, and when it runs depends only on the frames' times, not on what is pending:
    /// a reader that skips frames it knows are not fragments can replay the same checks at the
    /// moments [`Reassembler::second`] changes).
    #[inline]
    pub fn tick(&mut self, now: Timestamp, sink: &mut dyn DatagramSink) {
        if now <= self.now {
            return;
        }
        let new_second = second_of(now) != second_of(self.now);
        self.now = now;
        if !new_second || self.live.is_empty() {
            return;
        }
        let limit = self.now.0.saturating_sub(TIMEOUT_NS);
        let expired: Vec<FragKey> = self
            .live
            .iter()
            .filter(|(_, e)| e.first_time.0 < limit)
            .map(|(k, _)| *k)
            .collect();
        self.drop_keys(expired, sink);
    }

    fn drop_keys(&mut self, keys: Vec<FragKey>, sink: &mut dyn DatagramSink) {
        let mut entries: Vec<Box<Entry>> = keys.iter().filter_map(|k| self.live.remove(k)).collect();
        entries.sort_by_key(|e| e.first_frame);
        for e in entries {
            self.report_and_recycle(e, sink);
        }
    }

    fn report_and_recycle(&mut self, e: Box<Entry>, sink: &mut dyn DatagramSink) {
        self.total_bytes = self.total_bytes.saturating_sub(e.data.len());
        if !e.ignored {
            self.incomplete += 1;
            sink.event(&e.incomplete_event());
        }
        self.recycle_inner(e);
    }

    fn recycle_inner(&mut self, mut e: Box<Entry>) {
        e.reset();
        if self.spare.len() < 16 {
            if e.data.capacity() > 4 * 65536 {
                e.data = Vec::new();
            }
            self.spare.push(e);
        }
    }

    /// Give back a completed entry so its buffers are reused.
    pub fn recycle(&mut self, e: Box<Entry>) {
        self.recycle_inner(e);
    }

    /// Report everything still pending (end of file), oldest first.
    pub fn flush(&mut self, sink: &mut dyn DatagramSink) {
        let keys: Vec<FragKey> = self.live.keys().copied().collect();
        self.drop_keys(keys, sink);
        self.total_bytes = 0;
    }

    fn evict_oldest(&mut self, sink: &mut dyn DatagramSink) {
        let oldest = self
            .live
            .iter()
            .min_by_key(|(_, e)| (e.first_time, e.first_frame))
            .map(|(k, _)| *k);
        if let Some(k) = oldest {
            self.drop_keys(vec![k], sink);
        }
    }

    /// Feed one fully captured fragment. `interesting(sport, dport)` tells whether UDP ports are
    /// IKE/NAT-T ports; UDP datagrams on other ports are absorbed without buffering.
    pub fn feed(
        &mut self,
        f: FragIn<'_>,
        interesting: &dyn Fn(u16, u16) -> bool,
        sink: &mut dyn DatagramSink,
    ) -> Fed {
        let end = f.offset + f.data.len();
        if end > MAX_DATAGRAM {
            sink.event(&IngestEvent::Malformed {
                frame: f.frame,
                offset: 0,
                what: format!(
                    "IP fragment at offset {} with {} bytes ends beyond the 65535-byte datagram limit; dropped",
                    f.offset,
                    f.data.len()
                ),
            });
            return Fed::Pending;
        }
        if !self.live.contains_key(&f.key) {
            if self.live.len() >= MAX_LIVE {
                self.evict_oldest(sink);
            }
            let mut e = self.spare.pop().unwrap_or_default();
            e.key = Some(f.key);
            e.first_time = f.time;
            e.first_frame = f.frame;
            e.hdr_len = f.hdr_len;
            self.live.insert(f.key, e);
        }
        let e = self.live.get_mut(&f.key).expect("just inserted");

        // Ports / interest from the first fragment.
        if f.offset == 0 {
            e.hdr_len = f.hdr_len;
            if f.key.proto == ip::proto::UDP && f.data.len() >= 4 {
                let sp = u16::from_be_bytes([f.data[0], f.data[1]]);
                let dp = u16::from_be_bytes([f.data[2], f.data[3]]);
                e.ports = Some((sp, dp));
                if !interesting(sp, dp) && !e.ignored {
                    e.ignored = true;
                    self.total_bytes = self.total_bytes.saturating_sub(e.data.len());
                    e.data = Vec::new();
                }
            }
        }
        if !f.more {
            match e.total {
                Some(t) if t != end => {
                    sink.event(&IngestEvent::Malformed {
                        frame: f.frame,
                        offset: 0,
                        what: format!(
                            "IP fragments disagree on the datagram length ({t} vs {end}); the first one is kept"
                        ),
                    });
                }
                Some(_) => {}
                None => e.total = Some(end),
            }
        }
        // Already covered completely (duplicate)?
        let covered = e.ranges.iter().any(|&(s, t)| s <= f.offset && end <= t);
        if covered && !f.data.is_empty() {
            return Fed::Pending;
        }
        if e.parts.len() >= MAX_FRAGMENTS {
            let e = self.live.remove(&f.key).expect("live");
            sink.event(&IngestEvent::Malformed {
                frame: f.frame,
                offset: 0,
                what: format!("more than {MAX_FRAGMENTS} fragments for one IP datagram; dropped"),
            });
            self.report_and_recycle(e, sink);
            return Fed::Pending;
        }
        let overlaps = e.ranges.iter().any(|&(s, t)| f.offset < t && s < end);
        e.parts.push((f.offset, f.frame));
        if !e.ignored {
            if e.data.len() < end {
                self.total_bytes += end - e.data.len();
                e.data.resize(end, 0);
            }
            // Copy only into gaps: earlier bytes win.
            let mut pos = f.offset;
            for &(s, t) in e.ranges.iter() {
                if t <= pos {
                    continue;
                }
                if s >= end {
                    break;
                }
                if s > pos {
                    e.data[pos..s].copy_from_slice(&f.data[pos - f.offset..s - f.offset]);
                }
                pos = pos.max(t);
                if pos >= end {
                    break;
                }
            }
            if pos < end {
                e.data[pos..end].copy_from_slice(&f.data[pos - f.offset..]);
            }
        }
        // Merge the range.
        add_range(&mut e.ranges, f.offset, end);
        e.bytes_seen = e.ranges.iter().map(|&(s, t)| t - s).sum();
        if overlaps {
            sink.event(&IngestEvent::Malformed {
                frame: f.frame,
                offset: 0,
                what: format!(
                    "IP fragment bytes {}..{} overlap earlier fragments; earlier bytes kept",
                    f.offset, end
                ),
            });
        }
        if let Some(t) = e.total {
            if e.ranges.last().is_some_and(|r| r.1 > t) {
                let e = self.live.remove(&f.key).expect("live");
                sink.event(&IngestEvent::Malformed {
                    frame: f.frame,
                    offset: 0,
                    what: "IP fragment data beyond the last fragment's end; datagram dropped".into(),
                });
                self.report_and_recycle(e, sink);
                return Fed::Pending;
            }
        }
        if e.is_complete() {
            let e = self.live.remove(&f.key).expect("live");
            self.total_bytes = self.total_bytes.saturating_sub(e.data.len());
            if e.ignored {
                self.recycle_inner(e);
                return Fed::Pending;
            }
            self.completed += 1;
            return Fed::Complete(e);
        }
        if self.total_bytes > MAX_TOTAL_BYTES {
            while self.total_bytes > MAX_TOTAL_BYTES && !self.live.is_empty() {
                self.evict_oldest(sink);
            }
        }
        Fed::Pending
    }
}

fn add_range(ranges: &mut Vec<(usize, usize)>, s: usize, t: usize) {
    ranges.push((s, t));
    ranges.sort_unstable();
    let mut out = 0;
    for i in 1..ranges.len() {
        if ranges[i].0 <= ranges[out].1 {
            ranges[out].1 = ranges[out].1.max(ranges[i].1);
        } else {
            out += 1;
            ranges[out] = ranges[i];
        }
    }
    ranges.truncate(out + 1);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::Datagram;
    use std::net::Ipv4Addr;

    #[derive(Default)]
    struct Events(Vec<IngestEvent>);
    impl DatagramSink for Events {
        fn datagram(&mut self, _d: &Datagram<'_>) {}
        fn event(&mut self, e: &IngestEvent) {
            self.0.push(e.clone());
        }
    }

    fn key() -> FragKey {
        FragKey {
            src: IpAddr::V4(Ipv4Addr::new(1, 2, 3, 4)),
            dst: IpAddr::V4(Ipv4Addr::new(5, 6, 7, 8)),
            id: 7,
            proto: 17,
        }
    }

    fn frag(offset: usize, more: bool, data: &[u8], frame: u64) -> FragIn<'_> {
        FragIn {
            key: key(),
            offset,
            more,
            data,
            hdr_len: 20,
            frame,
            time: Timestamp(frame as i64 * 1_000_000_000),
        }
    }

    #[test]
    fn out_of_order_and_overlap() {
        let mut r = Reassembler::new();
        let mut ev = Events::default();
        let all = |_: u16, _: u16| true;
        let a: Vec<u8> = (0..16).collect();
        assert!(matches!(
            r.feed(frag(8, false, &a[8..], 1), &all, &mut ev),
            Fed::Pending
        ));
        // overlapping middle, different bytes: earlier bytes must win
        let junk = [0xEEu8; 8];
        assert!(matches!(
            r.feed(frag(4, true, &junk, 2), &all, &mut ev),
            Fed::Pending
        ));
        match r.feed(frag(0, true, &a[..8], 3), &all, &mut ev) {
            Fed::Complete(e) => {
                assert_eq!(&e.data[..4], &a[..4]);
                assert_eq!(&e.data[4..8], &[0xEE; 4]);
                assert_eq!(&e.data[8..], &a[8..]);
                let mut f = Vec::new();
                e.frames_into(&mut f);
                assert_eq!(f, vec![3, 2, 1]);
                r.recycle(e);
            }
            Fed::Pending => panic!("should complete"),
        }
        assert_eq!(r.live(), 0);
    }

    #[test]
    fn expiry_and_flush() {
        let mut r = Reassembler::new();
        let mut ev = Events::default();
        let all = |_: u16, _: u16| true;
        let a = [0u8, 0x01, 0x11, 0x94, 0, 0, 0, 0];
        r.feed(frag(0, true, &a, 1), &all, &mut ev);
        r.tick(Timestamp(40_000_000_000), &mut ev);
        assert_eq!(r.live(), 0);
        assert!(matches!(
            &ev.0[0],
            IngestEvent::IncompleteReassembly { frames, ports: Some((1, 4500)), .. } if frames == &vec![1]
        ));
        let mut k2 = frag(0, true, &a, 50);
        k2.key.id = 9;
        r.feed(k2, &all, &mut ev);
        r.flush(&mut ev);
        assert_eq!(ev.0.len(), 2);
    }

    #[test]
    fn eviction_bound() {
        let mut r = Reassembler::new();
        let mut ev = Events::default();
        let all = |_: u16, _: u16| true;
        let a = [0u8; 8];
        for i in 0..(MAX_LIVE as u32 + 10) {
            let mut f = frag(0, true, &a, i as u64 + 1);
            f.key.id = i;
            r.feed(f, &all, &mut ev);
        }
        assert_eq!(r.live(), MAX_LIVE);
        assert_eq!(ev.0.len(), 10);
    }
}
