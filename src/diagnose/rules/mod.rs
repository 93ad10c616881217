//! One module per finding rule, and [`RULES`]: the order they run in and what each leaves for
//! the ones after it.

pub mod auth_failure;
pub mod auth_spray;
pub mod bandwidth_saturation;
pub mod bgp;
pub mod dpd_flap;
pub mod fragmentation_loss;
pub mod ike_flood;
pub mod ike_scan;
pub mod ike_version_mismatch;
pub mod informational;
pub mod mtu_blackhole;
pub mod no_response;
pub mod one_way_esp;
pub mod proposal_mismatch;
pub mod rekey_flap;
pub mod selectors;
pub mod stalled;
#[cfg(test)]
pub(crate) mod testkit;
pub mod ts_mismatch;
pub mod tunnel_addresses;

use super::ctx::Decide;
use super::{Ctx, FindingKind};

/// What a rule tells the rules after it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mark {
    /// Exchanges a finding already explains ([`Ctx::explain`], [`Ctx::is_explained`]): a later
    /// rule that honours it does not report them again.
    Exchanges,
    /// Tunnels whose phase-1 failures an IKE version mismatch explains
    /// ([`Ctx::explain_by_version_mismatch`], [`Ctx::version_mismatch`]).
    VersionMismatch,
    /// Findings of this kind ([`Ctx::has`]).
    Finding(FindingKind),
    /// IKE SAs that are a prober's ([`Ctx::mark_probe`], [`Ctx::is_probe`]).
    Probes,
    /// The error and warning findings of every rule before it ([`Ctx::has_failure`]); set by
    /// every rule without declaring it.
    Failures,
}

/// A rule: its entry point and the marks it sets and honours. In debug builds [`Ctx`] checks
/// that a rule sets and reads only the marks it declares.
#[derive(Debug)]
pub struct Rule {
    /// The rule's module name.
    pub name: &'static str,
    /// Runs it over the whole model.
    pub run: fn(&mut Ctx<'_>),
    /// Marks it sets for the rules after it.
    pub marks: &'static [Mark],
    /// Marks of the rules before it that it honours.
    pub honours: &'static [Mark],
    /// For a rule that decides each tunnel on its own ([`Ctx::per_tunnel`]): that decision, so
    /// that it can be made while the rules between [`earliest_decision`] and it still run.
    pub decide: Option<Decide>,
}

/// Every rule, in the order it runs. The order is decided here and only here: the specific
/// explanations (version mismatch, lost fragments, liveness outages, flapping rekeys) run
/// before the rules that would report the same exchanges as something more generic (proposal,
/// authentication and selector refusals), and `no_response`, the most generic, runs after all
/// of them; `stalled`, the never-silent net, runs after every failure rule and reports what
/// none explained (`bandwidth_saturation`, about tunnels that are up, comes after it). A rule
/// that honours a mark must come after a rule that sets it (checked by the tests below).
pub const RULES: &[Rule] = &[
    Rule {
        name: "ike_scan",
        run: ike_scan::run,
        marks: &[Mark::Exchanges, Mark::Probes, Mark::Finding(FindingKind::IkeScan)],
        honours: &[],
        decide: None,
    },
    Rule {
        name: "ike_version_mismatch",
        run: ike_version_mismatch::run,
        marks: &[Mark::Exchanges, Mark::VersionMismatch],
        honours: &[Mark::Finding(FindingKind::IkeScan)],
        decide: None,
    },
    Rule {
        name: "fragmentation_loss",
        run: fragmentation_loss::run,
        marks: &[Mark::Exchanges],
        honours: &[Mark::VersionMismatch],
        decide: None,
    },
    Rule {
        name: "dpd_flap",
        run: dpd_flap::run,
        marks: &[Mark::Exchanges],
        honours: &[],
        decide: None,
    },
    Rule {
        name: "rekey_flap",
        run: rekey_flap::run,
        marks: &[Mark::Exchanges, Mark::Finding(FindingKind::RekeyFlap)],
        honours: &[Mark::Exchanges],
        decide: None,
    },
    Rule {
        name: "proposal_mismatch",
        run: proposal_mismatch::run,
        marks: &[Mark::Exchanges],
        honours: &[Mark::Exchanges, Mark::VersionMismatch, Mark::Probes],
        decide: None,
    },
    Rule {
        name: "auth_failure",
        run: auth_failure::run,
        marks: &[Mark::Exchanges],
        honours: &[Mark::VersionMismatch, Mark::Probes],
        decide: None,
    },
    Rule {
        name: "ts_mismatch",
        run: ts_mismatch::run,
        marks: &[Mark::Exchanges],
        honours: &[Mark::Exchanges, Mark::VersionMismatch],
        decide: None,
    },
    Rule {
        name: "no_response",
        run: no_response::run,
        marks: &[Mark::Exchanges],
        honours: &[Mark::Exchanges, Mark::VersionMismatch],
        decide: None,
    },
    Rule {
        name: "one_way_esp",
        run: one_way_esp::run,
        marks: &[],
        honours: &[],
        decide: None,
    },
    Rule {
        name: "selectors",
        run: selectors::run,
        marks: &[],
        honours: &[Mark::Probes],
        decide: None,
    },
    Rule {
        name: "bgp",
        run: bgp::run,
        marks: &[],
        honours: &[],
        decide: None,
    },
    Rule {
        name: "tunnel_addresses",
        run: tunnel_addresses::run,
        marks: &[],
        honours: &[],
        decide: None,
    },
    Rule {
        name: "mtu_blackhole",
        run: mtu_blackhole::run,
        marks: &[],
        honours: &[],
        decide: None,
    },
    Rule {
        name: "informational",
        run: informational::run,
        marks: &[],
        honours: &[Mark::Finding(FindingKind::RekeyFlap)],
        decide: Some(informational::decide),
    },
    Rule {
        name: "stalled",
        run: stalled::run,
        marks: &[],
        honours: &[Mark::Failures, Mark::Finding(FindingKind::IkeScan)],
        decide: None,
    },
    Rule {
        name: "ike_flood",
        run: ike_flood::run,
        marks: &[],
        honours: &[Mark::Finding(FindingKind::IkeScan)],
        decide: None,
    },
    Rule {
        name: "auth_spray",
        run: auth_spray::run,
        marks: &[],
        honours: &[],
        decide: None,
    },
    Rule {
        name: "bandwidth_saturation",
        run: bandwidth_saturation::run,
        marks: &[],
        honours: &[],
        decide: None,
    },
];

/// The position in [`RULES`] from which the rules before `RULES[rule]` no longer set anything
/// it honours: right after the last rule before it that sets one of its marks (every rule sets
/// [`Mark::Failures`]). From there on, its decisions made on a view of the run
/// ([`Ctx::view_for`]) are the ones it would make in its place.
pub fn earliest_decision(rule: usize) -> usize {
    let honours = RULES[rule].honours;
    if honours.contains(&Mark::Failures) {
        return rule;
    }
    RULES[..rule]
        .iter()
        .rposition(|r| r.marks.iter().any(|m| honours.contains(m)))
        .map_or(0, |last| last + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `informational` honours only the rekey_flap findings: it can be decided from the rule
    /// after `rekey_flap` on, while proposal_mismatch ... mtu_blackhole run.
    #[test]
    fn informational_is_decided_after_rekey_flap() {
        let at = |name: &str| RULES.iter().position(|r| r.name == name).unwrap();
        assert_eq!(earliest_decision(at("informational")), at("rekey_flap") + 1);
        // a rule that honours every earlier failure can only be decided in its place
        assert_eq!(earliest_decision(at("stalled")), at("stalled"));
        assert_eq!(earliest_decision(at("ike_scan")), 0);
    }

    #[test]
    fn every_honoured_mark_is_set_by_an_earlier_rule() {
        for (i, rule) in RULES.iter().enumerate() {
            for mark in rule.honours {
                if *mark == Mark::Failures {
                    // Every rule sets it; the ones that explain exchanges must all come before.
                    assert!(
                        RULES[i..].iter().all(|r| !r.marks.contains(&Mark::Exchanges)),
                        "{} reads every earlier failure but a rule after it explains exchanges",
                        rule.name
                    );
                    continue;
                }
                assert!(
                    RULES[..i].iter().any(|r| r.marks.contains(mark)),
                    "{} honours {mark:?}, which no rule before it sets",
                    rule.name
                );
            }
        }
    }

    #[test]
    fn no_response_runs_after_every_rule_that_explains_exchanges() {
        let last = RULES.iter().position(|r| r.name == "no_response").unwrap();
        for r in &RULES[last + 1..] {
            assert!(
                !r.marks.contains(&Mark::Exchanges),
                "{} explains exchanges after no_response",
                r.name
            );
        }
    }

    #[test]
    fn every_rule_module_runs_once() {
        let mut names: Vec<&str> = RULES.iter().map(|r| r.name).collect();
        let n = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), n, "a rule is listed twice");
        let modules = include_str!("mod.rs")
            .lines()
            .filter_map(|l| l.strip_prefix("pub mod ")?.strip_suffix(';'))
            .collect::<Vec<_>>();
        assert_eq!(modules.len(), n, "rule modules {modules:?} vs RULES {names:?}");
        for m in modules {
            assert!(names.contains(&m), "rule module {m} is not in RULES");
        }
    }
}
