//! One-message initiators folded into per-responder groups (issue 16).
//!
//! A flood (IKE_SA_INIT from spoofed sources), a scan (ike-scan probes) or a crowd of half-open
//! SAs is millions of IKE SA attempts that never go past their first exchange. Kept as tunnels,
//! memory and the report grow with the number of sources. Instead every attempt starts
//! *pending* (its messages held aside, at most [`MAX_PENDING`] attempts and
//! [`PENDING_WINDOW_NS`] of capture time): a message beyond the first exchange (IKE_AUTH, MM3,
//! ...) makes it a real SA, whose messages go on to the tunnels as before. An attempt still
//! pending when it leaves the window *stayed one-message*: it is held, and once a responder has
//! [`FOLD_THRESHOLD`] of them (or the held attempts of all responders pass [`MAX_HELD`]) that
//! responder's held and later one-message attempts are folded into its [`InitiatorGroup`]:
//! counters, sketches and a few samples instead of records. A late copy of a folded attempt
//! (retransmission, late answer) counts into the group. Attempts held toward responders that
//! never reach the threshold become tunnels at the end, so a capture with a few unanswered peers
//! reads exactly as before.

use super::collect::FrameRef;
use super::sketch::{DistinctAddresses, TopSources};
use crate::record::{Hex, IkeInfo, Record, Spi8, Timestamp};
use foldhash::{HashMap, HashSet};
use ikescope_parsers::iana::{ExchangeType, IkeVersion, NotifyType, PayloadType};
use serde::Serialize;
use std::collections::{BTreeMap, VecDeque};
use std::net::IpAddr;

/// Most attempts pending at once (the oldest leaves the window first when more arrive).
pub const MAX_PENDING: usize = 16_384;
/// Capture time an attempt may wait for its second exchange before it counts as one-message.
pub const PENDING_WINDOW_NS: i64 = 10_000_000_000;
/// One-message attempts toward one responder before that responder's are folded.
pub const FOLD_THRESHOLD: usize = 256;
/// One-message attempts held (not folded) over all responders at most.
pub const MAX_HELD: usize = 8_192;
/// Groups at most; one-message attempts toward further responders fold into one group whose
/// responder is the unspecified address `::`.
pub const MAX_GROUPS: usize = 1_024;
/// Source prefixes counted per group (IPv4 /24, IPv6 /48); the rest count as `other`.
pub const MAX_PREFIXES: usize = 4_096;
/// Sample attempts kept per group (their frames are the evidence).
pub const MAX_SAMPLES: usize = 8;
/// Distinct vendor IDs, identities, notify types counted per group.
pub const MAX_DISTINCT: usize = 64;
/// Distinct proposal lists (transform sets) counted per group.
pub const MAX_TRANSFORM_SETS: usize = 4_096;
/// Folded attempts remembered (to recognise their late copies) at most.
pub const MAX_REMEMBERED: usize = 4_194_304;

/// Key of an IKE SA attempt: (initiator, responder, initiator SPI / cookie).
type AttemptKey = (IpAddr, IpAddr, Spi8);

/// True for a message of an IKE SA's first exchange: IKEv2 IKE_SA_INIT, IKEv1 Main or
/// Aggressive Mode messages carrying the SA payload (MM1, MM2, AM1, AM2) and cleartext IKEv1
/// Informationals (a refusal of MM1).
pub fn is_opening(ike: &IkeInfo) -> bool {
    match ike.version {
        2 => ike.exchange == ExchangeType::IKE_SA_INIT && ike.message_id == 0,
        1 => match ike.exchange {
            ExchangeType::MAIN_MODE | ExchangeType::AGGRESSIVE => {
                !ike.encrypted && ike.payloads.contains(&PayloadType::V1_SA)
            }
            ExchangeType::INFORMATIONAL_V1 => !ike.encrypted,
            _ => false,
        },
        _ => false,
    }
}

/// IKEv1 attribute types of a phase-1 transform.
const V1_ATTR_ENCRYPTION: u16 = 1;
const V1_ATTR_HASH: u16 = 2;
const V1_ATTR_GROUP: u16 = 4;

/// ike-scan's default IKEv1 offer: one proposal of eight transforms, every combination of
/// {3DES, DES} x {SHA1, MD5} x {modp1024, modp768} (ike-scan 1.9, no `--trans`).
pub fn is_ike_scan_default_offer(ike: &IkeInfo) -> bool {
    if ike.ike_version() != Some(IkeVersion::V1) || ike.proposals.len() != 1 {
        return false;
    }
    let transforms = &ike.proposals[0].transforms;
    if transforms.len() != 8 {
        return false;
    }
    let attr = |t: &crate::record::Transform, kind: u16| {
        t.attributes
            .iter()
            .find(|a| a.kind == kind)
            .and_then(|a| a.value.as_u64())
    };
    let mut combos: Vec<(u64, u64, u64)> = Vec::with_capacity(8);
    for t in transforms.iter() {
        let (Some(e), Some(h), Some(g)) = (
            attr(t, V1_ATTR_ENCRYPTION),
            attr(t, V1_ATTR_HASH),
            attr(t, V1_ATTR_GROUP),
        ) else {
            return false;
        };
        if !matches!(e, 1 | 5) || !matches!(h, 1 | 2) || !matches!(g, 1 | 2) {
            return false;
        }
        combos.push((e, h, g));
    }
    combos.sort_unstable();
    combos.dedup();
    combos.len() == 8
}

/// Fingerprint of the proposals of a message (equal offers, equal fingerprints).
pub fn offer_fingerprint(ike: &IkeInfo) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = rustc_hash::FxHasher::default();
    ike.proposals.hash(&mut h);
    h.finish()
}

/// IKE mode of an attempt.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OpeningMode {
    /// IKEv2 IKE_SA_INIT.
    #[default]
    IkeSaInit,
    /// IKEv1 Main Mode.
    MainMode,
    /// IKEv1 Aggressive Mode.
    AggressiveMode,
}

/// One sample attempt: its initiator, SPI and frames.
#[derive(Clone, Debug, Serialize)]
pub struct SampleAttempt {
    /// Address that opened the attempt.
    pub initiator: IpAddr,
    /// Initiator SPI / cookie.
    pub spi_i: Spi8,
    /// The exchange that opened it: IKE_SA_INIT, Main or Aggressive Mode.
    pub mode: OpeningMode,
    /// Time of its first message.
    pub time: Timestamp,
    /// Its frames (at most 4), each with whether the initiator sent it.
    #[serde(skip)]
    pub frames: Vec<(FrameRef, bool)>,
}

/// What is known of the one-message initiators toward one responder.
#[derive(Clone, Debug)]
pub struct InitiatorGroup {
    /// The responder (`::` for the overflow group past [`MAX_GROUPS`]).
    pub responder: IpAddr,
    /// IKE SA attempts folded in.
    pub attempts: u64,
    /// Attempts per mode.
    pub modes: BTreeMap<OpeningMode, u64>,
    /// Requests (first copies and retransmissions) and responses.
    pub requests: u64,
    /// Responses from the responder to the group's attempts.
    pub responses: u64,
    /// Requests beyond the first of their attempt.
    pub retransmissions: u64,
    /// Attempts that got at least one response.
    pub answered: u64,
    /// Attempts answered with an IKEv2 COOKIE challenge.
    pub cookie_challenged: u64,
    /// Attempts refused with an error notify.
    pub refused: u64,
    /// Notify types in responses, with counts (first [`MAX_DISTINCT`] types).
    pub response_notifies: BTreeMap<u16, u64>,
    /// IKEv1 Aggressive Mode responses carrying a HASH: the PSK-derived hash an eavesdropper
    /// (or the prober) can crack offline.
    pub psk_hash_exposed: u64,
    /// First and last message.
    pub first: Timestamp,
    /// Last message.
    pub last: Timestamp,
    /// Highest number of attempts starting within one second.
    pub peak_per_second: u64,
    /// Seconds in which attempts started.
    pub busy_seconds: u64,
    current_second: Option<(i64, u64)>,
    /// Distinct sources (estimate).
    pub sources: DistinctAddresses,
    /// Heaviest sources.
    pub top_sources: TopSources,
    /// Attempts per source prefix (IPv4 /24, IPv6 /48), first [`MAX_PREFIXES`] prefixes.
    pub prefixes: BTreeMap<ipnet::IpNet, u64>,
    /// Attempts from sources outside the counted prefixes.
    pub prefixes_other: u64,
    /// Lowest and highest source address per family (their common prefix covers all sources).
    pub source_range: [Option<(IpAddr, IpAddr)>; 2],
    /// The first attempts.
    pub samples: Vec<SampleAttempt>,
    /// Vendor IDs in requests: hex → (name, count).
    pub vendor_ids: BTreeMap<Hex, (Option<String>, u64)>,
    /// Requests without any vendor ID.
    pub requests_without_vendor_id: u64,
    /// Identities in cleartext requests (IKEv1 Aggressive Mode): value → count.
    pub identities: BTreeMap<String, u64>,
    /// Identities beyond the first [`MAX_DISTINCT`].
    pub identities_other: u64,
    /// Fingerprints of distinct proposal lists offered (first [`MAX_TRANSFORM_SETS`]).
    pub transform_sets: HashSet<u64>,
    /// Most transforms in one request.
    pub max_transforms: usize,
    /// Requests offering ike-scan's default transform set (see [`is_ike_scan_default_offer`]).
    pub ike_scan_offers: u64,
    /// Messages of already folded attempts seen later (retransmissions, late answers).
    pub late_messages: u64,
    /// Inputs (file indexes) in which the group's messages were seen.
    pub files: std::collections::BTreeSet<usize>,
    /// The proposals of the last request and their fingerprint.
    last_offer: Option<(std::sync::Arc<[crate::record::Proposal]>, u64)>,
}

fn prefix_of(a: IpAddr) -> ipnet::IpNet {
    let len = if a.is_ipv4() { 24 } else { 48 };
    ipnet::IpNet::new(a, len)
        .map(|n| n.trunc())
        .unwrap_or_else(|_| a.into())
}

impl InitiatorGroup {
    fn new(responder: IpAddr) -> Self {
        InitiatorGroup {
            responder,
            attempts: 0,
            modes: BTreeMap::new(),
            requests: 0,
            responses: 0,
            retransmissions: 0,
            answered: 0,
            cookie_challenged: 0,
            refused: 0,
            response_notifies: BTreeMap::new(),
            psk_hash_exposed: 0,
            first: Timestamp::default(),
            last: Timestamp::default(),
            peak_per_second: 0,
            busy_seconds: 0,
            current_second: None,
            sources: DistinctAddresses::default(),
            top_sources: TopSources::default(),
            prefixes: BTreeMap::new(),
            prefixes_other: 0,
            source_range: [None, None],
            samples: Vec::new(),
            vendor_ids: BTreeMap::new(),
            requests_without_vendor_id: 0,
            identities: BTreeMap::new(),
            identities_other: 0,
            transform_sets: HashSet::default(),
            max_transforms: 0,
            ike_scan_offers: 0,
            late_messages: 0,
            files: std::collections::BTreeSet::new(),
            last_offer: None,
        }
    }

    /// Count one attempt that stayed one-message, from its records.
    fn absorb(&mut self, initiator: IpAddr, spi_i: Spi8, records: &[Record]) {
        let Some(first) = records.first() else {
            return;
        };
        self.attempts += 1;
        let mut mode = OpeningMode::IkeSaInit;
        let (mut answered, mut cookie, mut refused) = (false, false, false);
        let mut requests = 0u64;
        for r in records {
            let Some(ike) = r.ike.as_deref() else { continue };
            self.note_time(r.time);
            self.note_file(r.file_index);
            if ike.ike_version() == Some(IkeVersion::V1) && ike.exchange == ExchangeType::AGGRESSIVE {
                mode = OpeningMode::AggressiveMode;
            } else if ike.ike_version() == Some(IkeVersion::V1)
                && ike.exchange == ExchangeType::MAIN_MODE
                && mode != OpeningMode::AggressiveMode
            {
                mode = OpeningMode::MainMode;
            }
            if r.src == initiator {
                requests += 1;
                if requests == 1 {
                    self.first_request(ike);
                }
            } else {
                answered = true;
                self.responses += 1;
                for &n in &ike.notify {
                    if n == NotifyType::V2_COOKIE {
                        cookie = true;
                    } else if n.is_error() {
                        refused = true;
                    }
                    if self.response_notifies.len() < MAX_DISTINCT
                        || self.response_notifies.contains_key(&n.0)
                    {
                        *self.response_notifies.entry(n.0).or_default() += 1;
                    }
                }
                if ike.ike_version() == Some(IkeVersion::V1)
                    && ike.exchange == ExchangeType::AGGRESSIVE
                    && ike.payloads.contains(&PayloadType::V1_HASH)
                {
                    self.psk_hash_exposed += 1;
                }
            }
        }
        self.requests += requests;
        self.retransmissions += requests.saturating_sub(1);
        self.answered += u64::from(answered);
        self.cookie_challenged += u64::from(cookie);
        self.refused += u64::from(refused && !cookie);
        *self.modes.entry(mode).or_default() += 1;
        self.sources.add(initiator);
        self.top_sources.add(initiator, 1);
        let p = prefix_of(initiator);
        if let Some(n) = self.prefixes.get_mut(&p) {
            *n += 1;
        } else if self.prefixes.len() < MAX_PREFIXES {
            self.prefixes.insert(p, 1);
        } else {
            self.prefixes_other += 1;
        }
        let fam = usize::from(initiator.is_ipv6());
        let range = self.source_range[fam].get_or_insert((initiator, initiator));
        range.0 = range.0.min(initiator);
        range.1 = range.1.max(initiator);
        // Attempts per second, by the start of each attempt (records arrive nearly in order).
        let sec = first.time.0.div_euclid(1_000_000_000);
        match &mut self.current_second {
            Some((s, n)) if *s == sec => *n += 1,
            slot => {
                *slot = Some((sec, 1));
                self.busy_seconds += 1;
            }
        }
        if let Some((_, n)) = self.current_second {
            self.peak_per_second = self.peak_per_second.max(n);
        }
        if self.samples.len() < MAX_SAMPLES {
            self.samples.push(SampleAttempt {
                initiator,
                spi_i,
                mode,
                time: first.time,
                frames: records
                    .iter()
                    .take(4)
                    .map(|r| {
                        let at = FrameRef {
                            file: r.file_index,
                            frame: r.frame,
                        };
                        (at, r.src == initiator)
                    })
                    .collect(),
            });
        }
    }

    fn note_file(&mut self, file: usize) {
        self.files.insert(file);
    }

    fn note_time(&mut self, t: Timestamp) {
        if self.first == Timestamp::default() || t < self.first {
            self.first = t;
        }
        self.last = self.last.max(t);
    }

    /// What the first request of an attempt shows: vendor IDs, identities, its offer.
    fn first_request(&mut self, ike: &IkeInfo) {
        if ike.vendor_ids.is_empty() {
            self.requests_without_vendor_id += 1;
        }
        for (i, v) in ike.vendor_ids.iter().enumerate() {
            if self.vendor_ids.len() < MAX_DISTINCT || self.vendor_ids.contains_key(v) {
                let name = ike.vendor_names.get(i).cloned().flatten();
                self.vendor_ids.entry(v.clone()).or_insert((name, 0)).1 += 1;
            }
        }
        for id in &ike.ids {
            if self.identities.len() < MAX_DISTINCT || self.identities.contains_key(&id.value) {
                *self.identities.entry(id.value.clone()).or_default() += 1;
            } else {
                self.identities_other += 1;
            }
        }
        if !ike.proposals.is_empty() && self.transform_sets.len() < MAX_TRANSFORM_SETS {
            // Identical SA payloads share their proposals (decode's memo): one fingerprint each.
            let fingerprint = match &self.last_offer {
                Some((p, f)) if std::sync::Arc::ptr_eq(p, &ike.proposals) => *f,
                _ => {
                    let f = offer_fingerprint(ike);
                    self.last_offer = Some((std::sync::Arc::clone(&ike.proposals), f));
                    f
                }
            };
            self.transform_sets.insert(fingerprint);
        }
        if is_ike_scan_default_offer(ike) {
            self.ike_scan_offers += 1;
        }
        let transforms: usize = ike.proposals.iter().map(|p| p.transforms.len()).sum();
        self.max_transforms = self.max_transforms.max(transforms);
    }

    /// A message of an attempt folded earlier.
    fn late(&mut self, r: &Record, from_initiator: bool) {
        self.late_messages += 1;
        self.note_time(r.time);
        self.note_file(r.file_index);
        if from_initiator {
            self.requests += 1;
            self.retransmissions += 1;
        } else {
            self.responses += 1;
        }
    }

    /// Fold the group of another input in.
    pub fn merge(&mut self, o: InitiatorGroup) {
        self.attempts += o.attempts;
        for (k, v) in o.modes {
            *self.modes.entry(k).or_default() += v;
        }
        self.requests += o.requests;
        self.responses += o.responses;
        self.retransmissions += o.retransmissions;
        self.answered += o.answered;
        self.cookie_challenged += o.cookie_challenged;
        self.refused += o.refused;
        for (k, v) in o.response_notifies {
            *self.response_notifies.entry(k).or_default() += v;
        }
        self.psk_hash_exposed += o.psk_hash_exposed;
        if o.first != Timestamp::default() {
            self.note_time(o.first);
        }
        self.last = self.last.max(o.last);
        self.peak_per_second = self.peak_per_second.max(o.peak_per_second);
        self.busy_seconds += o.busy_seconds;
        self.sources.merge(&o.sources);
        self.top_sources.merge(&o.top_sources);
        for (k, v) in o.prefixes {
            if self.prefixes.len() < MAX_PREFIXES || self.prefixes.contains_key(&k) {
                *self.prefixes.entry(k).or_default() += v;
            } else {
                self.prefixes_other += v;
            }
        }
        self.prefixes_other += o.prefixes_other;
        for fam in 0..2 {
            self.source_range[fam] = match (self.source_range[fam], o.source_range[fam]) {
                (Some(a), Some(b)) => Some((a.0.min(b.0), a.1.max(b.1))),
                (a, b) => a.or(b),
            };
        }
        for s in o.samples {
            if self.samples.len() < MAX_SAMPLES {
                self.samples.push(s);
            }
        }
        for (k, (name, n)) in o.vendor_ids {
            if self.vendor_ids.len() < MAX_DISTINCT || self.vendor_ids.contains_key(&k) {
                self.vendor_ids.entry(k).or_insert((name, 0)).1 += n;
            }
        }
        self.requests_without_vendor_id += o.requests_without_vendor_id;
        for (k, n) in o.identities {
            if self.identities.len() < MAX_DISTINCT || self.identities.contains_key(&k) {
                *self.identities.entry(k).or_default() += n;
            } else {
                self.identities_other += n;
            }
        }
        self.identities_other += o.identities_other;
        for f in o.transform_sets {
            if self.transform_sets.len() < MAX_TRANSFORM_SETS {
                self.transform_sets.insert(f);
            }
        }
        self.max_transforms = self.max_transforms.max(o.max_transforms);
        self.ike_scan_offers += o.ike_scan_offers;
        self.late_messages += o.late_messages;
        self.files.extend(o.files);
    }

    /// Covering prefixes of the sources, one per family seen (e.g. `203.0.113.0/24`).
    pub fn source_cover(&self) -> Vec<ipnet::IpNet> {
        self.source_range
            .iter()
            .flatten()
            .map(|&(lo, hi)| common_prefix(lo, hi))
            .collect()
    }

    /// Source prefixes, most attempts first (ties by prefix).
    pub fn ranked_prefixes(&self) -> Vec<(ipnet::IpNet, u64)> {
        let mut v: Vec<_> = self.prefixes.iter().map(|(p, n)| (*p, *n)).collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        v
    }

    /// Where the sources are: up to three prefixes by name, else the covering prefix per family.
    pub fn sources_phrase(&self) -> String {
        let prefixes = self.ranked_prefixes();
        let names: Vec<String> = if prefixes.len() <= 3 && self.prefixes_other == 0 {
            let mut v: Vec<String> = prefixes.iter().map(|(p, _)| p.to_string()).collect();
            v.sort();
            v
        } else {
            self.source_cover().iter().map(|p| p.to_string()).collect()
        };
        match names.len() {
            0 => "unknown sources".to_string(),
            1 => names[0].clone(),
            n => format!("{} and {}", names[..n - 1].join(", "), names[n - 1]),
        }
    }

    /// The headline: `299,997 one-message initiators from A and B toward R`.
    pub fn headline(&self) -> String {
        let toward = if self.responder.is_unspecified() {
            "toward further responders".to_string()
        } else {
            format!("toward {}", self.responder)
        };
        format!(
            "{} one-message initiators from {} {toward}",
            crate::wording::count(self.attempts),
            self.sources_phrase()
        )
    }

    /// Identifier used as the `tunnel` of the group's findings: `group:<responder>`.
    pub fn id(&self) -> String {
        group_id(self.responder)
    }
}

/// Prefix of group identifiers.
pub const GROUP_PREFIX: &str = "group:";

/// The identifier of the group toward `responder` (the `tunnel` of its findings, also of
/// findings about the responder as a whole when it has no group).
pub fn group_id(responder: IpAddr) -> String {
    format!("{GROUP_PREFIX}{responder}")
}

/// The longest prefix holding both addresses (same family).
fn common_prefix(lo: IpAddr, hi: IpAddr) -> ipnet::IpNet {
    let len = match (lo, hi) {
        (IpAddr::V4(a), IpAddr::V4(b)) => (u32::from(a) ^ u32::from(b)).leading_zeros() as u8,
        (IpAddr::V6(a), IpAddr::V6(b)) => (u128::from(a) ^ u128::from(b)).leading_zeros() as u8,
        _ => 0,
    };
    ipnet::IpNet::new(lo, len)
        .map(|n| n.trunc())
        .unwrap_or_else(|_| lo.into())
}

/// An attempt whose messages are held aside.
#[derive(Debug)]
struct Attempt {
    key: AttemptKey,
    records: Vec<Record>,
    /// Left the pending window one-message (and waits for its responder's verdict).
    held: bool,
}

/// A hasher for keys that already are well-mixed 64-bit fingerprints.
#[derive(Default)]
struct PassThrough(u64);

impl std::hash::Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

type ByFingerprint<V> = std::collections::HashMap<u64, V, std::hash::BuildHasherDefault<PassThrough>>;
type FingerprintSet = std::collections::HashSet<u64, std::hash::BuildHasherDefault<PassThrough>>;

/// splitmix64 finaliser.
fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn address_bits(a: IpAddr) -> u128 {
    match a {
        IpAddr::V4(v) => u128::from(u32::from(v)) | (1 << 127),
        IpAddr::V6(v) => u128::from(v),
    }
}

/// A 64-bit fingerprint of an attempt key (the maps hold it; the full key is kept beside the
/// records and checked).
fn fingerprint(k: &AttemptKey) -> u64 {
    let (i, r) = (address_bits(k.0), address_bits(k.1));
    let h = mix((i >> 64) as u64 ^ mix(i as u64));
    let h = mix(h ^ (r >> 64) as u64 ^ mix(r as u64 ^ 0x5eed));
    mix(h ^ u64::from_be_bytes(k.2 .0))
}

/// The folding state of one input (see the module documentation).
#[derive(Debug, Default)]
pub struct OpenerFold {
    attempts: ByFingerprint<Attempt>,
    /// Pending attempts in arrival order, with their first time (entries of attempts that
    /// became real or were held are skipped when reached).
    queue: VecDeque<(u64, Timestamp)>,
    pending: usize,
    held: HashMap<IpAddr, Vec<u64>>,
    held_total: usize,
    /// Real SAs (a message beyond their first exchange was seen): later copies pass straight on.
    real: FingerprintSet,
    /// Responders whose one-message attempts are being folded.
    folding: HashSet<IpAddr>,
    /// Fingerprints of folded attempts, to recognise their late copies.
    folded: FingerprintSet,
    /// The groups, by responder.
    pub groups: BTreeMap<IpAddr, InitiatorGroup>,
}

impl OpenerFold {
    /// Take one IKE message; what is known to be part of a real SA (or not an SA's first
    /// exchange at all) is appended to `out`, the rest is held aside or folded.
    pub fn offer(&mut self, record: Record, out: &mut Vec<Record>) {
        let Some(ike) = record.ike.as_deref() else {
            out.push(record);
            return;
        };
        let initiator = if ike.initiator { record.src } else { record.dst };
        let responder = if ike.initiator { record.dst } else { record.src };
        let key = (initiator, responder, ike.spi_i);
        let fp = fingerprint(&key);
        let opening = is_opening(ike);
        let now = record.time;
        if let Some(a) = self.attempts.get_mut(&fp) {
            if a.key != key {
                // a fingerprint collision: let the message through untouched
                out.push(record);
            } else if opening {
                a.records.push(record);
            } else {
                self.make_real(fp, out);
                out.push(record);
            }
        } else if !opening || self.real.contains(&fp) {
            out.push(record);
        } else if self.folding.contains(&responder) && self.folded.contains(&fp) {
            let overflow = IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED);
            let group = if self.groups.contains_key(&responder) {
                responder
            } else {
                overflow
            };
            if let Some(g) = self.groups.get_mut(&group) {
                g.late(&record, record.src == initiator);
            }
        } else {
            if self.attempts.capacity() == 0 {
                self.attempts.reserve(MAX_PENDING + 1);
                self.queue.reserve(MAX_PENDING + 1);
            }
            self.attempts.insert(
                fp,
                Attempt {
                    key,
                    records: vec![record],
                    held: false,
                },
            );
            self.queue.push_back((fp, now));
            self.pending += 1;
        }
        self.expire(Some(now));
    }

    /// A message beyond the first exchange: the attempt is a real SA.
    fn make_real(&mut self, fp: u64, out: &mut Vec<Record>) {
        if let Some(a) = self.attempts.remove(&fp) {
            if a.held {
                self.held_total -= 1;
            } else {
                self.pending -= 1;
            }
            out.extend(a.records);
        }
        self.real.insert(fp);
    }

    /// Settle the pending attempts that left the window (all of them when `now` is `None`).
    fn expire(&mut self, now: Option<Timestamp>) {
        while let Some(&(fp, first)) = self.queue.front() {
            let due = match now {
                None => true,
                Some(now) => self.pending > MAX_PENDING || now.0 - first.0 >= PENDING_WINDOW_NS,
            };
            if !due {
                break;
            }
            self.queue.pop_front();
            let responder = match self.attempts.get_mut(&fp) {
                Some(a) if !a.held => {
                    a.held = true;
                    a.key.1
                }
                _ => continue,
            };
            self.pending -= 1;
            self.settle(fp, responder);
        }
    }

    /// An attempt left the window one-message: fold it, or hold it for its responder's verdict.
    fn settle(&mut self, fp: u64, responder: IpAddr) {
        if self.folding.contains(&responder) {
            self.fold(fp);
            return;
        }
        let held = self.held.entry(responder).or_default();
        held.push(fp);
        self.held_total += 1;
        if held.len() >= FOLD_THRESHOLD {
            self.start_folding(responder);
        } else if self.held_total > MAX_HELD {
            let busiest = self
                .held
                .iter()
                .max_by_key(|(r, v)| (v.len(), std::cmp::Reverse(**r)))
                .map(|(r, _)| *r);
            if let Some(r) = busiest {
                self.start_folding(r);
            }
        }
    }

    /// From now on fold the one-message attempts toward `responder`, the held ones first.
    fn start_folding(&mut self, responder: IpAddr) {
        self.folding.insert(responder);
        for fp in self.held.remove(&responder).unwrap_or_default() {
            if self.attempts.get(&fp).is_some_and(|a| a.held) {
                self.held_total -= 1;
                self.fold(fp);
            }
        }
    }

    fn fold(&mut self, fp: u64) {
        let Some(a) = self.attempts.remove(&fp) else {
            return;
        };
        let responder = a.key.1;
        let group_key = if self.groups.len() < MAX_GROUPS || self.groups.contains_key(&responder) {
            responder
        } else {
            IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED)
        };
        self.groups
            .entry(group_key)
            .or_insert_with(|| InitiatorGroup::new(group_key))
            .absorb(a.key.0, a.key.2, &a.records);
        if self.folded.len() < MAX_REMEMBERED {
            self.folded.insert(fp);
        }
    }

    /// End of input: pending attempts are settled, and those held toward responders that never
    /// reached the threshold join `out` (they become tunnels). Returns the groups.
    pub fn finish(&mut self, out: &mut Vec<Record>) -> BTreeMap<IpAddr, InitiatorGroup> {
        self.expire(None);
        for (_, fps) in std::mem::take(&mut self.held) {
            for fp in fps {
                if let Some(a) = self.attempts.remove(&fp) {
                    out.extend(a.records);
                }
            }
        }
        for (_, a) in self.attempts.drain() {
            out.extend(a.records);
        }
        self.held_total = 0;
        self.pending = 0;
        self.queue.clear();
        self.real.clear();
        self.folded.clear();
        self.folding.clear();
        std::mem::take(&mut self.groups)
    }
}
