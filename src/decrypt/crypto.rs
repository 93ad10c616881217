//! Thin wrappers over RustCrypto primitives (no cryptography is implemented here).

use crate::keys::HashAlg;
use aes::{Aes128, Aes192, Aes256};
use aes_gcm::aead::{AeadInPlace, KeyInit};
use aes_gcm::AesGcm;
use cbc::cipher::{block_padding::NoPadding, BlockDecryptMut, KeyIvInit, StreamCipher};
use chacha20poly1305::ChaCha20Poly1305;
use hmac::{Hmac, Mac};
use sha2::Digest;

/// Why a primitive could not run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CryptoError {
    /// Key of a length the cipher does not take.
    KeyLength(usize),
    /// Data not a multiple of the block size, or IV of the wrong size.
    Length,
    /// The AEAD tag did not verify.
    Tag,
}

/// Block ciphers in CBC mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CbcCipher {
    Des,
    TripleDes,
    Aes,
}

impl CbcCipher {
    pub(crate) fn block_len(self) -> usize {
        match self {
            CbcCipher::Des | CbcCipher::TripleDes => 8,
            CbcCipher::Aes => 16,
        }
    }
}

/// CBC-decrypt `buf` in place (its length must be a multiple of the block size).
pub(crate) fn cbc_decrypt(c: CbcCipher, key: &[u8], iv: &[u8], buf: &mut [u8]) -> Result<(), CryptoError> {
    if buf.len() % c.block_len() != 0 || iv.len() != c.block_len() {
        return Err(CryptoError::Length);
    }
    macro_rules! run {
        ($c:ty) => {{
            let d = cbc::Decryptor::<$c>::new_from_slices(key, iv).map_err(|_| CryptoError::Length)?;
            d.decrypt_padded_mut::<NoPadding>(buf)
                .map(|_| ())
                .map_err(|_| CryptoError::Length)
        }};
    }
    match (c, key.len()) {
        (CbcCipher::Des, 8) => run!(des::Des),
        (CbcCipher::TripleDes, 24) => run!(des::TdesEde3),
        (CbcCipher::Aes, 16) => run!(Aes128),
        (CbcCipher::Aes, 24) => run!(Aes192),
        (CbcCipher::Aes, 32) => run!(Aes256),
        (_, n) => Err(CryptoError::KeyLength(n)),
    }
}

/// AES-CTR with a 16-byte initial counter block, applied in place (encrypt = decrypt).
pub(crate) fn aes_ctr(key: &[u8], counter_block: &[u8; 16], buf: &mut [u8]) -> Result<(), CryptoError> {
    macro_rules! run {
        ($c:ty) => {{
            let mut c =
                ctr::Ctr32BE::<$c>::new_from_slices(key, counter_block).map_err(|_| CryptoError::Length)?;
            c.try_apply_keystream(buf).map_err(|_| CryptoError::Length)
        }};
    }
    match key.len() {
        16 => run!(Aes128),
        24 => run!(Aes192),
        32 => run!(Aes256),
        n => Err(CryptoError::KeyLength(n)),
    }
}

/// AES-GCM decryption with a possibly truncated ICV (8, 12 or 16 bytes): the plaintext comes
/// from AES-CTR starting at counter 2 (GCM's data counter), the full tag is recomputed with
/// `aes-gcm` and its first `icv.len()` bytes are compared.
pub(crate) fn aes_gcm_decrypt(
    key: &[u8],
    nonce: &[u8; 12],
    aad: &[u8],
    buf: &mut [u8],
    icv: &[u8],
) -> Result<(), CryptoError> {
    if !matches!(icv.len(), 8 | 12 | 16) {
        return Err(CryptoError::Length);
    }
    let mut cb = [0u8; 16];
    cb[..12].copy_from_slice(nonce);
    cb[15] = 2;
    let mut plain = buf.to_vec();
    aes_ctr(key, &cb, &mut plain)?;
    let mut copy = plain.clone();
    let nonce = aes_gcm::Nonce::from_slice(nonce);
    macro_rules! tag {
        ($c:ty) => {{
            let g = AesGcm::<$c, aes_gcm::aead::consts::U12>::new_from_slice(key)
                .map_err(|_| CryptoError::KeyLength(key.len()))?;
            g.encrypt_in_place_detached(nonce, aad, &mut copy)
                .map_err(|_| CryptoError::Length)?
        }};
    }
    let full = match key.len() {
        16 => tag!(Aes128),
        24 => tag!(Aes192),
        32 => tag!(Aes256),
        n => return Err(CryptoError::KeyLength(n)),
    };
    if full.len() < icv.len() || !ct_eq(&full[..icv.len()], icv) {
        return Err(CryptoError::Tag);
    }
    buf.copy_from_slice(&plain);
    Ok(())
}

/// ChaCha20-Poly1305 (RFC 8439) decryption with a 16-byte tag.
pub(crate) fn chacha_decrypt(
    key: &[u8],
    nonce: &[u8; 12],
    aad: &[u8],
    buf: &mut [u8],
    icv: &[u8],
) -> Result<(), CryptoError> {
    if icv.len() != 16 {
        return Err(CryptoError::Length);
    }
    let c = ChaCha20Poly1305::new_from_slice(key).map_err(|_| CryptoError::KeyLength(key.len()))?;
    c.decrypt_in_place_detached(
        chacha20poly1305::Nonce::from_slice(nonce),
        aad,
        buf,
        chacha20poly1305::Tag::from_slice(icv),
    )
    .map_err(|_| CryptoError::Tag)
}

/// HMAC over the concatenation of `parts`; full output.
pub(crate) fn hmac(hash: HashAlg, key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    fn run<M: Mac + KeyInit>(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
        // HMAC takes keys of any length; an error here is impossible but must not panic.
        let Ok(mut m) = <M as KeyInit>::new_from_slice(key) else {
            return Vec::new();
        };
        for p in parts {
            m.update(p);
        }
        m.finalize().into_bytes().to_vec()
    }
    match hash {
        HashAlg::Md5 => run::<Hmac<md5::Md5>>(key, parts),
        HashAlg::Sha1 => run::<Hmac<sha1::Sha1>>(key, parts),
        HashAlg::Sha256 => run::<Hmac<sha2::Sha256>>(key, parts),
        HashAlg::Sha384 => run::<Hmac<sha2::Sha384>>(key, parts),
        HashAlg::Sha512 => run::<Hmac<sha2::Sha512>>(key, parts),
    }
}

/// Plain hash over the concatenation of `parts`.
pub(crate) fn hash(alg: HashAlg, parts: &[&[u8]]) -> Vec<u8> {
    fn run<D: Digest>(parts: &[&[u8]]) -> Vec<u8> {
        let mut d = D::new();
        for p in parts {
            d.update(p);
        }
        d.finalize().to_vec()
    }
    match alg {
        HashAlg::Md5 => run::<md5::Md5>(parts),
        HashAlg::Sha1 => run::<sha1::Sha1>(parts),
        HashAlg::Sha256 => run::<sha2::Sha256>(parts),
        HashAlg::Sha384 => run::<sha2::Sha384>(parts),
        HashAlg::Sha512 => run::<sha2::Sha512>(parts),
    }
}

/// Comparison whose time does not depend on where the inputs differ.
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
