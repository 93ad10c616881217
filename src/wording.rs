//! How values are written for people, shared by the findings (diagnose) and the reports:
//! notify lists, traffic selectors, payload abbreviations, inner flows. Presentation only; it
//! sits just above [`crate::record`] so that every layer may use it.

use crate::record::{InnerFlowInfo, TrafficSelector};
use ikescope_parsers::iana::{IkeVersion, NotifyType, PayloadType};

/// Notify types with their names in the registry of `version`, e.g.
/// `TS_UNACCEPTABLE(38), N(16399)`.
pub fn notify_list(version: IkeVersion, types: &[NotifyType]) -> String {
    let v: Vec<String> = types.iter().map(|&t| notify_name(version, t)).collect();
    v.join(", ")
}

/// One notify type's name in the registry of `version` (IKEv1 17 is INVALID-KEY-INFORMATION,
/// IKEv2 17 INVALID_KE_PAYLOAD), or `N(<number>)`.
pub fn notify_name(version: IkeVersion, t: NotifyType) -> String {
    match t.name(version) {
        Some(n) => format!("{n}({})", t.0),
        None => format!("N({})", t.0),
    }
}

/// Traffic selectors as `10.1.0.0/24` style ranges (or `a-b`), with protocol/ports when set.
pub fn selectors(ts: &[TrafficSelector]) -> Vec<String> {
    ts.iter()
        .map(|t| {
            let side = match t.payload {
                PayloadType::V2_TSI => "TSi",
                PayloadType::V2_TSR => "TSr",
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

/// Payload abbreviations as strongSwan logs them (presentation only), `P(<number>)` for the
/// others.
pub fn payload_abbrev(version: IkeVersion, t: PayloadType) -> String {
    match t.log_abbrev(version) {
        Some(a) => a.to_string(),
        None => format!("P({})", t.0),
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

/// How often something happened, for a sentence: `once`, `twice`, `3 times`.
pub fn times(n: usize) -> String {
    match n {
        1 => "once".to_string(),
        2 => "twice".to_string(),
        n => format!("{} times", count(n as u64)),
    }
}

/// `1234567` → `1,234,567`.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_reads_as_a_sentence() {
        assert_eq!(times(1), "once");
        assert_eq!(times(2), "twice");
        assert_eq!(times(3), "3 times");
        assert_eq!(times(12_000), "12,000 times");
    }

    #[test]
    fn notify_names_come_from_the_message_version() {
        let notes = [
            NotifyType(17),
            NotifyType(14),
            NotifyType(16384),
            NotifyType(8191),
        ];
        assert_eq!(
            notify_list(IkeVersion::V1, &notes),
            "INVALID-KEY-INFORMATION(17), NO-PROPOSAL-CHOSEN(14), CONNECTED(16384), N(8191)"
        );
        assert_eq!(
            notify_list(IkeVersion::V2, &notes),
            "INVALID_KE_PAYLOAD(17), NO_PROPOSAL_CHOSEN(14), INITIAL_CONTACT(16384), N(8191)"
        );
        // IKEv1-only numbers are not named from the IKEv2 registry and vice versa.
        assert_eq!(notify_name(IkeVersion::V2, NotifyType(18)), "N(18)");
        assert_eq!(notify_name(IkeVersion::V1, NotifyType(38)), "N(38)");
    }

    #[test]
    fn payload_abbreviations() {
        assert_eq!(payload_abbrev(IkeVersion::V2, PayloadType::V2_NONCE), "No");
        assert_eq!(
            payload_abbrev(IkeVersion::V1, PayloadType::V1_NAT_D_DRAFT),
            "NAT-D"
        );
        assert_eq!(payload_abbrev(IkeVersion::V1, PayloadType::V2_SA), "P(33)");
    }
}
