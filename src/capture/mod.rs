//! Capture ingest: files (pcap, pcapng, gzip, stdin) → link layer → IP (with fragment
//! reassembly) → UDP/ESP/ICMP demultiplexing → [`Datagram`]s handed to a [`DatagramSink`].
//!
//! Streaming: packets are read one at a time with a bounded buffer; nothing grows with the file
//! size except bounded reassembly state.

use crate::record::{QuotedFlow, Timestamp};
use std::net::IpAddr;

/// Options for reading captures.
#[derive(Clone, Debug)]
pub struct IngestOptions {
    /// Extra UDP ports on which IKE is expected (besides 500 and 4500).
    pub ike_ports: Vec<u16>,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions { ike_ports: Vec::new() }
    }
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
        /// SPI.
        spi: u32,
        /// Sequence number.
        seq: u32,
        /// Bytes of ESP (UDP length - 8, or IP payload length for protocol 50).
        length: u32,
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
    /// The payload.
    pub content: Content<'a>,
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
    /// A non-fatal problem.
    fn event(&mut self, e: &IngestEvent);
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
}
