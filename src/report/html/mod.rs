//! `analyze --format html`: one self-contained page (CSS, JS and data inline; nothing fetched)
//! with a header, a sortable and filterable tunnel table, and per tunnel a ladder diagram, an SA
//! timeline and ESP throughput charts; redundant pairs and the findings as cards.
//!
//! The Rust side gathers what each view draws into one JSON document embedded in the page
//! (`<script type="application/json">`); the hand-written script in `assets/` draws a tunnel's
//! SVGs when it is opened, so a gateway capture with thousands of healthy tunnels stays small
//! and loads fast. One module per view builds that view's data.

mod cards;
mod ladder;
mod page;
mod pairs;
mod strings;
mod throughput;
mod timeline;

use crate::diagnose::{by_tunnel, tunnel_state, Finding};
use crate::reconstruct::Model;
use serde_json::{json, Value};
use std::io::{self, Write};
use strings::Strings;

/// What the HTML report shows beyond the model and findings.
#[derive(Clone, Copy, Debug, Default)]
pub struct HtmlOptions {
    /// The link's capacity in bits per second (`--bandwidth`), drawn as a ceiling on the
    /// throughput charts.
    pub bandwidth_bps: Option<u64>,
}

/// Times in the page are milliseconds since this origin (the first activity seen).
#[derive(Clone, Copy, Debug)]
struct Origin(crate::record::Timestamp);

impl Origin {
    fn ms(self, t: crate::record::Timestamp) -> i64 {
        (t.0 - (self.0).0) / 1_000_000
    }
}

/// Write the page for the tunnels `keep` marks (all when `None`).
pub fn write<W: Write>(
    model: &Model,
    findings: &[Finding],
    keep: Option<&[bool]>,
    opts: &HtmlOptions,
    out: W,
) -> io::Result<()> {
    let data = document(model, findings, keep, opts);
    page::write(&data, out)
}

/// The page's data document (see `assets/report.js` for how it is read).
pub fn document(model: &Model, findings: &[Finding], keep: Option<&[bool]>, opts: &HtmlOptions) -> Value {
    let grouped = by_tunnel(findings);
    let origin = Origin(
        model
            .tunnels
            .iter()
            .map(|t| t.first)
            .filter(|t| t.0 != 0)
            .min()
            .unwrap_or_default(),
    );
    let mut strings = Strings::default();
    let mut tunnels = Vec::new();
    for (i, t) in model.tunnels.iter().enumerate() {
        if keep.is_some_and(|k| !k[i]) {
            continue;
        }
        let tf = grouped.get(t.id.as_str()).map(Vec::as_slice).unwrap_or(&[]);
        let mut kinds: Vec<&str> = tf.iter().map(|f| f.kind.as_str()).collect();
        kinds.sort_unstable();
        kinds.dedup();
        let (esp_packets, esp_bytes) = t
            .esp
            .iter()
            .filter_map(|k| model.esp.get(k))
            .fold((0u64, 0u64), |(p, b), f| (p + f.packets, b + f.bytes));
        tunnels.push(json!({
            "id": t.id,
            "peers": t.peers,
            "state": tunnel_state(model, t, tf),
            "versions": t.versions,
            "failing": tf.iter().any(|f| f.is_failure()),
            "kinds": kinds,
            "first": origin.ms(t.first),
            "last": origin.ms(t.last),
            "esp_packets": esp_packets,
            "esp_bytes": esp_bytes,
            "ladder": ladder::ladder(model, t, tf, origin, &mut strings),
            "timeline": timeline::timeline(model, t, origin),
            "throughput": throughput::throughput(model, t, origin),
            "software": t
                .implementations
                .iter()
                .filter(|_| !t.sas.is_empty())
                .map(crate::report::software_line)
                .collect::<Vec<_>>(),
            "bgp": super::inner::bgp_of(model, t)
                .into_iter()
                .map(|s| json!({"state": s.state.as_str(), "line": super::inner::bgp_line(s)}))
                .collect::<Vec<_>>(),
        }));
    }
    json!({
        "version": 1,
        "inputs": crate::report::analyze_json::inputs_value(model),
        "origin": origin.0,
        "origin_ms": (origin.0).0 / 1_000_000,
        "end": origin.ms(model.capture_end),
        "bandwidth_bps": opts.bandwidth_bps,
        "tunnels": tunnels,
        "findings": cards::cards(model, findings),
        "pairs": pairs::pairs(model, &crate::report::pairs::shown_pairs(model, keep), origin),
        "strings": strings.into_vec(),
    })
}
