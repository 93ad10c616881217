//! Recognising a capture file by its first bytes, never by its name.

use std::io::Read;

/// The container formats [`super::read_capture`] reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaptureFormat {
    /// Classic libpcap: either byte order, microsecond or nanosecond magic, and the
    /// "modified" (Kuznetzov) variant.
    Pcap,
    /// pcapng (section header block first).
    PcapNg,
}

impl CaptureFormat {
    /// The format announced by the first four bytes of a (decompressed) capture.
    pub fn from_magic(magic: [u8; 4]) -> Option<CaptureFormat> {
        match u32::from_le_bytes(magic) {
            0xa1b2c3d4 | 0xd4c3b2a1 | 0xa1b23c4d | 0x4d3cb2a1 | 0xa1b2cd34 | 0x34cdb2a1 => {
                Some(CaptureFormat::Pcap)
            }
            0x0a0d0d0a => Some(CaptureFormat::PcapNg),
            _ => None,
        }
    }
}

/// Whether the file at `path` is a capture this tool reads: a pcap or pcapng magic, directly or
/// inside gzip (as [`super::open_input`] would see it). `Ok(None)` for any other content
/// (including files shorter than a magic); `Err` when it cannot be opened or read.
pub fn sniff_capture(path: &str) -> Result<Option<CaptureFormat>, super::CaptureError> {
    let mut input = super::open_input(path)?;
    let mut magic = [0u8; 4];
    let mut have = 0;
    while have < magic.len() {
        match input.read(&mut magic[have..]) {
            Ok(0) => return Ok(None),
            Ok(n) => have += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            // A gzip file whose stream is not valid is simply not a capture.
            Err(e) if e.kind() == std::io::ErrorKind::InvalidInput => return Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => return Ok(None),
            Err(e) => return Err(super::CaptureError::Io(e)),
        }
    }
    Ok(CaptureFormat::from_magic(magic))
}
