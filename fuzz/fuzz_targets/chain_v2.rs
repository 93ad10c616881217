#![no_main]
//! IKEv2 payload chain walk and body decoding of every payload.
use ikescope_parsers::{ikev2, isakmp};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&first, body)) = data.split_first() else {
        return;
    };
    let mut it = isakmp::PayloadIter::new(ikescope_parsers::iana::PayloadType(first), body, isakmp::HEADER_LEN, 2);
    let mut n = 0usize;
    while let Some(p) = it.next() {
        n += 1;
        assert!(n <= body.len() / 4 + 1, "chain longer than possible");
        match p {
            Ok(p) => {
                let _ = ikev2::parse_payload(&p);
            }
            Err(_) => {
                if let Some(p) = it.partial() {
                    let _ = ikev2::parse_payload(&p);
                }
            }
        }
    }
});
