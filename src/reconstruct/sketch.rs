//! Bounded summaries of a stream of source addresses: how many distinct ones (a HyperLogLog
//! estimate) and which send the most (a space-saving heavy-hitter table). Both take constant
//! memory whatever the number of sources, and both merge (one per input file, combined).

use serde::Serialize;
use std::net::IpAddr;

/// Registers of the distinct-count estimate: 2^10, standard error about 3.3 %.
const HLL_BITS: u32 = 10;
const HLL_REGISTERS: usize = 1 << HLL_BITS;

/// A 64-bit hash of an address (splitmix64 over its bytes), spread well enough for the estimate.
fn address_hash(a: IpAddr) -> u64 {
    let (hi, lo) = match a {
        IpAddr::V4(v) => (4u64, u64::from(u32::from(v))),
        IpAddr::V6(v) => {
            let x = u128::from(v);
            ((x >> 64) as u64 ^ 6, x as u64)
        }
    };
    let mix = |x: u64| {
        let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    mix(mix(hi) ^ lo)
}

/// Estimate of the number of distinct addresses seen (HyperLogLog with the small-range
/// correction: exact-looking for a handful, within a few per cent for millions).
#[derive(Clone, Debug)]
pub struct DistinctAddresses {
    registers: Box<[u8; HLL_REGISTERS]>,
}

impl Default for DistinctAddresses {
    fn default() -> Self {
        DistinctAddresses {
            registers: Box::new([0; HLL_REGISTERS]),
        }
    }
}

impl DistinctAddresses {
    /// Count one address.
    pub fn add(&mut self, a: IpAddr) {
        let h = address_hash(a);
        let slot = (h >> (64 - HLL_BITS)) as usize;
        let rank = ((h << HLL_BITS) | (1 << (HLL_BITS - 1))).leading_zeros() as u8 + 1;
        if self.registers[slot] < rank {
            self.registers[slot] = rank;
        }
    }

    /// Fold another estimate in (the union of both streams).
    pub fn merge(&mut self, other: &DistinctAddresses) {
        for (a, b) in self.registers.iter_mut().zip(other.registers.iter()) {
            *a = (*a).max(*b);
        }
    }

    /// The estimate, rounded.
    pub fn estimate(&self) -> u64 {
        let m = HLL_REGISTERS as f64;
        let sum: f64 = self.registers.iter().map(|&r| 2f64.powi(-i32::from(r))).sum();
        let raw = 0.7213 / (1.0 + 1.079 / m) * m * m / sum;
        let zeros = self.registers.iter().filter(|&&r| r == 0).count();
        let est = if raw <= 2.5 * m && zeros > 0 {
            m * (m / zeros as f64).ln()
        } else {
            raw
        };
        est.round() as u64
    }
}

/// Number of counters of the heavy-hitter table (the report shows the first ten).
pub const TOP_COUNTERS: usize = 64;

/// A source dominates when it sends more than 1/20 (5 %) of the attempts.
pub const DOMINANT_SHARE: u64 = 20;

/// One heavy-hitter counter: the address, its count, and by how much the count may overstate
/// it (a counter taken over from an evicted address inherits that address's count).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct TopSource {
    /// The address.
    pub address: IpAddr,
    /// Attempts counted for it (an upper bound).
    pub count: u64,
    /// Maximum overcount: `count - overcount` is a lower bound.
    pub overcount: u64,
}

/// Space-saving heavy hitters (Metwally et al.): any address sending more than 1/64 of the
/// stream is in the table, with its count within the stated overcount.
#[derive(Clone, Debug, Default)]
pub struct TopSources {
    counters: Vec<TopSource>,
}

impl TopSources {
    /// Count `n` for an address.
    pub fn add(&mut self, address: IpAddr, n: u64) {
        if let Some(c) = self.counters.iter_mut().find(|c| c.address == address) {
            c.count += n;
            return;
        }
        if self.counters.len() < TOP_COUNTERS {
            self.counters.push(TopSource {
                address,
                count: n,
                overcount: 0,
            });
            return;
        }
        if let Some(min) = self.counters.iter_mut().min_by_key(|c| c.count) {
            let floor = min.count;
            *min = TopSource {
                address,
                count: floor + n,
                overcount: floor,
            };
        }
    }

    /// Fold another table in.
    pub fn merge(&mut self, other: &TopSources) {
        for c in &other.counters {
            if let Some(mine) = self.counters.iter_mut().find(|m| m.address == c.address) {
                mine.count += c.count;
                mine.overcount += c.overcount;
            } else {
                self.counters.push(*c);
            }
        }
        self.counters
            .sort_by(|a, b| b.count.cmp(&a.count).then(a.address.cmp(&b.address)));
        self.counters.truncate(TOP_COUNTERS);
    }

    /// The sources certainly above 1/[`DOMINANT_SHARE`] of `total` (their count less the
    /// overcount still is), largest first. Every source above 1/[`TOP_COUNTERS`] is among the
    /// counters, so none above that share is missed.
    pub fn dominant(&self, total: u64) -> Vec<TopSource> {
        let floor = total / DOMINANT_SHARE;
        let mut v = self.ranked();
        v.retain(|t| t.count - t.overcount > floor);
        v
    }

    /// The counters, largest first (ties by address).
    pub fn ranked(&self) -> Vec<TopSource> {
        let mut v = self.counters.clone();
        v.sort_by(|a, b| b.count.cmp(&a.count).then(a.address.cmp(&b.address)));
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    #[test]
    fn distinct_estimate_is_close() {
        let mut d = DistinctAddresses::default();
        assert_eq!(d.estimate(), 0);
        for _ in 0..3 {
            d.add(IpAddr::V4(Ipv4Addr::new(203, 0, 113, 7)));
        }
        assert_eq!(d.estimate(), 1);
        let mut big = DistinctAddresses::default();
        for i in 0..200_000u32 {
            big.add(IpAddr::V6(Ipv6Addr::from(0x2001_0db8_u128 << 96 | u128::from(i))));
        }
        let e = big.estimate() as f64;
        assert!((e - 200_000.0).abs() / 200_000.0 < 0.1, "estimate {e}");
        let mut half = DistinctAddresses::default();
        for i in 0..100_000u32 {
            half.add(IpAddr::V6(Ipv6Addr::from(0x2001_0db8_u128 << 96 | u128::from(i))));
        }
        half.merge(&big);
        assert_eq!(half.estimate(), big.estimate());
    }

    #[test]
    fn heavy_hitter_survives_a_stream_of_singletons() {
        let mut t = TopSources::default();
        let heavy = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 9));
        for i in 0..10_000u32 {
            t.add(
                IpAddr::V6(Ipv6Addr::from(0x2001_0db8_u128 << 96 | u128::from(i))),
                1,
            );
            if i % 10 == 0 {
                t.add(heavy, 1);
            }
        }
        let top = t.ranked();
        assert_eq!(top[0].address, heavy);
        assert!(top[0].count - top[0].overcount <= 1_000 && top[0].count >= 1_000);
        assert_eq!(top.len(), TOP_COUNTERS);
    }
}
