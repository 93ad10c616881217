//! Tunnels: one per pair of outer peer addresses over the whole capture, holding their IKE SAs,
//! CHILD SAs and ESP flows.

use super::capture_point::{self, CapturePointGuess, LostFragments};
use super::collect::{Collected, EspFlow, FrameRef};
use super::esp_series::EspSeries;
use super::exchanges::{auth_response, auth_response_lacks_child, inner_first, ExchangeKind};
use super::implementation::{self, ImplementationGuess};
use super::sas::{build_sas, ChildSa, IkeSa, SaState};
use crate::record::{InnerFlowInfo, Timestamp};
use ikescope_parsers::iana::{IkeVersion, PayloadType};
use rayon::prelude::*;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;

/// Tolerance for ESP that starts slightly before the exchange completing its SA is captured.
const ESP_START_SLACK_NS: i64 = 500_000_000;
/// Maximum gap between a CREATE_CHILD_SA and the first message of the IKE SA it created.
const IKE_REKEY_LINK_SECS: f64 = 30.0;

/// One pair of peers.
#[derive(Clone, Debug)]
pub struct Tunnel {
    /// Its position in `Model::tunnels`.
    pub index: usize,
    /// Stable identifier: `<lower address>-<higher address>`.
    pub id: String,
    /// The two peers (lower address first).
    pub peers: [IpAddr; 2],
    /// IKE SA indices (into [`Model::sas`]), in order of first message.
    pub sas: Vec<usize>,
    /// CHILD SA indices (into [`Model::children`]).
    pub children: Vec<usize>,
    /// ESP flow keys.
    pub esp: Vec<(IpAddr, IpAddr, u32)>,
    /// IKE versions seen.
    pub versions: BTreeSet<IkeVersion>,
    /// First activity.
    pub first: Timestamp,
    /// Last activity.
    pub last: Timestamp,
    /// Where the capture was taken, relative to this tunnel's peers.
    pub capture_point: CapturePointGuess,
    /// The implementation each peer most likely runs (same order as `peers`).
    pub implementations: [ImplementationGuess; 2],
}

impl Tunnel {
    /// Total ESP packets and bytes sent by `src` on this tunnel.
    pub fn esp_from(&self, model: &Model, src: IpAddr) -> (u64, u64) {
        self.esp
            .iter()
            .filter(|k| k.0 == src)
            .filter_map(|k| model.esp.get(k))
            .fold((0, 0), |(p, b), f| (p + f.packets, b + f.bytes))
    }

    /// ESP sent by `src` on this tunnel over time, all its SPIs together (`None` without any):
    /// the flow's own series when it is the only one (most are), else a sum.
    pub fn esp_series<'m>(&self, model: &'m Model, src: IpAddr) -> Option<Cow<'m, EspSeries>> {
        let mut flows = self
            .esp
            .iter()
            .filter(|k| k.0 == src)
            .filter_map(|k| model.esp.get(k));
        let mut series = Cow::Borrowed(&flows.next()?.series);
        for f in flows {
            series.to_mut().absorb(&f.series);
        }
        Some(series)
    }

    /// ESP over time in each direction that carried any: (sender, receiver, series).
    pub fn esp_directions<'m>(
        &'m self,
        model: &'m Model,
    ) -> impl Iterator<Item = (IpAddr, IpAddr, Cow<'m, EspSeries>)> + 'm {
        [(self.peers[0], self.peers[1]), (self.peers[1], self.peers[0])]
            .into_iter()
            .filter_map(move |(src, dst)| Some((src, dst, self.esp_series(model, src)?)))
    }

    /// The flows seen inside decrypted ESP between this tunnel's peers, busiest first (then by
    /// inner flow, then outer addresses and SPI: a stable order for the reports).
    pub fn inner_flows(&self, model: &Model) -> Vec<InnerFlowTally> {
        let keys = model.inside.get(self.index).map_or(&[][..], |i| &i.inner[..]);
        let mut v: Vec<InnerFlowTally> = keys
            .iter()
            .filter_map(|k| model.data.inner.get_key_value(k))
            .map(|(k, &(packets, bytes))| InnerFlowTally {
                src: k.0,
                dst: k.1,
                spi: k.2,
                flow: k.3,
                packets,
                bytes,
            })
            .collect();
        v.sort_by(|a, b| {
            b.packets
                .cmp(&a.packets)
                .then(a.flow.cmp(&b.flow))
                .then((a.src, a.dst, a.spi).cmp(&(b.src, b.dst, b.spi)))
        });
        v
    }
}

/// One flow seen inside decrypted ESP, on one SPI between two outer addresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InnerFlowTally {
    /// Outer (tunnel endpoint) source of the ESP packets that carried it.
    pub src: IpAddr,
    /// Outer (tunnel endpoint) destination.
    pub dst: IpAddr,
    /// The SPI of those ESP packets.
    pub spi: u32,
    /// The inner packets' addresses, protocol and ports.
    pub flow: InnerFlowInfo,
    /// Inner packets of this flow.
    pub packets: u64,
    /// Their ESP bytes.
    pub bytes: u64,
}

/// The reconstructed capture.
#[derive(Debug)]
pub struct Model {
    /// The collected raw material (IKE records, ESP flows, ...).
    pub data: Collected,
    /// One per pair of peers, ordered by that pair (lower address, higher address).
    pub tunnels: Vec<Tunnel>,
    /// IKE SAs.
    pub sas: Vec<IkeSa>,
    /// CHILD SAs.
    pub children: Vec<ChildSa>,
    /// ESP flows by key (moved out of `data`).
    pub esp: BTreeMap<(IpAddr, IpAddr, u32), EspFlow>,
    /// End of the capture (last timestamp of anything).
    pub capture_end: Timestamp,
    /// BGP sessions inside the tunnels ([`super::bgp_state`]).
    pub bgp: Vec<super::bgp_state::BgpSession>,
    /// The tunnel of each inner flow that one could be found for ([`super::inner_tunnels`]).
    pub inner_tunnel: HashMap<super::inner_health::FlowKey, usize>,
    /// What each tunnel carries, by tunnel index (see [`Inside`]).
    pub inside: Vec<Inside>,
}

/// What one tunnel carries, listed once when the model is built so that a report or rule does
/// not go through every flow of the capture for every tunnel.
#[derive(Clone, Debug, Default)]
pub struct Inside {
    /// The keys of [`Collected::inner`] whose outer addresses are both the tunnel's peers
    /// ([`Tunnel::inner_flows`]).
    pub inner: Vec<InnerKey>,
    /// The inner TCP flows [`Model::inner_tunnel`] places in the tunnel that have a health
    /// record, in key order.
    pub tcp: Vec<super::inner_health::FlowKey>,
    /// The tunnel's BGP sessions: positions in [`Model::bgp`], in order.
    pub bgp: Vec<usize>,
}

/// A key of [`Collected::inner`]: outer source, outer destination, SPI, inner flow.
pub type InnerKey = (IpAddr, IpAddr, u32, InnerFlowInfo);

/// An ESP flow's (source, destination, SPI).
type FlowKey = (IpAddr, IpAddr, u32);

/// The ESP flows keyed and ordered by (source, destination, SPI). Flows are large (their
/// series) and each copy of them all into new memory costs its page faults: they are put in
/// order in place ([`order_by_key`]), and the map is built from the ordered vector without
/// sorting it again (a key seen twice keeps its order: the map keeps the last, as when built
/// directly).
fn sorted_flows(table: super::esp_table::EspTable) -> BTreeMap<FlowKey, EspFlow> {
    let mut flows: Vec<(FlowKey, EspFlow)> = table.into_flows().map(|(k, f)| ((k.0, k.1, k.2), f)).collect();
    order_by_key(&mut flows, |(k, _)| *k);
    flows.into_iter().collect()
}

/// What each tunnel of `model` carries ([`Inside`]), with its BGP sessions `bgp` and the
/// tunnels of the inner flows `inner_tunnel` (not in `model` yet); the tunnels are in order of
/// their peers.
fn inside(
    model: &Model,
    bgp: &[super::bgp_state::BgpSession],
    inner_tunnel: &HashMap<super::inner_health::FlowKey, usize>,
) -> Vec<Inside> {
    let mut inside = vec![Inside::default(); model.tunnels.len()];
    let tunnel_of_pair = |a: IpAddr, b: IpAddr| {
        let p = [a.min(b), a.max(b)];
        model.tunnels.binary_search_by(|t| t.peers.cmp(&p)).ok()
    };
    // tunnels by peer, for outer addresses that are one peer twice (which every tunnel of that
    // peer takes in): only made when there are such
    let mut of_peer: Option<HashMap<IpAddr, Vec<usize>>> = None;
    for k in model.data.inner.keys() {
        if k.0 != k.1 {
            if let Some(t) = tunnel_of_pair(k.0, k.1) {
                inside[t].inner.push(*k);
            }
            continue;
        }
        let of_peer = of_peer.get_or_insert_with(|| {
            let mut m: HashMap<IpAddr, Vec<usize>> = HashMap::new();
            for t in &model.tunnels {
                m.entry(t.peers[0]).or_default().push(t.index);
                if t.peers[1] != t.peers[0] {
                    m.entry(t.peers[1]).or_default().push(t.index);
                }
            }
            m
        });
        for &t in of_peer.get(&k.0).into_iter().flatten() {
            inside[t].inner.push(*k);
        }
    }
    for (k, &t) in inner_tunnel {
        if model.data.inner_health.flows.contains_key(k) {
            if let Some(i) = inside.get_mut(t) {
                i.tcp.push(*k);
            }
        }
    }
    for i in &mut inside {
        i.tcp.sort();
    }
    for (n, s) in bgp.iter().enumerate() {
        if let Some(i) = s.tunnel.and_then(|t| inside.get_mut(t)) {
            i.bgp.push(n);
        }
    }
    inside
}

/// Sort `items` by `key` (stable: equal keys keep their order), moving each item at most once
/// by a swap into its final position: for large items, where a sort would move each many times.
fn order_by_key<T, K: Ord>(items: &mut [T], key: impl Fn(&T) -> K) {
    let mut order: Vec<(K, usize)> = items.iter().enumerate().map(|(i, x)| (key(x), i)).collect();
    order.sort_unstable();
    let mut dest = vec![0; items.len()];
    for (to, &(_, from)) in order.iter().enumerate() {
        dest[from] = to;
    }
    for i in 0..items.len() {
        // each swap puts the item at `dest[i]` in its place: at most one swap per item
        while dest[i] != i {
            let d = dest[i];
            items.swap(i, d);
            dest.swap(i, d);
        }
    }
}

/// One tunnel with its own IKE SAs and CHILD SAs, numbered from 0 (in `tunnel.sas` and
/// `tunnel.children`, and in the SAs' `id`, `rekey_of` and the CHILD SAs' `ike_sa`):
/// [`Model::build`] numbers them in the whole model.
struct TunnelParts {
    tunnel: Tunnel,
    sas: Vec<IkeSa>,
    children: Vec<ChildSa>,
}

/// A tunnel before its ESP side: its IKE side, or its peers only when it has no IKE message.
#[allow(clippy::large_enum_variant)] // one vector of them, in the model's order, used at once
enum Slot {
    Ike(TunnelParts),
    EspOnly([IpAddr; 2]),
}

impl TunnelParts {
    /// Number the tunnel's SAs from `first_sa` and its CHILD SAs from `first_child` (their
    /// positions in the whole model), instead of from 0.
    fn number_from(&mut self, first_sa: usize, first_child: usize) {
        for s in &mut self.tunnel.sas {
            *s += first_sa;
        }
        for c in &mut self.tunnel.children {
            *c += first_child;
        }
        for sa in &mut self.sas {
            sa.id += first_sa;
            sa.rekey_of = sa.rekey_of.map(|p| p + first_sa);
        }
        for c in &mut self.children {
            c.ike_sa += first_sa;
        }
    }
}

/// The IKE side of the tunnel between peers `a` < `b`, from its IKE messages `msgs` in time
/// order: its IKE SAs and guesses, the IKE rekeys linked and its CHILD SAs found (in time order
/// in `tunnel.children`). It needs no ESP flow, so it is built while the flows are still being
/// put in order; its position in the model (`tunnel.index`, the SAs' `tunnel`) is set by
/// [`add_esp`]. Everything here depends on the tunnel's own messages only.
fn ike_side(data: &Collected, lost: &LostFragments, [a, b]: [IpAddr; 2], msgs: &[usize]) -> TunnelParts {
    let mut tunnel_sas = build_sas(&data.ike, msgs, 0, 0);
    for sa in &mut tunnel_sas {
        sa.liveness_folded = data
            .liveness_folded
            .get(&(sa.spi_i, sa.spi_r))
            .copied()
            .unwrap_or(0);
    }
    let sa_refs: Vec<&IkeSa> = tunnel_sas.iter().collect();
    let mut t = Tunnel {
        index: 0,
        id: format!("{a}-{b}"),
        peers: [a, b],
        sas: (0..tunnel_sas.len()).collect(),
        children: Vec::new(),
        esp: Vec::new(),
        versions: tunnel_sas.iter().map(|s| s.version).collect(),
        first: msgs.first().map(|&i| data.ike[i].time).unwrap_or_default(),
        last: msgs.last().map(|&i| data.ike[i].time).unwrap_or_default(),
        capture_point: capture_point::infer(data, lost, &sa_refs),
        implementations: implementation::infer(data, &sa_refs, [a, b]),
    };
    link_ike_rekeys(&mut tunnel_sas);
    let children = find_children(data, &tunnel_sas);
    // in time order (stable: in order of SA, then of exchange, for ties)
    t.children = (0..children.len()).collect();
    t.children.sort_by_key(|&c| children[c].time);
    TunnelParts {
        tunnel: t,
        sas: tunnel_sas,
        children,
    }
}

/// The rest of tunnel number `index` once the flows are in order: its position, its ESP flows
/// (which widen its first and last activity) and the flows attributed to its CHILD SAs.
fn add_esp(esp: &BTreeMap<FlowKey, EspFlow>, index: usize, parts: &mut TunnelParts) {
    let t = &mut parts.tunnel;
    t.index = index;
    for sa in &mut parts.sas {
        sa.tunnel = index;
    }
    let [a, b] = t.peers;
    for (k, f) in esp
        .range((a, b, 0)..=(a, b, u32::MAX))
        .chain(esp.range((b, a, 0)..=(b, a, u32::MAX)))
    {
        t.esp.push(*k);
        if t.first == Timestamp::default() || f.first < t.first {
            t.first = f.first;
        }
        t.last = t.last.max(f.last);
    }
    attach_esp(esp, t, &mut parts.children);
}

/// Link IKEv2 SAs first seen mid-life (message id 0, no IKE_SA_INIT) to the SA on the same
/// tunnel whose CREATE_CHILD_SA just before created them (`sas`: one tunnel's, `id` = position).
fn link_ike_rekeys(sas: &mut [IkeSa]) {
    for n in 0..sas.len() {
        let sa = &sas[n];
        if sa.version != IkeVersion::V2 || sa.state != SaState::Midstream {
            continue;
        }
        let starts_fresh = sa.exchanges.first().map(|e| e.message_id == 0).unwrap_or(false);
        if !starts_fresh || n == 0 {
            continue;
        }
        let start = sa.first;
        // Most recent answered CREATE_CHILD_SA on an earlier SA of this tunnel.
        let mut best: Option<(usize, usize, Timestamp)> = None;
        for (pid, earlier) in sas[..n].iter().enumerate() {
            for (ei, e) in earlier.exchanges.iter().enumerate() {
                let cc = matches!(
                    e.kind,
                    ExchangeKind::CreateChildSa | ExchangeKind::IkeRekey | ExchangeKind::NewChild
                );
                if cc
                    && !e.unanswered()
                    && e.end() <= start
                    && start.secs_since(e.end()) <= IKE_REKEY_LINK_SECS
                    && best.map(|b| e.end() > b.2).unwrap_or(true)
                {
                    best = Some((pid, ei, e.end()));
                }
            }
        }
        if let Some((pid, ei, _)) = best {
            sas[n].rekey_of = Some(pid);
            sas[pid].exchanges[ei].kind = ExchangeKind::IkeRekey;
        }
    }
}

/// CHILD SAs created by IKE_AUTH, CREATE_CHILD_SA and Quick Mode in one tunnel's `sas` (their
/// `ike_sa` is the position in `sas`), in order of SA, then of exchange.
fn find_children(data: &Collected, sas: &[IkeSa]) -> Vec<ChildSa> {
    let mut found = Vec::new();
    for (sid, sa) in sas.iter().enumerate() {
        for (ei, e) in sa.exchanges.iter().enumerate() {
            let Some(resp) = e.distinct_responses().next() else {
                continue;
            };
            let rec = &data.ike[resp.index];
            let ike = rec.ike.as_deref().expect("ike");
            let (created, inferred, spis) = match e.kind {
                ExchangeKind::IkeAuth => match ike.decrypted.as_deref() {
                    Some(d) => (
                        d.payloads.contains(&PayloadType::V2_SA),
                        false,
                        d.proposals.iter().filter_map(|p| spi32(&p.spi.0)).collect(),
                    ),
                    // Without keys: authenticated, and the answer is large enough to carry
                    // the CHILD SA payloads (a refusal inside IKE_AUTH makes it shorter).
                    None => {
                        let request_len = e
                            .requests
                            .first()
                            .and_then(|m| data.ike[m.index].ike.as_deref())
                            .map_or(0, |r| r.length);
                        let child = auth_response(ike) == Some(true)
                            && !auth_response_lacks_child(request_len, ike.length);
                        (child, true, Vec::new())
                    }
                },
                ExchangeKind::NewChild | ExchangeKind::ChildRekey | ExchangeKind::CreateChildSa => {
                    match ike.decrypted.as_deref() {
                        Some(d) => (
                            d.payloads.contains(&PayloadType::V2_SA),
                            false,
                            d.proposals.iter().filter_map(|p| spi32(&p.spi.0)).collect(),
                        ),
                        None => (inner_first(ike) != Some(PayloadType::V2_N), true, Vec::new()),
                    }
                }
                ExchangeKind::QuickMode => (true, ike.decrypted.is_none(), Vec::new()),
                _ => continue,
            };
            if created {
                found.push(ChildSa {
                    ike_sa: sid,
                    exchange: ei,
                    kind: e.kind,
                    time: resp.time,
                    at: resp.at,
                    spis,
                    inferred,
                    esp: Vec::new(),
                });
            }
        }
    }
    found
}

/// Attribute tunnel `t`'s ESP flows to its CHILD SAs (`children`, which `t.children` lists in
/// time order): by SPI when known, else to the latest CHILD SA of the tunnel created before the
/// flow's first packet.
fn attach_esp(esp: &BTreeMap<FlowKey, EspFlow>, t: &Tunnel, children: &mut [ChildSa]) {
    let kids = &t.children;
    // The first CHILD SA announcing each SPI; creation times (kids are in time order).
    let mut spi_owner: HashMap<u32, usize> = HashMap::new();
    for &c in kids {
        for &spi in &children[c].spis {
            spi_owner.entry(spi).or_insert(c);
        }
    }
    let times: Vec<i64> = kids.iter().map(|&c| children[c].time.0).collect();
    for key in &t.esp {
        let flow = &esp[key];
        let by_spi = spi_owner.get(&flow.spi).copied();
        let n = times.partition_point(|&t| t <= flow.first.0 + ESP_START_SLACK_NS);
        let by_time = n.checked_sub(1).map(|i| kids[i]);
        if let Some(c) = by_spi.or(by_time) {
            children[c].esp.push(*key);
        }
    }
}

fn pair(a: IpAddr, b: IpAddr) -> (IpAddr, IpAddr) {
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}

impl Model {
    /// Build the model from collected data.
    pub fn build(mut data: Collected) -> Model {
        // The ESP flows are ordered on one core while the IKE messages are grouped into
        // tunnels and the IKE side of each tunnel is built on the other (and on both once the
        // flows are done): `finish` ends what was collected about IKE, not ESP.
        let table = std::mem::take(&mut data.esp);
        let ((esp, esp_end, esp_pairs), (sides, ike_end, lost)) = rayon::join(
            || {
                let esp = sorted_flows(table);
                let end = esp.values().map(|f| f.last).max();
                // the pairs of peers of the flows (a tunnel each, with or without IKE)
                let mut pairs: Vec<(IpAddr, IpAddr)> = esp.keys().map(|k| pair(k.0, k.1)).collect();
                pairs.sort_unstable();
                pairs.dedup();
                (esp, end, pairs)
            },
            || {
                data.finish();
                let data = &data;
                // IKE messages in time order (stable: file order, then frame order, for ties).
                let mut order: Vec<usize> = (0..data.ike.len()).collect();
                order.sort_by_key(|&i| (data.ike[i].time, data.ike[i].file_index, data.ike[i].frame));
                let mut tunnel_of: BTreeMap<(IpAddr, IpAddr), Vec<usize>> = BTreeMap::new();
                for &i in &order {
                    let r = &data.ike[i];
                    tunnel_of.entry(pair(r.src, r.dst)).or_default().push(i);
                }
                let lost = LostFragments::of(data);
                let sides: Vec<TunnelParts> = tunnel_of
                    .into_iter()
                    .collect::<Vec<_>>()
                    .into_par_iter()
                    .map(|((a, b), msgs)| ike_side(data, &lost, [a, b], &msgs))
                    .collect();
                (sides, data.ike.iter().map(|r| r.time).max(), lost)
            },
        );
        // the tunnels of ESP flows without IKE join in, in order of their peers
        let mut slots: Vec<Slot> = Vec::with_capacity(sides.len() + esp_pairs.len());
        let mut sides = sides.into_iter().peekable();
        for p in esp_pairs {
            while let Some(side) = sides.next_if(|s| (s.tunnel.peers[0], s.tunnel.peers[1]) < p) {
                slots.push(Slot::Ike(side));
            }
            if sides
                .peek()
                .is_none_or(|s| (s.tunnel.peers[0], s.tunnel.peers[1]) != p)
            {
                slots.push(Slot::EspOnly([p.0, p.1]));
            }
        }
        slots.extend(sides.map(Slot::Ike));
        let mut capture_end = Timestamp::default().max(esp_end.unwrap_or_default());
        capture_end = capture_end.max(ike_end.unwrap_or_default());
        for g in data.groups.values() {
            capture_end = capture_end.max(g.last);
        }
        // each tunnel's ESP side depends on its own flows only: on all cores
        let mut built: Vec<TunnelParts> = slots
            .into_par_iter()
            .enumerate()
            .map(|(index, slot)| {
                let mut parts = match slot {
                    Slot::Ike(parts) => parts,
                    Slot::EspOnly(peers) => ike_side(&data, &lost, peers, &[]),
                };
                add_esp(&esp, index, &mut parts);
                parts
            })
            .collect();
        // numbered in the whole model: a tunnel's SAs and CHILD SAs come after those of the
        // tunnels before it
        let mut firsts = Vec::with_capacity(built.len());
        let (mut sa_count, mut child_count) = (0, 0);
        for parts in &built {
            firsts.push((sa_count, child_count));
            sa_count += parts.sas.len();
            child_count += parts.children.len();
        }
        built
            .par_iter_mut()
            .zip(firsts.par_iter())
            .for_each(|(parts, &(first_sa, first_child))| parts.number_from(first_sa, first_child));
        let mut tunnels = Vec::with_capacity(built.len());
        let mut contents = Vec::with_capacity(built.len());
        for parts in built {
            tunnels.push(parts.tunnel);
            contents.push((parts.sas, parts.children));
        }
        let mut model = Model {
            data,
            tunnels,
            sas: Vec::new(),
            children: Vec::new(),
            esp,
            capture_end,
            bgp: Vec::new(),
            inner_tunnel: HashMap::new(),
            inside: Vec::new(),
        };
        // the SAs are gathered on one core while the tunnels' contents are placed on the other
        // (which reads no SA)
        let ((sas, children), (bgp, inner_tunnel, inside)) = rayon::join(
            || {
                let mut sas: Vec<IkeSa> = Vec::with_capacity(sa_count);
                let mut children: Vec<ChildSa> = Vec::with_capacity(child_count);
                for (s, c) in contents {
                    sas.extend(s);
                    children.extend(c);
                }
                (sas, children)
            },
            || {
                // one index of the tunnels places both the BGP sessions and the inner flows
                let index = super::inner_tunnels::TunnelIndex::new(&model);
                let bgp = super::bgp_state::sessions(&model, &index);
                let inner_tunnel = super::inner_tunnels::flow_tunnels(&model, &index);
                let inside = inside(&model, &bgp, &inner_tunnel);
                (bgp, inner_tunnel, inside)
            },
        );
        model.sas = sas;
        model.children = children;
        model.bgp = bgp;
        model.inner_tunnel = inner_tunnel;
        model.inside = inside;
        model
    }

    /// Frame of an IKE message by record index.
    pub fn frame_of(&self, index: usize) -> FrameRef {
        let r = &self.data.ike[index];
        FrameRef {
            file: r.file_index,
            frame: r.frame,
        }
    }
}

fn spi32(b: &[u8]) -> Option<u32> {
    if b.len() == 4 {
        Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::order_by_key;

    /// In-place ordering gives what a stable sort gives, with repeated keys and on every size
    /// up to 300 (pseudo-random permutations).
    #[test]
    fn order_by_key_is_a_stable_sort() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for n in 0..300usize {
            let items: Vec<(u64, usize)> = (0..n)
                .map(|i| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    (x % (n as u64 / 3 + 1), i)
                })
                .collect();
            let mut expected = items.clone();
            expected.sort_by_key(|p| p.0);
            let mut got = items;
            order_by_key(&mut got, |p| p.0);
            assert_eq!(got, expected, "n = {n}");
        }
    }
}
