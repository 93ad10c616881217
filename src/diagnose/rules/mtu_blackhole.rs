//! mtu_blackhole: large packets inside the tunnel vanish while small ones pass (warning).
//!
//! Signature: an inner TCP flow whose full-size segments are sent again and again and never
//! acknowledged, while its small packets get answered (handshake, small segments acknowledged);
//! the vanished segments are all larger than anything acknowledged and at least 576 bytes. The
//! usual cause is a path MTU smaller than the ESP packets the tunnel makes of them, with the
//! ICMP "fragmentation needed" lost or filtered, or IP fragments dropped on the way. The fix
//! clamps the TCP MSS to what fits: path MTU minus the ESP overhead of the negotiated
//! transforms (outer IP, UDP encapsulation, ESP header, IV, worst-case padding, trailer, ICV)
//! minus the inner TCP/IP headers.

use crate::diagnose::{Confidence, Ctx, Finding, FindingKind, Severity};
use crate::reconstruct::inner_health::{FlowHealth, FlowKey};
use crate::reconstruct::Tunnel;
use ikescope_parsers::iana::{IkeVersion, ProtocolId};
use std::net::IpAddr;

/// Vanished packets smaller than this are not a size problem (every path carries 576 bytes).
const MIN_SUSPECT_SIZE: u32 = 576;
/// The outer path MTU assumed when the capture shows none.
const ASSUMED_PATH_MTU: u32 = 1500;

/// ESP encryption as far as its size is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EspSizes {
    /// IV bytes.
    pub iv: u32,
    /// Padding block (payload + trailer align to it).
    pub block: u32,
    /// ICV bytes.
    pub icv: u32,
    /// strongSwan-style name of the transforms, for the text.
    pub name: &'static str,
}

/// AES-CBC with HMAC-SHA2-256-128, the common default, when the transforms are not visible.
pub const DEFAULT_SIZES: EspSizes = EspSizes {
    iv: 16,
    block: 16,
    icv: 16,
    name: "aes-cbc/sha256 (assumed)",
};

/// Sizes of the ESP transforms (IKEv2 transform IDs; IKEv1 ESP transform IDs share the numbers
/// for the ciphers) and integrity ICV length.
pub fn esp_sizes(encr: u16, integ_icv: Option<u32>) -> Option<EspSizes> {
    let (iv, block, aead_icv, name) = match encr {
        3 => (8, 8, None, "3des"),
        12 => (16, 16, None, "aes-cbc"),
        13 => (8, 4, None, "aes-ctr"),
        14 => (8, 4, Some(8), "aes-ccm8"),
        15 => (8, 4, Some(12), "aes-ccm12"),
        16 => (8, 4, Some(16), "aes-ccm16"),
        18 => (8, 4, Some(8), "aes-gcm8"),
        19 => (8, 4, Some(12), "aes-gcm12"),
        20 => (8, 4, Some(16), "aes-gcm16"),
        28 => (8, 4, Some(16), "chacha20poly1305"),
        11 => (0, 4, None, "null"),
        _ => return None,
    };
    Some(EspSizes {
        iv,
        block,
        icv: aead_icv.or(integ_icv).unwrap_or(0),
        name,
    })
}

/// ICV length of an IKEv2 integrity transform ID.
pub fn integ_icv(id: u16) -> Option<u32> {
    Some(match id {
        1 | 2 | 5 | 9 => 12,
        12 => 16,
        13 => 24,
        14 => 32,
        _ => return None,
    })
}

/// Bytes a tunnel adds to an inner packet at most: outer IP header, UDP (NAT-T), ESP header,
/// IV, padding (worst case), pad length and next header, ICV.
pub fn esp_overhead(sizes: EspSizes, outer_v6: bool, udp: bool) -> u32 {
    let ip = if outer_v6 { 40 } else { 20 };
    ip + if udp { 8 } else { 0 } + 8 + sizes.iv + (sizes.block - 1) + 2 + sizes.icv
}

/// The negotiated ESP transforms of a tunnel, from its CHILD SA responses (clear or decrypted).
fn tunnel_sizes(ctx: &Ctx<'_>, t: &Tunnel) -> Option<EspSizes> {
    let model = ctx.model;
    for &c in &t.children {
        let child = &model.children[c];
        let sa = &model.sas[child.ike_sa];
        let Some(resp) = sa.exchanges.get(child.exchange).and_then(|x| x.responses.first()) else {
            continue;
        };
        let ike = ctx.ike(resp);
        let proposals = ike
            .decrypted
            .as_ref()
            .map(|d| &d.proposals[..])
            .unwrap_or(&ike.proposals[..]);
        for p in proposals.iter().filter(|p| p.protocol == ProtocolId::ESP) {
            let (mut encr, mut icv) = (None, None);
            for tr in &p.transforms {
                if ike.ike_version() == Some(IkeVersion::V2) {
                    match tr.kind {
                        1 => encr = Some(tr.id),
                        3 => icv = integ_icv(tr.id),
                        _ => {}
                    }
                } else {
                    encr = Some(tr.id);
                    // IKEv1 authentication algorithm attribute (type 5)
                    icv =
                        tr.attributes
                            .iter()
                            .find(|a| a.kind == 5)
                            .and_then(|a| match a.value.as_u64()? {
                                1 | 2 => Some(12),
                                5 => Some(16),
                                6 => Some(24),
                                7 => Some(32),
                                _ => None,
                            });
                }
            }
            if let Some(s) = encr.and_then(|e| esp_sizes(e, icv)) {
                return Some(s);
            }
        }
    }
    None
}

/// Run the rule.
pub fn run(ctx: &mut Ctx<'_>) {
    let model = ctx.model;
    let mut keys: Vec<&FlowKey> = model.data.inner_health.flows.keys().collect();
    keys.sort();
    for k in keys {
        let f = &model.data.inner_health.flows[k];
        let Some(t) = &f.tcp else { continue };
        let Some(smallest) = t.smallest_vanished else {
            continue;
        };
        if !(t.answered && smallest >= MIN_SUSPECT_SIZE && smallest > t.largest_acked) {
            continue;
        }
        report(ctx, k, f, model.inner_tunnel.get(k).copied());
    }
}

fn report(ctx: &mut Ctx<'_>, k: &FlowKey, f: &FlowHealth, tunnel: Option<usize>) {
    let model = ctx.model;
    let Some(t) = f.tcp.as_ref() else { return };
    let smallest = t.smallest_vanished.unwrap_or(0);
    let tun = tunnel.map(|i| &model.tunnels[i]);
    let id = match tun {
        Some(t) => t.id.clone(),
        None => format!("inner:{}-{}", k.src.min(k.dst), k.src.max(k.dst)),
    };
    let sizes = tun.and_then(|t| tunnel_sizes(ctx, t));
    let outer_v6 = tun.is_some_and(|t| t.peers[0].is_ipv6());
    let udp = tun.is_some_and(|t| t.esp.iter().filter_map(|e| model.esp.get(e)).any(|e| e.udp_encap));
    let overhead = esp_overhead(sizes.unwrap_or(DEFAULT_SIZES), outer_v6, udp);
    let inner_headers = if k.src.is_ipv6() { 60 } else { 40 };
    // a path MTU the capture shows: ICMP too-big inside, or about the tunnel's ESP outside
    let icmp_mtu = path_mtu(ctx, k, tun);
    let path = icmp_mtu.unwrap_or(ASSUMED_PATH_MTU);
    let clamp = path.saturating_sub(overhead + inner_headers);
    let mut finding = Finding::new(
        FindingKind::MtuBlackhole,
        &id,
        Severity::Warning,
        Confidence::Likely,
    );
    let passing = if t.largest_acked > 0 {
        format!("segments up to {} bytes are acknowledged", t.largest_acked)
    } else {
        "its small handshake packets are answered".to_string()
    };
    finding.summary = format!(
        "{}:{} -> {}:{}: TCP segments of {smallest} bytes and more vanish ({} retransmissions, never acknowledged) while {passing}: a path-MTU black hole",
        k.src, k.sport, k.dst, k.dport, t.retransmissions
    );
    finding.fix = Some(match icmp_mtu {
        Some(m) => format!(
            "clamp the TCP MSS on both gateways' tunnel interfaces to {clamp} (path MTU {m} minus {overhead} bytes of ESP ({}) minus {inner_headers} of TCP/IP headers), or lower the tunnel interface MTU to {}",
            sizes.unwrap_or(DEFAULT_SIZES).name,
            m.saturating_sub(overhead)
        ),
        None => format!(
            "clamp the TCP MSS on both gateways' tunnel interfaces to the path MTU minus {} bytes ({} for a 1500-byte path; ESP {} adds {overhead}, TCP/IP {inner_headers}); the path here carries less than {} bytes of ESP: measure it with DF pings between the gateways, and let ICMP fragmentation-needed through",
            overhead + inner_headers,
            clamp,
            sizes.unwrap_or(DEFAULT_SIZES).name,
            smallest + overhead
        ),
    });
    finding.detail("flow", format!("{}:{} -> {}:{}", k.src, k.sport, k.dst, k.dport));
    finding.detail("smallest_vanished", smallest);
    finding.detail("largest_vanished", t.largest_vanished);
    finding.detail("largest_acknowledged", t.largest_acked);
    finding.detail("retransmissions", t.retransmissions);
    finding.detail("esp_overhead", overhead);
    finding.detail("mss_clamp", clamp);
    finding.detail("path_mtu", icmp_mtu);
    let fragmented: u64 = tun
        .map(|t| {
            t.esp
                .iter()
                .filter_map(|e| model.data.esp_fragmented.get(e))
                .sum()
        })
        .unwrap_or(0);
    finding.detail("esp_ip_fragmented", fragmented);
    if let Some(mss) = t.syn_mss {
        finding.detail("syn_mss", mss);
        finding.detail("mss_exceeds_tunnel", u32::from(mss) > clamp);
    }
    finding.evidence(
        model,
        f.first_frame,
        format!(
            "first packet of {}:{} -> {}:{}{}",
            k.src,
            k.sport,
            k.dst,
            k.dport,
            t.syn_mss.map(|m| format!(" (SYN MSS {m})")).unwrap_or_default()
        ),
    );
    ctx.add(finding);
}

/// The smallest MTU named by an ICMP too-big error about this flow (inside the tunnel) or about
/// the tunnel's ESP (outside).
fn path_mtu(ctx: &Ctx<'_>, k: &FlowKey, tun: Option<&Tunnel>) -> Option<u32> {
    let model = ctx.model;
    let inside = model
        .data
        .inner_health
        .flows
        .iter()
        .filter(|(rk, _)| rk.dst == k.src)
        .filter_map(|(_, r)| r.too_big_mtu);
    let outside = tun.into_iter().flat_map(|t| {
        let peers: [IpAddr; 2] = t.peers;
        model.data.icmp.iter().filter_map(move |r| {
            let i = r.icmp.as_deref()?;
            (peers.contains(&i.quoted.src) && peers.contains(&i.quoted.dst) && i.quoted.proto != 17
                || i.quoted.esp_spi.is_some())
            .then_some(i.mtu)
            .flatten()
        })
    });
    inside.chain(outside).filter(|&m| m >= 68).min()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overhead_of_common_transforms() {
        // AES-CBC + SHA2-256-128 in UDP over IPv4: 20 + 8 + 8 + 16 + 15 + 2 + 16
        let s = esp_sizes(12, integ_icv(12)).unwrap();
        assert_eq!(esp_overhead(s, false, true), 85);
        // AES-GCM-16 over IPv6 without UDP: 40 + 8 + 8 + 3 + 2 + 16
        assert_eq!(esp_overhead(esp_sizes(20, None).unwrap(), true, false), 77);
        // 3DES + SHA1-96: 20 + 8 + 8 + 7 + 2 + 12
        assert_eq!(
            esp_overhead(esp_sizes(3, integ_icv(2)).unwrap(), false, false),
            57
        );
        assert!(esp_sizes(99, None).is_none());
    }
}
