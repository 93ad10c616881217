//! `ikescope` command line: `decode` and `analyze`.

use clap::{Parser, Subcommand, ValueEnum};
use std::process::ExitCode;

/// Analyzer for IKE/IPsec packet captures: what happened on the wire and why the tunnel is down.
#[derive(Parser, Debug)]
#[command(name = "ikescope", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

#[derive(clap::Args, Debug)]
struct CommonArgs {
    /// Capture files (pcap, pcapng, optionally gzip-compressed); `-` reads stdin.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Also expect IKE on this UDP port (repeatable).
    #[arg(long = "ike-port", value_name = "N")]
    ike_ports: Vec<u16>,
    /// Key table or charon log with IKE/ESP keys (repeatable).
    #[arg(long = "keys", value_name = "FILE")]
    keys: Vec<String>,
    /// Do not load Wireshark key tables found beside the capture files.
    #[arg(long)]
    no_auto_keys: bool,
    /// No progress bar or warnings on stderr.
    #[arg(long, short)]
    quiet: bool,
    /// Only tunnels (analyze) or packets (decode) to or from this address or network, e.g.
    /// 198.51.100.7 or 198.51.100.0/24 (repeatable).
    #[arg(long = "peer", value_name = "ADDR[/LEN]", value_parser = ikescope::cli::parse_net)]
    peers: Vec<ipnet::IpNet>,
}

#[derive(clap::Args, Debug)]
struct AnalyzeArgs {
    #[command(flatten)]
    common: CommonArgs,
    /// Report only tunnels with an error or warning finding; the others are counted.
    #[arg(long)]
    failing: bool,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Print every IKE, ESP, NAT-keepalive and ICMP-error packet (JSON Lines with --format json).
    Decode(CommonArgs),
    /// Reconstruct exchanges, SAs and tunnels and report failures with evidence.
    /// Exit status: 0 no error/warning finding, 1 at least one, 2 an input could not be read.
    Analyze(AnalyzeArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Decode(a) => ikescope::cli::decode(&options(&a), a.format == Format::Json),
        Command::Analyze(a) => {
            let mut opts = options(&a.common);
            opts.failing_only = a.failing;
            ikescope::cli::analyze(&opts, a.common.format == Format::Json)
        }
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("ikescope: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn options(a: &CommonArgs) -> ikescope::cli::RunOptions {
    ikescope::cli::RunOptions {
        files: a.files.clone(),
        ingest: ikescope::capture::IngestOptions {
            ike_ports: a.ike_ports.clone(),
        },
        keys: a.keys.clone(),
        auto_keys: !a.no_auto_keys,
        quiet: a.quiet,
        peers: a.peers.clone(),
        failing_only: false,
    }
}
