//! `analyze --separate`: every input analysed on its own, as if each were the only one given
//! (one model per capture: a tunnel seen in two captures is two tunnels), on all cores, the
//! records written in input order. For fleets of unrelated captures (one per gateway and hour):
//! the work of one input never waits for another, and memory holds the models of the inputs
//! being analysed (one per worker) plus a bounded number of finished results waiting for their
//! turn, whatever the number of inputs.

use crate::app::analyze::{build_model_with, diagnose_selected, report_problems};
use crate::app::keyfiles::KeyFiles;
use crate::app::{Format, Outcome, RunOptions};
use crate::report::rows::{emit_rows, RowBuffer, RowSink};
use std::collections::BTreeMap;
use std::io;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Condvar, Mutex};

/// What the analysis of one input gives.
struct UnitResult {
    rows: RowBuffer,
    read: bool,
    failing: bool,
}

/// Analyse input `i` alone.
fn analyze_unit(opts: &RunOptions, explicit: &KeyFiles, i: usize, details: bool) -> UnitResult {
    // Only what one input's analysis reads (not the other inputs' names).
    let unit = RunOptions {
        files: vec![opts.files[i].clone()],
        ingest: opts.ingest.clone(),
        auto_keys: opts.auto_keys,
        quiet: opts.quiet,
        peers: opts.peers.clone(),
        failing_only: opts.failing_only,
        bandwidth_bps: opts.bandwidth_bps,
        ..RunOptions::default()
    };
    let (model, read) = build_model_with(&unit, explicit);
    report_problems(&model, opts.quiet);
    let (findings, keep) = diagnose_selected(&model, &unit);
    let mut rows = RowBuffer {
        details,
        rows: Vec::new(),
    };
    // Collecting into memory cannot fail.
    let _ = emit_rows(&model, &findings, keep.as_deref(), &mut rows);
    UnitResult {
        rows,
        read,
        failing: findings.iter().any(|f| f.is_failure()),
    }
}

/// Workers take inputs in order but never more than this many ahead of the writer.
fn window(workers: usize) -> usize {
    workers * 2
}

/// Run `analyze --separate` (`--format jsonl` or `parquet`); `listed`: every input could be
/// listed.
pub fn run(opts: &RunOptions, format: Format, explicit: &KeyFiles, listed: bool) -> anyhow::Result<Outcome> {
    let mut sink: Box<dyn RowSink> = match (format, &opts.output) {
        (Format::Jsonl, None) => Box::new(crate::report::jsonl::JsonlWriter::new(
            io::BufWriter::with_capacity(1 << 16, io::stdout()),
        )),
        (Format::Jsonl, Some(path)) => {
            let file =
                std::fs::File::create(path).map_err(|e| io::Error::new(e.kind(), format!("{path}: {e}")))?;
            Box::new(crate::report::jsonl::JsonlWriter::new(
                io::BufWriter::with_capacity(1 << 16, file),
            ))
        }
        (Format::Parquet, Some(dir)) => {
            Box::new(crate::report::parquet::Tables::create(std::path::Path::new(dir))?)
        }
        _ => anyhow::bail!("--separate writes --format jsonl or --format parquet"),
    };
    let details = format == Format::Parquet;
    let n = opts.files.len();
    let workers = rayon::current_num_threads().clamp(1, n.max(1));
    let next = AtomicUsize::new(0);
    let abort = AtomicBool::new(false);
    // How many results were written; workers wait on it to stay within the window.
    let written = (Mutex::new(0usize), Condvar::new());
    let (tx, rx) = mpsc::sync_channel::<(usize, UnitResult)>(workers);
    let mut all_read = listed;
    let mut failing = false;
    let mut error: Option<io::Error> = None;
    std::thread::scope(|s| {
        for _ in 0..workers {
            let tx = tx.clone();
            let (next, abort, written) = (&next, &abort, &written);
            s.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= n || abort.load(Ordering::SeqCst) {
                    break;
                }
                {
                    let mut w = written.0.lock().unwrap_or_else(|e| e.into_inner());
                    while i >= *w + window(workers) && !abort.load(Ordering::SeqCst) {
                        w = written.1.wait(w).unwrap_or_else(|e| e.into_inner());
                    }
                }
                if abort.load(Ordering::SeqCst) {
                    break;
                }
                let result = analyze_unit(opts, explicit, i, details);
                if tx.send((i, result)).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        let mut pending: BTreeMap<usize, UnitResult> = BTreeMap::new();
        let mut done = 0usize;
        for (i, result) in rx.iter() {
            pending.insert(i, result);
            while let Some(r) = pending.remove(&done) {
                all_read &= r.read;
                failing |= r.failing;
                if error.is_none() {
                    if let Err(e) = r.rows.replay(sink.as_mut()) {
                        error = Some(e);
                        abort.store(true, Ordering::SeqCst);
                    }
                }
                done += 1;
                *written.0.lock().unwrap_or_else(|e| e.into_inner()) = done;
                written.1.notify_all();
            }
        }
    });
    let result = match error {
        Some(e) => Err(e),
        None => sink.finish(),
    };
    // A reader that stops early (`| head`) is not an error.
    match result {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => return Err(e.into()),
        _ => {}
    }
    Ok(if !all_read {
        Outcome::Unreadable
    } else if failing {
        Outcome::Findings
    } else {
        Outcome::Clean
    })
}
