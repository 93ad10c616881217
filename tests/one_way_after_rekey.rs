//! one_way_esp per CHILD SA generation: the project's healthy-rekey capture with the responder's
//! ESP on the SAs created by the first rekey removed looks like a rekey whose new SA one end
//! never installed. The tunnel carried ESP both ways before, so only the per-generation check can
//! see it.

use ikescope::capture::{read_capture, Content, Datagram, DatagramSink, IngestEvent};
use std::collections::{BTreeMap, BTreeSet};

struct Frames(Vec<(u64, bool, String, Option<u32>, i64)>);

impl DatagramSink for Frames {
    fn datagram(&mut self, d: &Datagram<'_>) {
        let (esp, spi) = match d.content {
            Content::Esp { spi, .. } => (true, Some(spi)),
            _ => (false, None),
        };
        self.0.push((d.frame, esp, d.src.to_string(), spi, d.time.0));
    }
    fn event(&mut self, _: &IngestEvent) {}
}

/// Copy a classic little-endian pcap, leaving out the given frames.
fn without_frames(pcap: &[u8], drop: &BTreeSet<u64>) -> Vec<u8> {
    let mut out = pcap[..24].to_vec();
    let mut at = 24;
    let mut frame = 0;
    while at + 16 <= pcap.len() {
        let caplen = u32::from_le_bytes(pcap[at + 8..at + 12].try_into().unwrap()) as usize;
        frame += 1;
        if !drop.contains(&frame) {
            out.extend_from_slice(&pcap[at..at + 16 + caplen]);
        }
        at += 16 + caplen;
    }
    out
}

#[test]
fn one_way_esp_after_a_rekey_is_found() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/captures/ikev2_rekey_ok.pcap");
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(
        &bytes[..4],
        &[0xd4, 0xc3, 0xb2, 0xa1],
        "classic little-endian pcap expected"
    );
    let mut frames = Frames(Vec::new());
    read_capture(
        Box::new(std::io::Cursor::new(bytes.clone())),
        &Default::default(),
        &mut frames,
    )
    .unwrap();
    // The responder's ESP SPIs in order of appearance; drop everything from its second SPI on.
    let responder = "198.51.100.1";
    let mut first_seen: BTreeMap<i64, u32> = BTreeMap::new();
    for (_, esp, src, spi, t) in &frames.0 {
        if *esp && src == responder && !first_seen.values().any(|s| Some(*s) == *spi) {
            first_seen.insert(*t, spi.unwrap());
        }
    }
    let spis: Vec<u32> = first_seen.values().copied().collect();
    assert!(spis.len() >= 2, "the capture rekeys the CHILD SA");
    let keep = spis[0];
    let drop: BTreeSet<u64> = frames
        .0
        .iter()
        .filter(|(_, esp, src, spi, _)| *esp && src == responder && *spi != Some(keep))
        .map(|f| f.0)
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let cut = dir.path().join("rekey_one_way.pcap");
    std::fs::write(&cut, without_frames(&bytes, &drop)).unwrap();

    let analyze = |p: &std::path::Path| {
        let opts = ikescope::app::RunOptions {
            files: vec![p.to_string_lossy().into_owned()],
            quiet: true,
            ..Default::default()
        };
        let (model, ok) = ikescope::app::analyze::build_model(&opts);
        assert!(ok);
        ikescope::diagnose::diagnose(&model)
    };
    let before = analyze(std::path::Path::new(path));
    assert!(
        !before.iter().any(|f| f.is_failure()),
        "the original capture is healthy"
    );
    let after = analyze(&cut);
    let one_way: Vec<_> = after
        .iter()
        .filter(|f| f.kind.as_str() == "one_way_esp")
        .collect();
    assert_eq!(one_way.len(), 1, "{after:#?}");
    assert!(
        one_way[0].summary.contains("none from 198.51.100.1"),
        "{}",
        one_way[0].summary
    );
}
