//! Encryption and integrity algorithm names as Wireshark's key tables (and strongSwan's proposal
//! strings) spell them, parsed into a closed set the decryptors understand.

use std::fmt;

/// An encryption algorithm of an IKEv2 SA or an ESP SA.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum EncAlg {
    /// NULL encryption (ESP only in practice).
    Null,
    /// DES-CBC (ESP, IKEv1).
    DesCbc,
    /// 3DES-CBC (24-byte key).
    TripleDesCbc,
    /// AES-CBC; `key_bits` is `None` when the name does not say (taken from the key length).
    AesCbc {
        /// 128, 192 or 256 when given by the name.
        key_bits: Option<u16>,
    },
    /// AES-CTR (RFC 3686/5930): the key carries a 4-byte nonce at its end.
    AesCtr {
        /// 128, 192 or 256 when given by the name.
        key_bits: Option<u16>,
    },
    /// AES-GCM (RFC 4106/5282): the key carries a 4-byte salt at its end.
    AesGcm {
        /// 128, 192 or 256 when given by the name.
        key_bits: Option<u16>,
        /// ICV length in bytes: 8, 12 or 16.
        icv_len: u8,
    },
    /// AES-CCM (RFC 4309/5282): the key carries a 3-byte salt at its end.
    AesCcm {
        /// 128, 192 or 256 when given by the name.
        key_bits: Option<u16>,
        /// ICV length in bytes: 8, 12 or 16.
        icv_len: u8,
    },
    /// ChaCha20-Poly1305 (RFC 7634): 32-byte key plus a 4-byte salt, 16-byte ICV.
    ChaCha20Poly1305,
    /// Anything else, with the name as written.
    Other(String),
}

/// An integrity (authentication) algorithm.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum IntegAlg {
    /// No integrity algorithm (AEAD ciphers, or none configured).
    None,
    /// HMAC with `hash`, the output truncated to `icv_len` bytes.
    Hmac {
        /// The hash function.
        hash: HashAlg,
        /// Truncated ICV length in bytes.
        icv_len: u8,
    },
    /// AES-XCBC-MAC-96 (RFC 3566): 16-byte key, 12-byte ICV.
    AesXcbc96,
    /// Wireshark's "ANY n bits [No Checking]": an ICV of `icv_len` bytes that is skipped.
    AnyUnchecked {
        /// ICV length in bytes.
        icv_len: u8,
    },
    /// Anything else, with the name as written.
    Other(String),
}

/// A hash function used by HMAC and by IKEv1's IV derivation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HashAlg {
    /// MD5.
    Md5,
    /// SHA-1.
    Sha1,
    /// SHA2-256.
    Sha256,
    /// SHA2-384.
    Sha384,
    /// SHA2-512.
    Sha512,
}

impl HashAlg {
    /// Output length in bytes.
    pub fn output_len(self) -> usize {
        match self {
            HashAlg::Md5 => 16,
            HashAlg::Sha1 => 20,
            HashAlg::Sha256 => 32,
            HashAlg::Sha384 => 48,
            HashAlg::Sha512 => 64,
        }
    }
}

/// Upper-cased alphanumeric tokens of a name, with bracketed remarks (`[RFC3602]`) removed.
fn tokens(name: &str) -> Vec<String> {
    let mut cleaned = String::with_capacity(name.len());
    let mut depth = 0usize;
    for c in name.chars() {
        match c {
            '[' | '(' => depth += 1,
            ']' | ')' => depth = depth.saturating_sub(1),
            _ if depth == 0 => cleaned.push(c),
            _ => {}
        }
    }
    cleaned
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(|t| t.to_ascii_uppercase())
        .collect()
}

fn numbers(toks: &[String]) -> Vec<u32> {
    toks.iter().filter_map(|t| t.parse::<u32>().ok()).collect()
}

impl EncAlg {
    /// Parse a Wireshark (`"AES-CBC-128 [RFC3602]"`, `"AES-GCM with 16 octet ICV [RFC4106]"`,
    /// `"AES-CCM-128 with 8 octet ICV [RFC5282]"`, `"TripleDES-CBC [RFC2451]"`) or strongSwan
    /// (`AES_CBC_128`, `AES_GCM_16_256`, `AES_CCM_8_128`) name.
    pub fn parse(name: &str) -> EncAlg {
        let toks = tokens(name);
        let has = |s: &str| toks.iter().any(|t| t == s);
        let nums = numbers(&toks);
        let key_bits = nums
            .iter()
            .copied()
            .find(|n| matches!(n, 128 | 192 | 256))
            .map(|n| n as u16);
        let icv = nums
            .iter()
            .copied()
            .find(|n| matches!(n, 8 | 12 | 16))
            .map(|n| n as u8);
        let first = toks.first().map(String::as_str).unwrap_or("");
        if toks.is_empty() || first == "NULL" || first == "NONE" {
            return EncAlg::Null;
        }
        if has("3DES") || has("TRIPLEDES") || has("DES3") {
            return EncAlg::TripleDesCbc;
        }
        if first == "DES" {
            return EncAlg::DesCbc;
        }
        if has("CHACHA20") || has("CHACHA20POLY1305") {
            return EncAlg::ChaCha20Poly1305;
        }
        if first == "AES" || first.starts_with("AES") {
            let mode_tok = |m: &str| has(m) || first == format!("AES{m}");
            if mode_tok("GCM") {
                return EncAlg::AesGcm {
                    key_bits,
                    icv_len: icv.unwrap_or(16),
                };
            }
            if mode_tok("CCM") {
                return EncAlg::AesCcm {
                    key_bits,
                    icv_len: icv.unwrap_or(16),
                };
            }
            if mode_tok("CTR") {
                return EncAlg::AesCtr { key_bits };
            }
            if mode_tok("CBC") || toks.len() == 1 || (toks.len() == 2 && key_bits.is_some()) {
                return EncAlg::AesCbc { key_bits };
            }
        }
        EncAlg::Other(name.trim().to_string())
    }

    /// True for AEAD ciphers (no separate integrity algorithm).
    pub fn is_aead(&self) -> bool {
        matches!(
            self,
            EncAlg::AesGcm { .. } | EncAlg::AesCcm { .. } | EncAlg::ChaCha20Poly1305
        )
    }
}

impl IntegAlg {
    /// Parse a Wireshark (`"HMAC_SHA2_256_128 [RFC4868]"`, `"HMAC-SHA-1-96 [RFC2404]"`,
    /// `"ANY 96 bit authentication [no checking]"`, `"AES-XCBC-MAC-96 [RFC3566]"`, `"NULL"`) or
    /// strongSwan (`HMAC_SHA1_96`, `AES_XCBC_96`) name.
    pub fn parse(name: &str) -> IntegAlg {
        let toks = tokens(name);
        let has = |s: &str| toks.iter().any(|t| t == s);
        let nums = numbers(&toks);
        let first = toks.first().map(String::as_str).unwrap_or("");
        if toks.is_empty() || first == "NULL" || first == "NONE" {
            return IntegAlg::None;
        }
        if first == "ANY" {
            let bits = nums.first().copied().unwrap_or(96);
            return IntegAlg::AnyUnchecked {
                icv_len: (bits / 8).min(255) as u8,
            };
        }
        if has("XCBC") || (first == "AES" && has("MAC")) {
            return IntegAlg::AesXcbc96;
        }
        if first == "HMAC" || has("MD5") || has("SHA1") || has("SHA") || has("SHA2") {
            let (hash, rest): (HashAlg, Vec<u32>) = if has("MD5") {
                (HashAlg::Md5, nums.clone())
            } else if has("SHA1") || (has("SHA") && nums.first() == Some(&1)) {
                let rest = if has("SHA1") {
                    nums.clone()
                } else {
                    nums[1..].to_vec()
                };
                (HashAlg::Sha1, rest)
            } else if nums.first() == Some(&512) || has("SHA512") {
                (HashAlg::Sha512, strip_first(&nums, 512))
            } else if nums.first() == Some(&384) || has("SHA384") {
                (HashAlg::Sha384, strip_first(&nums, 384))
            } else if nums.first() == Some(&256) || has("SHA256") {
                (HashAlg::Sha256, strip_first(&nums, 256))
            } else if has("SHA") {
                (HashAlg::Sha1, nums.clone())
            } else {
                return IntegAlg::Other(name.trim().to_string());
            };
            let default_bits = match hash {
                HashAlg::Md5 | HashAlg::Sha1 => 96,
                h => h.output_len() as u32 * 4,
            };
            let bits = rest
                .first()
                .copied()
                .filter(|b| *b >= 32 && b % 8 == 0 && *b as usize <= hash.output_len() * 8)
                .unwrap_or(default_bits);
            return IntegAlg::Hmac {
                hash,
                icv_len: (bits / 8) as u8,
            };
        }
        IntegAlg::Other(name.trim().to_string())
    }

    /// Length of the ICV on the wire, when known.
    pub fn icv_len(&self) -> Option<usize> {
        match self {
            IntegAlg::None => Some(0),
            IntegAlg::Hmac { icv_len, .. } | IntegAlg::AnyUnchecked { icv_len } => Some(*icv_len as usize),
            IntegAlg::AesXcbc96 => Some(12),
            IntegAlg::Other(_) => None,
        }
    }
}

/// `nums` without the first occurrence of `v`.
fn strip_first(nums: &[u32], v: u32) -> Vec<u32> {
    let mut out = nums.to_vec();
    if let Some(i) = out.iter().position(|n| *n == v) {
        out.remove(i);
    }
    out
}

impl fmt::Display for EncAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kb = |k: &Option<u16>| k.map(|b| format!("-{b}")).unwrap_or_default();
        match self {
            EncAlg::Null => write!(f, "NULL"),
            EncAlg::DesCbc => write!(f, "DES-CBC"),
            EncAlg::TripleDesCbc => write!(f, "3DES-CBC"),
            EncAlg::AesCbc { key_bits } => write!(f, "AES-CBC{}", kb(key_bits)),
            EncAlg::AesCtr { key_bits } => write!(f, "AES-CTR{}", kb(key_bits)),
            EncAlg::AesGcm { key_bits, icv_len } => {
                write!(f, "AES-GCM{} ({icv_len}-byte ICV)", kb(key_bits))
            }
            EncAlg::AesCcm { key_bits, icv_len } => {
                write!(f, "AES-CCM{} ({icv_len}-byte ICV)", kb(key_bits))
            }
            EncAlg::ChaCha20Poly1305 => write!(f, "ChaCha20-Poly1305"),
            EncAlg::Other(s) => write!(f, "{s}"),
        }
    }
}

impl fmt::Display for IntegAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IntegAlg::None => write!(f, "NONE"),
            IntegAlg::Hmac { hash, icv_len } => write!(f, "HMAC-{hash:?}-{}", *icv_len as u32 * 8),
            IntegAlg::AesXcbc96 => write!(f, "AES-XCBC-96"),
            IntegAlg::AnyUnchecked { icv_len } => {
                write!(f, "ANY {} bits (not checked)", *icv_len as u32 * 8)
            }
            IntegAlg::Other(s) => write!(f, "{s}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enc_names() {
        assert_eq!(
            EncAlg::parse("AES-CBC-128 [RFC3602]"),
            EncAlg::AesCbc { key_bits: Some(128) }
        );
        assert_eq!(
            EncAlg::parse("AES-CBC [RFC3602]"),
            EncAlg::AesCbc { key_bits: None }
        );
        assert_eq!(
            EncAlg::parse("AES-GCM-256 with 8 octet ICV [RFC5282]"),
            EncAlg::AesGcm {
                key_bits: Some(256),
                icv_len: 8
            }
        );
        assert_eq!(
            EncAlg::parse("AES-GCM with 16 octet ICV [RFC4106]"),
            EncAlg::AesGcm {
                key_bits: None,
                icv_len: 16
            }
        );
        assert_eq!(
            EncAlg::parse("AES_GCM_16_256"),
            EncAlg::AesGcm {
                key_bits: Some(256),
                icv_len: 16
            }
        );
        assert_eq!(
            EncAlg::parse("AES-CTR [RFC3686]"),
            EncAlg::AesCtr { key_bits: None }
        );
        let ccm = |key_bits, icv_len| EncAlg::AesCcm { key_bits, icv_len };
        // Wireshark's IKEv2 table names, all 9 suites
        for bits in [128u16, 192, 256] {
            for icv in [8u8, 12, 16] {
                let ws = format!("AES-CCM-{bits} with {icv} octet ICV [RFC5282]");
                assert_eq!(EncAlg::parse(&ws), ccm(Some(bits), icv), "{ws}");
                // strongSwan's proposal names (charon logs)
                let ss = format!("AES_CCM_{icv}_{bits}");
                assert_eq!(EncAlg::parse(&ss), ccm(Some(bits), icv), "{ss}");
            }
        }
        // esp_sa names (the key length comes from the key)
        assert_eq!(EncAlg::parse("AES-CCM [RFC4309]"), ccm(None, 16));
        assert_eq!(EncAlg::parse("AES-CCM with 8 octet ICV [RFC4309]"), ccm(None, 8));
        assert_eq!(
            EncAlg::parse("AES-CCM with 12 octet ICV [RFC4309]"),
            ccm(None, 12)
        );
        assert_eq!(EncAlg::parse("AES_CCM_16"), ccm(None, 16));
        assert!(ccm(None, 8).is_aead());
        assert_eq!(ccm(Some(256), 12).to_string(), "AES-CCM-256 (12-byte ICV)");
        assert_eq!(EncAlg::parse("3DES [RFC2451]"), EncAlg::TripleDesCbc);
        assert_eq!(EncAlg::parse("TripleDES-CBC [RFC2451]"), EncAlg::TripleDesCbc);
        assert_eq!(EncAlg::parse("DES-CBC [RFC2405]"), EncAlg::DesCbc);
        assert_eq!(EncAlg::parse("NULL"), EncAlg::Null);
        assert_eq!(EncAlg::parse("CHACHA20_POLY1305"), EncAlg::ChaCha20Poly1305);
        assert!(matches!(
            EncAlg::parse("BLOWFISH-CBC [RFC2451]"),
            EncAlg::Other(_)
        ));
    }

    #[test]
    fn integ_names() {
        let h = |hash, icv_len| IntegAlg::Hmac { hash, icv_len };
        assert_eq!(
            IntegAlg::parse("HMAC_SHA2_256_128 [RFC4868]"),
            h(HashAlg::Sha256, 16)
        );
        assert_eq!(IntegAlg::parse("HMAC-SHA-1-96 [RFC2404]"), h(HashAlg::Sha1, 12));
        assert_eq!(IntegAlg::parse("HMAC_SHA1_96"), h(HashAlg::Sha1, 12));
        assert_eq!(IntegAlg::parse("HMAC_SHA1_160 [RFC4595]"), h(HashAlg::Sha1, 20));
        assert_eq!(IntegAlg::parse("HMAC-MD5-96 [RFC2403]"), h(HashAlg::Md5, 12));
        assert_eq!(
            IntegAlg::parse("HMAC-SHA-256-96 [draft-ietf-ipsec-ciph-sha-256-00]"),
            h(HashAlg::Sha256, 12)
        );
        assert_eq!(
            IntegAlg::parse("HMAC_SHA2_384_192 [RFC4868]"),
            h(HashAlg::Sha384, 24)
        );
        assert_eq!(
            IntegAlg::parse("HMAC_SHA2_512_256 [RFC4868]"),
            h(HashAlg::Sha512, 32)
        );
        assert_eq!(
            IntegAlg::parse("ANY 96 bit authentication [no checking]"),
            IntegAlg::AnyUnchecked { icv_len: 12 }
        );
        assert_eq!(IntegAlg::parse("NULL"), IntegAlg::None);
        assert_eq!(IntegAlg::parse("NONE [RFC4306]"), IntegAlg::None);
        assert_eq!(IntegAlg::parse("AES_XCBC_96"), IntegAlg::AesXcbc96);
        assert_eq!(IntegAlg::parse("AES-XCBC-MAC-96 [RFC3566]"), IntegAlg::AesXcbc96);
        assert_eq!(IntegAlg::parse("AES-XCBC-96 [RFC3566]"), IntegAlg::AesXcbc96);
        assert_eq!(IntegAlg::parse("AES_XCBC_96").icv_len(), Some(12));
    }
}
