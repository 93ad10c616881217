//! One large capture on every core it is given: the file is read in parts, one thread each
//! ([`crate::capture::parts`]); each part counts its plain ESP packets in an ESP table of
//! its own, and passes every other frame on, through a bounded channel, to this thread, which
//! decodes and collects them in capture order. The parts' tables are then joined in order. The
//! result is the one a single reader gives, byte for byte; when it could not be (an ESP packet
//! reassembled from fragments on both sides of a cut, or one only the in-order decoder saw),
//! `None` tells the caller to read the file the ordinary way.

use crate::app::pipeline::{esp_sample, Adapter};
use crate::capture::parts::{Cuts, PartBatch, PartEnd, PartResult, Replayer};
use crate::capture::{CaptureError, IngestOptions, InputStats, PlainPcap};
use crate::keys::KeyStore;
use crate::reconstruct::esp_table::EspTable;
use crate::reconstruct::Collected;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;

/// Files smaller than this are read by one thread: starting the others would cost more.
pub const MIN_SPLIT_BYTES: u64 = 32 << 20;
/// Environment variable that replaces [`MIN_SPLIT_BYTES`] (tests split small captures with it).
pub const MIN_SPLIT_BYTES_VAR: &str = "IKESCOPE_PARTS_MIN_BYTES";

/// Parts are read only with at least this many threads. With two, the collector thread
/// (`decode::handoff`) already keeps both cores busy, and measured a little faster on this
/// project's 2-core VM (docs/performance.md): the parts pay for their own ESP tables and for
/// decoding passed-on frames twice. From three cores on, parts use cores the collector thread
/// cannot.
pub const MIN_PARTS: usize = 3;
/// Environment variable that replaces [`MIN_PARTS`] (tests read in two parts with it).
pub const MIN_PARTS_VAR: &str = "IKESCOPE_PARTS_MIN_THREADS";

/// The size from which a file is read in parts.
fn min_split_bytes() -> u64 {
    env_number(MIN_SPLIT_BYTES_VAR).unwrap_or(MIN_SPLIT_BYTES)
}

/// The number of threads from which a file is read in parts.
fn min_parts() -> usize {
    env_number(MIN_PARTS_VAR).map_or(MIN_PARTS, |n| n as usize)
}

/// A number set in the environment variable `name`.
fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok()?.parse().ok()
}

/// Full batches the first part may have waiting (it is replayed as it is read); its reader
/// blocks beyond that.
const DEPTH: usize = 8;
/// Full batches a later part may have waiting: it is replayed only once the parts before it are,
/// so it must be able to run ahead (a gateway capture passes on ≈ 8 % of its frames, IKE and IP
/// fragments). Its batches carry the frames' bytes only up to a bound and their place in the
/// file beyond it, so this many batches hold little memory.
const DEPTH_AHEAD: usize = 256;

/// Read the capture at `path` (input `file_index`) in `parts` parts into the collection `fresh`
/// makes, when there are enough threads ([`MIN_PARTS`]), it is an uncompressed pcap large
/// enough ([`MIN_SPLIT_BYTES`]) and its ESP is not being decrypted. `None` when it is not
/// split, or when the parts' result would differ from a single reader's (then the collection
/// is dropped; the caller reads the file the ordinary way into a fresh one).
pub fn read_in_parts(
    path: &str,
    parts: usize,
    file_index: usize,
    opts: &IngestOptions,
    keys: Option<Arc<KeyStore>>,
    fresh: impl FnOnce() -> Collected,
) -> Option<(Collected, Result<InputStats, CaptureError>)> {
    if parts < min_parts() {
        return None;
    }
    let capture = PlainPcap::open(path)?;
    if capture.len() < min_split_bytes() {
        return None;
    }
    split_read(&capture, parts, file_index, opts, keys, fresh())
}

/// [`read_in_parts`] whatever the file's size.
fn split_read(
    capture: &PlainPcap,
    parts: usize,
    file_index: usize,
    opts: &IngestOptions,
    keys: Option<Arc<KeyStore>>,
    mut data: Collected,
) -> Option<(Collected, Result<InputStats, CaptureError>)> {
    if parts < 2 || !capture.splittable() || keys.as_ref().is_some_and(|k| !k.esp.is_empty()) {
        return None;
    }
    let cuts = Cuts::new(parts);
    let (tables, stats) = std::thread::scope(|scope| {
        let mut readers = Vec::with_capacity(parts);
        for index in 0..parts {
            let depth = if index == 0 { DEPTH } else { DEPTH_AHEAD };
            let (tx, rx) = sync_channel::<PartBatch>(depth);
            let (spare_tx, spare_rx) = sync_channel::<PartBatch>(DEPTH + 2);
            let cuts = &cuts;
            let handle = scope.spawn(move || {
                let mut table = EspTable::default();
                let result = capture.read_part(
                    index,
                    cuts,
                    opts,
                    &mut |p| table.add(&esp_sample(file_index, p, false)),
                    // a closed channel means this part is no longer wanted: the reader sees the
                    // cancel flag soon after
                    &mut |batch| {
                        let _ = tx.send(batch);
                        spare_rx.try_recv().unwrap_or_default()
                    },
                );
                (table, result)
            });
            readers.push((rx, spare_tx, handle));
        }
        let mut adapter = Adapter::new(file_index, keys, &mut data);
        let mut replayer = capture.replayer(opts);
        let mut tables: Vec<(EspTable, u64)> = Vec::with_capacity(parts);
        let mut used: Vec<PartResult> = Vec::with_capacity(parts);
        let mut frames_before = 0;
        let mut done = false;
        for (part, (rx, spare, handle)) in readers.into_iter().enumerate() {
            if done {
                drop(rx);
                let _ = handle.join();
                continue;
            }
            replay_part(
                file_index,
                (part, &cuts),
                &rx,
                &spare,
                &mut replayer,
                &mut adapter,
            );
            let (table, result) = match handle.join() {
                Ok(r) => r,
                Err(panic) => std::panic::resume_unwind(panic),
            };
            match result.end {
                PartEnd::AtNextPart => {}
                PartEnd::Last(_) => {
                    done = true;
                    cuts.cancel();
                }
                // a part in use never ends unread (it published where it starts)
                PartEnd::NotRead => {
                    cuts.cancel();
                    return None;
                }
            }
            tables.push((table, frames_before));
            frames_before += result.frames;
            replayer.next_part(result.frames);
            used.push(result);
        }
        if replayer.diverged() {
            return None;
        }
        let stats = replayer.finish(used, &mut adapter);
        Some((tables, stats))
    })?;
    // ESP the in-order decoder counted itself (reassembled from fragments, or in a frame that
    // also carried something else) cannot be put in sequence with the parts' counts.
    if !data.esp.is_empty() {
        return None;
    }
    let mut tables = tables.into_iter();
    let (mut esp, _) = tables.next()?;
    for (later, frames_before) in tables {
        esp.append_later(later, frames_before);
    }
    data.esp = esp;
    Some((data, stats))
}

/// Decode the batches one part passed on, until its reader is done; the emptied batches go back
/// to it through `spare`.
fn replay_part(
    file_index: usize,
    (part, cuts): (usize, &Cuts),
    rx: &Receiver<PartBatch>,
    spare: &SyncSender<PartBatch>,
    replayer: &mut Replayer<'_>,
    adapter: &mut Adapter<'_>,
) {
    let mut counted = Vec::new();
    for mut batch in rx {
        replayer.replay(&batch, adapter, &mut |p| counted.push(*p));
        for p in counted.drain(..) {
            adapter.esp_counted_elsewhere(&esp_sample(file_index, &p, true));
        }
        cuts.replayed(part, &batch);
        batch.clear();
        let _ = spare.try_send(batch);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bundled capture `name`, opened for reading by offset.
    fn bundled(name: &str) -> (String, PlainPcap) {
        let path = format!("{}/captures/{name}", env!("CARGO_MANIFEST_DIR"));
        let capture = PlainPcap::open(&path).expect("a classic pcap");
        (path, capture)
    }

    /// The same capture read by one reader.
    fn whole(path: &str) -> (Collected, InputStats) {
        let mut data = Collected::new(vec![path.to_string()]);
        let stats =
            crate::app::pipeline::process_file(path, 0, &IngestOptions::default(), None, None, &mut data)
                .expect("readable");
        (data, stats)
    }

    fn flows(data: Collected) -> Vec<(crate::reconstruct::collect::EspKey, String)> {
        let mut v: Vec<_> = data
            .esp
            .into_flows()
            .map(|(k, f)| (k, format!("{f:?}")))
            .collect();
        v.sort_by_key(|x| x.0);
        v
    }

    #[test]
    fn parts_count_what_one_reader_counts() {
        // ESP in IP fragments, IKE, and plain ESP; 2, 3 and 7 parts (more parts than records
        // between some cuts). A read in parts may decline (`None`: the caller then reads the
        // file whole); one that answers must count exactly what one reader counts, and most do.
        let mut answered = 0;
        for name in [
            "mtu_esp_fragmented_at_responder.pcap",
            "bgp_mtu_blackhole.pcap",
            "ike_flood_cookie.pcap",
        ] {
            let (path, capture) = bundled(name);
            let (one, one_stats) = whole(&path);
            let one_ike = one.ike.len();
            let one_flows = flows(one);
            for parts in [2, 3, 7] {
                let fresh = Collected::new(vec![path.clone()]);
                let opts = IngestOptions::default();
                let Some((split, stats)) = split_read(&capture, parts, 0, &opts, None, fresh) else {
                    continue;
                };
                answered += 1;
                assert_eq!(stats.expect("readable"), one_stats, "{name} in {parts} parts");
                assert_eq!(split.ike.len(), one_ike, "{name} in {parts} parts");
                assert_eq!(flows(split), one_flows, "{name} in {parts} parts");
            }
        }
        assert!(answered >= 6, "only {answered} of 9 reads in parts answered");
    }
}
