//! Health of the traffic inside tunnels, per inner flow (one direction of one 5-tuple): packet
//! and size counters, TCP retransmissions, resets and the MSS option, ICMP errors that point to
//! a path-MTU problem, and which segment sizes were acknowledged and which vanished.
//!
//! Counters, not packet lists: each flow keeps at most [`MAX_OUTSTANDING`] unacknowledged
//! segments (to learn which sizes get through), and at most [`MAX_FLOWS`] flows are followed.

use super::collect::FrameRef;
use crate::decode::inner_packet::{InnerPacket, InnerSource, Transport};
use crate::record::Timestamp;
use ikescope_parsers::ip;
use std::collections::HashMap;
use std::net::IpAddr;

/// Inner flows followed at once.
pub const MAX_FLOWS: usize = 10_000;
/// Unacknowledged segments remembered per flow.
pub const MAX_OUTSTANDING: usize = 64;
/// A segment retransmitted this often without ever being acknowledged has vanished.
pub const VANISHED_AFTER: u16 = 2;

/// One direction of an inner 5-tuple, and whether it was seen in the clear.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlowKey {
    /// Source address.
    pub src: IpAddr,
    /// Destination address.
    pub dst: IpAddr,
    /// IP protocol.
    pub proto: u8,
    /// Source port (TCP), 0 otherwise.
    pub sport: u16,
    /// Destination port (TCP), 0 otherwise.
    pub dport: u16,
    /// Seen in the clear rather than decrypted from ESP.
    pub clear: bool,
    /// Input file index.
    pub file: usize,
}

impl FlowKey {
    /// The opposite direction.
    pub fn reverse(&self) -> FlowKey {
        FlowKey {
            src: self.dst,
            dst: self.src,
            sport: self.dport,
            dport: self.sport,
            ..*self
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Outstanding {
    end: u32,
    ip_len: u32,
    sent: u16,
}

/// TCP-specific health of one direction.
#[derive(Clone, Debug, Default)]
pub struct TcpHealth {
    /// The MSS option of this direction's SYN.
    pub syn_mss: Option<u16>,
    /// SYNs sent (retransmissions included).
    pub syns: u32,
    /// Segments carrying data.
    pub data_segments: u64,
    /// Data segments that repeat bytes already sent.
    pub retransmissions: u64,
    /// RST segments.
    pub resets: u32,
    /// Largest IP length of a data segment the other side acknowledged.
    pub largest_acked: u32,
    /// Data segments acknowledged.
    pub acked_segments: u64,
    /// Segments sent [`VANISHED_AFTER`] times or more and never acknowledged.
    pub vanished: u64,
    /// Smallest IP length among the vanished segments.
    pub smallest_vanished: Option<u32>,
    /// Largest IP length among the vanished segments.
    pub largest_vanished: u32,
    /// The other side's SYN-ACK (or data) came back: small packets pass.
    pub answered: bool,
    highest_end: Option<u32>,
    outstanding: Vec<Outstanding>,
}

/// Health of one inner flow direction.
#[derive(Clone, Debug)]
pub struct FlowHealth {
    /// ESP flows (outer src, dst, SPI) it was decrypted from (first few).
    pub esp: Vec<(IpAddr, IpAddr, u32)>,
    /// Inner packets seen in this direction (retransmissions included).
    pub packets: u64,
    /// Inner IP bytes.
    pub bytes: u64,
    /// Largest inner IP packet.
    pub largest: u32,
    /// First packet.
    pub first: Timestamp,
    /// First frame.
    pub first_frame: FrameRef,
    /// Last packet.
    pub last: Timestamp,
    /// TCP details.
    pub tcp: Option<TcpHealth>,
    /// ICMP "fragmentation needed" / "packet too big" sent by this flow's source, about packets
    /// of the reverse direction.
    pub too_big_sent: u32,
    /// The smallest MTU those errors named.
    pub too_big_mtu: Option<u32>,
    /// Other ICMP destination-unreachable errors sent by this flow's source.
    pub unreachable_sent: u32,
}

/// Every inner flow's health.
#[derive(Clone, Debug, Default)]
pub struct InnerHealth {
    /// Flows by key.
    pub flows: HashMap<FlowKey, FlowHealth>,
    /// Packets not counted because [`MAX_FLOWS`] flows were already followed.
    pub dropped_packets: u64,
}

impl InnerHealth {
    /// Count one inner packet.
    pub fn packet(&mut self, p: &InnerPacket) {
        let (sport, dport) = match &p.transport {
            Transport::Tcp(t) => (t.sport, t.dport),
            _ => (0, 0),
        };
        let key = FlowKey {
            src: p.src,
            dst: p.dst,
            proto: p.proto,
            sport,
            dport,
            clear: p.source == InnerSource::Clear,
            file: p.file_index,
        };
        if self.flows.len() >= MAX_FLOWS && !self.flows.contains_key(&key) {
            self.dropped_packets += 1;
            return;
        }
        let at = FrameRef {
            file: p.file_index,
            frame: p.frame,
        };
        let f = self.flows.entry(key).or_insert_with(|| FlowHealth {
            esp: Vec::new(),
            packets: 0,
            bytes: 0,
            largest: 0,
            first: p.time,
            first_frame: at,
            last: p.time,
            tcp: None,
            too_big_sent: 0,
            too_big_mtu: None,
            unreachable_sent: 0,
        });
        f.packets += 1;
        f.bytes += u64::from(p.ip_len);
        f.largest = f.largest.max(p.ip_len);
        f.last = f.last.max(p.time);
        if let InnerSource::Esp { src, dst, spi } = p.source {
            if f.esp.len() < 4 && !f.esp.contains(&(src, dst, spi)) {
                f.esp.push((src, dst, spi));
            }
        }
        match &p.transport {
            Transport::Tcp(t) => {
                let h = f.tcp.get_or_insert_with(TcpHealth::default);
                if t.flags.syn() {
                    if !t.flags.ack() {
                        h.syns += 1;
                    }
                    h.syn_mss = t.mss.or(h.syn_mss);
                    h.highest_end = Some(t.seq.wrapping_add(1));
                }
                if t.flags.rst() {
                    h.resets += 1;
                }
                if t.payload_len > 0 {
                    h.data_segments += 1;
                    let end = t.seq.wrapping_add(t.payload_len);
                    let repeat = h.highest_end.is_some_and(|hi| hi.wrapping_sub(end) as i32 >= 0);
                    if repeat {
                        h.retransmissions += 1;
                        if let Some(o) = h.outstanding.iter_mut().find(|o| o.end == end) {
                            o.sent = o.sent.saturating_add(1);
                            o.ip_len = o.ip_len.max(p.ip_len);
                        }
                    } else {
                        h.highest_end = Some(end);
                        if h.outstanding.len() >= MAX_OUTSTANDING {
                            h.outstanding.remove(0);
                        }
                        h.outstanding.push(Outstanding {
                            end,
                            ip_len: p.ip_len,
                            sent: 1,
                        });
                    }
                }
                if t.flags.ack() || t.flags.syn() {
                    let ack = t.ack;
                    let syn_ack = t.flags.syn() && t.flags.ack();
                    if let Some(rev) = self.flows.get_mut(&key.reverse()) {
                        if let Some(rh) = rev.tcp.as_mut() {
                            rh.answered |= syn_ack || t.payload_len > 0 || t.flags.ack();
                            rh.acknowledged(ack);
                        }
                    }
                }
            }
            Transport::IcmpError(i) => {
                if i.too_big {
                    f.too_big_sent += 1;
                    f.too_big_mtu = match (f.too_big_mtu, i.mtu) {
                        (Some(a), Some(b)) => Some(a.min(b)),
                        (a, b) => a.or(b),
                    };
                } else if i.icmp_type == 3 || (p.proto == ip::proto::ICMPV6 && i.icmp_type == 1) {
                    f.unreachable_sent += 1;
                }
            }
            Transport::Other => {}
        }
    }

    /// Fold another input's flows into this one.
    pub fn merge(&mut self, other: InnerHealth) {
        for (k, f) in other.flows {
            if self.flows.len() < MAX_FLOWS {
                self.flows.entry(k).or_insert(f);
            }
        }
        self.dropped_packets += other.dropped_packets;
    }
}

impl TcpHealth {
    /// The other side acknowledged everything before `ack`.
    fn acknowledged(&mut self, ack: u32) {
        let mut largest = self.largest_acked;
        let mut n = 0;
        self.outstanding.retain(|o| {
            let done = ack.wrapping_sub(o.end) as i32 >= 0;
            if done {
                largest = largest.max(o.ip_len);
                n += 1;
            }
            !done
        });
        self.largest_acked = largest;
        self.acked_segments += n;
    }

    /// End of input: the segments still unacknowledged after repeated sending have vanished.
    pub fn finish(&mut self) {
        for o in self.outstanding.drain(..) {
            if o.sent >= VANISHED_AFTER {
                self.vanished += 1;
                self.largest_vanished = self.largest_vanished.max(o.ip_len);
                self.smallest_vanished = Some(self.smallest_vanished.map_or(o.ip_len, |s| s.min(o.ip_len)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::inner_packet::TcpSummary;
    use ikescope_parsers::tcp::Flags;

    fn seg(h: &mut InnerHealth, from_left: bool, seq: u32, ack: u32, flags: u8, len: u32) {
        let (s, d, sp, dp) = if from_left {
            ("10.1.0.1", "10.2.0.1", 40000, 5001)
        } else {
            ("10.2.0.1", "10.1.0.1", 5001, 40000)
        };
        h.packet(&InnerPacket {
            file_index: 0,
            frame: 1,
            time: Timestamp(0),
            source: InnerSource::Clear,
            src: s.parse().unwrap(),
            dst: d.parse().unwrap(),
            proto: 6,
            ip_len: 52 + len,
            transport: Transport::Tcp(TcpSummary {
                sport: sp,
                dport: dp,
                seq,
                ack,
                flags: Flags(flags),
                mss: (flags & Flags::SYN != 0).then_some(1360),
                payload_len: len,
                bgp_payload: None,
            }),
        });
    }

    #[test]
    fn large_segments_vanish_small_ones_pass() {
        let mut h = InnerHealth::default();
        let a = Flags::ACK;
        seg(&mut h, true, 0, 0, Flags::SYN, 0);
        seg(&mut h, false, 100, 1, Flags::SYN | a, 0);
        seg(&mut h, true, 1, 101, a, 100); // small: acked
        seg(&mut h, false, 101, 101, a, 0);
        for _ in 0..3 {
            seg(&mut h, true, 101, 101, a, 1348); // large: retransmitted, never acked
        }
        let key = *h.flows.keys().find(|k| k.sport == 40000).unwrap();
        let f = h.flows.get_mut(&key).unwrap();
        let t = f.tcp.as_mut().unwrap();
        t.finish();
        assert_eq!(t.syn_mss, Some(1360));
        assert!(t.answered);
        assert_eq!(t.largest_acked, 152);
        assert_eq!(t.retransmissions, 2);
        assert_eq!(t.vanished, 1);
        assert_eq!(t.smallest_vanished, Some(1400));
        assert_eq!(f.largest, 1400);
    }

    #[test]
    fn flows_are_bounded() {
        let mut h = InnerHealth::default();
        for i in 0..MAX_FLOWS as u32 + 5 {
            h.packet(&InnerPacket {
                file_index: 0,
                frame: 1,
                time: Timestamp(0),
                source: InnerSource::Clear,
                src: "10.1.0.1".parse().unwrap(),
                dst: "10.2.0.1".parse().unwrap(),
                proto: 6,
                ip_len: 100,
                transport: Transport::Tcp(TcpSummary {
                    sport: i as u16,
                    dport: 80,
                    seq: 0,
                    ack: 0,
                    flags: Flags(Flags::ACK),
                    mss: None,
                    payload_len: 0,
                    bgp_payload: None,
                }),
            });
        }
        assert_eq!(h.flows.len(), MAX_FLOWS);
        assert_eq!(h.dropped_packets, 5);
    }
}
