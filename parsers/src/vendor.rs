//! Recognition of well-known Vendor ID payload values (IKEv1 VID 13, IKEv2 V 43).
//!
//! Many VIDs are the MD5 hash of a string (NAT-T drafts, strongSwan, KAME, Microsoft); others
//! are fixed prefixes followed by version bytes (Cisco Unity, DPD, Check Point, Microsoft
//! "MS NT5 ISAKMPOAKLEY", FortiGate) or plain ASCII (Cisco FlexVPN, delete-reason).

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

/// A recognised vendor ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Vendor {
    /// Vendor / feature name.
    pub name: &'static str,
    /// Decoded version details, if any.
    pub detail: VendorDetail,
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
}

impl V {
    const fn exact(hex: &'static str, name: &'static str) -> V {
        V {
            hex,
            kind: Kind::Exact,
            name,
        }
    }
    const fn prefix(hex: &'static str, name: &'static str) -> V {
        V {
            hex,
            kind: Kind::Prefix,
            name,
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
    V::exact(h!("882fe56d6fd20dbc2251613b2ebe5beb"), "strongSwan"),
    V::exact(
        h!("7003cbc1097dbe9c2600ba6983bc8b35"),
        "KAME/racoon (ipsec-tools)",
    ),
    V::exact(
        h!("26244d38eddb61b3172a36e3d0cfb819"),
        "Microsoft Vid-Initial-Contact",
    ),
    V::exact(
        h!("fb1de3cdf341b7ea16b7e5be0855f120"),
        "Microsoft MS-Negotiation Discovery Capable",
    ),
    V::exact(
        h!("e3a5966a76379fe707228231e5ce8652"),
        "Microsoft IKE CGA version 1",
    ),
    V::exact(h!("214ca4faffa7f32d6748e5303395ae83"), "Microsoft MS-MamieExists"),
    V::exact(h!("84a6dafd4c2e2f236100d34e3e1a5a37"), "IKEv2 Fragmentation"),
    V::exact(h!("09002689dfd6b712"), "XAUTH"),
    V::prefix(h!("afcad71368a1f1c96b8696fc7757"), "RFC 3706 DPD"),
    V::prefix(h!("4048b7d56ebce88525e7de7f00d6c2d3"), "IKE Fragmentation"),
    V {
        hex: "12f5f28c457168a9702d9fe274cc",
        kind: Kind::Unity,
        name: "Cisco Unity",
    },
    V {
        hex: "1e2b516905991c7d7c96fcbfb587e461",
        kind: Kind::Windows,
        name: "MS NT5 ISAKMPOAKLEY",
    },
    V::prefix(h!("1f07f70eaa6514d3b0fa96542a50"), "Cisco VPN Concentrator"),
    // ASCII vendor IDs
    V::prefix(
        h!("434953434f2d44454c4554452d524541534f4e"),
        "Cisco Delete Reason",
    ),
    V::prefix(
        h!("434953434f2d44594e414d49432d524f555445"),
        "Cisco Dynamic Route",
    ),
    V::prefix(h!("434953434f2d4752452d4d4f4445"), "Cisco GRE Mode"),
    V::prefix(h!("434953434f56504e2d5245562d3032"), "Cisco VPN Revision 2"),
    V::prefix(h!("434953434f28434f505952494748542926"), "Cisco Copyright"),
    V::prefix(
        h!("464c455856504e2d535550504f52544544"),
        "Cisco FlexVPN Supported",
    ),
    V::prefix(h!("4865617274426561745f4e6f74696679"), "Heartbeat Notify"),
    V::prefix(h!("54494d4553544550"), "Timestep"),
    // Firewalls / gateways
    V::prefix(
        h!("699369228741c6d4ca094c93e242c9de19e7b7c6"),
        "Juniper/NetScreen",
    ),
    V::prefix(
        h!("166f932d55eb64d8e4df4fd37e2313f0d0fd8451"),
        "Juniper/NetScreen",
    ),
    V::prefix(h!("8299031757a36082c6a621de"), "Fortinet FortiGate"),
    V::prefix(h!("f4ed19e0c114eb516faaac0ee37daf2807b4381f"), "Check Point"),
    V::prefix(h!("404bf439522ca3f6"), "SonicWall"),
    V::exact(h!("f14b94b7bff1fef02773b8c49feded26"), "Shrew Soft"),
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
            best = Some((n, Vendor { name: v.name, detail }));
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

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len() / 2)
            .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
            .collect()
    }

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
}
