//! Diagnosis: each rule (one module each under [`rules`]) reads the reconstructed model and
//! emits findings with evidence; an earlier, more specific rule can mark exchanges as explained
//! so a later, generic one does not report the same event again.

pub mod finding;
pub mod fixes;
pub mod logged;
pub mod progress;
pub mod rules;

pub use finding::{Alternative, Confidence, Evidence, Finding, FindingKind, Severity};

use crate::reconstruct::{Exchange, ExchangeKind, IkeSa, Model, MsgRef, SaState};
use crate::record::{IkeInfo, Record};
use std::collections::{HashMap, HashSet};
use std::net::IpAddr;

/// A request seen once (never retransmitted) counts as unanswered only when the capture goes on
/// this long after it.
pub const LONE_REQUEST_WAIT_SECS: f64 = 10.0;

/// Shared state of one diagnosis run.
pub struct Ctx<'m> {
    /// The model.
    pub model: &'m Model,
    /// What the command line told the diagnosis.
    pub options: DiagnoseOptions,
    /// Exchanges (sa id, exchange index) already explained by a finding.
    pub explained: HashSet<(usize, usize)>,
    /// Tunnels whose phase-1 failures are explained by a version mismatch.
    pub version_mismatch_tunnels: HashSet<usize>,
    /// Findings so far.
    pub findings: Vec<Finding>,
    /// Index of mergeable findings by (kind, tunnel, phase).
    index: HashMap<(FindingKind, String, Option<&'static str>), usize>,
    /// Addresses that sent at least one IKE message, and (source, destination) pairs that did.
    ike_senders: HashSet<IpAddr>,
    ike_pairs: HashSet<(IpAddr, IpAddr)>,
    /// ICMP error records (indices) by the quoted (source, destination).
    icmp_by_flow: HashMap<(IpAddr, IpAddr), Vec<usize>>,
    /// Incomplete reassemblies (indices) by (source, destination).
    incomplete_by_flow: HashMap<(IpAddr, IpAddr), Vec<usize>>,
    /// Per tunnel, when its latest IKE SA was established.
    latest_established: Vec<Option<crate::record::Timestamp>>,
}

impl<'m> Ctx<'m> {
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
        self.findings.push(f);
    }

    /// Add a finding that is never merged with another (e.g. one per peer).
    pub fn push_unmerged(&mut self, f: Finding) {
        self.findings.push(f);
    }

    /// A finding of this kind exists on the tunnel.
    pub fn has(&self, kind: FindingKind, tunnel: &str) -> bool {
        [None, Some("phase1"), Some("phase2")]
            .into_iter()
            .any(|phase| self.index.contains_key(&(kind, tunnel.to_string(), phase)))
    }

    /// When the tunnel's latest IKE SA was established, if any was.
    pub fn latest_established(&self, tunnel: usize) -> Option<crate::record::Timestamp> {
        self.latest_established.get(tunnel).copied().flatten()
    }

    /// ICMP error records quoting a packet from `src` to `dst`.
    pub fn icmp_quoting(&self, src: IpAddr, dst: IpAddr) -> impl Iterator<Item = &'m Record> + '_ {
        let model = self.model;
        self.icmp_by_flow
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
    ) -> impl Iterator<Item = &'m (usize, crate::capture::IngestEvent)> + '_ {
        let model = self.model;
        self.incomplete_by_flow
            .get(&(src, dst))
            .into_iter()
            .flatten()
            .map(move |&i| &model.data.incomplete[i])
    }

    /// `addr` sent at least one IKE message somewhere in the capture.
    pub fn sent_ike(&self, addr: IpAddr) -> bool {
        self.ike_senders.contains(&addr)
    }

    /// `src` sent at least one IKE message to `dst`.
    pub fn sent_ike_to(&self, src: IpAddr, dst: IpAddr) -> bool {
        self.ike_pairs.contains(&(src, dst))
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

/// What the diagnosis is told beyond the capture.
#[derive(Clone, Copy, Debug, Default)]
pub struct DiagnoseOptions {
    /// The tunnels' link capacity in bits per second (`--bandwidth`): enables
    /// `bandwidth_saturation`.
    pub bandwidth_bps: Option<u64>,
}

/// Run every rule over the model; findings most severe first.
pub fn diagnose(model: &Model) -> Vec<Finding> {
    diagnose_with(model, &DiagnoseOptions::default())
}

/// [`diagnose`] with what the command line adds (`--bandwidth`).
pub fn diagnose_with(model: &Model, options: &DiagnoseOptions) -> Vec<Finding> {
    let mut ctx = Ctx {
        model,
        options: *options,
        explained: HashSet::new(),
        version_mismatch_tunnels: HashSet::new(),
        findings: Vec::new(),
        index: HashMap::new(),
        ike_senders: model.data.ike.iter().map(|r| r.src).collect(),
        ike_pairs: model.data.ike.iter().map(|r| (r.src, r.dst)).collect(),
        icmp_by_flow: HashMap::new(),
        incomplete_by_flow: HashMap::new(),
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
            ctx.icmp_by_flow
                .entry((icmp.quoted.src, icmp.quoted.dst))
                .or_default()
                .push(i);
        }
    }
    for (i, (_, ev)) in model.data.incomplete.iter().enumerate() {
        if let crate::capture::IngestEvent::IncompleteReassembly { src, dst, .. } = ev {
            ctx.incomplete_by_flow.entry((*src, *dst)).or_default().push(i);
        }
    }
    rules::ike_version_mismatch::run(&mut ctx);
    rules::fragmentation_loss::run(&mut ctx);
    rules::dpd_flap::run(&mut ctx);
    rules::rekey_flap::run(&mut ctx);
    rules::proposal_mismatch::run(&mut ctx);
    rules::auth_failure::run(&mut ctx);
    rules::ts_mismatch::run(&mut ctx);
    rules::no_response::run(&mut ctx);
    rules::one_way_esp::run(&mut ctx);
    rules::selectors::run(&mut ctx);
    rules::informational::run(&mut ctx);
    rules::stalled::run(&mut ctx);
    rules::bandwidth_saturation::run(&mut ctx);
    let mut findings = ctx.findings;
    findings.sort_by(|a, b| {
        a.severity
            .cmp(&b.severity)
            .then(a.tunnel.cmp(&b.tunnel))
            .then(a.kind.cmp(&b.kind))
            .then(a.phase.cmp(&b.phase))
    });
    findings
}

/// Overall state of a tunnel: `up`, `failed`, `flapping`, `down` or `unknown`.
/// `findings` are the tunnel's own findings (see [`by_tunnel`]).
pub fn tunnel_state(model: &Model, t: &crate::reconstruct::Tunnel, findings: &[&Finding]) -> &'static str {
    use crate::reconstruct::SaState;

    if findings
        .iter()
        .any(|f| matches!(f.kind, FindingKind::RekeyFlap | FindingKind::DpdFlap))
    {
        return "flapping";
    }
    if t.sas.is_empty() {
        return "unknown";
    }
    let ever_up = t
        .sas
        .iter()
        .any(|&s| matches!(model.sas[s].state, SaState::Established | SaState::Midstream));
    let last = &model.sas[*t
        .sas
        .iter()
        .max_by_key(|&&s| model.sas[s].last)
        .expect("non-empty")];
    let last_up = matches!(last.state, SaState::Established | SaState::Midstream);
    // Warnings (selector overlap, inconsistent proposals, lost liveness checks) leave a tunnel
    // that is up standing; only an error makes it failed.
    let failing = findings.iter().any(|f| f.severity == Severity::Error);
    match (ever_up, last_up, failing) {
        (_, true, false) => "up",
        (_, true, true) => {
            // Up at the IKE level but a CHILD SA or ESP failure stands.
            "failed"
        }
        (true, false, _) => "down",
        (false, false, true) => "failed",
        (false, false, false) => "unknown",
    }
}

/// Findings grouped by tunnel id, in their order.
pub fn by_tunnel(findings: &[Finding]) -> HashMap<&str, Vec<&Finding>> {
    let mut m: HashMap<&str, Vec<&Finding>> = HashMap::new();
    for f in findings {
        m.entry(f.tunnel.as_str()).or_default().push(f);
    }
    m
}
