//! Reading a capture on a thread of its own: one core copies the file out of the kernel (and
//! decompresses gzip) while the caller's core parses and reconstructs. The bytes handed on are
//! exactly those of the inner reader, in order, so the output cannot differ; memory is bounded
//! by [`DEPTH`] chunks of [`CHUNK`] bytes in flight, whatever the file size.

use std::io::{self, Read};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

/// Bytes per chunk read by the reading thread.
pub const CHUNK: usize = 1 << 20;
/// Chunks read ahead of the consumer at most.
pub const DEPTH: usize = 4;

/// The consumer side: reads the chunks the reading thread sends, in order, and returns each
/// buffer to it for reuse.
pub struct ReadAhead {
    chunks: Receiver<io::Result<Vec<u8>>>,
    spare: SyncSender<Vec<u8>>,
    current: Vec<u8>,
    pos: usize,
    done: bool,
}

/// Start reading `inner` on a new thread. The thread ends at the end of the input, at its first
/// error (handed on to the consumer, after the bytes before it), or when the [`ReadAhead`] is
/// dropped.
pub fn read_ahead(mut inner: Box<dyn Read + Send>) -> ReadAhead {
    let (chunk_tx, chunk_rx) = sync_channel::<io::Result<Vec<u8>>>(DEPTH);
    // DEPTH chunks in the channel, one being filled, one being consumed.
    let (spare_tx, spare_rx) = sync_channel::<Vec<u8>>(DEPTH + 2);
    std::thread::spawn(move || loop {
        let mut buf = spare_rx.try_recv().unwrap_or_default();
        buf.resize(CHUNK, 0);
        let mut filled = 0;
        let result = loop {
            match inner.read(&mut buf[filled..]) {
                Ok(0) => break Ok(()),
                Ok(n) => {
                    filled += n;
                    if filled == buf.len() {
                        break Ok(());
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => break Err(e),
            }
        };
        buf.truncate(filled);
        let end = filled == 0 || result.is_err();
        if filled > 0 && chunk_tx.send(Ok(buf)).is_err() {
            return;
        }
        if let Err(e) = result {
            let _ = chunk_tx.send(Err(e));
        }
        if end {
            return;
        }
    });
    ReadAhead {
        chunks: chunk_rx,
        spare: spare_tx,
        current: Vec::new(),
        pos: 0,
        done: false,
    }
}

impl Read for ReadAhead {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.current.len() {
            if self.done {
                return Ok(0);
            }
            match self.chunks.recv() {
                Ok(Ok(next)) => {
                    let used = std::mem::replace(&mut self.current, next);
                    // Full or gone reader thread: let the buffer go.
                    let _ = self.spare.try_send(used);
                    self.pos = 0;
                }
                Ok(Err(e)) => {
                    self.done = true;
                    return Err(e);
                }
                Err(_) => {
                    // The thread finished: end of input.
                    self.done = true;
                    return Ok(0);
                }
            }
        }
        let n = out.len().min(self.current.len() - self.pos);
        out[..n].copy_from_slice(&self.current[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that returns its bytes a few at a time, then an error.
    struct Trickle {
        data: Vec<u8>,
        pos: usize,
        fail_at_end: bool,
    }

    impl Read for Trickle {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            if self.pos == self.data.len() {
                return if self.fail_at_end {
                    Err(io::Error::other("disk on fire"))
                } else {
                    Ok(0)
                };
            }
            let n = out.len().min(777).min(self.data.len() - self.pos);
            out[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
            self.pos += n;
            Ok(n)
        }
    }

    fn pattern(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 % 251) as u8).collect()
    }

    #[test]
    fn hands_on_the_same_bytes_in_order() {
        for len in [0, 1, CHUNK - 1, CHUNK, 3 * CHUNK + 12345, (DEPTH + 3) * CHUNK] {
            let data = pattern(len);
            let inner = Trickle {
                data: data.clone(),
                pos: 0,
                fail_at_end: false,
            };
            let mut got = Vec::new();
            read_ahead(Box::new(inner)).read_to_end(&mut got).unwrap();
            assert_eq!(got.len(), data.len());
            assert!(got == data, "bytes differ for length {len}");
        }
    }

    #[test]
    fn an_error_comes_after_the_bytes_before_it() {
        let data = pattern(CHUNK + 10);
        let inner = Trickle {
            data: data.clone(),
            pos: 0,
            fail_at_end: true,
        };
        let mut r = read_ahead(Box::new(inner));
        let mut got = vec![0u8; data.len()];
        r.read_exact(&mut got).unwrap();
        assert!(got == data);
        let e = r.read(&mut [0u8; 16]).unwrap_err();
        assert_eq!(e.to_string(), "disk on fire");
    }

    #[test]
    fn dropping_the_reader_early_ends_the_thread() {
        // An endless input: the thread must stop once the consumer is gone (this test would
        // hang on join otherwise, so it only checks that dropping does not block).
        struct Endless;
        impl Read for Endless {
            fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
                out.fill(1);
                Ok(out.len())
            }
        }
        let mut r = read_ahead(Box::new(Endless));
        let mut first = [0u8; 100];
        r.read_exact(&mut first).unwrap();
        drop(r);
    }
}
