#![no_main]
//! ESP header and UDP-4500 classification.
use ikescope_parsers::{esp, udp_encap, vendor};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(e) = esp::parse_esp(data) {
        assert_ne!(e.spi, 0);
    }
    match udp_encap::classify(data) {
        udp_encap::UdpEncap::Ike(rest) => assert_eq!(rest.len() + 4, data.len()),
        udp_encap::UdpEncap::Esp(e) => assert_eq!(e.payload.len() + 8, data.len()),
        _ => {}
    }
    let _ = vendor::vendor_name(data);
});
