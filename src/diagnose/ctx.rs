//! The shared state of one diagnosis run: the model, the findings so far, lookup indexes, and
//! the marks by which a rule tells the rules after it what it already explains (see
//! [`super::rules::RULES`]).

use super::finding::{self, Confidence, Finding, FindingKind};
use super::rules::{Mark, Rule, RULES};
use super::{DiagnoseOptions, LONE_REQUEST_WAIT_SECS};
use crate::capture::IngestEvent;
use crate::reconstruct::{Exchange, ExchangeKind, IkeSa, Model, MsgRef, Phase, SaState, Tunnel};
use crate::record::{IkeInfo, Record, Timestamp};
use rayon::prelude::*;
// seeded hashes (the keys come from the capture), faster than SipHash on these small keys
use foldhash::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Tunnels decided together in [`Ctx::per_tunnel`].
const TUNNELS_PER_CHUNK: usize = 256;

/// What a rule decided about one tunnel in [`Ctx::per_tunnel`], applied to the run afterwards in
/// the order it was decided.
#[derive(Debug)]
pub enum TunnelOutcome {
    /// A finding for [`Ctx::add`].
    Add(Finding),
    /// A finding for [`Ctx::push_unmerged`].
    Unmerged(Finding),
    /// (IKE SA, exchange) for [`Ctx::explain`].
    Explain(usize, usize),
    /// A tunnel for [`Ctx::explain_by_version_mismatch`].
    VersionMismatch(usize),
}

/// Shared state of one diagnosis run.
pub struct Ctx<'m> {
    /// The model.
    pub model: &'m Model,
    /// What the command line told the diagnosis.
    pub options: DiagnoseOptions,
    /// The rule running now (its declared marks are checked in debug builds).
    rule: &'static Rule,
    /// Exchanges (sa id, exchange index) already explained by a finding ([`Mark::Exchanges`]).
    explained: HashSet<(usize, usize)>,
    /// Tunnels whose phase-1 failures are explained by a version mismatch
    /// ([`Mark::VersionMismatch`]).
    version_mismatch_tunnels: HashSet<usize>,
    /// IKE SAs that are a prober's (ike_scan): their refusals are not configuration failures.
    probes: HashSet<usize>,
    /// Findings so far.
    findings: Vec<Finding>,
    /// Index of mergeable findings by (kind, tunnel, phase).
    index: HashMap<(FindingKind, String, Option<Phase>), usize>,
    /// The kinds in `index`, by tunnel ([`Ctx::has`] without building a key).
    kinds_on: HashMap<String, Vec<FindingKind>>,
    /// Tunnels with an error or warning finding ([`Ctx::has_failure`] without going through
    /// every finding: a merge only ever makes a finding more severe).
    failing: HashSet<String>,
    /// What the rules look up and never change, shared with the views of [`Ctx::view_for`].
    lookups: Arc<Lookups>,
}

/// Indexes of the model made once per run.
struct Lookups {
    /// Addresses that sent at least one IKE message, and (source, destination) pairs that did.
    ike_senders: HashSet<IpAddr>,
    ike_pairs: HashSet<(IpAddr, IpAddr)>,
    /// ICMP error records (indices) by the quoted (source, destination).
    icmp_by_flow: HashMap<(IpAddr, IpAddr), Vec<usize>>,
    /// Incomplete reassemblies (indices) by (source, destination).
    incomplete_by_flow: HashMap<(IpAddr, IpAddr), Vec<usize>>,
    /// Per tunnel, when its latest IKE SA was established.
    latest_established: Vec<Option<Timestamp>>,
}

/// A rule's decisions, tunnel after tunnel in model order, in one or more vectors.
pub(super) type Decisions = Vec<Vec<TunnelOutcome>>;

/// A rule's decision on one tunnel (see [`Ctx::per_tunnel`]).
pub type Decide = for<'a, 'm> fn(&'a Ctx<'m>, &'m Tunnel, &mut Vec<TunnelOutcome>);

impl<'m> Ctx<'m> {
    /// A run over `model`, before any rule.
    pub(super) fn new(model: &'m Model, options: DiagnoseOptions) -> Ctx<'m> {
        // the two sets of senders on two cores
        let (ike_senders, ike_pairs) = rayon::join(
            || model.data.ike.iter().map(|r| r.src).collect(),
            || model.data.ike.iter().map(|r| (r.src, r.dst)).collect(),
        );
        let mut lookups = Lookups {
            ike_senders,
            ike_pairs,
            icmp_by_flow: HashMap::default(),
            incomplete_by_flow: HashMap::default(),
            latest_established: model
                .tunnels
                .iter()
                .map(|t| {
                    t.sas
                        .iter()
                        .map(|&s| &model.sas[s])
                        .filter(|sa| matches!(sa.state, SaState::Established | SaState::Midstream))
                        .filter_map(|sa| sa.established.map(|(time, _)| time))
                        .max()
                })
                .collect(),
        };
        for (i, r) in model.data.icmp.iter().enumerate() {
            if let Some(icmp) = &r.icmp {
                lookups
                    .icmp_by_flow
                    .entry((icmp.quoted.src, icmp.quoted.dst))
                    .or_default()
                    .push(i);
            }
        }
        for (i, (_, ev)) in model.data.incomplete.iter().enumerate() {
            if let IngestEvent::IncompleteReassembly { src, dst, .. } = ev {
                lookups
                    .incomplete_by_flow
                    .entry((*src, *dst))
                    .or_default()
                    .push(i);
            }
        }
        Ctx {
            model,
            options,
            rule: &RULES[0],
            explained: HashSet::default(),
            version_mismatch_tunnels: HashSet::default(),
            probes: HashSet::default(),
            findings: Vec::new(),
            index: HashMap::default(),
            kinds_on: HashMap::default(),
            failing: HashSet::default(),
            lookups: Arc::new(lookups),
        }
    }

    /// What `rule` sees of this run: the marks it honours as they stand now, the lookups, and
    /// nothing else (no finding, no other mark). A rule that reads only the marks it declares
    /// (checked in debug builds) decides the same on the view as on the run, as long as no rule
    /// in between sets one of them ([`super::rules::earliest_decision`]), so the view can
    /// decide it ([`Ctx::decide_ahead`]) while those rules run.
    pub(super) fn view_for(&self, rule: &'static Rule) -> Ctx<'m> {
        let honours = |m: Mark| rule.honours.contains(&m);
        let kept = |kinds: &Vec<FindingKind>| kinds.iter().any(|&k| honours(Mark::Finding(k)));
        Ctx {
            model: self.model,
            options: self.options,
            rule,
            explained: if honours(Mark::Exchanges) {
                self.explained.clone()
            } else {
                HashSet::default()
            },
            version_mismatch_tunnels: if honours(Mark::VersionMismatch) {
                self.version_mismatch_tunnels.clone()
            } else {
                HashSet::default()
            },
            probes: if honours(Mark::Probes) {
                self.probes.clone()
            } else {
                HashSet::default()
            },
            findings: Vec::new(),
            index: HashMap::default(),
            kinds_on: self
                .kinds_on
                .iter()
                .filter(|(_, kinds)| kept(kinds))
                .map(|(t, kinds)| (t.clone(), kinds.clone()))
                .collect(),
            failing: if honours(Mark::Failures) {
                self.failing.clone()
            } else {
                HashSet::default()
            },
            lookups: Arc::clone(&self.lookups),
        }
    }

    /// Run one rule.
    pub(super) fn run(&mut self, rule: &'static Rule) {
        self.rule = rule;
        (rule.run)(self);
    }

    /// Decide about every tunnel on all cores with `decide`, which reads the run as the rules
    /// before left it and pushes what it decides, then apply those decisions tunnel by tunnel in
    /// model order: the same findings, merged the same way and in the same order as a loop over
    /// the tunnels that adds them as it goes. Only for a rule whose decision on a tunnel reads
    /// no mark or finding that the rule itself sets.
    pub fn per_tunnel<F>(&mut self, decide: F)
    where
        F: Fn(&Ctx<'m>, &'m Tunnel, &mut Vec<TunnelOutcome>) + Sync,
    {
        self.per_tunnel_from(0, &decide);
    }

    /// [`Ctx::per_tunnel`] on the tunnels from position `first` on.
    fn per_tunnel_from<F>(&mut self, first: usize, decide: &F)
    where
        F: Fn(&Ctx<'m>, &'m Tunnel, &mut Vec<TunnelOutcome>) + Sync,
    {
        let model = self.model;
        // a chunk of tunnels at a time: memory holds one chunk's decisions
        for chunk in model.tunnels[first.min(model.tunnels.len())..].chunks(TUNNELS_PER_CHUNK) {
            let decided = self.decide(chunk, decide);
            self.apply(decided);
        }
    }

    /// `decide` on every tunnel of `tunnels`, on all cores, in order: each core's run of
    /// tunnels pushes into one vector (not one vector per tunnel).
    fn decide<F>(&self, tunnels: &'m [Tunnel], decide: &F) -> Decisions
    where
        F: Fn(&Ctx<'m>, &'m Tunnel, &mut Vec<TunnelOutcome>) + Sync,
    {
        tunnels
            .par_iter()
            .fold(Vec::new, |mut out, t| {
                decide(self, t, &mut out);
                out
            })
            .collect()
    }

    /// [`Ctx::per_tunnel`]'s decisions (on a view, [`Ctx::view_for`]) on the first tunnels, a
    /// chunk at a time until `stop` is set: how many tunnels, and the decisions in order.
    pub(super) fn decide_ahead(&self, decide: Decide, stop: &AtomicBool) -> (usize, Decisions) {
        let (mut done, mut decided) = (0, Vec::new());
        for chunk in self.model.tunnels.chunks(TUNNELS_PER_CHUNK) {
            if stop.load(Ordering::Acquire) {
                break;
            }
            decided.extend(self.decide(chunk, &decide));
            done += chunk.len();
        }
        (done, decided)
    }

    /// Run `rule` in its place with the decisions [`Ctx::decide_ahead`] made on the first
    /// tunnels: they are applied, and the other tunnels decided and applied as
    /// [`Ctx::per_tunnel`] does.
    pub(super) fn finish_ahead(
        &mut self,
        rule: &'static Rule,
        (done, decided): (usize, Decisions),
        decide: Decide,
    ) {
        self.rule = rule;
        self.apply(decided);
        self.per_tunnel_from(done, &decide);
    }

    /// Apply decisions, in order.
    fn apply(&mut self, decided: Decisions) {
        for outcome in decided.into_iter().flatten() {
            match outcome {
                TunnelOutcome::Add(f) => self.add(f),
                TunnelOutcome::Unmerged(f) => self.push_unmerged(f),
                TunnelOutcome::Explain(sa, exchange) => self.explain(sa, exchange),
                TunnelOutcome::VersionMismatch(tunnel) => self.explain_by_version_mismatch(tunnel),
            }
        }
    }

    /// The findings of every rule run so far, in the order they were made.
    pub(super) fn into_findings(self) -> Vec<Finding> {
        self.findings
    }

    /// Mark exchange `exchange` of IKE SA `sa` as explained by the running rule's finding:
    /// the rules after it that honour [`Mark::Exchanges`] do not report it again.
    pub fn explain(&mut self, sa: usize, exchange: usize) {
        debug_assert!(
            self.rule.marks.contains(&Mark::Exchanges),
            "rule {} explains exchanges but does not declare it",
            self.rule.name
        );
        self.explained.insert((sa, exchange));
    }

    /// An earlier finding explains exchange `exchange` of IKE SA `sa`.
    pub fn is_explained(&self, sa: usize, exchange: usize) -> bool {
        debug_assert!(
            self.rule.honours.contains(&Mark::Exchanges),
            "rule {} reads explained exchanges but does not declare it",
            self.rule.name
        );
        self.explained.contains(&(sa, exchange))
    }

    /// Mark tunnel `tunnel`'s phase-1 failures as explained by an IKE version mismatch.
    pub fn explain_by_version_mismatch(&mut self, tunnel: usize) {
        debug_assert!(
            self.rule.marks.contains(&Mark::VersionMismatch),
            "rule {} marks version mismatches but does not declare it",
            self.rule.name
        );
        self.version_mismatch_tunnels.insert(tunnel);
    }

    /// Mark IKE SA `sa` as a prober's (see `rules::ike_scan`).
    pub fn mark_probe(&mut self, sa: usize) {
        debug_assert!(
            self.rule.marks.contains(&Mark::Probes),
            "rule {} marks probes but does not declare it",
            self.rule.name
        );
        self.probes.insert(sa);
    }

    /// IKE SA `sa` is a prober's: its refusals are the scan, not a configuration failure.
    pub fn is_probe(&self, sa: usize) -> bool {
        debug_assert!(
            self.rule.honours.contains(&Mark::Probes),
            "rule {} reads probes but does not declare it",
            self.rule.name
        );
        self.probes.contains(&sa)
    }

    /// An IKE version mismatch explains tunnel `tunnel`'s phase-1 failures.
    pub fn version_mismatch(&self, tunnel: usize) -> bool {
        debug_assert!(
            self.rule.honours.contains(&Mark::VersionMismatch),
            "rule {} reads version mismatches but does not declare it",
            self.rule.name
        );
        self.version_mismatch_tunnels.contains(&tunnel)
    }

    /// The record of a message.
    pub fn rec(&self, m: &MsgRef) -> &'m Record {
        &self.model.data.ike[m.index]
    }

    /// The IKE info of a message.
    pub fn ike(&self, m: &MsgRef) -> &'m IkeInfo {
        self.model.data.ike[m.index].ike.as_deref().expect("ike record")
    }

    /// Tunnel id of an SA.
    pub fn tunnel_id(&self, sa: &IkeSa) -> &'m str {
        &self.model.tunnels[sa.tunnel].id
    }

    /// Add a finding, merging it into an existing one of the same tunnel, kind and phase.
    pub fn add(&mut self, f: Finding) {
        self.check_declared(f.kind);
        let key = (f.kind, f.tunnel.clone(), f.phase);
        if let Some(&i) = self.index.get(&key) {
            let existing = &mut self.findings[i];
            existing.evidence_total += f.evidence_total;
            for ev in f.evidence {
                if existing.evidence.len() < finding::MAX_EVIDENCE && !existing.evidence.contains(&ev) {
                    existing.evidence.push(ev);
                }
            }
            if f.confidence == Confidence::Certain {
                existing.confidence = Confidence::Certain;
            }
            if f.severity < existing.severity {
                existing.severity = f.severity;
            }
            if existing.is_failure() && !self.failing.contains(&existing.tunnel) {
                self.failing.insert(existing.tunnel.clone());
            }
            for (k, v) in f.details {
                existing.details.entry(k).or_insert(v);
            }
            for a in f.alternatives {
                if a.kind != existing.kind && !existing.alternatives.iter().any(|x| x.kind == a.kind) {
                    existing.alternatives.push(a);
                }
            }
            return;
        }
        self.index.insert(key, self.findings.len());
        match self.kinds_on.get_mut(&f.tunnel) {
            Some(kinds) => kinds.push(f.kind),
            None => {
                self.kinds_on.insert(f.tunnel.clone(), vec![f.kind]);
            }
        }
        self.note_failure(&f);
        self.findings.push(f);
    }

    /// Add a finding that is never merged with another (e.g. one per peer).
    pub fn push_unmerged(&mut self, f: Finding) {
        self.check_declared(f.kind);
        self.note_failure(&f);
        self.findings.push(f);
    }

    /// Remember the tunnel of an error or warning finding.
    fn note_failure(&mut self, f: &Finding) {
        if f.is_failure() && !self.failing.contains(&f.tunnel) {
            self.failing.insert(f.tunnel.clone());
        }
    }

    /// Debug builds: a finding kind that a later rule reads ([`Mark::Finding`]) is declared by
    /// the rule that makes it.
    fn check_declared(&self, kind: FindingKind) {
        debug_assert!(
            self.rule.marks.contains(&Mark::Finding(kind))
                || !RULES.iter().any(|r| r.honours.contains(&Mark::Finding(kind))),
            "rule {} makes {} findings, which a rule reads, but does not declare it",
            self.rule.name,
            kind.as_str()
        );
    }

    /// An earlier rule made an error or warning finding on the tunnel.
    pub fn has_failure(&self, tunnel: &str) -> bool {
        debug_assert!(
            self.rule.honours.contains(&Mark::Failures),
            "rule {} reads earlier failures but does not declare it",
            self.rule.name
        );
        self.failing.contains(tunnel)
    }

    /// A finding of this kind exists on the tunnel (made by an earlier rule).
    pub fn has(&self, kind: FindingKind, tunnel: &str) -> bool {
        debug_assert!(
            self.rule.honours.contains(&Mark::Finding(kind)),
            "rule {} reads {} findings but does not declare it",
            self.rule.name,
            kind.as_str()
        );
        self.kinds_on
            .get(tunnel)
            .is_some_and(|kinds| kinds.contains(&kind))
    }

    /// When the tunnel's latest IKE SA was established, if any was.
    pub fn latest_established(&self, tunnel: usize) -> Option<Timestamp> {
        self.lookups.latest_established.get(tunnel).copied().flatten()
    }

    /// ICMP error records quoting a packet from `src` to `dst`.
    pub fn icmp_quoting(&self, src: IpAddr, dst: IpAddr) -> impl Iterator<Item = &'m Record> + '_ {
        let model = self.model;
        self.lookups
            .icmp_by_flow
            .get(&(src, dst))
            .into_iter()
            .flatten()
            .map(move |&i| &model.data.icmp[i])
    }

    /// Incomplete IP reassemblies from `src` to `dst`, with their file index.
    pub fn incomplete_between(
        &self,
        src: IpAddr,
        dst: IpAddr,
    ) -> impl Iterator<Item = &'m (usize, IngestEvent)> + '_ {
        let model = self.model;
        self.lookups
            .incomplete_by_flow
            .get(&(src, dst))
            .into_iter()
            .flatten()
            .map(move |&i| &model.data.incomplete[i])
    }

    /// `addr` sent at least one IKE message somewhere in the capture.
    pub fn sent_ike(&self, addr: IpAddr) -> bool {
        self.lookups.ike_senders.contains(&addr)
    }

    /// `src` sent at least one IKE message to `dst`.
    pub fn sent_ike_to(&self, src: IpAddr, dst: IpAddr) -> bool {
        self.lookups.ike_pairs.contains(&(src, dst))
    }

    /// Strongswan-style summaries of the proposals in a message (clear or decrypted).
    pub fn proposal_summaries(&self, m: &MsgRef) -> Vec<String> {
        let ike = self.ike(m);
        let mut out: Vec<String> = ike
            .proposals
            .iter()
            .flat_map(|p| p.summary.iter().cloned())
            .collect();
        if let Some(d) = &ike.decrypted {
            out.extend(d.proposals.iter().flat_map(|p| p.summary.iter().cloned()));
        }
        out.dedup();
        out
    }

    /// The requester gave up on (or is still waiting for) these unanswered requests: it
    /// retransmitted them, or the capture goes on for a while after them and shows the other
    /// direction at all (a one-way capture cannot prove silence).
    pub fn gave_up(&self, e: &Exchange, requests: &[MsgRef]) -> bool {
        if requests.iter().any(|m| m.retransmit) {
            return true;
        }
        let Some(last) = requests.iter().map(|m| m.time).max() else {
            return false;
        };
        self.model.capture_end.secs_since(last) >= LONE_REQUEST_WAIT_SECS && self.sent_ike(e.responder)
    }

    /// The requests of exchange `ei` of `sa` that went unanswered and were given up on: every
    /// request of an exchange never answered (see [`Ctx::gave_up`]), or, for IKEv1 Main,
    /// Aggressive and Quick Mode, the requests after the last response (at least two) when the
    /// responder said nothing more in the SA (e.g. MM5 repeated after MM4). `None` when the
    /// exchange was answered, when a later exchange of the SA was answered, or for one-way IKEv1
    /// Informationals.
    pub fn silent_requests(&self, sa: &IkeSa, ei: usize) -> Option<Vec<MsgRef>> {
        let e = &sa.exchanges[ei];
        if e.kind == ExchangeKind::V1Informational || sa.exchanges[ei + 1..].iter().any(|x| !x.unanswered()) {
            return None;
        }
        if e.unanswered() {
            return self.gave_up(e, &e.requests).then(|| e.requests.clone());
        }
        if !matches!(
            e.kind,
            ExchangeKind::MainMode | ExchangeKind::AggressiveMode | ExchangeKind::QuickMode
        ) {
            return None;
        }
        let last_resp = e.responses.iter().map(|m| m.time).max().unwrap_or_default();
        let trailing: Vec<MsgRef> = e
            .requests
            .iter()
            .copied()
            .filter(|m| m.time > last_resp)
            .collect();
        let responder_spoke_later = sa
            .exchanges
            .iter()
            .any(|x| x.requester == e.responder && x.start() > last_resp);
        (trailing.len() >= 2 && !responder_spoke_later).then_some(trailing)
    }

    /// Short description of a message for evidence notes.
    pub fn describe(&self, e: &Exchange, m: &MsgRef, response: bool) -> String {
        let ike = self.ike(m);
        let what = if response { "response" } else { "request" };
        let rt = if m.retransmit { " (retransmission)" } else { "" };
        format!(
            "{} {}{} MID {} from {} ({} bytes)",
            e.kind.label(),
            what,
            rt,
            ike.message_id,
            self.rec(m).src,
            ike.length
        )
    }
}
