//! The commands behind the CLI, as library functions returning the process exit status.

use crate::capture::{IngestEvent, IngestOptions};
use crate::pipeline::{describe_event, keys_for, process_file, RecordSink};
use crate::record::Record;
use std::io::{self, BufWriter, Write};

/// Exit status: an input could not be read.
pub const EXIT_UNREADABLE: u8 = 2;

/// Options shared by the commands.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Input files (`-` = stdin).
    pub files: Vec<String>,
    /// Ingest options.
    pub ingest: IngestOptions,
    /// Key files given with `--keys`.
    pub keys: Vec<String>,
    /// Load key tables found beside the captures.
    pub auto_keys: bool,
    /// Quiet stderr.
    pub quiet: bool,
    /// Only tunnels (analyze) or packets (decode) with an outer address in one of these networks;
    /// empty = all.
    pub peers: Vec<ipnet::IpNet>,
    /// analyze: report only tunnels with an error or warning finding.
    pub failing_only: bool,
}

impl RunOptions {
    /// True when `addr` passes `--peer` (always, without `--peer`).
    pub fn peer_selected(&self, addr: std::net::IpAddr) -> bool {
        self.peers.is_empty() || self.peers.iter().any(|n| n.contains(&addr))
    }
}

/// `198.51.100.1` or `198.51.100.0/24` (for `--peer`).
pub fn parse_net(s: &str) -> Result<ipnet::IpNet, String> {
    s.parse::<ipnet::IpNet>()
        .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| format!("{s:?} is neither an IP address nor a network (a.b.c.d/len)"))
}

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
            eprintln!("{}", describe_event(&self.files[file_index], event));
        }
    }
}

/// `ikescope decode`: exit 0, or 2 when an input could not be read.
pub fn decode(opts: &RunOptions, json: bool) -> anyhow::Result<u8> {
    let stdout = io::stdout();
    let mut printer = DecodePrinter {
        out: BufWriter::with_capacity(1 << 16, stdout.lock()),
        files: &opts.files,
        json,
        quiet: opts.quiet,
        opts,
        error: None,
    };
    let explicit = match crate::pipeline::load_key_files(&opts.keys) {
        Ok(k) => k,
        Err(e) => {
            eprintln!("ikescope: {e}");
            return Ok(EXIT_UNREADABLE);
        }
    };
    let mut status = 0;
    let progress = crate::pipeline::Progress::new(opts);
    for (i, path) in opts.files.iter().enumerate() {
        let keys = keys_for(path, &explicit, opts.auto_keys, opts.quiet);
        if let Err(e) = process_file(path, i, &opts.ingest, keys, progress.bar(), &mut printer) {
            eprintln!("ikescope: {path}: {e}");
            status = EXIT_UNREADABLE;
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

/// `ikescope analyze`: exit 0 (no error/warning finding), 1 (at least one), 2 (unreadable input).
pub fn analyze(opts: &RunOptions, json: bool) -> anyhow::Result<u8> {
    crate::analyze::run(opts, json)
}
