//! Opening inputs: files or stdin, gzip detected by content.

use super::shared_read::{shared_read, ReadHelper};
use super::CaptureError;
use std::fs::File;
use std::io::{self, BufReader, Read};

/// Buffer size of the reader returned by [`open_input`]. [`super::read_capture`] reads in chunks
/// of up to 1 MiB straight into its own circular buffer; requests of at least this size bypass
/// the `BufReader` (no second copy), smaller ones (headers, pipes) are served from it.
pub const READ_BUFFER: usize = 256 << 10;

/// Open a capture for [`super::read_capture`].
///
/// `"-"` reads standard input. Gzip compression is recognised by its magic bytes (`1f 8b`),
/// never by the file name, and decoded as a stream (concatenated gzip members are accepted).
/// The returned reader is buffered ([`READ_BUFFER`]); compressed input is read through a 1 MiB
/// buffer and decompressed straight into the caller's buffer. Errors: the file cannot be opened or its
/// first bytes cannot be read ([`CaptureError::Open`], [`CaptureError::Io`]).
pub fn open_input(path: &str) -> Result<Box<dyn Read + Send>, CaptureError> {
    let raw: Box<dyn Read + Send> = if path == "-" {
        Box::new(io::stdin())
    } else {
        let f = File::open(path).map_err(|e| CaptureError::Open {
            path: path.to_string(),
            source: e,
        })?;
        Box::new(f)
    };
    wrap_input(raw)
}

/// Open a regular file as [`open_input`] does, to be read by the calling thread helped by
/// another ([`super::shared_read`]). `None` for stdin and anything but a regular file, and when
/// opening fails ([`open_input`] then opens it, or reports why it cannot).
pub fn open_shared(path: &str) -> Option<(Box<dyn Read + Send>, ReadHelper)> {
    if path == "-" {
        return None;
    }
    let (reader, helper) = shared_read(File::open(path).ok()?).ok()?;
    Some((wrap_input(Box::new(reader)).ok()?, helper))
}

/// Buffer `raw` and recognise gzip by its first bytes.
fn wrap_input(raw: Box<dyn Read + Send>) -> Result<Box<dyn Read + Send>, CaptureError> {
    let mut r = BufReader::with_capacity(READ_BUFFER, raw);
    // Peek at the first two bytes without consuming them.
    let mut peek = [0u8; 2];
    let mut n = 0;
    while n < 2 {
        let k = read_some(&mut r, &mut peek[n..]).map_err(CaptureError::Io)?;
        if k == 0 {
            break;
        }
        n += k;
    }
    let prefix = io::Cursor::new(peek[..n].to_vec());
    if n == 2 && peek == [0x1f, 0x8b] {
        let gz = flate2::read::MultiGzDecoder::new(BufReader::with_capacity(1 << 20, prefix.chain(r)));
        Ok(Box::new(gz))
    } else {
        Ok(Box::new(prefix.chain(r)))
    }
}

fn read_some(r: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match r.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}
