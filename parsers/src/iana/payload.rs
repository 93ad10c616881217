//! Payload types. IKEv1 uses 1–22 (and the NAT-T draft / Cisco values 130–132), IKEv2 33–54: one
//! registry space without overlap, so the constants say their version (`V1_…`, `V2_…`) only
//! for reading.

use super::IkeVersion;

newtype! {
    /// Payload type (a header's or a payload's next-payload field).
    PayloadType(u8)
}

table! {
    PayloadType =>
    /// The registry name.
    pub fn name {
        0 => "NONE" as NONE,
        1 => "SA" as V1_SA,
        2 => "Proposal" as V1_PROPOSAL,
        3 => "Transform" as V1_TRANSFORM,
        4 => "KE" as V1_KE,
        5 => "ID" as V1_ID,
        6 => "CERT" as V1_CERT,
        7 => "CR" as V1_CR,
        8 => "HASH" as V1_HASH,
        9 => "SIG" as V1_SIG,
        10 => "NONCE" as V1_NONCE,
        11 => "N" as V1_N,
        12 => "D" as V1_D,
        13 => "VID" as V1_VID,
        14 => "ATTR" as V1_ATTR,
        15 => "SAK" as V1_SAK,
        16 => "SAT" as V1_SAT,
        17 => "KD" as V1_KD,
        18 => "SEQ" as V1_SEQ,
        19 => "POP" as V1_POP,
        20 => "NAT-D" as V1_NAT_D,
        21 => "NAT-OA" as V1_NAT_OA,
        22 => "GAP" as V1_GAP,
        33 => "SA" as V2_SA,
        34 => "KE" as V2_KE,
        35 => "IDi" as V2_IDI,
        36 => "IDr" as V2_IDR,
        37 => "CERT" as V2_CERT,
        38 => "CERTREQ" as V2_CERTREQ,
        39 => "AUTH" as V2_AUTH,
        40 => "Nonce" as V2_NONCE,
        41 => "N" as V2_N,
        42 => "D" as V2_D,
        43 => "V" as V2_V,
        44 => "TSi" as V2_TSI,
        45 => "TSr" as V2_TSR,
        46 => "SK" as V2_SK,
        47 => "CP" as V2_CP,
        48 => "EAP" as V2_EAP,
        49 => "GSPM" as V2_GSPM,
        50 => "IDg" as V2_IDG,
        51 => "GSA" as V2_GSA,
        52 => "KD" as V2_KD,
        53 => "SKF" as V2_SKF,
        54 => "PS" as V2_PS,
        130 => "NAT-D (draft)" as V1_NAT_D_DRAFT,
        131 => "NAT-OA (draft)" as V1_NAT_OA_DRAFT,
        132 => "Fragment (Cisco)" as V1_FRAGMENT,
    }
}

impl PayloadType {
    /// A Notify (IKEv2) or Notification (IKEv1) payload.
    pub fn is_notify(self) -> bool {
        self == Self::V2_N || self == Self::V1_N
    }

    /// The abbreviation strongSwan logs for this payload in a message of `version`
    /// (`No` for a nonce, `V` for a vendor ID, NAT-D for both NAT-D numbers); `None` for the
    /// types it has none for, and for the other version's numbers.
    pub fn log_abbrev(self, version: IkeVersion) -> Option<&'static str> {
        Some(match (version, self) {
            (IkeVersion::V1, Self::V1_SA) | (IkeVersion::V2, Self::V2_SA) => "SA",
            (IkeVersion::V1, Self::V1_KE) | (IkeVersion::V2, Self::V2_KE) => "KE",
            (IkeVersion::V1, Self::V1_ID) => "ID",
            (IkeVersion::V1, Self::V1_CERT) | (IkeVersion::V2, Self::V2_CERT) => "CERT",
            (IkeVersion::V1, Self::V1_CR) => "CR",
            (IkeVersion::V1, Self::V1_HASH) => "HASH",
            (IkeVersion::V1, Self::V1_SIG) => "SIG",
            (IkeVersion::V1, Self::V1_NONCE) | (IkeVersion::V2, Self::V2_NONCE) => "No",
            (IkeVersion::V1, Self::V1_N) | (IkeVersion::V2, Self::V2_N) => "N",
            (IkeVersion::V1, Self::V1_D) | (IkeVersion::V2, Self::V2_D) => "D",
            (IkeVersion::V1, Self::V1_VID) | (IkeVersion::V2, Self::V2_V) => "V",
            (IkeVersion::V1, Self::V1_ATTR) => "ATTR",
            (IkeVersion::V1, Self::V1_NAT_D | Self::V1_NAT_D_DRAFT) => "NAT-D",
            (IkeVersion::V1, Self::V1_NAT_OA | Self::V1_NAT_OA_DRAFT) => "NAT-OA",
            (IkeVersion::V1, Self::V1_FRAGMENT) => "FRAG",
            (IkeVersion::V2, Self::V2_IDI) => "IDi",
            (IkeVersion::V2, Self::V2_IDR) => "IDr",
            (IkeVersion::V2, Self::V2_CERTREQ) => "CERTREQ",
            (IkeVersion::V2, Self::V2_AUTH) => "AUTH",
            (IkeVersion::V2, Self::V2_TSI) => "TSi",
            (IkeVersion::V2, Self::V2_TSR) => "TSr",
            (IkeVersion::V2, Self::V2_SK) => "SK",
            (IkeVersion::V2, Self::V2_CP) => "CP",
            (IkeVersion::V2, Self::V2_EAP) => "EAP",
            (IkeVersion::V2, Self::V2_SKF) => "SKF",
            _ => return None,
        })
    }
}
