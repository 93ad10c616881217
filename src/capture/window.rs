//! `--since` / `--until`: the time window of frames that are read at all.
//!
//! A frame outside the window is counted ([`super::InputStats::outside_window`]) and dropped
//! before any decoding, so a run over hourly windows sees each frame in exactly one of them:
//! the window is half-open, `since <= time < until`.

use crate::record::Timestamp;

/// The frames to keep: capture time at or after `since` and before `until` (each bound optional).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TimeWindow {
    /// First instant kept (inclusive).
    pub since: Option<Timestamp>,
    /// First instant no longer kept (exclusive).
    pub until: Option<Timestamp>,
}

impl TimeWindow {
    /// True when a frame captured at `time` is inside the window.
    #[inline]
    pub fn contains(&self, time: Timestamp) -> bool {
        self.since.is_none_or(|s| time >= s) && self.until.is_none_or(|u| time < u)
    }

    /// True when no bound is set (every frame is kept).
    pub fn is_unbounded(&self) -> bool {
        self.since.is_none() && self.until.is_none()
    }
}

/// Parse a time bound: RFC 3339 (`2026-11-22T15:00:00Z`, `2026-11-22T16:00:00.5+01:00`) or
/// seconds since the Unix epoch, optionally with a fraction (`1795100400`, `1795100400.25`).
pub fn parse_time_bound(s: &str) -> Result<Timestamp, String> {
    let s = s.trim();
    if let Some(t) = parse_epoch(s) {
        return t;
    }
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .and_then(|t| t.timestamp_nanos_opt())
        .map(Timestamp)
        .ok_or_else(|| {
            format!("{s:?} is neither an RFC 3339 time (2026-11-22T15:00:00Z) nor epoch seconds (1795100400)")
        })
}

/// Epoch seconds with an optional fraction, exact to the nanosecond (no float rounding).
/// `None` when `s` does not look like a number at all; `Some(Err)` when it is out of range.
fn parse_epoch(s: &str) -> Option<Result<Timestamp, String>> {
    let (negative, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !all_digits(whole) || !all_digits(frac) {
        return None;
    }
    let out_of_range = || format!("{s:?}: epoch seconds out of range");
    let secs: i64 = match whole.parse() {
        Ok(v) => v,
        Err(_) => return Some(Err(out_of_range())),
    };
    // Nanoseconds from the first nine fraction digits (further digits are below the resolution).
    let mut nanos: i64 = 0;
    for i in 0..9 {
        let d = frac.as_bytes().get(i).map_or(0, |b| i64::from(b - b'0'));
        nanos = nanos * 10 + d;
    }
    let total = secs
        .checked_mul(1_000_000_000)
        .and_then(|n| n.checked_add(nanos))
        .map(|n| if negative { -n } else { n });
    Some(total.map(Timestamp).ok_or_else(out_of_range))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_seconds_are_exact() {
        assert_eq!(
            parse_time_bound("1795100400"),
            Ok(Timestamp(1_795_100_400_000_000_000))
        );
        assert_eq!(
            parse_time_bound("1795100400.25"),
            Ok(Timestamp(1_795_100_400_250_000_000))
        );
        assert_eq!(
            parse_time_bound("1.0000000019"),
            Ok(Timestamp(1_000_000_001)),
            "digits below a nanosecond are dropped"
        );
        assert!(parse_time_bound("99999999999999999999").is_err());
    }

    #[test]
    fn rfc3339_with_offset() {
        let utc = parse_time_bound("2026-11-22T15:00:00Z").unwrap();
        assert_eq!(utc.rfc3339(), "2026-11-22T15:00:00.000000Z");
        assert_eq!(parse_time_bound("2026-11-22T16:00:00+01:00"), Ok(utc));
        assert_eq!(
            parse_time_bound("2026-11-22T15:00:00.5Z").unwrap().0 - utc.0,
            500_000_000
        );
        assert!(parse_time_bound("2026-11-22 15:00").is_err());
        assert!(parse_time_bound("yesterday").is_err());
        assert!(parse_time_bound("12a").is_err());
    }

    #[test]
    fn window_is_half_open() {
        let w = TimeWindow {
            since: Some(Timestamp(10)),
            until: Some(Timestamp(20)),
        };
        assert!(!w.contains(Timestamp(9)));
        assert!(w.contains(Timestamp(10)));
        assert!(w.contains(Timestamp(19)));
        assert!(!w.contains(Timestamp(20)));
        assert!(TimeWindow::default().contains(Timestamp(i64::MIN)));
    }
}
