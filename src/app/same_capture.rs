//! Inputs that are the same capture: one file named twice (also through another path or a
//! link), or two files with identical content. Reading both would count every packet twice.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// Bytes compared at each end of two files of equal size.
const SAMPLE: u64 = 64 * 1024;

/// For each input, the index of the earlier input it duplicates (`None`: first of its kind,
/// stdin, or not readable here; the reader will say why).
pub fn duplicates(files: &[String]) -> Vec<Option<usize>> {
    let ids: Vec<Option<Identity>> = files.iter().map(|f| Identity::of(f)).collect();
    (0..files.len())
        .map(|i| {
            let me = ids[i].as_ref()?;
            (0..i).find(|&j| ids[j].as_ref().is_some_and(|other| other.same_as(me)))
        })
        .collect()
}

/// What tells two inputs apart: the canonical path, and the size with samples of the content.
struct Identity {
    canonical: std::path::PathBuf,
    size: u64,
    head: Vec<u8>,
    tail: Vec<u8>,
}

impl Identity {
    fn of(path: &str) -> Option<Identity> {
        if path == "-" {
            return None;
        }
        let canonical = Path::new(path).canonicalize().ok()?;
        let mut file = File::open(&canonical).ok()?;
        let size = file.metadata().ok()?.len();
        if !file.metadata().ok()?.is_file() {
            return None;
        }
        let mut head = Vec::new();
        (&mut file).take(SAMPLE).read_to_end(&mut head).ok()?;
        let mut tail = Vec::new();
        if size > SAMPLE {
            file.seek(SeekFrom::Start(size - SAMPLE)).ok()?;
            file.take(SAMPLE).read_to_end(&mut tail).ok()?;
        }
        Some(Identity {
            canonical,
            size,
            head,
            tail,
        })
    }

    /// The same file, or the same size with the same first and last 64 KiB: a capture's
    /// timestamps make two different captures differ there.
    fn same_as(&self, other: &Identity) -> bool {
        self.canonical == other.canonical
            || (self.size == other.size && self.head == other.head && self.tail == other.tail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_file_twice_and_copies_are_found_different_files_are_not() {
        let dir = std::env::temp_dir().join(format!("ikescope-same-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let a = dir.join("a.pcap");
        let copy = dir.join("copy.pcap");
        let other = dir.join("other.pcap");
        let big: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&a, &big).unwrap();
        std::fs::write(&copy, &big).unwrap();
        let mut changed = big.clone();
        changed[199_999] ^= 1;
        std::fs::write(&other, &changed).unwrap();
        let via_dot = format!("{}/./a.pcap", dir.display());
        let files: Vec<String> = [&a, &copy, &other]
            .iter()
            .map(|p| p.display().to_string())
            .chain([via_dot, "-".into(), "/nonexistent/x.pcap".into()])
            .collect();
        assert_eq!(duplicates(&files), vec![None, Some(0), None, Some(0), None, None]);
        std::fs::remove_dir_all(&dir).ok();
    }
}
