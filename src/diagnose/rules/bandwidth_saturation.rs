//! bandwidth_saturation (warning): with `--bandwidth RATE`, a tunnel whose ESP in one direction
//! ran at 80 % of that rate or more during at least one interval of its throughput series. The
//! series (see `reconstruct::esp_series`) average over their buckets, so a short burst inside a
//! wide bucket counts at its average: the finding can miss a burst, never invent one.

use crate::diagnose::{Confidence, Ctx, Finding, FindingKind, Severity};
use crate::reconstruct::esp_series::EspSeries;
use crate::record::Timestamp;

/// Share of the link capacity from which a tunnel counts as saturating it.
pub const SATURATION: f64 = 0.8;

/// Bits per second in one bucket.
fn rate_bps(bytes: u64, width_ns: i64) -> f64 {
    bytes as f64 * 8.0 / (width_ns as f64 / 1e9)
}

/// `97.3 Mbit/s`.
pub fn show_rate(bps: f64) -> String {
    if bps >= 1e9 {
        format!("{:.2} Gbit/s", bps / 1e9)
    } else if bps >= 1e6 {
        format!("{:.1} Mbit/s", bps / 1e6)
    } else {
        format!("{:.1} kbit/s", bps / 1e3)
    }
}

/// Run the rule (only when `--bandwidth` was given).
pub fn run(ctx: &mut Ctx<'_>) {
    let Some(capacity) = ctx.options.bandwidth_bps else {
        return;
    };
    let model = ctx.model;
    let threshold = capacity as f64 * SATURATION;
    for t in &model.tunnels {
        for (src, dst, series) in t.esp_directions(model) {
            let over: Vec<(i64, u64)> = series
                .used()
                .filter(|(_, b, _)| rate_bps(*b, series.width_ns) >= threshold)
                .map(|(start, b, _)| (start, b))
                .collect();
            let Some(&(peak_start, peak_bytes)) = over.iter().max_by_key(|x| x.1) else {
                continue;
            };
            let peak = rate_bps(peak_bytes, series.width_ns);
            let width_s = series.width_ns as f64 / 1e9;
            let mut f = Finding::new(
                FindingKind::BandwidthSaturation,
                &t.id,
                Severity::Warning,
                Confidence::Likely,
            );
            f.initiator = Some(src);
            f.responder = Some(dst);
            f.summary = format!(
                "ESP from {src} to {dst} ran at {} in the {width_s:.0} s from {} ({:.0} % of the {} given with --bandwidth); {} interval(s) of {width_s:.0} s at {:.0} % or more",
                show_rate(peak),
                Timestamp(peak_start).rfc3339(),
                peak / capacity as f64 * 100.0,
                show_rate(capacity as f64),
                over.len(),
                SATURATION * 100.0
            );
            // Evidence: the first packet of each SPI that carried traffic in the peak interval.
            for f_esp in t
                .esp
                .iter()
                .filter(|k| k.0 == src)
                .filter_map(|k| model.esp.get(k))
            {
                if in_bucket(&f_esp.series, peak_start, series.width_ns) {
                    f.evidence(
                        model,
                        f_esp.first_frame,
                        format!(
                            "first packet of SPI {:08x} ({src} -> {dst}), which carried traffic in the peak interval",
                            f_esp.spi
                        ),
                    );
                }
            }
            f.fix = Some(format!(
                "The tunnel fills the link: raise the capacity of the link or gateway (or of the cloud VPN \
                 tunnel's bandwidth tier), spread the traffic over more tunnels, or shape/police it on the \
                 sending end ({src}) below the ceiling."
            ));
            f.detail("peak_bps", peak.round() as u64);
            f.detail("bandwidth_bps", capacity);
            f.detail("interval_s", width_s);
            f.detail("intervals_over", over.len());
            // one finding per direction
            ctx.push_unmerged(f);
        }
    }
}

/// The flow's series has traffic in the `width_ns` interval starting at `start`.
fn in_bucket(s: &EspSeries, start: i64, width_ns: i64) -> bool {
    s.used()
        .any(|(b, _, _)| b < start.saturating_add(width_ns) && b.saturating_add(s.width_ns) > start)
}
