//! strongSwan-style proposal summaries (`aes256-sha256-modp2048`, `aes128gcm16-prfsha384-ecp384`)
//! and weak-crypto checks (RFC 8247 / RFC 8221 "MUST NOT"/"SHOULD NOT" algorithms).

use crate::attributes::DataAttribute;
use crate::iana::{ProtocolId, TransformType};
use crate::{ikev1, ikev2};
use std::borrow::Cow;

/// IKEv2 encryption keyword (`aes128`, `aes256gcm16`, `3des`, ...).
pub fn encr_keyword(id: u16, key_length: Option<u16>) -> Cow<'static, str> {
    let k = key_length.map(|k| k.to_string()).unwrap_or_default();
    let with = |base: &str, suffix: &str| Cow::Owned(format!("{base}{k}{suffix}"));
    match id {
        1 => "desiv64".into(),
        2 => "des".into(),
        3 => "3des".into(),
        4 => "rc5".into(),
        5 => "idea".into(),
        6 => "cast128".into(),
        7 => with("blowfish", ""),
        8 => "3idea".into(),
        9 => "desiv32".into(),
        11 => "null".into(),
        12 => with("aes", ""),
        13 => with("aes", "ctr"),
        14 => with("aes", "ccm8"),
        15 => with("aes", "ccm12"),
        16 => with("aes", "ccm16"),
        18 => with("aes", "gcm8"),
        19 => with("aes", "gcm12"),
        20 => with("aes", "gcm16"),
        21 => with("aes", "gmac"),
        23 => with("camellia", ""),
        24 => with("camellia", "ctr"),
        25 => with("camellia", "ccm8"),
        26 => with("camellia", "ccm12"),
        27 => with("camellia", "ccm16"),
        28 => "chacha20poly1305".into(),
        other => Cow::Owned(format!("encr{other}")),
    }
}

/// True for IKEv2 AEAD encryption transforms (no separate integrity algorithm).
pub fn is_aead_v2(id: u16) -> bool {
    matches!(id, 14..=16 | 18..=21 | 25..=31)
}

/// IKEv2 integrity keyword (`sha256`, `sha1`, ...); `None` for NONE (0).
pub fn integ_keyword(id: u16) -> Option<Cow<'static, str>> {
    Some(match id {
        0 => return None,
        1 => "md5".into(),
        2 => "sha1".into(),
        3 => "desmac".into(),
        4 => "kpdkmd5".into(),
        5 => "aesxcbc".into(),
        6 => "md5_128".into(),
        7 => "sha1_160".into(),
        8 => "aescmac".into(),
        9 => "aes128gmac".into(),
        10 => "aes192gmac".into(),
        11 => "aes256gmac".into(),
        12 => "sha256".into(),
        13 => "sha384".into(),
        14 => "sha512".into(),
        other => Cow::Owned(format!("integ{other}")),
    })
}

/// IKEv2 PRF keyword (`prfsha256`, ...).
pub fn prf_keyword(id: u16) -> Cow<'static, str> {
    match id {
        1 => "prfmd5".into(),
        2 => "prfsha1".into(),
        3 => "prftiger".into(),
        4 => "prfaesxcbc".into(),
        5 => "prfsha256".into(),
        6 => "prfsha384".into(),
        7 => "prfsha512".into(),
        8 => "prfaescmac".into(),
        other => Cow::Owned(format!("prf{other}")),
    }
}

/// The PRF keyword strongSwan implies from an integrity algorithm.
fn implied_prf(integ: u16) -> Option<u16> {
    Some(match integ {
        1 | 6 => 1,
        2 | 7 => 2,
        5 => 4,
        8 => 8,
        12 => 5,
        13 => 6,
        14 => 7,
        _ => return None,
    })
}

/// DH / KE group keyword (`modp2048`, `ecp256`, `curve25519`, `mlkem768`, ...); `None` for 0.
pub fn dh_keyword(group: u16) -> Option<Cow<'static, str>> {
    Some(match group {
        0 => return None,
        1 => "modp768".into(),
        2 => "modp1024".into(),
        3 => "ec2n155".into(),
        4 => "ec2n185".into(),
        5 => "modp1536".into(),
        14 => "modp2048".into(),
        15 => "modp3072".into(),
        16 => "modp4096".into(),
        17 => "modp6144".into(),
        18 => "modp8192".into(),
        19 => "ecp256".into(),
        20 => "ecp384".into(),
        21 => "ecp521".into(),
        22 => "modp1024s160".into(),
        23 => "modp2048s224".into(),
        24 => "modp2048s256".into(),
        25 => "ecp192".into(),
        26 => "ecp224".into(),
        27 => "ecp224bp".into(),
        28 => "ecp256bp".into(),
        29 => "ecp384bp".into(),
        30 => "ecp512bp".into(),
        31 => "curve25519".into(),
        32 => "curve448".into(),
        35 => "mlkem512".into(),
        36 => "mlkem768".into(),
        37 => "mlkem1024".into(),
        other => Cow::Owned(format!("dh{other}")),
    })
}

/// Summary of an IKEv2 proposal from its transforms `(type, id, key_length)`, e.g.
/// `aes256-sha256-modp2048` (IKE, PRF implied by the integrity algorithm),
/// `aes128gcm16-prfsha384-ecp384` (AEAD), `aes128-sha256` (ESP without PFS), `…-esn`.
pub fn summary_v2<I>(protocol: ProtocolId, transforms: I) -> String
where
    I: IntoIterator<Item = (TransformType, u16, Option<u16>)>,
{
    let t: Vec<(TransformType, u16, Option<u16>)> = transforms.into_iter().collect();
    let of = |ty: TransformType| t.iter().filter(move |x| x.0 == ty);
    let mut parts: Vec<Cow<'static, str>> = Vec::new();
    let mut all_aead = true;
    let mut any_encr = false;
    for &(_, id, kl) in of(TransformType::ENCR) {
        any_encr = true;
        all_aead &= is_aead_v2(id);
        parts.push(encr_keyword(id, kl));
    }
    let integs: Vec<u16> = of(TransformType::INTEG)
        .map(|x| x.1)
        .filter(|&i| i != 0)
        .collect();
    for &i in &integs {
        if let Some(k) = integ_keyword(i) {
            parts.push(k);
        }
    }
    let prfs: Vec<u16> = of(TransformType::PRF).map(|x| x.1).collect();
    if protocol == ProtocolId::IKE && !prfs.is_empty() {
        let mut implied: Vec<u16> = integs.iter().filter_map(|&i| implied_prf(i)).collect();
        implied.dedup();
        let mut sorted = prfs.clone();
        sorted.sort_unstable();
        sorted.dedup();
        implied.sort_unstable();
        implied.dedup();
        if (any_encr && all_aead) || integs.is_empty() || sorted != implied {
            parts.extend(prfs.iter().map(|&p| prf_keyword(p)));
        }
    }
    parts.extend(of(TransformType::KE).filter_map(|x| dh_keyword(x.1)));
    for &(ty, id, _) in &t {
        if let (Some(n), Some(k)) = (ty.additional_ke_number(), dh_keyword(id)) {
            parts.push(Cow::Owned(format!("ke{n}_{k}")));
        }
    }
    let esn: Vec<u16> = of(TransformType::ESN).map(|x| x.1).collect();
    if esn.contains(&1) {
        parts.push("esn".into());
        if esn.contains(&0) {
            parts.push("noesn".into());
        }
    }
    parts.join("-")
}

/// Summary of a parsed IKEv2 proposal (transforms after a parse error are ignored).
pub fn proposal_summary_v2(p: &ikev2::Proposal<'_>) -> String {
    summary_v2(
        p.protocol_id,
        p.transforms()
            .map_while(Result::ok)
            .map(|t| (t.transform_type, t.transform_id, t.key_length())),
    )
}

fn ike_v1_encryption_keyword(id: u64, k: Option<u64>) -> Cow<'static, str> {
    let k = k.map(|k| k.to_string()).unwrap_or_default();
    match id {
        1 => "des".into(),
        2 => "idea".into(),
        3 => Cow::Owned(format!("blowfish{k}")),
        4 => "rc5".into(),
        5 => "3des".into(),
        6 => "cast128".into(),
        7 => Cow::Owned(format!("aes{k}")),
        8 => Cow::Owned(format!("camellia{k}")),
        other => Cow::Owned(format!("encr{other}")),
    }
}

fn ike_v1_hash_keyword(id: u64) -> Cow<'static, str> {
    match id {
        1 => "md5".into(),
        2 => "sha1".into(),
        3 => "tiger".into(),
        4 => "sha256".into(),
        5 => "sha384".into(),
        6 => "sha512".into(),
        other => Cow::Owned(format!("hash{other}")),
    }
}

fn ipsec_auth_keyword(id: u64) -> Cow<'static, str> {
    match id {
        1 => "md5".into(),
        2 => "sha1".into(),
        3 => "desmac".into(),
        4 => "kpdk".into(),
        5 => "sha256".into(),
        6 => "sha384".into(),
        7 => "sha512".into(),
        8 => "ripemd".into(),
        9 => "aesxcbc".into(),
        11 => "aes128gmac".into(),
        12 => "aes192gmac".into(),
        13 => "aes256gmac".into(),
        other => Cow::Owned(format!("auth{other}")),
    }
}

fn esp_v1_keyword(id: u8, k: Option<u64>) -> Cow<'static, str> {
    let k = k.map(|k| k.to_string()).unwrap_or_default();
    match id {
        1 => "desiv64".into(),
        2 => "des".into(),
        3 => "3des".into(),
        4 => "rc5".into(),
        5 => "idea".into(),
        6 => "cast128".into(),
        7 => Cow::Owned(format!("blowfish{k}")),
        8 => "3idea".into(),
        9 => "desiv32".into(),
        10 => "rc4".into(),
        11 => "null".into(),
        12 => Cow::Owned(format!("aes{k}")),
        13 => Cow::Owned(format!("aes{k}ctr")),
        14 => Cow::Owned(format!("aes{k}ccm8")),
        15 => Cow::Owned(format!("aes{k}ccm12")),
        16 => Cow::Owned(format!("aes{k}ccm16")),
        18 => Cow::Owned(format!("aes{k}gcm8")),
        19 => Cow::Owned(format!("aes{k}gcm12")),
        20 => Cow::Owned(format!("aes{k}gcm16")),
        21 => "seed".into(),
        22 => Cow::Owned(format!("camellia{k}")),
        23 => Cow::Owned(format!("aes{k}gmac")),
        other => Cow::Owned(format!("esp{other}")),
    }
}

fn ah_v1_keyword(id: u8) -> Cow<'static, str> {
    match id {
        2 => "md5".into(),
        3 => "sha1".into(),
        4 => "desmac".into(),
        5 => "sha256".into(),
        6 => "sha384".into(),
        7 => "sha512".into(),
        8 => "ripemd".into(),
        9 => "aesxcbc".into(),
        other => Cow::Owned(format!("ah{other}")),
    }
}

/// Summary of one IKEv1 transform given its proposal protocol, transform ID and attributes
/// `(type, numeric value)`: phase 1 (protocol 1) `aes128-sha1-modp2048` from the encryption,
/// key length, hash and group attributes; ESP `aes128-sha256[-modp2048][-esn]` from the
/// transform ID, key length, authentication algorithm and PFS group attributes; AH likewise.
pub fn summary_v1<I>(protocol: ProtocolId, transform_id: u8, attributes: I) -> String
where
    I: IntoIterator<Item = (u16, u64)>,
{
    let a: Vec<(u16, u64)> = attributes.into_iter().collect();
    let get = |t: u16| a.iter().find(|x| x.0 == t).map(|x| x.1);
    let mut parts: Vec<Cow<'static, str>> = Vec::new();
    let group = |g: Option<u64>| g.and_then(|g| u16::try_from(g).ok()).and_then(dh_keyword);
    match protocol {
        ProtocolId::IKE => {
            if let Some(e) = get(1) {
                parts.push(ike_v1_encryption_keyword(e, get(14)));
            }
            if let Some(h) = get(2) {
                parts.push(ike_v1_hash_keyword(h));
            }
            parts.extend(group(get(4)));
        }
        ProtocolId::AH => {
            parts.push(ah_v1_keyword(transform_id));
            parts.extend(group(get(3)));
        }
        ProtocolId::ESP => {
            parts.push(esp_v1_keyword(transform_id, get(6)));
            if let Some(h) = get(5) {
                parts.push(ipsec_auth_keyword(h));
            }
            parts.extend(group(get(3)));
            if get(11) == Some(1) {
                parts.push("esn".into());
            }
        }
        ProtocolId::IPCOMP => parts.push(match transform_id {
            1 => "oui".into(),
            2 => "deflate".into(),
            3 => "lzs".into(),
            4 => "lzjh".into(),
            other => Cow::Owned(format!("ipcomp{other}")),
        }),
        _ => parts.push(Cow::Owned(format!("transform{transform_id}"))),
    }
    parts.join("-")
}

/// One summary per transform of a parsed IKEv1 proposal.
pub fn proposal_summaries_v1<'a>(p: &ikev1::Proposal<'a>) -> impl Iterator<Item = String> + 'a {
    let protocol = p.protocol_id;
    p.transforms().map_while(Result::ok).map(move |t| {
        summary_v1(
            protocol,
            t.transform_id,
            t.attributes()
                .map_while(Result::ok)
                .filter_map(|a: DataAttribute<'_>| a.as_u64().map(|v| (a.attr_type, v))),
        )
    })
}

/// Weak IKEv2 encryption: DES variants, 3DES, RC5, IDEA, CAST, Blowfish, 3IDEA, NULL.
pub fn is_weak_encr_v2(id: u16) -> bool {
    matches!(id, 1..=9 | 11)
}

/// Weak IKEv2 integrity: MD5 and SHA-1 based, DES-MAC, KPDK.
pub fn is_weak_integ_v2(id: u16) -> bool {
    matches!(id, 1..=4 | 6 | 7)
}

/// Weak IKEv2 PRF: HMAC-MD5 and HMAC-SHA1.
pub fn is_weak_prf_v2(id: u16) -> bool {
    matches!(id, 1 | 2)
}

/// Weak DH group: MODP 768/1024/1536, the 1024-bit subgroup MODP (22) and the IKEv1 EC2N groups.
pub fn is_weak_dh_group(group: u16) -> bool {
    matches!(group, 1..=5 | 22)
}

/// Weak IKEv1 phase-1 encryption algorithm (attribute 1): everything but AES and Camellia.
pub fn is_weak_ike_encryption_v1(id: u16) -> bool {
    matches!(id, 1..=6)
}

/// Weak IKEv1 phase-1 hash (attribute 2): MD5, SHA-1, Tiger.
pub fn is_weak_ike_hash_v1(id: u16) -> bool {
    matches!(id, 1..=3)
}

/// Weak IKEv1 ESP transform ID: DES variants, 3DES, RC4/RC5, IDEA, CAST, Blowfish, NULL.
pub fn is_weak_esp_transform_v1(id: u8) -> bool {
    matches!(id, 1..=11)
}

/// Weak IPsec DOI authentication algorithm (attribute 5): HMAC-MD5, HMAC-SHA1, DES-MAC, KPDK.
pub fn is_weak_ipsec_auth_v1(id: u16) -> bool {
    matches!(id, 1..=4)
}

/// True when any transform of an IKEv2 proposal `(type, id)` is weak.
pub fn has_weak_v2<I: IntoIterator<Item = (TransformType, u16)>>(transforms: I) -> bool {
    transforms.into_iter().any(|(ty, id)| match ty {
        TransformType::ENCR => is_weak_encr_v2(id),
        TransformType::PRF => is_weak_prf_v2(id),
        TransformType::INTEG => is_weak_integ_v2(id),
        _ => ty.is_key_exchange() && is_weak_dh_group(id),
    })
}

/// True when an IKEv1 transform (protocol, transform ID, attributes) uses weak crypto.
pub fn has_weak_v1<I: IntoIterator<Item = (u16, u64)>>(
    protocol: ProtocolId,
    transform_id: u8,
    attributes: I,
) -> bool {
    let small = |v: u64| u16::try_from(v).unwrap_or(u16::MAX);
    let attr_weak = attributes.into_iter().any(|(t, v)| match (protocol, t) {
        (ProtocolId::IKE, 1) => is_weak_ike_encryption_v1(small(v)),
        (ProtocolId::IKE, 2) => is_weak_ike_hash_v1(small(v)),
        (ProtocolId::IKE, 4) | (ProtocolId::AH | ProtocolId::ESP, 3) => is_weak_dh_group(small(v)),
        (ProtocolId::AH | ProtocolId::ESP, 5) => is_weak_ipsec_auth_v1(small(v)),
        _ => false,
    });
    attr_weak
        || (protocol == ProtocolId::ESP && is_weak_esp_transform_v1(transform_id))
        || (protocol == ProtocolId::AH && matches!(transform_id, 2..=4))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v2_summaries() {
        // ikev2_ok.pcap frame 1: AES-CBC-128, SHA2-256-128, PRF SHA2-256, MODP 2048
        assert_eq!(
            summary_v2(
                ProtocolId::IKE,
                [
                    (TransformType(1), 12, Some(128)),
                    (TransformType(3), 12, None),
                    (TransformType(2), 5, None),
                    (TransformType(4), 14, None)
                ]
            ),
            "aes128-sha256-modp2048"
        );
        assert_eq!(
            summary_v2(
                ProtocolId::IKE,
                [
                    (TransformType(1), 20, Some(128)),
                    (TransformType(2), 6, None),
                    (TransformType(4), 20, None)
                ]
            ),
            "aes128gcm16-prfsha384-ecp384"
        );
        assert_eq!(
            summary_v2(
                ProtocolId::ESP,
                [
                    (TransformType(1), 12, Some(128)),
                    (TransformType(3), 12, None),
                    (TransformType(5), 0, None)
                ]
            ),
            "aes128-sha256"
        );
        assert_eq!(
            summary_v2(
                ProtocolId::IKE,
                [
                    (TransformType(1), 12, Some(256)),
                    (TransformType(3), 12, None),
                    (TransformType(2), 6, None),
                    (TransformType(4), 31, None)
                ]
            ),
            "aes256-sha256-prfsha384-curve25519"
        );
        assert_eq!(
            summary_v2(
                ProtocolId::IKE,
                [
                    (TransformType(1), 20, Some(256)),
                    (TransformType(2), 5, None),
                    (TransformType(4), 31, None),
                    (TransformType(6), 36, None)
                ]
            ),
            "aes256gcm16-prfsha256-curve25519-ke1_mlkem768"
        );
    }

    #[test]
    fn v1_summaries() {
        // ikev1_main_ok.pcap frame 1: AES-CBC 128, SHA, PSK, MODP 2048
        assert_eq!(
            summary_v1(
                ProtocolId::IKE,
                1,
                [(1, 7), (14, 128), (2, 2), (4, 14), (3, 1), (11, 1), (12, 15000)]
            ),
            "aes128-sha1-modp2048"
        );
        assert_eq!(
            summary_v1(ProtocolId::IKE, 1, [(1, 5), (2, 1), (4, 2)]),
            "3des-md5-modp1024"
        );
        assert_eq!(
            summary_v1(ProtocolId::ESP, 12, [(1, 1), (2, 3600), (4, 1), (5, 5), (6, 128)]),
            "aes128-sha256"
        );
        assert_eq!(
            summary_v1(ProtocolId::ESP, 20, [(6, 256), (3, 14)]),
            "aes256gcm16-modp2048"
        );
    }

    #[test]
    fn weak() {
        assert!(has_weak_v2([(TransformType(1), 3), (TransformType(3), 12)]));
        assert!(has_weak_v2([(TransformType(4), 2)]));
        assert!(!has_weak_v2([
            (TransformType(1), 12),
            (TransformType(3), 12),
            (TransformType(2), 5),
            (TransformType(4), 14)
        ]));
        assert!(has_weak_v1(ProtocolId::IKE, 1, [(1, 5), (2, 1), (4, 2)]));
        assert!(!has_weak_v1(ProtocolId::IKE, 1, [(1, 7), (2, 4), (4, 14)]));
        assert!(has_weak_v1(ProtocolId::ESP, 11, []));
    }
}
