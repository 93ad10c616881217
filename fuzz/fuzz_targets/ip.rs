#![no_main]
//! IPv4/IPv6 headers, the extension-header walk (as captured and after reassembly) and GRE.
use ikescope_parsers::ip;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(h) = ip::parse_ipv4(data) {
        assert!(h.header_len >= 20 && h.total_len >= h.header_len);
        assert!(h.payload.len() <= h.declared_payload_len());
        let _ = ip::walk_extensions(h.protocol, h.payload, false, false);
    }
    if let Ok(h) = ip::parse_ipv6(data) {
        assert!(h.payload.len() <= h.payload_len);
        for allow_fragment in [true, false] {
            if let ip::ExtWalk::Final { offset, .. } =
                ip::walk_extensions(h.next_header, h.payload, true, allow_fragment)
            {
                assert!(offset <= h.payload.len());
            }
        }
    }
    if let Some(g) = ip::parse_gre(data) {
        assert_eq!(g.offset + g.payload.len(), data.len());
    }
});
