//! Security protocol IDs, IKEv2 transform types and the transform IDs of each type (RFC 7296
//! §3.3.2, RFC 9370), and the IKEv1 transform IDs of each protocol (RFC 2407 §4.4).

newtype! {
    /// Protocol ID (IKEv1 ISAKMP DOI and IKEv2 Security Protocol Identifiers).
    ProtocolId(u8)
}

table! {
    ProtocolId =>
    /// The registry name.
    pub fn name {
        0 => "RESERVED" as RESERVED,
        1 => "IKE" as IKE,
        2 => "AH" as AH,
        3 => "ESP" as ESP,
        4 => "IPCOMP" as IPCOMP,
    }
}

newtype! {
    /// IKEv2 transform type (RFC 7296, RFC 9370).
    TransformType(u8)
}

table! {
    TransformType =>
    /// The registry name.
    pub fn name {
        1 => "ENCR" as ENCR,
        2 => "PRF" as PRF,
        3 => "INTEG" as INTEG,
        4 => "KE" as KE,
        5 => "ESN" as ESN,
        6 => "ADDKE1" as ADDKE1,
        7 => "ADDKE2" as ADDKE2,
        8 => "ADDKE3" as ADDKE3,
        9 => "ADDKE4" as ADDKE4,
        10 => "ADDKE5" as ADDKE5,
        11 => "ADDKE6" as ADDKE6,
        12 => "ADDKE7" as ADDKE7,
        13 => "KWA" as KWA,
        14 => "GCAUTH" as GCAUTH,
    }
}

newtype! {
    /// IKEv2 encryption algorithm (transform type 1).
    EncrId(u16)
}

table! {
    EncrId =>
    /// The registry name.
    pub fn name {
        1 => "ENCR_DES_IV64" as DES_IV64,
        2 => "ENCR_DES" as DES,
        3 => "ENCR_3DES" as TRIPLE_DES,
        4 => "ENCR_RC5" as RC5,
        5 => "ENCR_IDEA" as IDEA,
        6 => "ENCR_CAST" as CAST,
        7 => "ENCR_BLOWFISH" as BLOWFISH,
        8 => "ENCR_3IDEA" as TRIPLE_IDEA,
        9 => "ENCR_DES_IV32" as DES_IV32,
        11 => "ENCR_NULL" as NULL,
        12 => "ENCR_AES_CBC" as AES_CBC,
        13 => "ENCR_AES_CTR" as AES_CTR,
        14 => "ENCR_AES_CCM_8" as AES_CCM_8,
        15 => "ENCR_AES_CCM_12" as AES_CCM_12,
        16 => "ENCR_AES_CCM_16" as AES_CCM_16,
        18 => "ENCR_AES_GCM_8" as AES_GCM_8,
        19 => "ENCR_AES_GCM_12" as AES_GCM_12,
        20 => "ENCR_AES_GCM_16" as AES_GCM_16,
        21 => "ENCR_NULL_AUTH_AES_GMAC" as NULL_AUTH_AES_GMAC,
        23 => "ENCR_CAMELLIA_CBC" as CAMELLIA_CBC,
        24 => "ENCR_CAMELLIA_CTR" as CAMELLIA_CTR,
        25 => "ENCR_CAMELLIA_CCM_8_ICV" as CAMELLIA_CCM_8_ICV,
        26 => "ENCR_CAMELLIA_CCM_12_ICV" as CAMELLIA_CCM_12_ICV,
        27 => "ENCR_CAMELLIA_CCM_16_ICV" as CAMELLIA_CCM_16_ICV,
        28 => "ENCR_CHACHA20_POLY1305" as CHACHA20_POLY1305,
        29 => "ENCR_AES_CCM_8_IIV" as AES_CCM_8_IIV,
        30 => "ENCR_AES_GCM_16_IIV" as AES_GCM_16_IIV,
        31 => "ENCR_CHACHA20_POLY1305_IIV" as CHACHA20_POLY1305_IIV,
        32 => "ENCR_KUZNYECHIK_MGM_KTREE" as KUZNYECHIK_MGM_KTREE,
        33 => "ENCR_MAGMA_MGM_KTREE" as MAGMA_MGM_KTREE,
        34 => "ENCR_KUZNYECHIK_MGM_MAC_KTREE" as KUZNYECHIK_MGM_MAC_KTREE,
        35 => "ENCR_MAGMA_MGM_MAC_KTREE" as MAGMA_MGM_MAC_KTREE,
    }
}

newtype! {
    /// IKEv2 pseudorandom function (transform type 2).
    PrfId(u16)
}

table! {
    PrfId =>
    /// The registry name.
    pub fn name {
        1 => "PRF_HMAC_MD5" as HMAC_MD5,
        2 => "PRF_HMAC_SHA1" as HMAC_SHA1,
        3 => "PRF_HMAC_TIGER" as HMAC_TIGER,
        4 => "PRF_AES128_XCBC" as AES128_XCBC,
        5 => "PRF_HMAC_SHA2_256" as HMAC_SHA2_256,
        6 => "PRF_HMAC_SHA2_384" as HMAC_SHA2_384,
        7 => "PRF_HMAC_SHA2_512" as HMAC_SHA2_512,
        8 => "PRF_AES128_CMAC" as AES128_CMAC,
        9 => "PRF_HMAC_STREEBOG_512" as HMAC_STREEBOG_512,
    }
}

newtype! {
    /// IKEv2 integrity algorithm (transform type 3).
    IntegId(u16)
}

table! {
    IntegId =>
    /// The registry name.
    pub fn name {
        0 => "NONE" as NONE,
        1 => "AUTH_HMAC_MD5_96" as HMAC_MD5_96,
        2 => "AUTH_HMAC_SHA1_96" as HMAC_SHA1_96,
        3 => "AUTH_DES_MAC" as DES_MAC,
        4 => "AUTH_KPDK_MD5" as KPDK_MD5,
        5 => "AUTH_AES_XCBC_96" as AES_XCBC_96,
        6 => "AUTH_HMAC_MD5_128" as HMAC_MD5_128,
        7 => "AUTH_HMAC_SHA1_160" as HMAC_SHA1_160,
        8 => "AUTH_AES_CMAC_96" as AES_CMAC_96,
        9 => "AUTH_AES_128_GMAC" as AES_128_GMAC,
        10 => "AUTH_AES_192_GMAC" as AES_192_GMAC,
        11 => "AUTH_AES_256_GMAC" as AES_256_GMAC,
        12 => "AUTH_HMAC_SHA2_256_128" as HMAC_SHA2_256_128,
        13 => "AUTH_HMAC_SHA2_384_192" as HMAC_SHA2_384_192,
        14 => "AUTH_HMAC_SHA2_512_256" as HMAC_SHA2_512_256,
    }
}

newtype! {
    /// Diffie-Hellman / key exchange group (IKEv2 transform type 4 and IKEv1 Group
    /// Description, which share the numbering; 3 and 4 are the IKEv1 EC2N groups).
    DhGroup(u16)
}

table! {
    DhGroup =>
    /// The registry name.
    pub fn name {
        0 => "NONE" as NONE,
        1 => "MODP_768" as MODP_768,
        2 => "MODP_1024" as MODP_1024,
        3 => "EC2N_155" as EC2N_155,
        4 => "EC2N_185" as EC2N_185,
        5 => "MODP_1536" as MODP_1536,
        14 => "MODP_2048" as MODP_2048,
        15 => "MODP_3072" as MODP_3072,
        16 => "MODP_4096" as MODP_4096,
        17 => "MODP_6144" as MODP_6144,
        18 => "MODP_8192" as MODP_8192,
        19 => "ECP_256" as ECP_256,
        20 => "ECP_384" as ECP_384,
        21 => "ECP_521" as ECP_521,
        22 => "MODP_1024_160" as MODP_1024_160,
        23 => "MODP_2048_224" as MODP_2048_224,
        24 => "MODP_2048_256" as MODP_2048_256,
        25 => "ECP_192" as ECP_192,
        26 => "ECP_224" as ECP_224,
        27 => "ECP_224_BP" as ECP_224_BP,
        28 => "ECP_256_BP" as ECP_256_BP,
        29 => "ECP_384_BP" as ECP_384_BP,
        30 => "ECP_512_BP" as ECP_512_BP,
        31 => "CURVE_25519" as CURVE_25519,
        32 => "CURVE_448" as CURVE_448,
        33 => "GOST3410_2012_256" as GOST3410_2012_256,
        34 => "GOST3410_2012_512" as GOST3410_2012_512,
        35 => "ML_KEM_512" as ML_KEM_512,
        36 => "ML_KEM_768" as ML_KEM_768,
        37 => "ML_KEM_1024" as ML_KEM_1024,
    }
}

newtype! {
    /// IKEv2 Extended Sequence Numbers (transform type 5).
    EsnId(u16)
}

table! {
    EsnId =>
    /// The registry name.
    pub fn name {
        0 => "NO_ESN" as NO_ESN,
        1 => "ESN" as ESN,
    }
}

impl TransformType {
    /// KE or one of the additional key exchanges ADDKE1–7 (RFC 9370): IDs are [`DhGroup`]s.
    pub fn is_key_exchange(self) -> bool {
        self == Self::KE || self.additional_ke_number().is_some()
    }

    /// `n` for ADDKEn (RFC 9370), `None` for the other types.
    pub fn additional_ke_number(self) -> Option<u8> {
        (Self::ADDKE1.0..=Self::ADDKE7.0)
            .contains(&self.0)
            .then(|| self.0 - Self::ADDKE1.0 + 1)
    }

    /// Name of an IKEv2 transform ID of this type.
    pub fn id_name(self, id: u16) -> Option<&'static str> {
        match self {
            Self::ENCR => EncrId(id).name(),
            Self::PRF => PrfId(id).name(),
            Self::INTEG => IntegId(id).name(),
            Self::ESN => EsnId(id).name(),
            _ if self.is_key_exchange() => DhGroup(id).name(),
            _ => None,
        }
    }
}

impl ProtocolId {
    /// Name of an IKEv1 transform ID in a proposal of this protocol (RFC 2407 §4.4).
    pub fn v1_transform_name(self, id: u8) -> Option<&'static str> {
        let table: fn(u8) -> Option<&'static str> = match self.0 {
            1 => v1_isakmp_transform,
            2 => v1_ah_transform,
            3 => v1_esp_transform,
            4 => v1_ipcomp_transform,
            _ => return None,
        };
        table(id)
    }
}

/// IKEv1 ISAKMP transform IDs (protocol 1).
fn v1_isakmp_transform(id: u8) -> Option<&'static str> {
    Some(match id {
        1 => "KEY_IKE",
        _ => return None,
    })
}

/// IKEv1 AH transform IDs (protocol 2).
fn v1_ah_transform(id: u8) -> Option<&'static str> {
    Some(match id {
        2 => "AH_MD5",
        3 => "AH_SHA",
        4 => "AH_DES",
        5 => "AH_SHA2-256",
        6 => "AH_SHA2-384",
        7 => "AH_SHA2-512",
        8 => "AH_RIPEMD",
        9 => "AH_AES-XCBC-MAC",
        10 => "AH_RSA",
        11 => "AH_AES-128-GMAC",
        12 => "AH_AES-192-GMAC",
        13 => "AH_AES-256-GMAC",
        _ => return None,
    })
}

/// IKEv1 ESP transform IDs (protocol 3).
fn v1_esp_transform(id: u8) -> Option<&'static str> {
    Some(match id {
        1 => "ESP_DES_IV64",
        2 => "ESP_DES",
        3 => "ESP_3DES",
        4 => "ESP_RC5",
        5 => "ESP_IDEA",
        6 => "ESP_CAST",
        7 => "ESP_BLOWFISH",
        8 => "ESP_3IDEA",
        9 => "ESP_DES_IV32",
        10 => "ESP_RC4",
        11 => "ESP_NULL",
        12 => "ESP_AES-CBC",
        13 => "ESP_AES-CTR",
        14 => "ESP_AES-CCM_8",
        15 => "ESP_AES-CCM_12",
        16 => "ESP_AES-CCM_16",
        18 => "ESP_AES-GCM_8",
        19 => "ESP_AES-GCM_12",
        20 => "ESP_AES-GCM_16",
        21 => "ESP_SEED_CBC",
        22 => "ESP_CAMELLIA",
        23 => "ESP_NULL_AUTH_AES-GMAC",
        _ => return None,
    })
}

/// IKEv1 IPCOMP transform IDs (protocol 4).
fn v1_ipcomp_transform(id: u8) -> Option<&'static str> {
    Some(match id {
        1 => "IPCOMP_OUI",
        2 => "IPCOMP_DEFLATE",
        3 => "IPCOMP_LZS",
        4 => "IPCOMP_LZJH",
        _ => return None,
    })
}
