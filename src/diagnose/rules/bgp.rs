//! bgp_down / bgp_flap: the BGP session carried by the tunnel ("phase 2 succeeded but BGP is
//! Abnormal").
//!
//! Wire signatures (TCP port 179 inside the tunnel, decrypted or seen in the clear):
//! - bgp_down (error): at the end of the capture the session is not established: SYNs never
//!   answered (BGP blocked, or the neighbour address is wrong), answered by RST (nothing
//!   listens for this neighbour), an OPEN never answered, a NOTIFICATION (its code and subcode
//!   say why: Bad Peer AS, Unacceptable Hold Time, Bad BGP Identifier...), or a hold-timer expiry
//!   (NOTIFICATION Hold Timer Expired, or silence longer than the negotiated hold time).
//! - bgp_flap (warning): the session is up (or was shut down on purpose) at the end, but it was
//!   established more than once, or a hold timer expired on the way.

use crate::diagnose::{Confidence, Ctx, Finding, FindingKind, Severity};
use crate::reconstruct::bgp_state::{BgpSession, BgpState};
use ikescope_parsers::bgp::ErrorCode;
use std::net::IpAddr;

/// Run the rule.
pub fn run(ctx: &mut Ctx<'_>) {
    let model = ctx.model;
    for s in &model.bgp {
        if s.state.is_down() {
            down(ctx, s);
        } else if s.established_count >= 2 || !s.expiries.is_empty() {
            flap(ctx, s);
        }
    }
}

/// The tunnel id a BGP session's findings hang on (`inner:A-B` when no tunnel matched).
pub fn tunnel_id(ctx: &Ctx<'_>, s: &BgpSession) -> String {
    match s.tunnel {
        Some(t) => ctx.model.tunnels[t].id.clone(),
        None => format!("inner:{}-{}", s.speakers[0], s.speakers[1]),
    }
}

/// "10.2.0.1 (behind gateway 198.51.100.1)".
pub fn speaker(s: &BgpSession, a: IpAddr) -> String {
    match s.gateways[s.side_of(a)] {
        Some(g) => format!("{a} (behind gateway {g})"),
        None => a.to_string(),
    }
}

fn other(s: &BgpSession, a: IpAddr) -> IpAddr {
    s.speakers[1 - s.side_of(a)]
}

fn base(ctx: &Ctx<'_>, s: &BgpSession, kind: FindingKind, severity: Severity, certain: bool) -> Finding {
    let mut f = Finding::new(kind, &tunnel_id(ctx, s), severity, Confidence::of(certain));
    f.detail("bgp_speakers", s.speakers);
    f.detail("bgp_state", s.state.as_str());
    f.detail("connections", s.connections.len());
    f.detail("established_times", s.established_count);
    if let Some(h) = s.hold_time {
        f.detail("hold_time", h);
    }
    let conns = &ctx.model.data.bgp.connections;
    for &i in s.connections.iter().take(6) {
        let c = &conns[i];
        f.evidence(
            ctx.model,
            c.first_frame,
            format!(
                "TCP {}:{} -> {}:{}: {} SYN, {} SYN-ACK{}{}",
                c.client.0,
                c.client.1,
                c.server.0,
                c.server.1,
                c.syns,
                c.syn_acks,
                if c.established.is_some() {
                    ", BGP established"
                } else {
                    ""
                },
                match c.notification() {
                    Some((_, n)) => format!(", NOTIFICATION {}", n.describe()),
                    None => String::new(),
                }
            ),
        );
    }
    f
}

fn down(ctx: &mut Ctx<'_>, s: &BgpSession) {
    let certain = !matches!(s.state, BgpState::NoAnswer) || s.connections.len() > 1;
    let mut f = base(ctx, s, FindingKind::BgpDown, Severity::Error, certain);
    let [a, b] = s.speakers;
    let ipsec = "the IPsec tunnel carries it but";
    let conns = &ctx.model.data.bgp.connections;
    let syns: u32 = s.connections.iter().map(|&i| conns[i].syns).sum();
    match &s.state {
        BgpState::NoAnswer => {
            f.summary =
                format!("BGP {a} -> {b} down: {ipsec} {syns} TCP SYN to port 179 were never answered");
            f.fix = Some(format!(
                "on {}: let TCP port 179 from {a} in over the tunnel (firewall, ACL, security group) and check that BGP there has neighbour {a}; on {}: check that {b} is the right neighbour address",
                speaker(s, b),
                speaker(s, a)
            ));
        }
        BgpState::Refused => {
            f.summary = format!("BGP {a} -> {b} down: {ipsec} TCP port 179 is refused (RST)");
            f.fix = Some(format!(
                "on {}: nothing accepts BGP from {a}: configure the neighbour {a} (or fix the neighbour address / source address on {a})",
                speaker(s, b)
            ));
        }
        BgpState::OpenUnanswered => {
            f.summary = format!("BGP {a} - {b} down: {ipsec} an OPEN was never answered");
            f.fix = Some(format!(
                "compare the BGP neighbour settings of {a} and {b} (addresses, AS, multihop/TTL)"
            ));
        }
        BgpState::Notification { by, notification } => {
            let peer = other(s, *by);
            f.summary = format!(
                "BGP {a} - {b} down: {ipsec} {by} refused the session with NOTIFICATION {}",
                notification.describe()
            );
            f.detail("notification", notification.describe());
            f.detail("notification_code", notification.code.0);
            f.detail("notification_subcode", notification.subcode.0);
            f.detail("notification_sent_by", by);
            f.evidence(
                ctx.model,
                notification.at,
                format!("{by} sends NOTIFICATION {}", notification.describe()),
            );
            f.fix = Some(notification_fix(
                s,
                *by,
                peer,
                notification.code,
                notification.subcode.0,
            ));
        }
        BgpState::HoldTimerExpired => {
            hold_summary(s, &mut f, true);
        }
        BgpState::Closed => {
            f.summary =
                format!("BGP {a} - {b} down: {ipsec} its TCP connection closed without a NOTIFICATION");
            f.fix = Some(format!(
                "read the BGP logs of {a} and {b} for why the connection closed"
            ));
        }
        BgpState::Established | BgpState::Shutdown { .. } => return,
    }
    for e in &s.expiries {
        f.evidence(ctx.model, e.at, expiry_note(e, s.hold_time));
    }
    ctx.add(f);
}

fn notification_fix(s: &BgpSession, by: IpAddr, peer: IpAddr, code: ErrorCode, subcode: u8) -> String {
    let on = speaker(s, by);
    let peer_as = s.autonomous_systems[s.side_of(peer)];
    match (code.0, subcode) {
        (2, 2) => match peer_as {
            Some(asn) => format!(
                "on {on}: the neighbour {peer} announces AS {asn} in its OPEN: set the remote AS of neighbour {peer} to {asn} (or, if {asn} is wrong, the local AS on {peer})"
            ),
            None => format!("on {on}: the remote AS configured for neighbour {peer} differs from the AS {peer} announces"),
        },
        (2, 3) => format!(
            "{by} and {peer} need different, valid BGP identifiers (router IDs): change the router ID on one end"
        ),
        (2, 6) => format!(
            "on {peer}: the hold time it proposes is refused by {by}: use 0 or at least 3 seconds, within {by}'s accepted range"
        ),
        (2, 7) => format!("on {by} or {peer}: a capability one requires the other does not support: align the address families / capabilities"),
        (2, 1) => format!("{peer} speaks a BGP version {by} does not: use BGP-4 on both"),
        (4, _) => format!("KEEPALIVEs from {peer} stopped reaching {by}: check the tunnel for loss during the silence (ESP, DPD, MTU)"),
        (6, _) => format!("{by} closed the session on purpose (Cease): see its BGP configuration and logs"),
        _ => format!("compare the BGP settings for this neighbour on {by} and {peer}; {by}'s NOTIFICATION names the problem"),
    }
}

fn expiry_note(e: &crate::reconstruct::bgp_state::Expiry, hold: Option<u16>) -> String {
    let h = hold.map(|h| format!(" ({h} s)")).unwrap_or_default();
    if e.seen {
        format!("{} sends NOTIFICATION Hold Timer Expired{h}", e.noticed_by)
    } else {
        format!(
            "last message to {}: then nothing for longer than the hold time{h}",
            e.noticed_by
        )
    }
}

fn hold_summary(s: &BgpSession, f: &mut Finding, down: bool) {
    let [a, b] = s.speakers;
    let h = s
        .hold_time
        .map(|h| format!("{h} s"))
        .unwrap_or_else(|| "the hold time".into());
    f.summary = if down {
        format!(
            "BGP {a} - {b} down: its hold timer ({h}) expired: KEEPALIVEs stopped getting through the tunnel"
        )
    } else {
        format!(
            "BGP {a} - {b} flapped: established {}, hold timer ({h}) expired {}",
            crate::wording::times(s.established_count as usize),
            crate::wording::times(s.expiries.len())
        )
    };
    f.fix = Some(format!(
        "the path between the gateways lost the tunnel's packets for longer than the {h} hold time: look for ESP loss or outages (sequence gaps, DPD) between {} and {}; a longer hold time only hides short outages",
        speaker(s, a),
        speaker(s, b)
    ));
}

fn flap(ctx: &mut Ctx<'_>, s: &BgpSession) {
    let certain = s.expiries.iter().any(|e| e.seen) || s.established_count >= 2;
    let mut f = base(ctx, s, FindingKind::BgpFlap, Severity::Warning, certain);
    hold_summary(s, &mut f, false);
    if s.expiries.is_empty() {
        f.summary = format!(
            "BGP {} - {} flapped: established {}",
            s.speakers[0],
            s.speakers[1],
            crate::wording::times(s.established_count as usize)
        );
        f.fix = Some(format!(
            "read the BGP logs of {} and {} for why the session restarted",
            s.speakers[0], s.speakers[1]
        ));
    }
    for e in &s.expiries {
        f.evidence(ctx.model, e.at, expiry_note(e, s.hold_time));
    }
    ctx.add(f);
}
