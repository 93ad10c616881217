//! Replays the committed fuzz corpus (fuzz/corpus/*) through the dissector, the parser entry
//! points and the key-file readers, so inputs found by fuzzing stay regression tests under plain
//! `cargo test`.

use ikescope_parsers::iana::PayloadType;
use ikescope_parsers::{icmp, ip, isakmp, link, udp, udp_encap};

#[test]
fn fuzz_corpus_replays_without_panic() {
    let root = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/corpus"));
    let mut n = 0;
    for target in std::fs::read_dir(root).expect("fuzz/corpus") {
        for input in std::fs::read_dir(target.unwrap().path()).unwrap() {
            let data = std::fs::read(input.unwrap().path()).unwrap();
            let _ = ikescope::decode::ike::dissect_ike(&data);
            for first in [1u8, 33, 46] {
                let _ = ikescope::decode::ike::dissect_chain(
                    if first < 33 { 1 } else { 2 },
                    PayloadType(first),
                    &data,
                );
            }
            let _ = isakmp::parse_header(&data);
            let _ = udp_encap::classify(&data, data.len());
            // the layers below IKE (fuzz targets link, ip, udp_icmp) on the same bytes
            for lt in [0, 1, 101, 113, 276] {
                let _ = link::parse_link(lt, &data);
            }
            if let Ok(h) = ip::parse_ipv4(&data) {
                let _ = ip::walk_extensions(h.protocol, h.payload, false, false);
            }
            if let Ok(h) = ip::parse_ipv6(&data) {
                let _ = ip::walk_extensions(h.next_header, h.payload, true, true);
            }
            let _ = ip::parse_gre(&data);
            let _ = udp::parse_udp(&data, data.len());
            for v6 in [false, true] {
                if let Some(e) = icmp::parse_icmp_error(&data, v6) {
                    let _ = icmp::parse_quoted(e.quoted, v6);
                }
            }
            let _ = ikescope_parsers::bgp::parse_message(&data);
            let _ = ikescope_parsers::tcp::parse_segment(&data);
            let _ = ikescope_parsers::redirect::parse_redirect(&data);
            // the key-file readers (fuzz target key_files) on the same bytes as text
            let text = String::from_utf8_lossy(&data);
            for name in [
                "ikev2_decryption_table",
                "ikev1_decryption_table",
                "esp_sa",
                "charon.log",
            ] {
                let _ = ikescope::keys::KeyStore::new().load_str(std::path::Path::new(name), &text);
            }
            let _ = ikescope::keys::hints::parse(std::path::Path::new("charon.log"), &text);
            n += 1;
        }
    }
    assert!(n >= 20, "expected the seed corpus, found {n} inputs");
}
