//! Property test: the BGP message and TCP segment parsers accept arbitrary bytes without
//! panicking, their iterators terminate, and what they return stays inside the input.

use ikescope_parsers::bgp::{self, Message};
use ikescope_parsers::tcp;
use proptest::prelude::*;

/// A valid BGP header (marker, a length that may or may not fit, a type around the known
/// ones) followed by arbitrary bytes, so that the body parsers are reached.
fn bgp_message() -> impl Strategy<Value = Vec<u8>> {
    (
        0u8..8,
        proptest::collection::vec(any::<u8>(), 0..300),
        any::<bool>(),
        any::<u16>(),
    )
        .prop_map(|(t, body, exact, len)| {
            let mut m = bgp::MARKER.to_vec();
            let l = if exact {
                (bgp::HEADER_LEN + body.len()) as u16
            } else {
                len
            };
            m.extend_from_slice(&l.to_be_bytes());
            m.push(t);
            m.extend_from_slice(&body);
            m
        })
}

fn exercise(data: &[u8]) {
    let mut rest = data;
    // every message consumes at least the 19-byte header: the walk ends
    for _ in 0..=data.len() / bgp::HEADER_LEN {
        let Ok((m, r)) = bgp::parse_message(rest) else {
            break;
        };
        assert!(r.len() + bgp::HEADER_LEN <= rest.len());
        match m {
            Message::Open(o) => {
                assert!(o.capabilities().count() <= o.optional_parameters.len() + 1);
                let _ = o.autonomous_system();
                let _ = o.extended_message();
            }
            Message::Update(u) => {
                assert!(u.announced_prefixes().count() <= u.nlri.len());
                assert!(u.withdrawn_prefixes().count() <= u.withdrawn.len());
                assert!(u.attributes().count() <= u.path_attributes.len());
                for p in u.announced_prefixes().flatten() {
                    assert!(p.length <= 32);
                }
            }
            Message::Notification(n) => {
                let _ = n.describe();
            }
            _ => {}
        }
        rest = r;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn bgp_structured_input_never_panics(m in bgp_message()) {
        exercise(&m);
    }

    #[test]
    fn bgp_random_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..200)) {
        exercise(&data);
        let _ = bgp::parse_header(&data);
    }

    #[test]
    fn tcp_never_panics(data in proptest::collection::vec(any::<u8>(), 0..120)) {
        if let Ok(s) = tcp::parse_segment(&data) {
            assert!(s.options.len() + s.payload.len() + tcp::MIN_HEADER_LEN <= data.len());
            let _ = s.mss();
            let _ = s.window_scale();
            assert!(s.option_iter().count() <= s.options.len());
        }
    }
}
