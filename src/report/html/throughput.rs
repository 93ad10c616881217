//! ESP throughput data: per direction the tunnel's bytes and packets per interval (all SPIs
//! together, see `reconstruct::esp_series`), and when each SPI first carried traffic, so the
//! chart can mark SPI changes.

use super::Origin;
use crate::reconstruct::{Model, Tunnel};
use serde_json::{json, Value};

/// The throughput of one tunnel (times in milliseconds since the page origin).
pub fn throughput(model: &Model, t: &Tunnel, origin: Origin) -> Value {
    let dirs: Vec<Value> = t
        .esp_directions(model)
        .filter_map(|(src, dst, series)| {
            let (start, bytes, packets) = series.span()?;
            let mut spis: Vec<(i64, String)> = t
                .esp
                .iter()
                .filter(|k| k.0 == src)
                .filter_map(|k| model.esp.get(k))
                .map(|f| (origin.ms(f.first), format!("{:08x}", f.spi)))
                .collect();
            spis.sort();
            Some(json!({
                "from": src,
                "to": dst,
                "start": origin.ms(crate::record::Timestamp(start)),
                "width_ms": series.width_ns / 1_000_000,
                "bytes": bytes,
                "packets": packets,
                "spis": spis,
            }))
        })
        .collect();
    Value::Array(dirs)
}
