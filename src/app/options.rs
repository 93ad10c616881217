//! What the command line asks of a command.

use crate::capture::inputs::{DirectoryListing, InputProblem};
use crate::capture::IngestOptions;

/// Output format of a command. `Text`: `decode` prints one line per packet, `analyze` the
/// terminal report. `Json`: `decode` prints JSON Lines (one object per packet), `analyze` one
/// JSON document (docs/json.md). `Jsonl`: `analyze` prints one flat record per tunnel and per
/// finding (docs/json.md); for `decode` the same as `Json`. `Html`: `analyze` only, one
/// self-contained page. `Parquet`: `analyze` only, four tables written into the `--output`
/// directory (docs/fleet.md). (The variants carry no doc comments: clap would print them in
/// `--help`.)
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    #[default]
    Text,
    Json,
    Jsonl,
    Html,
    Parquet,
}

/// Options shared by the commands.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Capture files in command-line order (`-` = stdin); a record's `file_index` points here.
    pub files: Vec<String>,
    /// Extra IKE ports (`--ike-port`).
    pub ingest: IngestOptions,
    /// Key tables or charon logs given with `--keys`, loaded for every input.
    pub keys: Vec<String>,
    /// Load the Wireshark key tables found beside each capture (off with `--no-auto-keys`).
    pub auto_keys: bool,
    /// No progress bar and no warnings on stderr (`--quiet`).
    pub quiet: bool,
    /// Only tunnels (analyze) or packets (decode) with an outer address in one of these networks;
    /// empty = all.
    pub peers: Vec<ipnet::IpNet>,
    /// analyze: report only tunnels with an error or warning finding.
    pub failing_only: bool,
    /// Inputs (directories, `--files-from` lists, files inside directories) that could not be
    /// listed: reported, skipped, and the command exits 2.
    pub input_problems: Vec<InputProblem>,
    /// What each directory given as input held (a note on stderr when files were skipped).
    pub directories: Vec<DirectoryListing>,
    /// analyze: write the report to this file instead of stdout (`-o`); with `--format parquet`
    /// the directory the tables are written to.
    pub output: Option<String>,
    /// analyze `--separate`: each input analysed on its own.
    pub separate: bool,
    /// analyze: the tunnels' link capacity in bits per second (`--bandwidth`).
    pub bandwidth_bps: Option<u64>,
}

impl RunOptions {
    /// True when `addr` passes `--peer` (always, without `--peer`).
    pub fn peer_selected(&self, addr: std::net::IpAddr) -> bool {
        self.peers.is_empty() || self.peers.iter().any(|n| n.contains(&addr))
    }

    /// Report on stderr the inputs that could not be listed (always) and the directories whose
    /// listing is worth a note (unless quiet). True when every input could be listed.
    pub fn report_listing(&self) -> bool {
        for p in &self.input_problems {
            eprintln!("ikescope: {p}");
        }
        if !self.quiet {
            for d in self.directories.iter().filter(|d| d.noteworthy()) {
                eprintln!("ikescope: {d}");
            }
        }
        self.input_problems.is_empty()
    }
}
