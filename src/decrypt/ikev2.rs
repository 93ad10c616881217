//! IKEv2 Encrypted (SK, 46) and Encrypted Fragment (SKF, 53, RFC 7383) payloads: integrity check,
//! decryption, padding removal, and fragment reassembly.

use super::crypto::{self, CbcCipher, CryptoError};
use crate::keys::{EncAlg, Ikev2Keys, IntegAlg, KeySource, KeyStore};
use crate::record::Spi8;
use ikescope_parsers::iana::PayloadType;
use ikescope_parsers::isakmp::{self, HEADER_LEN};
use std::collections::{BTreeMap, HashMap, VecDeque};

/// Length of the IKE header.
/// Most payloads walked before the SK payload.
const MAX_PAYLOADS: usize = 256;

/// The result of trying to open the SK/SKF payload of one IKEv2 message.
#[derive(Clone, PartialEq, Eq)]
pub enum SkOutcome {
    /// Integrity verified (or not checkable by the configured algorithm) and decrypted.
    Decrypted {
        /// The SK payload's next-payload field: type of the first inner payload (0 in SKF
        /// fragments other than the first).
        first_payload: PayloadType,
        /// The inner payloads (padding and pad length removed).
        plaintext: Vec<u8>,
        /// `(number, total)` for an SKF fragment.
        fragment: Option<(u16, u16)>,
        /// The key row that opened it.
        key: KeySource,
    },
    /// A key row for these SPIs exists but the integrity checksum (or AEAD tag) did not verify:
    /// the key is wrong.
    IntegrityFailed {
        /// The key row that failed.
        key: KeySource,
    },
    /// No key row for these SPIs (and no log key that verifies).
    NoKey,
    /// The message has no SK/SKF payload.
    NotEncrypted,
    /// The algorithm (or key size) is not supported; the text names it.
    Unsupported(String),
    /// The message, or the decrypted content, is malformed; the text says what.
    Malformed(String),
}

impl std::fmt::Debug for SkOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SkOutcome::Decrypted {
                first_payload,
                plaintext,
                fragment,
                key,
            } => f
                .debug_struct("Decrypted")
                .field("first_payload", first_payload)
                .field("plaintext_len", &plaintext.len())
                .field("fragment", fragment)
                .field("key", key)
                .finish(),
            SkOutcome::IntegrityFailed { key } => {
                f.debug_struct("IntegrityFailed").field("key", key).finish()
            }
            SkOutcome::NoKey => write!(f, "NoKey"),
            SkOutcome::NotEncrypted => write!(f, "NotEncrypted"),
            SkOutcome::Unsupported(s) => f.debug_tuple("Unsupported").field(s).finish(),
            SkOutcome::Malformed(s) => f.debug_tuple("Malformed").field(s).finish(),
        }
    }
}

/// Where the SK/SKF payload sits in a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SkLocation {
    /// Initiator SPI.
    pub spi_i: Spi8,
    /// Responder SPI.
    pub spi_r: Spi8,
    /// Message ID.
    pub message_id: u32,
    /// The I flag: sent by the original initiator.
    pub from_initiator: bool,
    /// Offset of the SK/SKF generic payload header.
    pub offset: usize,
    /// Offset where IV || ciphertext || ICV starts (after the fragment fields for SKF).
    pub body_start: usize,
    /// End of the SK/SKF payload.
    pub end: usize,
    /// Type of the first inner payload.
    pub first_payload: PayloadType,
    /// `(number, total)` for SKF.
    pub fragment: Option<(u16, u16)>,
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

/// Find the SK/SKF payload of an IKEv2 message (bytes from the IKE header on).
/// `Ok(None)` when the chain ends without one.
pub fn locate_sk(msg: &[u8]) -> Result<Option<SkLocation>, String> {
    let Ok((header, _)) = isakmp::parse_header(msg) else {
        return Err("shorter than the IKE header".into());
    };
    if !header.is_ikev2() {
        return Err(format!("not IKEv2 (major version {})", header.major_version));
    }
    let hdr_len = header.length as usize;
    if hdr_len < HEADER_LEN {
        return Err(format!("header length {hdr_len} is below 28"));
    }
    let end = hdr_len.min(msg.len());
    let mut np = header.next_payload;
    let mut off = HEADER_LEN;
    for _ in 0..MAX_PAYLOADS {
        if np == PayloadType::NONE {
            return Ok(None);
        }
        let plen = match be16(msg, off + 2) {
            Some(l) if off + 4 <= end => l as usize,
            _ => return Err(format!("payload at offset {off} runs past the message")),
        };
        if plen < 4 || off + plen > end {
            return Err(format!("payload at offset {off} has bad length {plen}"));
        }
        if np == PayloadType::V2_SK || np == PayloadType::V2_SKF {
            let (body_start, fragment) = if np == PayloadType::V2_SKF {
                match (be16(msg, off + 4), be16(msg, off + 6)) {
                    (Some(n), Some(t)) if plen >= 8 => (off + 8, Some((n, t))),
                    _ => return Err("SKF payload shorter than its fragment fields".into()),
                }
            } else {
                (off + 4, None)
            };
            return Ok(Some(SkLocation {
                spi_i: Spi8(header.spi_i),
                spi_r: Spi8(header.spi_r),
                message_id: header.message_id,
                from_initiator: header.v2_initiator(),
                offset: off,
                body_start,
                end: off + plen,
                first_payload: PayloadType(msg[off]),
                fragment,
            }));
        }
        np = PayloadType(msg[off]);
        off += plen;
    }
    Err("too many payloads".into())
}

/// The payloads of a decrypted inner chain, walked as generic payloads (major version 1: no
/// SK end-of-chain rule applies inside an SK payload).
fn inner_chain(first: PayloadType, inner: &[u8]) -> isakmp::PayloadIter<'_> {
    isakmp::PayloadIter::new(first, inner, 0, 1)
}

/// Most payloads walked in one decrypted chain.
const MAX_INNER_PAYLOADS: usize = 4096;

/// True when `inner` is a well-formed chain of generic payloads starting with `first` that ends
/// exactly at the end of the buffer.
pub fn inner_chain_ok(first: PayloadType, inner: &[u8]) -> bool {
    let mut chain = inner_chain(first, inner);
    for _ in 0..=MAX_INNER_PAYLOADS {
        match chain.next() {
            None => return chain.offset() == inner.len(),
            Some(Ok(_)) => {}
            Some(Err(_)) => return false,
        }
    }
    false
}

/// Types of the inner payload chain (stops at the first malformed payload).
pub fn inner_payload_types(first: u8, inner: &[u8]) -> Vec<u8> {
    inner_chain(PayloadType(first), inner)
        .map_while(Result::ok)
        .take(MAX_INNER_PAYLOADS)
        .map(|p| p.payload_type.0)
        .collect()
}

/// Open the SK/SKF payload of `msg` with one key row (no SPI check).
pub fn decrypt_with(msg: &[u8], keys: &Ikev2Keys) -> SkOutcome {
    let loc = match locate_sk(msg) {
        Ok(Some(l)) => l,
        Ok(None) => return SkOutcome::NotEncrypted,
        Err(e) => return SkOutcome::Malformed(e),
    };
    open(msg, &loc, keys)
}

/// Split AES-CTR/GCM/CCM and ChaCha20-Poly1305 key material into the cipher key and its
/// `N`-byte salt (nonce) at the end.
fn split_salt<'k, const N: usize>(key: &'k [u8], enc: &EncAlg) -> Result<(&'k [u8], [u8; N]), SkOutcome> {
    if key.len() < N + 16 {
        return Err(SkOutcome::Unsupported(format!(
            "{enc} with a {}-byte key",
            key.len()
        )));
    }
    let (k, s) = key.split_at(key.len() - N);
    let mut salt = [0u8; N];
    salt.copy_from_slice(s);
    Ok((k, salt))
}

fn crypto_err(e: CryptoError, enc: &EncAlg, key_len: usize, src: &KeySource) -> SkOutcome {
    match e {
        CryptoError::KeyLength(n) => SkOutcome::Unsupported(format!("{enc} with a {n}-byte key")),
        CryptoError::Length => SkOutcome::Malformed(format!("encrypted data length does not suit {enc}")),
        CryptoError::Tag => {
            let _ = key_len;
            SkOutcome::IntegrityFailed { key: src.clone() }
        }
    }
}

fn open(msg: &[u8], loc: &SkLocation, keys: &Ikev2Keys) -> SkOutcome {
    let (ek, ak) = if loc.from_initiator {
        (keys.sk_ei.bytes(), keys.sk_ai.bytes())
    } else {
        (keys.sk_er.bytes(), keys.sk_ar.bytes())
    };
    let enc = &keys.enc;
    let body = &msg[loc.body_start..loc.end];
    let src = &keys.source;
    let plaintext = match enc {
        EncAlg::AesCbc { .. } | EncAlg::TripleDesCbc | EncAlg::DesCbc | EncAlg::AesCtr { .. } => {
            let icv_len = match &keys.integ {
                IntegAlg::Hmac { icv_len, .. } | IntegAlg::AnyUnchecked { icv_len } => *icv_len as usize,
                IntegAlg::AesXcbc96 => 12,
                IntegAlg::None => 0,
                other => return SkOutcome::Unsupported(format!("integrity {other}")),
            };
            let iv_len = match enc {
                EncAlg::AesCbc { .. } => 16,
                EncAlg::AesCtr { .. } => 8,
                _ => 8,
            };
            if body.len() < iv_len + icv_len {
                return SkOutcome::Malformed("SK payload shorter than IV and ICV".into());
            }
            let ct_end = loc.end - icv_len;
            let got = &msg[ct_end..loc.end];
            match &keys.integ {
                IntegAlg::Hmac { hash, .. } => {
                    let mac = crypto::hmac(*hash, ak, &[&msg[..ct_end]]);
                    if mac.len() < icv_len || !crypto::ct_eq(&mac[..icv_len], got) {
                        return SkOutcome::IntegrityFailed { key: src.clone() };
                    }
                }
                IntegAlg::AesXcbc96 => {
                    let Some(mac) = crypto::aes_xcbc_mac(ak, &[&msg[..ct_end]]) else {
                        return SkOutcome::Unsupported(format!(
                            "integrity {} with a {}-byte key",
                            keys.integ,
                            ak.len()
                        ));
                    };
                    if !crypto::ct_eq(&mac[..icv_len], got) {
                        return SkOutcome::IntegrityFailed { key: src.clone() };
                    }
                }
                _ => {}
            }
            let iv = &body[..iv_len];
            let mut buf = msg[loc.body_start + iv_len..ct_end].to_vec();
            let r = match enc {
                EncAlg::AesCtr { .. } => match split_salt::<4>(ek, enc) {
                    Ok((k, nonce)) => {
                        let mut cb = [0u8; 16];
                        cb[..4].copy_from_slice(&nonce);
                        cb[4..12].copy_from_slice(iv);
                        cb[15] = 1;
                        crypto::aes_ctr(k, &cb, &mut buf)
                    }
                    Err(o) => return o,
                },
                EncAlg::AesCbc { .. } => crypto::cbc_decrypt(CbcCipher::Aes, ek, iv, &mut buf),
                EncAlg::TripleDesCbc => crypto::cbc_decrypt(CbcCipher::TripleDes, ek, iv, &mut buf),
                _ => crypto::cbc_decrypt(CbcCipher::Des, ek, iv, &mut buf),
            };
            if let Err(e) = r {
                return crypto_err(e, enc, ek.len(), src);
            }
            buf
        }
        EncAlg::AesGcm { .. } | EncAlg::AesCcm { .. } | EncAlg::ChaCha20Poly1305 => {
            // RFC 5282 / RFC 7634: 8-byte IV after the payload header; AAD = the IKE header
            // through the SK/SKF payload header (for SKF, through the fragment fields).
            let icv_len = match enc {
                EncAlg::AesGcm { icv_len, .. } | EncAlg::AesCcm { icv_len, .. } => *icv_len as usize,
                _ => 16,
            };
            if body.len() < 8 + icv_len {
                return SkOutcome::Malformed("SK payload shorter than IV and ICV".into());
            }
            let aad = &msg[..loc.body_start];
            let ct_end = loc.end - icv_len;
            let mut buf = msg[loc.body_start + 8..ct_end].to_vec();
            let icv = &msg[ct_end..loc.end];
            let r = if let EncAlg::AesCcm { .. } = enc {
                // RFC 5282: 3-byte salt || 8-byte IV (11-byte nonce)
                let (k, salt) = match split_salt::<3>(ek, enc) {
                    Ok(x) => x,
                    Err(o) => return o,
                };
                let mut nonce = [0u8; 11];
                nonce[..3].copy_from_slice(&salt);
                nonce[3..].copy_from_slice(&body[..8]);
                crypto::aes_ccm_decrypt(k, &nonce, aad, &mut buf, icv)
            } else {
                // 4-byte salt || 8-byte IV (12-byte nonce)
                let (k, salt) = match split_salt::<4>(ek, enc) {
                    Ok(x) => x,
                    Err(o) => return o,
                };
                let mut nonce = [0u8; 12];
                nonce[..4].copy_from_slice(&salt);
                nonce[4..].copy_from_slice(&body[..8]);
                match enc {
                    EncAlg::ChaCha20Poly1305 => crypto::chacha_decrypt(k, &nonce, aad, &mut buf, icv),
                    _ => crypto::aes_gcm_decrypt(k, &nonce, aad, &mut buf, icv),
                }
            };
            if let Err(e) = r {
                return crypto_err(e, enc, ek.len(), src);
            }
            buf
        }
        other => return SkOutcome::Unsupported(format!("encryption {other}")),
    };
    let Some(&pad) = plaintext.last() else {
        return SkOutcome::Malformed("empty decrypted data (no pad length)".into());
    };
    let keep = match plaintext.len().checked_sub(pad as usize + 1) {
        Some(k) => k,
        None => {
            return SkOutcome::Malformed(format!(
                "pad length {pad} exceeds the decrypted data (wrong encryption key?)"
            ))
        }
    };
    let mut plaintext = plaintext;
    plaintext.truncate(keep);
    // Whole messages (and first fragments' starts) must parse; garbage from a wrong
    // encryption key with a correct integrity key is caught here.
    let whole = loc.fragment.is_none() || loc.fragment == Some((1, 1));
    if whole && !inner_chain_ok(loc.first_payload, &plaintext) {
        return SkOutcome::Malformed(
            "decrypted payloads do not form a valid chain (wrong encryption key?)".into(),
        );
    }
    SkOutcome::Decrypted {
        first_payload: loc.first_payload,
        plaintext,
        fragment: loc.fragment,
        key: src.clone(),
    }
}

fn verifiable(k: &Ikev2Keys) -> bool {
    k.enc.is_aead() || matches!(k.integ, IntegAlg::Hmac { .. } | IntegAlg::AesXcbc96)
}

/// Open the SK/SKF payload of an IKEv2 message with the keys in `store`: rows for the message's
/// SPIs first; then, when none of them opens it, keys from charon logs whose SPIs were not known
/// (confirmed by their integrity check, never by guessing).
pub fn decrypt_message(msg: &[u8], store: &KeyStore) -> SkOutcome {
    let loc = match locate_sk(msg) {
        Ok(Some(l)) => l,
        Ok(None) => return SkOutcome::NotEncrypted,
        Err(e) => return SkOutcome::Malformed(e),
    };
    let mut first_failure: Option<SkOutcome> = None;
    let mut exact: Vec<&Ikev2Keys> = store.ikev2_for(loc.spi_i, loc.spi_r).collect();
    exact.sort_by_key(|k| !k.spis_certain);
    for k in &exact {
        match open(msg, &loc, k) {
            d @ SkOutcome::Decrypted { .. } => return d,
            other => {
                first_failure.get_or_insert(other);
            }
        }
    }
    let certain_exact = exact.iter().any(|k| k.spis_certain);
    if !certain_exact {
        let same_spis = |k: &Ikev2Keys| k.spi_i == Some(loc.spi_i) && k.spi_r == Some(loc.spi_r);
        for k in store
            .ikev2
            .iter()
            .filter(|k| !(k.spis_certain || same_spis(k)) && verifiable(k))
        {
            if let d @ SkOutcome::Decrypted { .. } = open(msg, &loc, k) {
                return d;
            }
        }
    }
    first_failure.unwrap_or(SkOutcome::NoKey)
}

/// Identifies the fragments of one message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FragKey {
    /// Initiator SPI.
    pub spi_i: Spi8,
    /// Responder SPI.
    pub spi_r: Spi8,
    /// Message ID.
    pub message_id: u32,
    /// Sent by the original initiator.
    pub from_initiator: bool,
}

impl FragKey {
    /// The key of an IKEv2 message's SKF payload (`None` without SKF).
    pub fn of_message(msg: &[u8]) -> Option<FragKey> {
        let loc = locate_sk(msg).ok()??;
        loc.fragment?;
        Some(FragKey {
            spi_i: loc.spi_i,
            spi_r: loc.spi_r,
            message_id: loc.message_id,
            from_initiator: loc.from_initiator,
        })
    }
}

/// A message put back together from its SKF fragments.
#[derive(Clone, PartialEq, Eq)]
pub struct Reassembled {
    /// First inner payload type (from fragment 1).
    pub first_payload: PayloadType,
    /// Concatenated decrypted fragment contents.
    pub plaintext: Vec<u8>,
    /// Number of fragments.
    pub fragments: u16,
}

impl std::fmt::Debug for Reassembled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reassembled")
            .field("first_payload", &self.first_payload)
            .field("plaintext_len", &self.plaintext.len())
            .field("fragments", &self.fragments)
            .finish()
    }
}

struct Pending {
    total: u16,
    first_payload: Option<PayloadType>,
    frags: BTreeMap<u16, Vec<u8>>,
    bytes: usize,
}

/// Reassembles decrypted SKF fragments, keyed by (SPIs, message ID, direction). Bounded: at most
/// [`Ikev2Reassembler::MAX_FRAGMENTS`] fragments and [`Ikev2Reassembler::MAX_BYTES`] bytes per
/// message, and [`Ikev2Reassembler::MAX_PENDING`] messages in progress (the oldest is dropped).
#[derive(Default)]
pub struct Ikev2Reassembler {
    pending: HashMap<FragKey, Pending>,
    order: VecDeque<FragKey>,
}

impl Ikev2Reassembler {
    /// Most fragments per message.
    pub const MAX_FRAGMENTS: u16 = 256;
    /// Most reassembled bytes per message.
    pub const MAX_BYTES: usize = 1 << 20;
    /// Most messages in progress.
    pub const MAX_PENDING: usize = 128;

    /// A new, empty reassembler.
    pub fn new() -> Ikev2Reassembler {
        Ikev2Reassembler::default()
    }

    /// Add one decrypted fragment; returns the whole message when this completes it.
    /// Invalid numbering (0, above total, total above the cap) is ignored, a duplicate number is
    /// ignored, and a fragment announcing a different total restarts the message.
    pub fn add(
        &mut self,
        key: FragKey,
        number: u16,
        total: u16,
        first_payload: PayloadType,
        plaintext: &[u8],
    ) -> Option<Reassembled> {
        if number == 0 || total == 0 || number > total || total > Self::MAX_FRAGMENTS {
            return None;
        }
        if self.pending.get(&key).is_some_and(|p| p.total != total) {
            self.pending.remove(&key);
        }
        if !self.pending.contains_key(&key) {
            if self.pending.len() >= Self::MAX_PENDING {
                while let Some(old) = self.order.pop_front() {
                    if self.pending.remove(&old).is_some() {
                        break;
                    }
                }
            }
            self.order.retain(|k| *k != key);
            self.order.push_back(key);
            self.pending.insert(
                key,
                Pending {
                    total,
                    first_payload: None,
                    frags: BTreeMap::new(),
                    bytes: 0,
                },
            );
        }
        let p = self.pending.get_mut(&key)?;
        if p.frags.contains_key(&number) {
            return None;
        }
        if p.bytes + plaintext.len() > Self::MAX_BYTES {
            self.pending.remove(&key);
            return None;
        }
        if number == 1 {
            p.first_payload = Some(first_payload);
        }
        p.bytes += plaintext.len();
        p.frags.insert(number, plaintext.to_vec());
        if p.frags.len() < total as usize {
            return None;
        }
        let p = self.pending.remove(&key)?;
        self.order.retain(|k| *k != key);
        let mut out = Vec::with_capacity(p.bytes);
        for f in p.frags.values() {
            out.extend_from_slice(f);
        }
        Some(Reassembled {
            first_payload: p.first_payload.unwrap_or(PayloadType::NONE),
            plaintext: out,
            fragments: total,
        })
    }

    /// Messages still waiting for fragments.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> FragKey {
        FragKey {
            spi_i: Spi8([1; 8]),
            spi_r: Spi8([2; 8]),
            message_id: 1,
            from_initiator: true,
        }
    }

    #[test]
    fn reassembles_in_any_order() {
        let mut r = Ikev2Reassembler::new();
        assert!(r.add(key(), 3, 3, PayloadType::NONE, b"cc").is_none());
        assert!(r.add(key(), 1, 3, PayloadType::V2_IDI, b"aa").is_none());
        assert!(r.add(key(), 1, 3, PayloadType::V2_IDI, b"xx").is_none());
        let m = r.add(key(), 2, 3, PayloadType::NONE, b"bb").unwrap();
        assert_eq!(m.first_payload, PayloadType::V2_IDI);
        assert_eq!(m.plaintext, b"aabbcc");
        assert_eq!(r.pending(), 0);
    }

    #[test]
    fn rejects_bad_numbering_and_bounds() {
        let mut r = Ikev2Reassembler::new();
        assert!(r.add(key(), 0, 3, PayloadType::NONE, b"").is_none());
        assert!(r.add(key(), 4, 3, PayloadType::NONE, b"").is_none());
        assert!(r.add(key(), 1, 60000, PayloadType::NONE, b"").is_none());
        for i in 0..(Ikev2Reassembler::MAX_PENDING as u32 + 10) {
            let k = FragKey {
                message_id: i,
                ..key()
            };
            r.add(k, 1, 2, PayloadType::NONE, b"x");
        }
        assert!(r.pending() <= Ikev2Reassembler::MAX_PENDING);
    }

    #[test]
    fn garbage_never_panics() {
        let ks = KeyStore::new();
        for len in 0..80 {
            let mut m = vec![0u8; len];
            if len > 32 {
                m[16] = 46;
                m[17] = 0x20;
                m[27] = len as u8;
                m[30] = 0;
                m[31] = 200;
            }
            let _ = decrypt_message(&m, &ks);
        }
    }

    #[test]
    fn chain_check() {
        assert!(inner_chain_ok(PayloadType::NONE, &[]));
        assert!(inner_chain_ok(PayloadType::V2_N, &[0, 0, 0, 8, 0, 0, 0, 0]));
        assert!(!inner_chain_ok(PayloadType::V2_N, &[0, 0, 0, 9, 0, 0, 0, 0]));
        assert!(!inner_chain_ok(PayloadType::V2_N, &[0, 0, 0, 4, 0, 0, 0, 0]));
        assert_eq!(inner_payload_types(41, &[0, 0, 0, 8, 0, 0, 0, 0]), vec![41]);
    }
}
