#![no_main]
//! IKEv2 SK/SKF and ESP decryption of attacker-controlled bytes with keys that match their SPIs,
//! one algorithm set per first input byte (AES-CBC + HMAC, AES-GCM, AES-CCM, ChaCha20-Poly1305,
//! 3DES + AES-XCBC): every length, padding and ICV field is hostile; nothing panics.
use libfuzzer_sys::fuzz_target;
use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;

const K16: &str = "000102030405060708090a0b0c0d0e0f";
const K20: &str = "000102030405060708090a0b0c0d0e0f10111213";
const K24: &str = "000102030405060708090a0b0c0d0e0f1011121314151617";
const K36: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223";
const K19: &str = "000102030405060708090a0b0c0d0e0f101112";

fn store() -> ikescope::keys::KeyStore {
    let ikev2 = [
        format!("0101010101010101,0202020202020202,{K16},{K16},\"AES-CBC-128 [RFC3602]\",{K16}{K16},{K16}{K16},\"HMAC_SHA2_256_128 [RFC4868]\""),
        format!("0303030303030303,0202020202020202,{K20},{K20},\"AES-GCM-128 with 16 octet ICV [RFC5282]\",,,\"NONE [RFC4306]\""),
        format!("0505050505050505,0202020202020202,{K19},{K19},\"AES-CCM-128 with 8 octet ICV [RFC5282]\",,,\"NONE [RFC4306]\""),
        format!("0707070707070707,0202020202020202,{K36},{K36},\"CHACHA20_POLY1305\",,,\"NONE [RFC4306]\""),
        format!("0909090909090909,0202020202020202,{K24},{K24},\"3DES [RFC2451]\",{K16},{K16},\"AES-XCBC-96 [RFC3566]\""),
    ]
    .join("\n");
    let esp = [
        format!("\"IPv4\",\"*\",\"*\",\"0x00000001\",\"AES-CBC [RFC3602]\",\"0x{K16}\",\"HMAC-SHA-256-128 [RFC4868]\",\"0x{K16}{K16}\""),
        format!("\"IPv4\",\"*\",\"*\",\"0x00000003\",\"AES-GCM with 16 octet ICV [RFC4106]\",\"0x{K20}\",\"NULL\",\"\""),
        format!("\"IPv4\",\"*\",\"*\",\"0x00000005\",\"AES-CCM with 12 octet ICV [RFC4309]\",\"0x{K19}\",\"NULL\",\"\""),
        format!("\"IPv4\",\"*\",\"*\",\"0x00000007\",\"TripleDES-CBC [RFC2451]\",\"0x{K24}\",\"AES-XCBC-MAC-96 [RFC3566]\",\"0x{K16}\""),
        format!("\"IPv4\",\"*\",\"*\",\"0x00000009\",\"NULL\",\"\",\"HMAC-SHA-1-96 [RFC2404]\",\"0x{K20}\""),
    ]
    .join("\n");
    let mut s = ikescope::keys::KeyStore::new();
    s.load_str(Path::new("ikev2_decryption_table"), &ikev2)
        .expect("ikev2 table");
    s.load_str(Path::new("esp_sa"), &esp).expect("esp_sa");
    s
}

fuzz_target!(|data: &[u8]| {
    thread_local!(static STORE: ikescope::keys::KeyStore = store());
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let set = 1 + 2 * (sel % 5);
    let mut msg = rest.to_vec();
    STORE.with(|store| {
        // IKE: the SPIs of the chosen row, then hostile bytes
        if msg.len() >= 16 {
            msg[..8].fill(set);
            msg[8..16].fill(2);
        }
        let _ = ikescope::decrypt::ikev2::decrypt_message(&msg, store);
        // ESP: the chosen SPI, then hostile bytes
        let mut esp = rest.to_vec();
        if esp.len() >= 4 {
            esp[..4].copy_from_slice(&u32::from(set).to_be_bytes());
        }
        let a = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
        let b = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 1));
        let _ = ikescope::decrypt::esp::decrypt_esp(&esp, a, b, store);
    });
});
