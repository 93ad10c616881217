//! Drives one input file through ingest and decoding, handing records to a [`RecordSink`];
//! the progress bar; the stderr wording of ingest events.

use crate::capture::parts::EspPacket;
use crate::capture::{self, Datagram, DatagramSink, IngestEvent, IngestOptions, InputStats};
use crate::decode::{Decoder, EspSample, RecordSink};
use crate::keys::KeyStore;
use crate::record::EspInfo;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Arc;

/// Inputs smaller than this in all are read before a progress bar would be worth drawing.
pub const MIN_BAR_BYTES: u64 = 64 << 20;

/// A progress bar on stderr (bytes read, rate, ETA) when stderr is a terminal and not quiet.
pub struct Progress(Option<ProgressBar>);

impl Progress {
    /// Shown only when stderr is a terminal and `--quiet` was not given.
    pub fn new(quiet: bool) -> Progress {
        if quiet || !std::io::stderr().is_terminal() {
            return Progress(None);
        }
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{bytes}/{total_bytes} {bytes_per_sec} ETA {eta} {wide_bar}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        Progress(Some(bar))
    }

    /// The bar for a run over `files`, when it helps: not for inputs that are read in a moment
    /// (less than [`MIN_BAR_BYTES`] in all; stdin's size is unknown and counts as large), and
    /// never while records stream to the terminal the bar would be drawn on (`decode` to a
    /// terminal), where the two would mix.
    pub fn for_inputs(quiet: bool, files: &[String], records_to_terminal: bool) -> Progress {
        let total: u64 = files
            .iter()
            .map(|f| match f.as_str() {
                "-" => MIN_BAR_BYTES,
                path => std::fs::metadata(path).map_or(0, |m| m.len()),
            })
            .sum();
        if records_to_terminal || total < MIN_BAR_BYTES {
            return Progress(None);
        }
        Progress::new(quiet)
    }

    /// A handle for one input.
    pub fn bar(&self) -> Option<ProgressBar> {
        self.0.clone()
    }

    /// Remove the bar.
    pub fn finish(&self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}

/// Turns the datagrams of one input into records (or ESP samples) for a [`RecordSink`].
pub(crate) struct Adapter<'s> {
    decoder: Decoder,
    file_index: usize,
    sink: &'s mut dyn RecordSink,
}

impl<'s> Adapter<'s> {
    /// The adapter of input `file_index`, opening encrypted messages with `keys` when given.
    pub(crate) fn new(file_index: usize, keys: Option<Arc<KeyStore>>, sink: &'s mut dyn RecordSink) -> Self {
        Adapter {
            decoder: decoder_for(file_index, keys),
            file_index,
            sink,
        }
    }

    /// Note, in capture order, an ESP packet whose flow counters are kept elsewhere.
    pub(crate) fn esp_counted_elsewhere(&mut self, sample: &EspSample) {
        self.sink.esp_counted_elsewhere(sample);
    }
}

impl DatagramSink for Adapter<'_> {
    fn datagram(&mut self, d: &Datagram<'_>) {
        if self.sink.esp_only() && !self.decoder.decrypts_esp() {
            if let Some(p) = EspPacket::of(d) {
                let fragmented = d.fragment_frames.is_some();
                self.sink.esp(&esp_sample(self.file_index, &p, fragmented));
                return;
            }
        }
        let rec = self.decoder.decode(d);
        self.sink.record(rec);
        if let Some(p) = self.decoder.take_inner() {
            self.sink.inner(p);
        }
    }

    fn clear(&mut self, p: &capture::ClearPacket<'_>) {
        if self.sink.wants_inner() {
            let inner = self.decoder.clear_packet(p);
            self.sink.inner(inner);
        }
    }

    fn event(&mut self, e: &IngestEvent) {
        self.sink.event(self.file_index, e);
    }
}

/// Read, decode and deliver one input (`-` is stdin), opening encrypted IKE messages with
/// `keys` when given.
pub fn process_file(
    path: &str,
    file_index: usize,
    opts: &IngestOptions,
    keys: Option<Arc<KeyStore>>,
    progress: Option<ProgressBar>,
    sink: &mut dyn RecordSink,
) -> Result<InputStats, capture::CaptureError> {
    let input = capture::open_input(path)?;
    process_opened(input, path, file_index, opts, keys, progress, sink)
}

/// [`process_file`] of an input already opened (by [`capture::open_input`] or
/// [`capture::open_shared`]).
pub fn process_opened(
    mut input: Box<dyn std::io::Read + Send>,
    path: &str,
    file_index: usize,
    opts: &IngestOptions,
    keys: Option<Arc<KeyStore>>,
    progress: Option<ProgressBar>,
    sink: &mut dyn RecordSink,
) -> Result<InputStats, capture::CaptureError> {
    if opts.read_ahead {
        input = Box::new(capture::read_ahead(input));
    }
    if let Some(bar) = progress {
        if let Ok(meta) = std::fs::metadata(path) {
            bar.inc_length(meta.len());
        }
        input = Box::new(bar.wrap_read(input));
    }
    let mut adapter = Adapter::new(file_index, keys, sink);
    capture::read_capture(input, opts, &mut adapter)
}

/// The sample a collector counts of an ESP packet of input `file_index` that is not opened.
pub(crate) fn esp_sample(file_index: usize, p: &EspPacket, fragmented: bool) -> EspSample {
    EspSample {
        file_index,
        frame: p.frame,
        time: p.time,
        src: p.src,
        dst: p.dst,
        esp: EspInfo {
            spi: p.spi,
            seq: p.seq,
            udp_encap: p.udp_encap,
            length: p.length,
            decrypted: None,
            decryption: None,
        },
        fragmented,
    }
}

/// The decoder of input `file_index`, opening encrypted messages with `keys` when given.
fn decoder_for(file_index: usize, keys: Option<Arc<KeyStore>>) -> Decoder {
    match keys {
        Some(k) => Decoder::with_keys(file_index, k),
        None => Decoder::new(file_index),
    }
}

/// One line describing an ingest event, for stderr.
pub fn describe_event(file: &str, e: &IngestEvent) -> String {
    match e {
        IngestEvent::Malformed { frame, offset, what } => {
            format!("{file}: frame {frame}: offset {offset}: malformed: {what}")
        }
        IngestEvent::IncompleteReassembly {
            frames,
            src,
            dst,
            proto,
            bytes_seen,
            total_len,
            ..
        } => format!(
            "{file}: frames {}: IP datagram {src} -> {dst} (proto {proto}) never fully reassembled: {bytes_seen} of {} bytes",
            join_frames(frames),
            total_len.map(|t| t.to_string()).unwrap_or_else(|| "unknown".into())
        ),
        IngestEvent::UnsupportedLinkType { frame, linktype } => format!(
            "{file}: frame {frame}: link type {linktype} ({}) is not supported; its frames are skipped",
            linktype_name(*linktype)
        ),
    }
}

fn join_frames(frames: &[u64]) -> String {
    let v: Vec<String> = frames.iter().map(|f| f.to_string()).collect();
    v.join(",")
}

/// Name of a LINKTYPE_ number, for messages.
pub fn linktype_name(linktype: u32) -> &'static str {
    match linktype {
        0 => "NULL",
        1 => "ETHERNET",
        9 => "PPP",
        12 | 14 | 101 => "RAW",
        105 => "IEEE802_11",
        108 => "LOOP",
        113 => "LINUX_SLL",
        127 => "IEEE802_11_RADIOTAP",
        228 => "IPV4",
        229 => "IPV6",
        276 => "LINUX_SLL2",
        _ => "unknown",
    }
}
