//! Deterministic IKE_SA_INIT flood synthesizer (issue 16).
//!
//! ```sh
//! cargo run --release --example flood -- --initiators 300000 --rate 10000 -o /tmp/flood.pcap
//! cargo run --release --example flood -- --initiators 2000000 --family v6 -o /tmp/flood1g.pcap
//! ```
//!
//! Writes an Ethernet pcap (microsecond timestamps, frames in time order) of one gateway under
//! an IKE_SA_INIT flood:
//!
//! - **Flood**: `--initiators` IKE SA attempts, each one real strongSwan IKE_SA_INIT request (the
//!   first frame of `captures/ikev2_ok.pcap`, or of `ikev2_ok_ipv6.pcap` with `--family v6`)
//!   with its own initiator SPI, sent at `--rate` per second to the template's responder. IPv4
//!   sources cycle through 203.0.113.0/24 and 198.51.100.0/24 (RFC 5737: only 508 hosts, so
//!   each sends many attempts); IPv6 sources are distinct per attempt,
//!   `2001:db8:<i / 65536 + 0x100>:<i % 65536>::1`.
//! - **Answers** (`--answer`): `none` (the gateway is silent or the capture one-way), `response`
//!   (the template's IKE_SA_INIT response, 2 ms later, with a fresh responder SPI) or `cookie`
//!   (an IKE_SA_INIT response carrying only a COOKIE notify, RFC 7296 section 2.6).
//! - **Real tunnels**: `--real` peers replay the whole `ikev2_ok` conversation (IKE_SA_INIT,
//!   IKE_AUTH, ESP, ...) with the same gateway during the flood, from 192.0.2.10 upwards
//!   (2001:db8:ffff::10 upwards for v6), so a report must keep their own blocks.
//!
//! Only documentation addresses (RFC 5737, 2001:db8::/32) are written. Everything depends only
//! on the arguments: the same arguments give the same bytes.

use clap::{Parser, ValueEnum};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

mod gen;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum FamilyArg {
    V4,
    V6,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum AnswerArg {
    None,
    Response,
    Cookie,
}

#[derive(Parser, Debug)]
#[command(about = "Synthesize an IKE_SA_INIT flood against one gateway (pcap, Ethernet)")]
struct Args {
    /// Number of IKE SA attempts (one IKE_SA_INIT request each).
    #[arg(long, default_value_t = 300_000)]
    initiators: u64,
    /// Attempts per second.
    #[arg(long, default_value_t = 10_000)]
    rate: u64,
    /// Address family (v4: 508 RFC 5737 sources; v6: one source per attempt).
    #[arg(long, value_enum, default_value_t = FamilyArg::V4)]
    family: FamilyArg,
    /// What the gateway answers each attempt with.
    #[arg(long, value_enum, default_value_t = AnswerArg::None)]
    answer: AnswerArg,
    /// Real tunnels (whole ikev2_ok conversations) with the same gateway during the flood.
    #[arg(long, default_value_t = 3)]
    real: u32,
    /// More conversations, TEMPLATE:COUNT (e.g. ikev2_psk_mismatch.pcap:20), repeatable.
    #[arg(long = "also", value_name = "TEMPLATE:COUNT")]
    also: Vec<String>,
    /// Directory of template captures (default: the project's captures/).
    #[arg(long)]
    captures: Option<PathBuf>,
    /// Output file.
    #[arg(short, long)]
    output: PathBuf,
}

fn main() {
    let a = Args::parse();
    let family = match a.family {
        FamilyArg::V4 => gen::Family::V4,
        FamilyArg::V6 => gen::Family::V6,
    };
    let ok = match family {
        gen::Family::V4 => "ikev2_ok.pcap",
        gen::Family::V6 => "ikev2_ok_ipv6.pcap",
    };
    let mut conversations = vec![(ok.to_string(), a.real)];
    for s in &a.also {
        let (name, n) = s
            .rsplit_once(':')
            .unwrap_or_else(|| panic!("--also {s}: TEMPLATE:COUNT"));
        conversations.push((
            name.to_string(),
            n.parse().unwrap_or_else(|_| panic!("--also {s}")),
        ));
    }
    let spec = gen::FloodSpec {
        initiators: a.initiators,
        rate: a.rate,
        family,
        answer: match a.answer {
            AnswerArg::None => gen::Answer::None,
            AnswerArg::Response => gen::Answer::Response,
            AnswerArg::Cookie => gen::Answer::Cookie,
        },
        conversations,
        captures: a
            .captures
            .clone()
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("captures")),
    };
    let file = File::create(&a.output).unwrap_or_else(|e| panic!("{}: {e}", a.output.display()));
    let mut w = BufWriter::with_capacity(1 << 20, file);
    let (frames, bytes) = gen::write_flood(&spec, &mut w);
    w.flush().expect("flush");
    eprintln!(
        "{}: {frames} frames, {bytes} bytes ({} attempts at {}/s)",
        a.output.display(),
        a.initiators,
        a.rate
    );
}
