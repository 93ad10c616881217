//! The traffic inside a tunnel as the reports show it: the BGP sessions it carries (the
//! tunnel header's `BGP` line, JSON `bgp`) and the health of its inner TCP flows (`tcp` lines,
//! JSON `inner_health`).

use crate::reconstruct::bgp_state::{BgpSession, BgpState};
use crate::reconstruct::inner_health::{FlowHealth, FlowKey};
use crate::reconstruct::{Model, Tunnel};
use serde_json::{json, Value};

/// The BGP sessions of a tunnel.
pub fn bgp_of<'m>(model: &'m Model, t: &Tunnel) -> Vec<&'m BgpSession> {
    let sessions = model.inside.get(t.index).map_or(&[][..], |i| &i.bgp[..]);
    sessions.iter().filter_map(|&n| model.bgp.get(n)).collect()
}

/// State words for the header, e.g. `established` or `down: NOTIFICATION OPEN Message Error /
/// Bad Peer AS from 10.2.0.1`.
pub fn bgp_state_text(s: &BgpSession) -> String {
    match &s.state {
        BgpState::Established => "established".into(),
        BgpState::Shutdown { by } => format!("established, then shut down by {by} (Cease)"),
        BgpState::NoAnswer => "down: TCP port 179 never answered".into(),
        BgpState::Refused => "down: TCP port 179 refused (RST)".into(),
        BgpState::OpenUnanswered => "down: OPEN never answered".into(),
        BgpState::Notification { by, notification } => {
            format!("down: NOTIFICATION {} from {by}", notification.describe())
        }
        BgpState::HoldTimerExpired => "down: hold timer expired".into(),
        BgpState::Closed => "down: connection closed".into(),
    }
}

/// One header line: speakers with their AS, state, timers and traffic.
pub fn bgp_line(s: &BgpSession) -> String {
    let who = |i: usize| match s.autonomous_systems[i] {
        Some(asn) => format!("{} (AS {asn})", s.speakers[i]),
        None => s.speakers[i].to_string(),
    };
    let mut line = format!("{} <-> {}: {}", who(0), who(1), bgp_state_text(s));
    if let Some(h) = s.hold_time {
        line.push_str(&format!("; hold time {h} s"));
    }
    if s.established_count > 1 {
        line.push_str(&format!("; established {} times", s.established_count));
    }
    if !s.expiries.is_empty() {
        line.push_str(&format!("; hold timer expired {} times", s.expiries.len()));
    }
    if s.keepalives != [0, 0] {
        line.push_str(&format!(
            "; KEEPALIVE {}/{}, UPDATE {}/{}",
            s.keepalives[0], s.keepalives[1], s.updates[0], s.updates[1]
        ));
    }
    for i in 0..2 {
        if !s.announced[i].is_empty() {
            let p: Vec<String> = s.announced[i].iter().take(5).map(|p| p.to_string()).collect();
            line.push_str(&format!("; {} announces {}", s.speakers[i], p.join(" ")));
        }
    }
    if s.clear {
        line.push_str(" (seen in the clear)");
    }
    line
}

/// The JSON form of a session (tunnel key `bgp`).
pub fn bgp_json(s: &BgpSession) -> Value {
    let notification = match &s.state {
        BgpState::Notification { by, notification } => json!({
            "sent_by": by,
            "code": notification.code.0,
            "subcode": notification.subcode.0,
            "name": notification.describe(),
        }),
        _ => Value::Null,
    };
    json!({
        "speakers": s.speakers,
        "autonomous_systems": s.autonomous_systems,
        "gateways": s.gateways,
        "state": s.state.as_str(),
        "text": bgp_state_text(s),
        "notification": notification,
        "hold_time": s.hold_time,
        "established_times": s.established_count,
        "hold_timer_expiries": s.expiries.len(),
        "connections": s.connections.len(),
        "keepalives": s.keepalives,
        "updates": s.updates,
        "longest_silence": s.longest_silence,
        "announced": s.announced.iter().map(|v| v.iter().map(|p| p.to_string()).collect::<Vec<_>>()).collect::<Vec<_>>(),
        "clear": s.clear,
    })
}

/// The inner TCP flows of a tunnel, sorted.
pub fn tcp_flows<'m>(model: &'m Model, t: &Tunnel) -> Vec<(&'m FlowKey, &'m FlowHealth)> {
    // (the tunnel's flows are listed in key order when the model is built)
    let keys = model.inside.get(t.index).map_or(&[][..], |i| &i.tcp[..]);
    keys.iter()
        .filter_map(|k| model.data.inner_health.flows.get_key_value(k))
        .collect()
}

/// `", 12 IP-fragmented on the way"` when ESP from `src` on the tunnel arrived in IP fragments.
pub fn fragmented_text(model: &Model, t: &Tunnel, src: std::net::IpAddr) -> String {
    let n: u64 = t
        .esp
        .iter()
        .filter(|k| k.0 == src)
        .filter_map(|k| model.data.esp_fragmented.get(k))
        .sum();
    if n == 0 {
        String::new()
    } else {
        format!(", {n} IP-fragmented on the way (outer path MTU)")
    }
}

/// A flow worth a line of its own: retransmissions, resets, vanished segments or ICMP errors.
pub fn troubled(f: &FlowHealth) -> bool {
    f.too_big_sent > 0
        || f.unreachable_sent > 0
        || f.tcp
            .as_ref()
            .is_some_and(|t| t.retransmissions > 0 || t.resets > 0 || t.vanished > 0)
}

/// `10.1.0.1:40000 -> 10.2.0.1:5001: 150 segments, 37 retransmitted, ...`.
pub fn tcp_line(k: &FlowKey, f: &FlowHealth) -> String {
    let Some(t) = &f.tcp else {
        return String::new();
    };
    let mut line = format!(
        "{}:{} -> {}:{}: {} packets, {} with data, {} retransmitted, {} RST",
        k.src, k.sport, k.dst, k.dport, f.packets, t.data_segments, t.retransmissions, t.resets
    );
    if let Some(m) = t.syn_mss {
        line.push_str(&format!(", MSS {m}"));
    }
    line.push_str(&format!(", largest {} B", f.largest));
    if t.vanished > 0 {
        line.push_str(&format!(
            ", {} segments of {}..{} B never acknowledged",
            t.vanished,
            t.smallest_vanished.unwrap_or(0),
            t.largest_vanished
        ));
    }
    if f.too_big_sent > 0 {
        line.push_str(&format!(", {} ICMP too-big", f.too_big_sent));
    }
    line
}

/// The JSON form of a flow's health (tunnel key `inner_health`).
pub fn tcp_json(k: &FlowKey, f: &FlowHealth) -> Value {
    let t = f.tcp.as_ref();
    json!({
        "src": k.src,
        "dst": k.dst,
        "sport": k.sport,
        "dport": k.dport,
        "clear": k.clear,
        "packets": f.packets,
        "bytes": f.bytes,
        "largest": f.largest,
        "syn_mss": t.and_then(|t| t.syn_mss),
        "data_segments": t.map(|t| t.data_segments),
        "retransmissions": t.map(|t| t.retransmissions),
        "resets": t.map(|t| t.resets),
        "largest_acknowledged": t.map(|t| t.largest_acked),
        "vanished": t.map(|t| t.vanished),
        "smallest_vanished": t.and_then(|t| t.smallest_vanished),
        "icmp_too_big": f.too_big_sent,
        "icmp_too_big_mtu": f.too_big_mtu,
        "icmp_unreachable": f.unreachable_sent,
    })
}
