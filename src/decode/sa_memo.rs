//! SA payloads decoded lately, by the digest of their bytes: a gateway sees the same offer again
//! and again (every peer of one configuration, every retransmission, every message of a flood),
//! and an identical SA payload decodes to identical proposals. A small direct-mapped table per
//! thread ([`SLOTS`] entries) keeps the last proposals decoded without a problem; a hit shares
//! them ([`Arc`]) instead of parsing the transforms and writing their summaries again.

use crate::record::Proposal;
use std::cell::RefCell;
use std::sync::Arc;

/// Entries per thread.
pub const SLOTS: usize = 64;

/// Identifies an SA payload's bytes: their 64-bit digest and length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SaKey {
    digest: u64,
    len: usize,
}

impl SaKey {
    /// The key of an SA payload body.
    pub fn of(body: &[u8]) -> SaKey {
        SaKey {
            digest: super::ike::digest64(body),
            len: body.len(),
        }
    }

    fn slot(self) -> usize {
        (self.digest % SLOTS as u64) as usize
    }
}

type Slots = Vec<Option<(SaKey, Arc<[Proposal]>)>>;

thread_local! {
    static MEMO: RefCell<Slots> = RefCell::new(vec![None; SLOTS]);
}

/// The proposals of an SA payload with these bytes, when decoded lately on this thread.
pub fn get(key: SaKey) -> Option<Arc<[Proposal]>> {
    MEMO.with(|m| match &m.borrow()[key.slot()] {
        Some((k, p)) if *k == key => Some(Arc::clone(p)),
        _ => None,
    })
}

/// Remember the proposals of an SA payload decoded without a problem.
pub fn put(key: SaKey, proposals: &Arc<[Proposal]>) {
    MEMO.with(|m| m.borrow_mut()[key.slot()] = Some((key, Arc::clone(proposals))));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_bytes_same_proposals_other_bytes_none() {
        let p: Arc<[Proposal]> = vec![Proposal {
            number: 1,
            ..Proposal::default()
        }]
        .into();
        let body = [0u8, 0, 0, 44, 1, 1, 0, 4];
        put(SaKey::of(&body), &p);
        assert!(get(SaKey::of(&body)).is_some_and(|got| Arc::ptr_eq(&got, &p)));
        assert!(get(SaKey::of(&body[..7])).is_none());
        assert!(get(SaKey::of(&[1u8, 0, 0, 44, 1, 1, 0, 4])).is_none());
    }
}
