//! Streaming collection: keeps every IKE message (they are few) and folds ESP packets into
//! per-SPI flow counters, so memory grows with live state, not with the capture size.

use crate::capture::{IngestEvent, InputStats};
use crate::decode::{EspSample, RecordSink};
use crate::record::{InnerFlowInfo, Kind, Record, Timestamp};
use foldhash::HashMap;
use std::net::IpAddr;

/// Cap on what is kept as evidence: ICMP errors, incomplete reassemblies, malformed-packet
/// reports, flows inside ESP and ESP decryption tallies.
pub const MAX_KEPT_EVENTS: usize = 10_000;

/// Where a packet is in the inputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FrameRef {
    /// Input file index.
    pub file: usize,
    /// 1-based frame number.
    pub frame: u64,
}

/// Direction-specific ESP flow: one SPI from one source to one destination.
#[derive(Clone, Debug)]
pub struct EspFlow {
    /// The SPI of the packets (the receiver chose it).
    pub spi: u32,
    /// Outer source address of the packets.
    pub src: IpAddr,
    /// Outer destination address.
    pub dst: IpAddr,
    /// Carried in UDP (NAT traversal, RFC 3948) rather than as IP protocol 50.
    pub udp_encap: bool,
    /// ESP packets with this SPI from `src` to `dst`.
    pub packets: u64,
    /// ESP bytes.
    pub bytes: u64,
    /// First packet time and frame.
    pub first: Timestamp,
    /// First frame.
    pub first_frame: FrameRef,
    /// Last packet time.
    pub last: Timestamp,
    /// Last frame.
    pub last_frame: FrameRef,
    /// Highest sequence number seen.
    pub max_seq: u32,
    /// Last sequence number seen.
    pub last_seq: u32,
    /// Packets missing between consecutive sequence numbers (sum of forward gaps).
    pub seq_gaps: u64,
    /// Times the sequence number went backwards (reset or reordering).
    pub seq_resets: u64,
    /// Bytes and packets over time, in a bounded number of buckets.
    pub series: super::esp_series::EspSeries,
}

/// NAT-T keepalives between two endpoints.
#[derive(Clone, Debug)]
pub struct KeepaliveStats {
    /// Keepalives sent from the first endpoint of the key to the second.
    pub count: u64,
    /// First time.
    pub first: Timestamp,
    /// Last time.
    pub last: Timestamp,
    /// First frame.
    pub first_frame: FrameRef,
}

/// The counters of `key`, made on first use while the map holds fewer than
/// [`MAX_KEPT_EVENTS`] keys; `None` for a new key past that bound.
fn bounded_entry<K: std::hash::Hash + Eq, V: Default>(map: &mut HashMap<K, V>, key: K) -> Option<&mut V> {
    if map.len() >= MAX_KEPT_EVENTS && !map.contains_key(&key) {
        return None;
    }
    Some(map.entry(key).or_default())
}

/// Two copies of one IKE message closer than this (50 ms) are the same packet captured twice,
/// not a retransmission: no implementation retransmits that fast (libreswan starts at 0.5 s).
pub const CAPTURE_COPY_NS: i64 = 50_000_000;

/// Copies of IKE messages from one source to one destination captured twice (see
/// [`Collected::capture_copies`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CaptureCopies {
    /// Copies dropped.
    pub count: u64,
    /// TTL / hop limit of the first copy and of the second, of the first pair seen: a second
    /// copy one lower is the packet leaving a router after arriving on another interface.
    pub ttls: (u8, u8),
    /// Frame of the first dropped copy.
    pub first_frame: Option<FrameRef>,
}

/// An ESP flow's key: (source, destination, SPI).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EspKey(pub IpAddr, pub IpAddr, pub u32);

/// Everything the reconstruction needs, gathered in one streaming pass.
#[derive(Debug, Default)]
pub struct Collected {
    /// Input file names.
    pub files: Vec<String>,
    /// Per-input counters (filled in by the caller from ingest stats).
    pub stats: Vec<InputStats>,
    /// IKE messages in input order (records of kind `ike` with `ike` present).
    pub ike: Vec<Record>,
    /// ESP flows keyed by (src, dst, spi).
    pub esp: super::esp_table::EspTable,
    /// Flows inside decrypted ESP: (outer src, outer dst, SPI, inner flow) → (packets, bytes).
    pub inner: HashMap<(IpAddr, IpAddr, u32, InnerFlowInfo), (u64, u64)>,
    /// Keepalives keyed by (src, dst).
    pub keepalives: HashMap<(IpAddr, IpAddr), KeepaliveStats>,
    /// ICMP error records.
    pub icmp: Vec<Record>,
    /// Incomplete IP reassemblies, with their file.
    pub incomplete: Vec<(usize, IngestEvent)>,
    /// Malformed-packet reports per file.
    pub malformed: Vec<u64>,
    /// IKE records that could not be decoded at all (no header) or are corrupt (see
    /// [`is_corrupt_ike`]), per file. They are reported, never used to create or advance an SA.
    pub undecodable_ike: Vec<u64>,
    /// Malformed-packet reports (first [`MAX_KEPT_EVENTS`]): file, frame, offset, what.
    pub problems: Vec<ProblemReport>,
    /// What of each input was not analysed: (input index, why).
    pub not_analysed: Vec<(usize, NotAnalysed)>,
    /// Digests of the IKE messages kept so far (a repeat is a retransmission, or a capture
    /// copy), with when, between whom and with which TTL the latest copy was seen.
    seen_digests: super::recent_digests::RecentDigests,
    /// IKE messages seen twice within [`CAPTURE_COPY_NS`] between the same addresses (the same
    /// packet captured on two interfaces of one box, e.g. `tcpdump -i any` on a router): dropped
    /// as copies, counted per (source, destination), for at most [`MAX_KEPT_EVENTS`] pairs.
    pub capture_copies: HashMap<(IpAddr, IpAddr), CaptureCopies>,
    /// ESP packets an `esp_sa` entry matched, per flow (src, dst, SPI): (opened, key mismatch),
    /// for at most [`MAX_KEPT_EVENTS`] flows.
    pub esp_decryption: HashMap<(IpAddr, IpAddr, u32), (u64, u64)>,
    /// Refusals explained by daemon logs given as keys (the refusing end's configuration).
    pub hints: Vec<crate::keys::hints::ConfigHint>,
    /// Answered liveness checks being folded (see [`super::liveness`]).
    liveness: super::liveness::LivenessFold,
    /// ESP packets that arrived as IP fragments, per flow (src, dst, SPI), for at most
    /// [`MAX_KEPT_EVENTS`] flows.
    pub esp_fragmented: HashMap<(IpAddr, IpAddr, u32), u64>,
    /// BGP connections inside tunnels.
    pub bgp: super::bgp_sessions::BgpTracker,
    /// Health of each inner flow.
    pub inner_health: super::inner_health::InnerHealth,
    /// Answered liveness checks folded away, per IKE SA (SPIi, SPIr); filled by [`Collected::finish`].
    pub liveness_folded: foldhash::HashMap<(crate::record::Spi8, crate::record::Spi8), u64>,
    /// IKE SA attempts held aside until they prove real or one-message (see [`super::aggregate`]).
    opener: super::aggregate::OpenerFold,
    /// One-message initiators folded per responder; filled by [`Collected::finish`].
    pub groups: std::collections::BTreeMap<IpAddr, super::aggregate::InitiatorGroup>,
}

/// Why an input, or part of it, was not analysed: said in the report and the JSON, never only
/// on stderr, so that a report is never read as covering more than it does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NotAnalysed {
    /// The input could not be read at all (cannot open, not a capture file, unreadable header).
    Unreadable(String),
    /// Reading stopped before the end of the file: the frames after `after_frame` are missing.
    CutShort {
        /// Last frame read.
        after_frame: u64,
    },
    /// Frames of a link type this tool does not decode were skipped.
    UnsupportedLinkType {
        /// The LINKTYPE_ number.
        linktype: u32,
        /// First frame with it.
        first_frame: u64,
    },
    /// The same capture as the earlier input `of` (same file, or identical content): not read
    /// again, so its packets are not counted twice.
    Duplicate {
        /// Index of the earlier input.
        of: usize,
    },
}

impl NotAnalysed {
    /// Stable machine name (JSON `kind`).
    pub fn kind(&self) -> &'static str {
        match self {
            NotAnalysed::Unreadable(_) => "unreadable",
            NotAnalysed::CutShort { .. } => "cut_short",
            NotAnalysed::UnsupportedLinkType { .. } => "unsupported_link_type",
            NotAnalysed::Duplicate { .. } => "duplicate",
        }
    }

    /// One sentence for people; `files` names the inputs.
    pub fn describe(&self, files: &[String]) -> String {
        match self {
            NotAnalysed::Unreadable(why) => format!("not read: {why}"),
            NotAnalysed::CutShort { after_frame } => format!(
                "the file is cut short: it ends inside frame {}, so whatever came after frame {after_frame} is missing from this report",
                after_frame + 1
            ),
            NotAnalysed::UnsupportedLinkType { linktype, first_frame } => format!(
                "frames of link type {linktype} (from frame {first_frame}) are not decoded and were skipped"
            ),
            NotAnalysed::Duplicate { of } => format!(
                "the same capture as {}: not read twice",
                files.get(*of).map(String::as_str).unwrap_or("an earlier input")
            ),
        }
    }
}

/// One malformed-packet report.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ProblemReport {
    /// Input file index.
    #[serde(skip)]
    pub file_index: usize,
    /// 1-based frame.
    pub frame: u64,
    /// Byte offset (in the IKE message for decode problems, in the frame for ingest ones).
    pub offset: usize,
    /// What was wrong.
    pub what: String,
}

impl Collected {
    /// An empty collection for these inputs.
    pub fn new(files: Vec<String>) -> Self {
        let n = files.len();
        Collected {
            files,
            stats: vec![InputStats::default(); n],
            malformed: vec![0; n],
            undecodable_ike: vec![0; n],
            ..Default::default()
        }
    }

    fn add_esp(&mut self, r: &EspSample) {
        self.esp.add(r);
        self.note_fragmented(r);
    }

    /// Count an ESP packet that arrived in IP fragments against its flow.
    fn note_fragmented(&mut self, r: &EspSample) {
        if r.fragmented {
            if let Some(n) = bounded_entry(&mut self.esp_fragmented, (r.src, r.dst, r.esp.spi)) {
                *n += 1;
            }
        }
    }
}

/// Add a group to the groups of a collection (summing with the one of the same responder).
fn merge_group(
    groups: &mut std::collections::BTreeMap<IpAddr, super::aggregate::InitiatorGroup>,
    responder: IpAddr,
    g: super::aggregate::InitiatorGroup,
) {
    match groups.entry(responder) {
        std::collections::btree_map::Entry::Occupied(mut e) => e.get_mut().merge(g),
        std::collections::btree_map::Entry::Vacant(e) => {
            e.insert(g);
        }
    }
}

impl Collected {
    /// End of input: the liveness checks still held back join the IKE messages, and the folded
    /// counts are final. Idempotent; [`Collected::merge`] and the model builder call it.
    pub fn finish(&mut self) {
        for (k, n) in self.liveness.finish(&mut self.ike) {
            *self.liveness_folded.entry(k).or_default() += n;
        }
        for (k, g) in self.opener.finish(&mut self.ike) {
            merge_group(&mut self.groups, k, g);
        }
        for f in self.inner_health.flows.values_mut() {
            if let Some(t) = f.tcp.as_mut() {
                t.finish();
            }
        }
    }

    /// Fold the collection of another input (processed separately, e.g. on another core) into
    /// this one. Records keep their file index; ESP flows seen in both are summed.
    pub fn merge(&mut self, mut other: Collected) {
        self.finish();
        other.finish();
        for (k, (ok, bad)) in std::mem::take(&mut other.esp_decryption) {
            let e = self.esp_decryption.entry(k).or_insert((0, 0));
            e.0 += ok;
            e.1 += bad;
        }
        self.not_analysed.append(&mut other.not_analysed);
        self.not_analysed.sort_by_key(|(i, _)| *i);
        for h in std::mem::take(&mut other.hints) {
            if !self.hints.contains(&h) {
                self.hints.push(h);
            }
        }
        for (k, c) in std::mem::take(&mut other.capture_copies) {
            if let Some(e) = bounded_entry(&mut self.capture_copies, k) {
                if e.count == 0 {
                    *e = c;
                } else {
                    e.count += c.count;
                }
            }
        }
        for (k, g) in std::mem::take(&mut other.groups) {
            merge_group(&mut self.groups, k, g);
        }
        for (k, n) in std::mem::take(&mut other.liveness_folded) {
            *self.liveness_folded.entry(k).or_default() += n;
        }
        for (i, s) in other.stats.into_iter().enumerate() {
            if s != InputStats::default() {
                self.stats[i] = s;
            }
        }
        for (i, m) in other.malformed.into_iter().enumerate() {
            self.malformed[i] += m;
        }
        for (i, m) in other.undecodable_ike.into_iter().enumerate() {
            self.undecodable_ike[i] += m;
        }
        // Into an empty collection (the first input) the parts move instead of being copied:
        // no moment holds two copies of every IKE message.
        if self.ike.is_empty() {
            self.ike = other.ike;
        } else {
            self.ike.extend(other.ike);
        }
        if self.esp.is_empty() {
            self.esp = other.esp;
        } else {
            for (k, f) in other.esp.into_flows() {
                self.esp.absorb(k, f);
            }
        }
        for (k, ka) in other.keepalives {
            let e = self.keepalives.entry(k).or_insert(KeepaliveStats {
                count: 0,
                ..ka.clone()
            });
            e.count += ka.count;
            e.first = e.first.min(ka.first);
            e.last = e.last.max(ka.last);
        }
        for (k, (p, b)) in other.inner {
            let e = self.inner.entry(k).or_insert((0, 0));
            e.0 += p;
            e.1 += b;
        }
        for (k, n) in std::mem::take(&mut other.esp_fragmented) {
            *self.esp_fragmented.entry(k).or_default() += n;
        }
        self.bgp.merge(std::mem::take(&mut other.bgp));
        self.inner_health.merge(std::mem::take(&mut other.inner_health));
        self.icmp.extend(other.icmp);
        self.icmp.truncate(MAX_KEPT_EVENTS);
        self.problems.extend(other.problems);
        self.problems.truncate(MAX_KEPT_EVENTS);
        self.incomplete.extend(other.incomplete);
        self.incomplete.truncate(MAX_KEPT_EVENTS);
    }
}

/// An IKE message whose decoding found problems although the capture did not cut the frame
/// (snaplen): its header or payload chain is corrupt, so nothing in it can be trusted to create
/// an SA, answer an exchange or carry a refusal. Its problems are reported (frame, offset, what).
pub fn is_corrupt_ike(record: &Record) -> bool {
    record.kind == Kind::Ike && !record.problems.is_empty() && !record.truncated
}

impl RecordSink for Collected {
    fn record(&mut self, record: Record) {
        if !record.problems.is_empty() {
            if let Some(m) = self.malformed.get_mut(record.file_index) {
                *m += 1;
            }
            for p in &record.problems {
                if self.problems.len() < MAX_KEPT_EVENTS {
                    self.problems.push(ProblemReport {
                        file_index: record.file_index,
                        frame: record.frame,
                        offset: p.offset,
                        what: p.what.clone(),
                    });
                }
            }
        }
        match record.kind {
            Kind::Ike if record.ike.is_some() && !is_corrupt_ike(&record) => {
                let mut record = record;
                let liveness = super::liveness::is_liveness(&record);
                let mut repeat = false;
                if let Some(ike) = record.ike.as_deref_mut() {
                    let now = super::recent_digests::Sighting {
                        time: record.time,
                        src: record.src,
                        dst: record.dst,
                        ttl: record.ttl,
                    };
                    match self.seen_digests.insert(ike.digest, now) {
                        Some(super::recent_digests::Sighting {
                            time: t,
                            src,
                            dst,
                            ttl: before,
                        }) if src == record.src
                            && dst == record.dst
                            && record.time.0.saturating_sub(t.0) < CAPTURE_COPY_NS =>
                        {
                            let at = FrameRef {
                                file: record.file_index,
                                frame: record.frame,
                            };
                            if let Some(c) = bounded_entry(&mut self.capture_copies, (src, dst)) {
                                if c.count == 0 {
                                    c.ttls = (before, record.ttl);
                                    c.first_frame = Some(at);
                                }
                                c.count += 1;
                            }
                            return;
                        }
                        // A bitwise repeat (retransmission) keeps only what reconstruction
                        // reads of it; its payload details are those of the first copy, kept
                        // whole.
                        Some(_) => {
                            repeat = true;
                            ike.slim();
                        }
                        None => {}
                    }
                }
                if liveness {
                    self.liveness.offer(record, repeat, &mut self.ike);
                } else {
                    self.opener.offer(record, &mut self.ike)
                }
            }
            Kind::Ike => {
                if let Some(m) = self.undecodable_ike.get_mut(record.file_index) {
                    *m += 1;
                }
            }
            Kind::Esp => {
                let Some(esp) = record.esp else { return };
                let flow = (record.src, record.dst, esp.spi);
                if let Some(inner) = esp.decrypted.and_then(|d| d.inner) {
                    let key = (flow.0, flow.1, flow.2, inner);
                    if let Some(e) = bounded_entry(&mut self.inner, key) {
                        e.0 += 1;
                        e.1 += u64::from(esp.length);
                    }
                }
                if let Some(status) = esp.decryption {
                    if let Some(e) = bounded_entry(&mut self.esp_decryption, flow) {
                        match status {
                            crate::record::EspDecryption::Ok => e.0 += 1,
                            crate::record::EspDecryption::IntegrityFailed
                            | crate::record::EspDecryption::WrongKey => e.1 += 1,
                            _ => {}
                        }
                    }
                }
                self.add_esp(&EspSample {
                    file_index: record.file_index,
                    frame: record.frame,
                    time: record.time,
                    src: record.src,
                    dst: record.dst,
                    esp,
                    fragmented: record.ip_fragment_frames.is_some(),
                })
            }
            Kind::NatKeepalive => {
                let at = FrameRef {
                    file: record.file_index,
                    frame: record.frame,
                };
                let k = self
                    .keepalives
                    .entry((record.src, record.dst))
                    .or_insert(KeepaliveStats {
                        count: 0,
                        first: record.time,
                        last: record.time,
                        first_frame: at,
                    });
                k.count += 1;
                k.last = k.last.max(record.time);
            }
            Kind::IcmpError => {
                if self.icmp.len() < MAX_KEPT_EVENTS {
                    self.icmp.push(record);
                }
            }
        }
    }

    fn esp_only(&self) -> bool {
        true
    }

    fn esp(&mut self, sample: &EspSample) {
        self.add_esp(sample);
    }

    fn esp_counted_elsewhere(&mut self, sample: &EspSample) {
        self.note_fragmented(sample);
    }

    fn wants_inner(&self) -> bool {
        true
    }

    fn inner(&mut self, packet: crate::decode::inner_packet::InnerPacket) {
        self.bgp.packet(&packet);
        self.inner_health.packet(&packet);
    }

    fn event(&mut self, file_index: usize, event: &IngestEvent) {
        match event {
            IngestEvent::Malformed { frame, offset, what } => {
                if let Some(m) = self.malformed.get_mut(file_index) {
                    *m += 1;
                }
                if self.problems.len() < MAX_KEPT_EVENTS {
                    self.problems.push(ProblemReport {
                        file_index,
                        frame: *frame,
                        offset: *offset,
                        what: what.clone(),
                    });
                }
            }
            IngestEvent::IncompleteReassembly { .. } => {
                if self.incomplete.len() < MAX_KEPT_EVENTS {
                    self.incomplete.push((file_index, event.clone()));
                }
            }
            IngestEvent::UnsupportedLinkType { frame, linktype } => {
                if self.not_analysed.len() < MAX_KEPT_EVENTS {
                    self.not_analysed.push((
                        file_index,
                        NotAnalysed::UnsupportedLinkType {
                            linktype: *linktype,
                            first_frame: *frame,
                        },
                    ));
                }
            }
        }
    }
}
