//! IKEv2 payload bodies (RFC 7296 §3, RFC 7383 SKF).
//!
//! All parsers take the payload *body* (after the 4-byte generic header) and the message offset
//! of that body. Chains are exposed as iterators.

use crate::attributes::AttributeIter;
use crate::chain::{SpiIter, SubIter};
use crate::cursor::Cursor;
use crate::error::ParseError;
use crate::iana::{DhGroup, NotifyType, PayloadType, ProtocolId, TransformType};
use crate::isakmp::RawPayload;

/// Security Association payload: a chain of proposals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SaPayload<'a> {
    data: &'a [u8],
    offset: usize,
}

impl<'a> SaPayload<'a> {
    /// The proposals.
    pub fn proposals(&self) -> ProposalIter<'a> {
        ProposalIter(SubIter::new(self.data, self.offset, 8))
    }
}

/// Parse an SA payload body (never fails; errors surface while iterating).
pub fn parse_sa(body: &[u8], offset: usize) -> SaPayload<'_> {
    SaPayload { data: body, offset }
}

/// Iterator over proposals.
#[derive(Debug, Clone)]
pub struct ProposalIter<'a>(SubIter<'a>);

impl<'a> Iterator for ProposalIter<'a> {
    type Item = Result<Proposal<'a>, ParseError>;
    fn next(&mut self) -> Option<Self::Item> {
        Some(self.0.next()?.and_then(|(last, body, off)| {
            let mut c = Cursor::new(body, off.saturating_add(4));
            let number = c.u8()?;
            let protocol_id = ProtocolId(c.u8()?);
            let spi_size = c.u8()?;
            let num_transforms = c.u8()?;
            let spi = c.take(usize::from(spi_size))?;
            Ok(Proposal {
                last: last == 0,
                number,
                protocol_id,
                spi,
                num_transforms,
                transforms: c.rest(),
                transforms_offset: c.offset(),
                offset: off,
            })
        }))
    }
}

/// One proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Proposal<'a> {
    /// The "last substruc" field was 0.
    pub last: bool,
    /// Proposal number.
    pub number: u8,
    /// Protocol ID (1 IKE, 2 AH, 3 ESP).
    pub protocol_id: ProtocolId,
    /// SPI (empty for an initial IKE SA proposal).
    pub spi: &'a [u8],
    /// Number of transforms announced.
    pub num_transforms: u8,
    transforms: &'a [u8],
    transforms_offset: usize,
    /// Message offset of the proposal header.
    pub offset: usize,
}

impl<'a> Proposal<'a> {
    /// The transforms.
    pub fn transforms(&self) -> TransformIter<'a> {
        TransformIter(SubIter::new(self.transforms, self.transforms_offset, 8))
    }
}

/// Iterator over transforms.
#[derive(Debug, Clone)]
pub struct TransformIter<'a>(SubIter<'a>);

impl<'a> Iterator for TransformIter<'a> {
    type Item = Result<Transform<'a>, ParseError>;
    fn next(&mut self) -> Option<Self::Item> {
        Some(self.0.next()?.and_then(|(_, body, off)| {
            let mut c = Cursor::new(body, off.saturating_add(4));
            let transform_type = TransformType(c.u8()?);
            let _reserved = c.u8()?;
            let transform_id = c.u16()?;
            Ok(Transform {
                transform_type,
                transform_id,
                attributes: c.rest(),
                attributes_offset: c.offset(),
                offset: off,
            })
        }))
    }
}

/// One transform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transform<'a> {
    /// Transform type (1 ENCR, 2 PRF, 3 INTEG, 4 KE, 5 ESN/SN, 6-12 ADDKE1-7).
    pub transform_type: TransformType,
    /// Transform ID.
    pub transform_id: u16,
    attributes: &'a [u8],
    attributes_offset: usize,
    /// Message offset of the transform header.
    pub offset: usize,
}

impl<'a> Transform<'a> {
    /// The transform attributes.
    pub fn attributes(&self) -> AttributeIter<'a> {
        AttributeIter::new(self.attributes, self.attributes_offset)
    }

    /// Value of the Key Length attribute (14), if present and well-formed.
    pub fn key_length(&self) -> Option<u16> {
        self.attributes()
            .map_while(Result::ok)
            .find(|a| a.attr_type == 14)
            .and_then(|a| a.as_u64())
            .and_then(|v| u16::try_from(v).ok())
    }
}

/// Key Exchange payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyExchange<'a> {
    /// DH / KE group number.
    pub group: DhGroup,
    /// Key exchange data.
    pub data: &'a [u8],
}

/// Parse a KE payload body.
pub fn parse_ke(body: &[u8], offset: usize) -> Result<KeyExchange<'_>, ParseError> {
    let mut c = Cursor::new(body, offset);
    let group = c.u16()?;
    let _reserved = c.u16()?;
    Ok(KeyExchange {
        group: DhGroup(group),
        data: c.rest(),
    })
}

/// Identification payload (IDi/IDr).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identification<'a> {
    /// ID type (1 IPv4, 2 FQDN, 3 RFC822, 5 IPv6, 9 DER_ASN1_DN, 10 DER_ASN1_GN, 11 KEY_ID).
    pub id_type: u8,
    /// Identification data.
    pub data: &'a [u8],
}

/// Parse an IDi/IDr payload body.
pub fn parse_id(body: &[u8], offset: usize) -> Result<Identification<'_>, ParseError> {
    let mut c = Cursor::new(body, offset);
    let id_type = c.u8()?;
    let _reserved = c.take(3)?;
    Ok(Identification {
        id_type,
        data: c.rest(),
    })
}

/// Certificate or Certificate Request payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Certificate<'a> {
    /// Certificate encoding.
    pub encoding: u8,
    /// Certificate data / CA hashes.
    pub data: &'a [u8],
}

/// Parse a CERT or CERTREQ payload body.
pub fn parse_cert(body: &[u8], offset: usize) -> Result<Certificate<'_>, ParseError> {
    let mut c = Cursor::new(body, offset);
    Ok(Certificate {
        encoding: c.u8()?,
        data: c.rest(),
    })
}

/// Authentication payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Auth<'a> {
    /// Auth method (1 RSA sig, 2 PSK MIC, 3 DSS, 9-11 ECDSA, 12 GSPAM, 14 Digital Signature).
    pub method: u8,
    /// Authentication data.
    pub data: &'a [u8],
}

/// Parse an AUTH payload body.
pub fn parse_auth(body: &[u8], offset: usize) -> Result<Auth<'_>, ParseError> {
    let mut c = Cursor::new(body, offset);
    let method = c.u8()?;
    let _reserved = c.take(3)?;
    Ok(Auth {
        method,
        data: c.rest(),
    })
}

/// Notify payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Notify<'a> {
    /// Protocol ID (0 when not about an SA).
    pub protocol_id: ProtocolId,
    /// Notify message type.
    pub notify_type: NotifyType,
    /// SPI (may be empty).
    pub spi: &'a [u8],
    /// Notification data.
    pub data: &'a [u8],
}

/// Parse an N payload body.
pub fn parse_notify(body: &[u8], offset: usize) -> Result<Notify<'_>, ParseError> {
    let mut c = Cursor::new(body, offset);
    let protocol_id = ProtocolId(c.u8()?);
    let spi_size = c.u8()?;
    let notify_type = NotifyType(c.u16()?);
    let spi = c.take(usize::from(spi_size))?;
    Ok(Notify {
        protocol_id,
        notify_type,
        spi,
        data: c.rest(),
    })
}

/// Delete payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delete<'a> {
    /// Protocol ID (1 IKE, 2 AH, 3 ESP).
    pub protocol_id: ProtocolId,
    /// SPI size.
    pub spi_size: u8,
    /// Number of SPIs announced.
    pub num_spis: u16,
    spis: &'a [u8],
}

impl<'a> Delete<'a> {
    /// The SPIs present.
    pub fn spis(&self) -> SpiIter<'a> {
        SpiIter::new(self.spis, usize::from(self.spi_size), usize::from(self.num_spis))
    }
}

/// Parse a D payload body.
pub fn parse_delete(body: &[u8], offset: usize) -> Result<Delete<'_>, ParseError> {
    let mut c = Cursor::new(body, offset);
    Ok(Delete {
        protocol_id: ProtocolId(c.u8()?),
        spi_size: c.u8()?,
        num_spis: c.u16()?,
        spis: c.rest(),
    })
}

/// Traffic Selector payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrafficSelectors<'a> {
    /// Number of selectors announced.
    pub count: u8,
    data: &'a [u8],
    offset: usize,
}

impl<'a> TrafficSelectors<'a> {
    /// The selectors.
    pub fn selectors(&self) -> SelectorIter<'a> {
        SelectorIter {
            cur: Cursor::new(self.data, self.offset),
            left: self.count,
        }
    }
}

/// Parse a TSi/TSr payload body.
pub fn parse_ts(body: &[u8], offset: usize) -> Result<TrafficSelectors<'_>, ParseError> {
    let mut c = Cursor::new(body, offset);
    let count = c.u8()?;
    let _reserved = c.take(3)?;
    Ok(TrafficSelectors {
        count,
        data: c.rest(),
        offset: c.offset(),
    })
}

/// One traffic selector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrafficSelector<'a> {
    /// TS type (7 IPv4 range, 8 IPv6 range, 9 FC address range).
    pub ts_type: u8,
    /// IP protocol (0 = any).
    pub ip_protocol: u8,
    /// Start port.
    pub start_port: u16,
    /// End port.
    pub end_port: u16,
    /// Start address (4 bytes for type 7, 16 for type 8; for other types, the first half of the
    /// remaining bytes).
    pub start_address: &'a [u8],
    /// End address.
    pub end_address: &'a [u8],
}

/// Iterator over traffic selectors.
#[derive(Debug, Clone)]
pub struct SelectorIter<'a> {
    cur: Cursor<'a>,
    left: u8,
}

impl<'a> Iterator for SelectorIter<'a> {
    type Item = Result<TrafficSelector<'a>, ParseError>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let offset = self.cur.offset();
        let available = self.cur.rest().len();
        let r = (|| {
            let ts_type = self.cur.u8()?;
            let ip_protocol = self.cur.u8()?;
            let len = usize::from(self.cur.u16()?);
            if len < 8 {
                return Err(ParseError::LengthTooShort {
                    offset,
                    length: len,
                    minimum: 8,
                });
            }
            let start_port = self.cur.u16()?;
            let end_port = self.cur.u16()?;
            let addrs = self
                .cur
                .take(len.saturating_sub(8))
                .map_err(|_| ParseError::Overrun {
                    offset,
                    length: len,
                    available,
                })?;
            let (start_address, end_address) = addrs.split_at(addrs.len() / 2);
            Ok(TrafficSelector {
                ts_type,
                ip_protocol,
                start_port,
                end_port,
                start_address,
                end_address,
            })
        })();
        if r.is_err() {
            self.left = 0;
        }
        Some(r)
    }
}

/// Encrypted payload (SK) header view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Encrypted<'a> {
    /// First inner payload type (the SK payload's next-payload field).
    pub inner_first: PayloadType,
    /// IV, ciphertext and ICV.
    pub data: &'a [u8],
}

/// View an SK payload.
pub fn parse_sk<'a>(p: &RawPayload<'a>) -> Encrypted<'a> {
    Encrypted {
        inner_first: p.next_payload,
        data: p.body,
    }
}

/// Encrypted fragment payload (SKF, RFC 7383).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncryptedFragment<'a> {
    /// First inner payload type (non-zero only in fragment 1).
    pub inner_first: PayloadType,
    /// Fragment number (1-based).
    pub number: u16,
    /// Total fragments.
    pub total: u16,
    /// IV, ciphertext and ICV.
    pub data: &'a [u8],
}

/// Parse an SKF payload.
pub fn parse_skf<'a>(p: &RawPayload<'a>) -> Result<EncryptedFragment<'a>, ParseError> {
    let mut c = Cursor::new(p.body, p.body_offset());
    let number = c.u16()?;
    let total = c.u16()?;
    Ok(EncryptedFragment {
        inner_first: p.next_payload,
        number,
        total,
        data: c.rest(),
    })
}

/// Configuration payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Configuration<'a> {
    /// CFG type: 1 REQUEST, 2 REPLY, 3 SET, 4 ACK.
    pub cfg_type: u8,
    data: &'a [u8],
    offset: usize,
}

impl<'a> Configuration<'a> {
    /// The configuration attributes (always TLV in IKEv2; the top bit is reserved and
    /// cleared in the reported type).
    pub fn attributes(&self) -> AttributeIter<'a> {
        AttributeIter::new(self.data, self.offset)
    }
}

/// Parse a CP payload body.
pub fn parse_cp(body: &[u8], offset: usize) -> Result<Configuration<'_>, ParseError> {
    let mut c = Cursor::new(body, offset);
    let cfg_type = c.u8()?;
    let _reserved = c.take(3)?;
    Ok(Configuration {
        cfg_type,
        data: c.rest(),
        offset: c.offset(),
    })
}

/// EAP payload (the EAP message header, RFC 3748).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Eap<'a> {
    /// Code: 1 Request, 2 Response, 3 Success, 4 Failure.
    pub code: u8,
    /// Identifier that pairs a Response with its Request.
    pub identifier: u8,
    /// EAP length field.
    pub length: u16,
    /// Method type (Request/Response only).
    pub eap_type: Option<u8>,
    /// Type data.
    pub data: &'a [u8],
}

/// Parse an EAP payload body.
pub fn parse_eap(body: &[u8], offset: usize) -> Result<Eap<'_>, ParseError> {
    let mut c = Cursor::new(body, offset);
    let code = c.u8()?;
    let identifier = c.u8()?;
    let length = c.u16()?;
    let eap_type = if matches!(code, 1 | 2) && !c.rest().is_empty() {
        Some(c.u8()?)
    } else {
        None
    };
    Ok(Eap {
        code,
        identifier,
        length,
        eap_type,
        data: c.rest(),
    })
}

/// A decoded IKEv2 payload body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payload<'a> {
    /// SA (33).
    Sa(SaPayload<'a>),
    /// KE (34).
    KeyExchange(KeyExchange<'a>),
    /// IDi (35).
    IdInitiator(Identification<'a>),
    /// IDr (36).
    IdResponder(Identification<'a>),
    /// CERT (37).
    Certificate(Certificate<'a>),
    /// CERTREQ (38).
    CertificateRequest(Certificate<'a>),
    /// AUTH (39).
    Auth(Auth<'a>),
    /// Nonce (40).
    Nonce(&'a [u8]),
    /// N (41).
    Notify(Notify<'a>),
    /// D (42).
    Delete(Delete<'a>),
    /// V (43).
    VendorId(&'a [u8]),
    /// TSi (44).
    TsInitiator(TrafficSelectors<'a>),
    /// TSr (45).
    TsResponder(TrafficSelectors<'a>),
    /// SK (46).
    Encrypted(Encrypted<'a>),
    /// CP (47).
    Configuration(Configuration<'a>),
    /// EAP (48).
    Eap(Eap<'a>),
    /// SKF (53).
    EncryptedFragment(EncryptedFragment<'a>),
    /// Any other type, kept raw.
    Unknown(PayloadType, &'a [u8]),
}

/// Decode the body of one payload of an IKEv2 chain.
pub fn parse_payload<'a>(p: &RawPayload<'a>) -> Result<Payload<'a>, ParseError> {
    let (b, o) = (p.body, p.body_offset());
    Ok(match p.payload_type {
        PayloadType::V2_SA => Payload::Sa(parse_sa(b, o)),
        PayloadType::V2_KE => Payload::KeyExchange(parse_ke(b, o)?),
        PayloadType::V2_IDI => Payload::IdInitiator(parse_id(b, o)?),
        PayloadType::V2_IDR => Payload::IdResponder(parse_id(b, o)?),
        PayloadType::V2_CERT => Payload::Certificate(parse_cert(b, o)?),
        PayloadType::V2_CERTREQ => Payload::CertificateRequest(parse_cert(b, o)?),
        PayloadType::V2_AUTH => Payload::Auth(parse_auth(b, o)?),
        PayloadType::V2_NONCE => Payload::Nonce(b),
        PayloadType::V2_N => Payload::Notify(parse_notify(b, o)?),
        PayloadType::V2_D => Payload::Delete(parse_delete(b, o)?),
        PayloadType::V2_V => Payload::VendorId(b),
        PayloadType::V2_TSI => Payload::TsInitiator(parse_ts(b, o)?),
        PayloadType::V2_TSR => Payload::TsResponder(parse_ts(b, o)?),
        PayloadType::V2_SK => Payload::Encrypted(parse_sk(p)),
        PayloadType::V2_CP => Payload::Configuration(parse_cp(b, o)?),
        PayloadType::V2_EAP => Payload::Eap(parse_eap(b, o)?),
        PayloadType::V2_SKF => Payload::EncryptedFragment(parse_skf(p)?),
        other => Payload::Unknown(other, b),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::isakmp::parse_message;
    use crate::testutil::unhex;

    /// captures/ikev2_ok.pcap frame 1 up to and including the KE header (SA + KE group).
    const SA_INIT_PREFIX: &str = "73918f748f46938800000000000000002120220800000000000001d0220000300000002c010100040300000c0100000c800e0080030000080300000c0300000802000005000000080400000e";

    #[test]
    fn ike_sa_init_sa() {
        let m = unhex(SA_INIT_PREFIX);
        let msg = parse_message(&m).unwrap();
        assert!(msg.is_truncated());
        let mut it = msg.payloads();
        let sa = it.next().unwrap().unwrap();
        assert_eq!(sa.payload_type, PayloadType::V2_SA);
        assert_eq!(sa.next_payload, PayloadType::V2_KE);
        let Payload::Sa(sa) = parse_payload(&sa).unwrap() else {
            panic!()
        };
        let props: Vec<_> = sa.proposals().collect::<Result<_, _>>().unwrap();
        assert_eq!(props.len(), 1);
        assert!(props[0].last);
        assert_eq!((props[0].number, props[0].protocol_id), (1, ProtocolId::IKE));
        let tr: Vec<_> = props[0].transforms().collect::<Result<_, _>>().unwrap();
        let v: Vec<_> = tr
            .iter()
            .map(|t| (t.transform_type.0, t.transform_id, t.key_length()))
            .collect();
        assert_eq!(
            v,
            [(1, 12, Some(128)), (3, 12, None), (2, 5, None), (4, 14, None)]
        );
        // the KE payload header is cut off by the truncated capture
        assert!(matches!(
            it.next(),
            Some(Err(ParseError::Truncated { offset: 76, .. }))
        ));
        assert!(it.next().is_none());
    }

    #[test]
    fn notify_and_ke() {
        // N(NAT_DETECTION_SOURCE_IP) body from ikev2_ok.pcap frame 1
        let b = unhex("0000400466009c90a296c102a5e881e135596ffd024083a1");
        let n = parse_notify(&b, 0).unwrap();
        assert_eq!(n.notify_type, NotifyType::V2_NAT_DETECTION_SOURCE_IP);
        assert_eq!(n.data.len(), 20);
        let ke = parse_ke(&[0, 14, 0, 0, 1, 2], 0).unwrap();
        assert_eq!(ke.group, DhGroup::MODP_2048);
        assert_eq!(ke.data, [1, 2]);
    }

    #[test]
    fn skf_fragment() {
        // ikev2_fragmentation_ok.pcap frame 3 after the non-ESP marker: SKF 1/3, inner IDi
        let m = unhex("f90b29908d9d3a420dd5f69f6d0ddc683520230800000001000004d4230004b800010003dfa65341");
        let msg = parse_message(&m).unwrap();
        // the SKF length (0x4b8) overruns this shortened copy
        let first = msg.payloads().next().unwrap();
        assert!(matches!(first, Err(ParseError::Overrun { offset: 28, .. })));
        let raw = crate::isakmp::RawPayload {
            payload_type: PayloadType::V2_SKF,
            next_payload: PayloadType::V2_IDI,
            critical: false,
            flags: 0,
            length: 12,
            body: &m[32..40],
            offset: 28,
        };
        let f = parse_skf(&raw).unwrap();
        assert_eq!((f.inner_first, f.number, f.total), (PayloadType::V2_IDI, 1, 3));
    }

    #[test]
    fn traffic_selectors() {
        // TSi: one IPv4 range 10.1.0.1-10.1.0.1, any protocol, all ports
        let b = [
            1, 0, 0, 0, 7, 0, 0, 16, 0, 0, 0xff, 0xff, 10, 1, 0, 1, 10, 1, 0, 1,
        ];
        let ts = parse_ts(&b, 0).unwrap();
        let s: Vec<_> = ts.selectors().collect::<Result<_, _>>().unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].ts_type, 7);
        assert_eq!(s[0].end_port, 65535);
        assert_eq!(s[0].start_address, [10, 1, 0, 1]);
        assert_eq!(s[0].end_address, [10, 1, 0, 1]);
    }

    #[test]
    fn eap_and_auth() {
        let e = parse_eap(&[1, 7, 0, 10, 1, b'a'], 0).unwrap();
        assert_eq!((e.code, e.identifier, e.eap_type), (1, 7, Some(1)));
        let e = parse_eap(&[3, 7, 0, 4], 0).unwrap();
        assert_eq!(e.eap_type, None);
        let a = parse_auth(&[2, 0, 0, 0, 9], 0).unwrap();
        assert_eq!(a.method, 2);
    }
}
