//! Answered IKEv2 liveness checks (empty INFORMATIONAL exchanges, RFC 7296 §1.4) folded into a
//! count instead of kept message by message.
//!
//! A healthy tunnel sends one every few seconds for as long as it is up: a day of DPD on 5,000
//! tunnels is tens of millions of messages, and keeping each would make memory grow with the
//! capture, not with the live state. What the analysis reads of them is kept: for each IKE SA
//! the first answered check and the latest answered one (the SA was alive then), every check
//! that went unanswered or was retransmitted (the DPD and no_response evidence), and the number
//! of answered checks folded in between.

use crate::record::{Record, Spi8};
use foldhash::HashMap;
use ikescope_parsers::iana::{ExchangeType, IkeVersion, PayloadType};
use std::net::IpAddr;

/// A liveness request waiting for its answer: (SPIi, SPIr, message ID, requester).
type PendingKey = (Spi8, Spi8, u32, IpAddr);

/// Per IKE SA: whether the first answered pair was kept, the latest answered pair, the count
/// of pairs folded away.
#[derive(Debug, Default)]
struct SaFold {
    first_kept: bool,
    last: Option<(Record, Record)>,
    folded: u64,
}

/// The folding state of one input.
#[derive(Debug, Default)]
pub struct LivenessFold {
    pending: HashMap<PendingKey, Record>,
    sas: HashMap<(Spi8, Spi8), SaFold>,
}

/// True for an IKEv2 INFORMATIONAL whose protected body is empty (a liveness check or its
/// answer), known from decryption or from the SK payload's next-payload field.
pub fn is_liveness(r: &Record) -> bool {
    let Some(ike) = r.ike.as_deref() else {
        return false;
    };
    let empty = match &ike.decrypted {
        Some(d) => d.payloads.is_empty(),
        None => ike.sk_inner_first == Some(PayloadType::NONE) && ike.fragment.is_none(),
    };
    ike.ike_version() == Some(IkeVersion::V2)
        && ike.exchange == ExchangeType::INFORMATIONAL
        && empty
        && r.problems.is_empty()
}

impl LivenessFold {
    /// Take a liveness message (see [`is_liveness`]); `repeat` = a bitwise copy was seen before.
    /// What must be kept now is appended to `out`.
    pub fn offer(&mut self, r: Record, repeat: bool, out: &mut Vec<Record>) {
        let Some(ike) = r.ike.as_deref() else {
            out.push(r);
            return;
        };
        let requester = if ike.response { r.dst } else { r.src };
        let key = (ike.spi_i, ike.spi_r, ike.message_id, requester);
        if !ike.response {
            if repeat || self.pending.contains_key(&key) {
                // Retransmitted: this check is evidence, keep all of it (also when it repeats
                // the latest answered check: its answer was lost on the way back).
                if let Some(first) = self.pending.remove(&key) {
                    out.push(first);
                } else if let Some(sa) = self.sas.get_mut(&(key.0, key.1)) {
                    let latest = sa.last.as_ref().and_then(|(q, _)| q.ike.as_deref());
                    if latest.is_some_and(|q| q.message_id == key.2) {
                        let (q, a) = sa.last.take().expect("checked");
                        out.push(q);
                        out.push(a);
                    }
                }
                out.push(r);
            } else {
                self.pending.insert(key, r);
            }
            return;
        }
        let Some(request) = (!repeat).then(|| self.pending.remove(&key)).flatten() else {
            out.push(r);
            return;
        };
        let sa = self.sas.entry((key.0, key.1)).or_default();
        if !sa.first_kept {
            sa.first_kept = true;
            out.push(request);
            out.push(r);
        } else if sa.last.replace((request, r)).is_some() {
            sa.folded += 1;
        }
    }

    /// End of input: everything still held goes to `out`; returns the folded count per IKE SA
    /// (SPIi, SPIr).
    pub fn finish(&mut self, out: &mut Vec<Record>) -> Vec<((Spi8, Spi8), u64)> {
        out.extend(self.pending.drain().map(|(_, r)| r));
        let mut folded = Vec::new();
        for (k, sa) in self.sas.drain() {
            if let Some((a, b)) = sa.last {
                out.push(a);
                out.push(b);
            }
            if sa.folded > 0 {
                folded.push((k, sa.folded));
            }
        }
        folded
    }
}
