//! Capture ingest: files (pcap, pcapng, gzip, stdin) → link layer → IP (with fragment
//! reassembly) → UDP/ESP/ICMP demultiplexing → [`Datagram`]s handed to a [`DatagramSink`].
//!
//! Streaming: packets are read one at a time with a bounded buffer; nothing grows with the file
//! size except bounded reassembly state.
//!
//! Entry points: [`open_input`] (file or stdin, gzip recognised by content) and [`read_capture`].
//!
//! Supported: pcap (both byte orders, microsecond and nanosecond magic) and pcapng (several
//! sections and interfaces, both byte orders, `if_tsresol`/`if_tsoffset`); link types Ethernet (1,
//! with 802.1Q/802.1ad/QinQ tags, PPPoE session and MPLS), Linux cooked SLL (113) and SLL2 (276),
//! raw IP (12, 14, 101, 228, 229), BSD NULL/LOOP (0, 108, either byte order); IPv4 and IPv6
//! (extension headers and AH skipped, IP-in-IP and GRE followed) with bounded fragment
//! reassembly (see [`reasm`] for the limits).

mod file;
mod input;
pub mod inputs;
mod magic;
mod packet;
pub mod parts;
mod plain;
mod read_ahead;
pub mod reasm;
pub mod shared_read;
mod window;

pub use input::{open_input, open_shared, READ_BUFFER};
pub use inputs::{expand_inputs, InputList, InputProblem};
pub use magic::{sniff_capture, CaptureFormat};
pub use packet::linktype_supported;
pub use plain::PlainPcap;
pub use read_ahead::{read_ahead, ReadAhead};
pub use window::{parse_time_bound, TimeWindow};

use crate::record::{QuotedFlow, Timestamp};
use std::io::Read;
use std::net::IpAddr;

/// Largest pcap record or pcapng block accepted (16 MiB). A record/block claiming more is a
/// clear error ([`CaptureError::TooLarge`]) and is never allocated; the read buffer starts at
/// 1 MiB and only grows (up to this bound) for a block that really is that large.
pub const MAX_BLOCK_LEN: usize = 16 << 20;

/// Why a capture could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    /// The file could not be opened.
    #[error("cannot open {path}: {source}")]
    Open {
        /// Path given.
        path: String,
        /// OS error.
        #[source]
        source: std::io::Error,
    },
    /// Reading failed (also: a corrupt gzip stream).
    #[error("read error: {0}")]
    Io(#[from] std::io::Error),
    /// The input is empty or too short to hold a file header.
    #[error("input too short ({len} bytes) to be a pcap or pcapng file")]
    Empty {
        /// Bytes available.
        len: usize,
    },
    /// The first bytes are not a pcap, pcapng or gzip magic.
    #[error("not a pcap or pcapng file (magic {:02x} {:02x} {:02x} {:02x})", magic[0], magic[1], magic[2], magic[3])]
    BadMagic {
        /// The first four bytes.
        magic: [u8; 4],
    },
    /// The file header is unreadable.
    #[error("unreadable capture file header: {what}")]
    Header {
        /// What was wrong.
        what: String,
    },
    /// A record or block claims more than [`MAX_BLOCK_LEN`] bytes.
    #[error("record/block at byte {offset} claims {claimed} bytes, more than the {limit}-byte limit (corrupt file?)")]
    TooLarge {
        /// Byte offset of the record/block in the (decompressed) input.
        offset: u64,
        /// Length claimed.
        claimed: u64,
        /// The limit.
        limit: u64,
    },
    /// The input ends in the middle of a record/block.
    #[error("truncated capture at byte {offset}: {what}")]
    Truncated {
        /// Byte offset of the incomplete record/block.
        offset: u64,
        /// What was cut off (which record or block, how many bytes were missing).
        what: String,
    },
    /// A record/block is structurally invalid.
    #[error("corrupt capture at byte {offset}: {what}")]
    Corrupt {
        /// Byte offset of the record/block.
        offset: u64,
        /// What is wrong with it.
        what: String,
    },
}

/// Read one capture from `input`, handing every IKE/ESP/NAT-keepalive/ICMP-error datagram and
/// every ingest event to `sink`, in capture order.
///
/// Error policy:
/// - An input that is empty, has a bad magic (not pcap, pcapng or gzip) or an unreadable file
///   header is an `Err`.
/// - A problem in the middle of the file (truncated last record, a record/block claiming more than
///   [`MAX_BLOCK_LEN`], a structurally invalid block, a read or gzip error) **after at least one
///   frame was read** is reported as [`IngestEvent::Malformed`] (frame = the number the unreadable
///   frame would have had, offset 0, `what` says what and where) and reading of this file stops
///   gracefully: pending reassemblies are reported and `Ok(stats)` is returned with
///   `stats.stopped_early` set. If no frame at all could be read, the same problem is an `Err`.
/// - Problems inside a frame (bad IP header, short UDP, …) are [`IngestEvent::Malformed`] and the
///   next frame is read.
///
/// gzip-compressed input is also recognised here by its magic, in case `input` did not come from
/// [`open_input`].
pub fn read_capture(
    input: Box<dyn Read + Send>,
    opts: &IngestOptions,
    sink: &mut dyn DatagramSink,
) -> Result<InputStats, CaptureError> {
    file::read_capture(input, opts, sink)
}

/// Options for reading captures.
#[derive(Clone, Debug, Default)]
pub struct IngestOptions {
    /// Extra UDP ports on which IKE is expected (besides 500 and 4500).
    pub ike_ports: Vec<u16>,
    /// Only frames captured inside this window are read (`--since` / `--until`).
    pub window: TimeWindow,
    /// Read the file on a thread of its own ([`read_ahead`]), for a core that would idle.
    pub read_ahead: bool,
}

/// What a UDP/IP payload of interest carries.
#[derive(Clone, Copy, Debug)]
pub enum Content<'a> {
    /// An IKE message (bytes start at the ISAKMP header; the non-ESP marker is stripped).
    Ike {
        /// UDP source port.
        sport: u16,
        /// UDP destination port.
        dport: u16,
        /// A 4-byte zero non-ESP marker preceded the message.
        non_esp_marker: bool,
        /// The IKE message bytes as captured (may be shorter than the header length if truncated).
        data: &'a [u8],
    },
    /// An ESP packet.
    Esp {
        /// UDP ports when UDP-encapsulated.
        ports: Option<(u16, u16)>,
        /// SPI from the ESP header.
        spi: u32,
        /// Sequence number.
        seq: u32,
        /// Bytes of ESP (UDP length - 8, or IP payload length for protocol 50).
        length: u32,
        /// The captured ESP bytes (from the SPI on; may be cut short by the snaplen).
        data: &'a [u8],
    },
    /// A NAT-T keepalive (single 0xFF byte on UDP 4500).
    NatKeepalive {
        /// UDP source port.
        sport: u16,
        /// UDP destination port.
        dport: u16,
    },
    /// An ICMP/ICMPv6 error quoting an IKE/ESP packet.
    IcmpError {
        /// 4 or 6.
        version: u8,
        /// ICMP type.
        icmp_type: u8,
        /// ICMP code.
        code: u8,
        /// MTU from frag-needed / packet-too-big.
        mtu: Option<u32>,
        /// The quoted flow.
        quoted: QuotedFlowRef,
    },
}

/// Copyable form of [`QuotedFlow`] used on the hot path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuotedFlowRef {
    /// Quoted source.
    pub src: IpAddr,
    /// Quoted destination.
    pub dst: IpAddr,
    /// Quoted UDP ports.
    pub ports: Option<(u16, u16)>,
    /// Quoted IP protocol.
    pub proto: u8,
    /// ESP SPI when the quoted packet is ESP.
    pub esp_spi: Option<u32>,
    /// IKE SPIs when the quoted packet is IKE and long enough.
    pub ike_spis: Option<([u8; 8], [u8; 8])>,
}

impl QuotedFlowRef {
    /// Owned record form.
    pub fn to_record(&self) -> QuotedFlow {
        QuotedFlow {
            src: self.src,
            dst: self.dst,
            sport: self.ports.map(|p| p.0),
            dport: self.ports.map(|p| p.1),
            proto: self.proto,
            esp_spi: self.esp_spi,
            ike_spis: self
                .ike_spis
                .map(|(i, r)| (crate::record::Spi8(i), crate::record::Spi8(r))),
        }
    }
}

/// One IKE/ESP/keepalive/ICMP-error datagram found in a capture.
#[derive(Clone, Debug)]
pub struct Datagram<'a> {
    /// 1-based frame number (last fragment's frame for reassembled datagrams).
    pub frame: u64,
    /// Frame timestamp.
    pub time: Timestamp,
    /// The frame was shorter than its original length.
    pub truncated: bool,
    /// IP source.
    pub src: IpAddr,
    /// IP destination.
    pub dst: IpAddr,
    /// Total IP datagram length as it travelled (from the IP header, after reassembly).
    pub ip_length: u32,
    /// Frames of the fragments when reassembled from IP fragments.
    pub fragment_frames: Option<&'a [u64]>,
    /// IPv4 TTL / IPv6 hop limit as captured (of the completing fragment when reassembled).
    pub ttl: u8,
    /// The payload.
    pub content: Content<'a>,
}

/// A packet in the clear that is neither IKE nor ESP (see [`DatagramSink::clear`]).
#[derive(Clone, Copy, Debug)]
pub struct ClearPacket<'a> {
    /// 1-based frame number.
    pub frame: u64,
    /// Frame timestamp.
    pub time: Timestamp,
    /// IP source.
    pub src: IpAddr,
    /// IP destination.
    pub dst: IpAddr,
    /// Total IP length as it travelled.
    pub ip_length: u32,
    /// IP protocol (6 TCP, 1 ICMP, 58 ICMPv6).
    pub proto: u8,
    /// Declared length of the transport part (from the IP header).
    pub declared: u32,
    /// The transport bytes as captured.
    pub data: &'a [u8],
}

/// A problem found while reading a capture that does not stop the reading.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IngestEvent {
    /// A frame could not be decoded at some layer.
    Malformed {
        /// 1-based frame.
        frame: u64,
        /// Byte offset within the frame.
        offset: usize,
        /// What was wrong.
        what: String,
    },
    /// An IP datagram whose fragments never all arrived (expired or evicted).
    IncompleteReassembly {
        /// Frames of the fragments that did arrive.
        frames: Vec<u64>,
        /// Time of the first fragment.
        first_time: Timestamp,
        /// Source address.
        src: IpAddr,
        /// Destination address.
        dst: IpAddr,
        /// IP protocol of the datagram.
        proto: u8,
        /// UDP ports, when the first fragment (offset 0) was seen.
        ports: Option<(u16, u16)>,
        /// Bytes received.
        bytes_seen: u32,
        /// Total length, when the last fragment was seen.
        total_len: Option<u32>,
    },
    /// A link type this tool does not decode (frames of that interface are skipped).
    UnsupportedLinkType {
        /// First frame with it.
        frame: u64,
        /// The DLT/LINKTYPE number.
        linktype: u32,
    },
}

/// Receiver of ingest output, called in capture order.
pub trait DatagramSink {
    /// A datagram of interest.
    fn datagram(&mut self, d: &Datagram<'_>);
    /// A TCP segment, or an ICMP error about something other than IKE/ESP, in the clear: on a
    /// gateway's own capture, the tunnel's inner traffic. Ignored unless a sink wants it.
    fn clear(&mut self, _p: &ClearPacket<'_>) {}
    /// A non-fatal problem.
    fn event(&mut self, e: &IngestEvent);
    /// The frame is an IP fragment of interest, fed to reassembly; called only by a decoder
    /// reading part of a capture (see [`PlainPcap::read_part`]).
    fn fragment(&mut self) {}
}

/// Per-file counters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InputStats {
    /// Frames read.
    pub packets: u64,
    /// Bytes of the file consumed (after decompression).
    pub bytes: u64,
    /// IKE datagrams.
    pub ike_packets: u64,
    /// ESP datagrams.
    pub esp_packets: u64,
    /// Frames reported malformed.
    pub malformed: u64,
    /// NAT-T keepalives.
    pub nat_keepalives: u64,
    /// ICMP errors quoting IKE/ESP.
    pub icmp_errors: u64,
    /// Frames cut by the snaplen (captured length < original length).
    pub truncated_frames: u64,
    /// Frames skipped because their link type is not supported.
    pub unsupported_frames: u64,
    /// UDP/ESP/AH IP fragments seen.
    pub ip_fragments: u64,
    /// IP datagrams reassembled from fragments (IKE/NAT-T/ESP ones).
    pub reassembled: u64,
    /// IP datagrams reported as [`IngestEvent::IncompleteReassembly`].
    pub incomplete_reassemblies: u64,
    /// Frames dropped because their time is outside the `--since` / `--until` window (they
    /// are also counted in `packets`).
    pub outside_window: u64,
    /// Reading stopped before the end of the file because of a framing problem.
    pub stopped_early: bool,
}
