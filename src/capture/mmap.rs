//! The one place this crate uses `unsafe`: a capture file mapped into memory, so that reading a
//! large plain pcap costs no copy (a `read()` copies every byte from the page cache, ≈ 0.1 s of
//! CPU per GiB, more than decoding the ESP packets in it).
//!
//! The map is read-only and private, and its bytes are only ever read as untrusted input by
//! parsers that check every bound. The hazard left is the one every memory-mapping reader has:
//! if another process *shrinks* the file while it is read, touching the lost pages raises
//! `SIGBUS`. Captures being written only grow; `--no-mmap` reads with `read()` instead for a
//! file that may be truncated under the reader (e.g. rotated with `copytruncate`).
#![allow(unsafe_code)]

use std::fs::File;
use std::io;

/// A whole file mapped read-only.
pub struct MappedFile(memmap2::Mmap);

impl MappedFile {
    /// Map all of `file` (which must be a regular file; the caller checks).
    pub fn map(file: &File) -> io::Result<MappedFile> {
        // SAFETY: a read-only private mapping of a regular file, alive as long as the returned
        // value. The compiler may assume the borrowed bytes do not change; another process
        // writing to the file during the read breaks that assumption, and truncating it raises
        // SIGBUS. This is the trade-off every memory-mapping reader makes (see the module docs);
        // `--no-mmap` reads with `read()` for files that may change under the reader.
        let map = unsafe { memmap2::MmapOptions::new().populate().map(file)? };
        // The file is read once from start to end: let the kernel read ahead and drop behind.
        let _ = map.advise(memmap2::Advice::Sequential);
        Ok(MappedFile(map))
    }

    /// The file's bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }
}

/// Ask the processor to start loading the cache line holding `bytes[at]` (nothing when `at` is
/// past the end, or on processors without a prefetch hint). Reading a capture walks from record
/// to record, each address known only once the previous header is read: without this, every
/// record waits for memory (≈ 0.15 s per GiB); prefetching a stretch ahead lets those loads
/// overlap.
#[inline]
pub fn prefetch(bytes: &[u8], at: usize) {
    #[cfg(target_arch = "x86_64")]
    if let Some(b) = bytes.get(at) {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        // SAFETY: a prefetch hint never faults and has no effect on memory; the address is
        // inside the borrowed slice. SSE is part of the x86_64 baseline.
        unsafe { _mm_prefetch::<_MM_HINT_T0>((b as *const u8).cast::<i8>()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (bytes, at);
}
