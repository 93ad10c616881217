//! What the command line asks of a command.

use crate::capture::IngestOptions;

/// Output format of a command. `Text`: `decode` prints one line per packet, `analyze` the
/// terminal report. `Json`: `decode` prints JSON Lines (one object per packet), `analyze` one
/// JSON document (docs/json.md). (The variants carry no doc comments: clap would print them in
/// `--help`.)
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    #[default]
    Text,
    Json,
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
}

impl RunOptions {
    /// True when `addr` passes `--peer` (always, without `--peer`).
    pub fn peer_selected(&self, addr: std::net::IpAddr) -> bool {
        self.peers.is_empty() || self.peers.iter().any(|n| n.contains(&addr))
    }
}
