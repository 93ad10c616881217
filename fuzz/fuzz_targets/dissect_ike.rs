#![no_main]
//! The whole IKE dissector of the ikescope binary crate (header, chain, every payload body).
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match ikescope::decode::ike::dissect_ike(data) {
        Some((info, problems)) => {
            assert!(data.len() >= 28);
            for p in &problems {
                assert!(!p.what.is_empty());
            }
            let _ = info.digest;
        }
        None => assert!(data.len() < 28),
    }
});
