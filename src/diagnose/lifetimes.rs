//! Default SA lifetimes of cloud VPN gateways, to say what a rekey cadence matches.
//!
//! A gateway rekeys before its SA expires: strongSwan at `lifetime − margin × (1 + fuzz)` (by
//! default 9 of 60 minutes early, up to twice that), AWS 270 s plus up to 100 % fuzz before
//! expiry. So an interval between rekeys "fits" a lifetime L when it lies within the last 30 %
//! of it: 0.7 L ≤ interval ≤ L.
//!
//! Values (documented, see ../shared/research/implementations.md):
//! - AWS Site-to-Site VPN: phase 1 28800 s, phase 2 3600 s, rekey margin 270 s (AWS VPN API,
//!   `Phase1LifetimeSeconds` / `Phase2LifetimeSeconds` / `RekeyMarginTimeSeconds`).
//! - Azure VPN gateway, route-based: IKE SA 28800 s, Quick Mode SA 27000 s; policy-based: Quick
//!   Mode 3600 s (azure-docs, "About VPN devices and IPsec/IKE parameters").

/// One documented default lifetime.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DefaultLifetime {
    /// Whose default it is.
    pub gateway: &'static str,
    /// Which SA: `phase 1` (IKE SA) or `phase 2` (CHILD / IPsec SA).
    pub phase: &'static str,
    /// The lifetime, seconds.
    pub seconds: u32,
}

const DEFAULTS: &[DefaultLifetime] = &[
    DefaultLifetime {
        gateway: "AWS Site-to-Site VPN",
        phase: "phase 2",
        seconds: 3600,
    },
    DefaultLifetime {
        gateway: "Azure policy-based VPN gateway",
        phase: "phase 2",
        seconds: 3600,
    },
    DefaultLifetime {
        gateway: "Azure route-based VPN gateway",
        phase: "phase 2",
        seconds: 27000,
    },
    DefaultLifetime {
        gateway: "AWS Site-to-Site VPN",
        phase: "phase 1",
        seconds: 28800,
    },
    DefaultLifetime {
        gateway: "Azure route-based VPN gateway",
        phase: "phase 1",
        seconds: 28800,
    },
];

/// The earliest a rekey comes, as a share of the lifetime.
const EARLIEST_SHARE: f64 = 0.7;

/// The documented defaults of `phase` (`phase 1` / `phase 2`) that a typical interval between
/// rekeys fits.
pub fn fitting(interval_secs: f64, phase: &str) -> Vec<DefaultLifetime> {
    DEFAULTS
        .iter()
        .filter(|d| d.phase == phase)
        .filter(|d| {
            let l = f64::from(d.seconds);
            (EARLIEST_SHARE * l..=l).contains(&interval_secs)
        })
        .copied()
        .collect()
}

/// The clause for a rekey summary: `fits a lifetime rekeyed shortly before expiry: 3600 s, the
/// default phase 2 lifetime of AWS Site-to-Site VPN and Azure policy-based VPN gateway`.
pub fn describe(interval_secs: f64, phase: &str) -> Option<String> {
    let fit = fitting(interval_secs, phase);
    let first = fit.first()?;
    let mut by_seconds: Vec<(u32, Vec<&str>)> = Vec::new();
    for d in &fit {
        match by_seconds.iter_mut().find(|(s, _)| *s == d.seconds) {
            Some((_, who)) => who.push(d.gateway),
            None => by_seconds.push((d.seconds, vec![d.gateway])),
        }
    }
    let parts: Vec<String> = by_seconds
        .iter()
        .map(|(s, who)| {
            format!(
                "{s} s, the default {} lifetime of {}",
                first.phase,
                who.join(" and ")
            )
        })
        .collect();
    Some(format!(
        "fits a lifetime rekeyed shortly before expiry: {}",
        parts.join("; ")
    ))
}

/// The median of some intervals (`None` when empty).
pub fn median(intervals: &[f64]) -> Option<f64> {
    let mut v: Vec<f64> = intervals.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    Some(v[v.len() / 2])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_hourly_child_rekey_matches_aws_phase_2() {
        // AWS rekeys 270 s plus up to 270 s of fuzz before the 3600 s lifetime expires
        let d = describe(3330.0, "phase 2").unwrap();
        assert!(d.contains("3600 s, the default phase 2 lifetime of AWS Site-to-Site VPN and Azure policy-based VPN gateway"), "{d}");
        assert_eq!(fitting(3330.0, "phase 1"), vec![]);
    }

    #[test]
    fn azure_route_based_quick_mode_and_ike_lifetimes() {
        let f = fitting(26500.0, "phase 2");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].seconds, 27000);
        let d = describe(27500.0, "phase 1").unwrap();
        assert!(d.contains("28800 s, the default phase 1 lifetime of AWS Site-to-Site VPN and Azure route-based VPN gateway"), "{d}");
    }

    #[test]
    fn other_cadences_match_nothing() {
        assert_eq!(describe(600.0, "phase 2"), None);
        assert_eq!(describe(3700.0, "phase 2"), None); // longer than the lifetime
        assert_eq!(describe(14400.0, "phase 1"), None);
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
    }
}
