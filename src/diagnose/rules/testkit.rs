//! Hand-built IKE messages and models for the rules' unit tests.

use crate::capture::IngestEvent;
use crate::diagnose::Finding;
use crate::reconstruct::{Collected, Model, Phase};
use crate::record::{IkeDecryption, IkeInfo, InnerInfo, Kind, Record, Spi8, Timestamp, TrafficSelector};
use ikescope_parsers::iana::{ExchangeType, NotifyType, PayloadType};
use std::net::IpAddr;

/// The initiator of every hand-built negotiation.
pub const I: &str = "192.0.2.1";
/// The responder.
pub const R: &str = "198.51.100.1";

/// An address.
pub fn ip(s: &str) -> IpAddr {
    s.parse().expect("address")
}

/// One hand-built IKE message.
pub struct Msg {
    /// The record being built.
    pub rec: Record,
}

impl Msg {
    /// A message of IKE `version` and `exchange` at `secs` from `src` to `dst`; `from_initiator`
    /// is the IKEv2 I flag / the IKEv1 initiator side. Its digest is `digest` (equal digests in
    /// one exchange and direction are retransmissions).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        version: u8,
        exchange: ExchangeType,
        secs: f64,
        src: &str,
        dst: &str,
        from_initiator: bool,
        response: bool,
        digest: u64,
    ) -> Msg {
        let info = IkeInfo {
            version,
            exchange,
            initiator: from_initiator,
            response: version == 2 && response,
            spi_i: Spi8([7; 8]),
            spi_r: Spi8(if exchange == ExchangeType::IKE_SA_INIT && !response {
                [0; 8]
            } else {
                [8; 8]
            }),
            length: 300,
            digest,
            ..IkeInfo::default()
        };
        Msg {
            rec: Record {
                file_index: 0,
                frame: 0,
                time: Timestamp((secs * 1e9) as i64),
                src: ip(src),
                dst: ip(dst),
                sport: Some(500),
                dport: Some(500),
                kind: Kind::Ike,
                truncated: false,
                ip_fragment_frames: None,
                ip_length: 328,
                ttl: 64,
                non_esp_marker: false,
                ike: Some(Box::new(info)),
                esp: None,
                icmp: None,
                problems: Vec::new(),
            },
        }
    }

    /// Set the message ID.
    pub fn mid(mut self, id: u32) -> Msg {
        self.info().message_id = id;
        self
    }

    /// Set the top-level payloads (and for IKEv2 the SK body's first payload).
    pub fn payloads(mut self, p: &[PayloadType], sk_inner_first: Option<PayloadType>) -> Msg {
        let info = self.info();
        info.payloads = p.to_vec();
        info.sk_inner_first = sk_inner_first;
        info.encrypted = info.encrypted || sk_inner_first.is_some();
        self
    }

    /// Set the captured TTL / hop limit.
    pub fn ttl(mut self, ttl: u8) -> Msg {
        self.rec.ttl = ttl;
        self
    }

    /// Mark the message encrypted (IKEv1 E flag).
    pub fn encrypted(mut self) -> Msg {
        self.info().encrypted = true;
        self
    }

    /// Put the message in IKE SA `n`: initiator SPI `n`, responder SPI `n` with its top bit set
    /// (zero in an IKE_SA_INIT request). Messages are in one SA (SPIs 0707.., 0808..) unless
    /// told otherwise.
    pub fn sa(mut self, n: u64) -> Msg {
        let info = self.info();
        info.spi_i = Spi8(n.to_be_bytes());
        if !info.spi_r.is_zero() {
            info.spi_r = Spi8((n | 1 << 63).to_be_bytes());
        }
        self
    }

    /// Set the IKE message length (header included) in bytes; 300 unless told.
    pub fn length(mut self, bytes: u32) -> Msg {
        self.info().length = bytes;
        self
    }

    /// Cleartext Notify payloads of these types.
    pub fn notify(mut self, types: &[NotifyType]) -> Msg {
        let info = self.info();
        info.payloads.push(if info.version == 1 {
            PayloadType::V1_N
        } else {
            PayloadType::V2_N
        });
        info.notify.extend_from_slice(types);
        self
    }

    /// The encrypted body as a key table opened it (IKEv2: also the SK body's first payload).
    pub fn decrypted(mut self, inner: InnerInfo) -> Msg {
        let info = self.info();
        info.encrypted = true;
        if info.version == 2 {
            info.sk_inner_first = inner.payloads.first().copied();
        }
        info.decryption = Some(IkeDecryption::Ok);
        info.decrypted = Some(Box::new(inner));
        self
    }

    fn info(&mut self) -> &mut IkeInfo {
        self.rec.ike.as_deref_mut().expect("ike")
    }
}

/// The model of these messages (frames numbered in order) and incomplete reassemblies.
pub fn model(msgs: Vec<Msg>, incomplete: Vec<IngestEvent>) -> Model {
    use crate::decode::RecordSink;
    let mut data = Collected::new(vec!["hand-made".into()]);
    for (i, m) in msgs.into_iter().enumerate() {
        let mut r = m.rec;
        r.frame = i as u64 + 1;
        data.record(r);
    }
    data.incomplete = incomplete.into_iter().map(|e| (0, e)).collect();
    Model::build(data)
}

/// The findings of [`model`].
pub fn findings(msgs: Vec<Msg>, incomplete: Vec<IngestEvent>) -> Vec<Finding> {
    crate::diagnose::diagnose(&model(msgs, incomplete))
}

/// A first IP fragment of a UDP 500 datagram from `src` to `dst` whose other fragments never
/// arrived.
pub fn first_fragment_only(frame: u64, secs: f64, src: &str, dst: &str) -> IngestEvent {
    IngestEvent::IncompleteReassembly {
        frames: vec![frame],
        first_time: Timestamp((secs * 1e9) as i64),
        src: ip(src),
        dst: ip(dst),
        proto: 17,
        ports: Some((500, 500)),
        bytes_seen: 1480,
        total_len: None,
    }
}

/// IKEv2 IKE_SA_INIT request and its answer with an SA payload, at `secs`.
pub fn ike_sa_init(secs: f64) -> Vec<Msg> {
    vec![
        Msg::new(2, ExchangeType::IKE_SA_INIT, secs, I, R, true, false, 1).payloads(
            &[PayloadType::V2_SA, PayloadType::V2_KE, PayloadType::V2_NONCE],
            None,
        ),
        Msg::new(2, ExchangeType::IKE_SA_INIT, secs + 0.01, R, I, false, true, 2).payloads(
            &[PayloadType::V2_SA, PayloadType::V2_KE, PayloadType::V2_NONCE],
            None,
        ),
    ]
}

/// A traffic selector of `payload` (TSi or TSr) from `first` to `last`, any protocol and port.
pub fn ts(payload: PayloadType, first: &str, last: &str) -> TrafficSelector {
    TrafficSelector {
        payload,
        start: ip(first),
        end: ip(last),
        protocol: 0,
        start_port: 0,
        end_port: 65535,
    }
}

/// An IKEv2 tunnel from `gw` to `peer` brought up at `secs` in IKE SA `sa`: IKE_SA_INIT, then
/// IKE_AUTH whose decrypted response agrees on the selectors `tsi` and `tsr` (first and last
/// address of each).
pub fn tunnel_up(secs: f64, gw: &str, peer: &str, sa: u64, tsi: (&str, &str), tsr: (&str, &str)) -> Vec<Msg> {
    let init = [PayloadType::V2_SA, PayloadType::V2_KE, PayloadType::V2_NONCE];
    let auth = |id: PayloadType, ts: Vec<TrafficSelector>| InnerInfo {
        payloads: vec![
            id,
            PayloadType::V2_AUTH,
            PayloadType::V2_SA,
            PayloadType::V2_TSI,
            PayloadType::V2_TSR,
        ],
        traffic_selectors: ts,
        ..InnerInfo::default()
    };
    let agreed = vec![
        ts(PayloadType::V2_TSI, tsi.0, tsi.1),
        ts(PayloadType::V2_TSR, tsr.0, tsr.1),
    ];
    let sk = [PayloadType::V2_SK];
    // Distinct digests: equal ones in one capture are copies of one message, kept once.
    let d = sa.wrapping_mul(4);
    let (ini, resp) = ((gw, peer, true, false), (peer, gw, false, true));
    let msg = |exchange, at: f64, (src, dst, from_initiator, response), digest| {
        Msg::new(2, exchange, secs + at, src, dst, from_initiator, response, digest).sa(sa)
    };
    vec![
        msg(ExchangeType::IKE_SA_INIT, 0.0, ini, d).payloads(&init, None),
        msg(ExchangeType::IKE_SA_INIT, 0.001, resp, d + 1).payloads(&init, None),
        msg(ExchangeType::IKE_AUTH, 0.002, ini, d + 2)
            .mid(1)
            .payloads(&sk, None)
            .decrypted(auth(PayloadType::V2_IDI, Vec::new())),
        msg(ExchangeType::IKE_AUTH, 0.003, resp, d + 3)
            .mid(1)
            .payloads(&sk, None)
            .decrypted(auth(PayloadType::V2_IDR, agreed)),
    ]
}

/// IKEv1 Main Mode messages 1 to `n` (at most 6), alternating from the initiator, 10 ms apart;
/// messages 5 and 6 encrypted.
pub fn main_mode(n: u32) -> Vec<Msg> {
    (1..=n.min(6))
        .map(|k| {
            let from_initiator = k % 2 == 1;
            let (src, dst) = if from_initiator { (I, R) } else { (R, I) };
            let secs = 0.01 * f64::from(k - 1);
            let m = Msg::new(
                1,
                ExchangeType::MAIN_MODE,
                secs,
                src,
                dst,
                from_initiator,
                false,
                u64::from(k),
            );
            if k >= 5 {
                m.encrypted()
            } else {
                m
            }
        })
        .collect()
}

/// The failure findings as (kind, phase).
pub fn failures(f: &[Finding]) -> Vec<(&'static str, Option<&'static str>)> {
    f.iter()
        .filter(|x| x.is_failure())
        .map(|x| (x.kind.as_str(), x.phase.map(Phase::as_str)))
        .collect()
}

/// The one finding of `kind` (panics, showing them all, when there is none or several).
pub fn the<'f>(f: &'f [Finding], kind: &str) -> &'f Finding {
    let mut of_kind = f.iter().filter(|x| x.kind.as_str() == kind);
    match (of_kind.next(), of_kind.next()) {
        (Some(x), None) => x,
        _ => panic!("not exactly one {kind} finding: {f:#?}"),
    }
}

/// The frames a finding shows as evidence, in its order.
pub fn frames(f: &Finding) -> Vec<u64> {
    f.evidence.iter().map(|e| e.frame).collect()
}
