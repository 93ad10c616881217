//! Notify message types. IKEv1 (RFC 2408 §3.14.1, RFC 2407 §4.6.3, RFC 3706) and IKEv2 (RFC 7296
//! §3.10.1 and the IANA registry) number them in one field but name them differently: IKEv1 17
//! is INVALID-KEY-INFORMATION, IKEv2 17 INVALID_KE_PAYLOAD. So the constants carry their
//! registry (`V1_…`, `V2_…`) and a name is always asked for with the message's version.

use super::IkeVersion;

newtype! {
    /// Notify message type of an IKEv1 Notification or IKEv2 Notify payload.
    NotifyType(u16)
}

impl NotifyType {
    /// The name in the registry of `version` (`None` when that registry has no such value).
    pub fn name(self, version: IkeVersion) -> Option<&'static str> {
        match version {
            IkeVersion::V1 => self.name_v1(),
            IkeVersion::V2 => self.name_v2(),
        }
    }

    /// An error type: 1–16383 in both versions (status types start at 16384).
    pub fn is_error(self) -> bool {
        (1..16384).contains(&self.0)
    }
}

table! {
    NotifyType =>
    /// The name in the IKEv1 registry.
    pub fn name_v1 {
        1 => "INVALID-PAYLOAD-TYPE" as V1_INVALID_PAYLOAD_TYPE,
        2 => "DOI-NOT-SUPPORTED" as V1_DOI_NOT_SUPPORTED,
        3 => "SITUATION-NOT-SUPPORTED" as V1_SITUATION_NOT_SUPPORTED,
        4 => "INVALID-COOKIE" as V1_INVALID_COOKIE,
        5 => "INVALID-MAJOR-VERSION" as V1_INVALID_MAJOR_VERSION,
        6 => "INVALID-MINOR-VERSION" as V1_INVALID_MINOR_VERSION,
        7 => "INVALID-EXCHANGE-TYPE" as V1_INVALID_EXCHANGE_TYPE,
        8 => "INVALID-FLAGS" as V1_INVALID_FLAGS,
        9 => "INVALID-MESSAGE-ID" as V1_INVALID_MESSAGE_ID,
        10 => "INVALID-PROTOCOL-ID" as V1_INVALID_PROTOCOL_ID,
        11 => "INVALID-SPI" as V1_INVALID_SPI,
        12 => "INVALID-TRANSFORM-ID" as V1_INVALID_TRANSFORM_ID,
        13 => "ATTRIBUTES-NOT-SUPPORTED" as V1_ATTRIBUTES_NOT_SUPPORTED,
        14 => "NO-PROPOSAL-CHOSEN" as V1_NO_PROPOSAL_CHOSEN,
        15 => "BAD-PROPOSAL-SYNTAX" as V1_BAD_PROPOSAL_SYNTAX,
        16 => "PAYLOAD-MALFORMED" as V1_PAYLOAD_MALFORMED,
        17 => "INVALID-KEY-INFORMATION" as V1_INVALID_KEY_INFORMATION,
        18 => "INVALID-ID-INFORMATION" as V1_INVALID_ID_INFORMATION,
        19 => "INVALID-CERT-ENCODING" as V1_INVALID_CERT_ENCODING,
        20 => "INVALID-CERTIFICATE" as V1_INVALID_CERTIFICATE,
        21 => "CERT-TYPE-UNSUPPORTED" as V1_CERT_TYPE_UNSUPPORTED,
        22 => "INVALID-CERT-AUTHORITY" as V1_INVALID_CERT_AUTHORITY,
        23 => "INVALID-HASH-INFORMATION" as V1_INVALID_HASH_INFORMATION,
        24 => "AUTHENTICATION-FAILED" as V1_AUTHENTICATION_FAILED,
        25 => "INVALID-SIGNATURE" as V1_INVALID_SIGNATURE,
        26 => "ADDRESS-NOTIFICATION" as V1_ADDRESS_NOTIFICATION,
        27 => "NOTIFY-SA-LIFETIME" as V1_NOTIFY_SA_LIFETIME,
        28 => "CERTIFICATE-UNAVAILABLE" as V1_CERTIFICATE_UNAVAILABLE,
        29 => "UNSUPPORTED-EXCHANGE-TYPE" as V1_UNSUPPORTED_EXCHANGE_TYPE,
        30 => "UNEQUAL-PAYLOAD-LENGTHS" as V1_UNEQUAL_PAYLOAD_LENGTHS,
        16384 => "CONNECTED" as V1_CONNECTED,
        24576 => "RESPONDER-LIFETIME" as V1_RESPONDER_LIFETIME,
        24577 => "REPLAY-STATUS" as V1_REPLAY_STATUS,
        24578 => "INITIAL-CONTACT" as V1_INITIAL_CONTACT,
        36136 => "R-U-THERE" as V1_R_U_THERE,
        36137 => "R-U-THERE-ACK" as V1_R_U_THERE_ACK,
    }
}

table! {
    NotifyType =>
    /// The name in the IKEv2 registry.
    pub fn name_v2 {
        1 => "UNSUPPORTED_CRITICAL_PAYLOAD" as V2_UNSUPPORTED_CRITICAL_PAYLOAD,
        4 => "INVALID_IKE_SPI" as V2_INVALID_IKE_SPI,
        5 => "INVALID_MAJOR_VERSION" as V2_INVALID_MAJOR_VERSION,
        7 => "INVALID_SYNTAX" as V2_INVALID_SYNTAX,
        9 => "INVALID_MESSAGE_ID" as V2_INVALID_MESSAGE_ID,
        11 => "INVALID_SPI" as V2_INVALID_SPI,
        14 => "NO_PROPOSAL_CHOSEN" as V2_NO_PROPOSAL_CHOSEN,
        17 => "INVALID_KE_PAYLOAD" as V2_INVALID_KE_PAYLOAD,
        24 => "AUTHENTICATION_FAILED" as V2_AUTHENTICATION_FAILED,
        34 => "SINGLE_PAIR_REQUIRED" as V2_SINGLE_PAIR_REQUIRED,
        35 => "NO_ADDITIONAL_SAS" as V2_NO_ADDITIONAL_SAS,
        36 => "INTERNAL_ADDRESS_FAILURE" as V2_INTERNAL_ADDRESS_FAILURE,
        37 => "FAILED_CP_REQUIRED" as V2_FAILED_CP_REQUIRED,
        38 => "TS_UNACCEPTABLE" as V2_TS_UNACCEPTABLE,
        39 => "INVALID_SELECTORS" as V2_INVALID_SELECTORS,
        40 => "UNACCEPTABLE_ADDRESSES" as V2_UNACCEPTABLE_ADDRESSES,
        41 => "UNEXPECTED_NAT_DETECTED" as V2_UNEXPECTED_NAT_DETECTED,
        42 => "USE_ASSIGNED_HoA" as V2_USE_ASSIGNED_HOA,
        43 => "TEMPORARY_FAILURE" as V2_TEMPORARY_FAILURE,
        44 => "CHILD_SA_NOT_FOUND" as V2_CHILD_SA_NOT_FOUND,
        45 => "INVALID_GROUP_ID" as V2_INVALID_GROUP_ID,
        46 => "AUTHORIZATION_FAILED" as V2_AUTHORIZATION_FAILED,
        47 => "STATE_NOT_FOUND" as V2_STATE_NOT_FOUND,
        48 => "TS_MAX_QUEUE" as V2_TS_MAX_QUEUE,
        16384 => "INITIAL_CONTACT" as V2_INITIAL_CONTACT,
        16385 => "SET_WINDOW_SIZE" as V2_SET_WINDOW_SIZE,
        16386 => "ADDITIONAL_TS_POSSIBLE" as V2_ADDITIONAL_TS_POSSIBLE,
        16387 => "IPCOMP_SUPPORTED" as V2_IPCOMP_SUPPORTED,
        16388 => "NAT_DETECTION_SOURCE_IP" as V2_NAT_DETECTION_SOURCE_IP,
        16389 => "NAT_DETECTION_DESTINATION_IP" as V2_NAT_DETECTION_DESTINATION_IP,
        16390 => "COOKIE" as V2_COOKIE,
        16391 => "USE_TRANSPORT_MODE" as V2_USE_TRANSPORT_MODE,
        16392 => "HTTP_CERT_LOOKUP_SUPPORTED" as V2_HTTP_CERT_LOOKUP_SUPPORTED,
        16393 => "REKEY_SA" as V2_REKEY_SA,
        16394 => "ESP_TFC_PADDING_NOT_SUPPORTED" as V2_ESP_TFC_PADDING_NOT_SUPPORTED,
        16395 => "NON_FIRST_FRAGMENTS_ALSO" as V2_NON_FIRST_FRAGMENTS_ALSO,
        16396 => "MOBIKE_SUPPORTED" as V2_MOBIKE_SUPPORTED,
        16397 => "ADDITIONAL_IP4_ADDRESS" as V2_ADDITIONAL_IP4_ADDRESS,
        16398 => "ADDITIONAL_IP6_ADDRESS" as V2_ADDITIONAL_IP6_ADDRESS,
        16399 => "NO_ADDITIONAL_ADDRESSES" as V2_NO_ADDITIONAL_ADDRESSES,
        16400 => "UPDATE_SA_ADDRESSES" as V2_UPDATE_SA_ADDRESSES,
        16401 => "COOKIE2" as V2_COOKIE2,
        16402 => "NO_NATS_ALLOWED" as V2_NO_NATS_ALLOWED,
        16403 => "AUTH_LIFETIME" as V2_AUTH_LIFETIME,
        16404 => "MULTIPLE_AUTH_SUPPORTED" as V2_MULTIPLE_AUTH_SUPPORTED,
        16405 => "ANOTHER_AUTH_FOLLOWS" as V2_ANOTHER_AUTH_FOLLOWS,
        16406 => "REDIRECT_SUPPORTED" as V2_REDIRECT_SUPPORTED,
        16407 => "REDIRECT" as V2_REDIRECT,
        16408 => "REDIRECTED_FROM" as V2_REDIRECTED_FROM,
        16409 => "TICKET_LT_OPAQUE" as V2_TICKET_LT_OPAQUE,
        16410 => "TICKET_REQUEST" as V2_TICKET_REQUEST,
        16411 => "TICKET_ACK" as V2_TICKET_ACK,
        16412 => "TICKET_NACK" as V2_TICKET_NACK,
        16413 => "TICKET_OPAQUE" as V2_TICKET_OPAQUE,
        16414 => "LINK_ID" as V2_LINK_ID,
        16415 => "USE_WESP_MODE" as V2_USE_WESP_MODE,
        16416 => "ROHC_SUPPORTED" as V2_ROHC_SUPPORTED,
        16417 => "EAP_ONLY_AUTHENTICATION" as V2_EAP_ONLY_AUTHENTICATION,
        16418 => "CHILDLESS_IKEV2_SUPPORTED" as V2_CHILDLESS_IKEV2_SUPPORTED,
        16419 => "QUICK_CRASH_DETECTION" as V2_QUICK_CRASH_DETECTION,
        16420 => "IKEV2_MESSAGE_ID_SYNC_SUPPORTED" as V2_IKEV2_MESSAGE_ID_SYNC_SUPPORTED,
        16421 => "IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED" as V2_IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED,
        16422 => "IKEV2_MESSAGE_ID_SYNC" as V2_IKEV2_MESSAGE_ID_SYNC,
        16423 => "IPSEC_REPLAY_COUNTER_SYNC" as V2_IPSEC_REPLAY_COUNTER_SYNC,
        16424 => "SECURE_PASSWORD_METHODS" as V2_SECURE_PASSWORD_METHODS,
        16425 => "PSK_PERSIST" as V2_PSK_PERSIST,
        16426 => "PSK_CONFIRM" as V2_PSK_CONFIRM,
        16427 => "ERX_SUPPORTED" as V2_ERX_SUPPORTED,
        16428 => "IFOM_CAPABILITY" as V2_IFOM_CAPABILITY,
        16429 => "SENDER_REQUEST_ID" as V2_SENDER_REQUEST_ID,
        16430 => "IKEV2_FRAGMENTATION_SUPPORTED" as V2_IKEV2_FRAGMENTATION_SUPPORTED,
        16431 => "SIGNATURE_HASH_ALGORITHMS" as V2_SIGNATURE_HASH_ALGORITHMS,
        16432 => "CLONE_IKE_SA_SUPPORTED" as V2_CLONE_IKE_SA_SUPPORTED,
        16433 => "CLONE_IKE_SA" as V2_CLONE_IKE_SA,
        16434 => "PUZZLE" as V2_PUZZLE,
        16435 => "USE_PPK" as V2_USE_PPK,
        16436 => "PPK_IDENTITY" as V2_PPK_IDENTITY,
        16437 => "NO_PPK_AUTH" as V2_NO_PPK_AUTH,
        16438 => "INTERMEDIATE_EXCHANGE_SUPPORTED" as V2_INTERMEDIATE_EXCHANGE_SUPPORTED,
        16439 => "IP4_ALLOWED" as V2_IP4_ALLOWED,
        16440 => "IP6_ALLOWED" as V2_IP6_ALLOWED,
        16441 => "ADDITIONAL_KEY_EXCHANGE" as V2_ADDITIONAL_KEY_EXCHANGE,
        16442 => "USE_AGGFRAG" as V2_USE_AGGFRAG,
        16443 => "SUPPORTED_AUTH_METHODS" as V2_SUPPORTED_AUTH_METHODS,
        16444 => "SA_RESOURCE_INFO" as V2_SA_RESOURCE_INFO,
        16445 => "USE_PPK_INT" as V2_USE_PPK_INT,
        16446 => "PPK_IDENTITY_KEY" as V2_PPK_IDENTITY_KEY,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every number both registries name, with its name in each (RFC 2408 §3.14.1 / RFC 7296
    /// §3.10.1): five mean different things, the others differ in spelling.
    const IN_BOTH: [(u16, &str, &str); 10] = [
        (1, "INVALID-PAYLOAD-TYPE", "UNSUPPORTED_CRITICAL_PAYLOAD"),
        (4, "INVALID-COOKIE", "INVALID_IKE_SPI"),
        (5, "INVALID-MAJOR-VERSION", "INVALID_MAJOR_VERSION"),
        (7, "INVALID-EXCHANGE-TYPE", "INVALID_SYNTAX"),
        (9, "INVALID-MESSAGE-ID", "INVALID_MESSAGE_ID"),
        (11, "INVALID-SPI", "INVALID_SPI"),
        (14, "NO-PROPOSAL-CHOSEN", "NO_PROPOSAL_CHOSEN"),
        (17, "INVALID-KEY-INFORMATION", "INVALID_KE_PAYLOAD"),
        (24, "AUTHENTICATION-FAILED", "AUTHENTICATION_FAILED"),
        (16384, "CONNECTED", "INITIAL_CONTACT"),
    ];

    #[test]
    fn numbers_in_both_registries_are_named_by_version() {
        for (n, v1, v2) in IN_BOTH {
            assert_eq!(NotifyType(n).name(IkeVersion::V1), Some(v1), "{n}");
            assert_eq!(NotifyType(n).name(IkeVersion::V2), Some(v2), "{n}");
        }
        // No other number is named by both: a new overlap must be added above.
        let overlap: Vec<u16> = (0..=u16::MAX)
            .filter(|&n| NotifyType(n).name_v1().is_some() && NotifyType(n).name_v2().is_some())
            .collect();
        assert_eq!(overlap, IN_BOTH.map(|x| x.0));
    }

    #[test]
    fn numbers_of_one_registry_have_no_name_in_the_other() {
        for (n, v1) in [
            (18, "INVALID-ID-INFORMATION"),
            (23, "INVALID-HASH-INFORMATION"),
            (24578, "INITIAL-CONTACT"),
            (36136, "R-U-THERE"),
        ] {
            assert_eq!(NotifyType(n).name(IkeVersion::V1), Some(v1));
            assert_eq!(NotifyType(n).name(IkeVersion::V2), None, "{n}");
        }
        for (n, v2) in [
            (38, "TS_UNACCEPTABLE"),
            (43, "TEMPORARY_FAILURE"),
            (16390, "COOKIE"),
        ] {
            assert_eq!(NotifyType(n).name(IkeVersion::V2), Some(v2));
            assert_eq!(NotifyType(n).name(IkeVersion::V1), None, "{n}");
        }
        assert_eq!(NotifyType::V2_USE_PPK.name(IkeVersion::V2), Some("USE_PPK"));
    }

    #[test]
    fn error_range() {
        assert!(NotifyType::V2_TS_UNACCEPTABLE.is_error());
        assert!(!NotifyType::V2_COOKIE.is_error());
        assert!(!NotifyType(0).is_error());
    }
}
