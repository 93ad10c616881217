//! NAT detection: the hashes each peer sent of its own and the other's address and port
//! (IKEv2 NAT_DETECTION_*_IP notifies, RFC 7296 §2.23; IKEv1 NAT-D payloads, RFC 3947 §3.2),
//! recomputed against what the capture shows.

use super::{ExchangeKind, IkeSa, Model, MsgRef};
use crate::record::IkeInfo;
use ikescope_parsers::iana::{IkeAttribute, IkeVersion, NotifyType};
use sha1::{Digest, Sha1};
use std::net::IpAddr;

fn nat_hash(spi_i: &[u8; 8], spi_r: &[u8; 8], ip: IpAddr, port: u16) -> [u8; 20] {
    let mut h = Sha1::new();
    h.update(spi_i);
    h.update(spi_r);
    match ip {
        IpAddr::V4(a) => h.update(a.octets()),
        IpAddr::V6(a) => h.update(a.octets()),
    }
    h.update(port.to_be_bytes());
    h.finalize().into()
}

/// Compare the NAT_DETECTION notifies of a message with its own addresses. Returns
/// (source matches, destination matches) when the notifies are present.
fn nat_check(model: &Model, m: &MsgRef) -> (Option<bool>, Option<bool>) {
    let r = &model.data.ike[m.index];
    let Some(ike) = r.ike.as_deref() else {
        return (None, None);
    };
    let (Some(sport), Some(dport)) = (r.sport, r.dport) else {
        return (None, None);
    };
    let mut src = None;
    let mut dst = None;
    for n in &ike.notifies {
        if n.data.0.len() != 20 {
            continue;
        }
        if n.kind == NotifyType::V2_NAT_DETECTION_SOURCE_IP {
            let ok = nat_hash(&ike.spi_i.0, &ike.spi_r.0, r.src, sport)[..] == n.data.0[..];
            src = Some(src.unwrap_or(false) || ok);
        } else if n.kind == NotifyType::V2_NAT_DETECTION_DESTINATION_IP {
            let ok = nat_hash(&ike.spi_i.0, &ike.spi_r.0, r.dst, dport)[..] == n.data.0[..];
            dst = Some(dst.unwrap_or(false) || ok);
        }
    }
    (src, dst)
}

/// What the NAT detection payloads of one IKE SA say, against the addresses and ports the
/// capture shows.
#[derive(Clone, Copy, Debug)]
pub struct NatView {
    /// The responder's hash of the initiator's address differs from the initiator's address
    /// in the capture: a NAT sits between the capture point and the initiator.
    pub initiator_seen: bool,
    /// The initiator's hash of the responder's address differs from the capture's.
    pub responder_seen: bool,
    /// The initiator's hash of its own address differs from the capture's (behind a NAT the
    /// capture is outside of, or faking it to force UDP encapsulation).
    pub initiator_claim: bool,
    /// The responder's hash of its own address differs from the capture's.
    pub responder_claim: bool,
    /// The initiator's message carrying the hashes.
    pub req: MsgRef,
    /// The responder's message carrying the hashes.
    pub resp: MsgRef,
}

/// The NAT detection of an IKE SA (IKEv2 IKE_SA_INIT notifies, IKEv1 NAT-D payloads); `None`
/// when its messages carry none or (IKEv1) the hash algorithm is unknown.
pub fn nat_view(model: &Model, sa: &IkeSa) -> Option<NatView> {
    if sa.version == IkeVersion::V2 {
        nat_view_v2(model, sa)
    } else {
        nat_view_v1(model, sa)
    }
}

fn ike_of<'m>(model: &'m Model, m: &MsgRef) -> Option<&'m IkeInfo> {
    model.data.ike[m.index].ike.as_deref()
}

fn nat_view_v2(model: &Model, sa: &IkeSa) -> Option<NatView> {
    let (_, init) = sa.exchanges_of(ExchangeKind::IkeSaInit).last()?;
    let (req, resp) = (init.requests.first()?, init.responses.first()?);
    let (req_src, req_dst) = nat_check(model, req);
    let (resp_src, resp_dst) = nat_check(model, resp);
    Some(NatView {
        initiator_seen: resp_dst == Some(false),
        responder_seen: req_dst == Some(false),
        initiator_claim: req_src == Some(false),
        responder_claim: resp_src == Some(false),
        req: *req,
        resp: *resp,
    })
}

/// IKEv1 NAT-D (RFC 3947 §3.2): HASH(CKY-I | CKY-R | IP | port) with the negotiated hash; the first
/// NAT-D payload is the peer's address as the sender sees it, the others the sender's own.
fn nat_view_v1(model: &Model, sa: &IkeSa) -> Option<NatView> {
    let (_, p1) = sa.v1_phase1()?;
    let with_natd = |msgs: &[MsgRef]| {
        msgs.iter()
            .find(|m| ike_of(model, m).is_some_and(|i| !i.nat_d.is_empty()))
            .copied()
    };
    let (req, resp) = (with_natd(&p1.requests)?, with_natd(&p1.responses)?);
    // Negotiated hash: the responder's chosen transform (attribute 2), else the first offered.
    let hash_alg = [resp, req]
        .iter()
        .filter_map(|m| ike_of(model, m))
        .flat_map(|i| i.proposals.iter())
        .flat_map(|p| p.transforms.iter())
        .flat_map(|t| t.attributes.iter())
        .find(|a| a.kind == IkeAttribute::HASH_ALGORITHM.0)
        .and_then(|a| a.value.as_u64())
        .or_else(|| {
            p1.responses
                .iter()
                .chain(p1.requests.iter())
                .filter_map(|m| ike_of(model, m))
                .flat_map(|i| i.proposals.iter())
                .flat_map(|p| p.transforms.iter())
                .flat_map(|t| t.attributes.iter())
                .find(|a| a.kind == IkeAttribute::HASH_ALGORITHM.0)
                .and_then(|a| a.value.as_u64())
        })?;
    let check = |m: &MsgRef| -> (Option<bool>, Option<bool>) {
        let r = &model.data.ike[m.index];
        let (Some(ike), Some(sport), Some(dport)) = (r.ike.as_deref(), r.sport, r.dport) else {
            return (None, None);
        };
        let h = |ip: IpAddr, port: u16| v1_nat_hash(hash_alg, &ike.spi_i.0, &ike.spi_r.0, ip, port);
        let (Some(peer), Some(own)) = (h(r.dst, dport), h(r.src, sport)) else {
            return (None, None);
        };
        let dst_ok = ike.nat_d.first().map(|d| d.0 == peer);
        let src_ok = (ike.nat_d.len() > 1).then(|| ike.nat_d[1..].iter().any(|d| d.0 == own));
        (src_ok, dst_ok)
    };
    let (req_src, req_dst) = check(&req);
    let (resp_src, resp_dst) = check(&resp);
    Some(NatView {
        initiator_seen: resp_dst == Some(false),
        responder_seen: req_dst == Some(false),
        initiator_claim: req_src == Some(false),
        responder_claim: resp_src == Some(false),
        req,
        resp,
    })
}

fn v1_nat_hash(alg: u64, ci: &[u8; 8], cr: &[u8; 8], ip: IpAddr, port: u16) -> Option<Vec<u8>> {
    let mut data = Vec::with_capacity(36);
    data.extend_from_slice(ci);
    data.extend_from_slice(cr);
    match ip {
        IpAddr::V4(a) => data.extend_from_slice(&a.octets()),
        IpAddr::V6(a) => data.extend_from_slice(&a.octets()),
    }
    data.extend_from_slice(&port.to_be_bytes());
    Some(match alg {
        1 => md5::Md5::digest(&data).to_vec(),
        2 => Sha1::digest(&data).to_vec(),
        4 => sha2::Sha256::digest(&data).to_vec(),
        5 => sha2::Sha384::digest(&data).to_vec(),
        6 => sha2::Sha512::digest(&data).to_vec(),
        _ => return None,
    })
}
