//! End-to-end decryption of the lab captures made with the less common algorithms: AES-CCM
//! (`ikev2_ccm_ok`: IKE aes128ccm16, ESP aes128ccm16) and AES-XCBC-MAC-96 (`ikev2_xcbc_ok`: IKE
//! and ESP aes128-aesxcbc). The decode pipeline runs with the charon log's keys, and again with the
//! Wireshark tables written beside each capture: every encrypted IKE message and every ESP packet
//! opens with its integrity verified, and the tunnel carries the lab's 10.1.0.1 <-> 10.2.0.1 ICMP.
//! (ESP with Extended Sequence Numbers has no lab capture yet; `src/decrypt/esp.rs` tests it on
//! packets sealed in the test.)

mod common;

use ikescope::app::pipeline::process_file;
use ikescope::capture::{IngestEvent, IngestOptions};
use ikescope::decode::RecordSink;
use ikescope::keys::KeyStore;
use ikescope::record::Record;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Default)]
struct Collect(Vec<Record>);

impl RecordSink for Collect {
    fn record(&mut self, record: Record) {
        self.0.push(record);
    }
    fn event(&mut self, _file_index: usize, _event: &IngestEvent) {}
}

/// What decoding one capture with one key set gave.
#[derive(Debug, Default, PartialEq, Eq)]
struct Tally {
    /// Encrypted IKE messages.
    ike_encrypted: usize,
    /// Of those, decrypted with the integrity check verified (`decryption` "ok...").
    ike_ok: usize,
    /// ESP packets.
    esp: usize,
    /// Of those, decrypted (ICV or AEAD tag verified).
    esp_decrypted: usize,
    /// Of those, verified over an Extended Sequence Number.
    esp_esn: usize,
    /// Inner flows (source, destination, protocol) of the decrypted ESP.
    inner: BTreeSet<(String, String, u8)>,
}

fn capture(stem: &str) -> PathBuf {
    let p = common::captures_dir().join(format!("{stem}.pcap"));
    assert!(
        p.is_file(),
        "{} is missing: the lab capture this test decrypts",
        p.display()
    );
    p
}

fn keys(files: &[PathBuf]) -> KeyStore {
    for f in files {
        assert!(f.is_file(), "{} is missing", f.display());
    }
    KeyStore::from_paths(files).unwrap_or_else(|e| panic!("{e}"))
}

fn beside(cap: &Path, ext: &str) -> PathBuf {
    cap.with_extension(ext)
}

fn decode(cap: &Path, keys: KeyStore) -> Tally {
    let mut sink = Collect::default();
    process_file(
        &cap.to_string_lossy(),
        0,
        &IngestOptions::default(),
        Some(Arc::new(keys)),
        None,
        &mut sink,
    )
    .unwrap_or_else(|e| panic!("{}: {e}", cap.display()));
    let mut t = Tally::default();
    for r in &sink.0 {
        if let Some(ike) = r.ike.as_deref().filter(|i| i.encrypted) {
            t.ike_encrypted += 1;
            match &ike.decryption {
                Some(d) if d.is_ok() => t.ike_ok += 1,
                other => panic!(
                    "{} frame {}: encrypted IKE message not opened: {other:?}",
                    cap.display(),
                    r.frame
                ),
            }
        }
        if let Some(esp) = &r.esp {
            t.esp += 1;
            let Some(d) = &esp.decrypted else {
                panic!(
                    "{} frame {}: ESP SPI {:08x} seq {} not decrypted",
                    cap.display(),
                    r.frame,
                    esp.spi,
                    esp.seq
                );
            };
            t.esp_decrypted += 1;
            t.esp_esn += usize::from(d.esn);
            let f = d
                .inner
                .unwrap_or_else(|| panic!("{} frame {}: no inner flow", cap.display(), r.frame));
            t.inner.insert((f.src.to_string(), f.dst.to_string(), f.proto));
        }
    }
    t
}

/// The lab's ping through the tunnel, both ways.
fn lab_icmp() -> BTreeSet<(String, String, u8)> {
    [("10.1.0.1", "10.2.0.1", 1u8), ("10.2.0.1", "10.1.0.1", 1)]
        .iter()
        .map(|(s, d, p)| (s.to_string(), d.to_string(), *p))
        .collect()
}

fn expect(ike: usize, esp: usize, esn: usize) -> Tally {
    Tally {
        ike_encrypted: ike,
        ike_ok: ike,
        esp,
        esp_decrypted: esp,
        esp_esn: esn,
        inner: lab_icmp(),
    }
}

/// IKE aes128ccm16-prfsha256-modp2048, ESP aes128ccm16: RFC 5282 / RFC 4309 with a 3-byte salt.
#[test]
fn aes_ccm_capture_decrypts_with_log_and_tables() {
    let cap = capture("ikev2_ccm_ok");
    let log = keys(&[beside(&cap, "left.log")]);
    // the log's algorithms are strongSwan's AES_CCM_16_128
    assert!(log.ikev2.iter().all(|k| matches!(
        k.enc,
        ikescope::keys::EncAlg::AesCcm {
            key_bits: Some(128),
            icv_len: 16
        }
    )));
    assert!(!log.esp.is_empty());
    assert_eq!(decode(&cap, log), expect(4, 10, 0));
    let tables = keys(&[beside(&cap, "ikev2_decryption_table"), beside(&cap, "esp_sa")]);
    assert_eq!(decode(&cap, tables), expect(4, 10, 0));
}

/// IKE aes128-aesxcbc-prfaesxcbc-modp2048, ESP aes128-aesxcbc: AES-XCBC-MAC-96 (RFC 3566)
/// verified on every message and packet.
#[test]
fn aes_xcbc_capture_verifies_with_log_and_tables() {
    let cap = capture("ikev2_xcbc_ok");
    let log = keys(&[beside(&cap, "left.log")]);
    assert!(log
        .ikev2
        .iter()
        .all(|k| k.integ == ikescope::keys::IntegAlg::AesXcbc96));
    assert!(log
        .esp
        .iter()
        .all(|s| s.auth == ikescope::keys::IntegAlg::AesXcbc96));
    assert_eq!(decode(&cap, log), expect(4, 10, 0));
    let tables = keys(&[beside(&cap, "ikev2_decryption_table"), beside(&cap, "esp_sa")]);
    assert_eq!(decode(&cap, tables), expect(4, 10, 0));
}
