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
use crate::record::Record;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

/// Items per batch: large enough that the channel costs nothing per packet, small enough
/// (≈ 0.4 MB) to stay in a core's cache.
pub const BATCH: usize = 4096;
/// Full batches waiting for the collector at most; the parsing thread blocks beyond that.
pub const DEPTH: usize = 4;

/// One call on the sink, carried to the collecting thread. The rare, large ones are boxed so
/// that the common one (an ESP sample) keeps batches small.
enum Call {
    Esp(EspSample),
    Record(Box<Record>),
    Inner(Box<InnerPacket>),
    Event(usize, Box<IngestEvent>),
}

/// The parsing thread's side: a [`RecordSink`] that batches the calls.
struct Handoff {
    batch: Vec<Call>,
    full: SyncSender<Vec<Call>>,
    spare: Receiver<Vec<Call>>,
    esp_only: bool,
    wants_inner: bool,
}

impl Handoff {
    fn push(&mut self, call: Call) {
        self.batch.push(call);
        if self.batch.len() >= BATCH {
            self.send();
        }
    }

    fn send(&mut self) {
        let next = self
            .spare
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(BATCH));
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
        self.push(Call::Esp(*sample));
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
/// the run (they do not for a collector).
pub fn collect_on_own_thread<S, R>(sink: &mut S, produce: impl FnOnce(&mut dyn RecordSink) -> R) -> R
where
    S: RecordSink + Send,
{
    let (full_tx, full_rx) = sync_channel::<Vec<Call>>(DEPTH);
    let (spare_tx, spare_rx) = sync_channel::<Vec<Call>>(DEPTH + 2);
    let esp_only = sink.esp_only();
    let wants_inner = sink.wants_inner();
    std::thread::scope(|scope| {
        scope.spawn(move || {
            for mut batch in full_rx {
                for call in batch.drain(..) {
                    match call {
                        Call::Esp(s) => sink.esp(&s),
                        Call::Record(r) => sink.record(*r),
                        Call::Inner(p) => sink.inner(*p),
                        Call::Event(i, e) => sink.event(i, &e),
                    }
                }
                let _ = spare_tx.try_send(batch);
            }
        });
        let mut handoff = Handoff {
            batch: Vec::with_capacity(BATCH),
            full: full_tx,
            spare: spare_rx,
            esp_only,
            wants_inner,
        };
        let result = produce(&mut handoff);
        if !handoff.batch.is_empty() {
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
    use crate::record::{EspInfo, Timestamp};
    use std::net::{IpAddr, Ipv4Addr};

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
        let answer = collect_on_own_thread(&mut log, |sink| {
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
        });
        assert_eq!(answer, 42);
        let esp: Vec<u64> = log.0.iter().filter(|c| c.0 == 'e').map(|c| c.1).collect();
        assert_eq!(esp, (1..=n).collect::<Vec<u64>>());
        let events = log.0.iter().filter(|c| c.0 == 'v').count() as u64;
        assert_eq!(events, n / 1000);
        // each event sits right before the ESP sample of its frame
        let first_event = log.0.iter().position(|c| c.0 == 'v').unwrap();
        assert_eq!(log.0[first_event + 1], ('e', 1000));
    }

    #[test]
    fn nothing_produced_means_nothing_delivered() {
        let mut log = Log::default();
        collect_on_own_thread(&mut log, |_| ());
        assert!(log.0.is_empty());
    }
}
