//! The digests of the IKE messages seen lately, in bounded memory: a repeat of a recent message
//! is a retransmission (kept slim) or, within 50 ms between the same addresses, a capture copy.
//!
//! Two generations of at most [`PER_GENERATION`] digests each: when the current one is full it
//! becomes the previous one and the oldest is dropped. A repeat of a message older than that (a
//! few tens of thousands of IKE messages before, e.g. in a flood) is no longer recognised here
//! and keeps its full details; reconstruction still tells it a retransmission (by its content), so
//! only memory is at stake, never a verdict.

use crate::record::Timestamp;
use foldhash::HashMap;
use std::net::IpAddr;

/// Digests per generation: fits 2^15 hash buckets (about 1.9 MB each, so both stay in cache);
/// far more than the IKE messages of the 50 ms in which a capture copy follows its original.
pub const PER_GENERATION: usize = 28_672;

/// When, between whom and with which TTL a message was last seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sighting {
    /// Capture time.
    pub time: Timestamp,
    /// Source address of that copy.
    pub src: IpAddr,
    /// Destination address of that copy.
    pub dst: IpAddr,
    /// TTL / hop limit.
    pub ttl: u8,
}

/// The recent digests (see the module documentation).
#[derive(Debug, Default)]
pub struct RecentDigests {
    current: HashMap<u64, Sighting>,
    previous: HashMap<u64, Sighting>,
}

impl RecentDigests {
    /// Note a message; returns the previous sighting of the same digest when it is recent.
    pub fn insert(&mut self, digest: u64, seen: Sighting) -> Option<Sighting> {
        if let Some(before) = self.current.insert(digest, seen) {
            return Some(before);
        }
        let before = self.previous.get(&digest).copied();
        if self.current.len() >= PER_GENERATION {
            // the previous generation is forgotten; its table is reused for the next one
            std::mem::swap(&mut self.current, &mut self.previous);
            self.current.clear();
        }
        before
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(t: i64) -> Sighting {
        Sighting {
            time: Timestamp(t),
            src: "192.0.2.1".parse().unwrap(),
            dst: "198.51.100.1".parse().unwrap(),
            ttl: 64,
        }
    }

    #[test]
    fn a_repeat_is_recognised_across_one_generation_not_two() {
        let mut d = RecentDigests::default();
        assert_eq!(d.insert(7, at(1)), None);
        assert_eq!(d.insert(7, at(2)), Some(at(1)));
        // fill the rest of the generation: 7 moves to the previous one and is still known
        for k in 1..PER_GENERATION as u64 {
            d.insert(1_000_000 + k, at(3));
        }
        assert_eq!(d.insert(7, at(4)), Some(at(2)));
        // two more generations later it is forgotten
        for k in 0..2 * PER_GENERATION as u64 {
            d.insert(10_000_000 + k, at(5));
        }
        assert_eq!(d.insert(7, at(6)), None);
        assert!(d.current.len() + d.previous.len() <= 2 * PER_GENERATION);
    }
}
