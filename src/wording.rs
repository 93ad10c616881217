//! How values are written for people, shared by the findings (diagnose) and the reports:
//! notify lists, traffic selectors, payload abbreviations, inner flows. Presentation only; it
//! sits just above [`crate::record`] so that every layer may use it.

use crate::record::{InnerFlowInfo, TrafficSelector};
use ikescope_parsers::names;

/// Notify types with their names, e.g. `TS_UNACCEPTABLE(38), N(16399)`.
pub fn notify_list(types: &[u16]) -> String {
    let v: Vec<String> = types.iter().map(|&t| notify_name(t)).collect();
    v.join(", ")
}

/// One notify type's name, or `N(<number>)`.
pub fn notify_name(t: u16) -> String {
    names::notify(2, t)
        .or_else(|| names::notify(1, t))
        .map(|n| format!("{n}({t})"))
        .unwrap_or_else(|| format!("N({t})"))
}

/// Traffic selectors as `10.1.0.0/24` style ranges (or `a-b`), with protocol/ports when set.
pub fn selectors(ts: &[TrafficSelector]) -> Vec<String> {
    ts.iter()
        .map(|t| {
            let side = match t.payload {
                44 => "TSi",
                45 => "TSr",
                _ => "ID",
            };
            let range = match ipnet::IpNet::new(t.start, prefix_len(t)).ok() {
                Some(net) if net.network() == t.start && net.broadcast() == t.end => net.to_string(),
                _ => format!("{}-{}", t.start, t.end),
            };
            let mut s = format!("{side}={range}");
            if t.protocol != 0 {
                s.push_str(&format!("[proto {}", t.protocol));
                if !(t.start_port == 0 && t.end_port == 65535) {
                    s.push_str(&format!(" ports {}-{}", t.start_port, t.end_port));
                }
                s.push(']');
            }
            s
        })
        .collect()
}

fn prefix_len(t: &TrafficSelector) -> u8 {
    use std::net::IpAddr;
    match (t.start, t.end) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            let diff = u32::from(a) ^ u32::from(b);
            (32 - (32 - diff.leading_zeros())) as u8
        }
        (IpAddr::V6(a), IpAddr::V6(b)) => {
            let diff = u128::from(a) ^ u128::from(b);
            (128 - (128 - diff.leading_zeros())) as u8
        }
        _ => 0,
    }
}

/// IKEv2 payload abbreviations as strongSwan logs them (presentation only).
pub fn payload_abbrev(version: u8, t: u8) -> String {
    let s = if version == 1 {
        match t {
            1 => "SA",
            4 => "KE",
            5 => "ID",
            6 => "CERT",
            7 => "CR",
            8 => "HASH",
            9 => "SIG",
            10 => "No",
            11 => "N",
            12 => "D",
            13 => "V",
            14 => "ATTR",
            20 | 130 => "NAT-D",
            21 | 131 => "NAT-OA",
            132 => "FRAG",
            _ => "",
        }
    } else {
        match t {
            33 => "SA",
            34 => "KE",
            35 => "IDi",
            36 => "IDr",
            37 => "CERT",
            38 => "CERTREQ",
            39 => "AUTH",
            40 => "No",
            41 => "N",
            42 => "D",
            43 => "V",
            44 => "TSi",
            45 => "TSr",
            46 => "SK",
            47 => "CP",
            48 => "EAP",
            53 => "SKF",
            _ => "",
        }
    };
    if s.is_empty() {
        format!("P({t})")
    } else {
        s.to_string()
    }
}

/// `src:port -> dst:port proto N` for an inner flow.
pub fn inner_flow_text(f: &InnerFlowInfo) -> String {
    let port = |p: Option<u16>| p.map(|p| format!(":{p}")).unwrap_or_default();
    let proto = match f.proto {
        1 => "icmp".to_string(),
        6 => "tcp".to_string(),
        17 => "udp".to_string(),
        58 => "icmpv6".to_string(),
        n => format!("proto {n}"),
    };
    format!("{}{} -> {}{} {proto}", f.src, port(f.sport), f.dst, port(f.dport))
}
