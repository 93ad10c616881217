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
    },
    Rule {
        name: "ike_version_mismatch",
        run: ike_version_mismatch::run,
        marks: &[Mark::Exchanges, Mark::VersionMismatch],
        honours: &[Mark::Finding(FindingKind::IkeScan)],
    },
    Rule {
        name: "fragmentation_loss",
        run: fragmentation_loss::run,
        marks: &[Mark::Exchanges],
        honours: &[Mark::VersionMismatch],
    },
    Rule {
        name: "dpd_flap",
        run: dpd_flap::run,
        marks: &[Mark::Exchanges],
        honours: &[],
    },
    Rule {
        name: "rekey_flap",
        run: rekey_flap::run,
        marks: &[Mark::Exchanges, Mark::Finding(FindingKind::RekeyFlap)],
        honours: &[Mark::Exchanges],
    },
    Rule {
        name: "proposal_mismatch",
        run: proposal_mismatch::run,
        marks: &[Mark::Exchanges],
        honours: &[Mark::Exchanges, Mark::VersionMismatch, Mark::Probes],
    },
    Rule {
        name: "auth_failure",
        run: auth_failure::run,
        marks: &[Mark::Exchanges],
        honours: &[Mark::VersionMismatch, Mark::Probes],
    },
    Rule {
        name: "ts_mismatch",
        run: ts_mismatch::run,
        marks: &[Mark::Exchanges],
        honours: &[Mark::Exchanges, Mark::VersionMismatch],
    },
    Rule {
        name: "no_response",
        run: no_response::run,
        marks: &[Mark::Exchanges],
        honours: &[Mark::Exchanges, Mark::VersionMismatch],
    },
    Rule {
        name: "one_way_esp",
        run: one_way_esp::run,
        marks: &[],
        honours: &[],
    },
    Rule {
        name: "selectors",
        run: selectors::run,
        marks: &[],
        honours: &[Mark::Probes],
    },
    Rule {
        name: "bgp",
        run: bgp::run,
        marks: &[],
        honours: &[],
    },
    Rule {
        name: "tunnel_addresses",
        run: tunnel_addresses::run,
        marks: &[],
        honours: &[],
    },
    Rule {
        name: "mtu_blackhole",
        run: mtu_blackhole::run,
        marks: &[],
        honours: &[],
    },
    Rule {
        name: "informational",
        run: informational::run,
        marks: &[],
        honours: &[Mark::Finding(FindingKind::RekeyFlap)],
    },
    Rule {
        name: "stalled",
        run: stalled::run,
        marks: &[],
        honours: &[Mark::Failures, Mark::Finding(FindingKind::IkeScan)],
    },
    Rule {
        name: "ike_flood",
        run: ike_flood::run,
        marks: &[],
        honours: &[Mark::Finding(FindingKind::IkeScan)],
    },
    Rule {
        name: "auth_spray",
        run: auth_spray::run,
        marks: &[],
        honours: &[],
    },
    Rule {
        name: "bandwidth_saturation",
        run: bandwidth_saturation::run,
        marks: &[],
        honours: &[],
    },
];

#[cfg(test)]
mod tests {
    use super::*;

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
