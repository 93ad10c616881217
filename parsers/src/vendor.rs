//! Recognition of well-known Vendor ID payload values (IKEv1 VID 13, IKEv2 V 43).
//!
//! Many VIDs are the MD5 hash of a string (NAT-T drafts, strongSwan, KAME, Microsoft); others
//! are fixed prefixes followed by version bytes (Cisco Unity, DPD, Check Point, Microsoft
//! "MS NT5 ISAKMPOAKLEY", FortiGate) or plain ASCII (Cisco FlexVPN, delete-reason).
//!
//! Sources of the values (public, cited per group below): libreswan's `lib/libswan/vendorid.c`
//! (the libreswan table), ike-scan's `ike-vendor-ids` (Roy Hills), and the MD5 of the strings
//! their comments name (computed here, e.g. `md5("Fortinet Endpoint Control")`). A VID that
//! names a product carries its [`Maker`]; capability VIDs (NAT-T, DPD, XAUTH, fragmentation,
//! Cisco Unity, which strongSwan and libreswan also send) carry none. No public source gave
//! values for Palo Alto Networks or MikroTik, so neither is recognised.

use core::fmt;

/// Extra information decoded from a vendor ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VendorDetail {
    /// Nothing beyond the name.
    None,
    /// Cisco Unity major/minor version bytes.
    UnityVersion(u8, u8),
    /// Microsoft "MS NT5 ISAKMPOAKLEY" version number (last 4 bytes).
    WindowsVersion(u32),
}

/// The product family a vendor ID names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Maker {
    /// strongSwan (charon or the old pluto).
    StrongSwan,
    /// libreswan, Openswan or FreeS/WAN (the "OE" family).
    Libreswan,
    /// Cisco IOS / ASA / PIX / VPN 3000.
    Cisco,
    /// Juniper / NetScreen ScreenOS.
    Juniper,
    /// Fortinet FortiGate / FortiClient.
    Fortinet,
    /// Check Point Firewall-1 / VPN-1.
    CheckPoint,
    /// SonicWall.
    SonicWall,
    /// Microsoft Windows.
    Microsoft,
    /// Zyxel ZyWALL.
    Zyxel,
    /// KAME racoon (ipsec-tools, older macOS).
    Racoon,
    /// Shrew Soft VPN client.
    ShrewSoft,
    /// OpenBSD's iked.
    OpenIked,
}

impl Maker {
    /// The JSON spelling (`strongswan`, `check_point`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Maker::StrongSwan => "strongswan",
            Maker::Libreswan => "libreswan",
            Maker::Cisco => "cisco",
            Maker::Juniper => "juniper",
            Maker::Fortinet => "fortinet",
            Maker::CheckPoint => "check_point",
            Maker::SonicWall => "sonicwall",
            Maker::Microsoft => "microsoft",
            Maker::Zyxel => "zyxel",
            Maker::Racoon => "racoon",
            Maker::ShrewSoft => "shrew_soft",
            Maker::OpenIked => "openiked",
        }
    }

    /// The name people use.
    pub fn label(self) -> &'static str {
        match self {
            Maker::StrongSwan => "strongSwan",
            Maker::Libreswan => "libreswan",
            Maker::Cisco => "Cisco",
            Maker::Juniper => "Juniper/NetScreen",
            Maker::Fortinet => "Fortinet",
            Maker::CheckPoint => "Check Point",
            Maker::SonicWall => "SonicWall",
            Maker::Microsoft => "Microsoft Windows",
            Maker::Zyxel => "Zyxel",
            Maker::Racoon => "racoon (ipsec-tools)",
            Maker::ShrewSoft => "Shrew Soft",
            Maker::OpenIked => "OpenIKED",
        }
    }
}

/// A recognised vendor ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Vendor {
    /// Vendor / feature name.
    pub name: &'static str,
    /// Decoded version details, if any.
    pub detail: VendorDetail,
    /// The product it names (`None` for capability VIDs any implementation may send).
    pub maker: Option<Maker>,
}

impl fmt::Display for Vendor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.detail {
            VendorDetail::None => f.write_str(self.name),
            VendorDetail::UnityVersion(a, b) => write!(f, "{} {a}.{b}", self.name),
            VendorDetail::WindowsVersion(v) => {
                let os = match v {
                    2 => "Windows 2000",
                    3 => "Windows XP SP1",
                    4 => "Windows Server 2003 / XP SP2",
                    5 => "Windows Vista",
                    6 => "Windows Server 2008",
                    7 => "Windows 7",
                    8 => "Windows Server 2008 R2",
                    9 => "Windows 8 / Server 2012 or later",
                    _ => "unknown Windows",
                };
                write!(f, "{} v{v} ({os})", self.name)
            }
        }
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Exact,
    Prefix,
    Unity,
    Windows,
}

struct V {
    hex: &'static str,
    kind: Kind,
    name: &'static str,
    maker: Option<Maker>,
}

impl V {
    const fn exact(hex: &'static str, name: &'static str) -> V {
        V {
            hex,
            kind: Kind::Exact,
            name,
            maker: None,
        }
    }
    const fn prefix(hex: &'static str, name: &'static str) -> V {
        V {
            hex,
            kind: Kind::Prefix,
            name,
            maker: None,
        }
    }
    /// The same entry, naming a product.
    const fn by(self, maker: Maker) -> V {
        V {
            maker: Some(maker),
            ..self
        }
    }
}

macro_rules! h {
    ($s:literal) => {
        $s
    };
}

const TABLE: &[V] = &[
    V::exact(
        h!("4df37928e9fc4fd1b3262170d515c662"),
        "draft-ietf-ipsec-nat-t-ike",
    ),
    V::exact(
        h!("4485152d18b6bbcd0be8a8469579ddcc"),
        "draft-ietf-ipsec-nat-t-ike-00",
    ),
    V::exact(
        h!("16f6ca16e4a4066d83821a0f0aeaa862"),
        "draft-ietf-ipsec-nat-t-ike-01",
    ),
    V::exact(
        h!("cd60464335df21f87cfdb2fc68b6a448"),
        "draft-ietf-ipsec-nat-t-ike-02",
    ),
    V::exact(
        h!("7d9419a65310ca6f2c179d9215529d56"),
        "draft-ietf-ipsec-nat-t-ike-03",
    ),
    V::exact(
        h!("9909b64eed937c6573de52ace952fa6b"),
        "draft-ietf-ipsec-nat-t-ike-04",
    ),
    V::exact(
        h!("80d0bb3def54565ee84645d4c85ce3ee"),
        "draft-ietf-ipsec-nat-t-ike-05",
    ),
    V::exact(
        h!("4d1e0e136deafa34c4f3ea9f02ec7285"),
        "draft-ietf-ipsec-nat-t-ike-06",
    ),
    V::exact(
        h!("439b59f8ba676c4c7737ae22eab8f582"),
        "draft-ietf-ipsec-nat-t-ike-07",
    ),
    V::exact(
        h!("8f8d83826d246b6fc7a8a6a428c11de8"),
        "draft-ietf-ipsec-nat-t-ike-08",
    ),
    V::exact(
        h!("42ea5b6f898d9773a575df26e7dd19e1"),
        "draft-ietf-ipsec-nat-t-ike-09",
    ),
    V::exact(
        h!("90cb80913ebb696e086381b5ec427b1f"),
        "draft-ietf-ipsec-nat-t-ike-02 (newline variant)",
    ),
    V::exact(h!("4a131c81070358455c5728f20e95452f"), "RFC 3947 NAT-T"),
    V::exact(
        h!("27bab5dc01ea0760ea4e3190ac27c0d0"),
        "draft-stenberg-ipsec-nat-traversal-01",
    ),
    V::exact(
        h!("6105c422e76847e43f9684801292aecd"),
        "draft-stenberg-ipsec-nat-traversal-02",
    ),
    V::exact(
        h!("6a7434c19d7e36348090a02334c9c805"),
        "draft-huttunen-ipsec-esp-in-udp-00",
    ),
    V::exact(
        h!("58b35b47d82ee84954cb62ca82e1dfdd"),
        "draft-huttunen-ipsec-esp-in-udp-01",
    ),
    V::exact(h!("882fe56d6fd20dbc2251613b2ebe5beb"), "strongSwan").by(Maker::StrongSwan),
    V::exact(
        h!("7003cbc1097dbe9c2600ba6983bc8b35"),
        "KAME/racoon (ipsec-tools)",
    )
    .by(Maker::Racoon),
    // Microsoft: libreswan's table (after MS-IKEE, msdn cc233476) and ike-scan's.
    V::exact(
        h!("26244d38eddb61b3172a36e3d0cfb819"),
        "Microsoft Vid-Initial-Contact",
    )
    .by(Maker::Microsoft),
    V::exact(
        h!("fb1de3cdf341b7ea16b7e5be0855f120"),
        "Microsoft MS-Negotiation Discovery Capable",
    )
    .by(Maker::Microsoft),
    V::exact(
        h!("e3a5966a76379fe707228231e5ce8652"),
        "Microsoft IKE CGA version 1",
    )
    .by(Maker::Microsoft),
    V::exact(h!("214ca4faffa7f32d6748e5303395ae83"), "Microsoft MS-MamieExists").by(Maker::Microsoft),
    V::exact(
        h!("72872b95fcda2eb708efe322119b4971"),
        "Microsoft NLB/MSCS fast failover supported",
    )
    .by(Maker::Microsoft),
    V::exact(
        h!("686a8cbdfe634b405146fb2baf33e9e8"),
        "Microsoft IPsec Security Realm Id",
    )
    .by(Maker::Microsoft),
    V::prefix(h!("01528bbbc00696121849ab9a1c5b2a51"), "Microsoft KEY_MODS").by(Maker::Microsoft),
    V::prefix(h!("7bb93867d76c8d80df0f40fae8fc3b19"), "Microsoft AuthIP INIT KE").by(Maker::Microsoft),
    V::exact(h!("84a6dafd4c2e2f236100d34e3e1a5a37"), "IKEv2 Fragmentation"),
    V::exact(h!("09002689dfd6b712"), "XAUTH"),
    V::prefix(h!("afcad71368a1f1c96b8696fc7757"), "RFC 3706 DPD"),
    V::prefix(h!("4048b7d56ebce88525e7de7f00d6c2d3"), "IKE Fragmentation"),
    V {
        hex: "12f5f28c457168a9702d9fe274cc",
        kind: Kind::Unity,
        name: "Cisco Unity",
        maker: None,
    },
    V {
        hex: "1e2b516905991c7d7c96fcbfb587e461",
        kind: Kind::Windows,
        name: "MS NT5 ISAKMPOAKLEY",
        maker: Some(Maker::Microsoft),
    },
    // Cisco: libreswan's table ("ALTIGA GATEWAY" truncated MD5 with version bytes; the ASCII
    // VIDs; "Cisco IOS Device" 3e984048), ike-scan's "CISCO(COPYRIGHT)".
    V::prefix(h!("1f07f70eaa6514d3b0fa96542a50"), "Cisco VPN Concentrator").by(Maker::Cisco),
    V::prefix(h!("3e984048"), "Cisco IOS").by(Maker::Cisco),
    // ASCII vendor IDs
    V::prefix(
        h!("434953434f2d44454c4554452d524541534f4e"),
        "Cisco Delete Reason",
    )
    .by(Maker::Cisco),
    V::prefix(
        h!("434953434f2d44594e414d49432d524f555445"),
        "Cisco Dynamic Route",
    )
    .by(Maker::Cisco),
    V::prefix(h!("434953434f2d4752452d4d4f4445"), "Cisco GRE Mode").by(Maker::Cisco),
    V::prefix(h!("434953434f56504e2d5245562d3032"), "Cisco VPN Revision 2").by(Maker::Cisco),
    V::prefix(h!("434953434f28434f505952494748542926"), "Cisco Copyright").by(Maker::Cisco),
    V::prefix(
        h!("464c455856504e2d535550504f52544544"),
        "Cisco FlexVPN Supported",
    )
    .by(Maker::Cisco),
    V::prefix(h!("4865617274426561745f4e6f74696679"), "Heartbeat Notify"),
    V::prefix(h!("54494d4553544550"), "Timestep"),
    // libreswan 3.6 and later: ASCII "OE-Libreswan-" and the version (libreswan's table).
    V::prefix(h!("4f452d4c696272657377616e2d"), "libreswan").by(Maker::Libreswan),
    V::prefix(h!("4f70656e494b4544"), "OpenIKED").by(Maker::OpenIked),
    // Juniper/NetScreen: the sixteen "Netscreen-01..16" values of libreswan's table, followed on
    // the wire by version words.
    V::prefix(
        h!("299ee8289f40a8973bc78687e2e7226b532c3b76"),
        "Juniper/NetScreen",
    )
    .by(Maker::Juniper),
    V::prefix(
        h!("3a15e1f3cf2a63582e3ac82d1c64cbe3b6d779e7"),
        "Juniper/NetScreen",
    )
    .by(Maker::Juniper),
    V::prefix(
        h!("47d2b126bfcd83489760e2cf8c5d4d5a03497c15"),
        "Juniper/NetScreen",
    )
    .by(Maker::Juniper),
    V::prefix(
        h!("4a4340b543e02b84c88a8b96a8af9ebe77d9accc"),
        "Juniper/NetScreen",
    )
    .by(Maker::Juniper),
    V::prefix(
        h!("64405f46f03b7660a23be116a1975058e69e8387"),
        "Juniper/NetScreen",
    )
    .by(Maker::Juniper),
    V::prefix(
        h!("699369228741c6d4ca094c93e242c9de19e7b7c6"),
        "Juniper/NetScreen",
    )
    .by(Maker::Juniper),
    V::prefix(
        h!("8c0dc6cf62a0ef1b5c6eabd1b67ba69866adf16a"),
        "Juniper/NetScreen",
    )
    .by(Maker::Juniper),
    V::prefix(
        h!("92d27a9ecb31d99246986d3453d0c3d57a222a61"),
        "Juniper/NetScreen",
    )
    .by(Maker::Juniper),
    V::prefix(
        h!("9b096d9ac3275a7d6fe8b91c583111b09efed1a0"),
        "Juniper/NetScreen",
    )
    .by(Maker::Juniper),
    V::prefix(
        h!("bf03746108d746c904f1f3547de24f78479fed12"),
        "Juniper/NetScreen",
    )
    .by(Maker::Juniper),
    V::prefix(
        h!("c2e80500f4cc5fbf5daaeed3bb59abaeee56c652"),
        "Juniper/NetScreen",
    )
    .by(Maker::Juniper),
    V::prefix(
        h!("c8660a62b03b1b6130bf781608d32a6a8d0fb89f"),
        "Juniper/NetScreen",
    )
    .by(Maker::Juniper),
    V::prefix(
        h!("f885da40b1e7a9abd17655ec5bbec0f21f0ed52e"),
        "Juniper/NetScreen",
    )
    .by(Maker::Juniper),
    V::prefix(
        h!("2a2bcac19b8e91b426107807e02e7249569d6fd3"),
        "Juniper/NetScreen",
    )
    .by(Maker::Juniper),
    V::prefix(
        h!("166f932d55eb64d8e4df4fd37e2313f0d0fd8451"),
        "Juniper/NetScreen",
    )
    .by(Maker::Juniper),
    V::prefix(
        h!("a35bfd05ca1ac0b3d2f24e9e82bfcbff9c9e52b5"),
        "Juniper/NetScreen",
    )
    .by(Maker::Juniper),
    // Fortinet: the FortiGate prefix, and md5("Fortinet Endpoint Control") and
    // md5("forticlient connect license") named in libreswan's table.
    V::prefix(h!("8299031757a36082c6a621de"), "Fortinet FortiGate").by(Maker::Fortinet),
    V::exact(
        h!("b4f01ca951e9da8d0bafbbd34ad3044e"),
        "Fortinet Endpoint Control",
    )
    .by(Maker::Fortinet),
    V::exact(
        h!("4c53427b6d465d1b337bb755a37a7fef"),
        "FortiClient connect license",
    )
    .by(Maker::Fortinet),
    V::prefix(h!("f4ed19e0c114eb516faaac0ee37daf2807b4381f"), "Check Point").by(Maker::CheckPoint),
    V::prefix(h!("404bf439522ca3f6"), "SonicWall").by(Maker::SonicWall),
    // Zyxel ZyWALL: libreswan's "Zywall" and ike-scan's "ZyXEL ZyWALL Router".
    V::exact(h!("625027749d5ab97f5616c1602765cf480a3b7d0b"), "Zyxel ZyWALL").by(Maker::Zyxel),
    V::exact(h!("b858d1addd08c1e8adafea150608aa4497aa6cc8"), "Zyxel ZyWALL").by(Maker::Zyxel),
    V::exact(h!("f14b94b7bff1fef02773b8c49feded26"), "Shrew Soft").by(Maker::ShrewSoft),
];

/// Does `vid` start with the bytes written as lowercase hex in `hex`?
fn hex_prefix(vid: &[u8], hex: &str) -> bool {
    let hb = hex.as_bytes();
    if hb.len() % 2 != 0 || vid.len() < hb.len() / 2 {
        return false;
    }
    let nib = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    hb.chunks_exact(2).zip(vid).all(|(pair, b)| {
        match (
            pair.first().copied().and_then(nib),
            pair.get(1).copied().and_then(nib),
        ) {
            (Some(hi), Some(lo)) => (hi << 4 | lo) == *b,
            _ => false,
        }
    })
}

/// Recognise a vendor ID payload body.
pub fn identify(vid: &[u8]) -> Option<Vendor> {
    let mut best: Option<(usize, Vendor)> = None;
    for v in TABLE {
        let n = v.hex.len() / 2;
        if !hex_prefix(vid, v.hex) {
            continue;
        }
        let detail = match v.kind {
            Kind::Exact if vid.len() != n => continue,
            Kind::Exact | Kind::Prefix => VendorDetail::None,
            Kind::Unity => match vid.get(n..) {
                Some([a, b]) => VendorDetail::UnityVersion(*a, *b),
                _ => VendorDetail::None,
            },
            Kind::Windows => match vid.get(n..) {
                Some(&[a, b, c, d]) => VendorDetail::WindowsVersion(u32::from_be_bytes([a, b, c, d])),
                _ => VendorDetail::None,
            },
        };
        if best.as_ref().is_none_or(|(len, _)| n > *len) {
            let (name, maker) = (v.name, v.maker);
            best = Some((n, Vendor { name, detail, maker }));
        }
    }
    if let Some((_, v)) = best {
        return Some(v);
    }
    // Openswan / libreswan: 12 bytes starting with ASCII "OE".
    if vid.len() == 12 && vid.starts_with(b"OE") {
        return Some(Vendor {
            name: "Openswan/libreswan",
            detail: VendorDetail::None,
            maker: Some(Maker::Libreswan),
        });
    }
    None
}

/// Name of a recognised vendor ID (with decoded version details), `None` when unknown.
pub fn vendor_name(vid: &[u8]) -> Option<String> {
    identify(vid).map(|v| v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::unhex;

    #[test]
    fn known_vids_from_captures() {
        // All seen in captures/ikev1_main_ok.pcap frame 1 and other captures.
        let n = |h: &str| vendor_name(&unhex(h));
        assert_eq!(n("09002689dfd6b712").as_deref(), Some("XAUTH"));
        assert_eq!(
            n("afcad71368a1f1c96b8696fc77570100").as_deref(),
            Some("RFC 3706 DPD")
        );
        assert_eq!(
            n("4048b7d56ebce88525e7de7f00d6c2d380000000").as_deref(),
            Some("IKE Fragmentation")
        );
        assert_eq!(
            n("4a131c81070358455c5728f20e95452f").as_deref(),
            Some("RFC 3947 NAT-T")
        );
        assert_eq!(
            n("90cb80913ebb696e086381b5ec427b1f").as_deref(),
            Some("draft-ietf-ipsec-nat-t-ike-02 (newline variant)")
        );
        assert_eq!(
            n("882fe56d6fd20dbc2251613b2ebe5beb").as_deref(),
            Some("strongSwan")
        );
        assert_eq!(
            n("12f5f28c457168a9702d9fe274cc0100").as_deref(),
            Some("Cisco Unity 1.0")
        );
        assert_eq!(
            n("464c455856504e2d535550504f52544544").as_deref(),
            Some("Cisco FlexVPN Supported")
        );
        assert_eq!(
            n("4f45706c75746f756e697430").as_deref(),
            Some("Openswan/libreswan")
        );
        assert_eq!(
            n("1e2b516905991c7d7c96fcbfb587e46100000005").as_deref(),
            Some("MS NT5 ISAKMPOAKLEY v5 (Windows Vista)")
        );
        assert_eq!(n("000000000000000000000000"), None);
        // exact entries do not match longer values
        assert_eq!(n("09002689dfd6b71200"), None);
        assert_eq!(n(""), None);
    }

    /// Each product VID names its maker; capability VIDs name none. Values from the sources in
    /// the module documentation, with the version bytes seen on the wire where there are some.
    #[test]
    fn product_vids_name_their_maker() {
        let maker = |h: &str| identify(&unhex(h)).and_then(|v| v.maker);
        let cases = [
            ("882fe56d6fd20dbc2251613b2ebe5beb", Maker::StrongSwan),
            ("4f452d4c696272657377616e2d76342e3130", Maker::Libreswan), // "OE-Libreswan-v4.10"
            ("4f45706c75746f756e697430", Maker::Libreswan),             // Openswan 12-byte "OE..."
            ("7003cbc1097dbe9c2600ba6983bc8b35", Maker::Racoon),
            ("1e2b516905991c7d7c96fcbfb587e46100000009", Maker::Microsoft),
            ("26244d38eddb61b3172a36e3d0cfb819", Maker::Microsoft),
            ("01528bbbc00696121849ab9a1c5b2a5100000002", Maker::Microsoft), // KEY_MODS (IKEv2)
            ("7bb93867d76c8d80df0f40fae8fc3b1900000003", Maker::Microsoft), // AuthIP KE DH14
            ("72872b95fcda2eb708efe322119b4971", Maker::Microsoft),
            ("686a8cbdfe634b405146fb2baf33e9e8", Maker::Microsoft),
            ("1f07f70eaa6514d3b0fa96542a500407", Maker::Cisco), // VPN 3000 4.0.7
            ("3e9840480000000100000001", Maker::Cisco),         // Cisco IOS device
            ("434953434f2d44454c4554452d524541534f4e", Maker::Cisco), // CISCO-DELETE-REASON
            ("434953434f2d44594e414d49432d524f555445", Maker::Cisco), // CISCO-DYNAMIC-ROUTE
            (
                "434953434f28434f505952494748542926436f7079726967687420286329203230303920",
                Maker::Cisco,
            ),
            ("464c455856504e2d535550504f52544544", Maker::Cisco), // FLEXVPN-SUPPORTED
            ("434953434f56504e2d5245562d3032", Maker::Cisco),     // CISCOVPN-REV-02
            (
                "299ee8289f40a8973bc78687e2e7226b532c3b760000000500000500",
                Maker::Juniper,
            ),
            ("a35bfd05ca1ac0b3d2f24e9e82bfcbff9c9e52b5", Maker::Juniper),
            (
                "92d27a9ecb31d99246986d3453d0c3d57a222a610000000700000500",
                Maker::Juniper,
            ),
            ("8299031757a36082c6a621de000502d7", Maker::Fortinet),
            ("b4f01ca951e9da8d0bafbbd34ad3044e", Maker::Fortinet),
            ("4c53427b6d465d1b337bb755a37a7fef", Maker::Fortinet),
            (
                "f4ed19e0c114eb516faaac0ee37daf2807b4381f000000010000138d0000000000000000",
                Maker::CheckPoint,
            ),
            ("404bf439522ca3f6", Maker::SonicWall),
            ("625027749d5ab97f5616c1602765cf480a3b7d0b", Maker::Zyxel),
            ("b858d1addd08c1e8adafea150608aa4497aa6cc8", Maker::Zyxel),
            ("f14b94b7bff1fef02773b8c49feded26", Maker::ShrewSoft),
            ("4f70656e494b45442d372e34", Maker::OpenIked), // "OpenIKED-7.4"
        ];
        for (h, m) in cases {
            assert_eq!(maker(h), Some(m), "{h}");
        }
        // Capability VIDs that strongSwan and libreswan send too name no maker.
        for h in [
            "12f5f28c457168a9702d9fe274cc0100", // Cisco Unity
            "afcad71368a1f1c96b8696fc77570100", // RFC 3706 DPD
            "09002689dfd6b712",                 // XAUTH
            "4048b7d56ebce88525e7de7f00d6c2d3", // IKE fragmentation
            "4a131c81070358455c5728f20e95452f", // RFC 3947
        ] {
            assert_eq!(identify(&unhex(h)).map(|v| v.maker), Some(None), "{h}");
        }
        assert_eq!(Maker::CheckPoint.as_str(), "check_point");
        assert_eq!(Maker::StrongSwan.label(), "strongSwan");
    }
}
