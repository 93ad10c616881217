//! The state of each BGP session (one pair of speakers) over the whole capture, from its TCP
//! connections ([`super::bgp_sessions`]): established, failing and how, flapping, hold timer
//! expiries; and the tunnel that carried it.

use super::bgp_sessions::{Connection, NotificationSeen};
use super::collect::FrameRef;
use super::tunnels::Model;
use crate::record::Timestamp;
use ikescope_parsers::bgp::{ErrorCode, Prefix};
use std::net::IpAddr;

/// Cease subcodes that end a session on purpose (RFC 4486): administrative shutdown, peer
/// de-configured, administrative reset.
const CEASE_ON_PURPOSE: [u8; 3] = [2, 3, 4];
/// Cease subcode 7: connection collision resolution (one of two simultaneous connections closed).
const CEASE_COLLISION: u8 = 7;

/// Where a session stands at the end of the capture.
#[derive(Clone, Debug, PartialEq)]
pub enum BgpState {
    /// Both OPENs acknowledged, messages still flowing.
    Established,
    /// Was established, then one speaker ended it on purpose (Cease: administrative shutdown,
    /// de-configured or reset).
    Shutdown {
        /// Who sent the Cease.
        by: IpAddr,
    },
    /// TCP SYNs to port 179 never answered.
    NoAnswer,
    /// TCP SYNs to port 179 answered by RST.
    Refused,
    /// An OPEN was sent and never answered.
    OpenUnanswered,
    /// A NOTIFICATION ended the session before or after it was established.
    Notification {
        /// Who sent it.
        by: IpAddr,
        /// What it said.
        notification: NotificationSeen,
    },
    /// The hold timer expired: a NOTIFICATION Hold Timer Expired, or a silence longer than the
    /// hold time at the end of the capture.
    HoldTimerExpired,
    /// The TCP connection closed (FIN/RST) with no NOTIFICATION.
    Closed,
}

impl BgpState {
    /// The JSON / text spelling.
    pub fn as_str(&self) -> &'static str {
        match self {
            BgpState::Established => "established",
            BgpState::Shutdown { .. } => "shutdown",
            BgpState::NoAnswer => "no_answer",
            BgpState::Refused => "refused",
            BgpState::OpenUnanswered => "open_unanswered",
            BgpState::Notification { .. } => "notification",
            BgpState::HoldTimerExpired => "hold_timer_expired",
            BgpState::Closed => "closed",
        }
    }

    /// True when BGP is not working at the end of the capture.
    pub fn is_down(&self) -> bool {
        !matches!(self, BgpState::Established | BgpState::Shutdown { .. })
    }
}

/// A hold-timer expiry seen during the capture.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Expiry {
    /// The speaker whose timer expired (it sent the NOTIFICATION, or it heard nothing).
    pub noticed_by: IpAddr,
    /// When (the NOTIFICATION, or the last message heard plus the hold time).
    pub time: Timestamp,
    /// A frame to look at: the NOTIFICATION, or the last message heard from the silent end.
    pub at: FrameRef,
    /// The NOTIFICATION was seen (otherwise inferred from silence).
    pub seen: bool,
}

/// One BGP session: every connection between two speakers.
#[derive(Clone, Debug)]
pub struct BgpSession {
    /// Tunnel index, when known.
    pub tunnel: Option<usize>,
    /// The two speakers: the one that opened the first connection first.
    pub speakers: [IpAddr; 2],
    /// Their gateways (outer addresses), when the packets were decrypted from ESP.
    pub gateways: [Option<IpAddr>; 2],
    /// Seen in the clear (gateway capture) rather than decrypted.
    pub clear: bool,
    /// Indices into the tracker's connections, in time order.
    pub connections: Vec<usize>,
    /// State at the end of the capture.
    pub state: BgpState,
    /// Connections that reached Established.
    pub established_count: u32,
    /// Negotiated hold time of the latest connection with both OPENs.
    pub hold_time: Option<u16>,
    /// The AS of each speaker, from its latest OPEN.
    pub autonomous_systems: [Option<u32>; 2],
    /// Hold-timer expiries.
    pub expiries: Vec<Expiry>,
    /// KEEPALIVEs each speaker sent.
    pub keepalives: [u32; 2],
    /// UPDATEs each speaker sent.
    pub updates: [u32; 2],
    /// Prefixes each speaker announced (first few, deduplicated).
    pub announced: [Vec<Prefix>; 2],
    /// Longest silence of each speaker after its OPEN (seconds).
    pub longest_silence: [f64; 2],
    /// First packet.
    pub first: Timestamp,
    /// First frame.
    pub first_frame: FrameRef,
    /// Last packet.
    pub last: Timestamp,
}

impl BgpSession {
    /// Index (0/1) of a speaker.
    pub fn side_of(&self, a: IpAddr) -> usize {
        usize::from(self.speakers[0] != a)
    }
}

/// Every BGP session in the model, in order of first packet.
/// `index` places each session in its tunnel.
pub fn sessions(model: &Model, index: &super::inner_tunnels::TunnelIndex) -> Vec<BgpSession> {
    let conns = &model.data.bgp.connections;
    let mut order: Vec<usize> = (0..conns.len()).collect();
    order.sort_by_key(|&i| (conns[i].first, i));
    let mut out: Vec<BgpSession> = Vec::new();
    for i in order {
        let c = &conns[i];
        let pair = [c.client.0, c.server.0];
        let existing = out
            .iter_mut()
            .find(|s| s.clear == c.clear && s.speakers.contains(&pair[0]) && s.speakers.contains(&pair[1]));
        match existing {
            Some(s) => s.connections.push(i),
            None => out.push(BgpSession {
                tunnel: None,
                speakers: pair,
                gateways: [None; 2],
                clear: c.clear,
                connections: vec![i],
                state: BgpState::Closed,
                established_count: 0,
                hold_time: None,
                autonomous_systems: [None; 2],
                expiries: Vec::new(),
                keepalives: [0; 2],
                updates: [0; 2],
                announced: Default::default(),
                longest_silence: [0.0; 2],
                first: c.first,
                first_frame: c.first_frame,
                last: c.last,
            }),
        }
    }
    for s in &mut out {
        summarize(model, index, s);
    }
    out
}

fn summarize(model: &Model, index: &super::inner_tunnels::TunnelIndex, s: &mut BgpSession) {
    let conns = &model.data.bgp.connections;
    let mut esp = Vec::new();
    for &i in &s.connections {
        let c = &conns[i];
        s.last = s.last.max(c.last);
        esp.extend(c.esp.iter().copied());
        if c.established.is_some() {
            s.established_count += 1;
        }
        if let Some(h) = c.hold_time() {
            s.hold_time = Some(h);
        }
        for (k, sp) in c.speakers.iter().enumerate() {
            let me = s.side_of(if k == 0 { c.client.0 } else { c.server.0 });
            s.keepalives[me] += sp.keepalives;
            s.updates[me] += sp.updates;
            s.longest_silence[me] = s.longest_silence[me].max(sp.longest_silence);
            if let Some(o) = &sp.open {
                s.autonomous_systems[me] = Some(o.autonomous_system);
            }
            if s.gateways[me].is_none() {
                s.gateways[me] = sp.gateway;
            }
            for p in &sp.announced_prefixes {
                if s.announced[me].len() < super::bgp_sessions::MAX_PREFIXES && !s.announced[me].contains(p) {
                    s.announced[me].push(*p);
                }
            }
            if let Some(n) = &sp.notification {
                if n.code == ErrorCode::HOLD_TIMER_EXPIRED {
                    s.expiries.push(Expiry {
                        noticed_by: if k == 0 { c.client.0 } else { c.server.0 },
                        time: n.time,
                        at: n.at,
                        seen: true,
                    });
                }
            }
        }
        // a speaker silent for longer than the hold time on an established connection, up to
        // its close (or the end of the capture): the other end's hold timer expired, whether
        // or not its NOTIFICATION made it onto the capture
        if let (Some(_), Some(h)) = (c.established, c.hold_time()) {
            let end = if c.closed() { c.last } else { model.capture_end };
            let silent = (0..2)
                .filter_map(|k| {
                    let last = c.speakers[k].last_message?;
                    let gap = end.secs_since(last).max(c.speakers[k].longest_silence);
                    (h > 0 && gap > f64::from(h)).then_some((k, last))
                })
                .min_by_key(|(_, last)| *last);
            if let Some((k, last)) = silent {
                if !s.expiries.iter().any(|e| e.seen && e.time >= last) {
                    let other = if k == 0 { c.server.0 } else { c.client.0 };
                    s.expiries.push(Expiry {
                        noticed_by: other,
                        time: Timestamp(last.0 + i64::from(h) * 1_000_000_000),
                        at: c.speakers[k].last_frame.unwrap_or(c.first_frame),
                        seen: false,
                    });
                }
            }
        }
    }
    s.tunnel = super::inner_tunnels::tunnel_of(
        model,
        index,
        &esp,
        (s.speakers[0], s.speakers[1]),
        s.first,
        s.last,
    );
    s.state = final_state(model, s);
}

fn final_state(model: &Model, s: &BgpSession) -> BgpState {
    let conns = &model.data.bgp.connections;
    // collision losers say nothing about the session
    let relevant: Vec<&Connection> = s
        .connections
        .iter()
        .map(|&i| &conns[i])
        .filter(|c| {
            !c.notification()
                .is_some_and(|(_, n)| n.code == ErrorCode::CEASE && n.subcode.0 == CEASE_COLLISION)
        })
        .collect();
    let Some(latest) = relevant
        .last()
        .copied()
        .or_else(|| s.connections.last().map(|&i| &conns[i]))
    else {
        return BgpState::Closed;
    };
    // a connection still up (established, not closed) anywhere wins
    if let Some(up) = relevant
        .iter()
        .rev()
        .find(|c| c.established.is_some() && !c.closed())
    {
        let silent = s
            .expiries
            .iter()
            .any(|e| !e.seen && e.time >= up.established.unwrap_or_default());
        return if silent {
            BgpState::HoldTimerExpired
        } else {
            BgpState::Established
        };
    }
    if let Some((k, n)) = latest.notification() {
        let by = if k == 0 { latest.client.0 } else { latest.server.0 };
        if n.code == ErrorCode::CEASE
            && CEASE_ON_PURPOSE.contains(&n.subcode.0)
            && latest.established.is_some()
        {
            return BgpState::Shutdown { by };
        }
        if n.code == ErrorCode::HOLD_TIMER_EXPIRED {
            return BgpState::HoldTimerExpired;
        }
        return BgpState::Notification { by, notification: *n };
    }
    if latest.syns > 0 && latest.syn_acks == 0 {
        return if latest.resets[1] > 0 {
            BgpState::Refused
        } else {
            BgpState::NoAnswer
        };
    }
    if latest.speakers[0].open.is_some() != latest.speakers[1].open.is_some() {
        return BgpState::OpenUnanswered;
    }
    BgpState::Closed
}
