//! ike_flood: a responder receives new IKE SA attempts that never go past their first exchange
//! (half-open SAs) at a rate far above what its real peers account for.
//!
//! Wire signature: a group of one-message initiators (see `reconstruct::aggregate`: at least
//! `FOLD_THRESHOLD` attempts that stayed at IKE_SA_INIT / MM1-MM2 / AM1-AM2) toward one
//! responder, with at least [`MIN_ATTEMPTS`] attempts, a peak of at least [`MIN_PEAK_PER_SECOND`]
//! new attempts within one second, and at least [`MIN_RATIO`] times as many attempts as IKE SAs
//! toward that responder that went further (its normal load). The evidence names the rate, the
//! sources (prefixes, the dominant ones), whether the responder answered and whether it
//! challenged with COOKIE notifies (RFC 7296 section 2.6).

use crate::diagnose::{fixes, Confidence, Ctx, Finding, FindingKind, Severity};
use crate::reconstruct::aggregate::InitiatorGroup;
use crate::reconstruct::{Phase, SaState};

/// Attempts a group needs to be called a flood.
pub const MIN_ATTEMPTS: u64 = 500;
/// New attempts within one second a group needs at its peak.
pub const MIN_PEAK_PER_SECOND: u64 = 50;
/// Attempts per IKE SA toward the responder that went past its first exchange.
pub const MIN_RATIO: u64 = 10;

/// Run the rule.
pub fn run(ctx: &mut Ctx<'_>) {
    let model = ctx.model;
    let mut flooded = std::collections::HashSet::new();
    for g in model.data.groups.values() {
        let real: Vec<_> = model
            .sas
            .iter()
            .filter(|sa| sa.responder == g.responder)
            .collect();
        let established = real
            .iter()
            .filter(|sa| matches!(sa.state, SaState::Established | SaState::Midstream))
            .count() as u64;
        if g.attempts < MIN_ATTEMPTS
            || g.peak_per_second < MIN_PEAK_PER_SECOND
            || g.attempts < MIN_RATIO * (real.len() as u64).max(1)
        {
            continue;
        }
        flooded.insert(g.responder);
        ctx.add(finding(ctx, g, real.len() as u64, established));
    }
    // Never silent: a group that is neither a flood nor a scan still gets its verdict, as its
    // attempts would have as tunnels.
    for g in model.data.groups.values() {
        let id = g.id();
        if flooded.contains(&g.responder) || ctx.has(FindingKind::IkeScan, &id) {
            continue;
        }
        ctx.add(half_open(ctx, g));
    }
}

/// The first message (and the answers) of each sample attempt.
fn sample_evidence(f: &mut Finding, model: &crate::reconstruct::Model, g: &InitiatorGroup) {
    for s in &g.samples {
        for (at, from_initiator) in &s.frames {
            let note = if *from_initiator {
                format!(
                    "first exchange of the attempt from {} (SPIi {}), never followed by a second one",
                    s.initiator,
                    s.spi_i.to_hex()
                )
            } else {
                format!("answer to {} (SPIi {})", s.initiator, s.spi_i.to_hex())
            };
            f.evidence(model, *at, note);
        }
    }
}

/// The verdict of a group below the flood bar: `no_response` when most attempts went
/// unanswered, else `negotiation_stalled` (answered, never continued).
fn half_open(ctx: &Ctx<'_>, g: &InitiatorGroup) -> Finding {
    let n = crate::wording::count;
    let unanswered = g.attempts - g.answered;
    let (kind, what, fix) = if unanswered * 2 > g.attempts {
        (
            FindingKind::NoResponse,
            format!("{} of them got no answer", n(unanswered)),
            fixes::PATH,
        )
    } else {
        (
            FindingKind::NegotiationStalled,
            format!(
                "{} of them were answered ({} with a COOKIE challenge) and never continued",
                n(g.answered),
                n(g.cookie_challenged)
            ),
            fixes::PATH_AFTER_INIT,
        )
    };
    let mut f = Finding::new(kind, &g.id(), Severity::Error, Confidence::Likely);
    f.responder = Some(g.responder);
    f.phase = Some(Phase::Phase1);
    f.summary = format!("{}: {what}", g.headline());
    sample_evidence(&mut f, ctx.model, g);
    f.evidence_total = f.evidence_total.max(g.requests as usize + g.responses as usize);
    f.fix = Some(fix.to_string());
    f.detail("attempts", g.attempts);
    f.detail("answered", g.answered);
    f
}

fn finding(ctx: &Ctx<'_>, g: &InitiatorGroup, real: u64, established: u64) -> Finding {
    let model = ctx.model;
    let n = crate::wording::count;
    let mut f = Finding::new(
        FindingKind::IkeFlood,
        &g.id(),
        Severity::Warning,
        Confidence::Likely,
    );
    f.responder = Some(g.responder);
    let span = g.last.secs_since(g.first).max(1.0);
    let answer = if g.answered == 0 {
        "it answered none of them (or the capture shows only the way in)".to_string()
    } else if g.cookie_challenged > 0 {
        format!(
            "it answered {} of them, {} with a COOKIE challenge that was never returned",
            n(g.answered),
            n(g.cookie_challenged)
        )
    } else {
        format!(
            "it answered {} of them with full IKE_SA_INIT responses (no COOKIE challenge: each holds a half-open SA and a Diffie-Hellman computation)",
            n(g.answered)
        )
    };
    let dominant = g.top_sources.dominant(g.attempts);
    let sources = if dominant.is_empty() {
        "no source dominates".to_string()
    } else {
        let v: Vec<String> = dominant
            .iter()
            .take(5)
            .map(|t| format!("{} ({})", t.address, n(t.count)))
            .collect();
        format!("dominant sources {}", v.join(", "))
    };
    f.summary = format!(
        "IKE flood toward {}: {} new IKE SA attempts that never went past their first exchange, from about {} sources in {}, over {:.0} s (peak {} per second, mean {}); {} IKE SA(s) toward it went further ({} established); {answer}; {sources}",
        g.responder,
        n(g.attempts),
        n(g.sources.estimate()),
        g.sources_phrase(),
        span,
        n(g.peak_per_second),
        n((g.attempts as f64 / span).round() as u64),
        n(real),
        n(established),
    );
    sample_evidence(&mut f, model, g);
    f.evidence_total = f.evidence_total.max(g.requests as usize + g.responses as usize);
    f.fix = Some(fixes::FLOOD.to_string());
    f.detail("attempts", g.attempts);
    f.detail("peak_per_second", g.peak_per_second);
    f.detail(
        "mean_per_second",
        (g.attempts as f64 / span * 10.0).round() / 10.0,
    );
    f.detail("distinct_sources", g.sources.estimate());
    f.detail("answered", g.answered);
    f.detail("cookie_challenged", g.cookie_challenged);
    f.detail("further_sas", real);
    f.detail("established_sas", established);
    f.detail(
        "dominant_sources",
        dominant.iter().take(10).map(|t| t.address).collect::<Vec<_>>(),
    );
    f
}
