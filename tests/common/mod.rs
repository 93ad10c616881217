//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// A file written for one test, in a directory of its own that is removed (with anything the
/// test wrote beside the file) when this value is dropped; derefs to the file's path.
pub struct ScratchFile {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl std::ops::Deref for ScratchFile {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.path
    }
}

impl AsRef<Path> for ScratchFile {
    fn as_ref(&self) -> &Path {
        &self.path
    }
}

impl AsRef<std::ffi::OsStr> for ScratchFile {
    fn as_ref(&self) -> &std::ffi::OsStr {
        self.path.as_os_str()
    }
}

/// Write `bytes` to a file called `name` in a fresh temporary directory.
pub fn scratch_file(name: &str, bytes: &[u8]) -> ScratchFile {
    let dir = tempfile::Builder::new()
        .prefix("ikescope-test-")
        .tempdir()
        .expect("a temporary directory");
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).expect("the scratch file written");
    ScratchFile { _dir: dir, path }
}

/// Environment variable that turns a missing reference corpus from a skip into a failure
/// (`.ci/run` sets it, so CI can never pass without running the corpus tests).
pub const REQUIRE_CORPUS: &str = "IKESCOPE_REQUIRE_CORPUS";

/// The reference corpus: `../shared` beside the project, the data directory the developers and
/// CI have (real strongSwan captures with labels, public captures with tshark truth files, the
/// oracle scripts). A public clone does not have it.
///
/// Returns `None` when it is absent, after printing one line naming the skipped test, so the
/// test returns early and counts as skipped; panics instead when `IKESCOPE_REQUIRE_CORPUS=1`.
/// Usage: `let Some(shared) = common::corpus_dir() else { return };`
pub fn corpus_dir() -> Option<PathBuf> {
    let p = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared"));
    if p.join("captures").is_dir() {
        return Some(p);
    }
    let test = std::thread::current().name().unwrap_or("?").to_string();
    if std::env::var(REQUIRE_CORPUS).is_ok_and(|v| v == "1") {
        panic!(
            "{test}: the reference corpus ../shared is missing ({}) and {REQUIRE_CORPUS}=1 requires it",
            p.display()
        );
    }
    skipped(
        &test,
        "needs the reference corpus ../shared beside the project (absent on a public clone)",
    );
    None
}

/// The reference corpus for the optional part of a test that runs on the project's own captures
/// and adds the corpus's when it is there: `None`, silently, when it is absent (the test still
/// ran); panics when `IKESCOPE_REQUIRE_CORPUS=1` and it is absent.
pub fn corpus_extra() -> Option<PathBuf> {
    let p = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared"));
    if p.join("captures").is_dir() {
        return Some(p);
    }
    if std::env::var(REQUIRE_CORPUS).is_ok_and(|v| v == "1") {
        panic!(
            "the reference corpus ../shared is missing ({}) and {REQUIRE_CORPUS}=1 requires it",
            p.display()
        );
    }
    None
}

/// Says on the terminal, past the test harness's output capture, that `test` was skipped and why.
pub fn skipped(test: &str, why: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "skipped {test}: {why}");
}

/// Every capture file (pcap, pcapng) in the project's own captures directory, as absolute
/// paths, sorted.
pub fn own_capture_paths() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(captures_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pcap" || e == "pcapng"))
        .map(|p| p.to_str().unwrap().to_string())
        .collect();
    v.sort();
    v
}

/// The project's own captures directory.
pub fn captures_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/captures"))
}

/// The project's own captures (`captures/*.pcap`), in name order.
pub fn own_pcaps() -> Vec<PathBuf> {
    let mut caps: Vec<PathBuf> = std::fs::read_dir(captures_dir())
        .expect("captures/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "pcap"))
        .collect();
    caps.sort();
    caps
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
