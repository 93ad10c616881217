//! `ikescope analyze`: ingest → decode → collect → reconstruct → diagnose → report, and which
//! tunnels `--peer` / `--failing` let through.

use crate::app::keyfiles::{keys_for, load_key_files, KeyFiles};
use crate::app::pipeline::{process_file, process_opened, Progress};
use crate::app::{Format, Outcome, RunOptions};
use crate::diagnose::{diagnose_with, DiagnoseOptions, Finding};
use crate::reconstruct::aggregate::GROUP_PREFIX;
use crate::reconstruct::{Collected, Model, NotAnalysed};
use rayon::prelude::*;
use std::io::{IsTerminal, Write};

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
pub fn build_model_with(opts: &RunOptions, explicit: &KeyFiles) -> (Model, bool) {
    let (all, all_read) = read_inputs(opts, explicit);
    (Model::build(all), all_read)
}

/// Read and collect the inputs, each on its own core (rayon), merged in input order; and whether
/// every input could be read.
fn read_inputs(opts: &RunOptions, explicit: &KeyFiles) -> (Collected, bool) {
    let progress = Progress::for_inputs(opts.quiet, &opts.files, false);
    let duplicate_of = super::same_capture::duplicates(&opts.files);
    let parts: Vec<(Collected, bool)> = opts
        .files
        .par_iter()
        .enumerate()
        .map(|(i, path)| {
            let mut data = Collected::new(opts.files.clone());
            if let Some(of) = duplicate_of[i] {
                if !opts.quiet {
                    eprintln!(
                        "ikescope: {path}: the same capture as {}: not read twice",
                        opts.files[of]
                    );
                }
                data.not_analysed.push((i, NotAnalysed::Duplicate { of }));
                return (data, true);
            }
            let input = keys_for(path, &explicit.keys, opts.auto_keys, opts.quiet);
            // Refusals from a log found beside this capture (those of --keys are added once below).
            data.hints = input.hints;
            let bar = progress.bar();
            let fresh = || {
                let mut fresh = Collected::new(opts.files.clone());
                fresh.hints = data.hints.clone();
                fresh
            };
            let in_parts = if opts.ingest.read_ahead {
                let threads = rayon::current_num_threads();
                let keys = input.keys.clone();
                crate::app::parts::read_in_parts(path, threads, i, &opts.ingest, keys, fresh)
            } else {
                None
            };
            let read = if let Some((collected, read)) = in_parts {
                data = collected;
                read
            } else if opts.ingest.read_ahead {
                // a core would idle: collect on a thread of its own, and read on the parsing
                // thread (a third thread for reading made it slower: its chunks are copied
                // once more and move between cores; docs/performance.md); the collecting thread
                // reads chunks ahead of the parsing thread only when it has nothing to collect
                let ingest = crate::capture::IngestOptions {
                    read_ahead: false,
                    ..opts.ingest.clone()
                };
                let (opened, helper) = match shared_reading()
                    .then(|| crate::capture::open_shared(path))
                    .flatten()
                {
                    Some((opened, helper)) => (Ok(opened), Some(helper)),
                    None => (crate::capture::open_input(path), None),
                };
                crate::decode::handoff::collect_on_own_thread(
                    &mut data,
                    || helper.as_ref().is_some_and(|h| h.help()),
                    |sink| {
                        opened.and_then(|opened| {
                            process_opened(opened, path, i, &ingest, input.keys, bar, sink)
                        })
                    },
                )
            } else {
                process_file(path, i, &opts.ingest, input.keys, bar, &mut data)
            };
            match read {
                Ok(stats) => {
                    if stats.stopped_early {
                        data.not_analysed.push((
                            i,
                            NotAnalysed::CutShort {
                                after_frame: stats.packets,
                            },
                        ));
                    }
                    data.stats[i] = stats;
                    (data, true)
                }
                Err(e) => {
                    eprintln!("ikescope: {path}: {e}");
                    data.not_analysed
                        .push((i, NotAnalysed::Unreadable(e.to_string())));
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
    (all, all_read)
}

/// Run `analyze`: [`Outcome::Findings`] when a reported tunnel has an error or warning finding,
/// [`Outcome::Unreadable`] when an input could not be read (that wins).
pub fn run(opts: &RunOptions, format: Format) -> anyhow::Result<Outcome> {
    if format == Format::Parquet && opts.output.is_none() {
        anyhow::bail!("--format parquet needs --output DIR");
    }
    let listed = opts.report_listing();
    let explicit = match load_key_files(&opts.keys) {
        Ok(k) => k,
        Err(e) => {
            eprintln!("ikescope: {e}");
            return Ok(Outcome::Unreadable);
        }
    };
    if opts.separate {
        return crate::app::separate::run(opts, format, &explicit, listed);
    }
    let mut clock = crate::app::timings::StageClock::from_env();
    let (collected, all_read) = read_inputs(opts, &explicit);
    clock.mark("read");
    let model = Model::build(collected);
    clock.mark("model");
    let all_read = all_read && listed;
    report_problems(&model, opts.quiet);
    let (findings, shown) = diagnose_selected(&model, opts);
    clock.mark("diagnose");
    let keep = shown.as_deref();
    let write = || -> std::io::Result<()> {
        match &opts.output {
            Some(dir) if format == Format::Parquet => {
                crate::report::parquet::write_tables(&model, &findings, keep, std::path::Path::new(dir))
            }
            Some(path) => {
                let file = std::fs::File::create(path)
                    .map_err(|e| std::io::Error::new(e.kind(), format!("{path}: {e}")))?;
                write_report(&model, &findings, keep, opts, format, false, file)
            }
            None => {
                let color = format == Format::Text
                    && std::io::stdout().is_terminal()
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
                write_report(
                    &model,
                    &findings,
                    keep,
                    opts,
                    format,
                    color,
                    std::io::stdout().lock(),
                )
            }
        }
    };
    // A reader that stops early (`| head`) is not an error.
    match write() {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => return Err(e.into()),
        _ => {}
    }
    clock.mark("report");
    let outcome = if !all_read {
        Outcome::Unreadable
    } else if findings.iter().any(|f| f.is_failure()) {
        Outcome::Findings
    } else {
        Outcome::Clean
    };
    // Freeing a large model takes a while (≈ 20 ms for 5,000 tunnels) and nothing waits for
    // it: it is left to a thread the process exit does not wait for.
    std::thread::spawn(move || drop((model, findings)));
    Ok(outcome)
}

/// Print the malformed-packet reports of a model on stderr (unless quiet).
pub(crate) fn report_problems(model: &Model, quiet: bool) {
    if quiet {
        return;
    }
    for p in &model.data.problems {
        let file = model
            .data
            .files
            .get(p.file_index)
            .map(String::as_str)
            .unwrap_or("");
        eprintln!(
            "ikescope: {file}: frame {}: offset {}: malformed: {}",
            p.frame, p.offset, p.what
        );
    }
}

/// Diagnose the model, then apply `--peer` / `--failing`: the findings of the reported tunnels
/// and which tunnels are reported (`None`: all). Cross-tunnel findings such as `ts_overlap` are
/// made on all tunnels first.
pub(crate) fn diagnose_selected(model: &Model, opts: &RunOptions) -> (Vec<Finding>, Option<Vec<bool>>) {
    let mut findings = diagnose_with(
        model,
        &DiagnoseOptions {
            bandwidth_bps: opts.bandwidth_bps,
        },
    );
    let shown = selected_tunnels(model, &findings, opts);
    if let Some(keep) = &shown {
        let ids: std::collections::HashSet<&str> = model
            .tunnels
            .iter()
            .zip(keep)
            .filter(|(_, k)| **k)
            .map(|(t, _)| t.id.as_str())
            .collect();
        // Findings about a responder as a whole (groups of one-message initiators, spraying):
        // kept when the responder is selected and, with --failing, one of them is a failure.
        let failing_groups: std::collections::HashSet<String> = findings
            .iter()
            .filter(|f| f.is_failure() && f.tunnel.starts_with(GROUP_PREFIX))
            .map(|f| f.tunnel.clone())
            .collect();
        let group_kept = |f: &Finding| {
            let Some(responder) = f.tunnel.strip_prefix(GROUP_PREFIX) else {
                return false;
            };
            let peer_ok = opts.peers.is_empty()
                || responder
                    .parse()
                    .is_ok_and(|a: std::net::IpAddr| opts.peer_selected(a));
            peer_ok && (!opts.failing_only || failing_groups.contains(&f.tunnel))
        };
        findings.retain(|f| ids.contains(f.tunnel.as_str()) || group_kept(f));
    }
    (findings, shown)
}

/// Write the report in `format` to `out`.
fn write_report<W: Write>(
    model: &Model,
    findings: &[Finding],
    keep: Option<&[bool]>,
    opts: &RunOptions,
    format: Format,
    color: bool,
    out: W,
) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::with_capacity(1 << 16, out);
    match format {
        Format::Json => crate::report::analyze_json::write_selected(model, findings, keep, &mut out)?,
        Format::Jsonl => crate::report::jsonl::write_records(model, findings, keep, &mut out)?,
        Format::Html => {
            let html = crate::report::html::HtmlOptions {
                bandwidth_bps: opts.bandwidth_bps,
            };
            crate::report::html::write(model, findings, keep, &html, &mut out)?
        }
        Format::Text => {
            let text = crate::report::analyze_text::render_selected(model, findings, keep, color);
            out.write_all(text.as_bytes())?
        }
        // Tables go into the output directory (`run`), never to a stream.
        Format::Parquet => return Err(std::io::Error::other("--format parquet needs --output DIR")),
    }
    out.flush()
}

/// Which tunnels `--peer` and `--failing` let through (`None`: all of them, no filter given).
fn selected_tunnels(model: &Model, findings: &[Finding], opts: &RunOptions) -> Option<Vec<bool>> {
    if opts.peers.is_empty() && !opts.failing_only {
        return None;
    }
    let failing: std::collections::HashSet<&str> = findings
        .iter()
        .filter(|f| f.is_failure())
        .map(|f| f.tunnel.as_str())
        .collect();
    Some(
        model
            .tunnels
            .iter()
            .map(|t| {
                (!opts.failing_only || failing.contains(t.id.as_str()))
                    && (opts.peers.is_empty() || t.peers.iter().any(|&p| opts.peer_selected(p)))
            })
            .collect(),
    )
}

/// Environment variable that turns off the collecting thread's reading ahead when set to `0`
/// (to compare with and without it; [`crate::capture::shared_read`]).
pub const SHARED_READ_VAR: &str = "IKESCOPE_SHARED_READ";

/// Whether the collecting thread reads ahead of the parsing thread (unless [`SHARED_READ_VAR`]
/// is `0`).
fn shared_reading() -> bool {
    std::env::var(SHARED_READ_VAR).map_or(true, |v| v.trim() != "0")
}
