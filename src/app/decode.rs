//! `ikescope decode`: every IKE, ESP, NAT-keepalive and ICMP-error packet, as text lines or
//! JSON Lines, in capture order.

use crate::app::keyfiles::{keys_for, load_key_files};
use crate::app::pipeline::{describe_event, process_file, Progress};
use crate::app::{Format, Outcome, RunOptions};
use crate::capture::IngestEvent;
use crate::decode::RecordSink;
use crate::record::Record;
use std::io::{self, BufWriter, IsTerminal, Write};

struct DecodePrinter<'a, W: Write> {
    out: W,
    files: &'a [String],
    json: bool,
    quiet: bool,
    opts: &'a RunOptions,
    error: Option<io::Error>,
}

#[derive(serde::Serialize)]
struct JsonLine<'a> {
    file: &'a str,
    #[serde(flatten)]
    record: &'a Record,
}

impl<W: Write> RecordSink for DecodePrinter<'_, W> {
    fn record(&mut self, record: Record) {
        if self.error.is_some() {
            return;
        }
        if !self.opts.peer_selected(record.src) && !self.opts.peer_selected(record.dst) {
            return;
        }
        let file = &self.files[record.file_index];
        let res = if self.json {
            serde_json::to_writer(
                &mut self.out,
                &JsonLine {
                    file,
                    record: &record,
                },
            )
            .map_err(io::Error::from)
            .and_then(|_| self.out.write_all(b"\n"))
        } else {
            writeln!(self.out, "{}", crate::report::decode_text::line(file, &record))
        };
        if let Err(e) = res {
            self.error = Some(e);
        }
    }

    fn event(&mut self, file_index: usize, event: &IngestEvent) {
        if !self.quiet {
            eprintln!("ikescope: {}", describe_event(&self.files[file_index], event));
        }
    }
}

/// Run `decode`: [`Outcome::Clean`], or [`Outcome::Unreadable`] when an input could not be
/// read. A reader that stops early (`| head`) is not an error.
pub fn run(opts: &RunOptions, format: Format) -> anyhow::Result<Outcome> {
    if format == Format::Parquet {
        anyhow::bail!("decode writes text or JSON Lines; --format parquet is for analyze");
    }
    let listed = opts.report_listing();
    let stdout = io::stdout();
    let mut printer = DecodePrinter {
        out: BufWriter::with_capacity(1 << 16, stdout.lock()),
        files: &opts.files,
        json: matches!(format, Format::Json | Format::Jsonl),
        quiet: opts.quiet,
        opts,
        error: None,
    };
    let explicit = match load_key_files(&opts.keys) {
        Ok(k) => k,
        Err(e) => {
            eprintln!("ikescope: {e}");
            return Ok(Outcome::Unreadable);
        }
    };
    let mut status = if listed {
        Outcome::Clean
    } else {
        Outcome::Unreadable
    };
    let progress = Progress::for_inputs(opts.quiet, &opts.files, io::stdout().is_terminal());
    for (i, path) in opts.files.iter().enumerate() {
        let keys = keys_for(path, &explicit.keys, opts.auto_keys, opts.quiet).keys;
        if let Err(e) = process_file(path, i, &opts.ingest, keys, progress.bar(), &mut printer) {
            eprintln!("ikescope: {path}: {e}");
            status = Outcome::Unreadable;
        }
        if let Some(e) = printer.error.take() {
            if e.kind() == io::ErrorKind::BrokenPipe {
                return Ok(status);
            }
            return Err(e.into());
        }
    }
    progress.finish();
    if let Err(e) = printer.out.flush() {
        if e.kind() != io::ErrorKind::BrokenPipe {
            return Err(e.into());
        }
    }
    Ok(status)
}
