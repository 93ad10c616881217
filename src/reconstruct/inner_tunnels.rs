//! Which tunnel carried an inner flow: the one whose peers exchanged the ESP it was decrypted
//! from; for packets seen in the clear (a gateway's tunnel interface), the tunnel whose
//! decrypted traffic used the same inner addresses, else the only tunnel carrying ESP while the
//! flow was alive.

use super::tunnels::Model;
use crate::record::Timestamp;
use std::net::IpAddr;

/// The tunnel (index into [`Model::tunnels`]) of an inner flow between `addrs`, seen from
/// `first` to `last`, decrypted from the ESP flows `esp` (empty when seen in the clear).
pub fn tunnel_of(
    model: &Model,
    esp: &[(IpAddr, IpAddr, u32)],
    addrs: (IpAddr, IpAddr),
    first: Timestamp,
    last: Timestamp,
) -> Option<usize> {
    if let Some(&(s, d, _)) = esp.first() {
        return model
            .tunnels
            .iter()
            .position(|t| t.peers.contains(&s) && t.peers.contains(&d));
    }
    let by_address: Vec<usize> = model
        .tunnels
        .iter()
        .filter(|t| {
            model.data.inner.keys().any(|k| {
                t.peers.contains(&k.0)
                    && t.peers.contains(&k.1)
                    && [k.3.src, k.3.dst].contains(&addrs.0)
                    && [k.3.src, k.3.dst].contains(&addrs.1)
            })
        })
        .map(|t| t.index)
        .collect();
    if let [one] = by_address[..] {
        return Some(one);
    }
    // ESP within a second of the flow's life
    let slack = 1_000_000_000;
    let alive: Vec<usize> = model
        .tunnels
        .iter()
        .filter(|t| by_address.is_empty() || by_address.contains(&t.index))
        .filter(|t| {
            t.esp
                .iter()
                .filter_map(|k| model.esp.get(k))
                .any(|f| f.first.0 <= last.0 + slack && f.last.0 + slack >= first.0)
        })
        .map(|t| t.index)
        .collect();
    match alive[..] {
        [one] => Some(one),
        _ => None,
    }
}

/// The tunnel of every inner TCP flow (ESP flows of the reverse direction help a direction
/// seen only in the clear).
pub fn flow_tunnels(model: &Model) -> std::collections::HashMap<super::inner_health::FlowKey, usize> {
    let flows = &model.data.inner_health.flows;
    flows
        .iter()
        .filter(|(_, f)| f.tcp.is_some())
        .filter_map(|(k, f)| {
            let reverse = flows.get(&k.reverse()).map(|r| &r.esp[..]).unwrap_or(&[]);
            let esp = if f.esp.is_empty() { reverse } else { &f.esp[..] };
            tunnel_of(model, esp, (k.src, k.dst), f.first, f.last).map(|t| (*k, t))
        })
        .collect()
}
