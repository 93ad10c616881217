//! Reading one file on two threads without copying it twice. The parsing thread reads the file
//! in order, and each read of a chunk nobody has read yet goes straight from the kernel into its
//! own buffer, as an ordinary read would. A second thread that would otherwise wait (the
//! collecting thread of [`crate::decode::handoff`], between batches) calls [`ReadHelper::help`]
//! to read the next chunks ahead of it; when the parsing thread gets there, it copies such a
//! chunk instead of asking the kernel. Copying out of the kernel (and finding the pages in its
//! cache) is most of what reading a file costs, so this moves part of that work to a core with
//! time to spare, and only as much as that core has spare.
//!
//! The parsing thread sees exactly the bytes of the file, in order, with a read error where the
//! read of its chunk failed; past the size the file had when opened (a capture still being
//! written) it reads on by itself, as an ordinary read would. Memory: [`AHEAD`] chunks of
//! [`CHUNK`] bytes at most, whatever the file's size.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::FileExt;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

/// Bytes per chunk.
pub const CHUNK: u64 = 1 << 20;
/// Chunks a helper reads ahead of the parsing thread at most.
pub const AHEAD: u64 = 3;

/// A chunk's index in the file (its offset divided by [`CHUNK`]).
type ChunkIndex = u64;

/// What both threads share.
struct Shared {
    file: File,
    /// The file's size when opened: helpers read no chunk past it.
    len: u64,
    state: Mutex<State>,
    /// Signalled when a helper has finished a chunk.
    finished: Condvar,
}

#[derive(Default)]
struct State {
    /// The chunk the parsing thread is in.
    reader_at: ChunkIndex,
    /// The first chunk a helper may take next.
    helper_next: ChunkIndex,
    /// Chunks helpers took, in order, with what reading them gave (`None` while being read),
    /// not yet taken over by the parsing thread.
    taken: VecDeque<(ChunkIndex, Option<io::Result<Vec<u8>>>)>,
    /// Buffers to reuse.
    spare: Vec<Vec<u8>>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // a panic while holding the lock leaves nothing half-done that matters here
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Open `file` for reading by a parsing thread ([`SharedReader`]) helped by other threads
/// ([`ReadHelper`]); an error for anything but a regular file (a pipe or a device has no size
/// to read ahead in).
pub fn shared_read(file: File) -> io::Result<(SharedReader, ReadHelper)> {
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::other("not a regular file"));
    }
    let len = meta.len();
    let shared = Arc::new(Shared {
        file,
        len,
        state: Mutex::new(State::default()),
        finished: Condvar::new(),
    });
    Ok((
        SharedReader {
            shared: shared.clone(),
            pos: 0,
            current: None,
            own: None,
        },
        ReadHelper { shared },
    ))
}

/// The parsing thread's reader: the file's bytes in order.
pub struct SharedReader {
    shared: Arc<Shared>,
    /// Offset of the next byte to hand out.
    pos: u64,
    /// A chunk a helper read, being handed out.
    current: Option<(ChunkIndex, Vec<u8>)>,
    /// The chunk this thread reads itself.
    own: Option<ChunkIndex>,
}

impl Read for SharedReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        let chunk = self.pos / CHUNK;
        let in_chunk = (self.pos - chunk * CHUNK) as usize;
        if let Some((index, bytes)) = &self.current {
            if *index == chunk {
                let rest = bytes.get(in_chunk..).unwrap_or_default();
                if !rest.is_empty() {
                    let n = out.len().min(rest.len());
                    out[..n].copy_from_slice(&rest[..n]);
                    self.pos += n as u64;
                    return Ok(n);
                }
                // the helper's read ended inside the chunk (the file ended there then): read on
                // from the file here, which finds its end or what was written since
                self.current = None;
                self.own = Some(chunk);
            }
        }
        if self.own != Some(chunk) {
            self.enter(chunk)?;
            if self.current.is_some() {
                return self.read(out);
            }
        }
        let n = out.len().min(CHUNK as usize - in_chunk);
        let n = self.shared.file.read_at(&mut out[..n], self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl SharedReader {
    /// Move into `chunk`: take it from the helpers when one read it (waiting if one is reading
    /// it now), or claim it to read it here.
    fn enter(&mut self, chunk: ChunkIndex) -> io::Result<()> {
        let shared = self.shared.clone();
        let mut state = shared.lock();
        state.reader_at = chunk;
        if let Some((_, used)) = self.current.take() {
            state.spare.push(used);
        }
        while state.taken.front().is_some_and(|(i, _)| *i < chunk) {
            // read ahead of a reader that then stopped early: not wanted
            if let Some((_, Some(Ok(buf)))) = state.taken.pop_front() {
                state.spare.push(buf);
            }
        }
        if state.taken.front().is_none_or(|(i, _)| *i != chunk) {
            // no helper took it: read it here
            self.own = Some(chunk);
            return Ok(());
        }
        loop {
            if state.taken.front().is_some_and(|(_, read)| read.is_some()) {
                let Some((_, Some(read))) = state.taken.pop_front() else {
                    unreachable!("checked just above")
                };
                self.own = None;
                self.current = Some((chunk, read?));
                return Ok(());
            }
            // a helper is reading it
            state = shared.finished.wait(state).unwrap_or_else(|e| e.into_inner());
        }
    }
}

/// Another thread's handle on the file: reads chunks ahead of the parsing thread.
pub struct ReadHelper {
    shared: Arc<Shared>,
}

impl ReadHelper {
    /// Read a chunk ahead of the parsing thread: the next odd-numbered one past it and past those
    /// helpers took, if it is within [`AHEAD`] chunks of the parsing thread and inside the file's
    /// size when opened. Returns whether there was one. Helpers take every other chunk at most,
    /// so that a helper whose own work grows (a collector with more flows) never ends up doing
    /// most of the reading while the parsing thread waits for it.
    pub fn help(&self) -> bool {
        let shared = &self.shared;
        let (chunk, mut buf) = {
            let mut state = shared.lock();
            let chunk = state.helper_next.max(state.reader_at + 1) | 1;
            if chunk.saturating_mul(CHUNK) >= shared.len || chunk > state.reader_at + AHEAD {
                return false;
            }
            state.helper_next = chunk + 1;
            state.taken.push_back((chunk, None));
            (chunk, state.spare.pop().unwrap_or_default())
        };
        let size = CHUNK.min(shared.len - chunk * CHUNK) as usize;
        buf.resize(size, 0);
        let read = read_up_to(&shared.file, &mut buf, chunk * CHUNK).map(|n| {
            buf.truncate(n);
            buf
        });
        let mut state = shared.lock();
        if let Some(entry) = state.taken.iter_mut().find(|(i, _)| *i == chunk) {
            entry.1 = Some(read);
        }
        shared.finished.notify_all();
        true
    }
}

/// Read `buf.len()` bytes at `offset`, fewer only where the file ends.
fn read_up_to(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read_at(&mut buf[n..], offset + n as u64) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file_of(len: usize) -> (std::path::PathBuf, Vec<u8>) {
        let data: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
        let path = std::env::temp_dir().join(format!("ikescope-shared-read-{}-{len}", std::process::id()));
        std::fs::File::create(&path).unwrap().write_all(&data).unwrap();
        (path, data)
    }

    /// Read all of `r` in requests of varying sizes.
    fn read_all(r: &mut SharedReader, sizes: &[usize]) -> Vec<u8> {
        let mut got = Vec::new();
        let mut buf = vec![0u8; *sizes.iter().max().unwrap()];
        for i in 0.. {
            let want = sizes[i % sizes.len()];
            let n = r.read(&mut buf[..want]).unwrap();
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
        }
        got
    }

    #[test]
    fn the_bytes_are_the_files_whoever_reads_them() {
        let c = CHUNK as usize;
        for len in [0, 1, c - 1, c, c + 1, 5 * c + 777] {
            let (path, data) = file_of(len);
            // alone: the parsing thread reads every chunk itself
            let (mut r, _helper) = shared_read(File::open(&path).unwrap()).unwrap();
            assert!(read_all(&mut r, &[c, 4096, 3 * c]) == data, "alone, {len} bytes");
            // with a helper that reads every chunk it may, on another thread, while the
            // parsing thread reads in odd sizes
            let (mut r, helper) = shared_read(File::open(&path).unwrap()).unwrap();
            let done = std::sync::atomic::AtomicBool::new(false);
            let got = std::thread::scope(|s| {
                s.spawn(|| {
                    while !done.load(std::sync::atomic::Ordering::Relaxed) {
                        if !helper.help() {
                            std::thread::yield_now();
                        }
                    }
                });
                let got = read_all(&mut r, &[c / 3 + 1, 100, c]);
                done.store(true, std::sync::atomic::Ordering::Relaxed);
                got
            });
            assert_eq!(got.len(), data.len());
            assert!(got == data, "helped, {len} bytes");
            std::fs::remove_file(&path).unwrap();
        }
    }

    #[test]
    fn a_helper_reads_every_other_chunk_ahead_only_so_far() {
        let c = CHUNK as usize;
        let (path, data) = file_of(9 * c + 5);
        let (mut r, helper) = shared_read(File::open(&path).unwrap()).unwrap();
        // the parsing thread is in chunk 0: helpers may take chunks 1 and 3, then no more
        assert!(helper.help());
        assert!(helper.help());
        assert!(!helper.help(), "read beyond {AHEAD} chunks ahead");
        assert_eq!(
            r.shared.lock().taken.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
            [1, 3]
        );
        let mut first = vec![0u8; 2 * c + 10];
        let mut n = 0;
        while n < first.len() {
            n += r.read(&mut first[n..]).unwrap();
        }
        assert!(first[..] == data[..2 * c + 10]);
        // chunk 1 was handed over; the parsing thread is in chunk 2: chunk 5 is within reach
        assert_eq!(r.shared.lock().taken.front().map(|(i, _)| *i), Some(3));
        assert!(helper.help());
        assert!(!helper.help());
        let mut rest = Vec::new();
        r.read_to_end(&mut rest).unwrap();
        assert!(rest[..] == data[2 * c + 10..]);
        assert!(r.shared.lock().taken.is_empty());
        // nothing left to read past the end
        assert!(!helper.help());
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn a_file_that_grows_is_read_on_to_its_new_end() {
        let c = CHUNK as usize;
        let (path, mut data) = file_of(c + 3);
        let (mut r, helper) = shared_read(File::open(&path).unwrap()).unwrap();
        assert!(helper.help());
        assert!(!helper.help());
        let more: Vec<u8> = (0..c).map(|i| (i % 13) as u8).collect();
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(&more)
            .unwrap();
        data.extend_from_slice(&more);
        let mut got = Vec::new();
        r.read_to_end(&mut got).unwrap();
        // the helper's chunk 1 was read when it held 3 bytes; the reader then reads on itself
        assert_eq!(got.len(), data.len());
        assert!(got == data);
        std::fs::remove_file(&path).unwrap();
    }
}
