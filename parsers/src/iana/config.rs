//! Configuration payloads (IKEv2 CP, IKEv1 mode-config) and IKEv2 traffic selector types.

newtype! {
    /// Configuration type (IKEv2 CP and IKEv1 mode-config).
    CfgType(u8)
}

table! {
    CfgType =>
    /// The registry name.
    pub fn name {
        1 => "CFG_REQUEST",
        2 => "CFG_REPLY",
        3 => "CFG_SET",
        4 => "CFG_ACK",
    }
}

newtype! {
    /// Configuration attribute (IKEv2 CP / IKEv1 mode-config, XAUTH, Cisco Unity).
    CfgAttribute(u16)
}

table! {
    CfgAttribute =>
    /// The registry name.
    pub fn name {
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

newtype! {
    /// IKEv2 traffic selector type.
    TsType(u8)
}

table! {
    TsType =>
    /// The registry name.
    pub fn name {
        7 => "TS_IPV4_ADDR_RANGE",
        8 => "TS_IPV6_ADDR_RANGE",
        9 => "TS_FC_ADDR_RANGE",
    }
}
