//! Wall time per stage of one `analyze` run, on stderr when `IKESCOPE_TIMINGS` is set: how the
//! profile in docs/performance.md is taken without a profiler (read, model, diagnosis, report),
//! with the peak memory so far (Linux).

use std::time::{Duration, Instant};

/// Marks the end of each stage since the run started; prints nothing unless enabled.
pub struct StageClock {
    start: Instant,
    last: Instant,
    enabled: bool,
}

impl StageClock {
    /// A clock started now, enabled when the environment variable `IKESCOPE_TIMINGS` is set
    /// (to anything but the empty string).
    pub fn from_env() -> StageClock {
        let enabled = std::env::var_os("IKESCOPE_TIMINGS").is_some_and(|v| !v.is_empty());
        let now = Instant::now();
        StageClock {
            start: now,
            last: now,
            enabled,
        }
    }

    /// The stage called `stage` ends now: print its own time and the time since the start.
    pub fn mark(&mut self, stage: &str) {
        let now = Instant::now();
        if self.enabled {
            eprintln!(
                "ikescope: timing: {stage:<9} {:>8.1} ms (total {:.1} ms){}",
                ms(now - self.last),
                ms(now - self.start),
                peak_rss()
                    .map(|kb| format!(", peak RSS {:.1} MB", kb as f64 / 1000.0))
                    .unwrap_or_default()
            );
        }
        self.last = now;
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The process's peak resident memory so far in kB (`VmHWM` of /proc/self/status), where there is
/// one.
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
