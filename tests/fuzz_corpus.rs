//! Replays the committed fuzz corpus (fuzz/corpus/*) through the dissector and the parser entry
//! points, so inputs found by fuzzing stay regression tests under plain `cargo test`.

use ikescope_parsers::{isakmp, udp_encap};

#[test]
fn fuzz_corpus_replays_without_panic() {
    let root = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/corpus"));
    let mut n = 0;
    for target in std::fs::read_dir(root).expect("fuzz/corpus") {
        for input in std::fs::read_dir(target.unwrap().path()).unwrap() {
            let data = std::fs::read(input.unwrap().path()).unwrap();
            let _ = ikescope::decode::ike::dissect_ike(&data);
            for first in [1u8, 33, 46] {
                let _ = ikescope::decode::ike::dissect_chain(if first < 33 { 1 } else { 2 }, first, &data);
            }
            let _ = isakmp::parse_header(&data);
            let _ = udp_encap::classify(&data);
            n += 1;
        }
    }
    assert!(n >= 20, "expected the seed corpus, found {n} inputs");
}
