//! The decoded, owned view of one IKE/ESP-related packet: what `decode` prints and what the
//! reconstruction stage consumes. Field names follow the `decode --format json` contract
//! (issue 2); keys may be added, never renamed.

use ikescope_parsers::iana::{DhGroup, ExchangeType, IkeVersion, NotifyType, PayloadType, ProtocolId};
use serde::{Serialize, Serializer};
use std::net::IpAddr;

/// Capture timestamp in nanoseconds since the Unix epoch (UTC).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// Seconds (fractional) between `self` and an earlier timestamp.
    pub fn secs_since(self, earlier: Timestamp) -> f64 {
        (self.0 - earlier.0) as f64 / 1e9
    }

    /// RFC 3339 UTC with microseconds, truncated (not rounded), e.g. `2026-11-22T15:56:59.693921Z`.
    pub fn rfc3339(self) -> String {
        match self.rfc3339_bytes() {
            Some(b) => String::from_utf8_lossy(&b).into_owned(),
            None => self.rfc3339_general(),
        }
    }

    /// [`Timestamp::rfc3339`] for the years 0000 to 9999, written into a buffer without chrono's
    /// formatter (the reports write hundreds of thousands of them); `None` for other years, which
    /// [`Timestamp::rfc3339_general`] writes.
    fn rfc3339_bytes(self) -> Option<[u8; RFC3339_LEN]> {
        let secs = self.0.div_euclid(1_000_000_000);
        let micros = self.0.rem_euclid(1_000_000_000) / 1000;
        let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
        if !(0..=9999).contains(&year) {
            return None;
        }
        let of_day = secs.rem_euclid(86_400);
        let mut b = *b"0000-00-00T00:00:00.000000Z";
        let mut put = |at: usize, width: usize, mut v: i64| {
            for i in (at..at + width).rev() {
                b[i] = b'0' + (v % 10) as u8;
                v /= 10;
            }
        };
        put(0, 4, year);
        put(5, 2, month);
        put(8, 2, day);
        put(11, 2, of_day / 3600);
        put(14, 2, of_day / 60 % 60);
        put(17, 2, of_day % 60);
        put(20, 6, micros);
        Some(b)
    }

    /// [`Timestamp::rfc3339`] through chrono, for any year (`@<seconds>.<nanoseconds>` outside
    /// chrono's range).
    fn rfc3339_general(self) -> String {
        use chrono::{Datelike, Timelike};
        let secs = self.0.div_euclid(1_000_000_000);
        let nanos = self.0.rem_euclid(1_000_000_000) as u32;
        match chrono::DateTime::from_timestamp(secs, nanos) {
            Some(t) => format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
                t.year(),
                t.month(),
                t.day(),
                t.hour(),
                t.minute(),
                t.second(),
                nanos / 1000
            ),
            None => format!("@{secs}.{nanos:09}"),
        }
    }
}

/// Length of [`Timestamp::rfc3339`] for the years 0000 to 9999.
const RFC3339_LEN: usize = 27;

/// The proleptic Gregorian (year, month, day) of a day counted from 1970-01-01 (H. Hinnant's
/// `civil_from_days`: 400-year eras of 146,097 days, years starting on March 1st).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.rfc3339_bytes() {
            // digits, '-', ':', '.', 'T' and 'Z' only: always UTF-8
            Some(b) => s.serialize_str(std::str::from_utf8(&b).unwrap_or_default()),
            None => s.serialize_str(&self.rfc3339_general()),
        }
    }
}

/// Bytes printed as lowercase hex in JSON.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Hex(pub Vec<u8>);

impl Hex {
    /// Lowercase hex string of the bytes.
    pub fn to_hex(&self) -> String {
        hex_string(&self.0)
    }
}

impl Serialize for Hex {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

/// An 8-byte IKE SPI / IKEv1 cookie, printed as 16 lowercase hex digits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Spi8(pub [u8; 8]);

impl Spi8 {
    /// True for the all-zero SPI (responder SPI not yet chosen).
    pub fn is_zero(&self) -> bool {
        self.0 == [0; 8]
    }
    /// 16 lowercase hex digits.
    pub fn to_hex(&self) -> String {
        hex_string(&self.0)
    }
}

impl Serialize for Spi8 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

/// Lowercase hex of a byte slice.
pub fn hex_string(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 15) as usize] as char);
    }
    out
}

/// What a record is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// An ISAKMP/IKE message.
    Ike,
    /// An ESP packet (IP protocol 50 or UDP-encapsulated).
    Esp,
    /// A one-byte 0xFF NAT-T keepalive (RFC 3948).
    NatKeepalive,
    /// An ICMP/ICMPv6 error quoting an IKE or ESP packet.
    IcmpError,
}

/// One decoded packet (or reassembled IP datagram) of interest.
#[derive(Clone, Debug, Serialize)]
pub struct Record {
    /// Index of the input file in the run (not serialized; the printer adds `"file"`).
    #[serde(skip)]
    pub file_index: usize,
    /// 1-based frame number within its file; for a reassembled datagram the last fragment's frame.
    pub frame: u64,
    /// Capture time of that frame.
    pub time: Timestamp,
    /// Source address of the IP header carrying the UDP/ESP (outer ICMP packet for ICMP errors).
    pub src: IpAddr,
    /// Destination address, likewise.
    pub dst: IpAddr,
    /// UDP source port, `None` for ESP over IP protocol 50 and for ICMP errors.
    pub sport: Option<u16>,
    /// UDP destination port, likewise.
    pub dport: Option<u16>,
    /// What the record is.
    pub kind: Kind,
    /// The frame was cut short by the capture snaplen.
    pub truncated: bool,
    /// Frames of the IP fragments this datagram was reassembled from (absent when not fragmented).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_fragment_frames: Option<Vec<u64>>,
    /// Length of the IP datagram (header included) as it travelled, before fragmentation.
    pub ip_length: u32,
    /// IPv4 TTL / IPv6 hop limit as captured (outer IP header of ICMP errors); 0 when unknown.
    pub ttl: u8,
    /// The IKE message was carried after a 4-byte zero non-ESP marker (UDP 4500).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub non_esp_marker: bool,
    /// IKE details (kind `ike`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ike: Option<Box<IkeInfo>>,
    /// ESP details (kind `esp`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub esp: Option<EspInfo>,
    /// ICMP details (kind `icmp_error`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub icmp: Option<Box<IcmpInfo>>,
    /// Problems found while decoding this packet (malformed fields), each with its byte offset.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<Problem>,
}

/// A decoding problem inside one packet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Byte offset from the start of the IKE message (or of the frame, for link/IP problems).
    pub offset: usize,
    /// What was wrong.
    pub what: String,
}

/// Decoded ISAKMP/IKE message.
#[derive(Clone, Debug, Default, Serialize)]
pub struct IkeInfo {
    /// Major version (1 or 2; other values as found).
    pub version: u8,
    /// Minor version.
    pub minor_version: u8,
    /// Exchange type number.
    pub exchange: ExchangeType,
    /// IANA name of the exchange type.
    pub exchange_name: &'static str,
    /// Raw header flags byte.
    pub flags: u8,
    /// IKEv2: I flag. IKEv1: the packet comes from the side that sent the first message of this
    /// initiator cookie (filled in by the decoder, which sees the whole capture).
    pub initiator: bool,
    /// IKEv2 R flag; false for IKEv1.
    pub response: bool,
    /// IKEv1 E flag; IKEv2: an SK or SKF payload is present.
    pub encrypted: bool,
    /// Initiator SPI / cookie.
    pub spi_i: Spi8,
    /// Responder SPI / cookie.
    pub spi_r: Spi8,
    /// Message ID.
    pub message_id: u32,
    /// Header length field.
    pub length: u32,
    /// Header next-payload field.
    pub next_payload: PayloadType,
    /// Top-level payload types in chain order (SK inner payloads excluded; `[]` for IKEv1 E).
    pub payloads: Vec<PayloadType>,
    /// Next-payload field of the SK/SKF payload (its first inner payload), if any.
    pub sk_inner_first: Option<PayloadType>,
    /// Length of the SK/SKF payload body in bytes (IV + ciphertext + ICV), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sk_length: Option<u32>,
    /// Notify message types of unencrypted N payloads, in order.
    pub notify: Vec<NotifyType>,
    /// Details of those notifies.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notifies: Vec<NotifyInfo>,
    /// Proposals of every top-level SA payload.
    pub proposals: std::sync::Arc<[Proposal]>,
    /// Vendor ID payloads, in order.
    pub vendor_ids: Vec<Hex>,
    /// Names of recognised vendor IDs (same order, `null` where unknown).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub vendor_names: Vec<Option<String>>,
    /// DH group of the first KE payload (IKEv2), else `None`.
    pub ke_group: Option<DhGroup>,
    /// Fragment information: IKEv2 SKF or IKEv1 fragment payload.
    pub fragment: Option<FragmentInfo>,
    /// Identification payloads in clear.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ids: Vec<IdInfo>,
    /// Delete payloads in clear.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub deletes: Vec<DeleteInfo>,
    /// NAT-D payloads (IKEv1) hash values.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub nat_d: Vec<Hex>,
    /// Auth method from an AUTH payload (IKEv2), if any in clear.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_method: Option<u8>,
    /// EAP messages of IKEv2 EAP payloads (only ever inside SK: see [`InnerInfo::eap`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub eap: Vec<EapInfo>,
    /// A 64-bit digest of the whole IKE message (header onwards), for retransmission detection.
    #[serde(skip)]
    pub digest: u64,
    /// The encrypted body decrypted with a key table (absent without keys).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decrypted: Option<Box<InnerInfo>>,
    /// Outcome of a decryption attempt; absent when no key matched or the message is not
    /// encrypted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decryption: Option<IkeDecryption>,
}

impl IkeInfo {
    /// The IKE version the header's major version names, `None` when it is neither 1 nor 2.
    pub fn ike_version(&self) -> Option<IkeVersion> {
        IkeVersion::of_major(self.version)
    }

    /// Drop the payload details (proposals, notify data, vendor IDs, IDs, Deletes, NAT-D,
    /// decrypted contents) of a message whose identical first copy is kept; header fields,
    /// payload and notify type lists, fragment info and the decryption status stay.
    pub fn slim(&mut self) {
        self.proposals = std::sync::Arc::default();
        self.notifies = Vec::new();
        self.vendor_ids = Vec::new();
        self.vendor_names = Vec::new();
        self.ids = Vec::new();
        self.deletes = Vec::new();
        self.nat_d = Vec::new();
        self.decrypted = None;
    }
}

/// Contents of a decrypted SK/SKF (IKEv2) or E-flag (IKEv1) body. Same meanings as the
/// top-level keys of [`IkeInfo`].
#[derive(Clone, Debug, Default, Serialize)]
pub struct InnerInfo {
    /// Inner payload types in chain order.
    pub payloads: Vec<PayloadType>,
    /// Notify message types, in order.
    pub notify: Vec<NotifyType>,
    /// Notify details.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notifies: Vec<NotifyInfo>,
    /// Proposals of inner SA payloads.
    pub proposals: std::sync::Arc<[Proposal]>,
    /// Vendor IDs.
    pub vendor_ids: Vec<Hex>,
    /// DH group of the first inner KE payload.
    pub ke_group: Option<DhGroup>,
    /// Identification payloads.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ids: Vec<IdInfo>,
    /// Delete payloads.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub deletes: Vec<DeleteInfo>,
    /// Traffic selectors (TSi then TSr), readable.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub traffic_selectors: Vec<TrafficSelector>,
    /// Auth method of an inner AUTH payload.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_method: Option<u8>,
    /// EAP messages of inner EAP payloads (IKEv2 EAP authentication rounds).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub eap: Vec<EapInfo>,
}

/// An EAP message (RFC 3748) carried in an IKEv2 EAP payload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EapInfo {
    /// Code: 1 Request, 2 Response, 3 Success, 4 Failure.
    pub code: u8,
    /// Method type of a Request or Response (1 Identity, 4 MD5-Challenge, 26 MSCHAPv2, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<u8>,
    /// The user name of an EAP-Identity Response.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
}

impl EapInfo {
    /// EAP Failure: the authenticator refused the peer.
    pub fn is_failure(&self) -> bool {
        self.code == 4
    }
}

/// One traffic selector.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TrafficSelector {
    /// TSi (44) or TSr (45) (IKEv1 Quick Mode: ID (5) for the IDci/IDcr payloads).
    pub payload: PayloadType,
    /// First address of the range.
    pub start: IpAddr,
    /// Last address of the range.
    pub end: IpAddr,
    /// IP protocol (0 = any).
    pub protocol: u8,
    /// First port.
    pub start_port: u16,
    /// Last port.
    pub end_port: u16,
}

/// A Notify payload.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct NotifyInfo {
    /// Notify message type.
    #[serde(rename = "type")]
    pub kind: NotifyType,
    /// IANA name (`None` when unknown).
    pub name: Option<&'static str>,
    /// Protocol ID field (0 when the notify is not about an SA).
    pub protocol: ProtocolId,
    /// SPI field (may be empty).
    pub spi: Hex,
    /// Notification data (truncated to 64 bytes).
    pub data: Hex,
}

/// One proposal of an SA payload.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct Proposal {
    /// Proposal number.
    pub number: u8,
    /// Protocol ID (IKE/ISAKMP, AH, ESP, IPCOMP).
    pub protocol: ProtocolId,
    /// SPI, lowercase hex, empty when the SPI size is 0.
    pub spi: Hex,
    /// Transforms in order.
    pub transforms: Vec<Transform>,
    /// strongSwan-style summary, e.g. `aes256-sha256-modp2048` (one per transform for IKEv1).
    pub summary: Vec<String>,
}

/// One transform of a proposal.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct Transform {
    /// IKEv2 transform type; IKEv1 transform number.
    #[serde(rename = "type")]
    pub kind: u16,
    /// Transform ID.
    pub id: u16,
    /// Key length attribute, if present.
    pub key_length: Option<u16>,
    /// All attributes in order.
    pub attributes: Vec<Attribute>,
}

/// A data attribute (TV or TLV).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Attribute {
    /// Attribute type with the AF bit cleared.
    #[serde(rename = "type")]
    pub kind: u16,
    /// `tv` (basic, 2-byte value) or `tlv` (variable).
    pub format: &'static str,
    /// Number for TV, lowercase hex for TLV.
    pub value: AttrValue,
}

/// Value of an attribute.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(untagged)]
pub enum AttrValue {
    /// TV value.
    Number(u64),
    /// TLV value.
    Bytes(Hex),
}

impl AttrValue {
    /// Numeric value: the TV number, or a TLV of up to 8 bytes read big-endian.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            AttrValue::Number(n) => Some(*n),
            AttrValue::Bytes(h) if !h.0.is_empty() && h.0.len() <= 8 => {
                Some(h.0.iter().fold(0u64, |a, b| (a << 8) | *b as u64))
            }
            AttrValue::Bytes(_) => None,
        }
    }
}

/// IKEv2 SKF or IKEv1 fragment payload information.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FragmentInfo {
    /// Fragment number (1-based) / IKEv1 sequence number.
    pub number: u16,
    /// Total fragments (IKEv2); `None` for IKEv1.
    pub total: Option<u16>,
    /// IKEv1: last-fragment flag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last: Option<bool>,
    /// IKEv1: fragment ID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<u16>,
}

/// An identification payload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IdInfo {
    /// Payload type (IKEv1 ID, IKEv2 IDi or IDr).
    pub payload: PayloadType,
    /// ID type.
    pub id_type: u8,
    /// Readable value (address, FQDN, ...) or hex.
    pub value: String,
}

/// A Delete payload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DeleteInfo {
    /// Protocol ID: whose SAs are deleted (IKE/ISAKMP, AH, ESP).
    pub protocol: ProtocolId,
    /// SPIs deleted (hex).
    pub spis: Vec<Hex>,
}

/// What became of an encrypted IKE message a key matched. Written (JSON and text) as `ok`,
/// `ok (fragment n/m)`, `ok (reassembled from k fragments)`, `integrity_failed`, `wrong_key`,
/// `not_ready: ...`, `malformed: ...`, `unsupported: ...`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IkeDecryption {
    /// Decrypted (and, IKEv2, its ICV verified).
    Ok,
    /// One IKEv2 fragment (RFC 7383) decrypted; the message is not whole yet.
    Fragment {
        /// Fragment number, from 1.
        number: u16,
        /// Fragments the message was cut into.
        total: u16,
    },
    /// This fragment completed its message, decoded whole from this many fragments.
    Reassembled {
        /// Fragments it was put together from.
        fragments: u16,
    },
    /// IKEv2: the ICV did not verify, the key is not this SA's.
    IntegrityFailed,
    /// IKEv1 (no ICV): the decrypted payload chain makes no sense, the key is not this SA's.
    WrongKey,
    /// IKEv1: the key is known but the IV needs messages not seen yet (why).
    NotReady(String),
    /// The SA's algorithm is not supported (which).
    Unsupported(String),
    /// Too short or otherwise malformed for its SA (why).
    Malformed(String),
}

impl IkeDecryption {
    /// The message (or this fragment) was opened.
    pub fn is_ok(&self) -> bool {
        matches!(
            self,
            IkeDecryption::Ok | IkeDecryption::Fragment { .. } | IkeDecryption::Reassembled { .. }
        )
    }

    /// A key matched the SPIs but opened nothing: it is the wrong key.
    pub fn is_wrong_key(&self) -> bool {
        matches!(self, IkeDecryption::IntegrityFailed | IkeDecryption::WrongKey)
    }
}

impl std::fmt::Display for IkeDecryption {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IkeDecryption::Ok => f.write_str("ok"),
            IkeDecryption::Fragment { number, total } => write!(f, "ok (fragment {number}/{total})"),
            IkeDecryption::Reassembled { fragments } => {
                write!(f, "ok (reassembled from {fragments} fragments)")
            }
            IkeDecryption::IntegrityFailed => f.write_str("integrity_failed"),
            IkeDecryption::WrongKey => f.write_str("wrong_key"),
            IkeDecryption::NotReady(why) => write!(f, "not_ready: {why}"),
            IkeDecryption::Unsupported(what) => write!(f, "unsupported: {what}"),
            IkeDecryption::Malformed(why) => write!(f, "malformed: {why}"),
        }
    }
}

impl Serialize for IkeDecryption {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// What became of an ESP packet an `esp_sa` entry matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EspDecryption {
    /// Decrypted, ICV verified where the SA has one.
    Ok,
    /// The ICV did not verify: the key is not this SA's.
    IntegrityFailed,
    /// No ICV to check and the trailer makes no sense: the key is not this SA's.
    WrongKey,
    /// The SA's algorithm is not supported.
    Unsupported,
    /// Too short for the SA's IV and ICV.
    Malformed,
}

impl EspDecryption {
    /// The JSON spelling (`integrity_failed`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            EspDecryption::Ok => "ok",
            EspDecryption::IntegrityFailed => "integrity_failed",
            EspDecryption::WrongKey => "wrong_key",
            EspDecryption::Unsupported => "unsupported",
            EspDecryption::Malformed => "malformed",
        }
    }
}

/// ESP header fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct EspInfo {
    /// SPI (written as 8 hex digits).
    #[serde(serialize_with = "ser_spi32")]
    pub spi: u32,
    /// Sequence number.
    pub seq: u32,
    /// Carried in UDP (RFC 3948).
    pub udp_encap: bool,
    /// Bytes of ESP (header, payload and trailer).
    pub length: u32,
    /// The payload decrypted with an `esp_sa` entry (absent without a matching key).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decrypted: Option<EspDecrypted>,
    /// What the matching `esp_sa` entry did: `ok`, `integrity_failed`, `wrong_key`,
    /// `unsupported`, `malformed`; absent when no entry matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decryption: Option<EspDecryption>,
}

/// A decrypted ESP packet: the trailer's next header and the inner packet's flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct EspDecrypted {
    /// Next header (4 IPv4, 41 IPv6 in tunnel mode; 6/17/... in transport mode).
    pub next_header: u8,
    /// Pad length.
    pub pad_len: u8,
    /// Inner flow, when the payload is an IP packet.
    pub inner: Option<InnerFlowInfo>,
    /// The ICV verified over an Extended Sequence Number (RFC 4303 section 2.2.1): the SA uses
    /// 64-bit sequence numbers whose high half is not on the wire.
    pub esn: bool,
}

/// The flow of a packet carried inside ESP (tunnel mode: the inner IPv4 or IPv6 packet's
/// 5-tuple), as the decryption reads it and the records and tunnels keep it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct InnerFlowInfo {
    /// Inner source address.
    pub src: IpAddr,
    /// Inner destination address.
    pub dst: IpAddr,
    /// Inner protocol (IPv4 protocol / IPv6 fixed header's next header).
    pub proto: u8,
    /// TCP/UDP/SCTP source port; `None` for other protocols and non-first IP fragments.
    pub sport: Option<u16>,
    /// TCP/UDP/SCTP destination port; `None` as for `sport`.
    pub dport: Option<u16>,
}

fn ser_spi32<S: Serializer>(spi: &u32, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format!("{spi:08x}"))
}

/// ICMP error details.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IcmpInfo {
    /// 4 or 6.
    pub version: u8,
    /// ICMP type.
    #[serde(rename = "type")]
    pub icmp_type: u8,
    /// ICMP code.
    pub code: u8,
    /// Next-hop MTU (ICMPv4 frag-needed) or MTU (ICMPv6 packet too big), when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mtu: Option<u32>,
    /// The packet quoted inside the error.
    pub quoted: QuotedFlow,
}

/// The flow of a packet quoted in an ICMP error.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct QuotedFlow {
    /// Quoted source address.
    pub src: IpAddr,
    /// Quoted destination address.
    pub dst: IpAddr,
    /// Quoted UDP source port, if UDP.
    pub sport: Option<u16>,
    /// Quoted UDP destination port, if UDP.
    pub dport: Option<u16>,
    /// Quoted IP protocol (17 UDP, 50 ESP).
    pub proto: u8,
    /// Quoted ESP SPI, when the quoted packet is ESP (raw or in UDP).
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "ser_opt_spi32")]
    pub esp_spi: Option<u32>,
    /// Quoted IKE SPIs (initiator, responder), when the quoted packet is IKE and long enough.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ike_spis: Option<(Spi8, Spi8)>,
}

fn ser_opt_spi32<S: Serializer>(spi: &Option<u32>, s: S) -> Result<S::Ok, S::Error> {
    match spi {
        Some(v) => s.serialize_str(&format!("{v:08x}")),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::{IkeDecryption, Timestamp};

    /// The hand-written RFC 3339 writer says what chrono says, over the whole range of
    /// nanosecond timestamps (years 1677 to 2262): the ends, the epoch, leap days and
    /// century years, the last microsecond of each day, and a sweep of every 997,331th second.
    #[test]
    fn rfc3339_matches_chrono() {
        let day = 86_400_000_000_000i64;
        let mut cases = vec![
            i64::MIN,
            i64::MIN + 1,
            i64::MAX,
            i64::MAX - 999,
            0,
            -1,
            1,
            999,
            1000,
            -1000,
            -1001,
            day - 1,
            -day,
            -day - 1,
        ];
        // 1900-03-01, 2000-02-29, 2000-03-01, 2100-02-28, 2024-02-29, 1972-12-31 (days since 1970)
        for d in [-25_508i64, 11_016, 11_017, 47_540, 19_782, 1_095] {
            cases.extend([d * day, d * day - 1, d * day + day - 1_000, d * day + 123_456_789]);
        }
        let mut t = i64::MIN / 1_000_000_000 + 1;
        while t < i64::MAX / 1_000_000_000 {
            cases.push(t * 1_000_000_000 + (t.rem_euclid(1_000_000_000)));
            t += 997_331;
        }
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..10_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            cases.push(x as i64);
        }
        for ns in cases {
            let ts = Timestamp(ns);
            let general = ts.rfc3339_general();
            assert_eq!(ts.rfc3339(), general, "{ns}");
            assert_eq!(
                serde_json::to_string(&ts).unwrap(),
                format!("\"{general}\""),
                "{ns}"
            );
        }
        assert_eq!(Timestamp(-1).rfc3339(), "1969-12-31T23:59:59.999999Z");
        assert_eq!(
            Timestamp(951_782_400_000_000_000).rfc3339(),
            "2000-02-29T00:00:00.000000Z"
        );
    }

    /// The JSON and text spelling of every decryption outcome (docs/json.md, `decryption`).
    #[test]
    fn ike_decryption_spellings() {
        let cases = [
            (IkeDecryption::Ok, "ok"),
            (
                IkeDecryption::Fragment { number: 2, total: 5 },
                "ok (fragment 2/5)",
            ),
            (
                IkeDecryption::Reassembled { fragments: 5 },
                "ok (reassembled from 5 fragments)",
            ),
            (IkeDecryption::IntegrityFailed, "integrity_failed"),
            (IkeDecryption::WrongKey, "wrong_key"),
            (IkeDecryption::NotReady("no KE".into()), "not_ready: no KE"),
            (
                IkeDecryption::Unsupported("AES-CMAC-96".into()),
                "unsupported: AES-CMAC-96",
            ),
            (
                IkeDecryption::Malformed("bad padding".into()),
                "malformed: bad padding",
            ),
        ];
        for (d, text) in cases {
            assert_eq!(d.to_string(), text);
            assert_eq!(serde_json::to_value(&d).unwrap(), serde_json::Value::from(text));
            assert_eq!(d.is_ok(), text.starts_with("ok"), "{text}");
            assert_eq!(
                d.is_wrong_key(),
                matches!(text, "integrity_failed" | "wrong_key"),
                "{text}"
            );
        }
    }
}
