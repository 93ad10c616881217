//! Thin wrappers over RustCrypto primitives. The one mode written here is AES-XCBC-MAC
//! ([`aes_xcbc_mac`]), which no RustCrypto crate provides: it is composed from the `aes` crate's
//! AES-128 block cipher; no primitive (block cipher, hash) is implemented here.

use crate::keys::HashAlg;
use aes::cipher::{generic_array::GenericArray, BlockEncrypt};
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

/// AES-CCM (RFC 3610, NIST SP 800-38C) decryption with the 11-byte nonce of RFC 4309 (ESP) and
/// RFC 5282 (IKEv2): 3-byte salt || 8-byte IV, and an 8-, 12- or 16-byte ICV; from the `ccm`
/// crate. The key is 16, 24 or 32 bytes (AES-128/192/256, salt removed). When the tag does not
/// verify, `buf` is left zeroed (the `ccm` crate clears it): callers that retry copy the
/// ciphertext in again.
pub(crate) fn aes_ccm_decrypt(
    key: &[u8],
    nonce: &[u8; 11],
    aad: &[u8],
    buf: &mut [u8],
    icv: &[u8],
) -> Result<(), CryptoError> {
    use ccm::consts::{U11, U12, U16, U8};
    macro_rules! run {
        ($c:ty, $m:ty) => {{
            let c = ccm::Ccm::<$c, $m, U11>::new_from_slice(key)
                .map_err(|_| CryptoError::KeyLength(key.len()))?;
            c.decrypt_in_place_detached(
                ccm::Nonce::<U11>::from_slice(nonce),
                aad,
                buf,
                ccm::Tag::<$m>::from_slice(icv),
            )
            .map_err(|_| CryptoError::Tag)
        }};
    }
    match (key.len(), icv.len()) {
        (16, 8) => run!(Aes128, U8),
        (16, 12) => run!(Aes128, U12),
        (16, 16) => run!(Aes128, U16),
        (24, 8) => run!(Aes192, U8),
        (24, 12) => run!(Aes192, U12),
        (24, 16) => run!(Aes192, U16),
        (32, 8) => run!(Aes256, U8),
        (32, 12) => run!(Aes256, U12),
        (32, 16) => run!(Aes256, U16),
        (16 | 24 | 32, _) => Err(CryptoError::Length),
        (n, _) => Err(CryptoError::KeyLength(n)),
    }
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

/// AES-XCBC-MAC (RFC 3566) of the concatenation of `parts`, full 16-byte output (AES-XCBC-MAC-96
/// is its first 12 bytes); `None` unless the key is 16 bytes.
///
/// No maintained RustCrypto crate provides XCBC, so the mode is composed here from the `aes`
/// crate's AES-128 block cipher (`encrypt_block`): the key derivation K1/K2/K3 = E(K, 0x01../
/// 0x02../0x03..), the CBC chaining under K1, and the last-block rule (a complete last block is
/// XORed with K2; an incomplete or empty one is padded with 0x80 0x00.. and XORed with K3).
/// Checked against every test case of RFC 3566 section 4.6.
pub(crate) fn aes_xcbc_mac(key: &[u8], parts: &[&[u8]]) -> Option<[u8; 16]> {
    let k = Aes128::new_from_slice(key).ok()?;
    let derive = |fill: u8| -> [u8; 16] {
        let mut b = GenericArray::from([fill; 16]);
        k.encrypt_block(&mut b);
        b.into()
    };
    let k1 = Aes128::new(&GenericArray::from(derive(1)));
    let (k2, k3) = (derive(2), derive(3));
    // `state` is E[i-1]; `pending` holds the latest block, processed only once more data
    // follows (the last block is treated differently).
    let mut state = GenericArray::from([0u8; 16]);
    let mut pending = [0u8; 16];
    let mut n = 0usize;
    for part in parts {
        let mut data = *part;
        while !data.is_empty() {
            if n == 16 {
                state.iter_mut().zip(pending).for_each(|(s, p)| *s ^= p);
                k1.encrypt_block(&mut state);
                n = 0;
            }
            let take = (16 - n).min(data.len());
            pending[n..n + take].copy_from_slice(&data[..take]);
            n += take;
            data = &data[take..];
        }
    }
    let last_key = if n == 16 {
        k2
    } else {
        pending[n] = 0x80;
        pending[n + 1..].fill(0);
        k3
    };
    for i in 0..16 {
        state[i] ^= pending[i] ^ last_key[i];
    }
    k1.encrypt_block(&mut state);
    Some(state.into())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::unhex;

    /// RFC 3566 section 4.6, test cases 1-7 (key 000102..0f).
    #[test]
    fn xcbc_rfc3566_vectors() {
        let key = unhex("000102030405060708090a0b0c0d0e0f");
        let counting = |n: usize| (0..n).map(|i| i as u8).collect::<Vec<u8>>();
        let cases: [(Vec<u8>, &str); 7] = [
            (Vec::new(), "75f0251d528ac01c4573dfd584d79f29"),
            (counting(3), "5b376580ae2f19afe7219ceef172756f"),
            (counting(16), "d2a246fa349b68a79998a4394ff7a263"),
            (counting(20), "47f51b4564966215b8985c63055ed308"),
            (counting(32), "f54f0ec8d2b9f3d36807734bd5283fd4"),
            (counting(34), "becbb3bccdb518a30677d5481fb6b4d8"),
            (vec![0u8; 1000], "f0dafee895db30253761103b5d84528f"),
        ];
        for (msg, want) in &cases {
            let want = unhex(want);
            assert_eq!(
                aes_xcbc_mac(&key, &[msg]).unwrap().as_slice(),
                &want[..],
                "{}-byte message",
                msg.len()
            );
            // the same MAC when the message arrives in pieces (as SPI..payload || seq_hi)
            for cut in [0, 1, 15, 16, 17, msg.len()] {
                let cut = cut.min(msg.len());
                let (a, b) = msg.split_at(cut);
                assert_eq!(
                    aes_xcbc_mac(&key, &[a, &[], b]).unwrap().as_slice(),
                    &want[..],
                    "{}-byte message cut at {cut}",
                    msg.len()
                );
            }
        }
        // AES-XCBC-MAC-96 is the first 96 bits: test case 2's 5b376580ae2f19afe7219cee
        assert_eq!(
            &aes_xcbc_mac(&key, &[&counting(3)]).unwrap()[..12],
            &unhex("5b376580ae2f19afe7219cee")[..]
        );
        assert_eq!(aes_xcbc_mac(&key[..15], &[b"x"]), None);
        assert_eq!(aes_xcbc_mac(&[0u8; 32], &[b"x"]), None);
    }

    /// NIST CAVS CCM "variable nonce" vectors (VNT192: AES-192, Alen 32, Plen 32, Tlen 16) with
    /// an 11-byte nonce, through the same `ccm` instantiation the decryptors use.
    #[test]
    fn ccm_nist_vectors_with_11_byte_nonce() {
        let key = unhex("7a182e4e3367194662d614bb11da11e86596f724204f48ff");
        let cases = [
            (
                "d3284d1de51559c1ddbfe6",
                "21214ac2314fdfe07bc4d066245a97b1a10470df2a6d6b926cdcbff07f5b61ef",
                "88a5c1c2ae4eb463a3283dc5c81f665b0f6d54495f6cc9d43aa8ee179d3950f8",
                "65ed1e3919d208e9e5267370b9cf9b1431ef0c584dd2cf057d243a03523ca756\
                 2a18840cac2199030c008741d74fb220",
            ),
            (
                "50f7d182a3d5f0388465e4",
                "6389bbe519992fd98a97842ecc4d2b2569328c10bd3d93c09ffb6b4044e089c4",
                "68e9cca19882c4b0c817d0645a97f74016b3f0ac133829eadb9c0e4bcad687a3",
                "72836a9a3c196e6c6e49b9a7808297d1bc2f0f02f018bb5418a4264215a9cadf\
                 691d71c18798554efcc028599a7d1e21",
            ),
        ];
        for (nonce, aad, plain, ct) in cases {
            let nonce: [u8; 11] = unhex(nonce).try_into().unwrap();
            let (aad, plain, ct) = (unhex(aad), unhex(plain), unhex(&ct.replace(' ', "")));
            let (body, tag) = ct.split_at(plain.len());
            let mut buf = body.to_vec();
            aes_ccm_decrypt(&key, &nonce, &aad, &mut buf, tag).unwrap();
            assert_eq!(buf, plain);
            // a changed AAD byte (e.g. another sequence number) fails the tag
            let mut bad_aad = aad.clone();
            bad_aad[0] ^= 1;
            let mut buf = body.to_vec();
            assert_eq!(
                aes_ccm_decrypt(&key, &nonce, &bad_aad, &mut buf, tag),
                Err(CryptoError::Tag)
            );
        }
    }

    /// Every key size and ICV length the IPsec suites use opens what the `ccm` crate sealed with
    /// the same parameters, and a wrong ICV length or key size is reported, never a panic.
    #[test]
    fn ccm_all_suites_round_trip() {
        use aes_gcm::aead::AeadInPlace;
        use ccm::consts::{U11, U12, U16, U8};
        let nonce = [7u8; 11];
        let aad = [1u8, 2, 3, 4, 0, 0, 0, 9];
        let plain = b"inner packet, padding and trailer".to_vec();
        macro_rules! seal {
            ($c:ty, $m:ty, $key:expr) => {{
                let c = ccm::Ccm::<$c, $m, U11>::new_from_slice($key).unwrap();
                let mut b = plain.clone();
                let t = c
                    .encrypt_in_place_detached(ccm::Nonce::<U11>::from_slice(&nonce), &aad, &mut b)
                    .unwrap();
                (b, t.to_vec())
            }};
        }
        for klen in [16usize, 24, 32] {
            let key: Vec<u8> = (0..klen as u8).collect();
            for m in [8usize, 12, 16] {
                let (ct, tag) = match (klen, m) {
                    (16, 8) => seal!(Aes128, U8, &key),
                    (16, 12) => seal!(Aes128, U12, &key),
                    (16, _) => seal!(Aes128, U16, &key),
                    (24, 8) => seal!(Aes192, U8, &key),
                    (24, 12) => seal!(Aes192, U12, &key),
                    (24, _) => seal!(Aes192, U16, &key),
                    (_, 8) => seal!(Aes256, U8, &key),
                    (_, 12) => seal!(Aes256, U12, &key),
                    _ => seal!(Aes256, U16, &key),
                };
                let mut buf = ct.clone();
                aes_ccm_decrypt(&key, &nonce, &aad, &mut buf, &tag).unwrap();
                assert_eq!(buf, plain, "key {klen}, icv {m}");
            }
        }
        let mut buf = plain.clone();
        assert_eq!(
            aes_ccm_decrypt(&[0; 20], &nonce, &aad, &mut buf, &[0; 16]),
            Err(CryptoError::KeyLength(20))
        );
        assert_eq!(
            aes_ccm_decrypt(&[0; 16], &nonce, &aad, &mut buf, &[0; 10]),
            Err(CryptoError::Length)
        );
    }
}
