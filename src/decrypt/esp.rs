//! ESP (RFC 4303) decryption with `esp_sa` entries: ICV check, decryption, trailer, and the
//! inner packet's flow (addresses, protocol, ports) for tunnel mode.

use super::crypto::{self, CbcCipher, CryptoError};
use crate::keys::{EncAlg, EspSa, IntegAlg, KeySource, KeyStore};
use crate::record::InnerFlowInfo;
use ikescope_parsers::ip;
use std::net::IpAddr;

/// A decrypted ESP packet.
#[derive(Clone, PartialEq, Eq)]
pub struct EspPlain {
    /// The trailer's next-header field.
    pub next_header: u8,
    /// The trailer's pad length.
    pub pad_len: u8,
    /// The protected payload (padding and trailer removed).
    pub payload: Vec<u8>,
    /// The inner flow when the payload is an IP packet.
    pub inner: Option<InnerFlowInfo>,
    /// True when the ICV (or AEAD tag) verified over an Extended Sequence Number (RFC 4303
    /// section 2.2.1: the high 32 bits, not transmitted, are covered by the ICV); false for the
    /// 32-bit form, or when the SA has no ICV to tell.
    pub esn: bool,
    /// The SA row that opened it.
    pub key: KeySource,
}

impl std::fmt::Debug for EspPlain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EspPlain")
            .field("next_header", &self.next_header)
            .field("pad_len", &self.pad_len)
            .field("payload_len", &self.payload.len())
            .field("inner", &self.inner)
            .field("esn", &self.esn)
            .field("key", &self.key)
            .finish()
    }
}

/// What became of one ESP packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EspOutcome {
    /// Decrypted (ICV verified where the SA has one).
    Decrypted(EspPlain),
    /// An SA matched but its ICV/tag did not verify: wrong key.
    IntegrityFailed {
        /// The SA row that failed.
        key: KeySource,
    },
    /// An SA without integrity matched but the trailer makes no sense: wrong key.
    WrongKey {
        /// The SA row tried.
        key: KeySource,
    },
    /// No SA matches the SPI and addresses.
    NoKey,
    /// Algorithm not supported.
    Unsupported(String),
    /// Too short or otherwise malformed.
    Malformed(String),
}

/// The inner flow of the IPv4 (`next_header` 4) or IPv6 (41) packet a tunnel-mode ESP packet
/// carries: addresses, protocol (the IPv6 fixed header's next header) and, for TCP/UDP/SCTP in
/// an unfragmented or first-fragment packet, the ports.
pub fn inner_flow(next_header: u8, p: &[u8]) -> Option<InnerFlowInfo> {
    let (src, dst, proto, l4): (IpAddr, IpAddr, u8, &[u8]) = match next_header {
        ip::proto::IPV4 if p.first()? >> 4 == 4 => {
            let h = ip::parse_ipv4(p).ok()?;
            let l4: &[u8] = if h.fragment.offset == 0 { h.payload } else { &[] };
            (h.src.into(), h.dst.into(), h.protocol, l4)
        }
        ip::proto::IPV6 if p.first()? >> 4 == 6 => {
            let h = ip::parse_ipv6(p).ok()?;
            (h.src.into(), h.dst.into(), h.next_header, h.payload)
        }
        _ => return None,
    };
    let ports = ip::transport_ports(proto, l4);
    Some(InnerFlowInfo {
        src,
        dst,
        proto,
        sport: ports.map(|p| p.0),
        dport: ports.map(|p| p.1),
    })
}

fn verifiable(sa: &EspSa) -> bool {
    sa.enc.is_aead() || matches!(sa.auth, IntegAlg::Hmac { .. } | IntegAlg::AesXcbc96)
}

/// Low halves below this may belong to a sequence number whose high half is already 1: an SA
/// that passed 2^32 packets during a long capture starts again from a small low half.
const ESN_WRAP_WINDOW: u32 = 1 << 24;

/// The sequence-number forms an ICV may cover, in the order they are tried: `None` is the
/// 32-bit form (RFC 4303 section 2.2), `Some(hi)` an Extended Sequence Number whose high half
/// `hi` is not transmitted (sections 2.2.1, 3.3.3). `esn` is what the key file says about the SA.
fn seq_forms(esn: Option<bool>, seq_lo: u32) -> &'static [Option<u32>] {
    let wrap = seq_lo < ESN_WRAP_WINDOW;
    match (esn, wrap) {
        (Some(false), _) => &[None],
        (Some(true), false) => &[Some(0)],
        (Some(true), true) => &[Some(0), Some(1)],
        (None, false) => &[None, Some(0)],
        (None, true) => &[None, Some(0), Some(1)],
    }
}

/// Open one ESP packet (bytes from the SPI on) with one SA row.
///
/// When the row does not say whether the SA uses Extended Sequence Numbers, the ICV (or AEAD
/// tag) is checked over the 32-bit form first and, when that fails, over the ESN forms with a
/// high half of 0 (and 1 for small low halves); [`EspPlain::esn`] tells which one verified.
/// HMAC/XCBC: the ICV covers SPI || seq_lo || payload || seq_hi. AEAD (RFC 4106, 4309, 7634): the
/// AAD is SPI || seq_lo, or SPI || seq_hi || seq_lo with ESN.
pub fn decrypt_with(esp: &[u8], sa: &EspSa) -> EspOutcome {
    if esp.len() < 8 {
        return EspOutcome::Malformed("shorter than the ESP header".into());
    }
    let src = &sa.source;
    let key = sa.enc_key.bytes();
    let (iv_len, icv_len) = match &sa.enc {
        EncAlg::Null => (0, None),
        EncAlg::AesCbc { .. } => (16, None),
        EncAlg::TripleDesCbc | EncAlg::DesCbc | EncAlg::AesCtr { .. } => (8, None),
        EncAlg::AesGcm { icv_len, .. } | EncAlg::AesCcm { icv_len, .. } => (8, Some(*icv_len as usize)),
        EncAlg::ChaCha20Poly1305 => (8, Some(16)),
        other => return EspOutcome::Unsupported(format!("encryption {other}")),
    };
    let icv_len = match (icv_len, &sa.auth) {
        (Some(n), _) => n,
        (None, IntegAlg::Hmac { icv_len, .. } | IntegAlg::AnyUnchecked { icv_len }) => *icv_len as usize,
        (None, IntegAlg::AesXcbc96) => 12,
        (None, IntegAlg::None) => 0,
        (None, other) => return EspOutcome::Unsupported(format!("authentication {other}")),
    };
    if esp.len() < 8 + iv_len + icv_len + 2 {
        return EspOutcome::Malformed("ESP packet shorter than IV, ICV and trailer".into());
    }
    let ct_end = esp.len() - icv_len;
    let icv = &esp[ct_end..];
    let spi = &esp[..4];
    let seq_lo = &esp[4..8];
    let forms = seq_forms(
        sa.esn,
        u32::from_be_bytes([seq_lo[0], seq_lo[1], seq_lo[2], seq_lo[3]]),
    );
    let mut esn = false;
    if !sa.enc.is_aead() && matches!(sa.auth, IntegAlg::Hmac { .. } | IntegAlg::AesXcbc96) {
        let auth_key = sa.auth_key.bytes();
        if sa.auth == IntegAlg::AesXcbc96 && auth_key.len() != 16 {
            return EspOutcome::Unsupported(format!(
                "authentication {} with a {}-byte key",
                sa.auth,
                auth_key.len()
            ));
        }
        // ICV over SPI || seq_lo || payload (|| seq_hi with ESN).
        let verifies = |hi: &Option<u32>| -> bool {
            let hi_bytes = hi.unwrap_or(0).to_be_bytes();
            let parts: [&[u8]; 2] = [&esp[..ct_end], &hi_bytes[..if hi.is_some() { 4 } else { 0 }]];
            match &sa.auth {
                IntegAlg::Hmac { hash, .. } => {
                    let mac = crypto::hmac(*hash, auth_key, &parts);
                    mac.len() >= icv_len && crypto::ct_eq(&mac[..icv_len], icv)
                }
                _ => crypto::aes_xcbc_mac(auth_key, &parts)
                    .is_some_and(|mac| crypto::ct_eq(&mac[..icv_len], icv)),
            }
        };
        match forms.iter().find(|f| verifies(f)) {
            Some(form) => esn = form.is_some(),
            None => return EspOutcome::IntegrityFailed { key: src.clone() },
        }
    }
    let iv = &esp[8..8 + iv_len];
    let ct = &esp[8 + iv_len..ct_end];
    let mut buf = ct.to_vec();
    let r = match &sa.enc {
        EncAlg::Null => Ok(()),
        EncAlg::AesCbc { .. } => crypto::cbc_decrypt(CbcCipher::Aes, key, iv, &mut buf),
        EncAlg::TripleDesCbc => crypto::cbc_decrypt(CbcCipher::TripleDes, key, iv, &mut buf),
        EncAlg::DesCbc => crypto::cbc_decrypt(CbcCipher::Des, key, iv, &mut buf),
        EncAlg::AesCtr { .. } | EncAlg::AesGcm { .. } | EncAlg::AesCcm { .. } | EncAlg::ChaCha20Poly1305 => {
            // The key ends with a salt: 3 bytes for CCM (RFC 4309), 4 for the others.
            let salt_len = if matches!(sa.enc, EncAlg::AesCcm { .. }) {
                3
            } else {
                4
            };
            let Some(at) = key.len().checked_sub(salt_len).filter(|at| *at >= 16) else {
                return EspOutcome::Unsupported(format!("{} with a {}-byte key", sa.enc, key.len()));
            };
            let (k, salt) = key.split_at(at);
            // salt || IV: 12 bytes (CTR, GCM, ChaCha20-Poly1305) or 11 (CCM)
            let mut nonce = [0u8; 12];
            nonce[..salt_len].copy_from_slice(salt);
            nonce[salt_len..salt_len + 8].copy_from_slice(iv);
            if let EncAlg::AesCtr { .. } = &sa.enc {
                let mut cb = [0u8; 16];
                cb[..12].copy_from_slice(&nonce);
                cb[15] = 1;
                crypto::aes_ctr(k, &cb, &mut buf)
            } else {
                let mut r = Err(CryptoError::Tag);
                for (i, hi) in forms.iter().enumerate() {
                    // AAD: SPI || seq_lo, or SPI || seq_hi || seq_lo
                    let mut aad = [0u8; 12];
                    aad[..4].copy_from_slice(spi);
                    let aad_len = match hi {
                        None => {
                            aad[4..8].copy_from_slice(seq_lo);
                            8
                        }
                        Some(h) => {
                            aad[4..8].copy_from_slice(&h.to_be_bytes());
                            aad[8..12].copy_from_slice(seq_lo);
                            12
                        }
                    };
                    if i > 0 {
                        // a failed tag check may have changed the buffer
                        buf.copy_from_slice(ct);
                    }
                    let aad = &aad[..aad_len];
                    r = match &sa.enc {
                        EncAlg::AesCcm { .. } => {
                            let mut n11 = [0u8; 11];
                            n11.copy_from_slice(&nonce[..11]);
                            crypto::aes_ccm_decrypt(k, &n11, aad, &mut buf, icv)
                        }
                        EncAlg::AesGcm { .. } => crypto::aes_gcm_decrypt(k, &nonce, aad, &mut buf, icv),
                        _ => crypto::chacha_decrypt(k, &nonce, aad, &mut buf, icv),
                    };
                    if r != Err(CryptoError::Tag) {
                        esn = hi.is_some();
                        break;
                    }
                }
                r
            }
        }
        _ => return EspOutcome::Unsupported(format!("encryption {}", sa.enc)),
    };
    match r {
        Ok(()) => {}
        Err(CryptoError::Tag) => return EspOutcome::IntegrityFailed { key: src.clone() },
        Err(CryptoError::KeyLength(n)) => {
            return EspOutcome::Unsupported(format!("{} with a {n}-byte key", sa.enc))
        }
        Err(CryptoError::Length) => {
            return EspOutcome::Malformed(format!("ciphertext length does not suit {}", sa.enc))
        }
    }
    let n = buf.len();
    if n < 2 {
        return EspOutcome::Malformed("no ESP trailer".into());
    }
    let next_header = buf[n - 1];
    let pad_len = buf[n - 2];
    let Some(keep) = (n - 2).checked_sub(pad_len as usize) else {
        return EspOutcome::WrongKey { key: src.clone() };
    };
    // Without a verified ICV, require RFC 4303's default padding (1, 2, 3, ...).
    if !verifiable(sa)
        && !buf[keep..n - 2]
            .iter()
            .enumerate()
            .all(|(i, b)| *b as usize == i + 1)
    {
        return EspOutcome::WrongKey { key: src.clone() };
    }
    buf.truncate(keep);
    EspOutcome::Decrypted(EspPlain {
        next_header,
        pad_len,
        inner: inner_flow(next_header, &buf),
        payload: buf,
        esn,
        key: src.clone(),
    })
}

/// Open an ESP packet (bytes from the SPI on) sent from `src` to `dst` with the matching SA rows
/// of `store` (table rows first; log rows, whose direction is guessed, only when they verify).
pub fn decrypt_esp(esp: &[u8], src: IpAddr, dst: IpAddr, store: &KeyStore) -> EspOutcome {
    let Some(spi) = esp.get(..4).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]])) else {
        return EspOutcome::Malformed("shorter than the ESP header".into());
    };
    let mut cands: Vec<&EspSa> = store.esp.iter().filter(|s| s.matches(spi, src, dst)).collect();
    cands.sort_by_key(|s| !s.certain);
    let mut first = None;
    for sa in cands {
        if !sa.certain && !verifiable(sa) {
            continue;
        }
        match decrypt_with(esp, sa) {
            d @ EspOutcome::Decrypted(_) => return d,
            other => {
                first.get_or_insert(other);
            }
        }
    }
    first.unwrap_or(EspOutcome::NoKey)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{HashAlg, Secret};
    use aes_gcm::aead::{AeadInPlace, KeyInit};
    use std::path::PathBuf;

    const SPI: [u8; 4] = [0xc0, 0xff, 0xee, 0x01];
    /// Payload, RFC 4303 default padding (1, 2), pad length 2, next header 59 (none).
    const PLAIN: [u8; 8] = [b'p', b'i', b'n', b'g', 1, 2, 2, 59];

    fn sa(enc: EncAlg, enc_key: &[u8], auth: IntegAlg, auth_key: &[u8], esn: Option<bool>) -> EspSa {
        EspSa {
            ip_version: 4,
            src: None,
            dst: None,
            spi: None,
            enc,
            enc_key: Secret::new(enc_key.to_vec()),
            auth,
            auth_key: Secret::new(auth_key.to_vec()),
            esn,
            certain: true,
            source: KeySource {
                path: PathBuf::from("t"),
                line: 1,
            },
        }
    }

    /// SPI || seq_lo, and the bytes the ICV covers after the packet body (seq_hi with ESN).
    fn header(seq_lo: u32) -> Vec<u8> {
        let mut h = SPI.to_vec();
        h.extend_from_slice(&seq_lo.to_be_bytes());
        h
    }

    /// NULL encryption with a MAC over SPI || seq_lo || payload (|| seq_hi).
    fn null_packet(auth: &IntegAlg, key: &[u8], seq_lo: u32, seq_hi: Option<u32>) -> Vec<u8> {
        let mut p = header(seq_lo);
        p.extend_from_slice(&PLAIN);
        let hi = seq_hi.map(u32::to_be_bytes);
        let parts: [&[u8]; 2] = [&p, hi.as_ref().map_or(&[][..], |h| &h[..])];
        let mac = match auth {
            IntegAlg::Hmac { hash, icv_len } => {
                crypto::hmac(*hash, key, &parts)[..*icv_len as usize].to_vec()
            }
            _ => crypto::aes_xcbc_mac(key, &parts).unwrap()[..12].to_vec(),
        };
        p.extend_from_slice(&mac);
        p
    }

    fn opened(out: EspOutcome) -> (bool, Vec<u8>, u8) {
        match out {
            EspOutcome::Decrypted(p) => (p.esn, p.payload, p.next_header),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn hmac_and_xcbc_with_and_without_esn() {
        let hmac = IntegAlg::Hmac {
            hash: HashAlg::Sha256,
            icv_len: 16,
        };
        let hkey = [0x11u8; 32];
        let xkey = [0x22u8; 16];
        for (auth, key) in [(hmac, &hkey[..]), (IntegAlg::AesXcbc96, &xkey[..])] {
            let row = |esn| sa(EncAlg::Null, &[], auth.clone(), key, esn);
            let plain32 = null_packet(&auth, key, 7, None);
            let esn0 = null_packet(&auth, key, 7, Some(0));
            let esn1 = null_packet(&auth, key, 5, Some(1));
            let esn1_far = null_packet(&auth, key, 0x8000_0000, Some(1));
            // a table row (ESN unknown): whichever form verifies
            assert_eq!(
                opened(decrypt_with(&plain32, &row(None))),
                (false, b"ping".to_vec(), 59)
            );
            assert!(opened(decrypt_with(&esn0, &row(None))).0, "{auth}");
            assert!(opened(decrypt_with(&esn1, &row(None))).0, "{auth}");
            // a high half of 1 is only tried for small low halves
            assert!(matches!(
                decrypt_with(&esn1_far, &row(None)),
                EspOutcome::IntegrityFailed { .. }
            ));
            // a log row that says which form the SA uses tries only that one
            assert!(opened(decrypt_with(&esn0, &row(Some(true)))).0);
            assert!(!opened(decrypt_with(&plain32, &row(Some(false)))).0);
            assert!(matches!(
                decrypt_with(&esn0, &row(Some(false))),
                EspOutcome::IntegrityFailed { .. }
            ));
            assert!(matches!(
                decrypt_with(&plain32, &row(Some(true))),
                EspOutcome::IntegrityFailed { .. }
            ));
            // a damaged packet fails every form
            let mut bad = esn0.clone();
            bad[9] ^= 1;
            assert!(matches!(
                decrypt_with(&bad, &row(None)),
                EspOutcome::IntegrityFailed { .. }
            ));
        }
        // XCBC takes 16-byte keys only
        let p = null_packet(&IntegAlg::AesXcbc96, &xkey, 1, None);
        assert!(matches!(
            decrypt_with(&p, &sa(EncAlg::Null, &[], IntegAlg::AesXcbc96, &[0; 20], None)),
            EspOutcome::Unsupported(_)
        ));
    }

    /// ESP with an AEAD cipher: SPI || seq_lo || IV || ciphertext || ICV, the AAD SPI || seq_lo
    /// or SPI || seq_hi || seq_lo.
    fn aead_packet(enc: &EncAlg, key: &[u8], seq_lo: u32, seq_hi: Option<u32>) -> Vec<u8> {
        let iv = [9u8, 8, 7, 6, 5, 4, 3, 2];
        let mut aad = SPI.to_vec();
        if let Some(h) = seq_hi {
            aad.extend_from_slice(&h.to_be_bytes());
        }
        aad.extend_from_slice(&seq_lo.to_be_bytes());
        let mut buf = PLAIN.to_vec();
        let salt_len = if matches!(enc, EncAlg::AesCcm { .. }) {
            3
        } else {
            4
        };
        let (k, salt) = key.split_at(key.len() - salt_len);
        let mut nonce = salt.to_vec();
        nonce.extend_from_slice(&iv);
        let tag = match enc {
            EncAlg::AesCcm { .. } => {
                use ccm::consts::{U11, U16};
                ccm::Ccm::<aes::Aes128, U16, U11>::new_from_slice(k)
                    .unwrap()
                    .encrypt_in_place_detached(ccm::Nonce::<U11>::from_slice(&nonce), &aad, &mut buf)
                    .unwrap()
                    .to_vec()
            }
            EncAlg::AesGcm { .. } => aes_gcm::Aes128Gcm::new_from_slice(k)
                .unwrap()
                .encrypt_in_place_detached(aes_gcm::Nonce::from_slice(&nonce), &aad, &mut buf)
                .unwrap()
                .to_vec(),
            _ => chacha20poly1305::ChaCha20Poly1305::new_from_slice(k)
                .unwrap()
                .encrypt_in_place_detached(chacha20poly1305::Nonce::from_slice(&nonce), &aad, &mut buf)
                .unwrap()
                .to_vec(),
        };
        let mut p = header(seq_lo);
        p.extend_from_slice(&iv);
        p.extend_from_slice(&buf);
        p.extend_from_slice(&tag);
        p
    }

    #[test]
    fn aead_with_and_without_esn() {
        let ccm = EncAlg::AesCcm {
            key_bits: Some(128),
            icv_len: 16,
        };
        let gcm = EncAlg::AesGcm {
            key_bits: Some(128),
            icv_len: 16,
        };
        let cases = [
            (ccm, (0u8..19).collect::<Vec<u8>>()),
            (gcm, (0u8..20).collect()),
            (EncAlg::ChaCha20Poly1305, (0u8..36).collect()),
        ];
        for (enc, key) in &cases {
            let row = |esn| sa(enc.clone(), key, IntegAlg::None, &[], esn);
            let plain32 = aead_packet(enc, key, 3, None);
            let esn0 = aead_packet(enc, key, 3, Some(0));
            let esn1 = aead_packet(enc, key, 3, Some(1));
            assert_eq!(
                opened(decrypt_with(&plain32, &row(None))),
                (false, b"ping".to_vec(), 59),
                "{enc}"
            );
            // the 32-bit attempt fails first: the retry starts again from the ciphertext
            assert_eq!(
                opened(decrypt_with(&esn0, &row(None))),
                (true, b"ping".to_vec(), 59),
                "{enc}"
            );
            assert_eq!(
                opened(decrypt_with(&esn1, &row(None))),
                (true, b"ping".to_vec(), 59),
                "{enc}"
            );
            assert!(opened(decrypt_with(&esn0, &row(Some(true)))).0, "{enc}");
            assert!(
                matches!(
                    decrypt_with(&esn0, &row(Some(false))),
                    EspOutcome::IntegrityFailed { .. }
                ),
                "{enc}"
            );
            let mut bad = esn0.clone();
            bad[20] ^= 1;
            assert!(
                matches!(decrypt_with(&bad, &row(None)), EspOutcome::IntegrityFailed { .. }),
                "{enc}"
            );
        }
        // CCM key material must be a 16/24/32-byte key plus the 3-byte salt
        let p = aead_packet(&cases[0].0, &cases[0].1, 1, None);
        assert!(matches!(
            decrypt_with(&p, &sa(cases[0].0.clone(), &[0; 20], IntegAlg::None, &[], None)),
            EspOutcome::Unsupported(_)
        ));
    }
}
