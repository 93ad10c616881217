//! Bounded ESP throughput series: a flow's bytes and packets in [`BUCKETS`] time buckets. The
//! buckets start one second wide, aligned to whole multiples of their width; when a packet falls
//! past the last bucket (or before the first, with no room to shift) the width doubles and
//! neighbours merge, so a flow holds a fixed amount of memory however long it runs, and two
//! series merge exactly (widths are powers of two seconds, starts multiples of them).

/// Buckets per series.
pub const BUCKETS: usize = 64;
/// Width of the first buckets.
const FIRST_WIDTH_NS: i128 = 1_000_000_000;
/// Widest bucket (about two years, so 64 of them span 140); packets of a wilder timestamp land in
/// an edge bucket.
const MAX_WIDTH_NS: i128 = FIRST_WIDTH_NS << 26;
/// Timestamps are clamped to ±2^62 ns (±146 years), so every start stays an `i64`.
const TIME_LIMIT_NS: i128 = 1 << 62;

/// Bytes and packets per time bucket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EspSeries {
    /// Start of the first bucket (nanoseconds since the epoch; a multiple of `width_ns`).
    pub origin_ns: i64,
    /// Bucket width in nanoseconds (one second times a power of two).
    pub width_ns: i64,
    /// ESP bytes per bucket.
    pub bytes: [u64; BUCKETS],
    /// ESP packets per bucket.
    pub packets: [u32; BUCKETS],
}

impl EspSeries {
    /// A series holding one packet.
    pub fn first(time_ns: i64, bytes: u64) -> EspSeries {
        let t = i128::from(time_ns).clamp(-TIME_LIMIT_NS, TIME_LIMIT_NS);
        let mut s = EspSeries {
            origin_ns: (t.div_euclid(FIRST_WIDTH_NS) * FIRST_WIDTH_NS) as i64,
            width_ns: FIRST_WIDTH_NS as i64,
            bytes: [0; BUCKETS],
            packets: [0; BUCKETS],
        };
        s.add_bulk(time_ns, bytes, 1);
        s
    }

    /// Count one packet.
    #[inline]
    pub fn add(&mut self, time_ns: i64, bytes: u64) {
        match self.bucket_of(time_ns) {
            Some(i) => {
                self.bytes[i] += bytes;
                self.packets[i] = self.packets[i].saturating_add(1);
            }
            None => self.add_bulk(time_ns, bytes, 1),
        }
    }

    /// The bucket a packet at `time_ns` lands in without widening, if any.
    #[inline]
    fn bucket_of(&self, time_ns: i64) -> Option<usize> {
        let d = time_ns.wrapping_sub(self.origin_ns);
        (d >= 0 && d < self.width_ns.saturating_mul(BUCKETS as i64)).then(|| (d / self.width_ns) as usize)
    }

    /// Read the bucket a packet at `time_ns` would update (its bytes and its packets), so that
    /// a caller can start several such cache misses before it depends on any.
    #[inline]
    pub fn touch(&self, time_ns: i64) -> u64 {
        self.bucket_of(time_ns)
            .map_or(0, |i| self.bytes[i] ^ u64::from(self.packets[i]))
    }

    /// Count `packets` packets of `bytes` in total at `time_ns`, widening the buckets as needed.
    pub fn add_bulk(&mut self, time_ns: i64, bytes: u64, packets: u32) {
        let t = i128::from(time_ns).clamp(-TIME_LIMIT_NS, TIME_LIMIT_NS);
        loop {
            let w = i128::from(self.width_ns);
            let o = i128::from(self.origin_ns);
            if t >= o {
                let i = (t - o) / w;
                if i < BUCKETS as i128 {
                    let i = i as usize;
                    self.bytes[i] = self.bytes[i].saturating_add(bytes);
                    self.packets[i] = self.packets[i].saturating_add(packets);
                    return;
                }
            } else {
                // Before the first bucket: shift right when the used buckets still fit.
                let new_origin = t.div_euclid(w) * w;
                let shift = ((o - new_origin) / w) as usize;
                let used = self.last_used().map_or(0, |u| u + 1);
                if used + shift <= BUCKETS {
                    self.bytes.copy_within(0..used, shift);
                    self.packets.copy_within(0..used, shift);
                    self.bytes[..shift.min(BUCKETS)].fill(0);
                    self.packets[..shift.min(BUCKETS)].fill(0);
                    self.origin_ns = new_origin as i64;
                    continue;
                }
            }
            if w >= MAX_WIDTH_NS {
                let i = if t < o { 0 } else { BUCKETS - 1 };
                self.bytes[i] = self.bytes[i].saturating_add(bytes);
                self.packets[i] = self.packets[i].saturating_add(packets);
                return;
            }
            self.coarsen();
        }
    }

    /// Double the bucket width, merging neighbours (the new start is a multiple of it).
    pub fn coarsen(&mut self) {
        let w = i128::from(self.width_ns);
        let o = i128::from(self.origin_ns);
        let nw = w * 2;
        let no = o.div_euclid(nw) * nw;
        let mut bytes = [0u64; BUCKETS];
        let mut packets = [0u32; BUCKETS];
        // The start is a multiple of the width, so it is 0 or 1 old buckets past the new start,
        // and old bucket i goes to new bucket (i + that) / 2: no division per bucket.
        let lead = (o - no) / w;
        let aligned = (o - no) % w == 0;
        for i in 0..BUCKETS {
            if self.packets[i] == 0 && self.bytes[i] == 0 {
                continue;
            }
            let j = if aligned {
                (i + lead as usize) / 2
            } else {
                ((o + i as i128 * w - no) / nw) as usize
            };
            bytes[j] = bytes[j].saturating_add(self.bytes[i]);
            packets[j] = packets[j].saturating_add(self.packets[i]);
        }
        *self = EspSeries {
            origin_ns: no as i64,
            width_ns: nw as i64,
            bytes,
            packets,
        };
    }

    /// Index of the last bucket with traffic.
    pub fn last_used(&self) -> Option<usize> {
        (0..BUCKETS)
            .rev()
            .find(|&i| self.packets[i] != 0 || self.bytes[i] != 0)
    }

    /// Fold in another series (of the same flow from another input, or of another flow).
    pub fn absorb(&mut self, other: &EspSeries) {
        while self.width_ns < other.width_ns {
            self.coarsen();
        }
        for i in 0..BUCKETS {
            if other.packets[i] != 0 || other.bytes[i] != 0 {
                let start = i128::from(other.origin_ns) + i as i128 * i128::from(other.width_ns);
                self.add_bulk(start as i64, other.bytes[i], other.packets[i]);
            }
        }
    }

    /// The buckets from the first to the last with traffic: the first one's start and the
    /// bytes and packets of each (`None` when empty).
    pub fn span(&self) -> Option<(i64, &[u64], &[u32])> {
        let first = (0..BUCKETS).find(|&i| self.packets[i] != 0 || self.bytes[i] != 0)?;
        let last = self.last_used()?;
        let start = self
            .origin_ns
            .saturating_add((first as i64).saturating_mul(self.width_ns));
        Some((start, &self.bytes[first..=last], &self.packets[first..=last]))
    }

    /// Buckets with traffic: (start in nanoseconds, bytes, packets).
    pub fn used(&self) -> impl Iterator<Item = (i64, u64, u32)> + '_ {
        (0..BUCKETS)
            .filter(|&i| self.packets[i] != 0 || self.bytes[i] != 0)
            .map(|i| {
                let start = self
                    .origin_ns
                    .saturating_add((i as i64).saturating_mul(self.width_ns));
                (start, self.bytes[i], self.packets[i])
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1_000_000_000;

    fn total(s: &EspSeries) -> (u64, u64) {
        s.used().fold((0, 0), |(b, p), x| (b + x.1, p + u64::from(x.2)))
    }

    #[test]
    fn one_second_buckets_until_full_then_wider() {
        let mut s = EspSeries::first(10 * S + 5, 100);
        for k in 1..64 {
            s.add((10 + k) * S, 100);
        }
        assert_eq!((s.width_ns, s.origin_ns), (S, 10 * S));
        assert_eq!(s.used().count(), 64);
        // 64 s after the start: the buckets double (origin 10 s stays a multiple of 2 s)
        s.add(74 * S, 100);
        assert_eq!((s.width_ns, s.origin_ns), (2 * S, 10 * S));
        assert_eq!(s.bytes[0], 200);
        assert_eq!(total(&s), (6500, 65));
        // a year later: many doublings, nothing lost
        s.add(365 * 86_400 * S, 1);
        assert_eq!(total(&s), (6501, 66));
        assert!(s.width_ns >= 365 * 86_400 * S / 64);
    }

    #[test]
    fn earlier_packets_shift_or_widen() {
        let mut s = EspSeries::first(100 * S, 10);
        s.add(90 * S, 10);
        assert_eq!((s.origin_ns, s.width_ns), (90 * S, S));
        assert_eq!((s.bytes[0], s.bytes[10]), (10, 10));
        s.add(0, 10);
        assert_eq!(total(&s), (30, 3));
        assert!(s.origin_ns <= 0);
        // hostile timestamps stay bounded and counted
        s.add(i64::MAX, 1);
        s.add(i64::MIN, 1);
        assert_eq!(total(&s), (32, 5));
    }

    #[test]
    fn coarsening_puts_each_bucket_where_its_start_time_belongs() {
        // origins even and odd multiples of the width, negative and positive
        for (k, width) in [
            (-7i64, S),
            (-6, S),
            (0, S),
            (3, S),
            (4, 2 * S),
            (5, 2 * S),
            (11, 1 << 40),
        ] {
            let mut s = EspSeries::first(k * width, 1);
            s.width_ns = width;
            s.origin_ns = k * width;
            for i in 0..BUCKETS {
                s.bytes[i] = (i as u64 * 37) % 11;
                s.packets[i] = (i as u32 * 13) % 5;
            }
            let before = s.clone();
            s.coarsen();
            assert_eq!(s.width_ns, 2 * width);
            assert_eq!(s.origin_ns.rem_euclid(2 * width), 0);
            let mut bytes = [0u64; BUCKETS];
            let mut packets = [0u32; BUCKETS];
            for i in 0..BUCKETS {
                let start = i128::from(before.origin_ns) + i as i128 * i128::from(width);
                let j = ((start - i128::from(s.origin_ns)) / i128::from(s.width_ns)) as usize;
                bytes[j] += before.bytes[i];
                packets[j] += before.packets[i];
            }
            assert_eq!((s.bytes, s.packets), (bytes, packets), "origin {k} x {width}");
        }
    }

    #[test]
    fn absorbing_series_of_two_inputs_is_exact() {
        let mut a = EspSeries::first(0, 1);
        let mut b = EspSeries::first(200 * S, 2);
        for k in 0..300 {
            b.add((200 + k) * S, 2);
        }
        a.absorb(&b);
        assert_eq!(total(&a), (1 + 2 + 600, 302));
        assert_eq!(a.width_ns, 8 * S);
        assert_eq!(a.bytes[0], 1);
    }
}
