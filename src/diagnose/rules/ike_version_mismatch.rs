//! ike_version_mismatch: one side speaks IKEv1 and the other IKEv2.
//!
//! Wire signature: INVALID_MAJOR_VERSION (5) anywhere (certain); or, on one tunnel, IKEv1 and
//! IKEv2 negotiations that are all refused or unanswered and none of either version establishes
//! (each side initiates with its own version and the other refuses it).

use crate::diagnose::{fixes, Confidence, Ctx, Finding, FindingKind, Severity, TunnelOutcome};
use crate::reconstruct::SaState;
use crate::reconstruct::{Phase, Tunnel};
use ikescope_parsers::iana::{IkeVersion, NotifyType};

/// Run the rule.
pub fn run(ctx: &mut Ctx<'_>) {
    // each tunnel on its own: decided on all cores
    ctx.per_tunnel(tunnel);
}

fn tunnel(ctx: &Ctx<'_>, t: &Tunnel, out: &mut Vec<TunnelOutcome>) {
    let model = ctx.model;
    {
        // A prober's IKEv1 and IKEv2 probes are a scan, not two ends disagreeing.
        if ctx.has(FindingKind::IkeScan, &t.id) {
            return;
        }
        let sas: Vec<_> = t.sas.iter().map(|&i| &model.sas[i]).collect();
        let mut explicit = Vec::new();
        for sa in &sas {
            for e in &sa.exchanges {
                for m in e.requests.iter().chain(e.responses.iter()) {
                    if ctx.ike(m).notify.contains(&NotifyType::V2_INVALID_MAJOR_VERSION) {
                        explicit.push((sa.id, *m));
                    }
                }
            }
        }
        let has_v1 = sas.iter().any(|s| s.version == IkeVersion::V1);
        let has_v2 = sas.iter().any(|s| s.version == IkeVersion::V2);
        let none_up = sas
            .iter()
            .all(|s| !matches!(s.state, SaState::Established | SaState::Midstream));
        let inferred = has_v1 && has_v2 && none_up;
        if explicit.is_empty() && !inferred {
            return;
        }
        let first = sas[0];
        let mut f = Finding::new(
            FindingKind::IkeVersionMismatch,
            &t.id,
            Severity::Error,
            if explicit.is_empty() {
                Confidence::Likely
            } else {
                Confidence::Certain
            },
        );
        f.parties(Some(Phase::Phase1), first.initiator, first.responder);
        for (_, m) in &explicit {
            f.evidence(model, m.at, "INVALID_MAJOR_VERSION notify");
        }
        let mut refused_by_version = Vec::new();
        for sa in &sas {
            for e in &sa.exchanges {
                if let Some(m) = e.requests.first() {
                    if !m.retransmit {
                        f.evidence(
                            model,
                            m.at,
                            format!(
                                "IKEv{} {} request from {}",
                                sa.version.number(),
                                e.kind.label(),
                                sa.initiator
                            ),
                        );
                    }
                }
                if let Some(m) = e.responses.first() {
                    let n = ctx.ike(m).notify.clone();
                    f.evidence(
                        model,
                        m.at,
                        format!(
                            "IKEv{} answer from {}: notify {:?}",
                            sa.version.number(),
                            sa.responder,
                            n
                        ),
                    );
                }
            }
            // IKEv1 refusals travel as a separate Informational.
            refused_by_version.push(format!("IKEv{} from {}", sa.version.number(), sa.initiator));
        }
        refused_by_version.sort();
        refused_by_version.dedup();
        f.summary = format!(
            "IKE version mismatch between {} and {}: {} refused or unanswered; no IKE SA of either version came up",
            t.peers[0],
            t.peers[1],
            refused_by_version.join(", ")
        );
        f.fix = Some(fixes::VERSION.to_string());
        out.push(TunnelOutcome::VersionMismatch(t.index));
        for sa in &sas {
            for i in 0..sa.exchanges.len() {
                out.push(TunnelOutcome::Explain(sa.id, i));
            }
        }
        out.push(TunnelOutcome::Add(f));
    }
}
