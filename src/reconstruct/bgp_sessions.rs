//! BGP sessions inside tunnels, reconstructed from their TCP port 179 segments: the TCP
//! handshake (answered, reset or unanswered), the BGP messages of each direction (reassembled
//! from the segments with a bounded buffer and parsed by [`ikescope_parsers::bgp`]), and from
//! those the session's state: established, refused by a NOTIFICATION, timed out.
//!
//! Memory is bounded: at most [`MAX_CONNECTIONS`] connections are followed, each direction
//! buffers at most [`MAX_STREAM_BUFFER`] bytes (one message of the largest size RFC 8654
//! allows), and per direction only counters and the first [`MAX_PREFIXES`] prefixes are kept.

use super::collect::FrameRef;
use crate::decode::inner_packet::{InnerPacket, InnerSource, TcpSummary, Transport};
use crate::record::Timestamp;
use ikescope_parsers::bgp::{self, Message};
use std::collections::HashMap;
use std::net::IpAddr;

/// TCP connections to or from port 179 followed at once.
pub const MAX_CONNECTIONS: usize = 512;
/// Bytes buffered per direction while a message is incomplete.
pub const MAX_STREAM_BUFFER: usize = bgp::MAX_EXTENDED_MESSAGE_LEN;
/// Announced / withdrawn prefixes remembered per direction.
pub const MAX_PREFIXES: usize = 64;

/// One endpoint of a TCP connection.
pub type Endpoint = (IpAddr, u16);

/// The OPEN a speaker sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenSeen {
    /// The speaker's AS (4-octet capability when present).
    pub autonomous_system: u32,
    /// Proposed hold time (seconds).
    pub hold_time: u16,
    /// BGP Identifier.
    pub bgp_identifier: std::net::Ipv4Addr,
    /// Advertised 4-octet AS support.
    pub four_octet_as: bool,
    /// Advertised the Extended Message capability.
    pub extended_message: bool,
    /// When the OPEN was captured.
    pub time: Timestamp,
}

/// A NOTIFICATION a speaker sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotificationSeen {
    /// Error code.
    pub code: bgp::ErrorCode,
    /// Error subcode.
    pub subcode: bgp::ErrorSubcode,
    /// For OPEN Message Error / Bad Peer AS: the AS the data field names, when it does.
    pub data_as: Option<u32>,
    /// When the NOTIFICATION was captured.
    pub time: Timestamp,
    /// The frame that carried it.
    pub at: FrameRef,
}

impl NotificationSeen {
    /// "OPEN Message Error / Bad Peer AS".
    pub fn describe(&self) -> String {
        bgp::Notification {
            code: self.code,
            subcode: self.subcode,
            data: &[],
        }
        .describe()
    }
}

/// Bounded in-order reassembly of one direction's byte stream.
#[derive(Clone, Debug, Default)]
struct Stream {
    /// Next expected sequence number.
    next: Option<u32>,
    buf: Vec<u8>,
    /// Bytes were lost (capture gap, snaplen, overflow): look for the next marker.
    resync: bool,
}

impl Stream {
    /// Feed a segment; whole messages are handed to `on_message`.
    fn push(&mut self, seg: &TcpSummary, mut on_message: impl FnMut(&[u8])) {
        if seg.flags.syn() {
            self.next = Some(seg.seq.wrapping_add(1));
            self.buf.clear();
            return;
        }
        if seg.payload_len == 0 {
            return;
        }
        let captured = seg.bgp_payload.as_deref().unwrap_or(&[]);
        let next = *self.next.get_or_insert(seg.seq);
        let ahead = seg.seq.wrapping_sub(next) as i32;
        let mut data = captured;
        if ahead > 0 {
            // a gap: data the capture never saw
            self.buf.clear();
            self.resync = true;
        } else if ahead < 0 {
            let skip = ahead.unsigned_abs() as usize;
            if skip >= seg.payload_len as usize {
                return; // a retransmission of what is already in
            }
            data = data.get(skip..).unwrap_or(&[]);
        }
        let end = seg.seq.wrapping_add(seg.payload_len);
        if end.wrapping_sub(next) as i32 > 0 {
            self.next = Some(end);
        }
        let declared_here = (seg.payload_len as usize).saturating_sub(captured.len());
        while !data.is_empty() {
            let room = MAX_STREAM_BUFFER.saturating_sub(self.buf.len());
            if room == 0 {
                self.buf.clear();
                self.resync = true;
                continue;
            }
            let (now, later) = data.split_at(room.min(data.len()));
            self.buf.extend_from_slice(now);
            data = later;
            self.drain(&mut on_message);
        }
        if declared_here > 0 {
            // cut by the snaplen: what follows is missing
            self.buf.clear();
            self.resync = true;
        }
        if self.buf.is_empty() && self.buf.capacity() > 8192 {
            self.buf = Vec::new();
        }
    }

    fn drain(&mut self, on_message: &mut impl FnMut(&[u8])) {
        let mut at = 0;
        loop {
            let rest = &self.buf[at..];
            if self.resync {
                match rest.windows(bgp::MARKER.len()).position(|w| w == bgp::MARKER) {
                    Some(p) => {
                        at += p;
                        self.resync = false;
                        continue;
                    }
                    None => {
                        // keep a tail that may be the start of a marker
                        at += rest.len().saturating_sub(bgp::MARKER.len() - 1);
                        break;
                    }
                }
            }
            if rest.len() < bgp::HEADER_LEN {
                break;
            }
            match bgp::parse_header(rest) {
                Ok(h) if rest.len() >= usize::from(h.length) => {
                    on_message(&rest[..usize::from(h.length)]);
                    at += usize::from(h.length);
                }
                Ok(_) => break,
                Err(_) => {
                    at += 1;
                    self.resync = true;
                }
            }
        }
        self.buf.drain(..at);
    }
}

/// What one direction of a connection said.
#[derive(Clone, Debug, Default)]
pub struct Speaker {
    stream: Stream,
    /// The OPEN, if seen.
    pub open: Option<OpenSeen>,
    /// KEEPALIVE messages.
    pub keepalives: u32,
    /// A KEEPALIVE seen after this speaker's OPEN (acknowledging the peer's OPEN).
    pub keepalive_after_open: Option<Timestamp>,
    /// UPDATE messages.
    pub updates: u32,
    /// Prefixes announced (all UPDATEs), and the first [`MAX_PREFIXES`] of them.
    pub announced: u32,
    /// The first announced prefixes.
    pub announced_prefixes: Vec<bgp::Prefix>,
    /// Prefixes withdrawn.
    pub withdrawn: u32,
    /// The NOTIFICATION, if one was sent.
    pub notification: Option<NotificationSeen>,
    /// Messages that did not parse.
    pub malformed: u32,
    /// Time of the last message.
    pub last_message: Option<Timestamp>,
    /// Frame of the last message.
    pub last_frame: Option<FrameRef>,
    /// Longest silence between two messages after the OPEN (seconds).
    pub longest_silence: f64,
    /// The outer address that sent this speaker's packets in ESP (its gateway), when decrypted.
    pub gateway: Option<IpAddr>,
}

impl Speaker {
    fn message(&mut self, bytes: &[u8], time: Timestamp, at: FrameRef) {
        if self.open.is_some() {
            if let Some(last) = self.last_message {
                self.longest_silence = self.longest_silence.max(time.secs_since(last));
            }
        }
        self.last_message = Some(time);
        self.last_frame = Some(at);
        let Ok((m, _)) = bgp::parse_message(bytes) else {
            self.malformed += 1;
            return;
        };
        match m {
            Message::Open(o) => {
                self.open = Some(OpenSeen {
                    autonomous_system: o.autonomous_system(),
                    hold_time: o.hold_time,
                    bgp_identifier: o.bgp_identifier,
                    four_octet_as: o.four_octet_as().is_some(),
                    extended_message: o.extended_message(),
                    time,
                })
            }
            Message::Keepalive => {
                self.keepalives += 1;
                if self.open.is_some() && self.keepalive_after_open.is_none() {
                    self.keepalive_after_open = Some(time);
                }
            }
            Message::Update(u) => {
                self.updates += 1;
                for p in u.announced_prefixes().flatten() {
                    self.announced += 1;
                    if self.announced_prefixes.len() < MAX_PREFIXES && !self.announced_prefixes.contains(&p) {
                        self.announced_prefixes.push(p);
                    }
                }
                self.withdrawn += u.withdrawn_prefixes().flatten().count() as u32;
            }
            Message::Notification(n) => {
                let data_as = match n.data.len() {
                    2 => Some(u32::from(u16::from_be_bytes([n.data[0], n.data[1]]))),
                    4 => Some(u32::from_be_bytes([n.data[0], n.data[1], n.data[2], n.data[3]])),
                    _ => None,
                };
                if self.notification.is_none() {
                    self.notification = Some(NotificationSeen {
                        code: n.code,
                        subcode: n.subcode,
                        data_as,
                        time,
                        at,
                    });
                }
            }
            Message::RouteRefresh { .. } | Message::Unknown { .. } => {}
        }
    }
}

/// One TCP connection to port 179.
#[derive(Clone, Debug)]
pub struct Connection {
    /// The side that opened it (sent the SYN), or the non-179 side when no SYN was seen.
    pub client: Endpoint,
    /// The other side.
    pub server: Endpoint,
    /// Seen in the clear (a gateway's tunnel interface) rather than decrypted from ESP.
    pub clear: bool,
    /// ESP flows (outer src, dst, SPI) it was decrypted from (first few).
    pub esp: Vec<(IpAddr, IpAddr, u32)>,
    /// First packet.
    pub first: Timestamp,
    /// First frame.
    pub first_frame: FrameRef,
    /// Last packet.
    pub last: Timestamp,
    /// SYNs from the client (retransmissions included).
    pub syns: u32,
    /// SYN-ACKs from the server.
    pub syn_acks: u32,
    /// RSTs from the client and from the server.
    pub resets: [u32; 2],
    /// FINs from the client and from the server.
    pub fins: [u32; 2],
    /// What the client and the server said.
    pub speakers: [Speaker; 2],
    /// When BGP reached Established (both OPENs acknowledged by a KEEPALIVE).
    pub established: Option<Timestamp>,
}

impl Connection {
    /// The negotiated hold time: the smaller of the two OPENs' (RFC 4271 §4.2).
    pub fn hold_time(&self) -> Option<u16> {
        match (&self.speakers[0].open, &self.speakers[1].open) {
            (Some(a), Some(b)) => Some(a.hold_time.min(b.hold_time)),
            _ => None,
        }
    }

    /// The first NOTIFICATION (by time) and which side (0 client, 1 server) sent it.
    pub fn notification(&self) -> Option<(usize, &NotificationSeen)> {
        let n: Vec<(usize, &NotificationSeen)> = self
            .speakers
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.notification.as_ref().map(|n| (i, n)))
            .collect();
        n.into_iter().min_by_key(|(_, n)| n.time)
    }

    /// True when it ended: a FIN, RST or NOTIFICATION.
    pub fn closed(&self) -> bool {
        self.resets.iter().any(|&r| r > 0)
            || self.fins.iter().any(|&f| f > 0)
            || self.speakers.iter().any(|s| s.notification.is_some())
    }

    fn endpoint(&self, src: IpAddr, sport: u16) -> usize {
        usize::from(self.client != (src, sport))
    }
}

/// Key of a connection: its two endpoints in canonical order, and clear/decrypted.
type ConnKey = (Endpoint, Endpoint, bool, usize);

/// Every BGP connection seen inside tunnels.
#[derive(Clone, Debug, Default)]
pub struct BgpTracker {
    conns: HashMap<ConnKey, usize>,
    /// Connections in order of first packet (per input).
    pub connections: Vec<Connection>,
    /// Segments not followed because [`MAX_CONNECTIONS`] were already followed.
    pub dropped_segments: u64,
}

impl BgpTracker {
    /// Feed an inner packet (only TCP port 179 is looked at).
    pub fn packet(&mut self, p: &InnerPacket) {
        let Transport::Tcp(t) = &p.transport else { return };
        if t.sport != bgp::PORT && t.dport != bgp::PORT {
            return;
        }
        let a = (p.src, t.sport);
        let b = (p.dst, t.dport);
        let clear = p.source == InnerSource::Clear;
        let key = if a <= b {
            (a, b, clear, p.file_index)
        } else {
            (b, a, clear, p.file_index)
        };
        let at = FrameRef {
            file: p.file_index,
            frame: p.frame,
        };
        // A new SYN on a connection that already ended starts a new one (port reuse).
        let reuse = t.flags.syn()
            && !t.flags.ack()
            && self
                .conns
                .get(&key)
                .is_some_and(|&i| self.connections[i].closed() || self.connections[i].established.is_some());
        let idx = match self.conns.get(&key) {
            Some(&i) if !reuse => i,
            _ => {
                if self.connections.len() >= MAX_CONNECTIONS {
                    self.dropped_segments += 1;
                    return;
                }
                let (client, server) = if t.flags.syn() && !t.flags.ack() {
                    (a, b)
                } else if t.flags.syn() || t.sport == bgp::PORT {
                    (b, a)
                } else {
                    (a, b)
                };
                self.connections.push(Connection {
                    client,
                    server,
                    clear,
                    esp: Vec::new(),
                    first: p.time,
                    first_frame: at,
                    last: p.time,
                    syns: 0,
                    syn_acks: 0,
                    resets: [0; 2],
                    fins: [0; 2],
                    speakers: Default::default(),
                    established: None,
                });
                self.conns.insert(key, self.connections.len() - 1);
                self.connections.len() - 1
            }
        };
        let c = &mut self.connections[idx];
        c.last = c.last.max(p.time);
        if let InnerSource::Esp { src, dst, spi } = p.source {
            if c.esp.len() < 4 && !c.esp.contains(&(src, dst, spi)) {
                c.esp.push((src, dst, spi));
            }
        }
        let side = c.endpoint(p.src, t.sport);
        if t.flags.syn() && !t.flags.ack() {
            c.syns += 1;
        } else if t.flags.syn() {
            c.syn_acks += 1;
        }
        if t.flags.rst() {
            c.resets[side] += 1;
        }
        if t.flags.fin() {
            c.fins[side] += 1;
        }
        let speaker = &mut c.speakers[side];
        if let InnerSource::Esp { src, .. } = p.source {
            speaker.gateway.get_or_insert(src);
        }
        let mut messages: Vec<Vec<u8>> = Vec::new();
        speaker.stream.push(t, |m| messages.push(m.to_vec()));
        for m in messages {
            speaker.message(&m, p.time, at);
        }
        if c.established.is_none() {
            let acked = |s: &Speaker| s.keepalive_after_open;
            if let (Some(x), Some(y)) = (acked(&c.speakers[0]), acked(&c.speakers[1])) {
                if c.speakers[0].notification.is_none() && c.speakers[1].notification.is_none() {
                    c.established = Some(x.max(y));
                }
            }
        }
    }

    /// Fold another input's connections into this one.
    pub fn merge(&mut self, other: BgpTracker) {
        for c in other.connections {
            if self.connections.len() < MAX_CONNECTIONS {
                self.connections.push(c);
            }
        }
        self.dropped_segments += other.dropped_segments;
    }
}

/// Hand-made BGP connections for unit tests.
#[cfg(test)]
pub(crate) mod testkit {
    use crate::decode::inner_packet::{InnerPacket, InnerSource, TcpSummary, Transport};
    use crate::record::Timestamp;
    use ikescope_parsers::tcp::Flags;

    /// A BGP message of type `t` with `body`.
    pub fn message(t: u8, body: &[u8]) -> Vec<u8> {
        let mut v = vec![0xff; 16];
        v.extend_from_slice(&((19 + body.len()) as u16).to_be_bytes());
        v.push(t);
        v.extend_from_slice(body);
        v
    }

    /// An OPEN: version 4, `asn`, `hold` seconds, identifier 10.`id`.0.1, no parameters.
    pub fn open(asn: u16, hold: u16, id: u8) -> Vec<u8> {
        let [a0, a1] = asn.to_be_bytes();
        let [h0, h1] = hold.to_be_bytes();
        message(1, &[4, a0, a1, h0, h1, 10, id, 0, 1, 0])
    }

    /// One TCP connection seen in the clear: side 0 `a`:40000, side 1 `b`:179.
    pub struct Wire {
        /// The two endpoints.
        pub ends: [(&'static str, u16); 2],
        /// Next sequence number of each side.
        pub seq: [u32; 2],
        frame: u64,
    }

    impl Wire {
        /// A connection from `a` to `b`'s port 179.
        pub fn new(a: &'static str, b: &'static str) -> Wire {
            Wire {
                ends: [(a, 40000), (b, 179)],
                seq: [1000, 5000],
                frame: 0,
            }
        }

        /// The next segment from `side` at `secs` seconds.
        pub fn segment(&mut self, side: usize, secs: i64, flags: u8, payload: &[u8]) -> InnerPacket {
            let (s, d) = (self.ends[side], self.ends[1 - side]);
            self.frame += 1;
            let seq = self.seq[side];
            self.seq[side] = seq.wrapping_add(payload.len() as u32 + u32::from(flags & Flags::SYN != 0));
            InnerPacket {
                file_index: 0,
                frame: self.frame,
                time: Timestamp(secs * 1_000_000_000),
                source: InnerSource::Clear,
                src: s.0.parse().expect("address"),
                dst: d.0.parse().expect("address"),
                proto: 6,
                ip_len: 40 + payload.len() as u32,
                transport: Transport::Tcp(TcpSummary {
                    sport: s.1,
                    dport: d.1,
                    seq,
                    ack: 0,
                    flags: Flags(flags),
                    mss: None,
                    payload_len: payload.len() as u32,
                    bgp_payload: (!payload.is_empty()).then(|| payload.into()),
                }),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testkit::{message as msg, open};
    use super::*;
    use ikescope_parsers::tcp::Flags;

    struct Wire {
        t: BgpTracker,
        w: testkit::Wire,
    }

    impl Wire {
        fn new() -> Self {
            Wire {
                t: BgpTracker::default(),
                w: testkit::Wire::new("10.1.0.1", "10.2.0.1"),
            }
        }
        fn send(&mut self, side: usize, secs: i64, flags: u8, payload: &[u8]) {
            let p = self.w.segment(side, secs, flags, payload);
            self.t.packet(&p);
        }
    }

    const SYN: u8 = Flags::SYN;
    const SYNACK: u8 = Flags::SYN | Flags::ACK;
    const ACK: u8 = Flags::ACK;

    #[test]
    fn established_session_with_split_messages() {
        let mut w = Wire::new();
        w.send(0, 0, SYN, &[]);
        w.send(1, 0, SYNACK, &[]);
        w.send(0, 0, ACK, &[]);
        let o = open(65001, 90, 1);
        w.send(0, 1, ACK, &o[..10]);
        w.send(0, 1, ACK, &o[10..]);
        let mut both = open(65002, 9, 2);
        both.extend(msg(4, &[]));
        w.send(1, 1, ACK, &both);
        w.send(0, 1, ACK, &msg(4, &[]));
        w.send(0, 2, ACK, &msg(2, &[0, 0, 0, 0, 24, 10, 1, 1]));
        w.send(1, 4, ACK, &msg(4, &[]));
        let c = &w.t.connections[0];
        assert_eq!(w.t.connections.len(), 1);
        assert_eq!(c.syns, 1);
        assert_eq!(c.syn_acks, 1);
        assert_eq!(c.speakers[0].open.unwrap().autonomous_system, 65001);
        assert_eq!(c.hold_time(), Some(9));
        assert_eq!(c.established, Some(Timestamp(1_000_000_000)));
        assert_eq!(c.speakers[0].announced_prefixes[0].to_string(), "10.1.1.0/24");
        assert_eq!(c.speakers[1].keepalives, 2);
        assert_eq!(c.speakers[1].longest_silence, 3.0);
        assert!(!c.closed());
    }

    #[test]
    fn notification_bad_peer_as_and_new_connection() {
        let mut w = Wire::new();
        w.send(0, 0, SYN, &[]);
        w.send(1, 0, SYNACK, &[]);
        w.send(0, 1, ACK, &open(65001, 90, 1));
        let mut n = open(65002, 90, 2);
        n.extend(msg(3, &[2, 2, 0xfd, 0xe9]));
        w.send(1, 1, ACK, &n);
        w.send(1, 1, Flags::FIN | ACK, &[]);
        w.w.seq = [9000, 9000];
        w.send(0, 5, SYN, &[]);
        assert_eq!(w.t.connections.len(), 2);
        let (side, note) = w.t.connections[0].notification().unwrap();
        assert_eq!(side, 1);
        assert_eq!(note.describe(), "OPEN Message Error / Bad Peer AS");
        assert_eq!(note.data_as, Some(65001));
        assert!(w.t.connections[0].established.is_none());
        assert_eq!(w.t.connections[1].syns, 1);
    }

    #[test]
    fn retransmission_gap_and_garbage_do_not_invent_messages() {
        let mut w = Wire::new();
        w.send(0, 0, SYN, &[]);
        let k = msg(4, &[]);
        w.send(0, 1, ACK, &k);
        w.w.seq[0] -= 19;
        w.send(0, 1, ACK, &k); // retransmission: ignored
        assert_eq!(w.t.connections[0].speakers[0].keepalives, 1);
        w.w.seq[0] += 100; // 100 bytes the capture missed
        let mut junk = vec![1, 2, 3];
        junk.extend(&k);
        w.send(0, 2, ACK, &junk); // resynchronised on the marker
        assert_eq!(w.t.connections[0].speakers[0].keepalives, 2);
        w.send(0, 3, ACK, &[0x11; 5000]);
        assert_eq!(w.t.connections[0].speakers[0].keepalives, 2);
        assert!(w.t.connections[0].speakers[0].stream.buf.len() < 20);
    }

    #[test]
    fn buffer_stays_bounded_on_an_endless_message() {
        let mut w = Wire::new();
        w.send(0, 0, SYN, &[]);
        let mut huge = msg(2, &[]);
        huge[16] = 0xff;
        huge[17] = 0xff; // claims 65535 bytes
        w.send(0, 1, ACK, &huge);
        for _ in 0..40 {
            w.send(0, 1, ACK, &[0u8; 4000]);
            assert!(w.t.connections[0].speakers[0].stream.buf.len() <= MAX_STREAM_BUFFER);
        }
    }

    #[test]
    fn unanswered_syns() {
        let mut w = Wire::new();
        for s in [0, 1, 3, 7] {
            w.w.seq[0] = 1000;
            w.send(0, s, SYN, &[]);
        }
        let c = &w.t.connections[0];
        assert_eq!(c.syns, 4);
        assert_eq!(c.syn_acks, 0);
        assert_eq!(c.client.1, 40000);
    }
}
