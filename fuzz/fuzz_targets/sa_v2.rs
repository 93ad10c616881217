#![no_main]
//! IKEv2 SA payload body: proposals, transforms, attributes, summaries.
use ikescope_parsers::{ikev2, summary};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let sa = ikev2::parse_sa(data, 32);
    for p in sa.proposals().flatten() {
        for t in p.transforms().flatten() {
            let _ = t.key_length();
            for a in t.attributes().flatten() {
                let _ = a.as_u64();
            }
        }
        let _ = summary::proposal_summary_v2(&p);
    }
});
