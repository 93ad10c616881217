#![no_main]
//! IKEv2 REDIRECT / REDIRECTED_FROM notification data (RFC 5685).
use ikescope_parsers::redirect::parse_redirect;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(r) = parse_redirect(data) {
        assert!(r.nonce.len() + 2 <= data.len());
        let _ = r.gateway.to_string();
    }
});
