//! Per-packet ESP flow accounting, laid out for the hot path: gateway captures are mostly ESP,
//! every packet updates one flow, and with thousands of interleaved flows each update is a cache
//! miss (its slot, then its series' header, then one bucket); this table reads those lines for
//! a batch of packets ahead, stage by stage, so that their misses overlap ([`EspTable::flush`]).
//!
//! IPv4 flows live in an open-addressing table of cache-line-aligned slots (72 bytes, so two
//! lines): the key (destination, SPI) packed in a `u64`, the source to check, and the
//! per-packet counters, so finding the flow and updating it touch the same lines. What only the
//! first packet writes (first time and frame, UDP encapsulation) is kept aside. IPv6 flows, an IPv4 (destination,
//! SPI) that another source already uses, and the impossible-in-practice cases the packing
//! cannot hold go to an exact map keyed by the whole (source, destination, SPI).

use super::collect::{EspFlow, EspKey, FrameRef};
use super::esp_series::EspSeries;
use crate::decode::EspSample;
use crate::record::Timestamp;
use foldhash::HashMap;
use std::hash::BuildHasher;
use std::net::{IpAddr, Ipv4Addr};

/// What each packet updates.
#[derive(Clone, Copy, Debug, Default)]
struct Counters {
    packets: u64,
    bytes: u64,
    /// Latest time (nanoseconds).
    last: i64,
    /// Latest position: file index << 48 | frame.
    last_pos: u64,
    seq_gaps: u64,
    max_seq: u32,
    last_seq: u32,
    seq_resets: u32,
}

/// Position of a frame, ordered like (file, frame).
fn pos(file: usize, frame: u64) -> Option<u64> {
    (file < 1 << 16 && frame < 1 << 48).then_some(((file as u64) << 48) | frame)
}

impl Counters {
    fn first(s: &EspSample, at: u64) -> Counters {
        Counters {
            packets: 1,
            bytes: u64::from(s.esp.length),
            last: s.time.0,
            last_pos: at,
            seq_gaps: 0,
            max_seq: s.esp.seq,
            last_seq: s.esp.seq,
            seq_resets: 0,
        }
    }

    #[inline]
    fn count(&mut self, s: &EspSample, at: u64) {
        let seq = s.esp.seq;
        self.step_to(seq);
        self.packets += 1;
        self.bytes += u64::from(s.esp.length);
        self.last = self.last.max(s.time.0);
        self.last_pos = self.last_pos.max(at);
        self.max_seq = self.max_seq.max(seq);
        self.last_seq = seq;
    }

    /// Continue these counters with those of the same flow's packets that came next, the first
    /// of which had sequence number `next_first_seq`.
    fn join(&mut self, next: &Counters, next_first_seq: u32) {
        self.step_to(next_first_seq);
        self.absorb(next);
        self.last_seq = next.last_seq;
    }

    /// The next packet after the latest one has sequence number `seq`: the numbers skipped are
    /// gaps, a number not above the latest one is a reset.
    #[inline]
    fn step_to(&mut self, seq: u32) {
        if seq > self.last_seq {
            self.seq_gaps += u64::from(seq - self.last_seq - 1);
        } else {
            self.seq_resets = self.seq_resets.saturating_add(1);
        }
    }

    fn absorb(&mut self, o: &Counters) {
        self.packets += o.packets;
        self.bytes += o.bytes;
        self.last = self.last.max(o.last);
        self.last_pos = self.last_pos.max(o.last_pos);
        self.seq_gaps += o.seq_gaps;
        self.max_seq = self.max_seq.max(o.max_seq);
        self.seq_resets = self.seq_resets.saturating_add(o.seq_resets);
    }
}

/// One IPv4 flow, aligned to a cache line (its counters spill into a second one).
#[derive(Clone, Copy, Debug, Default)]
#[repr(align(64))]
struct Slot {
    /// Destination << 32 | SPI; 0 = empty (SPI 0 is reserved and never keyed here).
    key: u64,
    src: u32,
    /// Index of the flow's throughput series in [`EspTable::series`].
    series: u32,
    c: Counters,
}

impl Slot {
    /// The (source, destination, SPI) of the flow in this slot.
    fn flow_key(&self) -> EspKey {
        EspKey(
            IpAddr::V4(Ipv4Addr::from(self.src)),
            IpAddr::V4(Ipv4Addr::from((self.key >> 32) as u32)),
            self.key as u32,
        )
    }
}

/// What the first packet of a flow writes.
#[derive(Clone, Copy, Debug)]
struct Cold {
    udp_encap: bool,
    first: Timestamp,
    first_frame: FrameRef,
    /// Sequence number of the first packet (to join a flow counted in two parts of a capture,
    /// see [`EspTable::append_later`]).
    first_seq: u32,
}

/// Packets gathered before their slots are looked up together.
const BATCH: usize = 16;

/// The packed key of an IPv4 flow: destination << 32 | SPI.
#[inline]
fn packed_key(dst: Ipv4Addr, spi: u32) -> u64 {
    (u64::from(u32::from(dst)) << 32) | u64::from(spi)
}

/// The packed key of a packet between IPv4 addresses.
#[inline]
fn v4_key(s: &EspSample) -> Option<u64> {
    match (s.src, s.dst) {
        (IpAddr::V4(_), IpAddr::V4(dst)) => Some(packed_key(dst, s.esp.spi)),
        _ => None,
    }
}

/// ESP flows by (source, destination, SPI).
#[derive(Debug, Default)]
pub struct EspTable {
    /// Packets not counted yet (see [`EspTable::flush`]).
    batch: Vec<EspSample>,
    slots: Vec<Slot>,
    used: usize,
    cold_v4: HashMap<(u64, u32), Cold>,
    /// Throughput series of the IPv4 slots (kept apart: a packet touches its series' one
    /// bucket, not the whole series, and the slots stay small).
    series: Vec<EspSeries>,
    exact: HashMap<EspKey, (Counters, Cold, EspSeries)>,
    /// This table's secret hash seed: keys come from the capture, and a fixed hash would let a
    /// crafted one make every flow collide (each insert then walks all the others).
    hasher: foldhash::fast::RandomState,
}

impl EspTable {
    /// Number of flows (after [`EspTable::flush`]).
    pub fn len(&self) -> usize {
        self.used + self.exact.len()
    }

    /// No flow yet and no packet waiting in the batch.
    pub fn is_empty(&self) -> bool {
        self.len() == 0 && self.batch.is_empty()
    }

    #[inline]
    fn home(&self, key: u64) -> usize {
        // The hash's top bits index a power-of-two table.
        let bits = self.slots.len().trailing_zeros();
        (self.hasher.hash_one(key) >> (64 - bits)) as usize
    }

    /// The longest walk from a flow's home slot to where it sits (what a lookup costs at worst).
    #[cfg(test)]
    fn longest_probe(&self) -> usize {
        let mask = self.slots.len() - 1;
        (0..self.slots.len())
            .filter(|&i| self.slots[i].key != 0)
            .map(|i| i.wrapping_sub(self.home(self.slots[i].key)) & mask)
            .max()
            .unwrap_or(0)
    }

    /// The slot holding `key`, or the empty slot where it goes.
    #[inline]
    fn probe(&self, key: u64) -> usize {
        let mask = self.slots.len() - 1;
        let mut i = self.home(key);
        loop {
            let k = self.slots[i].key;
            if k == key || k == 0 {
                return i;
            }
            i = (i + 1) & mask;
        }
    }

    fn grow(&mut self) {
        let cap = (self.slots.len() * 2).max(1024);
        let old = std::mem::replace(&mut self.slots, vec![Slot::default(); cap]);
        for s in old.into_iter().filter(|s| s.key != 0) {
            let i = self.probe(s.key);
            self.slots[i] = s;
        }
    }

    /// The IPv4 slot for (dst, spi) from `src`: `Ok(index)` of the flow, `Err(index)` of the
    /// empty slot to fill, or `None` when the exact map must take it.
    #[inline]
    fn v4_slot(&mut self, s: &EspSample) -> Option<Result<usize, usize>> {
        let (IpAddr::V4(src), IpAddr::V4(dst)) = (s.src, s.dst) else {
            return None;
        };
        if s.esp.spi == 0 {
            return None;
        }
        if (self.used + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let i = self.probe(packed_key(dst, s.esp.spi));
        let slot = &self.slots[i];
        if slot.key == 0 {
            Some(Err(i))
        } else if slot.src == u32::from(src) {
            Some(Ok(i))
        } else {
            None
        }
    }

    /// Count one packet (in a batch: see [`EspTable::flush`]).
    #[inline]
    pub fn add(&mut self, s: &EspSample) {
        self.batch.push(*s);
        if self.batch.len() >= BATCH {
            self.flush();
        }
    }

    /// Count the batched packets. Their slots are first read together: the loads do not depend
    /// on each other, so the processor overlaps their cache misses instead of waiting for each
    /// packet's in turn.
    pub fn flush(&mut self) {
        let batch = std::mem::take(&mut self.batch);
        while (self.used + batch.len()) * 2 > self.slots.len() {
            self.grow();
        }
        // Each stage's loads are independent of each other and depend only on lines the
        // stage before brought in: the slots, then their series' headers, then the buckets.
        let mut touched = 0u64;
        for s in &batch {
            if let Some(key) = v4_key(s) {
                touched ^= self.slots[self.home(key)].key;
            }
        }
        let mut series = [u32::MAX; BATCH];
        for (s, series) in batch.iter().zip(series.iter_mut()) {
            if let Some(key) = v4_key(s) {
                let slot = &self.slots[self.probe(key)];
                if slot.key == key {
                    *series = slot.series;
                    touched ^= self.series[slot.series as usize].origin_ns as u64;
                }
            }
        }
        for (s, &series) in batch.iter().zip(series.iter()) {
            if let Some(series) = self.series.get(series as usize) {
                touched ^= series.touch(s.time.0);
            }
        }
        std::hint::black_box(touched);
        for s in &batch {
            self.add_one(s);
        }
        self.batch = batch;
        self.batch.clear();
    }

    fn add_one(&mut self, s: &EspSample) {
        let Some(at) = pos(s.file_index, s.frame) else {
            return self.add_exact(s, u64::MAX);
        };
        match self.v4_slot(s) {
            Some(Ok(i)) => {
                let slot = &mut self.slots[i];
                slot.c.count(s, at);
                self.series[slot.series as usize].add(s.time.0, u64::from(s.esp.length));
            }
            Some(Err(i)) => {
                let (IpAddr::V4(src), Some(key)) = (s.src, v4_key(s)) else {
                    unreachable!("v4_slot checked")
                };
                self.slots[i] = Slot {
                    key,
                    src: u32::from(src),
                    series: self.series.len() as u32,
                    c: Counters::first(s, at),
                };
                self.series
                    .push(EspSeries::first(s.time.0, u64::from(s.esp.length)));
                self.used += 1;
                self.cold_v4.insert((key, u32::from(src)), cold_of(s));
            }
            None => self.add_exact(s, at),
        }
    }

    fn add_exact(&mut self, s: &EspSample, at: u64) {
        let key = EspKey(s.src, s.dst, s.esp.spi);
        match self.exact.get_mut(&key) {
            Some((c, _, series)) => {
                c.count(s, at);
                series.add(s.time.0, u64::from(s.esp.length));
            }
            None => {
                let series = EspSeries::first(s.time.0, u64::from(s.esp.length));
                self.exact
                    .insert(key, (Counters::first(s, at), cold_of(s), series));
            }
        }
    }

    /// Fold in a whole flow counted elsewhere (another input file on another core).
    pub fn absorb(&mut self, key: EspKey, f: EspFlow) {
        self.flush();
        let c = Counters {
            packets: f.packets,
            bytes: f.bytes,
            last: f.last.0,
            last_pos: pos(f.last_frame.file, f.last_frame.frame).unwrap_or(u64::MAX),
            seq_gaps: f.seq_gaps,
            max_seq: f.max_seq,
            last_seq: f.last_seq,
            seq_resets: u32::try_from(f.seq_resets).unwrap_or(u32::MAX),
        };
        let cold = Cold {
            udp_encap: f.udp_encap,
            first: f.first,
            first_frame: f.first_frame,
            // Not kept for a whole flow; only `append_later` reads it, on flows of one capture
            // counted in parts, never on absorbed ones.
            first_seq: f.last_seq,
        };
        // Merging is rare (once per flow per extra input): the exact map holds merged flows,
        // and `into_flows` folds a flow present in both halves.
        match self.exact.get_mut(&key) {
            Some((mine, my_cold, series)) => {
                mine.absorb(&c);
                series.absorb(&f.series);
                if cold.first < my_cold.first {
                    *my_cold = cold;
                }
            }
            None => {
                self.exact.insert(key, (c, cold, f.series));
            }
        }
    }

    /// Append the flows of the part of the same capture that comes right after this one, whose
    /// frames were numbered from 1 within that part: they are renumbered after this part's
    /// `frames_before` frames, and a flow seen in both parts comes out exactly as if one table
    /// had counted both parts in order (the sequence-number step from this part's last packet
    /// to the later part's first one included).
    pub fn append_later(&mut self, later: EspTable, frames_before: u64) {
        self.flush();
        for (key, (mut c, mut cold, series)) in later.into_entries() {
            if c.last_pos != u64::MAX {
                c.last_pos += frames_before;
            }
            cold.first_frame.frame += frames_before;
            if let Some(i) = self.v4_slot_of(&key) {
                let slot = &mut self.slots[i];
                slot.c.join(&c, cold.first_seq);
                self.series[slot.series as usize].absorb(&series);
                continue;
            }
            match self.exact.get_mut(&key) {
                Some((mine, _, my_series)) => {
                    mine.join(&c, cold.first_seq);
                    my_series.absorb(&series);
                }
                None => {
                    self.exact.insert(key, (c, cold, series));
                }
            }
        }
    }

    /// The IPv4 slot that holds exactly this flow, if any.
    fn v4_slot_of(&self, key: &EspKey) -> Option<usize> {
        let (IpAddr::V4(src), IpAddr::V4(dst)) = (key.0, key.1) else {
            return None;
        };
        if key.2 == 0 || self.slots.is_empty() {
            return None;
        }
        let packed = packed_key(dst, key.2);
        let i = self.probe(packed);
        (self.slots[i].key == packed && self.slots[i].src == u32::from(src)).then_some(i)
    }

    /// Every flow with its counters, first-packet facts and series (slots and exact map alike).
    fn into_entries(mut self) -> Vec<(EspKey, (Counters, Cold, EspSeries))> {
        self.flush();
        let mut out: Vec<_> = self.exact.drain().collect();
        for s in self.slots.iter().filter(|s| s.key != 0) {
            let Some(cold) = self.cold_v4.get(&(s.key, s.src)) else {
                continue;
            };
            let Some(series) = self.series.get(s.series as usize) else {
                continue;
            };
            out.push((s.flow_key(), (s.c, *cold, series.clone())));
        }
        out
    }

    /// The flows, in no particular order (a flow counted in both halves comes out once).
    pub fn into_flows(mut self) -> impl Iterator<Item = (EspKey, EspFlow)> {
        self.flush();
        let EspTable {
            slots,
            mut cold_v4,
            mut exact,
            series: all_series,
            ..
        } = self;
        // Slot flows go straight into the list; only a flow also in the exact map (a merge of
        // inputs) is folded there, so the map does not grow (and rehash) with every flow.
        let mut entries = Vec::with_capacity(slots.len() / 2 + exact.len());
        for s in slots.into_iter().filter(|s| s.key != 0) {
            let key = s.flow_key();
            let Some(cold) = cold_v4.remove(&(s.key, s.src)) else {
                continue;
            };
            let Some(series) = all_series.get(s.series as usize) else {
                continue;
            };
            match exact.get_mut(&key) {
                Some((mine, my_cold, my_series)) => {
                    mine.absorb(&s.c);
                    my_series.absorb(series);
                    if cold.first < my_cold.first {
                        *my_cold = cold;
                    }
                }
                None => entries.push((key, (s.c, cold, series.clone()))),
            }
        }
        entries.extend(exact);
        entries.into_iter().map(|(key, (c, cold, series))| {
            let last_frame = if c.last_pos == u64::MAX {
                cold.first_frame
            } else {
                FrameRef {
                    file: (c.last_pos >> 48) as usize,
                    frame: c.last_pos & ((1 << 48) - 1),
                }
            };
            (
                key,
                EspFlow {
                    spi: key.2,
                    src: key.0,
                    dst: key.1,
                    udp_encap: cold.udp_encap,
                    packets: c.packets,
                    bytes: c.bytes,
                    first: cold.first,
                    first_frame: cold.first_frame,
                    last: Timestamp(c.last),
                    last_frame,
                    max_seq: c.max_seq,
                    last_seq: c.last_seq,
                    seq_gaps: c.seq_gaps,
                    seq_resets: u64::from(c.seq_resets),
                    series,
                },
            )
        })
    }
}

fn cold_of(s: &EspSample) -> Cold {
    Cold {
        udp_encap: s.esp.udp_encap,
        first: s.time,
        first_frame: FrameRef {
            file: s.file_index,
            frame: s.frame,
        },
        first_seq: s.esp.seq,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::EspInfo;

    fn sample(src: &str, dst: &str, spi: u32, seq: u32, frame: u64) -> EspSample {
        EspSample {
            file_index: 0,
            frame,
            time: Timestamp(frame as i64 * 1000),
            src: src.parse().unwrap(),
            dst: dst.parse().unwrap(),
            esp: EspInfo {
                spi,
                seq,
                udp_encap: true,
                length: 100,
                decrypted: None,
                decryption: None,
            },
            fragmented: false,
        }
    }

    fn flows(t: EspTable) -> Vec<(EspKey, u64, u64, u32, u64, u64)> {
        let mut v: Vec<_> = t
            .into_flows()
            .map(|(k, f)| (k, f.packets, f.bytes, f.max_seq, f.seq_gaps, f.last_frame.frame))
            .collect();
        v.sort_by_key(|x| x.0);
        v
    }

    #[test]
    fn crafted_keys_do_not_pile_up_in_one_place() {
        // Keys whose Fibonacci hash (key * 0x9E37_79B9_7F4A_7C15) shares its top 20 bits: with an
        // unkeyed multiplicative hash they all share one home slot at every table size up to
        // 2^20, and each insert walks past all the earlier ones (quadratic). A capture can
        // carry any (destination, SPI), so the table's hash must be seeded.
        const FIB_INVERSE: u64 = 0xF1DE_83E1_9937_733D; // 0x9E37_79B9_7F4A_7C15⁻¹ mod 2^64
        assert_eq!(FIB_INVERSE.wrapping_mul(0x9E37_79B9_7F4A_7C15), 1);
        let mut t = EspTable::default();
        let n = 20_000u64;
        for r in 1..=n {
            let key = ((0xABCDEu64 << 44) | (r << 8)).wrapping_mul(FIB_INVERSE);
            let dst = std::net::Ipv4Addr::from((key >> 32) as u32);
            let spi = (key as u32).max(1);
            t.add(&sample("192.0.2.1", &dst.to_string(), spi, 1, r));
        }
        t.flush();
        assert_eq!(t.len(), n as usize);
        // a seeded hash spreads them like any keys: at half load the longest walk is a few
        // dozen slots (here it would be close to 20,000 otherwise)
        assert!(t.longest_probe() < 200, "longest probe {}", t.longest_probe());
    }

    #[test]
    fn counts_per_flow_and_keeps_sources_apart() {
        let mut t = EspTable::default();
        let mut frame = 0;
        // 3000 flows (forces growth), two packets each, the second skipping one sequence number
        for round in 0..2u32 {
            for i in 0..3000u32 {
                frame += 1;
                let dst = format!("10.0.{}.{}", i / 256, i % 256);
                t.add(&sample("192.0.2.1", &dst, 1000 + i, 1 + 2 * round, frame));
            }
        }
        // same (dst, SPI) from another source, IPv6, and SPI 0: exact path
        t.add(&sample("192.0.2.9", "10.0.0.0", 1000, 7, 9001));
        t.add(&sample("2001:db8::1", "2001:db8::2", 5, 1, 9002));
        t.add(&sample("2001:db8::1", "2001:db8::2", 5, 2, 9003));
        t.add(&sample("192.0.2.1", "10.9.9.9", 0, 1, 9004));
        t.flush();
        assert_eq!(t.len(), 3003);
        let v = flows(t);
        assert_eq!(v.len(), 3003);
        let first = v
            .iter()
            .find(|x| x.0 == EspKey("192.0.2.1".parse().unwrap(), "10.0.0.0".parse().unwrap(), 1000))
            .unwrap();
        assert_eq!(
            (first.1, first.2, first.3, first.4, first.5),
            (2, 200, 3, 1, 3001)
        );
        let other = v
            .iter()
            .find(|x| x.0 == EspKey("192.0.2.9".parse().unwrap(), "10.0.0.0".parse().unwrap(), 1000))
            .unwrap();
        assert_eq!((other.1, other.5), (1, 9001));
        let v6 = v.iter().find(|x| x.0 .2 == 5).unwrap();
        assert_eq!((v6.1, v6.4, v6.5), (2, 0, 9003));
        assert!(v.iter().any(|x| x.0 .2 == 0));
    }

    #[test]
    fn absorb_merges_a_flow_seen_in_two_inputs() {
        let mut a = EspTable::default();
        a.add(&sample("192.0.2.1", "198.51.100.1", 7, 1, 1));
        let mut b = EspTable::default();
        let mut s = sample("192.0.2.1", "198.51.100.1", 7, 5, 4);
        s.file_index = 1;
        b.add(&s);
        for (k, f) in b.into_flows() {
            a.absorb(k, f);
        }
        let v: Vec<_> = a.into_flows().collect();
        assert_eq!(v.len(), 1);
        let f = &v[0].1;
        assert_eq!((f.packets, f.bytes, f.max_seq), (2, 200, 5));
        assert_eq!((f.first_frame.file, f.first_frame.frame), (0, 1));
        assert_eq!((f.last_frame.file, f.last_frame.frame), (1, 4));
    }
}
