//! IANA registries as value types: each wire field that carries a registry value is a newtype
//! over its raw number (`NotifyType(u16)`, `PayloadType(u8)`, ...) with associated constants for
//! the values the code names and a `name` method answering from that registry's one table.
//!
//! Registries: "Internet Key Exchange (IKE) Attributes", "ISAKMP Identifiers", "IPSEC Security
//! Association Attributes", "Internet Key Exchange Version 2 (IKEv2) Parameters", plus
//! well-known private-use values (XAUTH, hybrid auth, NAT-T drafts, DPD, Cisco Unity). Where
//! IKEv1 and IKEv2 give one number different meanings (notify types), the name is asked for
//! with the message's [`IkeVersion`]. Every name is `None` for an unknown value.

/// Declares a registry value type: a transparent newtype over the raw wire number. It debugs
/// (and serializes, with the `serde` feature) as that bare number, as reports print it.
macro_rules! newtype {
    ($(#[$m:meta])* $name:ident($t:ty)) => {
        $(#[$m])*
        #[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[cfg_attr(feature = "serde", derive(serde::Serialize), serde(transparent))]
        pub struct $name(pub $t);

        impl From<$t> for $name {
            fn from(v: $t) -> Self {
                Self(v)
            }
        }

        impl core::fmt::Debug for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                core::fmt::Debug::fmt(&self.0, f)
            }
        }
    };
}

/// One registry table: `value => "name" [as CONST]` rows become the type's associated
/// constants (for the rows given one) and a method returning the name.
macro_rules! table {
    ($ty:ident => $(#[$fm:meta])* $vis:vis fn $fname:ident {
        $( $v:literal => $s:literal $(as $c:ident)? ),* $(,)?
    }) => {
        impl $ty {
            $( $(
                #[doc = concat!("`", $s, "` (", stringify!($v), ").")]
                pub const $c: Self = Self($v);
            )? )*

            $(#[$fm])*
            $vis fn $fname(self) -> Option<&'static str> {
                match self.0 {
                    $( $v => Some($s), )*
                    _ => None,
                }
            }
        }
    };
}

mod attribute;
mod config;
mod exchange;
mod identity;
mod notify;
mod payload;
mod transform;

pub use attribute::{
    EncapsulationMode, IkeAttribute, IkeAuthMethod, IkeEncryption, IkeGroupType, IkeHash, IpsecAttribute,
    IpsecAuthAlgorithm, LifeType,
};
pub use config::{CfgAttribute, CfgType, TsType};
pub use exchange::ExchangeType;
pub use identity::{AuthMethodV2, CertEncoding, IdTypeV1, IdTypeV2};
pub use notify::NotifyType;
pub use payload::PayloadType;
pub use transform::{DhGroup, EncrId, EsnId, IntegId, PrfId, ProtocolId, TransformType};

/// The IKE major version a message was sent with: the registry its values are read from.
/// Ordered V1 before V2; debugs as `V1`/`V2` and serializes (with the `serde` feature) as its
/// number, 1 or 2.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum IkeVersion {
    /// IKEv1 / ISAKMP (RFC 2408, RFC 2409).
    V1,
    /// IKEv2 (RFC 7296).
    V2,
}

impl IkeVersion {
    /// The version of a header's major-version nibble: 2 is IKEv2; anything else is read with
    /// the ISAKMP (IKEv1) registries, as the parsers decode it.
    pub fn from_major(major: u8) -> Self {
        if major == 2 {
            IkeVersion::V2
        } else {
            IkeVersion::V1
        }
    }

    /// The version a header's major-version nibble names exactly: `None` for anything but 1
    /// and 2.
    pub fn of_major(major: u8) -> Option<Self> {
        match major {
            1 => Some(IkeVersion::V1),
            2 => Some(IkeVersion::V2),
            _ => None,
        }
    }

    /// The major version number: 1 or 2.
    pub fn number(self) -> u8 {
        match self {
            IkeVersion::V1 => 1,
            IkeVersion::V2 => 2,
        }
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for IkeVersion {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u8(self.number())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn some_names() {
        assert_eq!(ExchangeType(34).name(), Some("IKE_SA_INIT"));
        assert_eq!(ExchangeType::QUICK_MODE.name(), Some("Quick Mode"));
        assert_eq!(ExchangeType(99).name(), None);
        assert_eq!(PayloadType(53).name(), Some("SKF"));
        assert_eq!(TransformType::ENCR.id_name(20), Some("ENCR_AES_GCM_16"));
        assert_eq!(TransformType::KE.id_name(31), Some("CURVE_25519"));
        assert_eq!(TransformType(7).id_name(36), Some("ML_KEM_768"));
        assert_eq!(TransformType(7).additional_ke_number(), Some(2));
        assert_eq!(TransformType::ESN.additional_ke_number(), None);
        assert_eq!(IkeAuthMethod(65001).name(), Some("XAUTHInitPreShared"));
        assert_eq!(
            EncapsulationMode(61443).name(),
            Some("UDP-Encapsulated-Tunnel (draft)")
        );
        assert_eq!(ProtocolId::ESP.v1_transform_name(12), Some("ESP_AES-CBC"));
        assert_eq!(AuthMethodV2(14).name(), Some("Digital Signature"));
        assert_eq!(IkeVersion::of_major(2).map(IkeVersion::number), Some(2));
        assert_eq!(IkeVersion::of_major(3), None);
        assert_eq!(IkeVersion::from_major(3), IkeVersion::V1);
    }

    #[test]
    fn payload_abbreviations_follow_the_version() {
        assert_eq!(PayloadType::V2_NONCE.log_abbrev(IkeVersion::V2), Some("No"));
        assert_eq!(
            PayloadType::V1_NAT_D_DRAFT.log_abbrev(IkeVersion::V1),
            Some("NAT-D")
        );
        assert_eq!(PayloadType::V2_SA.log_abbrev(IkeVersion::V1), None);
        assert_eq!(PayloadType::V1_PROPOSAL.log_abbrev(IkeVersion::V1), None);
    }
}
