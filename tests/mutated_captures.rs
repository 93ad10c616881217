//! Robustness of the whole pipeline (ingest → decrypt → decode → reconstruct → diagnose →
//! reports) on damaged input: every project capture, with bytes flipped at pseudo-random places
//! (fixed seed) and opened with the original's key tables, must be analyzed to a report without
//! a panic. `IKESCOPE_MUTATION_ROUNDS` and `IKESCOPE_MUTATION_SEED` run a longer or different
//! exploration.

use ikescope::app::RunOptions;
use ikescope::diagnose::diagnose;
use ikescope::report::{analyze_json, analyze_text};

/// splitmix64: a small deterministic generator for the mutation positions.
fn next(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[test]
fn mutated_captures_are_analyzed_without_panic() {
    let dir = std::env::temp_dir().join(format!("ikescope-mutated-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut caps: Vec<_> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/captures"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "pcap"))
        .collect();
    caps.sort();
    assert!(caps.len() >= 10);
    let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<u64>().ok());
    let rounds = env("IKESCOPE_MUTATION_ROUNDS").unwrap_or(64) as usize;
    let mut seed = env("IKESCOPE_MUTATION_SEED").unwrap_or(0x1ce5_c0de);
    let mut runs = 0;
    for cap in &caps {
        let original = std::fs::read(cap).unwrap();
        for round in 0..rounds {
            let mut bytes = original.clone();
            // Flip 1-32 bytes after the file header (the header itself is tested elsewhere).
            let flips = 1 + next(&mut seed) % 32;
            for _ in 0..flips {
                let at = 24 + (next(&mut seed) as usize) % (bytes.len() - 24);
                bytes[at] ^= 1 << (next(&mut seed) % 8);
            }
            let path = dir.join(format!(
                "{}-{round}.pcap",
                cap.file_stem().unwrap().to_string_lossy()
            ));
            std::fs::write(&path, &bytes).unwrap();
            // The original's key tables, so the decryptors meet the damaged bytes too.
            let keys = ikescope::keys::KeyStore::discover_beside(cap)
                .into_iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect();
            let opts = RunOptions {
                files: vec![path.to_string_lossy().into_owned()],
                keys,
                quiet: true,
                ..Default::default()
            };
            let (model, _) = ikescope::app::analyze::build_model(&opts);
            let findings = diagnose(&model);
            let _ = analyze_text::render(&model, &findings, false);
            let mut json = Vec::new();
            analyze_json::write_document(&model, &findings, &mut json).unwrap();
            serde_json::from_slice::<serde_json::Value>(&json).expect("valid JSON");
            runs += 1;
            let _ = std::fs::remove_file(&path);
        }
    }
    // a failing round leaves its file behind on purpose: it is the reproducer
    let _ = std::fs::remove_dir(&dir);
    assert_eq!(runs, caps.len() * rounds);
}
