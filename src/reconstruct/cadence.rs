//! Retransmission cadence: how long an implementation waits before re-sending an unanswered
//! message, and what that says about which implementation it is.
//!
//! The schedules told apart (seconds between sends):
//! - strongSwan: `retransmit_timeout × retransmit_base^n`, each wait a constant factor longer
//!   than the one before; the defaults 4 s and 1.8 give 4, 7.2, 13, 23.3, 42 s
//!   (docs.strongswan.org, "Retransmission"); the project's lab uses 1 s and 1.5.
//! - libreswan: the message is re-sent at `retransmit-interval × 2^n` after the first send:
//!   0.5, 1, 2, 4, 8 s with the default 500 ms, i.e. waits of 0.5, 0.5, 1, 2, 4 s (lab,
//!   libreswan 4.10).
//! - Windows 2000/XP/2003 (IKEv1): waits of 1, 2, 4, 8, 16, 32 s, a fixed six re-sends
//!   (ike-scan's `ike-backoff-patterns`, Roy Hills).
//! - Cisco IOS / PIX (IKEv1): a constant 15 s (ike-scan's `ike-backoff-patterns`).
//!
//! A strongSwan configured with base 2 and timeout 1 s re-sends like Windows; the guess is then
//! Windows with the lowest confidence, and any vendor ID or other habit outweighs it.

use ikescope_parsers::vendor::Maker;

/// What a series of sends of one message says.
#[derive(Clone, Debug, PartialEq)]
pub struct Cadence {
    /// The implementation whose schedule it matches.
    pub maker: Maker,
    /// The waits, in words, and the schedule they match.
    pub evidence: String,
}

/// Relative tolerance on a wait (capture timestamps, scheduling jitter).
const REL_TOL: f64 = 0.12;
/// Absolute tolerance on a wait, seconds.
const ABS_TOL: f64 = 0.06;

fn near(a: f64, b: f64) -> bool {
    (a - b).abs() <= ABS_TOL.max(REL_TOL * b.abs())
}

/// The waits written for people: `0.5, 0.5, 1.0, 2.0 s`.
fn waits_text(waits: &[f64]) -> String {
    let v: Vec<String> = waits
        .iter()
        .map(|w| {
            if *w < 10.0 {
                format!("{w:.1}")
            } else {
                format!("{w:.0}")
            }
        })
        .collect();
    format!("{} s", v.join(", "))
}

/// Classify the send times (seconds, ascending) of one message: the first send and its
/// retransmissions. `None` when there are too few sends (fewer than 4, or 3 for the strongSwan
/// defaults) or the waits match no schedule known here.
pub fn classify(times: &[f64]) -> Option<Cadence> {
    if times.len() < 3 {
        return None;
    }
    let waits: Vec<f64> = times.windows(2).map(|w| w[1] - w[0]).collect();
    if waits.iter().any(|w| *w <= 0.0) {
        return None;
    }
    let first = times[0];
    let offsets: Vec<f64> = times[1..].iter().map(|t| t - first).collect();
    let shown = waits_text(&waits);
    let unit = offsets[0];
    // libreswan: sends at unit × 1, 2, 4, 8 ... after the first (needs 4 sends: with 3, a
    // constant wait looks the same).
    if offsets.len() >= 3
        && offsets
            .iter()
            .enumerate()
            .all(|(k, o)| near(*o, unit * f64::from(1u32 << k.min(20))))
    {
        let default = if near(unit, 0.5) {
            " (the default 500 ms)"
        } else {
            ""
        };
        return Some(Cadence {
            maker: Maker::Libreswan,
            evidence: format!(
                "re-sent after waits of {shown}: each re-send at twice the time since the first send, from {unit:.1} s: libreswan's retransmit-interval{default}, doubling"
            ),
        });
    }
    // A constant wait (needs 3 waits).
    if waits.len() >= 3 && waits.iter().all(|w| near(*w, waits[0])) {
        if near(waits[0], 15.0) {
            return Some(Cadence {
                maker: Maker::Cisco,
                evidence: format!(
                    "re-sent after waits of {shown}: a constant 15 s, Cisco IOS/PIX's IKEv1 schedule (ike-scan backoff patterns)"
                ),
            });
        }
        return None;
    }
    // A constant factor between successive waits.
    let ratios: Vec<f64> = waits.windows(2).map(|w| w[1] / w[0]).collect();
    let mean = ratios.iter().sum::<f64>() / ratios.len() as f64;
    let steady = ratios.iter().all(|r| (r - mean).abs() <= 0.1 * mean);
    if !steady || !(1.2..=3.0).contains(&mean) {
        return None;
    }
    let strongswan_default = near(waits[0], 4.0) && (mean - 1.8).abs() <= 0.15;
    if ratios.len() < 2 && !strongswan_default {
        return None;
    }
    if near(waits[0], 1.0) && (mean - 2.0).abs() <= 0.15 {
        return Some(Cadence {
            maker: Maker::Microsoft,
            evidence: format!(
                "re-sent after waits of {shown}: doubling from 1 s, Windows' IKEv1 schedule (1, 2, 4, 8, 16, 32 s; ike-scan backoff patterns)"
            ),
        });
    }
    let default = if strongswan_default {
        ", the defaults 4 s and 1.8"
    } else {
        ""
    };
    Some(Cadence {
        maker: Maker::StrongSwan,
        evidence: format!(
            "re-sent after waits of {shown}: each wait {mean:.1} times the one before, from {:.1} s (strongSwan's retransmit_timeout × retransmit_base^n{default})",
            waits[0]
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offsets(waits: &[f64]) -> Vec<f64> {
        let mut t = vec![100.0];
        for w in waits {
            t.push(t.last().unwrap() + w);
        }
        t
    }

    #[test]
    fn libreswan_doubles_from_half_a_second() {
        // lab: sw2lsw_ikev1_psk_mismatch_on_path.pcap, libreswan re-sending Main Mode 4
        let c = classify(&[51.657, 52.155, 52.656, 53.655, 55.656, 59.661]).unwrap();
        assert_eq!(c.maker, Maker::Libreswan);
        assert!(c.evidence.contains("0.5, 0.5, 1.0, 2.0, 4.0 s"), "{}", c.evidence);
        assert!(c.evidence.contains("default 500 ms"));
    }

    #[test]
    fn strongswan_grows_by_its_base() {
        // lab settings 1 s, 1.5 (ikev2_no_response.pcap)
        let c = classify(&offsets(&[1.0, 1.5, 2.25, 3.375])).unwrap();
        assert_eq!(c.maker, Maker::StrongSwan);
        assert!(c.evidence.contains("1.5 times"), "{}", c.evidence);
        // the defaults: two waits are enough
        let c = classify(&offsets(&[4.0, 7.2])).unwrap();
        assert_eq!(c.maker, Maker::StrongSwan);
        assert!(c.evidence.contains("defaults 4 s and 1.8"));
    }

    #[test]
    fn documented_schedules_of_others() {
        assert_eq!(
            classify(&offsets(&[1.0, 2.0, 4.0, 8.0, 16.0, 32.0])).map(|c| c.maker),
            Some(Maker::Microsoft)
        );
        assert_eq!(
            classify(&offsets(&[15.0, 15.0, 15.0])).map(|c| c.maker),
            Some(Maker::Cisco)
        );
    }

    #[test]
    fn too_little_or_unknown_says_nothing() {
        assert_eq!(classify(&offsets(&[0.5, 0.5])), None); // libreswan or constant: can't tell
        assert_eq!(classify(&offsets(&[1.0, 1.5])), None); // one ratio, not the defaults
        assert_eq!(classify(&offsets(&[8.0, 8.0, 8.0])), None); // constant, not a known one
        assert_eq!(classify(&offsets(&[1.0, 5.0, 2.0, 9.0])), None); // irregular
        assert_eq!(classify(&[1.0, 1.0, 1.0]), None); // copies at one instant
    }
}
