//! The analysis as flat rows for machines: one row per tunnel, finding, exchange, ESP flow and
//! group of one-message initiators, each carrying the context needed to read it alone (tunnel
//! or group id, peers, capture files, time span). `analyze --format jsonl` writes tunnel, group
//! and finding rows as JSON Lines, `--format parquet` writes all five kinds as tables;
//! docs/json.md and docs/fleet.md document the columns.

use crate::diagnose::{by_tunnel, tunnel_state, Finding, Severity};
use crate::reconstruct::aggregate::{InitiatorGroup, OpeningMode, GROUP_PREFIX};
use crate::reconstruct::{FrameRef, Model, Phase, Tunnel};
use crate::record::Timestamp;
use ikescope_parsers::iana::ExchangeType;
use serde::Serialize;
use std::collections::BTreeSet;
use std::net::IpAddr;

/// One tunnel (a pair of peers) and what happened on it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TunnelRow {
    /// First activity of the tunnel.
    pub timestamp: Timestamp,
    /// Last activity of the tunnel.
    pub timestamp_end: Timestamp,
    /// `<lower address>-<higher address>`, as in the JSON document.
    pub tunnel_id: String,
    /// Initiator of the tunnel's first IKE SA (the lower peer when there is no IKE SA).
    pub src_ip: IpAddr,
    /// Responder of the tunnel's first IKE SA (the higher peer when there is no IKE SA).
    pub dest_ip: IpAddr,
    /// The first of `capture_files`.
    pub capture_file: String,
    /// Inputs in which the tunnel's IKE messages, CHILD SAs and ESP flows (first and last
    /// packet) were seen, in input order.
    pub capture_files: Vec<String>,
    /// `up`, `failed`, `flapping`, `down`, `redirected` or `unknown` (as `tunnels[].state`).
    pub state: &'static str,
    /// IKE major versions seen.
    pub ike_versions: Vec<u8>,
    /// IKE SAs seen.
    pub ike_sas: u64,
    /// IKE SAs seen established (or already up when the capture started).
    pub ike_sas_established: u64,
    /// CHILD SAs / IPsec SAs created.
    pub child_sas: u64,
    /// IKE exchanges (answered liveness checks folded away are not counted).
    pub exchanges: u64,
    /// Exchanges whose request was never answered.
    pub exchanges_unanswered: u64,
    /// Retransmitted requests.
    pub retransmissions: u64,
    /// ESP flows (one per SPI and direction).
    pub esp_flows: u64,
    /// ESP packets from `src_ip` to `dest_ip`.
    pub esp_packets_to_dest: u64,
    /// ESP bytes from `src_ip` to `dest_ip`.
    pub esp_bytes_to_dest: u64,
    /// ESP packets from `dest_ip` to `src_ip`.
    pub esp_packets_to_src: u64,
    /// ESP bytes from `dest_ip` to `src_ip`.
    pub esp_bytes_to_src: u64,
    /// Error findings on the tunnel.
    pub errors: u64,
    /// Warning findings on the tunnel.
    pub warnings: u64,
    /// Info findings on the tunnel.
    pub infos: u64,
    /// Kinds of the error and warning findings, sorted, each once.
    pub failure_kinds: Vec<&'static str>,
    /// Implementation `src_ip` most likely runs (`strongswan`, `libreswan`, ... or `unknown`),
    /// as `tunnels[].implementations[].name`.
    pub src_implementation: &'static str,
    /// How sure: `certain`, `likely` or `possible`; null when unknown.
    pub src_implementation_confidence: Option<&'static str>,
    /// Implementation `dest_ip` most likely runs.
    pub dest_implementation: &'static str,
    /// How sure of `dest_implementation`; null when unknown.
    pub dest_implementation_confidence: Option<&'static str>,
}

/// One group of one-message initiators toward a responder (`groups[]` of the JSON document,
/// flattened).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GroupRow {
    /// First message of the group.
    pub timestamp: Timestamp,
    /// Last message of the group.
    pub timestamp_end: Timestamp,
    /// The group's id, `group:<responder>` (`groups[].id`; the `tunnel_id` of its findings).
    pub tunnel_id: String,
    /// The heaviest source (the first of `top_sources`).
    pub src_ip: IpAddr,
    /// The responder (`::` for the group of further responders).
    pub dest_ip: IpAddr,
    /// The first of `capture_files`.
    pub capture_file: String,
    /// Inputs in which the group's messages were seen, in input order.
    pub capture_files: Vec<String>,
    /// One line: how many initiators, from where, toward whom.
    pub headline: String,
    /// IKE SA attempts folded in.
    pub attempts: u64,
    /// Attempts opened with IKEv2 IKE_SA_INIT.
    pub ike_sa_init_attempts: u64,
    /// Attempts opened with IKEv1 Main Mode.
    pub main_mode_attempts: u64,
    /// Attempts opened with IKEv1 Aggressive Mode.
    pub aggressive_mode_attempts: u64,
    /// Request messages, retransmissions included.
    pub requests: u64,
    /// Response messages.
    pub responses: u64,
    /// Retransmitted requests.
    pub retransmissions: u64,
    /// Attempts that got an answer.
    pub answered: u64,
    /// Attempts answered with a COOKIE challenge.
    pub cookie_challenged: u64,
    /// Attempts refused with an error notify.
    pub refused: u64,
    /// IKEv1 Aggressive Mode answers carrying the PSK-derived HASH_R.
    pub psk_hash_exposed: u64,
    /// Most attempts started within one second.
    pub peak_per_second: u64,
    /// Seconds in which attempts started.
    pub busy_seconds: u64,
    /// Distinct sources (estimate).
    pub distinct_sources: u64,
    /// Prefixes covering all sources, one per address family.
    pub source_cover: Vec<String>,
    /// Source prefixes (IPv4 /24, IPv6 /48) counted.
    pub prefixes_total: u64,
    /// The heaviest sources, most attempts first (at most 10).
    pub top_sources: Vec<String>,
    /// Distinct identities seen in clear requests (IKEv1 Aggressive Mode).
    pub identities: u64,
    /// Requests offering ike-scan's default transform set.
    pub ike_scan_offers: u64,
    /// Error findings on the group.
    pub errors: u64,
    /// Warning findings on the group.
    pub warnings: u64,
    /// Info findings on the group.
    pub infos: u64,
    /// Kinds of the error and warning findings, sorted, each once.
    pub failure_kinds: Vec<&'static str>,
}

/// One finding.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FindingRow {
    /// First activity of the finding's tunnel (group, responder).
    pub timestamp: Timestamp,
    /// Last activity of the finding's tunnel (group, responder).
    pub timestamp_end: Timestamp,
    /// The tunnel the finding is about, or `group:<responder>` for a finding about a group of
    /// one-message initiators or about a responder as a whole (`findings[].tunnel`).
    pub tunnel_id: String,
    /// Initiator of the negotiation the finding is about (for `peer_vendor`: the peer it is
    /// about); the tunnel's `src_ip` when the finding names none.
    pub src_ip: IpAddr,
    /// Responder of that negotiation; the tunnel's other peer when the finding names none.
    pub dest_ip: IpAddr,
    /// The first of `capture_files`.
    pub capture_file: String,
    /// The tunnel's capture files (see [`TunnelRow::capture_files`]).
    pub capture_files: Vec<String>,
    /// Finding kind (docs/findings.md).
    pub kind: &'static str,
    /// `error`, `warning` or `info`.
    pub severity: Severity,
    /// `certain` or `likely`.
    pub confidence: crate::diagnose::Confidence,
    /// `phase1`, `phase2` or null.
    pub phase: Option<&'static str>,
    /// One line.
    pub summary: String,
    /// The fix, when there is one.
    pub fix: Option<String>,
    /// Input of the first evidence frame.
    pub evidence_file: Option<String>,
    /// First evidence frame.
    pub evidence_frame: Option<u64>,
    /// What the first evidence frame shows.
    pub evidence_note: Option<String>,
    /// Evidence items in total.
    pub evidence_total: u64,
    /// The finding's `details` object as a JSON text (`"{}"` when it has none).
    pub details: String,
}

/// One IKE exchange.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ExchangeRow {
    /// Time of the first request (of the first response when no request was seen).
    pub timestamp: Timestamp,
    /// Time of the last message of the exchange.
    pub timestamp_end: Timestamp,
    /// The tunnel.
    pub tunnel_id: String,
    /// Who sent the request.
    pub src_ip: IpAddr,
    /// Who answers.
    pub dest_ip: IpAddr,
    /// Input of the exchange's first message.
    pub capture_file: String,
    /// IKE version of the SA.
    pub ike_version: u8,
    /// The IKE SA's initiator SPI (IKEv1: cookie), 16 hex digits.
    pub spi_i: String,
    /// The IKE SA's responder SPI, 16 hex digits.
    pub spi_r: String,
    /// Exchange kind (`exchanges[].kind`).
    pub kind: String,
    /// Readable name (`exchanges[].name`).
    pub name: &'static str,
    /// Exchange type number.
    pub exchange_type: ExchangeType,
    /// Message ID.
    pub message_id: u32,
    /// `phase1`, `phase2` or null.
    pub phase: Option<&'static str>,
    /// A response was seen.
    pub answered: bool,
    /// Request messages, retransmissions included.
    pub requests: u64,
    /// Response messages.
    pub responses: u64,
    /// Retransmitted requests.
    pub retransmissions: u64,
    /// Round-trip time in milliseconds (microsecond precision).
    pub rtt_ms: Option<f64>,
    /// Frame of the first message (in `capture_file`).
    pub frame: u64,
}

/// One ESP flow (one SPI in one direction).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EspFlowRow {
    /// First packet.
    pub timestamp: Timestamp,
    /// Last packet.
    pub timestamp_end: Timestamp,
    /// The tunnel.
    pub tunnel_id: String,
    /// Outer source of the flow's packets.
    pub src_ip: IpAddr,
    /// Outer destination.
    pub dest_ip: IpAddr,
    /// Input of the first packet.
    pub capture_file: String,
    /// SPI, 8 hex digits.
    pub spi: String,
    /// UDP-encapsulated (NAT traversal).
    pub udp_encap: bool,
    /// Packets of the flow.
    pub packets: u64,
    /// ESP bytes.
    pub bytes: u64,
    /// Frame of the first packet (in `capture_file`).
    pub first_frame: u64,
    /// Input of the last packet.
    pub last_file: String,
    /// Frame of the last packet.
    pub last_frame: u64,
    /// Highest sequence number.
    pub max_seq: u32,
    /// Packets missing between consecutive sequence numbers.
    pub seq_gaps: u64,
    /// Times the sequence number went backwards.
    pub seq_resets: u64,
    /// Packets opened with a key.
    pub decrypted: u64,
    /// Packets a key matched but could not open.
    pub key_mismatch: u64,
}

/// Receiver of rows, tunnel by tunnel: a tunnel's row comes first, then its findings,
/// exchanges and ESP flows.
pub trait RowSink {
    /// One tunnel.
    fn tunnel(&mut self, row: TunnelRow) -> std::io::Result<()>;
    /// One finding.
    fn finding(&mut self, row: FindingRow) -> std::io::Result<()>;
    /// One group of one-message initiators (its findings follow it).
    fn group(&mut self, row: GroupRow) -> std::io::Result<()>;
    /// True when exchange and ESP flow rows are wanted (they are not built otherwise).
    fn wants_details(&self) -> bool {
        true
    }
    /// One exchange.
    fn exchange(&mut self, _row: ExchangeRow) -> std::io::Result<()> {
        Ok(())
    }
    /// One ESP flow.
    fn esp_flow(&mut self, _row: EspFlowRow) -> std::io::Result<()> {
        Ok(())
    }
    /// No more rows: write what is buffered (and a file's footer).
    fn finish(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Rows of any table in the order a [`RowSink`] received them: rows made on one thread,
/// handed to the sink of another later ([`RowBuffer::replay`]).
#[derive(Clone, Debug, PartialEq)]
pub enum AnyRow {
    /// A tunnel row.
    Tunnel(TunnelRow),
    /// A finding row.
    Finding(FindingRow),
    /// An exchange row.
    Exchange(ExchangeRow),
    /// An ESP flow row.
    EspFlow(EspFlowRow),
    /// A group row.
    Group(GroupRow),
}

/// A [`RowSink`] that keeps the rows, in order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RowBuffer {
    /// Keep exchange and ESP flow rows too.
    pub details: bool,
    /// The rows received.
    pub rows: Vec<AnyRow>,
}

impl RowBuffer {
    /// Hand the rows to `sink`, in the order they came.
    pub fn replay(self, sink: &mut dyn RowSink) -> std::io::Result<()> {
        for row in self.rows {
            match row {
                AnyRow::Tunnel(r) => sink.tunnel(r)?,
                AnyRow::Finding(r) => sink.finding(r)?,
                AnyRow::Exchange(r) => sink.exchange(r)?,
                AnyRow::EspFlow(r) => sink.esp_flow(r)?,
                AnyRow::Group(r) => sink.group(r)?,
            }
        }
        Ok(())
    }
}

impl RowSink for RowBuffer {
    fn tunnel(&mut self, row: TunnelRow) -> std::io::Result<()> {
        self.rows.push(AnyRow::Tunnel(row));
        Ok(())
    }
    fn finding(&mut self, row: FindingRow) -> std::io::Result<()> {
        self.rows.push(AnyRow::Finding(row));
        Ok(())
    }
    fn group(&mut self, row: GroupRow) -> std::io::Result<()> {
        self.rows.push(AnyRow::Group(row));
        Ok(())
    }
    fn wants_details(&self) -> bool {
        self.details
    }
    fn exchange(&mut self, row: ExchangeRow) -> std::io::Result<()> {
        self.rows.push(AnyRow::Exchange(row));
        Ok(())
    }
    fn esp_flow(&mut self, row: EspFlowRow) -> std::io::Result<()> {
        self.rows.push(AnyRow::EspFlow(row));
        Ok(())
    }
}

/// Hand the rows of the tunnels `keep` marks (all when `None`) to `sink`, tunnel by tunnel in
/// model order, then the groups of one-message initiators (with a selection: those with a
/// surviving finding), each followed by its findings, then the findings about a responder as a
/// whole that has no group; `findings` are already restricted to the selection.
pub fn emit_rows(
    model: &Model,
    findings: &[Finding],
    keep: Option<&[bool]>,
    sink: &mut dyn RowSink,
) -> std::io::Result<()> {
    let grouped = by_tunnel(findings);
    for (i, t) in model.tunnels.iter().enumerate() {
        if keep.is_some_and(|k| !k[i]) {
            continue;
        }
        let tf = grouped.get(t.id.as_str()).map(Vec::as_slice).unwrap_or(&[]);
        let tunnel = tunnel_row(model, t, tf);
        let context = RowContext::of_tunnel(&tunnel);
        let finding_rows: Vec<FindingRow> = tf.iter().map(|f| finding_row(&context, f)).collect();
        sink.tunnel(tunnel)?;
        for f in finding_rows {
            sink.finding(f)?;
        }
        if sink.wants_details() {
            for e in exchange_rows(model, t) {
                sink.exchange(e)?;
            }
            for f in esp_rows(model, t) {
                sink.esp_flow(f)?;
            }
        }
    }
    for g in super::groups::shown(model, findings, keep.is_some()) {
        let gf = grouped.get(g.id().as_str()).map(Vec::as_slice).unwrap_or(&[]);
        let row = group_row(model, g, gf);
        let context = RowContext::of_group(&row);
        sink.group(row)?;
        for f in gf {
            sink.finding(finding_row(&context, f))?;
        }
    }
    for (id, fs) in super::groups::responder_findings(model, &grouped) {
        let Ok(responder) = id[GROUP_PREFIX.len()..].parse::<IpAddr>() else {
            continue;
        };
        let context = responder_context(model, id, responder);
        for f in fs {
            sink.finding(finding_row(&context, f))?;
        }
    }
    Ok(())
}

/// What a finding row repeats of the thing it is about.
struct RowContext {
    timestamp: Timestamp,
    timestamp_end: Timestamp,
    tunnel_id: String,
    src_ip: IpAddr,
    dest_ip: IpAddr,
    capture_files: Vec<String>,
}

impl RowContext {
    fn of_tunnel(t: &TunnelRow) -> RowContext {
        RowContext {
            timestamp: t.timestamp,
            timestamp_end: t.timestamp_end,
            tunnel_id: t.tunnel_id.clone(),
            src_ip: t.src_ip,
            dest_ip: t.dest_ip,
            capture_files: t.capture_files.clone(),
        }
    }

    fn of_group(g: &GroupRow) -> RowContext {
        RowContext {
            timestamp: g.timestamp,
            timestamp_end: g.timestamp_end,
            tunnel_id: g.tunnel_id.clone(),
            src_ip: g.src_ip,
            dest_ip: g.dest_ip,
            capture_files: g.capture_files.clone(),
        }
    }
}

/// The context of a finding about a responder as a whole (e.g. `auth_spray`) that has no group:
/// the span and inputs of the responder's tunnels; the source is the other peer of its first
/// tunnel.
fn responder_context(model: &Model, id: &str, responder: IpAddr) -> RowContext {
    let mine: Vec<&Tunnel> = model
        .tunnels
        .iter()
        .filter(|t| t.peers.contains(&responder))
        .collect();
    let mut files = BTreeSet::new();
    for t in &mine {
        files.extend(tunnel_file_indexes(model, t));
    }
    let src_ip = mine
        .first()
        .map(|t| {
            if t.peers[0] == responder {
                t.peers[1]
            } else {
                t.peers[0]
            }
        })
        .unwrap_or_else(|| unspecified_like(responder));
    RowContext {
        timestamp: mine.iter().map(|t| t.first).min().unwrap_or_default(),
        timestamp_end: mine.iter().map(|t| t.last).max().unwrap_or_default(),
        tunnel_id: id.to_string(),
        src_ip,
        dest_ip: responder,
        capture_files: file_names(model, files),
    }
}

/// The unspecified address of `a`'s family.
fn unspecified_like(a: IpAddr) -> IpAddr {
    match a {
        IpAddr::V4(_) => IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
        IpAddr::V6(_) => IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED),
    }
}

fn group_row(model: &Model, g: &InitiatorGroup, findings: &[&Finding]) -> GroupRow {
    let top = g.top_sources.ranked();
    let src_ip = top
        .first()
        .map(|t| t.address)
        .or(g.samples.first().map(|s| s.initiator))
        .unwrap_or_else(|| unspecified_like(g.responder));
    let mode = |m: OpeningMode| g.modes.get(&m).copied().unwrap_or(0);
    let (errors, warnings, infos, failure_kinds) = finding_counts(findings);
    let capture_files = file_names(model, g.files.iter().copied());
    GroupRow {
        timestamp: g.first,
        timestamp_end: g.last,
        tunnel_id: g.id(),
        src_ip,
        dest_ip: g.responder,
        capture_file: capture_files.first().cloned().unwrap_or_default(),
        capture_files,
        headline: g.headline(),
        attempts: g.attempts,
        ike_sa_init_attempts: mode(OpeningMode::IkeSaInit),
        main_mode_attempts: mode(OpeningMode::MainMode),
        aggressive_mode_attempts: mode(OpeningMode::AggressiveMode),
        requests: g.requests,
        responses: g.responses,
        retransmissions: g.retransmissions,
        answered: g.answered,
        cookie_challenged: g.cookie_challenged,
        refused: g.refused,
        psk_hash_exposed: g.psk_hash_exposed,
        peak_per_second: g.peak_per_second,
        busy_seconds: g.busy_seconds,
        distinct_sources: g.sources.estimate(),
        source_cover: g.source_cover().iter().map(|p| p.to_string()).collect(),
        prefixes_total: g.prefixes.len() as u64,
        top_sources: top
            .iter()
            .take(super::groups::TOP_SHOWN)
            .map(|t| t.address.to_string())
            .collect(),
        identities: g.identities.len() as u64 + g.identities_other,
        ike_scan_offers: g.ike_scan_offers,
        errors,
        warnings,
        infos,
        failure_kinds,
    }
}

/// Errors, warnings, infos and the sorted kinds of the failures among `findings`.
fn finding_counts(findings: &[&Finding]) -> (u64, u64, u64, Vec<&'static str>) {
    let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count() as u64;
    let failure_kinds: BTreeSet<&'static str> = findings
        .iter()
        .filter(|f| f.is_failure())
        .map(|f| f.kind.as_str())
        .collect();
    (
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Info),
        failure_kinds.into_iter().collect(),
    )
}

fn file_name(model: &Model, at: FrameRef) -> String {
    model.data.files.get(at.file).cloned().unwrap_or_default()
}

/// Names of the inputs of the given indexes (in the order given).
fn file_names(model: &Model, idx: impl IntoIterator<Item = usize>) -> Vec<String> {
    idx.into_iter()
        .filter_map(|i| model.data.files.get(i).cloned())
        .collect()
}

/// Inputs in which anything of the tunnel was seen, in input order.
fn tunnel_files(model: &Model, t: &Tunnel) -> Vec<String> {
    file_names(model, tunnel_file_indexes(model, t))
}

/// Indexes of the inputs in which anything of the tunnel was seen.
fn tunnel_file_indexes(model: &Model, t: &Tunnel) -> BTreeSet<usize> {
    let mut idx = BTreeSet::new();
    for &s in &t.sas {
        idx.extend(
            model.sas[s]
                .messages
                .iter()
                .map(|&m| model.data.ike[m].file_index),
        );
    }
    idx.extend(t.children.iter().map(|&c| model.children[c].at.file));
    for f in t.esp.iter().filter_map(|k| model.esp.get(k)) {
        idx.insert(f.first_frame.file);
        idx.insert(f.last_frame.file);
    }
    idx
}

fn tunnel_row(model: &Model, t: &Tunnel, findings: &[&Finding]) -> TunnelRow {
    let (src_ip, dest_ip) = t
        .sas
        .first()
        .map(|&s| (model.sas[s].initiator, model.sas[s].responder))
        .unwrap_or((t.peers[0], t.peers[1]));
    let (esp_packets_to_dest, esp_bytes_to_dest) = t.esp_from(model, src_ip);
    let (esp_packets_to_src, esp_bytes_to_src) = t.esp_from(model, dest_ip);
    let sas = t.sas.iter().map(|&s| &model.sas[s]);
    let exchanges = sas.clone().flat_map(|sa| sa.exchanges.iter());
    let (errors, warnings, infos, failure_kinds) = finding_counts(findings);
    let capture_files = tunnel_files(model, t);
    let (src_guess, dest_guess) = (implementation_of(t, src_ip), implementation_of(t, dest_ip));
    TunnelRow {
        timestamp: t.first,
        timestamp_end: t.last,
        tunnel_id: t.id.clone(),
        src_ip,
        dest_ip,
        capture_file: capture_files.first().cloned().unwrap_or_default(),
        capture_files,
        state: tunnel_state(model, t, findings).as_str(),
        ike_versions: t.versions.iter().map(|v| v.number()).collect(),
        ike_sas: t.sas.len() as u64,
        ike_sas_established: sas
            .clone()
            .filter(|sa| {
                matches!(
                    sa.state,
                    crate::reconstruct::SaState::Established | crate::reconstruct::SaState::Midstream
                )
            })
            .count() as u64,
        child_sas: t.children.len() as u64,
        exchanges: exchanges.clone().count() as u64,
        exchanges_unanswered: exchanges.clone().filter(|e| e.unanswered()).count() as u64,
        retransmissions: exchanges.map(|e| e.request_retransmits() as u64).sum(),
        esp_flows: t.esp.len() as u64,
        esp_packets_to_dest,
        esp_bytes_to_dest,
        esp_packets_to_src,
        esp_bytes_to_src,
        errors,
        warnings,
        infos,
        failure_kinds,
        src_implementation: src_guess.map_or("unknown", |g| g.name()),
        src_implementation_confidence: src_guess.and_then(|g| g.confidence).map(|c| c.as_str()),
        dest_implementation: dest_guess.map_or("unknown", |g| g.name()),
        dest_implementation_confidence: dest_guess.and_then(|g| g.confidence).map(|c| c.as_str()),
    }
}

/// The implementation guess for one of a tunnel's peers.
fn implementation_of(
    t: &Tunnel,
    peer: IpAddr,
) -> Option<&crate::reconstruct::implementation::ImplementationGuess> {
    t.implementations.iter().find(|g| g.peer == peer)
}

fn finding_row(tunnel: &RowContext, f: &Finding) -> FindingRow {
    let first = f.evidence.first();
    let src_ip = f.initiator.unwrap_or(tunnel.src_ip);
    // The other end of the tunnel when the finding names only one party (e.g. `peer_vendor`).
    let other = if src_ip == tunnel.src_ip {
        tunnel.dest_ip
    } else {
        tunnel.src_ip
    };
    let dest_ip = f.responder.unwrap_or(other);
    FindingRow {
        timestamp: tunnel.timestamp,
        timestamp_end: tunnel.timestamp_end,
        tunnel_id: tunnel.tunnel_id.clone(),
        src_ip,
        dest_ip,
        capture_file: tunnel.capture_files.first().cloned().unwrap_or_default(),
        capture_files: tunnel.capture_files.clone(),
        kind: f.kind.as_str(),
        severity: f.severity,
        confidence: f.confidence,
        phase: f.phase.map(Phase::as_str),
        summary: f.summary.clone(),
        fix: f.fix.clone(),
        evidence_file: first.map(|e| e.file.clone()),
        evidence_frame: first.map(|e| e.frame),
        evidence_note: first.map(|e| e.note.clone()),
        evidence_total: f.evidence_total as u64,
        details: serde_json::Value::Object(f.details.clone()).to_string(),
    }
}

fn exchange_rows(model: &Model, t: &Tunnel) -> Vec<ExchangeRow> {
    let mut out = Vec::new();
    for &s in &t.sas {
        let sa = &model.sas[s];
        for e in &sa.exchanges {
            let first = e.requests.first().or(e.responses.first());
            out.push(ExchangeRow {
                timestamp: e.start(),
                timestamp_end: e.end(),
                tunnel_id: t.id.clone(),
                src_ip: e.requester,
                dest_ip: e.responder,
                capture_file: first.map(|m| file_name(model, m.at)).unwrap_or_default(),
                ike_version: sa.version.number(),
                spi_i: sa.spi_i.to_hex(),
                spi_r: sa.spi_r.to_hex(),
                kind: enum_name(&e.kind),
                name: e.kind.label(),
                exchange_type: e.exchange_type,
                message_id: e.message_id,
                phase: e.kind.phase().map(Phase::as_str),
                answered: !e.unanswered(),
                requests: e.requests.len() as u64,
                responses: e.responses.len() as u64,
                retransmissions: e.request_retransmits() as u64,
                rtt_ms: e.rtt.map(|r| (r * 1e6).round() / 1e3),
                frame: first.map(|m| m.at.frame).unwrap_or(0),
            });
        }
    }
    out
}

fn esp_rows(model: &Model, t: &Tunnel) -> Vec<EspFlowRow> {
    let mut out = Vec::new();
    for f in t.esp.iter().filter_map(|k| model.esp.get(k)) {
        let (decrypted, key_mismatch) = model
            .data
            .esp_decryption
            .get(&(f.src, f.dst, f.spi))
            .copied()
            .unwrap_or((0, 0));
        out.push(EspFlowRow {
            timestamp: f.first,
            timestamp_end: f.last,
            tunnel_id: t.id.clone(),
            src_ip: f.src,
            dest_ip: f.dst,
            capture_file: file_name(model, f.first_frame),
            spi: format!("{:08x}", f.spi),
            udp_encap: f.udp_encap,
            packets: f.packets,
            bytes: f.bytes,
            first_frame: f.first_frame.frame,
            last_file: file_name(model, f.last_frame),
            last_frame: f.last_frame.frame,
            max_seq: f.max_seq,
            seq_gaps: f.seq_gaps,
            seq_resets: f.seq_resets,
            decrypted,
            key_mismatch,
        });
    }
    out
}

/// The snake_case name serde gives a unit enum variant (e.g. `ike_sa_init`).
fn enum_name<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}
