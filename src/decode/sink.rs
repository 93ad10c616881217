//! Where decoded records go: the consumer interface the input driver feeds in capture order.

use crate::capture::IngestEvent;
use crate::record::{EspInfo, Record, Timestamp};
use std::net::IpAddr;

/// One ESP packet reduced to what flow accounting needs: the hot path of gateway captures,
/// which are mostly ESP, skips building a full [`Record`].
#[derive(Clone, Copy, Debug)]
pub struct EspSample {
    /// Index of the input file in the command line.
    pub file_index: usize,
    /// 1-based frame number in that file.
    pub frame: u64,
    /// Capture timestamp.
    pub time: Timestamp,
    /// Outer (tunnel endpoint) source address.
    pub src: IpAddr,
    /// Outer (tunnel endpoint) destination address.
    pub dst: IpAddr,
    /// SPI, sequence number, length and encapsulation; never decrypted here.
    pub esp: EspInfo,
    /// The packet was reassembled from IP fragments (the outer path fragmented ESP).
    pub fragmented: bool,
}

/// Consumer of decoded records and ingest events, in capture order.
pub trait RecordSink {
    /// One decoded record.
    fn record(&mut self, record: Record);
    /// True when ESP packets only need [`RecordSink::esp`] (no full record): the hot path of
    /// gateway captures, which are mostly ESP.
    fn esp_only(&self) -> bool {
        false
    }
    /// An ESP packet, when [`RecordSink::esp_only`] is true and it is not being decrypted.
    fn esp(&mut self, _sample: &EspSample) {}
    /// An ESP packet whose flow counters another collector keeps (one reading another part of
    /// the same capture, see `capture::parts`): only what is noted in capture order is wanted
    /// here (that it arrived in IP fragments).
    fn esp_counted_elsewhere(&mut self, _sample: &EspSample) {}
    /// True when packets inside tunnels are wanted ([`RecordSink::inner`]).
    fn wants_inner(&self) -> bool {
        false
    }
    /// A packet inside a tunnel: decrypted from ESP, or seen in the clear.
    fn inner(&mut self, _packet: super::inner_packet::InnerPacket) {}
    /// A non-fatal ingest problem in file `file_index`.
    fn event(&mut self, file_index: usize, event: &IngestEvent);
}
