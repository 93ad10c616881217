//! A tunnel that stays up for weeks: 100,000 answered liveness checks (DPD every 10 s), then a
//! check that goes unanswered. Memory must follow the live state, not the capture: the answered
//! checks are counted, not kept; the model still knows the SA was alive until the last answer,
//! and the unanswered check is still the evidence it was.

use ikescope::decode::RecordSink;
use ikescope::reconstruct::{Collected, ExchangeKind, Model};
use ikescope::record::{IkeInfo, Kind, Record, Spi8, Timestamp};
use ikescope_parsers::iana::{ExchangeType, PayloadType};
use std::net::IpAddr;

const GW: &str = "192.0.2.1";
const PEER: &str = "198.51.100.1";
const CHECKS: u32 = 100_000;

/// One IKEv2 message of the SA (SPIs fixed), `secs` after the start.
fn msg(
    frame: u64,
    secs: i64,
    from_initiator: bool,
    exchange: ExchangeType,
    mid: u32,
    response: bool,
    inner: PayloadType,
) -> Record {
    let (src, dst) = if from_initiator { (GW, PEER) } else { (PEER, GW) };
    let info = IkeInfo {
        version: 2,
        exchange,
        initiator: from_initiator,
        response,
        encrypted: exchange != ExchangeType::IKE_SA_INIT,
        spi_i: Spi8([1; 8]),
        spi_r: Spi8(if exchange == ExchangeType::IKE_SA_INIT && !response {
            [0; 8]
        } else {
            [2; 8]
        }),
        message_id: mid,
        length: 80,
        payloads: vec![if exchange == ExchangeType::IKE_SA_INIT {
            PayloadType::V2_SA
        } else {
            PayloadType::V2_SK
        }],
        sk_inner_first: (exchange != ExchangeType::IKE_SA_INIT).then_some(inner),
        digest: frame,
        ..IkeInfo::default()
    };
    Record {
        file_index: 0,
        frame,
        time: Timestamp(secs * 1_000_000_000 + frame as i64),
        src: src.parse::<IpAddr>().unwrap(),
        dst: dst.parse::<IpAddr>().unwrap(),
        sport: Some(4500),
        dport: Some(4500),
        kind: Kind::Ike,
        truncated: false,
        ip_fragment_frames: None,
        ip_length: 108,
        ttl: 64,
        non_esp_marker: true,
        ike: Some(Box::new(info)),
        esp: None,
        icmp: None,
        problems: Vec::new(),
    }
}

#[test]
fn weeks_of_dpd_are_counted_not_kept() {
    let mut c = Collected::new(vec!["long".into()]);
    let mut frame = 0;
    let next = |f: &mut u64| {
        *f += 1;
        *f
    };
    c.record(msg(
        next(&mut frame),
        0,
        true,
        ExchangeType::IKE_SA_INIT,
        0,
        false,
        PayloadType::NONE,
    ));
    c.record(msg(
        next(&mut frame),
        0,
        false,
        ExchangeType::IKE_SA_INIT,
        0,
        true,
        PayloadType::NONE,
    ));
    c.record(msg(
        next(&mut frame),
        0,
        true,
        ExchangeType::IKE_AUTH,
        1,
        false,
        PayloadType::V2_IDI,
    )); // IDi first
    c.record(msg(
        next(&mut frame),
        0,
        false,
        ExchangeType::IKE_AUTH,
        1,
        true,
        PayloadType::V2_IDR,
    )); // IDr first: up
        // DPD from the initiator every 10 s, answered at once.
    for i in 0..CHECKS {
        let t = 10 + 10 * i64::from(i);
        let mid = 2 + i;
        c.record(msg(
            next(&mut frame),
            t,
            true,
            ExchangeType::INFORMATIONAL,
            mid,
            false,
            PayloadType::NONE,
        ));
        c.record(msg(
            next(&mut frame),
            t,
            false,
            ExchangeType::INFORMATIONAL,
            mid,
            true,
            PayloadType::NONE,
        ));
    }
    // Then the peer goes silent: one check sent five times.
    let t0 = 10 + 10 * i64::from(CHECKS);
    let last_mid = 2 + CHECKS;
    for k in 0..5 {
        let mut r = msg(
            next(&mut frame),
            t0 + k,
            true,
            ExchangeType::INFORMATIONAL,
            last_mid,
            false,
            PayloadType::NONE,
        );
        r.ike.as_deref_mut().unwrap().digest = 999_999_999; // bitwise retransmissions
        c.record(r);
    }
    let model = Model::build(c);
    // Kept: 4 setup messages, the first and latest answered pairs, 5 copies of the last check.
    assert_eq!(model.data.ike.len(), 4 + 4 + 5);
    assert_eq!(model.sas.len(), 1);
    let sa = &model.sas[0];
    assert_eq!(sa.liveness_folded, u64::from(CHECKS) - 2);
    let live: Vec<_> = sa
        .exchanges
        .iter()
        .filter(|e| e.kind == ExchangeKind::Liveness)
        .collect();
    assert_eq!(live.len(), 3);
    assert!(!live[1].unanswered(), "the latest answered check is kept");
    assert_eq!(live[1].message_id, 2 + CHECKS - 1);
    assert!(live[2].unanswered() && live[2].requests.len() == 5);
    let findings = ikescope::diagnose::diagnose(&model);
    let lost: Vec<_> = findings
        .iter()
        .filter(|f| f.kind.as_str() == "no_response")
        .collect();
    assert_eq!(lost.len(), 1, "{findings:#?}");
}

/// A gateway repeats its offer in every IKE_SA_INIT: the decoded messages share one copy of
/// the proposal list (captures/dpd_flap.pcap rebuilds its IKE SA several times).
#[test]
fn repeated_offers_are_stored_once() {
    struct Gather(Vec<Record>);
    impl RecordSink for Gather {
        fn record(&mut self, r: Record) {
            self.0.push(r);
        }
        fn event(&mut self, _: usize, _: &ikescope::capture::IngestEvent) {}
    }
    let cap = concat!(env!("CARGO_MANIFEST_DIR"), "/captures/dpd_flap.pcap");
    let mut g = Gather(Vec::new());
    ikescope::app::pipeline::process_file(cap, 0, &Default::default(), None, None, &mut g).unwrap();
    let offers: Vec<_> =
        g.0.iter()
            .filter_map(|r| r.ike.as_deref())
            .filter(|i| i.exchange == ExchangeType::IKE_SA_INIT && !i.response && !i.proposals.is_empty())
            .collect();
    let spis: std::collections::HashSet<_> = offers.iter().map(|i| i.spi_i).collect();
    assert!(spis.len() >= 3, "expected several IKE SAs, found {}", spis.len());
    for o in &offers[1..] {
        assert!(std::sync::Arc::ptr_eq(&o.proposals, &offers[0].proposals));
    }
}
