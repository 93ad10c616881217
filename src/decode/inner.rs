//! Decrypted inner payload chains → [`InnerInfo`], with the same dissector as the clear chain.

use crate::record::{InnerInfo, TrafficSelector};
use ikescope_parsers::iana::{IkeVersion, PayloadType};
use ikescope_parsers::ikev2;
use ikescope_parsers::isakmp::PayloadIter;

/// Dissect a decrypted payload chain starting with payload type `first_payload`.
pub fn dissect_inner(version: IkeVersion, first_payload: PayloadType, body: &[u8]) -> InnerInfo {
    let (info, _problems) = super::ike::dissect_chain(version.number(), first_payload, body);
    let mut out = InnerInfo {
        payloads: info.payloads,
        notify: info.notify,
        notifies: info.notifies,
        proposals: info.proposals,
        vendor_ids: info.vendor_ids,
        ke_group: info.ke_group,
        ids: info.ids,
        deletes: info.deletes,
        traffic_selectors: Vec::new(),
        auth_method: info.auth_method,
        eap: info.eap,
    };
    if version == IkeVersion::V2 {
        for p in PayloadIter::new(first_payload, body, 0, version.number()).flatten() {
            if p.payload_type != PayloadType::V2_TSI && p.payload_type != PayloadType::V2_TSR {
                continue;
            }
            let Ok(ts) = ikev2::parse_ts(p.body, 0) else {
                continue;
            };
            for sel in ts.selectors().flatten() {
                if let (Some(start), Some(end)) = (addr(sel.start_address), addr(sel.end_address)) {
                    out.traffic_selectors.push(TrafficSelector {
                        payload: p.payload_type,
                        start,
                        end,
                        protocol: sel.ip_protocol,
                        start_port: sel.start_port,
                        end_port: sel.end_port,
                    });
                }
            }
        }
    }
    out
}

fn addr(b: &[u8]) -> Option<std::net::IpAddr> {
    match b.len() {
        4 => Some(std::net::IpAddr::from(<[u8; 4]>::try_from(b).ok()?)),
        16 => Some(std::net::IpAddr::from(<[u8; 16]>::try_from(b).ok()?)),
        _ => None,
    }
}
