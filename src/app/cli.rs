//! The `ikescope` command line: arguments → [`RunOptions`] → the `decode` or `analyze` command.

use crate::app::{analyze, decode, Format, Outcome, RunOptions};
use crate::capture::{expand_inputs, parse_time_bound, IngestOptions, TimeWindow};
use crate::record::Timestamp;
use clap::{Parser, Subcommand};

/// Version line: the crate version and the git commit it was built from (set by build.rs).
const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (", env!("IKESCOPE_GIT_COMMIT"), ")");

/// Analyzer for IKE/IPsec packet captures: what happened on the wire and why the tunnel is down.
#[derive(Parser, Debug)]
#[command(name = "ikescope", version = VERSION, about, long_about = None)]
#[command(after_help = concat!(
    "Examples:\n",
    "  ikescope analyze gateway.pcap              why each tunnel in the capture is up or down\n",
    "  ikescope analyze --failing --peer 198.51.100.7 big.pcapng.gz\n",
    "  ikescope analyze --format html -o report.html gateway.pcap\n",
    "  ikescope decode --format json gateway.pcap | jq .\n\n",
    "Guide: docs/guide.md (reading the report), docs/findings.md (every finding), docs/json.md (JSON)."
))]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args, Debug)]
struct CommonArgs {
    /// Capture files (pcap, pcapng, optionally gzip-compressed); `-` reads stdin. A directory is
    /// searched recursively for captures (recognised by content, not by name).
    #[arg(required_unless_present = "files_from", value_name = "FILE")]
    files: Vec<String>,
    /// Also read the captures (or directories) listed in FILE, one path per line; `-` reads
    /// the list from stdin.
    #[arg(long = "files-from", value_name = "FILE")]
    files_from: Option<String>,
    /// Only frames captured at or after this time: RFC 3339 (2026-11-22T15:00:00Z) or seconds
    /// since the epoch.
    #[arg(long, value_name = "TIME", value_parser = parse_time_bound)]
    since: Option<Timestamp>,
    /// Only frames captured before this time (same forms as --since).
    #[arg(long, value_name = "TIME", value_parser = parse_time_bound)]
    until: Option<Timestamp>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Also expect IKE on this UDP port (repeatable).
    #[arg(long = "ike-port", value_name = "N")]
    ike_ports: Vec<u16>,
    /// Keys to open encrypted IKE and ESP (repeatable): a Wireshark key table
    /// (ikev2_decryption_table, ikev1_decryption_table, esp_sa) or a strongSwan charon log
    /// written with `ike` log level 4 (it logs the derived keys; such a log is a secret). A
    /// refusing end's log also names its configuration. Tables named CAPTURE.ikev2_decryption_table,
    /// CAPTURE.ikev1_decryption_table, CAPTURE.esp_sa, or ikev2_decryption_table,
    /// ikev1_decryption_table, esp_sa beside a capture are loaded without this option.
    #[arg(long = "keys", value_name = "FILE")]
    keys: Vec<String>,
    /// Do not load the key tables found beside the capture files (see --keys).
    #[arg(long)]
    no_auto_keys: bool,
    /// No progress bar or warnings on stderr.
    #[arg(long, short)]
    quiet: bool,
    /// Only tunnels with an outer address in this address or network, e.g. 198.51.100.7 or
    /// 198.51.100.0/24 (repeatable); every tunnel is still diagnosed first.
    #[arg(long = "peer", value_name = "ADDR[/LEN]", value_parser = parse_net)]
    peers: Vec<ipnet::IpNet>,
}

#[derive(clap::Args, Debug)]
struct AnalyzeArgs {
    #[command(flatten)]
    common: CommonArgs,
    /// Report only tunnels with an error or warning finding; the others are counted.
    #[arg(long)]
    failing: bool,
    /// Write the report to FILE instead of stdout; with --format parquet, the directory the
    /// tables are written to (created when missing).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<String>,
    /// Analyse each input on its own (a tunnel seen in two captures is two tunnels), all cores
    /// busy; with --format jsonl or parquet.
    #[arg(long)]
    separate: bool,
    /// The tunnels' link capacity, e.g. 100M (bits per second): drawn on the HTML throughput
    /// charts; a tunnel at 80 % of it or more gets a bandwidth_saturation warning.
    #[arg(long, value_name = "RATE", value_parser = parse_rate)]
    bandwidth: Option<u64>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Print every IKE, ESP, NAT-keepalive and ICMP-error packet (JSON Lines with --format json).
    #[command(
        mut_arg("peers", |a| a.help(
            "Only packets to or from this address or network, e.g. 198.51.100.7 or 198.51.100.0/24 (repeatable)"
        )),
        after_help = concat!(
            "Examples:\n",
            "  ikescope decode gateway.pcap                one line per IKE/ESP packet\n",
            "  ikescope decode --format json gateway.pcap  JSON Lines, one object per packet\n",
            "  tcpdump -w - -i eth0 udp port 500 or udp port 4500 or esp | ikescope decode -\n\n",
            "Exit status: 0 every input was read, 2 an input could not be read.\n",
            "Guide: docs/guide.md (reading the report), docs/findings.md (every finding), docs/json.md (JSON)."
        )
    )]
    Decode(CommonArgs),
    /// Reconstruct exchanges, SAs and tunnels and report failures with evidence.
    #[command(after_help = concat!(
        "Examples:\n",
        "  ikescope analyze gateway.pcap                  verdict per tunnel, evidence, fix\n",
        "  ikescope analyze --keys charon.log gateway.pcap   open encrypted IKE and ESP\n",
        "  ikescope analyze --failing --peer 198.51.100.0/24 captures/\n",
        "  ikescope analyze --format json gateway.pcap > report.json\n",
        "  ikescope analyze --format html -o report.html gateway.pcap\n\n",
        "Exit status: 0 no error or warning finding, 1 at least one, 2 an input could not be read.\n",
        "Guide: docs/guide.md (reading the report), docs/findings.md (every finding), docs/json.md (JSON)."
    ))]
    Analyze(AnalyzeArgs),
    /// Print a shell completion script for ikescope (bash, zsh, fish, elvish, powershell).
    #[command(after_help = "Example: ikescope completions bash > /etc/bash_completion.d/ikescope")]
    Completions {
        /// The shell to complete in.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) generated from these options.
    #[command(after_help = "Example: ikescope man > ikescope.1 && man ./ikescope.1")]
    Man,
}

/// Parse the process arguments (clap exits on `--help` and usage errors) and run the command.
pub fn run_from_args() -> anyhow::Result<Outcome> {
    match Cli::parse().command {
        Command::Decode(a) if a.format == Format::Html => {
            anyhow::bail!("--format html is for analyze; decode prints text or json")
        }
        Command::Decode(a) => decode::run(&options(&a), a.format),
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cmd, "ikescope", &mut std::io::stdout());
            Ok(Outcome::Clean)
        }
        Command::Man => {
            let cmd = <Cli as clap::CommandFactory>::command();
            clap_mangen::Man::new(cmd).render(&mut std::io::stdout())?;
            Ok(Outcome::Clean)
        }
        Command::Analyze(a) => {
            let mut opts = options(&a.common);
            opts.failing_only = a.failing;
            opts.output = a.output.clone();
            opts.bandwidth_bps = a.bandwidth;
            opts.separate = a.separate;
            analyze::run(&opts, a.common.format)
        }
    }
}

fn options(a: &CommonArgs) -> RunOptions {
    let inputs = expand_inputs(&a.files, a.files_from.as_deref());
    // A core to spare (fewer inputs than cores): one reads the file while another parses and
    // reconstructs.
    let read_ahead = inputs.files.len() < rayon::current_num_threads();
    RunOptions {
        files: inputs.files,
        input_problems: inputs.problems,
        directories: inputs.directories,
        ingest: IngestOptions {
            ike_ports: a.ike_ports.clone(),
            window: TimeWindow {
                since: a.since,
                until: a.until,
            },
            read_ahead,
        },
        keys: a.keys.clone(),
        auto_keys: !a.no_auto_keys,
        quiet: a.quiet,
        peers: a.peers.clone(),
        failing_only: false,
        output: None,
        bandwidth_bps: None,
        separate: false,
    }
}

/// `198.51.100.1` or `198.51.100.0/24` (for `--peer`).
pub fn parse_net(s: &str) -> Result<ipnet::IpNet, String> {
    s.parse::<ipnet::IpNet>()
        .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| format!("{s:?} is neither an IP address nor a network (a.b.c.d/len)"))
}

/// `100M`, `1.5G`, `64k` or a plain number: bits per second (SI multipliers; for `--bandwidth`).
pub fn parse_rate(s: &str) -> Result<u64, String> {
    let t = s.trim().trim_end_matches("bps").trim_end_matches("bit/s");
    let (num, mult) = match t.char_indices().last() {
        Some((i, 'k' | 'K')) => (&t[..i], 1e3),
        Some((i, 'm' | 'M')) => (&t[..i], 1e6),
        Some((i, 'g' | 'G')) => (&t[..i], 1e9),
        Some((i, 't' | 'T')) => (&t[..i], 1e12),
        _ => (t, 1.0),
    };
    match num.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v * mult < 1e15 => Ok((v * mult).round() as u64),
        _ => Err(format!(
            "{s:?} is not a rate in bits per second (e.g. 100M, 1.5G, 64k)"
        )),
    }
}
