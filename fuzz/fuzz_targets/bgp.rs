#![no_main]
//! BGP messages (as reassembled from a TCP stream) and TCP segments.
use ikescope_parsers::{bgp, tcp};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut rest = data;
    while let Ok((m, r)) = bgp::parse_message(rest) {
        assert!(r.len() + bgp::HEADER_LEN <= rest.len());
        match m {
            bgp::Message::Open(o) => {
                for c in o.capabilities() {
                    let _ = c.map(|c| c.code.name());
                }
                let _ = o.autonomous_system();
            }
            bgp::Message::Update(u) => {
                let _ = u.announced_prefixes().count();
                let _ = u.withdrawn_prefixes().count();
                let _ = u.attributes().count();
            }
            bgp::Message::Notification(n) => {
                let _ = n.describe();
            }
            _ => {}
        }
        rest = r;
    }
    if let Ok(s) = tcp::parse_segment(data) {
        let _ = s.mss();
        let _ = s.option_iter().count();
    }
});
