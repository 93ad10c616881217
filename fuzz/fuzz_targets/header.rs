#![no_main]
//! ISAKMP header and message framing.
use ikescope_parsers::isakmp;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok((h, rest)) = isakmp::parse_header(data) {
        assert!(rest.len() + isakmp::HEADER_LEN == data.len());
        let _ = (h.is_ikev2(), h.v1_encrypted(), h.v2_initiator(), h.v2_response());
    }
    if let Ok(m) = isakmp::parse_message(data) {
        assert!(m.body.len() <= m.declared_body_len);
        let _ = m.is_truncated();
    }
});
