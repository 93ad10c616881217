//! End-to-end benchmark of release builds on whole capture files (issue 5).
//!
//! ```sh
//! cargo build --release --bin ikescope --example synth --example bench_e2e
//! target/release/examples/synth --size 2GiB --tunnels 5000 --seed 1 -o /tmp/big2g.pcap
//! target/release/examples/synth --size 256MiB --tunnels 5000 --seed 1 -o /tmp/big256m.pcap
//! target/release/examples/bench_e2e --runs 5 --tshark-file /tmp/big256m.pcap /tmp/big2g.pcap
//! ```
//!
//! For each file, after one warming pass (the file must fit in the page cache), runs every
//! command `--runs` times in turn (round robin, so drift hits all commands alike) and reports
//! the median wall time (and median CPU time, user + system, less sensitive to other load), MB/s
//! (10^6 bytes, from the wall time), packets/s, the ratio to `dd` and the ratio of
//! tshark's time to ikescope's, and the peak RSS (max over the runs, from `/usr/bin/time -f %M`):
//!
//! - `dd if=FILE of=/dev/null bs=1M` — the floor: only reading the bytes;
//! - `ikescope analyze --format json FILE > /dev/null`;
//! - `ikescope analyze FILE > /dev/null` (text report);
//! - `ikescope decode --format json FILE > /dev/null` (prints every ESP packet: output-bound);
//! - `tshark -r FILE -Y isakmp -T fields -e frame.number -e isakmp.ispi -e isakmp.rspi
//!   -e isakmp.exchangetype > /dev/null`, on `--tshark-file` when given (tshark reads ~80 MB/s;
//!   compared as MB/s), `--tshark-runs` times.
//!
//! `--cpu N` pins every command to one CPU with `taskset -c N` (the targets are per core).
//! Output: a Markdown table on stdout; progress on stderr.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

struct Args {
    files: Vec<PathBuf>,
    runs: usize,
    tshark_runs: usize,
    tshark_file: Option<PathBuf>,
    ikescope: PathBuf,
    cpu: Option<u32>,
    skip: Vec<String>,
}

fn usage() -> ! {
    eprintln!(
        "usage: bench_e2e [--runs N] [--tshark-runs N] [--tshark-file FILE] [--ikescope PATH] \
         [--cpu N] [--skip dd,analyze_json,analyze_text,decode_json,tshark] FILE..."
    );
    std::process::exit(2)
}

fn parse_args() -> Args {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut a = Args {
        files: Vec::new(),
        runs: 5,
        tshark_runs: 3,
        tshark_file: None,
        ikescope: root.join("target/release/ikescope"),
        cpu: None,
        skip: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(x) = it.next() {
        let mut val = || it.next().unwrap_or_else(|| usage());
        match x.as_str() {
            "--runs" => a.runs = val().parse().unwrap_or_else(|_| usage()),
            "--tshark-runs" => a.tshark_runs = val().parse().unwrap_or_else(|_| usage()),
            "--tshark-file" => a.tshark_file = Some(val().into()),
            "--ikescope" => a.ikescope = val().into(),
            "--cpu" => a.cpu = Some(val().parse().unwrap_or_else(|_| usage())),
            "--skip" => a.skip = val().split(',').map(String::from).collect(),
            "-h" | "--help" => usage(),
            s if s.starts_with('-') => usage(),
            _ => a.files.push(x.into()),
        }
    }
    if a.files.is_empty() {
        usage()
    }
    a
}

/// Frames in a little- or big-endian pcap file, counted from the record headers.
fn count_frames(path: &Path) -> u64 {
    let mut r = BufReader::with_capacity(1 << 20, File::open(path).expect("open"));
    let mut hdr = [0u8; 24];
    r.read_exact(&mut hdr).expect("pcap header");
    let le = match u32::from_le_bytes(hdr[..4].try_into().unwrap()) {
        0xa1b2_c3d4 | 0xa1b2_3c4d => true,
        0xd4c3_b2a1 | 0x4d3c_b2a1 => false,
        _ => panic!("{}: not a pcap file", path.display()),
    };
    let mut n = 0;
    let mut rec = [0u8; 16];
    loop {
        match r.read_exact(&mut rec) {
            Ok(()) => {}
            Err(_) => return n,
        }
        let b: [u8; 4] = rec[8..12].try_into().unwrap();
        let len = if le {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        };
        n += 1;
        r.seek_relative(i64::from(len)).expect("seek");
    }
}

fn warm(path: &Path) {
    let mut f = File::open(path).expect("open");
    let mut buf = vec![0u8; 1 << 20];
    while f.read(&mut buf).expect("read") > 0 {}
    f.seek(SeekFrom::Start(0)).ok();
}

/// Run `argv` (stdout to /dev/null) under `/usr/bin/time`; returns (wall seconds, CPU seconds
/// (user + system), peak RSS KiB).
fn run(argv: &[String], cpu: Option<u32>) -> (f64, f64, u64) {
    let mut cmd = Command::new("/usr/bin/time");
    cmd.arg("-f").arg("RSS_KIB=%M CPU_S=%U+%S");
    if let Some(c) = cpu {
        cmd.arg("taskset").arg("-c").arg(c.to_string());
    }
    cmd.args(argv)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let t = Instant::now();
    let mut child = cmd
        .spawn()
        .expect("spawn /usr/bin/time (apt-get install -y time)");
    let stderr = child.stderr.take().unwrap();
    let mut rss = 0;
    let mut cpu_s = 0.0;
    for line in BufReader::new(stderr).lines().map_while(Result::ok) {
        if let Some(v) = line.strip_prefix("RSS_KIB=") {
            let mut it = v.split_whitespace();
            rss = it.next().and_then(|x| x.parse().ok()).unwrap_or(0);
            if let Some(c) = it.next().and_then(|x| x.strip_prefix("CPU_S=")) {
                cpu_s = c.split('+').filter_map(|x| x.parse::<f64>().ok()).sum();
            }
        }
    }
    let status = child.wait().expect("wait");
    let secs = t.elapsed().as_secs_f64();
    // analyze exits 1 when it has findings; anything above that is a failure.
    if !matches!(status.code(), Some(0 | 1)) {
        eprintln!("bench_e2e: {:?} exited with {status}", argv);
    }
    (secs, cpu_s, rss)
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

struct Row {
    name: &'static str,
    file: PathBuf,
    bytes: u64,
    frames: u64,
    times: Vec<f64>,
    cpu: Vec<f64>,
    rss: u64,
}

fn main() {
    let a = parse_args();
    let ike = a.ikescope.to_string_lossy().to_string();
    println!(
        "| file | size (MB) | frames | command | runs | median wall s | min–max wall s | median CPU s | MB/s | Mpps | × dd time | tshark time ÷ this (per MB) | peak RSS (MB) |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for file in &a.files {
        let f = file.to_string_lossy().to_string();
        let bytes = std::fs::metadata(file).expect("stat").len();
        let frames = count_frames(file);
        warm(file);
        let mut cmds: Vec<(&'static str, Vec<String>, usize, PathBuf)> = vec![
            (
                "dd",
                vec![
                    "dd".into(),
                    format!("if={f}"),
                    "of=/dev/null".into(),
                    "bs=1M".into(),
                ],
                a.runs,
                file.clone(),
            ),
            (
                "analyze_json",
                vec![
                    ike.clone(),
                    "analyze".into(),
                    "--format".into(),
                    "json".into(),
                    f.clone(),
                ],
                a.runs,
                file.clone(),
            ),
            (
                "analyze_text",
                vec![ike.clone(), "analyze".into(), f.clone()],
                a.runs,
                file.clone(),
            ),
            (
                "decode_json",
                vec![
                    ike.clone(),
                    "decode".into(),
                    "--format".into(),
                    "json".into(),
                    f.clone(),
                ],
                a.runs,
                file.clone(),
            ),
        ];
        let tf = a.tshark_file.clone().unwrap_or_else(|| file.clone());
        if tf != *file {
            warm(&tf);
        }
        cmds.push((
            "tshark",
            [
                "tshark",
                "-r",
                &tf.to_string_lossy(),
                "-Y",
                "isakmp",
                "-T",
                "fields",
                "-e",
                "frame.number",
                "-e",
                "isakmp.ispi",
                "-e",
                "isakmp.rspi",
                "-e",
                "isakmp.exchangetype",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            a.tshark_runs,
            tf.clone(),
        ));
        cmds.retain(|c| !a.skip.iter().any(|s| s == c.0));
        let mut rows: Vec<Row> = cmds
            .iter()
            .map(|(name, _, _, p)| Row {
                name,
                file: p.clone(),
                bytes: if *p == *file {
                    bytes
                } else {
                    std::fs::metadata(p).unwrap().len()
                },
                frames: if *p == *file { frames } else { count_frames(p) },
                times: Vec::new(),
                cpu: Vec::new(),
                rss: 0,
            })
            .collect();
        let max_runs = cmds.iter().map(|c| c.2).max().unwrap_or(0);
        for r in 0..max_runs {
            for (i, (name, argv, runs, _)) in cmds.iter().enumerate() {
                if r >= *runs {
                    continue;
                }
                let (s, c, rss) = run(argv, a.cpu);
                eprintln!(
                    "bench_e2e: {f}: {name} run {}: {s:.3} s wall, {c:.2} s CPU, {} MB",
                    r + 1,
                    rss / 1024
                );
                rows[i].times.push(s);
                rows[i].cpu.push(c);
                rows[i].rss = rows[i].rss.max(rss);
            }
        }
        let dd = rows
            .iter()
            .find(|r| r.name == "dd")
            .map(|r| median(&mut r.times.clone()));
        let tshark_rate = rows
            .iter()
            .find(|r| r.name == "tshark")
            .map(|r| r.bytes as f64 / median(&mut r.times.clone()));
        for r in &rows {
            let mut t = r.times.clone();
            let m = median(&mut t);
            let rate = r.bytes as f64 / m;
            let lo = t.first().copied().unwrap_or(0.0);
            let hi = t.last().copied().unwrap_or(0.0);
            println!(
                "| {} | {:.0} | {} | {} | {} | {:.3} | {:.3}–{:.3} | {:.3} | {:.0} | {:.2} | {} | {} | {:.1} |",
                r.file.file_name().unwrap().to_string_lossy(),
                r.bytes as f64 / 1e6,
                r.frames,
                r.name,
                r.times.len(),
                m,
                lo,
                hi,
                median(&mut r.cpu.clone()),
                rate / 1e6,
                r.frames as f64 / m / 1e6,
                match dd {
                    Some(d) if r.file == *file => format!("{:.1}", m / d),
                    _ => "–".into(),
                },
                match tshark_rate {
                    Some(ts) if r.name != "tshark" && r.name != "dd" => format!("{:.0}", rate / ts),
                    _ => "–".into(),
                },
                r.rss as f64 / 1024.0,
            );
        }
    }
}
