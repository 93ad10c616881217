#![no_main]
//! UDP headers, ICMP/ICMPv6 errors and the packets they quote.
use ikescope_parsers::{icmp, udp};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(u) = udp::parse_udp(data, data.len()) {
        assert!(u.length >= 8 && u.payload.len() <= u.declared_payload_len());
    }
    for v6 in [false, true] {
        if let Some(e) = icmp::parse_icmp_error(data, v6) {
            assert_eq!(e.quoted.len() + 8, data.len());
            if let Some(q) = icmp::parse_quoted(e.quoted, v6) {
                assert!(q.transport.len() < e.quoted.len());
            }
        }
    }
});
