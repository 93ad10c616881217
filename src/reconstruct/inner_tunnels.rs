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
    /// Every tunnel's ESP flows as (first, last packet time in ns, tunnel), by first packet.
    esp_spans: Vec<(i64, i64, usize)>,
    /// `esp_spans_end[i]`: the latest last-packet time among `esp_spans[..=i]`, so that a
    /// backward scan stops where no earlier flow can still be alive.
    esp_spans_end: Vec<i64>,
}

/// ESP counted as alive with a flow when it is within this much of the flow's life (ns).
const ALIVE_SLACK_NS: i64 = 1_000_000_000;

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
                by_inner.entry(pair(k.3.src, k.3.dst)).or_default().push(t);
            }
        }
        // each tunnel once (sorted, then repeats dropped: not a search of the list per flow,
        // which many tunnels sharing inner addresses would make quadratic)
        for tunnels in by_inner.values_mut() {
            tunnels.sort_unstable();
            tunnels.dedup();
        }
        let mut esp_spans: Vec<(i64, i64, usize)> = model
            .tunnels
            .iter()
            .flat_map(|t| {
                t.esp
                    .iter()
                    .filter_map(|k| model.esp.get(k))
                    .map(move |f| (f.first.0, f.last.0, t.index))
            })
            .collect();
        esp_spans.sort_unstable();
        let esp_spans_end = esp_spans
            .iter()
            .scan(i64::MIN, |latest, &(_, last, _)| {
                *latest = (*latest).max(last);
                Some(*latest)
            })
            .collect();
        TunnelIndex {
            by_peers,
            by_inner,
            esp_spans,
            esp_spans_end,
        }
    }

    /// The one tunnel that carried ESP within [`ALIVE_SLACK_NS`] of `first..=last`; `None`
    /// when none or several did. Scans backwards from the flows that started by `last` and
    /// stops at a second tunnel or where no earlier flow lasted until `first`.
    fn only_tunnel_alive(&self, first: Timestamp, last: Timestamp) -> Option<usize> {
        let started = self
            .esp_spans
            .partition_point(|&(start, _, _)| start <= last.0.saturating_add(ALIVE_SLACK_NS));
        let mut found = None;
        for i in (0..started).rev() {
            if self.esp_spans_end[i].saturating_add(ALIVE_SLACK_NS) < first.0 {
                break;
            }
            let (_, end, tunnel) = self.esp_spans[i];
            if end.saturating_add(ALIVE_SLACK_NS) >= first.0 {
                match found {
                    None => found = Some(tunnel),
                    Some(t) if t != tunnel => return None,
                    Some(_) => {}
                }
            }
        }
        found
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
    if by_address.is_empty() {
        return index.only_tunnel_alive(first, last);
    }
    let carried = |t: &super::tunnels::Tunnel| {
        t.esp.iter().filter_map(|k| model.esp.get(k)).any(|f| {
            f.first.0 <= last.0.saturating_add(ALIVE_SLACK_NS)
                && f.last.0.saturating_add(ALIVE_SLACK_NS) >= first.0
        })
    };
    let alive: Vec<usize> = by_address
        .iter()
        .filter(|&&i| carried(&model.tunnels[i]))
        .copied()
        .collect();
    match alive[..] {
        [one] => Some(one),
        _ => None,
    }
}

/// The tunnel of every inner TCP flow (ESP flows of the reverse direction help a direction
/// seen only in the clear).
pub fn flow_tunnels(
    model: &Model,
    index: &TunnelIndex,
) -> std::collections::HashMap<super::inner_health::FlowKey, usize> {
    let flows = &model.data.inner_health.flows;
    flows
        .iter()
        .filter(|(_, f)| f.tcp.is_some())
        .filter_map(|(k, f)| {
            let reverse = flows.get(&k.reverse()).map(|r| &r.esp[..]).unwrap_or(&[]);
            let esp = if f.esp.is_empty() { reverse } else { &f.esp[..] };
            tunnel_of(model, index, esp, (k.src, k.dst), f.first, f.last).map(|t| (*k, t))
        })
        .collect()
}
