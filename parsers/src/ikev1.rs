//! IKEv1 (ISAKMP, RFC 2408/2409, IPsec DOI RFC 2407) payload bodies, plus NAT-T (RFC 3947 and
//! drafts), DPD (RFC 3706), mode-config/XAUTH attributes and the Cisco fragment payload.
//!
//! All parsers take the payload *body* (after the 4-byte generic header) and the message offset
//! of that body, so that errors and sub-structures carry offsets from the message start.

use crate::attributes::AttributeIter;
use crate::chain::{SpiIter, SubIter};
use crate::cursor::Cursor;
use crate::error::ParseError;
use crate::iana::{NotifyType, PayloadType, ProtocolId};
use crate::isakmp::RawPayload;

/// Security Association payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SaPayload<'a> {
    /// Domain of Interpretation (1 = IPsec).
    pub doi: u32,
    /// Situation bitmap, when present.
    pub situation: Option<u32>,
    proposals: &'a [u8],
    proposals_offset: usize,
}

impl<'a> SaPayload<'a> {
    /// The proposals.
    pub fn proposals(&self) -> ProposalIter<'a> {
        ProposalIter(SubIter::new(self.proposals, self.proposals_offset, 8))
    }
}

/// Parse an SA payload body.
pub fn parse_sa(body: &[u8], offset: usize) -> Result<SaPayload<'_>, ParseError> {
    let mut c = Cursor::new(body, offset);
    let doi = c.u32()?;
    let situation = if c.rest().len() >= 4 { Some(c.u32()?) } else { None };
    Ok(SaPayload {
        doi,
        situation,
        proposals: c.rest(),
        proposals_offset: c.offset(),
    })
}

/// Iterator over the proposals of an SA payload.
#[derive(Debug, Clone)]
pub struct ProposalIter<'a>(SubIter<'a>);

impl<'a> Iterator for ProposalIter<'a> {
    type Item = Result<Proposal<'a>, ParseError>;
    fn next(&mut self) -> Option<Self::Item> {
        Some(self.0.next()?.and_then(|(_, body, off)| {
            let mut c = Cursor::new(body, off.saturating_add(4));
            let number = c.u8()?;
            let protocol_id = ProtocolId(c.u8()?);
            let spi_size = c.u8()?;
            let num_transforms = c.u8()?;
            let spi = c.take(usize::from(spi_size))?;
            Ok(Proposal {
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

/// A proposal inside an SA payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Proposal<'a> {
    /// Proposal number.
    pub number: u8,
    /// Protocol ID (1 ISAKMP, 2 AH, 3 ESP, 4 IPCOMP).
    pub protocol_id: ProtocolId,
    /// SPI bytes (empty when the SPI size is 0).
    pub spi: &'a [u8],
    /// Number of transforms the proposal announces.
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

/// Iterator over the transforms of a proposal.
#[derive(Debug, Clone)]
pub struct TransformIter<'a>(SubIter<'a>);

impl<'a> Iterator for TransformIter<'a> {
    type Item = Result<Transform<'a>, ParseError>;
    fn next(&mut self) -> Option<Self::Item> {
        Some(self.0.next()?.and_then(|(_, body, off)| {
            let mut c = Cursor::new(body, off.saturating_add(4));
            let number = c.u8()?;
            let transform_id = c.u8()?;
            let _reserved = c.u16()?;
            Ok(Transform {
                number,
                transform_id,
                attributes: c.rest(),
                attributes_offset: c.offset(),
                offset: off,
            })
        }))
    }
}

/// A transform: number, transform ID and SA attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transform<'a> {
    /// Transform number.
    pub number: u8,
    /// Transform ID (KEY_IKE = 1 for ISAKMP; ESP/AH transform ID for IPsec).
    pub transform_id: u8,
    attributes: &'a [u8],
    attributes_offset: usize,
    /// Message offset of the transform header.
    pub offset: usize,
}

impl<'a> Transform<'a> {
    /// The SA attributes.
    pub fn attributes(&self) -> AttributeIter<'a> {
        AttributeIter::new(self.attributes, self.attributes_offset)
    }
}

/// Identification payload (RFC 2407 §4.6.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identification<'a> {
    /// ID type (1 IPv4 address, 2 FQDN, 3 user FQDN, ...).
    pub id_type: u8,
    /// IP protocol ID (0 = any).
    pub protocol: u8,
    /// Port (0 = any).
    pub port: u16,
    /// Identification data.
    pub data: &'a [u8],
}

/// Parse an ID payload body.
pub fn parse_id(body: &[u8], offset: usize) -> Result<Identification<'_>, ParseError> {
    let mut c = Cursor::new(body, offset);
    Ok(Identification {
        id_type: c.u8()?,
        protocol: c.u8()?,
        port: c.u16()?,
        data: c.rest(),
    })
}

/// Certificate or Certificate Request payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Certificate<'a> {
    /// Certificate encoding (4 = X.509 signature, ...).
    pub encoding: u8,
    /// Certificate data / certificate authority.
    pub data: &'a [u8],
}

/// Parse a CERT or CR payload body.
pub fn parse_cert(body: &[u8], offset: usize) -> Result<Certificate<'_>, ParseError> {
    let mut c = Cursor::new(body, offset);
    Ok(Certificate {
        encoding: c.u8()?,
        data: c.rest(),
    })
}

/// Notification payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Notification<'a> {
    /// Domain of Interpretation.
    pub doi: u32,
    /// Protocol ID.
    pub protocol_id: ProtocolId,
    /// Notify message type.
    pub notify_type: NotifyType,
    /// SPI (may be empty).
    pub spi: &'a [u8],
    /// Notification data.
    pub data: &'a [u8],
}

/// Parse an N payload body.
pub fn parse_notification(body: &[u8], offset: usize) -> Result<Notification<'_>, ParseError> {
    let mut c = Cursor::new(body, offset);
    let doi = c.u32()?;
    let protocol_id = ProtocolId(c.u8()?);
    let spi_size = c.u8()?;
    let notify_type = NotifyType(c.u16()?);
    let spi = c.take(usize::from(spi_size))?;
    Ok(Notification {
        doi,
        protocol_id,
        notify_type,
        spi,
        data: c.rest(),
    })
}

/// Delete payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delete<'a> {
    /// Domain of Interpretation.
    pub doi: u32,
    /// Protocol ID.
    pub protocol_id: ProtocolId,
    /// SPI size.
    pub spi_size: u8,
    /// Number of SPIs announced.
    pub num_spis: u16,
    spis: &'a [u8],
}

impl<'a> Delete<'a> {
    /// The SPIs present (at most `num_spis`, fewer if the payload is short).
    pub fn spis(&self) -> SpiIter<'a> {
        SpiIter::new(self.spis, usize::from(self.spi_size), usize::from(self.num_spis))
    }
}

/// Parse a D payload body.
pub fn parse_delete(body: &[u8], offset: usize) -> Result<Delete<'_>, ParseError> {
    let mut c = Cursor::new(body, offset);
    Ok(Delete {
        doi: c.u32()?,
        protocol_id: ProtocolId(c.u8()?),
        spi_size: c.u8()?,
        num_spis: c.u16()?,
        spis: c.rest(),
    })
}

/// Mode-config / XAUTH attribute payload (draft-dukes-ike-mode-cfg).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModeConfig<'a> {
    /// Type: 1 REQUEST, 2 REPLY, 3 SET, 4 ACK.
    pub cfg_type: u8,
    /// Identifier that pairs a REPLY or ACK with its REQUEST or SET.
    pub identifier: u16,
    attributes: &'a [u8],
    attributes_offset: usize,
}

impl<'a> ModeConfig<'a> {
    /// The attributes.
    pub fn attributes(&self) -> AttributeIter<'a> {
        AttributeIter::new(self.attributes, self.attributes_offset)
    }
}

/// Parse an ATTR (14) payload body.
pub fn parse_mode_config(body: &[u8], offset: usize) -> Result<ModeConfig<'_>, ParseError> {
    let mut c = Cursor::new(body, offset);
    let cfg_type = c.u8()?;
    let _reserved = c.u8()?;
    let identifier = c.u16()?;
    Ok(ModeConfig {
        cfg_type,
        identifier,
        attributes: c.rest(),
        attributes_offset: c.offset(),
    })
}

/// NAT Original Address payload (RFC 3947 §5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NatOa<'a> {
    /// ID type (1 IPv4, 5 IPv6).
    pub id_type: u8,
    /// Address bytes.
    pub address: &'a [u8],
}

/// Parse a NAT-OA payload body.
pub fn parse_nat_oa(body: &[u8], offset: usize) -> Result<NatOa<'_>, ParseError> {
    let mut c = Cursor::new(body, offset);
    let id_type = c.u8()?;
    let _reserved = c.take(3)?;
    Ok(NatOa {
        id_type,
        address: c.rest(),
    })
}

/// Cisco IKE fragment payload (type 132).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fragment<'a> {
    /// Fragment (packet) ID shared by all fragments of one message.
    pub id: u16,
    /// Fragment sequence number (1-based).
    pub number: u8,
    /// This is the last fragment.
    pub last: bool,
    /// Fragment data.
    pub data: &'a [u8],
}

/// Parse a fragment payload body.
pub fn parse_fragment(body: &[u8], offset: usize) -> Result<Fragment<'_>, ParseError> {
    let mut c = Cursor::new(body, offset);
    let id = c.u16()?;
    let number = c.u8()?;
    let flags = c.u8()?;
    Ok(Fragment {
        id,
        number,
        last: flags & 1 != 0,
        data: c.rest(),
    })
}

/// A decoded IKEv1 payload body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payload<'a> {
    /// SA (1).
    Sa(SaPayload<'a>),
    /// KE (4): key exchange data.
    KeyExchange(&'a [u8]),
    /// ID (5).
    Identification(Identification<'a>),
    /// CERT (6).
    Certificate(Certificate<'a>),
    /// CR (7).
    CertificateRequest(Certificate<'a>),
    /// HASH (8).
    Hash(&'a [u8]),
    /// SIG (9).
    Signature(&'a [u8]),
    /// NONCE (10).
    Nonce(&'a [u8]),
    /// N (11).
    Notification(Notification<'a>),
    /// D (12).
    Delete(Delete<'a>),
    /// VID (13).
    VendorId(&'a [u8]),
    /// ATTR (14).
    Attributes(ModeConfig<'a>),
    /// NAT-D (20 or draft 130): hash.
    NatD(&'a [u8]),
    /// NAT-OA (21 or draft 131).
    NatOa(NatOa<'a>),
    /// Cisco fragment (132).
    Fragment(Fragment<'a>),
    /// Any other type, kept raw.
    Unknown(PayloadType, &'a [u8]),
}

/// Decode the body of one payload of an IKEv1 chain.
pub fn parse_payload<'a>(p: &RawPayload<'a>) -> Result<Payload<'a>, ParseError> {
    let (b, o) = (p.body, p.body_offset());
    Ok(match p.payload_type {
        PayloadType::V1_SA => Payload::Sa(parse_sa(b, o)?),
        PayloadType::V1_KE => Payload::KeyExchange(b),
        PayloadType::V1_ID => Payload::Identification(parse_id(b, o)?),
        PayloadType::V1_CERT => Payload::Certificate(parse_cert(b, o)?),
        PayloadType::V1_CR => Payload::CertificateRequest(parse_cert(b, o)?),
        PayloadType::V1_HASH => Payload::Hash(b),
        PayloadType::V1_SIG => Payload::Signature(b),
        PayloadType::V1_NONCE => Payload::Nonce(b),
        PayloadType::V1_N => Payload::Notification(parse_notification(b, o)?),
        PayloadType::V1_D => Payload::Delete(parse_delete(b, o)?),
        PayloadType::V1_VID => Payload::VendorId(b),
        PayloadType::V1_ATTR => Payload::Attributes(parse_mode_config(b, o)?),
        PayloadType::V1_NAT_D | PayloadType::V1_NAT_D_DRAFT => Payload::NatD(b),
        PayloadType::V1_NAT_OA | PayloadType::V1_NAT_OA_DRAFT => Payload::NatOa(parse_nat_oa(b, o)?),
        PayloadType::V1_FRAGMENT => Payload::Fragment(parse_fragment(b, o)?),
        other => Payload::Unknown(other, b),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attributes::AttributeValue;
    use crate::isakmp::parse_message;
    use crate::testutil::unhex;

    /// captures/ikev1_main_ok.pcap frame 1 (Main Mode message 1).
    const MM1: &str = "02199ca29b5e411d00000000000000000110020000000000000000b40d00003800000001000000010000002c01010001000000240101000080010007800e0080800200028004000e80030001800b0001800c3a980d00000c09002689dfd6b7120d000014afcad71368a1f1c96b8696fc775701000d0000184048b7d56ebce88525e7de7f00d6c2d3800000000d0000144a131c81070358455c5728f20e95452f0000001490cb80913ebb696e086381b5ec427b1f";

    #[test]
    fn main_mode_1() {
        let m = unhex(MM1);
        let msg = parse_message(&m).unwrap();
        let ps: Vec<_> = msg.payloads().collect::<Result<_, _>>().unwrap();
        let types: Vec<u8> = ps.iter().map(|p| p.payload_type.0).collect();
        assert_eq!(types, [1, 13, 13, 13, 13, 13]);
        let Payload::Sa(sa) = parse_payload(&ps[0]).unwrap() else {
            panic!("not SA")
        };
        assert_eq!(sa.doi, 1);
        assert_eq!(sa.situation, Some(1));
        let props: Vec<_> = sa.proposals().collect::<Result<_, _>>().unwrap();
        assert_eq!(props.len(), 1);
        assert_eq!((props[0].number, props[0].protocol_id), (1, ProtocolId::IKE));
        assert!(props[0].spi.is_empty());
        let tr: Vec<_> = props[0].transforms().collect::<Result<_, _>>().unwrap();
        assert_eq!(tr.len(), 1);
        assert_eq!((tr[0].number, tr[0].transform_id), (1, 1));
        let attrs: Vec<_> = tr[0].attributes().collect::<Result<_, _>>().unwrap();
        let kv: Vec<(u16, u16)> = attrs
            .iter()
            .map(|a| match a.value {
                AttributeValue::Basic(v) => (a.attr_type, v),
                AttributeValue::Variable(_) => (a.attr_type, 0xffff),
            })
            .collect();
        assert_eq!(
            kv,
            [(1, 7), (14, 128), (2, 2), (4, 14), (3, 1), (11, 1), (12, 15000)]
        );
        let Payload::VendorId(v) = parse_payload(&ps[2]).unwrap() else {
            panic!()
        };
        assert_eq!(v, unhex("afcad71368a1f1c96b8696fc77570100"));
    }

    #[test]
    fn notification_and_delete() {
        // N: DOI 1, proto 1, SPI size 16, NO-PROPOSAL-CHOSEN, 16-byte SPI
        let mut b = vec![0, 0, 0, 1, 1, 16, 0, 14];
        b.extend_from_slice(&[0xaa; 16]);
        let n = parse_notification(&b, 32).unwrap();
        assert_eq!(n.notify_type, NotifyType::V1_NO_PROPOSAL_CHOSEN);
        assert_eq!(n.spi.len(), 16);
        assert!(n.data.is_empty());
        // D: DOI 1, ESP, SPI size 4, two SPIs but only one present
        let d = parse_delete(&[0, 0, 0, 1, 3, 4, 0, 2, 1, 2, 3, 4], 32).unwrap();
        let spis: Vec<_> = d.spis().collect();
        assert_eq!(spis, [&[1u8, 2, 3, 4][..]]);
        // zero SPI size never panics
        let d = parse_delete(&[0, 0, 0, 1, 3, 0, 0, 9, 1, 2], 0).unwrap();
        assert_eq!(d.spis().count(), 0);
    }

    #[test]
    fn id_and_fragment() {
        let id = parse_id(&[1, 17, 1, 244, 192, 0, 2, 1], 0).unwrap();
        assert_eq!((id.id_type, id.protocol, id.port), (1, 17, 500));
        assert_eq!(id.data, [192, 0, 2, 1]);
        let f = parse_fragment(&[0, 7, 2, 1, 0xde, 0xad], 0).unwrap();
        assert_eq!((f.id, f.number, f.last), (7, 2, true));
        assert!(parse_fragment(&[0, 7], 0).is_err());
    }

    #[test]
    fn bad_proposal_length() {
        // proposal length 2 (< 8)
        let sa = parse_sa(&[0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2], 28).unwrap();
        let v: Vec<_> = sa.proposals().collect();
        assert!(matches!(
            v[..],
            [Err(ParseError::LengthTooShort { offset: 36, .. })]
        ));
    }
}
