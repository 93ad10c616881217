//! Golden tests: the text and JSON reports of `analyze` (and the text of `decode`) for every
//! capture in `captures/` are pinned with insta snapshots (tests/snapshots/). Review changes with
//! `cargo insta review` (or `INSTA_UPDATE=always cargo test --test golden`).

use ikescope::app::RunOptions;
use ikescope::diagnose::diagnose;
use ikescope::report::{analyze_json, analyze_text};

fn own_captures() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir("captures")
        .expect("captures/ directory")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            p.extension()
                .map(|x| x == "pcap" || x == "pcapng")
                .unwrap_or(false)
        })
        .map(|p| format!("captures/{}", p.file_name().unwrap().to_string_lossy()))
        .collect();
    v.sort();
    v
}

#[test]
fn analyze_reports_are_stable() {
    let caps = own_captures();
    assert!(
        caps.len() >= 10,
        "expected the project's captures, found {}",
        caps.len()
    );
    for cap in caps {
        let opts = RunOptions {
            files: vec![cap.clone()],
            auto_keys: true,
            quiet: true,
            ..Default::default()
        };
        let (model, ok) = ikescope::app::analyze::build_model(&opts);
        assert!(ok, "{cap} unreadable");
        let findings = diagnose(&model);
        let name = cap.trim_start_matches("captures/").replace('.', "_");
        insta::assert_snapshot!(
            format!("{name}__text"),
            analyze_text::render(&model, &findings, false)
        );
        let doc = analyze_json::document(&model, &findings);
        let mut streamed = Vec::new();
        analyze_json::write_document(&model, &findings, &mut streamed).unwrap();
        let streamed: serde_json::Value = serde_json::from_slice(&streamed).expect("streamed JSON parses");
        assert_eq!(
            streamed, doc,
            "{cap}: the streamed document equals the in-memory one"
        );
        insta::assert_json_snapshot!(format!("{name}__json"), doc);
    }
}
