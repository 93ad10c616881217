//! ESP (RFC 4303) decryption with `esp_sa` entries: ICV check, decryption, trailer, and the
//! inner packet's flow (addresses, protocol, ports) for tunnel mode.

use super::crypto::{self, CbcCipher, CryptoError};
use crate::keys::{EncAlg, EspSa, IntegAlg, KeySource, KeyStore};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The inner packet's 5-tuple (tunnel mode: next header 4 or 41).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InnerFlow {
    /// Inner source address.
    pub src: IpAddr,
    /// Inner destination address.
    pub dst: IpAddr,
    /// Inner protocol (IPv4 protocol / IPv6 next header).
    pub proto: u8,
    /// TCP/UDP source port.
    pub sport: Option<u16>,
    /// TCP/UDP destination port.
    pub dport: Option<u16>,
}

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
    pub inner: Option<InnerFlow>,
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

/// The inner flow of an IPv4/IPv6 packet.
pub fn inner_flow(next_header: u8, p: &[u8]) -> Option<InnerFlow> {
    let (src, dst, proto, l4) = match next_header {
        4 if p.len() >= 20 && p[0] >> 4 == 4 => {
            let ihl = (p[0] & 15) as usize * 4;
            let s: [u8; 4] = p[12..16].try_into().ok()?;
            let d: [u8; 4] = p[16..20].try_into().ok()?;
            let first_frag = u16::from_be_bytes([p[6], p[7]]) & 0x1fff == 0;
            let l4 = if first_frag { p.get(ihl..) } else { None };
            (
                IpAddr::V4(Ipv4Addr::from(s)),
                IpAddr::V4(Ipv4Addr::from(d)),
                p[9],
                l4,
            )
        }
        41 if p.len() >= 40 && p[0] >> 4 == 6 => {
            let s: [u8; 16] = p[8..24].try_into().ok()?;
            let d: [u8; 16] = p[24..40].try_into().ok()?;
            (
                IpAddr::V6(Ipv6Addr::from(s)),
                IpAddr::V6(Ipv6Addr::from(d)),
                p[6],
                p.get(40..),
            )
        }
        _ => return None,
    };
    let ports = match (proto, l4) {
        (6 | 17 | 132, Some(l)) if l.len() >= 4 => (
            Some(u16::from_be_bytes([l[0], l[1]])),
            Some(u16::from_be_bytes([l[2], l[3]])),
        ),
        _ => (None, None),
    };
    Some(InnerFlow {
        src,
        dst,
        proto,
        sport: ports.0,
        dport: ports.1,
    })
}

fn verifiable(sa: &EspSa) -> bool {
    sa.enc.is_aead() || matches!(sa.auth, IntegAlg::Hmac { .. })
}

/// Open one ESP packet (bytes from the SPI on) with one SA row.
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
        EncAlg::AesGcm { icv_len, .. } => (8, Some(*icv_len as usize)),
        EncAlg::ChaCha20Poly1305 => (8, Some(16)),
        other => return EspOutcome::Unsupported(format!("encryption {other}")),
    };
    let icv_len = match (icv_len, &sa.auth) {
        (Some(n), _) => n,
        (None, IntegAlg::Hmac { icv_len, .. } | IntegAlg::AnyUnchecked { icv_len }) => *icv_len as usize,
        (None, IntegAlg::None) => 0,
        (None, other) => return EspOutcome::Unsupported(format!("authentication {other}")),
    };
    if esp.len() < 8 + iv_len + icv_len + 2 {
        return EspOutcome::Malformed("ESP packet shorter than IV, ICV and trailer".into());
    }
    let ct_end = esp.len() - icv_len;
    if let (false, IntegAlg::Hmac { hash, .. }) = (sa.enc.is_aead(), &sa.auth) {
        let mac = crypto::hmac(*hash, sa.auth_key.bytes(), &[&esp[..ct_end]]);
        if mac.len() < icv_len || !crypto::ct_eq(&mac[..icv_len], &esp[ct_end..]) {
            return EspOutcome::IntegrityFailed { key: src.clone() };
        }
    }
    let iv = &esp[8..8 + iv_len];
    let mut buf = esp[8 + iv_len..ct_end].to_vec();
    let salted = |k: &[u8]| -> Option<(Vec<u8>, [u8; 4])> {
        let at = k.len().checked_sub(4)?;
        Some((k[..at].to_vec(), k[at..].try_into().ok()?))
    };
    let r = match &sa.enc {
        EncAlg::Null => Ok(()),
        EncAlg::AesCbc { .. } => crypto::cbc_decrypt(CbcCipher::Aes, key, iv, &mut buf),
        EncAlg::TripleDesCbc => crypto::cbc_decrypt(CbcCipher::TripleDes, key, iv, &mut buf),
        EncAlg::DesCbc => crypto::cbc_decrypt(CbcCipher::Des, key, iv, &mut buf),
        EncAlg::AesCtr { .. } | EncAlg::AesGcm { .. } | EncAlg::ChaCha20Poly1305 => {
            let Some((k, salt)) = salted(key) else {
                return EspOutcome::Unsupported(format!("{} with a {}-byte key", sa.enc, key.len()));
            };
            let mut nonce = [0u8; 12];
            nonce[..4].copy_from_slice(&salt);
            nonce[4..].copy_from_slice(iv);
            match &sa.enc {
                EncAlg::AesCtr { .. } => {
                    let mut cb = [0u8; 16];
                    cb[..12].copy_from_slice(&nonce);
                    cb[15] = 1;
                    crypto::aes_ctr(&k, &cb, &mut buf)
                }
                EncAlg::AesGcm { .. } => {
                    crypto::aes_gcm_decrypt(&k, &nonce, &esp[..8], &mut buf, &esp[ct_end..])
                }
                _ => crypto::chacha_decrypt(&k, &nonce, &esp[..8], &mut buf, &esp[ct_end..]),
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
