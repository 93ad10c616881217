//! Which tunnel carried an inner flow: the one whose peers exchanged the ESP it was decrypted
//! from; for packets seen in the clear (a gateway's tunnel interface), the tunnel whose
//! decrypted traffic used the same inner addresses, else the only tunnel carrying ESP while the
//! flow was alive.

use super::tunnels::Model;
use crate::record::Timestamp;
use std::collections::HashMap;
use std::net::IpAddr;

/// An unordered address pair, as a key.
fn pair(a: IpAddr, b: IpAddr) -> (IpAddr, IpAddr) {
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}

/// Lookups built once per model, so that placing a flow costs hash lookups instead of a scan of
/// every tunnel against every inner flow (quadratic on a gateway capture).
pub struct TunnelIndex {
    /// Tunnel by its peer pair (the first tunnel in model order).
    by_peers: HashMap<(IpAddr, IpAddr), usize>,
    /// Tunnels whose decrypted traffic used an inner address pair, in model order.
    by_inner: HashMap<(IpAddr, IpAddr), Vec<usize>>,
}

impl TunnelIndex {
    /// Index the model's tunnels and decrypted inner flows.
    pub fn new(model: &Model) -> TunnelIndex {
        let mut by_peers = HashMap::new();
        for t in &model.tunnels {
            by_peers.entry(pair(t.peers[0], t.peers[1])).or_insert(t.index);
        }
        let mut by_inner: HashMap<(IpAddr, IpAddr), Vec<usize>> = HashMap::new();
        for k in model.data.inner.keys() {
            if let Some(&t) = by_peers.get(&pair(k.0, k.1)) {
                let tunnels = by_inner.entry(pair(k.3.src, k.3.dst)).or_default();
                if !tunnels.contains(&t) {
                    tunnels.push(t);
                }
            }
        }
        for tunnels in by_inner.values_mut() {
            tunnels.sort_unstable();
        }
        TunnelIndex { by_peers, by_inner }
    }
}

/// The tunnel (index into [`Model::tunnels`]) of an inner flow between `addrs`, seen from
/// `first` to `last`, decrypted from the ESP flows `esp` (empty when seen in the clear).
pub fn tunnel_of(
    model: &Model,
    index: &TunnelIndex,
    esp: &[(IpAddr, IpAddr, u32)],
    addrs: (IpAddr, IpAddr),
    first: Timestamp,
    last: Timestamp,
) -> Option<usize> {
    if let Some(&(s, d, _)) = esp.first() {
        return index.by_peers.get(&pair(s, d)).copied();
    }
    let by_address: &[usize] = index
        .by_inner
        .get(&pair(addrs.0, addrs.1))
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    if let [one] = by_address {
        return Some(*one);
    }
    // ESP within a second of the flow's life
    let slack = 1_000_000_000;
    let carried = |t: &super::tunnels::Tunnel| {
        t.esp
            .iter()
            .filter_map(|k| model.esp.get(k))
            .any(|f| f.first.0 <= last.0 + slack && f.last.0 + slack >= first.0)
    };
    let alive: Vec<usize> = if by_address.is_empty() {
        model
            .tunnels
            .iter()
            .filter(|t| carried(t))
            .map(|t| t.index)
            .collect()
    } else {
        by_address
            .iter()
            .filter(|&&i| carried(&model.tunnels[i]))
            .copied()
            .collect()
    };
    match alive[..] {
        [one] => Some(one),
        _ => None,
    }
}

/// The tunnel of every inner TCP flow (ESP flows of the reverse direction help a direction
/// seen only in the clear).
pub fn flow_tunnels(model: &Model) -> std::collections::HashMap<super::inner_health::FlowKey, usize> {
    let flows = &model.data.inner_health.flows;
    let index = TunnelIndex::new(model);
    flows
        .iter()
        .filter(|(_, f)| f.tcp.is_some())
        .filter_map(|(k, f)| {
            let reverse = flows.get(&k.reverse()).map(|r| &r.esp[..]).unwrap_or(&[]);
            let esp = if f.esp.is_empty() { reverse } else { &f.esp[..] };
            tunnel_of(model, &index, esp, (k.src, k.dst), f.first, f.last).map(|t| (*k, t))
        })
        .collect()
}
