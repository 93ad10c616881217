//! Collecting on a core of its own: the thread that parses frames hands what it decodes, in
//! capture order, to a thread that feeds the real [`RecordSink`], in batches through a bounded
//! channel. On a gateway capture (mostly ESP) the two halves cost about the same (framing and
//! demultiplexing on one side, the ESP flow table and throughput series on the other), so one
//! large capture keeps two cores busy. The sink sees exactly the calls it would have seen
//! directly, in the same order, so the result cannot differ; memory is bounded by
//! [`DEPTH`] + 2 batches of [`BATCH`] items, whatever the capture's size.

use super::inner_packet::InnerPacket;
use super::sink::{EspSample, RecordSink};
use crate::capture::IngestEvent;
use crate::record::{EspInfo, Record, Timestamp};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TryRecvError};

/// Items per batch: large enough that the channel costs nothing per packet, small enough
/// (≈ 0.2 MB) to stay in a core's cache.
pub const BATCH: usize = 4096;
/// Full batches waiting for the collector at most; the parsing thread blocks beyond that.
pub const DEPTH: usize = 4;

/// An ESP sample of the common kind (IPv4 outer addresses, not decrypted) in 40 bytes instead
/// of an [`EspSample`]'s 128: the parsing thread writes, and the collecting thread reads, one
/// of these per packet of a gateway capture, and that traffic between the cores is what the
/// handoff costs.
#[derive(Clone, Copy, Debug)]
struct PackedEsp4 {
    frame: u64,
    time: i64,
    src: u32,
    dst: u32,
    spi: u32,
    seq: u32,
    length: u32,
    file_index: u16,
    udp_encap: bool,
    fragmented: bool,
}

impl PackedEsp4 {
    /// The packed form, when `s` has one.
    #[inline]
    fn pack(s: &EspSample) -> Option<PackedEsp4> {
        let (IpAddr::V4(src), IpAddr::V4(dst)) = (s.src, s.dst) else {
            return None;
        };
        if s.esp.decrypted.is_some() || s.esp.decryption.is_some() {
            return None;
        }
        Some(PackedEsp4 {
            frame: s.frame,
            time: s.time.0,
            src: u32::from(src),
            dst: u32::from(dst),
            spi: s.esp.spi,
            seq: s.esp.seq,
            length: s.esp.length,
            file_index: u16::try_from(s.file_index).ok()?,
            udp_encap: s.esp.udp_encap,
            fragmented: s.fragmented,
        })
    }

    /// The sample it was packed from.
    #[inline]
    fn unpack(&self) -> EspSample {
        EspSample {
            file_index: usize::from(self.file_index),
            frame: self.frame,
            time: Timestamp(self.time),
            src: IpAddr::V4(Ipv4Addr::from(self.src)),
            dst: IpAddr::V4(Ipv4Addr::from(self.dst)),
            esp: EspInfo {
                spi: self.spi,
                seq: self.seq,
                udp_encap: self.udp_encap,
                length: self.length,
                decrypted: None,
                decryption: None,
            },
            fragmented: self.fragmented,
        }
    }
}

/// One call on the sink, carried to the collecting thread. The rare, large ones are boxed so
/// that the common one (a packed ESP sample) keeps batches small.
enum Call {
    Esp4(PackedEsp4),
    /// The next sample of [`Batch::esp`] (one that does not pack).
    Esp,
    Record(Box<Record>),
    Inner(Box<InnerPacket>),
    Event(usize, Box<IngestEvent>),
}

/// Calls in order, and the ESP samples that did not pack, in order.
#[derive(Default)]
struct Batch {
    calls: Vec<Call>,
    esp: Vec<EspSample>,
}

impl Batch {
    fn new() -> Batch {
        Batch {
            calls: Vec::with_capacity(BATCH),
            esp: Vec::new(),
        }
    }

    /// Make the calls on `sink`, in order, leaving the batch empty for reuse.
    fn deliver(&mut self, sink: &mut impl RecordSink) {
        let mut esp = self.esp.drain(..);
        for call in self.calls.drain(..) {
            match call {
                Call::Esp4(p) => sink.esp(&p.unpack()),
                Call::Esp => {
                    if let Some(s) = esp.next() {
                        sink.esp(&s);
                    }
                }
                Call::Record(r) => sink.record(*r),
                Call::Inner(p) => sink.inner(*p),
                Call::Event(i, e) => sink.event(i, &e),
            }
        }
    }
}

/// The parsing thread's side: a [`RecordSink`] that batches the calls.
struct Handoff {
    batch: Batch,
    full: SyncSender<Batch>,
    spare: Receiver<Batch>,
    esp_only: bool,
    wants_inner: bool,
}

impl Handoff {
    fn push(&mut self, call: Call) {
        self.batch.calls.push(call);
        if self.batch.calls.len() >= BATCH {
            self.send();
        }
    }

    fn send(&mut self) {
        let next = self.spare.try_recv().unwrap_or_else(|_| Batch::new());
        let full = std::mem::replace(&mut self.batch, next);
        // the collector only goes away when this side has finished (or it panicked, which the
        // scope reports); a failed send then has nothing left to deliver to
        let _ = self.full.send(full);
    }
}

impl RecordSink for Handoff {
    fn record(&mut self, record: Record) {
        self.push(Call::Record(Box::new(record)));
    }
    fn esp_only(&self) -> bool {
        self.esp_only
    }
    fn esp(&mut self, sample: &EspSample) {
        match PackedEsp4::pack(sample) {
            Some(p) => self.push(Call::Esp4(p)),
            None => {
                self.batch.esp.push(*sample);
                self.push(Call::Esp);
            }
        }
    }
    fn wants_inner(&self) -> bool {
        self.wants_inner
    }
    fn inner(&mut self, packet: InnerPacket) {
        self.push(Call::Inner(Box::new(packet)));
    }
    fn event(&mut self, file_index: usize, event: &IngestEvent) {
        self.push(Call::Event(file_index, Box::new(event.clone())));
    }
}

/// Run `produce` (the reading and decoding of an input) on this thread while `sink` is fed on
/// a second thread. `sink`'s answers to [`RecordSink::esp_only`] and
/// [`RecordSink::wants_inner`] are read once, before the start: they must not change during
/// the run (they do not for a collector). The collecting thread calls `help` whenever no batch
/// is waiting for it, before it waits for one: `help` does some of the parsing thread's work
/// ahead of it (reads its file: [`crate::capture::shared_read`]) and says whether it found any
/// to do (`|| false` when there is nothing to help with).
pub fn collect_on_own_thread<S, R>(
    sink: &mut S,
    mut help: impl FnMut() -> bool + Send,
    produce: impl FnOnce(&mut dyn RecordSink) -> R,
) -> R
where
    S: RecordSink + Send,
{
    let (full_tx, full_rx) = sync_channel::<Batch>(DEPTH);
    let (spare_tx, spare_rx) = sync_channel::<Batch>(DEPTH + 2);
    let esp_only = sink.esp_only();
    let wants_inner = sink.wants_inner();
    std::thread::scope(|scope| {
        scope.spawn(move || loop {
            let mut batch = match full_rx.try_recv() {
                Ok(batch) => batch,
                Err(TryRecvError::Disconnected) => break,
                Err(TryRecvError::Empty) => {
                    if help() {
                        continue;
                    }
                    match full_rx.recv() {
                        Ok(batch) => batch,
                        Err(_) => break,
                    }
                }
            };
            batch.deliver(sink);
            let _ = spare_tx.try_send(batch);
        });
        let mut handoff = Handoff {
            batch: Batch::new(),
            full: full_tx,
            spare: spare_rx,
            esp_only,
            wants_inner,
        };
        let result = produce(&mut handoff);
        if !handoff.batch.calls.is_empty() {
            handoff.send();
        }
        // dropping the sender ends the collector's loop; the scope then waits for it
        drop(handoff);
        result
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::EspDecryption;

    /// Records every call it receives, by kind and frame.
    #[derive(Default)]
    struct Log(Vec<(char, u64)>);

    impl RecordSink for Log {
        fn record(&mut self, record: Record) {
            self.0.push(('r', record.frame));
        }
        fn esp_only(&self) -> bool {
            true
        }
        fn esp(&mut self, sample: &EspSample) {
            self.0.push(('e', sample.frame));
        }
        fn event(&mut self, file_index: usize, _event: &IngestEvent) {
            self.0.push(('v', file_index as u64));
        }
    }

    fn sample(frame: u64) -> EspSample {
        EspSample {
            file_index: 0,
            frame,
            time: Timestamp(frame as i64),
            src: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
            dst: IpAddr::V4(Ipv4Addr::new(198, 51, 100, 1)),
            esp: EspInfo {
                spi: 0x1234,
                seq: frame as u32,
                udp_encap: false,
                length: 100,
                decrypted: None,
                decryption: None,
            },
            fragmented: false,
        }
    }

    #[test]
    fn every_call_arrives_once_in_order_across_many_batches() {
        let mut log = Log::default();
        let n = (BATCH * (DEPTH + 3) + 17) as u64;
        let answer = collect_on_own_thread(
            &mut log,
            || false,
            |sink| {
                assert!(sink.esp_only(), "the sink's answer is passed on");
                for frame in 1..=n {
                    if frame % 1000 == 0 {
                        sink.event(
                            7,
                            &IngestEvent::Malformed {
                                frame,
                                offset: 0,
                                what: "test".into(),
                            },
                        );
                    }
                    sink.esp(&sample(frame));
                }
                42
            },
        );
        assert_eq!(answer, 42);
        let esp: Vec<u64> = log.0.iter().filter(|c| c.0 == 'e').map(|c| c.1).collect();
        assert_eq!(esp, (1..=n).collect::<Vec<u64>>());
        let events = log.0.iter().filter(|c| c.0 == 'v').count() as u64;
        assert_eq!(events, n / 1000);
        // each event sits right before the ESP sample of its frame
        let first_event = log.0.iter().position(|c| c.0 == 'v').unwrap();
        assert_eq!(log.0[first_event + 1], ('e', 1000));
    }

    /// Keeps every ESP sample it receives, whole.
    #[derive(Default)]
    struct Samples(Vec<String>);

    impl RecordSink for Samples {
        fn record(&mut self, _record: Record) {}
        fn esp(&mut self, sample: &EspSample) {
            self.0.push(format!("{sample:?}"));
        }
        fn event(&mut self, _file_index: usize, _event: &IngestEvent) {}
    }

    #[test]
    fn samples_arrive_whole_whether_they_pack_or_not() {
        let mut sent = Vec::new();
        for frame in 1..=3 * BATCH as u64 {
            let mut s = sample(frame);
            s.file_index = (frame % 3) as usize;
            s.esp.udp_encap = frame % 2 == 0;
            s.fragmented = frame % 5 == 0;
            s.esp.seq = u32::MAX - frame as u32;
            s.time = Timestamp(-(frame as i64) * 1_000_000_007);
            match frame % 7 {
                // outer IPv6: does not pack
                0 => s.dst = "2001:db8::1".parse().unwrap(),
                // a decryption result: does not pack
                1 => s.esp.decryption = Some(EspDecryption::WrongKey),
                // a file index beyond 16 bits: does not pack
                2 => s.file_index = 70_000,
                _ => {}
            }
            sent.push(s);
        }
        let mut got = Samples::default();
        collect_on_own_thread(
            &mut got,
            || false,
            |sink| {
                for s in &sent {
                    sink.esp(s);
                }
            },
        );
        let sent: Vec<String> = sent.iter().map(|s| format!("{s:?}")).collect();
        assert_eq!(got.0, sent);
        // the common sample is carried in 48 bytes, not 128
        assert!(
            std::mem::size_of::<Call>() <= 48,
            "{}",
            std::mem::size_of::<Call>()
        );
        assert!(PackedEsp4::pack(&sample(1)).is_some());
    }

    #[test]
    fn nothing_produced_means_nothing_delivered() {
        let mut log = Log::default();
        collect_on_own_thread(&mut log, || false, |_| ());
        assert!(log.0.is_empty());
    }
}
