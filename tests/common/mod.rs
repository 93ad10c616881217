//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// `../shared` beside the project. Panics with a clear message when it is missing: the corpus
/// tests must not pass silently without their data.
pub fn shared_dir() -> PathBuf {
    let p = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared"));
    assert!(
        p.join("captures").is_dir(),
        "../shared is missing (expected {}): the corpus tests need the shared captures beside the project",
        p.display()
    );
    p
}

/// The project's own captures directory.
pub fn captures_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/captures"))
}

/// Run the analysis of one capture in-process; returns the model and findings.
pub fn analyze(path: &std::path::Path) -> (ikescope::reconstruct::Model, Vec<ikescope::diagnose::Finding>) {
    let opts = ikescope::app::RunOptions {
        files: vec![path.to_string_lossy().into_owned()],
        auto_keys: true,
        quiet: true,
        ..Default::default()
    };
    let (model, ok) = ikescope::app::analyze::build_model(&opts);
    assert!(ok, "{} could not be read", path.display());
    let findings = ikescope::diagnose::diagnose(&model);
    (model, findings)
}

/// Proposals projected to what the tshark truth compares: (number, protocol, spi, [(type, id,
/// key length)]).
pub fn project_proposals(props: &serde_json::Value) -> Vec<serde_json::Value> {
    use serde_json::json;
    props
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            json!([
                p["number"],
                p["protocol"],
                p["spi"].as_str().unwrap_or("").to_lowercase(),
                p["transforms"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|t| json!([t["type"], t["id"], t["key_length"]]))
                    .collect::<Vec<_>>()
            ])
        })
        .collect()
}
