//! Rules checked on models built from hand-made records, for situations no capture here shows:
//! ts_overlap and ts_reserved_range on IKEv2 tunnels through gateway 192.0.2.1 whose decrypted
//! IKE_AUTH responses carry the agreed selectors, and an IKEv1 Aggressive Mode restarted after
//! message 2.

use ikescope::reconstruct::{Collected, Model, Phase};
use ikescope::record::{IkeInfo, InnerInfo, Kind, Record, Spi8, Timestamp, TrafficSelector};
use ikescope_parsers::iana::{ExchangeType, PayloadType};
use std::net::IpAddr;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[allow(clippy::too_many_arguments)]
fn ike(
    frame: u64,
    src: &str,
    dst: &str,
    spi: u8,
    exchange: ExchangeType,
    response: bool,
    payloads: Vec<PayloadType>,
    inner: Option<InnerInfo>,
) -> Record {
    let info = IkeInfo {
        version: 2,
        exchange,
        exchange_name: "",
        initiator: !response,
        response,
        encrypted: exchange != ExchangeType::IKE_SA_INIT,
        spi_i: Spi8([spi; 8]),
        spi_r: Spi8(if exchange == ExchangeType::IKE_SA_INIT && !response {
            [0; 8]
        } else {
            [spi + 1; 8]
        }),
        message_id: if exchange == ExchangeType::IKE_SA_INIT {
            0
        } else {
            1
        },
        length: 300,
        payloads,
        sk_inner_first: inner.as_ref().map(|i| i.payloads[0]),
        digest: frame,
        decryption: inner.as_ref().map(|_| ikescope::record::IkeDecryption::Ok),
        decrypted: inner.map(Box::new),
        ..IkeInfo::default()
    };
    Record {
        file_index: 0,
        frame,
        time: Timestamp(frame as i64 * 1_000_000),
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
    }
}

fn ts(payload: PayloadType, a: &str, b: &str) -> TrafficSelector {
    TrafficSelector {
        payload,
        start: ip(a),
        end: ip(b),
        protocol: 0,
        start_port: 0,
        end_port: 65535,
    }
}

/// One tunnel: IKE_SA_INIT and IKE_AUTH from `gw` to `peer`, agreeing on the given selectors.
fn tunnel(
    records: &mut Vec<Record>,
    first_frame: u64,
    gw: &str,
    peer: &str,
    spi: u8,
    tsi: (&str, &str),
    tsr: (&str, &str),
) {
    records.push(ike(
        first_frame,
        gw,
        peer,
        spi,
        ExchangeType::IKE_SA_INIT,
        false,
        vec![PayloadType::V2_SA, PayloadType::V2_KE, PayloadType::V2_NONCE],
        None,
    ));
    records.push(ike(
        first_frame + 1,
        peer,
        gw,
        spi,
        ExchangeType::IKE_SA_INIT,
        true,
        vec![PayloadType::V2_SA, PayloadType::V2_KE, PayloadType::V2_NONCE],
        None,
    ));
    let req = InnerInfo {
        payloads: vec![
            PayloadType::V2_IDI,
            PayloadType::V2_AUTH,
            PayloadType::V2_SA,
            PayloadType::V2_TSI,
            PayloadType::V2_TSR,
        ],
        ..Default::default()
    };
    records.push(ike(
        first_frame + 2,
        gw,
        peer,
        spi,
        ExchangeType::IKE_AUTH,
        false,
        vec![PayloadType::V2_SK],
        Some(req),
    ));
    let resp = InnerInfo {
        payloads: vec![
            PayloadType::V2_IDR,
            PayloadType::V2_AUTH,
            PayloadType::V2_SA,
            PayloadType::V2_TSI,
            PayloadType::V2_TSR,
        ],
        traffic_selectors: vec![
            ts(PayloadType::V2_TSI, tsi.0, tsi.1),
            ts(PayloadType::V2_TSR, tsr.0, tsr.1),
        ],
        ..Default::default()
    };
    records.push(ike(
        first_frame + 3,
        peer,
        gw,
        spi,
        ExchangeType::IKE_AUTH,
        true,
        vec![PayloadType::V2_SK],
        Some(resp),
    ));
}

fn findings(records: Vec<Record>) -> Vec<ikescope::diagnose::Finding> {
    let mut data = Collected::new(vec!["hand-made".into()]);
    data.ike = records;
    ikescope::diagnose::diagnose(&Model::build(data))
}

#[test]
fn overlapping_but_different_selectors_through_one_gateway_are_flagged() {
    let mut r = Vec::new();
    tunnel(
        &mut r,
        1,
        "192.0.2.1",
        "198.51.100.1",
        1,
        ("10.1.0.0", "10.1.0.255"),
        ("10.2.0.0", "10.2.255.255"),
    );
    tunnel(
        &mut r,
        10,
        "192.0.2.1",
        "203.0.113.1",
        3,
        ("10.1.0.0", "10.1.0.255"),
        ("10.2.5.0", "10.2.5.255"),
    );
    let f = findings(r);
    let o: Vec<_> = f.iter().filter(|f| f.kind.as_str() == "ts_overlap").collect();
    assert_eq!(o.len(), 1, "{f:#?}");
    assert!(o[0].summary.contains("10.2.5.0-10.2.5.255"), "{}", o[0].summary);
    assert!(o[0].is_failure());
}

#[test]
fn identical_selectors_are_a_redundant_pair_and_disjoint_ones_are_fine() {
    let mut r = Vec::new();
    tunnel(
        &mut r,
        1,
        "192.0.2.1",
        "198.51.100.1",
        1,
        ("10.1.0.0", "10.1.0.255"),
        ("10.2.0.0", "10.2.0.255"),
    );
    tunnel(
        &mut r,
        10,
        "192.0.2.1",
        "203.0.113.1",
        3,
        ("10.1.0.0", "10.1.0.255"),
        ("10.2.0.0", "10.2.0.255"),
    );
    tunnel(
        &mut r,
        20,
        "192.0.2.1",
        "203.0.113.9",
        5,
        ("10.1.0.0", "10.1.0.255"),
        ("10.3.0.0", "10.3.0.255"),
    );
    let f = findings(r);
    assert!(!f.iter().any(|f| f.is_failure()), "{f:#?}");
}

#[test]
fn selectors_in_the_shared_address_space_are_flagged() {
    let mut r = Vec::new();
    tunnel(
        &mut r,
        1,
        "192.0.2.1",
        "198.51.100.1",
        1,
        ("10.1.0.0", "10.1.0.255"),
        ("100.100.0.0", "100.100.0.255"),
    );
    let f = findings(r);
    let w: Vec<_> = f
        .iter()
        .filter(|f| f.kind.as_str() == "ts_reserved_range")
        .collect();
    assert_eq!(w.len(), 1, "{f:#?}");
    assert!(w[0].summary.contains("100.64.0.0/10"));
}

/// An IKEv1 Aggressive Mode message (cleartext).
fn am(frame: u64, secs: i64, src: &str, dst: &str, cookie: u8, from_initiator: bool) -> Record {
    let mut r = ike(
        frame,
        src,
        dst,
        cookie,
        ExchangeType::AGGRESSIVE,
        false,
        vec![
            PayloadType::V1_SA,
            PayloadType::V1_KE,
            PayloadType::V1_NONCE,
            PayloadType::V1_ID,
        ],
        None,
    );
    let info = r.ike.as_mut().unwrap();
    info.version = 1;
    info.initiator = from_initiator;
    info.response = false;
    info.encrypted = false;
    info.spi_r = Spi8(if from_initiator { [0; 8] } else { [cookie + 1; 8] });
    info.message_id = 0;
    r.time = Timestamp(secs * 1_000_000_000);
    r
}

#[test]
fn aggressive_mode_restarted_after_message_2_is_an_auth_failure() {
    // AM1/AM2, no AM3, a new ISAKMP SA 5 s later (AM1/AM2 again, no AM3 either).
    let r = vec![
        am(1, 0, "192.0.2.1", "198.51.100.1", 1, true),
        am(2, 0, "198.51.100.1", "192.0.2.1", 1, false),
        am(3, 5, "192.0.2.1", "198.51.100.1", 3, true),
        am(4, 5, "198.51.100.1", "192.0.2.1", 3, false),
    ];
    let f = findings(r);
    let failures: Vec<_> = f.iter().filter(|f| f.is_failure()).collect();
    assert_eq!(failures.len(), 1, "{f:#?}");
    assert_eq!(failures[0].kind.as_str(), "auth_failure");
    assert_eq!(failures[0].phase, Some(Phase::Phase1));
}

#[test]
fn answers_lost_on_the_return_path_are_told_apart() {
    // The responder answers IKE_SA_INIT; the initiator keeps sending the same request.
    let mut r = Vec::new();
    for (frame, secs) in [(1u64, 0i64), (3, 1), (4, 3), (5, 7)] {
        let mut m = ike(
            frame,
            "192.0.2.1",
            "198.51.100.1",
            1,
            ExchangeType::IKE_SA_INIT,
            false,
            vec![PayloadType::V2_SA, PayloadType::V2_KE, PayloadType::V2_NONCE],
            None,
        );
        m.ike.as_mut().unwrap().digest = 42;
        m.time = Timestamp(secs * 1_000_000_000);
        r.push(m);
    }
    let mut resp = ike(
        2,
        "198.51.100.1",
        "192.0.2.1",
        1,
        ExchangeType::IKE_SA_INIT,
        true,
        vec![PayloadType::V2_SA, PayloadType::V2_KE, PayloadType::V2_NONCE],
        None,
    );
    resp.time = Timestamp(10_000_000);
    r.insert(1, resp);
    let f = findings(r);
    let n: Vec<_> = f.iter().filter(|f| f.kind.as_str() == "no_response").collect();
    assert_eq!(n.len(), 1, "{f:#?}");
    assert!(n[0].summary.contains("lost on the way back"), "{}", n[0].summary);
    assert_eq!(n[0].phase, Some(Phase::Phase1));
}

#[test]
fn overlap_is_reported_once_however_often_the_tunnels_are_rebuilt() {
    let mut r = Vec::new();
    // Two tunnels through 192.0.2.1, each set up five times with the same selectors, among
    // 2,000 tunnels with disjoint selectors.
    for round in 0..5u8 {
        let base = u64::from(round) * 100_000;
        tunnel(
            &mut r,
            base + 1,
            "192.0.2.1",
            "198.51.100.1",
            10 + round * 2,
            ("10.1.0.0", "10.1.0.255"),
            ("10.2.0.0", "10.2.255.255"),
        );
        tunnel(
            &mut r,
            base + 10,
            "192.0.2.1",
            "203.0.113.1",
            11 + round * 2,
            ("10.1.0.0", "10.1.0.255"),
            ("10.2.5.0", "10.2.5.255"),
        );
    }
    for i in 0..2000u64 {
        let peer = format!("198.18.{}.{}", i / 250, i % 250 + 1);
        let far = (format!("172.16.{}.0", i / 8), format!("172.16.{}.255", i / 8));
        let near = (format!("10.9.{}.0", i % 250), format!("10.9.{}.255", i % 250));
        let mut t = Vec::new();
        tunnel(
            &mut t,
            1_000_000 + i * 10,
            "192.0.2.1",
            &peer,
            200,
            (&near.0, &near.1),
            (&far.0, &far.1),
        );
        // distinct SPIs per tunnel
        for rec in &mut t {
            if let Some(ike) = rec.ike.as_deref_mut() {
                ike.spi_i.0[..8].copy_from_slice(&(i + 1000).to_be_bytes());
            }
        }
        r.extend(t);
    }
    let f = findings(r);
    let o: Vec<_> = f.iter().filter(|f| f.kind.as_str() == "ts_overlap").collect();
    assert_eq!(
        o.len(),
        1,
        "{:#?}",
        o.iter().map(|f| &f.summary).collect::<Vec<_>>()
    );
}
