//! Property test: every parser entry point accepts arbitrary bytes without panicking, and the
//! chain iterators always terminate within the bound their lengths allow.

use ikescope_parsers::attributes::AttributeIter;
use ikescope_parsers::iana::{ExchangeType, IkeVersion, NotifyType, PayloadType, ProtocolId, TransformType};
use ikescope_parsers::isakmp::{self, PayloadIter};
use ikescope_parsers::{esp, icmp, ikev1, ikev2, ip, link, summary, udp, udp_encap, vendor};
use proptest::prelude::*;

/// A valid-looking ISAKMP header (so that the body is reached) followed by arbitrary bytes.
fn message() -> impl Strategy<Value = Vec<u8>> {
    (
        any::<[u8; 16]>(),
        any::<u8>(),
        prop_oneof![Just(0x10u8), Just(0x20u8), any::<u8>()],
        any::<u8>(),
        any::<u8>(),
        any::<u32>(),
        proptest::collection::vec(any::<u8>(), 0..600),
        any::<bool>(),
    )
        .prop_map(|(spis, np, ver, ex, fl, mid, body, exact_len)| {
            let mut m = spis.to_vec();
            m.extend_from_slice(&[np, ver, ex, fl]);
            m.extend_from_slice(&mid.to_be_bytes());
            let len = if exact_len {
                (28 + body.len()) as u32
            } else {
                mid.rotate_left(7)
            };
            m.extend_from_slice(&len.to_be_bytes());
            m.extend_from_slice(&body);
            m
        })
}

fn walk_all(first: PayloadType, body: &[u8], version: u8) {
    let mut it = PayloadIter::new(first, body, 28, version);
    let mut n = 0usize;
    while let Some(p) = it.next() {
        n += 1;
        assert!(n <= body.len() / 4 + 1);
        let p = match p {
            Ok(p) => p,
            Err(e) => {
                let _ = e.to_string();
                match it.partial() {
                    Some(p) => p,
                    None => continue,
                }
            }
        };
        match ikev1::parse_payload(&p) {
            Ok(ikev1::Payload::Sa(sa)) => {
                for pr in sa.proposals().flatten() {
                    let _: Vec<String> = summary::proposal_summaries_v1(&pr).collect();
                }
            }
            Ok(ikev1::Payload::Delete(d)) => {
                let _ = d.spis().count();
            }
            Ok(ikev1::Payload::Attributes(a)) => {
                let _ = a.attributes().count();
            }
            _ => {}
        }
        match ikev2::parse_payload(&p) {
            Ok(ikev2::Payload::Sa(sa)) => {
                for pr in sa.proposals().flatten() {
                    let _ = summary::proposal_summary_v2(&pr);
                }
            }
            Ok(ikev2::Payload::TsInitiator(ts)) | Ok(ikev2::Payload::TsResponder(ts)) => {
                let _ = ts.selectors().count();
            }
            Ok(ikev2::Payload::Configuration(cp)) => {
                let _ = cp.attributes().count();
            }
            Ok(ikev2::Payload::Delete(d)) => {
                let _ = d.spis().count();
            }
            _ => {}
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn header_and_chain(m in message()) {
        let (h, _) = isakmp::parse_header(&m).unwrap();
        if let Ok(msg) = isakmp::parse_message(&m) {
            prop_assert!(msg.body.len() <= msg.declared_body_len);
            walk_all(h.next_payload, msg.body, h.major_version);
        }
    }

    #[test]
    fn raw_bytes_everywhere(data in proptest::collection::vec(any::<u8>(), 0..400), first in any::<u8>()) {
        let _ = isakmp::parse_header(&data);
        let _ = isakmp::parse_message(&data);
        walk_all(PayloadType(first), &data, 1);
        walk_all(PayloadType(first), &data, 2);
        if let Ok(sa) = ikev1::parse_sa(&data, 0) {
            for p in sa.proposals().flatten() {
                for t in p.transforms().flatten() {
                    let _ = t.attributes().count();
                }
            }
        }
        for p in ikev2::parse_sa(&data, 0).proposals().flatten() {
            for t in p.transforms().flatten() {
                let _ = t.key_length();
            }
        }
        let _ = AttributeIter::new(&data, 0).count();
        let _ = esp::parse_esp(&data);
        let _ = udp_encap::classify(&data, data.len());
        let _ = udp_encap::classify(&data, data.len() + 1);
        let _ = vendor::vendor_name(&data);
        let _ = ikev1::parse_id(&data, 0);
        let _ = ikev1::parse_notification(&data, 0);
        let _ = ikev1::parse_fragment(&data, 0);
        let _ = ikev1::parse_nat_oa(&data, 0);
        let _ = ikev2::parse_ke(&data, 0);
        let _ = ikev2::parse_notify(&data, 0);
        let _ = ikev2::parse_eap(&data, 0);
        if let Ok(ts) = ikev2::parse_ts(&data, 0) {
            let _ = ts.selectors().count();
        }
        if let Ok(r) = ikescope_parsers::redirect::parse_redirect(&data) {
            let _ = r.gateway.to_string();
        }
    }

    #[test]
    fn names_total(v in any::<u16>(), t in any::<u8>()) {
        let _ = ExchangeType(t).name();
        let _ = PayloadType(t).name();
        let _ = PayloadType(t).log_abbrev(IkeVersion::V1);
        let _ = PayloadType(t).log_abbrev(IkeVersion::V2);
        let _ = TransformType(t).id_name(v);
        let _ = TransformType(t).additional_ke_number();
        let _ = ProtocolId(t).v1_transform_name(t);
        let _ = NotifyType(v).name(IkeVersion::V1);
        let _ = NotifyType(v).name(IkeVersion::V2);
        let _ = summary::summary_v2(ProtocolId(t), [(TransformType(t), v, Some(v))]);
        let _ = summary::summary_v1(ProtocolId(t), t, [(v, u64::from(v))]);
        let _ = summary::has_weak_v1(ProtocolId(t), t, [(v, u64::MAX)]);
    }
}

/// An IPv4 or IPv6 header with random fields but a matching version nibble and one of the
/// protocols the capture stage follows, then random bytes: reaches the extension-header walk,
/// UDP and ICMP quoting far more often than raw bytes.
fn ip_packet() -> impl Strategy<Value = Vec<u8>> {
    (
        any::<bool>(),
        proptest::collection::vec(any::<u8>(), 40),
        proptest::sample::select(vec![0u8, 1, 4, 17, 41, 43, 44, 47, 50, 51, 58, 60]),
        proptest::collection::vec(any::<u8>(), 0..120),
    )
        .prop_map(|(v6, mut h, proto, body)| {
            if v6 {
                h[0] = 0x60 | (h[0] & 15);
                h[6] = proto;
            } else {
                h.truncate(20);
                h[0] = 0x45;
                h[9] = proto;
            }
            h.extend_from_slice(&body);
            h
        })
}

/// Walk one IP packet the way the capture stage does, down to UDP and quoted ICMP packets.
fn walk_ip(p: &[u8]) {
    let (v6, proto, payload) = match (ip::parse_ipv4(p), ip::parse_ipv6(p)) {
        (Ok(h), _) if p[0] >> 4 == 4 => {
            assert!(h.payload.len() <= h.declared_payload_len());
            (false, h.protocol, h.payload)
        }
        (_, Ok(h)) if p[0] >> 4 == 6 => {
            assert!(h.payload.len() <= h.payload_len);
            (true, h.next_header, h.payload)
        }
        _ => return,
    };
    for allow_fragment in [true, false] {
        let (proto, rest) = match ip::walk_extensions(proto, payload, v6, allow_fragment) {
            ip::ExtWalk::Final { proto, offset } => (proto, &payload[offset..]),
            ip::ExtWalk::Fragment {
                next_header, offset, ..
            } => (next_header, payload.get(offset..).unwrap_or(&[])),
            _ => continue,
        };
        if let Ok(u) = udp::parse_udp(rest, rest.len()) {
            assert!(u.payload.len() <= u.declared_payload_len());
            let _ = udp_encap::classify(u.payload, u.declared_payload_len());
        }
        if let Some(e) = icmp::parse_icmp_error(rest, v6) {
            let _ = icmp::parse_quoted(e.quoted, v6);
        }
        let _ = ip::parse_gre(rest);
        let _ = proto;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn link_ip_udp_icmp(p in ip_packet(), quoted in ip_packet(), linktype in proptest::sample::select(vec![0u32, 1, 12, 101, 108, 113, 228, 229, 276])) {
        // the packet as a raw-IP frame and behind an Ethernet header
        for frame in [p.clone(), [&[0u8; 12][..], &[0x08, 0x00], &p].concat()] {
            if let Ok(Some(start)) = link::parse_link(linktype, &frame) {
                if let Some(ip) = frame.get(start.offset..).filter(|b| !b.is_empty()) {
                    walk_ip(ip);
                }
            }
        }
        walk_ip(&p);
        // an ICMP error quoting another packet
        for (v6, t) in [(false, 3u8), (true, 2u8)] {
            let mut e = vec![t, 4, 0, 0, 0, 0, 5, 0x78];
            e.extend_from_slice(&quoted);
            let err = icmp::parse_icmp_error(&e, v6);
            prop_assert!(err.is_some());
            let _ = icmp::parse_quoted(err.unwrap().quoted, v6);
        }
    }

    #[test]
    fn lower_layers_on_raw_bytes(data in proptest::collection::vec(any::<u8>(), 0..200), lt in any::<u32>()) {
        let _ = link::parse_link(lt, &data);
        walk_ip(&data);
        let _ = udp::parse_udp(&data, data.len());
        let _ = ip::parse_gre(&data);
        for v6 in [false, true] {
            let _ = icmp::parse_quoted(&data, v6);
        }
    }
}
