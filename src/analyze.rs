//! `analyze`: ingest → decode → collect → reconstruct → diagnose → report.

use crate::cli::{RunOptions, EXIT_UNREADABLE};
use crate::diagnose::diagnose;
use crate::keys::KeyStore;
use crate::pipeline::{keys_for, load_key_files, process_file, Progress};
use crate::reconstruct::{Collected, Model};
use rayon::prelude::*;
use std::io::{IsTerminal, Write};

/// Exit status when an error or warning finding was made.
pub const EXIT_FINDINGS: u8 = 1;

/// Read and reconstruct the inputs: each input on its own core (rayon), merged into one model.
/// Returns the model and whether every input (and every `--keys` file) could be read.
pub fn build_model(opts: &RunOptions) -> (Model, bool) {
    match load_key_files(&opts.keys) {
        Ok(keys) => build_model_with(opts, &keys),
        Err(e) => {
            eprintln!("ikescope: {e}");
            (Model::build(Collected::new(opts.files.clone())), false)
        }
    }
}

/// [`build_model`] with the `--keys` files already loaded.
pub fn build_model_with(opts: &RunOptions, explicit: &KeyStore) -> (Model, bool) {
    let progress = Progress::new(opts);
    let parts: Vec<(Collected, bool)> = opts
        .files
        .par_iter()
        .enumerate()
        .map(|(i, path)| {
            let mut data = Collected::new(opts.files.clone());
            let keys = keys_for(path, explicit, opts.auto_keys, opts.quiet);
            // Refusals from a log found beside this capture (those of --keys are added once below).
            if let Some(k) = &keys {
                data.hints = k.hints.get(explicit.hints.len()..).unwrap_or(&[]).to_vec();
            }
            let bar = progress.bar();
            match process_file(path, i, &opts.ingest, keys, bar, &mut data) {
                Ok(stats) => {
                    data.stats[i] = stats;
                    (data, true)
                }
                Err(e) => {
                    eprintln!("ikescope: {path}: {e}");
                    (data, false)
                }
            }
        })
        .collect();
    progress.finish();
    let mut all = Collected::new(opts.files.clone());
    all.hints = explicit.hints.clone();
    let mut all_read = true;
    for (part, ok) in parts {
        all_read &= ok;
        all.merge(part);
    }
    (Model::build(all), all_read)
}

/// Run `analyze` and return the exit status.
pub fn run(opts: &RunOptions, json: bool) -> anyhow::Result<u8> {
    let explicit = match load_key_files(&opts.keys) {
        Ok(k) => k,
        Err(e) => {
            eprintln!("ikescope: {e}");
            return Ok(EXIT_UNREADABLE);
        }
    };
    let (model, all_read) = build_model_with(opts, &explicit);
    if !opts.quiet {
        for p in &model.data.problems {
            let file = model
                .data
                .files
                .get(p.file_index)
                .map(String::as_str)
                .unwrap_or("");
            eprintln!(
                "{file}: frame {}: offset {}: malformed: {}",
                p.frame, p.offset, p.what
            );
        }
    }
    let mut findings = diagnose(&model);
    // --peer / --failing: the tunnels to report, and only their findings (cross-tunnel findings
    // such as ts_overlap were made on all of them first).
    let shown = crate::report::selected_tunnels(&model, &findings, opts);
    if let Some(keep) = &shown {
        let ids: std::collections::HashSet<&str> = model
            .tunnels
            .iter()
            .zip(keep)
            .filter(|(_, k)| **k)
            .map(|(t, _)| t.id.as_str())
            .collect();
        findings.retain(|f| ids.contains(f.tunnel.as_str()));
    }
    let keep = shown.as_deref();
    let write = || -> std::io::Result<()> {
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        if json {
            let mut buffered = std::io::BufWriter::with_capacity(1 << 16, &mut out);
            crate::report::analyze_json::write_selected(&model, &findings, keep, &mut buffered)?;
            buffered.flush()?;
        } else {
            let color =
                std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
            let text = crate::report::analyze_text::render_selected(&model, &findings, keep, color);
            out.write_all(text.as_bytes())?;
        }
        out.flush()
    };
    // A reader that stops early (`| head`) is not an error.
    match write() {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => return Err(e.into()),
        _ => {}
    }
    if !all_read {
        return Ok(EXIT_UNREADABLE);
    }
    Ok(if findings.iter().any(|f| f.is_failure()) {
        EXIT_FINDINGS
    } else {
        0
    })
}
