//! IKEv1 phase-1 (IKE) and IPsec DOI SA attribute classes and their values (RFC 2409
//! Appendix A, RFC 2407 §4.5, and the IANA registries).

newtype! {
    /// IKEv1 phase-1 (IKE) SA attribute class (RFC 2409 Appendix A and IANA).
    IkeAttribute(u16)
}

table! {
    IkeAttribute =>
    /// The registry name.
    pub fn name {
        1 => "Encryption Algorithm" as ENCRYPTION_ALGORITHM,
        2 => "Hash Algorithm" as HASH_ALGORITHM,
        3 => "Authentication Method",
        4 => "Group Description",
        5 => "Group Type",
        6 => "Group Prime/Irreducible Polynomial",
        7 => "Group Generator One",
        8 => "Group Generator Two",
        9 => "Group Curve A",
        10 => "Group Curve B",
        11 => "Life Type" as LIFE_TYPE,
        12 => "Life Duration" as LIFE_DURATION,
        13 => "PRF",
        14 => "Key Length" as KEY_LENGTH,
        15 => "Field Size",
        16 => "Group Order",
        17 => "Block Size",
        20 => "Asymmetric Cryptographic Algorithm Type",
    }
}

newtype! {
    /// IKEv1 phase-1 encryption algorithm (attribute 1).
    IkeEncryption(u16)
}

table! {
    IkeEncryption =>
    /// The registry name.
    pub fn name {
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

newtype! {
    /// IKEv1 phase-1 hash algorithm (attribute 2).
    IkeHash(u16)
}

table! {
    IkeHash =>
    /// The registry name.
    pub fn name {
        1 => "MD5",
        2 => "SHA",
        3 => "Tiger",
        4 => "SHA2-256",
        5 => "SHA2-384",
        6 => "SHA2-512",
    }
}

newtype! {
    /// IKEv1 phase-1 authentication method (attribute 3), with the hybrid
    /// (draft-ietf-ipsec-isakmp-hybrid-auth) and XAUTH (draft-ietf-ipsec-isakmp-xauth) values.
    IkeAuthMethod(u16)
}

table! {
    IkeAuthMethod =>
    /// The registry name.
    pub fn name {
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

newtype! {
    /// IKEv1 group type (attribute 5).
    IkeGroupType(u16)
}

table! {
    IkeGroupType =>
    /// The registry name.
    pub fn name {
        1 => "MODP",
        2 => "ECP",
        3 => "EC2N",
    }
}

newtype! {
    /// Life type (IKEv1 phase-1 attribute 11 and IPsec DOI attribute 1).
    LifeType(u16)
}

table! {
    LifeType =>
    /// The registry name.
    pub fn name {
        1 => "Seconds",
        2 => "Kilobytes",
    }
}

newtype! {
    /// IPsec DOI SA attribute (RFC 2407 §4.5 and IANA).
    IpsecAttribute(u16)
}

table! {
    IpsecAttribute =>
    /// The registry name.
    pub fn name {
        1 => "SA Life Type" as SA_LIFE_TYPE,
        2 => "SA Life Duration" as SA_LIFE_DURATION,
        3 => "Group Description",
        4 => "Encapsulation Mode",
        5 => "Authentication Algorithm",
        6 => "Key Length" as KEY_LENGTH,
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

newtype! {
    /// IPsec DOI encapsulation mode (attribute 4); 61443/61444 are the NAT-T draft values.
    EncapsulationMode(u16)
}

table! {
    EncapsulationMode =>
    /// The registry name.
    pub fn name {
        1 => "Tunnel",
        2 => "Transport",
        3 => "UDP-Encapsulated-Tunnel",
        4 => "UDP-Encapsulated-Transport",
        61443 => "UDP-Encapsulated-Tunnel (draft)",
        61444 => "UDP-Encapsulated-Transport (draft)",
    }
}

newtype! {
    /// IPsec DOI authentication algorithm (attribute 5).
    IpsecAuthAlgorithm(u16)
}

table! {
    IpsecAuthAlgorithm =>
    /// The registry name.
    pub fn name {
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
