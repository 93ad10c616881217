#![no_main]
//! Key files come from users and from other people's captures: Wireshark tables, esp_sa rows and
//! charon logs (keys and the refusals the analyzer reads from them). Any text loads or fails
//! with an error naming the file; nothing panics.
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for name in [
        "keys",
        "ikev2_decryption_table",
        "ikev1_decryption_table",
        "esp_sa",
        "charon.log",
    ] {
        let mut store = ikescope::keys::KeyStore::new();
        match store.load_str(Path::new(name), &text) {
            Ok(_) => {}
            Err(e) => assert!(!e.to_string().is_empty()),
        }
    }
    let _ = ikescope::keys::hints::parse(Path::new("charon.log"), &text);
});
