#![no_main]
//! ESP header and UDP-4500 classification (first byte: whether the declared length is the
//! captured one or one byte more, as in a frame cut by the snap length).
use ikescope_parsers::{esp, udp_encap, vendor};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&cut, data)) = data.split_first() else {
        return;
    };
    if let Ok(e) = esp::parse_esp(data) {
        assert!(data.len() >= 4);
        assert_eq!(e.seq.is_some(), data.len() >= 8);
    }
    let declared = data.len() + usize::from(cut & 1);
    match udp_encap::classify(data, declared) {
        udp_encap::UdpEncap::Ike { message, declared: d } => {
            assert_eq!(message.len() + 4, data.len());
            assert_eq!(d + 4, declared);
        }
        udp_encap::UdpEncap::OneByte(b) => assert_eq!(b.is_some(), !data.is_empty()),
        udp_encap::UdpEncap::Unmarked(p) => assert_eq!(p, data),
    }
    let _ = vendor::vendor_name(data);
});
