#![no_main]
//! Link layers: every supported link type over the same bytes; the IP start is inside the frame
//! or at its end.
use ikescope_parsers::link;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for lt in [0, 1, 12, 14, 101, 108, 113, 228, 229, 276] {
        if let Ok(Some(ip)) = link::parse_link(lt, data) {
            assert!(ip.levels <= link::MAX_LINK_LEVELS);
            let _ = data.get(ip.offset..);
        }
    }
});
