//! IKE message bytes → [`IkeInfo`] using the `ikescope-parsers` crate.
//!
//! Field semantics follow the tshark truth format (`oracle/tshark_truth.py`): the top-level
//! payload chain in order (`[]` for an IKEv1 message with the E flag), unencrypted notify types,
//! every proposal of every top-level SA payload, vendor IDs, the first IKEv2 KE group, SKF /
//! Cisco fragment information. Malformed input is decoded as far as possible and each fault is
//! reported as a [`Problem`] with its offset from the start of the IKE message.

use super::sa_memo;
use crate::record::{
    AttrValue, Attribute, DeleteInfo, EapInfo, FragmentInfo, Hex, IdInfo, IkeInfo, NotifyInfo, Problem,
    Proposal, Spi8, Transform,
};
use ikescope_parsers::attributes::{AttributeValue, DataAttribute};
use ikescope_parsers::iana::{
    IkeAttribute, IkeVersion, IpsecAttribute, NotifyType, PayloadType, ProtocolId, TransformType,
};
use ikescope_parsers::isakmp::{self, IsakmpHeader, PayloadIter, RawPayload, HEADER_LEN};
use ikescope_parsers::{ikev1, ikev2, summary, vendor, ParseError};
use std::net::{Ipv4Addr, Ipv6Addr};

/// Notification data is kept up to this many bytes.
const NOTIFY_DATA_MAX: usize = 64;

/// Dissect one IKE message (starting at the ISAKMP header). Never panics; returns what could be
/// decoded and the problems found (offsets from the start of the message). `None` when not even
/// the 28-byte header is present.
pub fn dissect_ike(data: &[u8]) -> Option<(IkeInfo, Vec<Problem>)> {
    let (header, after_header) = isakmp::parse_header(data).ok()?;
    let mut problems = Vec::new();
    let mut info = header_info(&header);

    // The body: limited by the length field, or by the captured bytes when fewer.
    let mut truncated = false;
    let body = match isakmp::parse_message(data) {
        Ok(msg) => {
            if msg.is_truncated() {
                // Only a plausible length (fits a UDP datagram) means "cut by the capture";
                // a huge one is a corrupt header and its payloads are not worth guessing at.
                truncated = header.length <= 65_535;
                problems.push(Problem {
                    offset: data.len(),
                    what: format!(
                        "message truncated: {} of {} bytes present",
                        data.len(),
                        header.length
                    ),
                });
            }
            msg.body
        }
        Err(e) => {
            problems.push(Problem {
                offset: 24,
                what: e.to_string(),
            });
            after_header
        }
    };
    let digest_len = usize::try_from(header.length)
        .ok()
        .filter(|&l| l >= HEADER_LEN)
        .map_or(data.len(), |l| l.min(data.len()));
    info.digest = digest64(data.get(..digest_len).unwrap_or(data));

    if IkeVersion::of_major(header.major_version) == Some(IkeVersion::V1) && header.v1_encrypted() {
        // Body is ciphertext: nothing to walk.
        return Some((info, problems));
    }

    let mut d = Dissector {
        info: &mut info,
        problems: &mut problems,
        version: IkeVersion::from_major(header.major_version),
        proposals: Vec::new(),
        sa_payloads: 0,
        memo: Memo::None,
    };
    let mut chain = PayloadIter::new(header.next_payload, body, HEADER_LEN, header.major_version);
    while let Some(item) = chain.next() {
        match item {
            Ok(p) => d.payload(&p),
            Err(e) => {
                d.problem(e);
                // A capture cut short: keep the payload whose header is present and decode what
                // of its body there is (e.g. the SK/SKF header of a snaplen-truncated message).
                if truncated && matches!(e, ParseError::Overrun { .. }) {
                    if let Some(p) = chain.partial() {
                        d.payload(&p);
                    }
                }
            }
        }
    }
    info.proposals = d.finish();
    Some((info, problems))
}

/// Dissect a payload chain that is not preceded by an ISAKMP header: the decrypted body of an
/// IKEv2 SK/SKF payload or of an IKEv1 E-flag message, starting with payload `first_payload`.
/// Offsets in the problems are from the start of `body`.
pub fn dissect_chain(version: u8, first_payload: PayloadType, body: &[u8]) -> (IkeInfo, Vec<Problem>) {
    let mut info = IkeInfo {
        version,
        ..IkeInfo::default()
    };
    let mut problems = Vec::new();
    let mut d = Dissector {
        info: &mut info,
        problems: &mut problems,
        version: IkeVersion::from_major(version),
        proposals: Vec::new(),
        sa_payloads: 0,
        memo: Memo::None,
    };
    for item in PayloadIter::new(first_payload, body, 0, version) {
        match item {
            Ok(p) => d.payload(&p),
            Err(e) => d.problem(e),
        }
    }
    info.proposals = d.finish();
    (info, problems)
}

/// The IKEv1 key length attribute (`kind`: phase 1 and the IPsec DOI number it differently).
fn key_length(attributes: &[Attribute], kind: u16) -> Option<u16> {
    attributes
        .iter()
        .find(|a| a.kind == kind)
        .and_then(|a| a.value.as_u64())
        .and_then(|v| u16::try_from(v).ok())
}

fn header_info(h: &IsakmpHeader) -> IkeInfo {
    let v2 = h.is_ikev2();
    IkeInfo {
        version: h.major_version,
        minor_version: h.minor_version,
        exchange: h.exchange_type,
        exchange_name: h.exchange_type.name().unwrap_or("unknown"),
        flags: h.flags,
        initiator: v2 && h.v2_initiator(),
        response: v2 && h.v2_response(),
        encrypted: IkeVersion::of_major(h.major_version) == Some(IkeVersion::V1) && h.v1_encrypted(),
        spi_i: Spi8(h.spi_i),
        spi_r: Spi8(h.spi_r),
        message_id: h.message_id,
        length: h.length,
        next_payload: h.next_payload,
        ..IkeInfo::default()
    }
}

/// 64-bit digest of a message for retransmission detection, eight bytes per step (a bytewise
/// FNV-1a was a tenth of the time of an IKE_SA_INIT flood). Not collision resistant, like the
/// FNV it replaces: two messages with the same digest count as copies.
pub(super) fn digest64(bytes: &[u8]) -> u64 {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut h = 0xcbf2_9ce4_8422_2325u64 ^ (bytes.len() as u64).wrapping_mul(K);
    let mut words = bytes.chunks_exact(8);
    for w in &mut words {
        let mut b = [0u8; 8];
        b.copy_from_slice(w);
        h = (h ^ u64::from_le_bytes(b)).wrapping_mul(K).rotate_left(29);
    }
    let mut tail = [0u8; 8];
    tail[..words.remainder().len()].copy_from_slice(words.remainder());
    h = (h ^ u64::from_le_bytes(tail)).wrapping_mul(K);
    h ^ (h >> 32)
}

struct Dissector<'i> {
    info: &'i mut IkeInfo,
    problems: &'i mut Vec<Problem>,
    /// The registry the payload, notify and ID numbers are read with.
    version: IkeVersion,
    /// Proposals of the SA payloads, moved into `info` when the chain is done.
    proposals: Vec<Proposal>,
    /// SA payloads seen.
    sa_payloads: u8,
    /// The message's one IKEv2 SA payload and the memo of recent ones ([`super::sa_memo`]).
    memo: Memo,
}

/// What [`super::sa_memo`] said of the (first) IKEv2 SA payload.
enum Memo {
    /// No SA payload yet, several, or IKEv1.
    None,
    /// Decoded lately: these proposals.
    Hit(std::sync::Arc<[Proposal]>),
    /// Decoded here; remembered when the decoding found no problem (`clean`).
    Miss(sa_memo::SaKey, bool),
}

impl Dissector<'_> {
    /// The proposals of the SA payloads (shared with the memo when it knew them, remembered
    /// there when the message's one SA payload decoded cleanly).
    fn finish(&mut self) -> std::sync::Arc<[Proposal]> {
        match std::mem::replace(&mut self.memo, Memo::None) {
            Memo::Hit(p) => p,
            Memo::Miss(key, true) if self.sa_payloads == 1 => {
                let p: std::sync::Arc<[Proposal]> = std::mem::take(&mut self.proposals).into();
                sa_memo::put(key, &p);
                p
            }
            _ => std::mem::take(&mut self.proposals).into(),
        }
    }

    fn problem(&mut self, e: ParseError) {
        self.problems.push(Problem {
            offset: e.offset(),
            what: e.to_string(),
        });
    }

    fn payload(&mut self, p: &RawPayload<'_>) {
        self.info.payloads.push(p.payload_type);
        let r = if self.version == IkeVersion::V2 {
            self.payload_v2(p)
        } else {
            self.payload_v1(p)
        };
        if let Err(e) = r {
            self.problem(e);
        }
    }

    fn payload_v1(&mut self, p: &RawPayload<'_>) -> Result<(), ParseError> {
        use ikev1::Payload as P;
        match ikev1::parse_payload(p)? {
            P::Sa(sa) => {
                for prop in sa.proposals() {
                    match prop {
                        Ok(prop) => self.proposal_v1(&prop),
                        Err(e) => self.problem(e),
                    }
                }
            }
            P::Identification(id) => self.info.ids.push(IdInfo {
                payload: p.payload_type,
                id_type: id.id_type,
                value: id_value(IkeVersion::V1, id.id_type, id.data),
            }),
            P::Notification(n) => self.notify(n.notify_type, n.protocol_id, n.spi, n.data),
            P::Delete(d) => self.info.deletes.push(DeleteInfo {
                protocol: d.protocol_id,
                spis: d.spis().map(|s| Hex(s.to_vec())).collect(),
            }),
            P::VendorId(v) => self.vendor(v),
            P::NatD(h) => self.info.nat_d.push(Hex(h.to_vec())),
            P::Fragment(f) => {
                self.info.fragment.get_or_insert(FragmentInfo {
                    number: u16::from(f.number),
                    total: None,
                    last: Some(f.last),
                    id: Some(f.id),
                });
            }
            _ => {}
        }
        Ok(())
    }

    fn payload_v2(&mut self, p: &RawPayload<'_>) -> Result<(), ParseError> {
        use ikev2::Payload as P;
        match ikev2::parse_payload(p)? {
            P::Sa(sa) => {
                self.sa_payloads = self.sa_payloads.saturating_add(1);
                let key = sa_memo::SaKey::of(p.body);
                if self.sa_payloads == 1 {
                    if let Some(known) = sa_memo::get(key) {
                        self.memo = Memo::Hit(known);
                        return Ok(());
                    }
                } else if let Memo::Hit(known) = std::mem::replace(&mut self.memo, Memo::None) {
                    // a second SA payload: the first one's proposals come first
                    self.proposals.extend(known.iter().cloned());
                }
                let problems_before = self.problems.len();
                for prop in sa.proposals() {
                    match prop {
                        Ok(prop) => self.proposal_v2(&prop),
                        Err(e) => self.problem(e),
                    }
                }
                if self.sa_payloads == 1 {
                    self.memo = Memo::Miss(key, self.problems.len() == problems_before);
                }
            }
            P::KeyExchange(ke) => {
                self.info.ke_group.get_or_insert(ke.group);
            }
            P::IdInitiator(id) | P::IdResponder(id) => self.info.ids.push(IdInfo {
                payload: p.payload_type,
                id_type: id.id_type,
                value: id_value(IkeVersion::V2, id.id_type, id.data),
            }),
            P::Auth(a) => {
                self.info.auth_method.get_or_insert(a.method);
            }
            P::Eap(e) => {
                // EAP-Identity Response (code 2, type 1): the user name being authenticated.
                let identity = (e.code == 2 && e.eap_type == Some(1)).then(|| readable(e.data));
                self.info.eap.push(EapInfo {
                    code: e.code,
                    method: e.eap_type,
                    identity,
                });
            }
            P::Notify(n) => self.notify(n.notify_type, n.protocol_id, n.spi, n.data),
            P::Delete(d) => self.info.deletes.push(DeleteInfo {
                protocol: d.protocol_id,
                spis: d.spis().map(|s| Hex(s.to_vec())).collect(),
            }),
            P::VendorId(v) => self.vendor(v),
            P::Encrypted(sk) => {
                self.info.encrypted = true;
                self.info.sk_inner_first = Some(sk.inner_first);
                self.info.sk_length = u32::try_from(sk.data.len()).ok();
            }
            P::EncryptedFragment(f) => {
                self.info.encrypted = true;
                self.info.sk_inner_first = Some(f.inner_first);
                self.info.sk_length = u32::try_from(f.data.len()).ok();
                self.info.fragment = Some(FragmentInfo {
                    number: f.number,
                    total: Some(f.total),
                    last: None,
                    id: None,
                });
            }
            _ => {}
        }
        Ok(())
    }

    fn notify(&mut self, kind: NotifyType, protocol: ProtocolId, spi: &[u8], data: &[u8]) {
        self.info.notify.push(kind);
        self.info.notifies.push(NotifyInfo {
            kind,
            name: kind.name(self.version),
            protocol,
            spi: Hex(spi.to_vec()),
            data: Hex(data.get(..NOTIFY_DATA_MAX).unwrap_or(data).to_vec()),
        });
    }

    fn vendor(&mut self, v: &[u8]) {
        self.info.vendor_ids.push(Hex(v.to_vec()));
        self.info.vendor_names.push(vendor::vendor_name(v));
    }

    fn attributes<'a>(
        &mut self,
        it: impl Iterator<Item = Result<DataAttribute<'a>, ParseError>>,
    ) -> Vec<Attribute> {
        let mut out = Vec::new();
        for a in it {
            match a {
                Ok(a) => out.push(Attribute {
                    kind: a.attr_type,
                    format: if a.is_tv() { "tv" } else { "tlv" },
                    value: match a.value {
                        AttributeValue::Basic(v) => AttrValue::Number(u64::from(v)),
                        AttributeValue::Variable(b) => AttrValue::Bytes(Hex(b.to_vec())),
                    },
                }),
                Err(e) => {
                    self.problem(e);
                    break;
                }
            }
        }
        out
    }

    fn proposal_v1(&mut self, prop: &ikev1::Proposal<'_>) {
        let kl_attr = if prop.protocol_id == ProtocolId::IKE {
            IkeAttribute::KEY_LENGTH.0
        } else {
            IpsecAttribute::KEY_LENGTH.0
        };
        let mut out = Proposal {
            number: prop.number,
            protocol: prop.protocol_id,
            spi: Hex(prop.spi.to_vec()),
            ..Proposal::default()
        };
        for t in prop.transforms() {
            let t = match t {
                Ok(t) => t,
                Err(e) => {
                    self.problem(e);
                    break;
                }
            };
            let attributes = self.attributes(t.attributes());
            let key_length = key_length(&attributes, kl_attr);
            out.summary.push(summary::summary_v1(
                prop.protocol_id,
                t.transform_id,
                attributes
                    .iter()
                    .filter_map(|a| a.value.as_u64().map(|v| (a.kind, v))),
            ));
            out.transforms.push(Transform {
                kind: u16::from(t.number),
                id: u16::from(t.transform_id),
                key_length,
                attributes,
            });
        }
        self.proposals.push(out);
    }

    fn proposal_v2(&mut self, prop: &ikev2::Proposal<'_>) {
        let mut out = Proposal {
            number: prop.number,
            protocol: prop.protocol_id,
            spi: Hex(prop.spi.to_vec()),
            ..Proposal::default()
        };
        for t in prop.transforms() {
            let t = match t {
                Ok(t) => t,
                Err(e) => {
                    self.problem(e);
                    break;
                }
            };
            let attributes = self.attributes(t.attributes());
            let key_length = t.key_length();
            out.transforms.push(Transform {
                kind: u16::from(t.transform_type.0),
                id: t.transform_id,
                key_length,
                attributes,
            });
        }
        out.summary.push(summary::summary_v2(
            prop.protocol_id,
            out.transforms.iter().map(|t| {
                (
                    TransformType(u8::try_from(t.kind).unwrap_or(u8::MAX)),
                    t.id,
                    t.key_length,
                )
            }),
        ));
        self.proposals.push(out);
    }
}

/// The bytes as text when they are UTF-8 without control characters.
fn printable(b: &[u8]) -> Option<String> {
    std::str::from_utf8(b)
        .ok()
        .filter(|s| s.chars().all(|c| !c.is_control()))
        .map(str::to_owned)
}

/// Text as it is ([`printable`]); anything else as hex.
fn readable(data: &[u8]) -> String {
    printable(data).unwrap_or_else(|| Hex(data.to_vec()).to_hex())
}

/// Readable identification value: addresses, names, subnets and ranges; hex otherwise.
fn id_value(version: IkeVersion, id_type: u8, data: &[u8]) -> String {
    let v4 = |b: &[u8]| <[u8; 4]>::try_from(b).ok().map(Ipv4Addr::from);
    let v6 = |b: &[u8]| <[u8; 16]>::try_from(b).ok().map(Ipv6Addr::from);
    let text = printable;
    let pair = |n: usize, sep: char| -> Option<String> {
        if data.len() != 2 * n {
            return None;
        }
        let (a, b) = data.split_at(n);
        if n == 4 {
            Some(format!("{}{sep}{}", v4(a)?, v4(b)?))
        } else {
            Some(format!("{}{sep}{}", v6(a)?, v6(b)?))
        }
    };
    let r = match (version, id_type) {
        (_, 1) => v4(data).map(|a| a.to_string()),
        (_, 5) => v6(data).map(|a| a.to_string()),
        (_, 2 | 3) => text(data),
        (IkeVersion::V1, 4) => pair(4, '/'),
        (IkeVersion::V1, 6) => pair(16, '/'),
        (IkeVersion::V1, 7) => pair(4, '-'),
        (IkeVersion::V1, 8) => pair(16, '-'),
        (_, 11) => text(data).filter(|s| !s.is_empty()),
        _ => None,
    };
    r.unwrap_or_else(|| crate::record::hex_string(data))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::unhex;
    use ikescope_parsers::iana::{DhGroup, ExchangeType};

    /// captures/ikev1_main_ok.pcap frame 1.
    const MM1: &str = "02199ca29b5e411d00000000000000000110020000000000000000b40d00003800000001000000010000002c01010001000000240101000080010007800e0080800200028004000e80030001800b0001800c3a980d00000c09002689dfd6b7120d000014afcad71368a1f1c96b8696fc775701000d0000184048b7d56ebce88525e7de7f00d6c2d3800000000d0000144a131c81070358455c5728f20e95452f0000001490cb80913ebb696e086381b5ec427b1f";

    /// captures/ikev2_ok.pcap frame 1 (IKE_SA_INIT request).
    const SA_INIT: &str = "73918f748f46938800000000000000002120220800000000000001d0220000300000002c010100040300000c0100000c800e0080030000080300000c0300000802000005000000080400000e28000108000e000021cb19870f9279a97bce35c271a03225e910e019ed09de4789ceefe993a54045df44dc7babcf1f70e54b70fb53eee214ebc72fc1415fd9cc703b1737e216094e37130f1337508f90301610eab1a2f1d0aa6611e66114d7e2cb67a9234c8aac2eb271c8d81c61482513f3909b734c50d57b6570ab1ff16365f3fbbc509c8947ed19d907e030c5e745017de09f4bd2afbb541fa1a4217ae342d9db64523634bfe38a5553034dcafd0fcf1b1401dc8ff085a7e28f26c1154079962f64b92bb4c30f23b23eed331f0c42cb5116f9a1703e72298927b2825fb495566d65b885a061791b6e2743d78e63f457ca9499cac439be65a3f4a9069cfa79a43ea293bec3ef4629000024fbb0802588a1cfb8c548084b7595cb0283f35074d1bb892b0dd0322a029d71dc2900001c0000400466009c90a296c102a5e881e135596ffd024083a12900001c000040059e71af6e69e8af7cf8436a998b9eb1454591b70f290000080000402e290000100000402f00020003000400050000000800004016";

    #[test]
    fn ikev1_main_mode_1() {
        let (i, p) = dissect_ike(&unhex(MM1)).unwrap();
        assert!(p.is_empty(), "{p:?}");
        assert_eq!((i.version, i.exchange, i.flags), (1, ExchangeType::MAIN_MODE, 0));
        assert_eq!(i.exchange_name, "Identity Protection (Main Mode)");
        assert_eq!(i.spi_i.to_hex(), "02199ca29b5e411d");
        assert!(i.spi_r.is_zero());
        assert_eq!(i.length, 180);
        assert_eq!(i.payloads, [1, 13, 13, 13, 13, 13].map(PayloadType));
        assert_eq!(i.proposals.len(), 1);
        let t = &i.proposals[0].transforms[0];
        assert_eq!((t.kind, t.id, t.key_length), (1, 1, Some(128)));
        assert_eq!(t.attributes.len(), 7);
        assert_eq!(t.attributes[6].value, AttrValue::Number(15000));
        assert_eq!(i.proposals[0].summary, ["aes128-sha1-modp2048"]);
        assert_eq!(i.vendor_ids.len(), 5);
        assert_eq!(i.vendor_ids[1].to_hex(), "afcad71368a1f1c96b8696fc77570100");
        assert_eq!(i.vendor_names[1].as_deref(), Some("RFC 3706 DPD"));
        assert_eq!(i.ke_group, None);
        assert!(!i.encrypted && !i.initiator && !i.response);
    }

    #[test]
    fn ikev2_sa_init() {
        let (i, p) = dissect_ike(&unhex(SA_INIT)).unwrap();
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(
            (i.version, i.exchange, i.flags),
            (2, ExchangeType::IKE_SA_INIT, 8)
        );
        assert!(i.initiator && !i.response && !i.encrypted);
        assert_eq!(i.payloads, [33, 34, 40, 41, 41, 41, 41, 41].map(PayloadType));
        assert_eq!(i.notify, [16388, 16389, 16430, 16431, 16406].map(NotifyType));
        assert_eq!(i.notifies[2].name, Some("IKEV2_FRAGMENTATION_SUPPORTED"));
        assert_eq!(i.ke_group, Some(DhGroup(14)));
        let kinds: Vec<_> = i.proposals[0]
            .transforms
            .iter()
            .map(|t| (t.kind, t.id, t.key_length))
            .collect();
        assert_eq!(
            kinds,
            [(1, 12, Some(128)), (3, 12, None), (2, 5, None), (4, 14, None)]
        );
        assert_eq!(i.proposals[0].summary, ["aes128-sha256-modp2048"]);
        assert_eq!(i.sk_inner_first, None);
    }

    #[test]
    fn ikev2_skf_fragment() {
        // ikev2_fragmentation_ok.pcap frame 3 header + SKF header, body cut short
        let m = unhex("f90b29908d9d3a420dd5f69f6d0ddc683520230800000001000004d4230004b800010003dfa65341");
        let (i, p) = dissect_ike(&m).unwrap();
        assert_eq!(i.payloads, [53].map(PayloadType));
        assert!(i.encrypted);
        // the SKF payload overruns the cut buffer: decoded as far as possible
        assert!(!p.is_empty());
        assert_eq!(i.length, 0x4d4);
    }

    #[test]
    fn ikev2_skf_complete() {
        let mut m = unhex("f90b29908d9d3a420dd5f69f6d0ddc683520230800000001000000280000000c00020003aabbccdd");
        m.truncate(40);
        let (i, p) = dissect_ike(&m).unwrap();
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(i.payloads, [53].map(PayloadType));
        assert_eq!(i.sk_inner_first, Some(PayloadType(0)));
        assert_eq!(i.sk_length, Some(4));
        assert_eq!(
            i.fragment,
            Some(FragmentInfo {
                number: 2,
                total: Some(3),
                last: None,
                id: None
            })
        );
    }

    #[test]
    fn truncated_and_garbage() {
        let full = unhex(SA_INIT);
        let (i, p) = dissect_ike(&full[..100]).unwrap();
        // the KE payload is cut by the capture: kept, with its group, plus a problem
        assert_eq!(i.payloads, [33, 34].map(PayloadType));
        assert_eq!(i.ke_group, Some(DhGroup(14)));
        assert!(p.iter().any(|p| p.what.contains("truncated")));
        assert!(dissect_ike(&full[..27]).is_none());
        let mut bad = full.clone();
        bad[24..28].copy_from_slice(&[0, 0, 0, 5]);
        let (_, p) = dissect_ike(&bad).unwrap();
        assert!(!p.is_empty());
        // zero-length payload: stops with a problem instead of looping
        let mut z = full[..40].to_vec();
        z[24..28].copy_from_slice(&40u32.to_be_bytes());
        z[30] = 0;
        z[31] = 0;
        let (i, p) = dissect_ike(&z).unwrap();
        assert!(i.payloads.is_empty());
        assert_eq!(p[0].offset, 28);
    }

    #[test]
    fn digest_sees_every_byte() {
        let m = unhex(MM1);
        let d = digest64(&m);
        for i in 0..m.len() {
            let mut x = m.clone();
            x[i] ^= 1;
            assert_ne!(digest64(&x), d, "byte {i}");
        }
        assert_ne!(digest64(&m[..m.len() - 1]), d);
    }

    #[test]
    fn ikev1_encrypted_is_opaque() {
        let mut m = unhex(MM1);
        m[19] = 1;
        let (i, p) = dissect_ike(&m).unwrap();
        assert!(p.is_empty());
        assert!(i.encrypted);
        assert!(i.payloads.is_empty());
        assert_ne!(i.digest, 0);
        let (j, _) = dissect_ike(&m).unwrap();
        assert_eq!(i.digest, j.digest);
    }

    #[test]
    fn id_values() {
        assert_eq!(id_value(IkeVersion::V1, 1, &[192, 0, 2, 1]), "192.0.2.1");
        assert_eq!(id_value(IkeVersion::V2, 2, b"vpn.example"), "vpn.example");
        assert_eq!(
            id_value(IkeVersion::V1, 4, &[10, 1, 0, 0, 255, 255, 255, 0]),
            "10.1.0.0/255.255.255.0"
        );
        assert_eq!(id_value(IkeVersion::V2, 9, &[0x30, 0x00]), "3000");
    }
}
