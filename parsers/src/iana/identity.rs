//! Identification types, authentication methods and certificate encodings.

newtype! {
    /// IKEv1 identification type (RFC 2407 §4.6.2.1).
    IdTypeV1(u8)
}

table! {
    IdTypeV1 =>
    /// The registry name.
    pub fn name {
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

newtype! {
    /// IKEv2 identification type (RFC 7296 §3.5, RFC 7619).
    IdTypeV2(u8)
}

table! {
    IdTypeV2 =>
    /// The registry name.
    pub fn name {
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

newtype! {
    /// IKEv2 authentication method (RFC 7296 §3.8, RFC 4754, RFC 6467, RFC 7619, RFC 7427).
    AuthMethodV2(u8)
}

table! {
    AuthMethodV2 =>
    /// The registry name.
    pub fn name {
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

newtype! {
    /// Certificate encoding (RFC 2408 §3.9, RFC 7296 §3.6, RFC 7670).
    CertEncoding(u8)
}

table! {
    CertEncoding =>
    /// The registry name.
    pub fn name {
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
