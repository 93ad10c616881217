//! IANA registry names ("Internet Key Exchange (IKE) Attributes", "ISAKMP Identifiers",
//! "IPSEC Security Association Attributes", "Internet Key Exchange Version 2 (IKEv2)
//! Parameters"), plus well-known private-use values (XAUTH, hybrid auth, NAT-T drafts, DPD,
//! Cisco Unity). Every function returns `None` for unknown values.

macro_rules! table {
    ($(#[$m:meta])* $name:ident : $t:ty { $($v:pat => $s:expr),* $(,)? }) => {
        $(#[$m])*
        pub fn $name(value: $t) -> Option<&'static str> {
            match value {
                $($v => Some($s),)*
                _ => None,
            }
        }
    };
}

table! {
    /// Exchange type name (IKEv1 0–6, 32, 33; IKEv2 34–45).
    exchange_type: u8 {
        0 => "NONE",
        1 => "Base",
        2 => "Identity Protection (Main Mode)",
        3 => "Authentication Only",
        4 => "Aggressive",
        5 => "Informational",
        6 => "Transaction (Mode Config)",
        32 => "Quick Mode",
        33 => "New Group Mode",
        34 => "IKE_SA_INIT",
        35 => "IKE_AUTH",
        36 => "CREATE_CHILD_SA",
        37 => "INFORMATIONAL",
        38 => "IKE_SESSION_RESUME",
        39 => "GSA_AUTH",
        40 => "GSA_REGISTRATION",
        41 => "GSA_REKEY",
        43 => "IKE_INTERMEDIATE",
        44 => "IKE_FOLLOWUP_KE",
        45 => "GSA_INBAND_REKEY",
    }
}

table! {
    /// Payload type name (IKEv1 1–22, draft/Cisco 130–132; IKEv2 33–54).
    payload_type: u8 {
        0 => "NONE",
        1 => "SA",
        2 => "Proposal",
        3 => "Transform",
        4 => "KE",
        5 => "ID",
        6 => "CERT",
        7 => "CR",
        8 => "HASH",
        9 => "SIG",
        10 => "NONCE",
        11 => "N",
        12 => "D",
        13 => "VID",
        14 => "ATTR",
        15 => "SAK",
        16 => "SAT",
        17 => "KD",
        18 => "SEQ",
        19 => "POP",
        20 => "NAT-D",
        21 => "NAT-OA",
        22 => "GAP",
        33 => "SA",
        34 => "KE",
        35 => "IDi",
        36 => "IDr",
        37 => "CERT",
        38 => "CERTREQ",
        39 => "AUTH",
        40 => "Nonce",
        41 => "N",
        42 => "D",
        43 => "V",
        44 => "TSi",
        45 => "TSr",
        46 => "SK",
        47 => "CP",
        48 => "EAP",
        49 => "GSPM",
        50 => "IDg",
        51 => "GSA",
        52 => "KD",
        53 => "SKF",
        54 => "PS",
        130 => "NAT-D (draft)",
        131 => "NAT-OA (draft)",
        132 => "Fragment (Cisco)",
    }
}

table! {
    /// Protocol ID name (IKEv1 ISAKMP DOI and IKEv2 Security Protocol Identifiers).
    protocol_id: u8 {
        0 => "RESERVED",
        1 => "IKE",
        2 => "AH",
        3 => "ESP",
        4 => "IPCOMP",
    }
}

table! {
    /// IKEv2 transform type name (RFC 7296, RFC 9370).
    transform_type: u8 {
        1 => "ENCR",
        2 => "PRF",
        3 => "INTEG",
        4 => "KE",
        5 => "ESN",
        6 => "ADDKE1",
        7 => "ADDKE2",
        8 => "ADDKE3",
        9 => "ADDKE4",
        10 => "ADDKE5",
        11 => "ADDKE6",
        12 => "ADDKE7",
        13 => "KWA",
        14 => "GCAUTH",
    }
}

table! {
    /// IKEv2 encryption algorithm (transform type 1) name.
    encr: u16 {
        1 => "ENCR_DES_IV64",
        2 => "ENCR_DES",
        3 => "ENCR_3DES",
        4 => "ENCR_RC5",
        5 => "ENCR_IDEA",
        6 => "ENCR_CAST",
        7 => "ENCR_BLOWFISH",
        8 => "ENCR_3IDEA",
        9 => "ENCR_DES_IV32",
        11 => "ENCR_NULL",
        12 => "ENCR_AES_CBC",
        13 => "ENCR_AES_CTR",
        14 => "ENCR_AES_CCM_8",
        15 => "ENCR_AES_CCM_12",
        16 => "ENCR_AES_CCM_16",
        18 => "ENCR_AES_GCM_8",
        19 => "ENCR_AES_GCM_12",
        20 => "ENCR_AES_GCM_16",
        21 => "ENCR_NULL_AUTH_AES_GMAC",
        23 => "ENCR_CAMELLIA_CBC",
        24 => "ENCR_CAMELLIA_CTR",
        25 => "ENCR_CAMELLIA_CCM_8_ICV",
        26 => "ENCR_CAMELLIA_CCM_12_ICV",
        27 => "ENCR_CAMELLIA_CCM_16_ICV",
        28 => "ENCR_CHACHA20_POLY1305",
        29 => "ENCR_AES_CCM_8_IIV",
        30 => "ENCR_AES_GCM_16_IIV",
        31 => "ENCR_CHACHA20_POLY1305_IIV",
        32 => "ENCR_KUZNYECHIK_MGM_KTREE",
        33 => "ENCR_MAGMA_MGM_KTREE",
        34 => "ENCR_KUZNYECHIK_MGM_MAC_KTREE",
        35 => "ENCR_MAGMA_MGM_MAC_KTREE",
    }
}

table! {
    /// IKEv2 pseudorandom function (transform type 2) name.
    prf: u16 {
        1 => "PRF_HMAC_MD5",
        2 => "PRF_HMAC_SHA1",
        3 => "PRF_HMAC_TIGER",
        4 => "PRF_AES128_XCBC",
        5 => "PRF_HMAC_SHA2_256",
        6 => "PRF_HMAC_SHA2_384",
        7 => "PRF_HMAC_SHA2_512",
        8 => "PRF_AES128_CMAC",
        9 => "PRF_HMAC_STREEBOG_512",
    }
}

table! {
    /// IKEv2 integrity algorithm (transform type 3) name.
    integ: u16 {
        0 => "NONE",
        1 => "AUTH_HMAC_MD5_96",
        2 => "AUTH_HMAC_SHA1_96",
        3 => "AUTH_DES_MAC",
        4 => "AUTH_KPDK_MD5",
        5 => "AUTH_AES_XCBC_96",
        6 => "AUTH_HMAC_MD5_128",
        7 => "AUTH_HMAC_SHA1_160",
        8 => "AUTH_AES_CMAC_96",
        9 => "AUTH_AES_128_GMAC",
        10 => "AUTH_AES_192_GMAC",
        11 => "AUTH_AES_256_GMAC",
        12 => "AUTH_HMAC_SHA2_256_128",
        13 => "AUTH_HMAC_SHA2_384_192",
        14 => "AUTH_HMAC_SHA2_512_256",
    }
}

table! {
    /// Diffie-Hellman / key exchange group name (IKEv2 transform type 4 and IKEv1 Group
    /// Description, which share the numbering; 3 and 4 are the IKEv1 EC2N groups).
    dh_group: u16 {
        0 => "NONE",
        1 => "MODP_768",
        2 => "MODP_1024",
        3 => "EC2N_155",
        4 => "EC2N_185",
        5 => "MODP_1536",
        14 => "MODP_2048",
        15 => "MODP_3072",
        16 => "MODP_4096",
        17 => "MODP_6144",
        18 => "MODP_8192",
        19 => "ECP_256",
        20 => "ECP_384",
        21 => "ECP_521",
        22 => "MODP_1024_160",
        23 => "MODP_2048_224",
        24 => "MODP_2048_256",
        25 => "ECP_192",
        26 => "ECP_224",
        27 => "ECP_224_BP",
        28 => "ECP_256_BP",
        29 => "ECP_384_BP",
        30 => "ECP_512_BP",
        31 => "CURVE_25519",
        32 => "CURVE_448",
        33 => "GOST3410_2012_256",
        34 => "GOST3410_2012_512",
        35 => "ML_KEM_512",
        36 => "ML_KEM_768",
        37 => "ML_KEM_1024",
    }
}

table! {
    /// IKEv2 Extended Sequence Numbers (transform type 5) name.
    esn: u16 {
        0 => "NO_ESN",
        1 => "ESN",
    }
}

/// Name of an IKEv2 transform ID given its transform type (ADDKE types use the KE table).
pub fn transform_id_v2(transform_type: u8, id: u16) -> Option<&'static str> {
    match transform_type {
        1 => encr(id),
        2 => prf(id),
        3 => integ(id),
        4 | 6..=12 => dh_group(id),
        5 => esn(id),
        _ => None,
    }
}

table! {
    /// IKEv1 notify message type name (RFC 2408 §3.14.1, RFC 2407 §4.6.3, RFC 3706).
    notify_v1: u16 {
        1 => "INVALID-PAYLOAD-TYPE",
        2 => "DOI-NOT-SUPPORTED",
        3 => "SITUATION-NOT-SUPPORTED",
        4 => "INVALID-COOKIE",
        5 => "INVALID-MAJOR-VERSION",
        6 => "INVALID-MINOR-VERSION",
        7 => "INVALID-EXCHANGE-TYPE",
        8 => "INVALID-FLAGS",
        9 => "INVALID-MESSAGE-ID",
        10 => "INVALID-PROTOCOL-ID",
        11 => "INVALID-SPI",
        12 => "INVALID-TRANSFORM-ID",
        13 => "ATTRIBUTES-NOT-SUPPORTED",
        14 => "NO-PROPOSAL-CHOSEN",
        15 => "BAD-PROPOSAL-SYNTAX",
        16 => "PAYLOAD-MALFORMED",
        17 => "INVALID-KEY-INFORMATION",
        18 => "INVALID-ID-INFORMATION",
        19 => "INVALID-CERT-ENCODING",
        20 => "INVALID-CERTIFICATE",
        21 => "CERT-TYPE-UNSUPPORTED",
        22 => "INVALID-CERT-AUTHORITY",
        23 => "INVALID-HASH-INFORMATION",
        24 => "AUTHENTICATION-FAILED",
        25 => "INVALID-SIGNATURE",
        26 => "ADDRESS-NOTIFICATION",
        27 => "NOTIFY-SA-LIFETIME",
        28 => "CERTIFICATE-UNAVAILABLE",
        29 => "UNSUPPORTED-EXCHANGE-TYPE",
        30 => "UNEQUAL-PAYLOAD-LENGTHS",
        16384 => "CONNECTED",
        24576 => "RESPONDER-LIFETIME",
        24577 => "REPLAY-STATUS",
        24578 => "INITIAL-CONTACT",
        36136 => "R-U-THERE",
        36137 => "R-U-THERE-ACK",
    }
}

table! {
    /// IKEv2 notify message type name (RFC 7296 §3.10.1 and the IANA registry).
    notify_v2: u16 {
        1 => "UNSUPPORTED_CRITICAL_PAYLOAD",
        4 => "INVALID_IKE_SPI",
        5 => "INVALID_MAJOR_VERSION",
        7 => "INVALID_SYNTAX",
        9 => "INVALID_MESSAGE_ID",
        11 => "INVALID_SPI",
        14 => "NO_PROPOSAL_CHOSEN",
        17 => "INVALID_KE_PAYLOAD",
        24 => "AUTHENTICATION_FAILED",
        34 => "SINGLE_PAIR_REQUIRED",
        35 => "NO_ADDITIONAL_SAS",
        36 => "INTERNAL_ADDRESS_FAILURE",
        37 => "FAILED_CP_REQUIRED",
        38 => "TS_UNACCEPTABLE",
        39 => "INVALID_SELECTORS",
        40 => "UNACCEPTABLE_ADDRESSES",
        41 => "UNEXPECTED_NAT_DETECTED",
        42 => "USE_ASSIGNED_HoA",
        43 => "TEMPORARY_FAILURE",
        44 => "CHILD_SA_NOT_FOUND",
        45 => "INVALID_GROUP_ID",
        46 => "AUTHORIZATION_FAILED",
        47 => "STATE_NOT_FOUND",
        48 => "TS_MAX_QUEUE",
        16384 => "INITIAL_CONTACT",
        16385 => "SET_WINDOW_SIZE",
        16386 => "ADDITIONAL_TS_POSSIBLE",
        16387 => "IPCOMP_SUPPORTED",
        16388 => "NAT_DETECTION_SOURCE_IP",
        16389 => "NAT_DETECTION_DESTINATION_IP",
        16390 => "COOKIE",
        16391 => "USE_TRANSPORT_MODE",
        16392 => "HTTP_CERT_LOOKUP_SUPPORTED",
        16393 => "REKEY_SA",
        16394 => "ESP_TFC_PADDING_NOT_SUPPORTED",
        16395 => "NON_FIRST_FRAGMENTS_ALSO",
        16396 => "MOBIKE_SUPPORTED",
        16397 => "ADDITIONAL_IP4_ADDRESS",
        16398 => "ADDITIONAL_IP6_ADDRESS",
        16399 => "NO_ADDITIONAL_ADDRESSES",
        16400 => "UPDATE_SA_ADDRESSES",
        16401 => "COOKIE2",
        16402 => "NO_NATS_ALLOWED",
        16403 => "AUTH_LIFETIME",
        16404 => "MULTIPLE_AUTH_SUPPORTED",
        16405 => "ANOTHER_AUTH_FOLLOWS",
        16406 => "REDIRECT_SUPPORTED",
        16407 => "REDIRECT",
        16408 => "REDIRECTED_FROM",
        16409 => "TICKET_LT_OPAQUE",
        16410 => "TICKET_REQUEST",
        16411 => "TICKET_ACK",
        16412 => "TICKET_NACK",
        16413 => "TICKET_OPAQUE",
        16414 => "LINK_ID",
        16415 => "USE_WESP_MODE",
        16416 => "ROHC_SUPPORTED",
        16417 => "EAP_ONLY_AUTHENTICATION",
        16418 => "CHILDLESS_IKEV2_SUPPORTED",
        16419 => "QUICK_CRASH_DETECTION",
        16420 => "IKEV2_MESSAGE_ID_SYNC_SUPPORTED",
        16421 => "IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED",
        16422 => "IKEV2_MESSAGE_ID_SYNC",
        16423 => "IPSEC_REPLAY_COUNTER_SYNC",
        16424 => "SECURE_PASSWORD_METHODS",
        16425 => "PSK_PERSIST",
        16426 => "PSK_CONFIRM",
        16427 => "ERX_SUPPORTED",
        16428 => "IFOM_CAPABILITY",
        16429 => "SENDER_REQUEST_ID",
        16430 => "IKEV2_FRAGMENTATION_SUPPORTED",
        16431 => "SIGNATURE_HASH_ALGORITHMS",
        16432 => "CLONE_IKE_SA_SUPPORTED",
        16433 => "CLONE_IKE_SA",
        16434 => "PUZZLE",
        16435 => "USE_PPK",
        16436 => "PPK_IDENTITY",
        16437 => "NO_PPK_AUTH",
        16438 => "INTERMEDIATE_EXCHANGE_SUPPORTED",
        16439 => "IP4_ALLOWED",
        16440 => "IP6_ALLOWED",
        16441 => "ADDITIONAL_KEY_EXCHANGE",
        16442 => "USE_AGGFRAG",
        16443 => "SUPPORTED_AUTH_METHODS",
        16444 => "SA_RESOURCE_INFO",
        16445 => "USE_PPK_INT",
        16446 => "PPK_IDENTITY_KEY",
    }
}

/// Notify type name for the given major version.
pub fn notify(version: u8, value: u16) -> Option<&'static str> {
    if version == 2 {
        notify_v2(value)
    } else {
        notify_v1(value)
    }
}

table! {
    /// IKEv1 identification type name (RFC 2407 §4.6.2.1).
    id_type_v1: u8 {
        1 => "ID_IPV4_ADDR",
        2 => "ID_FQDN",
        3 => "ID_USER_FQDN",
        4 => "ID_IPV4_ADDR_SUBNET",
        5 => "ID_IPV6_ADDR",
        6 => "ID_IPV6_ADDR_SUBNET",
        7 => "ID_IPV4_ADDR_RANGE",
        8 => "ID_IPV6_ADDR_RANGE",
        9 => "ID_DER_ASN1_DN",
        10 => "ID_DER_ASN1_GN",
        11 => "ID_KEY_ID",
        12 => "ID_LIST",
    }
}

table! {
    /// IKEv2 identification type name (RFC 7296 §3.5, RFC 7619).
    id_type_v2: u8 {
        1 => "ID_IPV4_ADDR",
        2 => "ID_FQDN",
        3 => "ID_RFC822_ADDR",
        5 => "ID_IPV6_ADDR",
        9 => "ID_DER_ASN1_DN",
        10 => "ID_DER_ASN1_GN",
        11 => "ID_KEY_ID",
        12 => "ID_FC_NAME",
        13 => "ID_NULL",
    }
}

table! {
    /// IKEv2 authentication method name (RFC 7296 §3.8, RFC 4754, RFC 6467, RFC 7619, RFC 7427).
    auth_method_v2: u8 {
        1 => "RSA Digital Signature",
        2 => "Shared Key Message Integrity Code",
        3 => "DSS Digital Signature",
        9 => "ECDSA with SHA-256 on the P-256 curve",
        10 => "ECDSA with SHA-384 on the P-384 curve",
        11 => "ECDSA with SHA-512 on the P-521 curve",
        12 => "Generic Secure Password Authentication Method",
        13 => "NULL Authentication",
        14 => "Digital Signature",
    }
}

table! {
    /// Certificate encoding name (RFC 2408 §3.9, RFC 7296 §3.6, RFC 7670).
    cert_encoding: u8 {
        1 => "PKCS #7 wrapped X.509 certificate",
        2 => "PGP Certificate",
        3 => "DNS Signed Key",
        4 => "X.509 Certificate - Signature",
        5 => "X.509 Certificate - Key Exchange",
        6 => "Kerberos Tokens",
        7 => "Certificate Revocation List (CRL)",
        8 => "Authority Revocation List (ARL)",
        9 => "SPKI Certificate",
        10 => "X.509 Certificate - Attribute",
        11 => "Raw RSA Key",
        12 => "Hash and URL of X.509 certificate",
        13 => "Hash and URL of X.509 bundle",
        14 => "OCSP Content",
        15 => "Raw Public Key",
    }
}

table! {
    /// IKEv1 phase-1 (IKE) SA attribute class name (RFC 2409 Appendix A and IANA).
    ike_attribute: u16 {
        1 => "Encryption Algorithm",
        2 => "Hash Algorithm",
        3 => "Authentication Method",
        4 => "Group Description",
        5 => "Group Type",
        6 => "Group Prime/Irreducible Polynomial",
        7 => "Group Generator One",
        8 => "Group Generator Two",
        9 => "Group Curve A",
        10 => "Group Curve B",
        11 => "Life Type",
        12 => "Life Duration",
        13 => "PRF",
        14 => "Key Length",
        15 => "Field Size",
        16 => "Group Order",
        17 => "Block Size",
        20 => "Asymmetric Cryptographic Algorithm Type",
    }
}

table! {
    /// IKEv1 phase-1 encryption algorithm (attribute 1) name.
    ike_encryption: u16 {
        1 => "DES-CBC",
        2 => "IDEA-CBC",
        3 => "Blowfish-CBC",
        4 => "RC5-R16-B64-CBC",
        5 => "3DES-CBC",
        6 => "CAST-CBC",
        7 => "AES-CBC",
        8 => "CAMELLIA-CBC",
    }
}

table! {
    /// IKEv1 phase-1 hash algorithm (attribute 2) name.
    ike_hash: u16 {
        1 => "MD5",
        2 => "SHA",
        3 => "Tiger",
        4 => "SHA2-256",
        5 => "SHA2-384",
        6 => "SHA2-512",
    }
}

table! {
    /// IKEv1 phase-1 authentication method (attribute 3) name, with the hybrid
    /// (draft-ietf-ipsec-isakmp-hybrid-auth) and XAUTH (draft-ietf-ipsec-isakmp-xauth) values.
    ike_auth_method: u16 {
        1 => "Pre-Shared Key",
        2 => "DSS Signatures",
        3 => "RSA Signatures",
        4 => "Encryption with RSA",
        5 => "Revised Encryption with RSA",
        6 => "Encryption with El-Gamal",
        7 => "Revised Encryption with El-Gamal",
        8 => "ECDSA Signatures",
        9 => "ECDSA with SHA-256 on the P-256 curve",
        10 => "ECDSA with SHA-384 on the P-384 curve",
        11 => "ECDSA with SHA-512 on the P-521 curve",
        64221 => "HybridInitRSA",
        64222 => "HybridRespRSA",
        64223 => "HybridInitDSS",
        64224 => "HybridRespDSS",
        65001 => "XAUTHInitPreShared",
        65002 => "XAUTHRespPreShared",
        65003 => "XAUTHInitDSS",
        65004 => "XAUTHRespDSS",
        65005 => "XAUTHInitRSA",
        65006 => "XAUTHRespRSA",
        65007 => "XAUTHInitRSAEncryption",
        65008 => "XAUTHRespRSAEncryption",
        65009 => "XAUTHInitRSARevisedEncryption",
        65010 => "XAUTHRespRSARevisedEncryption",
    }
}

table! {
    /// IKEv1 group type (attribute 5) name.
    ike_group_type: u16 {
        1 => "MODP",
        2 => "ECP",
        3 => "EC2N",
    }
}

table! {
    /// Life type name (IKEv1 phase-1 attribute 11 and IPsec DOI attribute 1).
    life_type: u16 {
        1 => "Seconds",
        2 => "Kilobytes",
    }
}

table! {
    /// IPsec DOI SA attribute name (RFC 2407 §4.5 and IANA).
    ipsec_attribute: u16 {
        1 => "SA Life Type",
        2 => "SA Life Duration",
        3 => "Group Description",
        4 => "Encapsulation Mode",
        5 => "Authentication Algorithm",
        6 => "Key Length",
        7 => "Key Rounds",
        8 => "Compress Dictionary Size",
        9 => "Compress Private Algorithm",
        10 => "ECN Tunnel",
        11 => "Extended (64-bit) Sequence Number",
        12 => "Authentication Key Length",
        13 => "Signature Encoding Algorithm",
        14 => "Address Preservation",
        15 => "SA Direction",
    }
}

table! {
    /// IPsec DOI encapsulation mode (attribute 4) name; 61443/61444 are the NAT-T draft values.
    encapsulation_mode: u16 {
        1 => "Tunnel",
        2 => "Transport",
        3 => "UDP-Encapsulated-Tunnel",
        4 => "UDP-Encapsulated-Transport",
        61443 => "UDP-Encapsulated-Tunnel (draft)",
        61444 => "UDP-Encapsulated-Transport (draft)",
    }
}

table! {
    /// IPsec DOI authentication algorithm (attribute 5) name.
    ipsec_auth_algorithm: u16 {
        1 => "HMAC-MD5",
        2 => "HMAC-SHA",
        3 => "DES-MAC",
        4 => "KPDK",
        5 => "HMAC-SHA2-256",
        6 => "HMAC-SHA2-384",
        7 => "HMAC-SHA2-512",
        8 => "HMAC-RIPEMD",
        9 => "AES-XCBC-MAC",
        10 => "SIG-RSA",
        11 => "AES-128-GMAC",
        12 => "AES-192-GMAC",
        13 => "AES-256-GMAC",
    }
}

table! {
    /// IKEv1 ISAKMP transform ID name (protocol 1).
    transform_isakmp: u8 {
        1 => "KEY_IKE",
    }
}

table! {
    /// IKEv1 AH transform ID name (protocol 2).
    transform_ah: u8 {
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
    }
}

table! {
    /// IKEv1 ESP transform ID name (protocol 3).
    transform_esp: u8 {
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
    }
}

table! {
    /// IKEv1 IPCOMP transform ID name (protocol 4).
    transform_ipcomp: u8 {
        1 => "IPCOMP_OUI",
        2 => "IPCOMP_DEFLATE",
        3 => "IPCOMP_LZS",
        4 => "IPCOMP_LZJH",
    }
}

/// Name of an IKEv1 transform ID given the proposal's protocol.
pub fn transform_id_v1(protocol: u8, id: u8) -> Option<&'static str> {
    match protocol {
        1 => transform_isakmp(id),
        2 => transform_ah(id),
        3 => transform_esp(id),
        4 => transform_ipcomp(id),
        _ => None,
    }
}

table! {
    /// Configuration type name (IKEv2 CP and IKEv1 mode-config).
    cfg_type: u8 {
        1 => "CFG_REQUEST",
        2 => "CFG_REPLY",
        3 => "CFG_SET",
        4 => "CFG_ACK",
    }
}

table! {
    /// Configuration attribute name (IKEv2 CP / IKEv1 mode-config, XAUTH, Cisco Unity).
    cfg_attribute: u16 {
        1 => "INTERNAL_IP4_ADDRESS",
        2 => "INTERNAL_IP4_NETMASK",
        3 => "INTERNAL_IP4_DNS",
        4 => "INTERNAL_IP4_NBNS",
        5 => "INTERNAL_ADDRESS_EXPIRY",
        6 => "INTERNAL_IP4_DHCP",
        7 => "APPLICATION_VERSION",
        8 => "INTERNAL_IP6_ADDRESS",
        9 => "INTERNAL_IP6_NETMASK",
        10 => "INTERNAL_IP6_DNS",
        11 => "INTERNAL_IP6_NBNS",
        12 => "INTERNAL_IP6_DHCP",
        13 => "INTERNAL_IP4_SUBNET",
        14 => "SUPPORTED_ATTRIBUTES",
        15 => "INTERNAL_IP6_SUBNET",
        16 => "MIP6_HOME_PREFIX",
        17 => "INTERNAL_IP6_LINK",
        18 => "INTERNAL_IP6_PREFIX",
        19 => "HOME_AGENT_ADDRESS",
        20 => "P_CSCF_IP4_ADDRESS",
        21 => "P_CSCF_IP6_ADDRESS",
        22 => "FTT_KAT",
        23 => "EXTERNAL_SOURCE_IP4_NAT_INFO",
        24 => "TIMEOUT_PERIOD_FOR_LIVENESS_CHECK",
        25 => "INTERNAL_DNS_DOMAIN",
        26 => "INTERNAL_DNSSEC_TA",
        16520 => "XAUTH-TYPE",
        16521 => "XAUTH-USER-NAME",
        16522 => "XAUTH-USER-PASSWORD",
        16523 => "XAUTH-PASSCODE",
        16524 => "XAUTH-MESSAGE",
        16525 => "XAUTH-CHALLENGE",
        16526 => "XAUTH-DOMAIN",
        16527 => "XAUTH-STATUS",
        16528 => "XAUTH-NEXT-PIN",
        16529 => "XAUTH-ANSWER",
        28672 => "UNITY-BANNER",
        28673 => "UNITY-SAVE-PASSWD",
        28674 => "UNITY-DEF-DOMAIN",
        28675 => "UNITY-SPLIT-DNS",
        28676 => "UNITY-SPLIT-INCLUDE",
        28677 => "UNITY-NATT-PORT",
        28678 => "UNITY-LOCAL-LAN",
        28679 => "UNITY-PFS",
        28680 => "UNITY-FW-TYPE",
        28681 => "UNITY-BACKUP-SERVERS",
        28682 => "UNITY-DDNS-HOSTNAME",
    }
}

table! {
    /// IKEv2 traffic selector type name.
    ts_type: u8 {
        7 => "TS_IPV4_ADDR_RANGE",
        8 => "TS_IPV6_ADDR_RANGE",
        9 => "TS_FC_ADDR_RANGE",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn some_names() {
        assert_eq!(exchange_type(34), Some("IKE_SA_INIT"));
        assert_eq!(exchange_type(32), Some("Quick Mode"));
        assert_eq!(exchange_type(99), None);
        assert_eq!(payload_type(53), Some("SKF"));
        assert_eq!(transform_id_v2(1, 20), Some("ENCR_AES_GCM_16"));
        assert_eq!(transform_id_v2(4, 31), Some("CURVE_25519"));
        assert_eq!(transform_id_v2(7, 36), Some("ML_KEM_768"));
        assert_eq!(notify(2, 16435), Some("USE_PPK"));
        assert_eq!(notify(2, 17), Some("INVALID_KE_PAYLOAD"));
        assert_eq!(notify(1, 36136), Some("R-U-THERE"));
        assert_eq!(notify(1, 14), Some("NO-PROPOSAL-CHOSEN"));
        assert_eq!(ike_auth_method(65001), Some("XAUTHInitPreShared"));
        assert_eq!(encapsulation_mode(61443), Some("UDP-Encapsulated-Tunnel (draft)"));
        assert_eq!(transform_id_v1(3, 12), Some("ESP_AES-CBC"));
        assert_eq!(auth_method_v2(14), Some("Digital Signature"));
    }
}
