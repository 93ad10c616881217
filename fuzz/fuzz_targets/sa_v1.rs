#![no_main]
//! IKEv1 SA payload body: proposals, transforms, attributes, summaries.
use ikescope_parsers::{ikev1, summary};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(sa) = ikev1::parse_sa(data, 32) {
        for p in sa.proposals().flatten() {
            for t in p.transforms().flatten() {
                for a in t.attributes().flatten() {
                    let _ = a.as_u64();
                }
            }
            // one summary per well-formed transform (possibly empty without attributes)
            let n = summary::proposal_summaries_v1(&p).count();
            assert!(n <= p.transforms().count());
        }
    }
});
