//! The traffic selectors each CHILD SA was agreed with, read from the responder's (decrypted)
//! answer: IKEv2 TSi/TSr (RFC 7296 §2.9), IKEv1 Quick Mode IDci/IDcr (RFC 2409 §5.5). Selectors
//! travel encrypted, so this needs key tables; without them the list is empty.

use super::{ExchangeKind, FrameRef, Model, MsgRef, SaState};
use crate::record::IkeInfo;
use ikescope_parsers::iana::{IkeVersion, PayloadType};
use ipnet::IpNet;
use std::net::IpAddr;

/// An address range (first, last).
pub type Range = (IpAddr, IpAddr);

/// One agreed selector pair of a CHILD SA: ranges on the initiator's and the responder's side.
#[derive(Clone, Debug)]
pub struct AgreedSelectors {
    /// Tunnel index.
    pub tunnel: usize,
    /// Who requested the CHILD SA.
    pub initiator: IpAddr,
    /// Who answered.
    pub responder: IpAddr,
    /// The range on the initiator's side (TSi / IDci).
    pub init_side: Range,
    /// The range on the responder's side (TSr / IDcr).
    pub resp_side: Range,
    /// The response that carries them.
    pub at: FrameRef,
}

fn ike_of<'m>(model: &'m Model, m: &MsgRef) -> Option<&'m IkeInfo> {
    model.data.ike[m.index].ike.as_deref()
}

/// Parse an IKEv1 identification value ("a", "a/mask", "a-b") into a range.
pub fn id_range(v: &str) -> Option<(IpAddr, IpAddr)> {
    if let Some((a, m)) = v.split_once('/') {
        let a: IpAddr = a.parse().ok()?;
        let mask: IpAddr = m.parse().ok()?;
        let prefix = match mask {
            IpAddr::V4(m) => u32::from(m).leading_ones() as u8,
            IpAddr::V6(m) => u128::from(m).leading_ones() as u8,
        };
        let net = IpNet::new(a, prefix).ok()?;
        return Some((net.network(), net.broadcast()));
    }
    if let Some((a, b)) = v.split_once('-') {
        return Some((a.parse().ok()?, b.parse().ok()?));
    }
    let a: IpAddr = v.parse().ok()?;
    Some((a, a))
}

/// The agreed selectors of every CHILD SA of an established IKE SA whose creating response
/// could be read (decrypted), in model order.
pub fn agreed(model: &Model) -> Vec<AgreedSelectors> {
    let mut out = Vec::new();
    for sa in &model.sas {
        if !matches!(sa.state, SaState::Established | SaState::Midstream) {
            continue;
        }
        for e in &sa.exchanges {
            let child = matches!(
                e.kind,
                ExchangeKind::IkeAuth
                    | ExchangeKind::NewChild
                    | ExchangeKind::ChildRekey
                    | ExchangeKind::CreateChildSa
                    | ExchangeKind::QuickMode
            );
            if !child {
                continue;
            }
            // The responder's answer carries the agreed (possibly narrowed) selectors.
            let Some(m) = e
                .responses
                .iter()
                .find(|m| ike_of(model, m).is_some_and(|i| i.decrypted.is_some()))
            else {
                continue;
            };
            let Some(d) = ike_of(model, m).and_then(|i| i.decrypted.as_deref()) else {
                continue;
            };
            let (ini, res) = if sa.version == IkeVersion::V2 {
                let tsi: Vec<_> = d
                    .traffic_selectors
                    .iter()
                    .filter(|t| t.payload == PayloadType::V2_TSI)
                    .collect();
                let tsr: Vec<_> = d
                    .traffic_selectors
                    .iter()
                    .filter(|t| t.payload == PayloadType::V2_TSR)
                    .collect();
                let (Some(i), Some(r)) = (tsi.first(), tsr.first()) else {
                    continue;
                };
                ((i.start, i.end), (r.start, r.end))
            } else {
                // IKEv1 Quick Mode: IDci then IDcr.
                let ids: Vec<_> = d.ids.iter().filter_map(|i| id_range(&i.value)).collect();
                let [i, r] = ids.as_slice() else { continue };
                (*i, *r)
            };
            out.push(AgreedSelectors {
                tunnel: sa.tunnel,
                initiator: e.requester,
                responder: e.responder,
                init_side: ini,
                resp_side: res,
                at: m.at,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn ikev1_identification_values_become_ranges() {
        assert_eq!(
            id_range("10.1.0.0/255.255.255.0"),
            Some((ip("10.1.0.0"), ip("10.1.0.255")))
        );
        assert_eq!(
            id_range("10.1.0.5-10.1.0.9"),
            Some((ip("10.1.0.5"), ip("10.1.0.9")))
        );
        assert_eq!(id_range("192.0.2.1"), Some((ip("192.0.2.1"), ip("192.0.2.1"))));
        assert_eq!(id_range("vpn.example"), None);
    }
}
