//! Diagnosis: each rule (one module each under [`rules`]) reads the reconstructed model and
//! emits findings with evidence; an earlier, more specific rule can mark exchanges as explained
//! so a later, generic one does not report the same event again. [`rules::RULES`] decides the
//! order and says which rule marks what and which honours it.

mod ctx;
pub mod finding;
pub mod fixes;
pub mod lifetimes;
pub mod logged;
pub mod progress;
pub mod rules;

pub use ctx::{Ctx, TunnelOutcome};
pub use finding::{Alternative, Confidence, Evidence, Finding, FindingKind, Severity};

use crate::reconstruct::Model;
use foldhash::HashMap;
use rayon::slice::ParallelSliceMut;
use std::sync::atomic::{AtomicBool, Ordering};

/// A request seen once (never retransmitted) counts as unanswered only when the capture goes on
/// this long after it.
pub const LONE_REQUEST_WAIT_SECS: f64 = 10.0;

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

/// [`diagnose`] with what the command line adds (`--bandwidth`): every rule in the order of
/// [`rules::RULES`]. A rule that decides each tunnel on its own ([`rules::Rule::decide`]) is
/// decided on the first tunnels on other cores while the rules before it that set nothing it
/// reads still run (most of those run on one core), and its decisions are applied in its place:
/// the same findings in the same order.
pub fn diagnose_with(model: &Model, options: &DiagnoseOptions) -> Vec<Finding> {
    let rules = rules::RULES;
    let mut ctx = Ctx::new(model, *options);
    let mut next = 0;
    for (at, rule) in rules.iter().enumerate() {
        let Some(decide) = rule.decide else { continue };
        let from = rules::earliest_decision(at).max(next);
        for r in &rules[next..from] {
            ctx.run(r);
        }
        // the view decides tunnels until those rules are done (memory holds what it decided
        // meanwhile), the rest is decided in place
        let view = ctx.view_for(rule);
        let done = AtomicBool::new(false);
        let ((), ahead) = rayon::join(
            || {
                for r in &rules[from..at] {
                    ctx.run(r);
                }
                done.store(true, Ordering::Release);
            },
            || view.decide_ahead(decide, &done),
        );
        ctx.finish_ahead(rule, ahead, decide);
        next = at + 1;
    }
    for r in &rules[next..] {
        ctx.run(r);
    }
    let mut findings = ctx.into_findings();
    // (stable, as `sort_by`: findings equal on these keep the order they were made in)
    findings.par_sort_by(|a, b| {
        a.severity
            .cmp(&b.severity)
            .then(a.tunnel.cmp(&b.tunnel))
            .then(a.kind.cmp(&b.kind))
            .then(a.phase.cmp(&b.phase))
    });
    findings
}

/// Overall state of a tunnel, as the reports show it (`tunnels[].state`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TunnelState {
    /// The latest IKE SA is up and no error finding stands.
    Up,
    /// An error finding stands (negotiation refused, or up at the IKE level with a CHILD SA or
    /// ESP failure).
    Failed,
    /// SAs are rebuilt over and over (rekey_flap, dpd_flap).
    Flapping,
    /// It was up once and its latest IKE SA is not.
    Down,
    /// Sent to another gateway (RFC 5685 REDIRECT) and nothing failed on this pair.
    Redirected,
    /// Nothing to judge: no IKE SA, or one that neither came up nor failed.
    Unknown,
}

impl TunnelState {
    /// The JSON and text spelling: `up`, `failed`, `flapping`, `down`, `redirected`, `unknown`.
    pub fn as_str(self) -> &'static str {
        match self {
            TunnelState::Up => "up",
            TunnelState::Failed => "failed",
            TunnelState::Flapping => "flapping",
            TunnelState::Down => "down",
            TunnelState::Redirected => "redirected",
            TunnelState::Unknown => "unknown",
        }
    }
}

impl std::fmt::Display for TunnelState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Overall state of a tunnel; `findings` are the tunnel's own findings (see [`by_tunnel`]).
pub fn tunnel_state(model: &Model, t: &crate::reconstruct::Tunnel, findings: &[&Finding]) -> TunnelState {
    use crate::reconstruct::SaState;

    if findings
        .iter()
        .any(|f| matches!(f.kind, FindingKind::RekeyFlap | FindingKind::DpdFlap))
    {
        return TunnelState::Flapping;
    }
    if t.sas.is_empty() {
        return TunnelState::Unknown;
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
        (_, true, false) => TunnelState::Up,
        (_, true, true) => {
            // Up at the IKE level but a CHILD SA or ESP failure stands.
            TunnelState::Failed
        }
        (true, false, _) => TunnelState::Down,
        (false, false, true) => TunnelState::Failed,
        // Sent to another gateway (RFC 5685): nothing failed on this pair.
        (false, false, false) if findings.iter().any(|f| f.kind == FindingKind::Redirect) => {
            TunnelState::Redirected
        }
        (false, false, false) => TunnelState::Unknown,
    }
}

/// Findings grouped by tunnel id, in their order.
pub fn by_tunnel(findings: &[Finding]) -> HashMap<&str, Vec<&Finding>> {
    let mut m: HashMap<&str, Vec<&Finding>> = HashMap::default();
    for f in findings {
        m.entry(f.tunnel.as_str()).or_default().push(f);
    }
    m
}

#[cfg(test)]
mod tests {
    use super::TunnelState;
    use crate::reconstruct::Phase;

    /// Tunnel states and phases are written as docs/json.md lists them, by serde and `as_str`.
    #[test]
    fn state_and_phase_spellings() {
        let states = [
            (TunnelState::Up, "up"),
            (TunnelState::Failed, "failed"),
            (TunnelState::Flapping, "flapping"),
            (TunnelState::Down, "down"),
            (TunnelState::Redirected, "redirected"),
            (TunnelState::Unknown, "unknown"),
        ];
        for (s, text) in states {
            assert_eq!((s.as_str(), s.to_string()), (text, text.to_string()));
            assert_eq!(serde_json::to_value(s).unwrap(), serde_json::Value::from(text));
        }
        for (p, text) in [(Phase::Phase1, "phase1"), (Phase::Phase2, "phase2")] {
            assert_eq!((p.as_str(), p.to_string()), (text, text.to_string()));
            assert_eq!(serde_json::to_value(p).unwrap(), serde_json::Value::from(text));
        }
        assert!(
            Phase::Phase1 < Phase::Phase2,
            "findings sort phase 1 first, as the strings did"
        );
    }
}
