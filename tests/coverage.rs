//! A report says what it did not analyse and invents nothing from bad input: corrupt IKE
//! messages never make a tunnel, unreadable, cut, duplicate and foreign-link-type inputs are named
//! in the text and the JSON, and a capture without IPsec says so (issue 10, items 2 and 4).

mod common;

use serde_json::Value;
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ikescope"))
}

/// `analyze ARGS` as text and as JSON: (exit status, text, JSON document).
fn analyze(args: &[&str]) -> (Option<i32>, String, Value) {
    let text = bin().args(["analyze", "-q"]).args(args).output().unwrap();
    let json = bin()
        .args(["analyze", "-q", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    assert_eq!(text.status.code(), json.status.code());
    let doc = serde_json::from_slice(&json.stdout).expect("a JSON document");
    (text.status.code(), String::from_utf8(text.stdout).unwrap(), doc)
}

fn temp(name: &str, bytes: &[u8]) -> common::ScratchFile {
    common::scratch_file(name, bytes)
}

fn own(name: &str) -> String {
    common::captures_dir().join(name).display().to_string()
}

/// A classic pcap with one record per frame, of the given link type.
fn pcap(linktype: u32, frames: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for v in [0xa1b2c3d4u32, 0x0004_0002, 0, 0, 65535, linktype] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    for (i, f) in frames.iter().enumerate() {
        for v in [1_700_000_000 + i as u32, 0, f.len() as u32, f.len() as u32] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(f);
    }
    out
}

/// A raw-IPv4 (link type 228) frame: 192.0.2.1:500 -> 198.51.100.1:500 carrying `ike`, with the
/// UDP length claiming `udp_len_extra` bytes more than the datagram holds.
fn udp500(ike: &[u8], udp_len_extra: usize) -> Vec<u8> {
    let total = 20 + 8 + ike.len();
    let mut f = vec![0x45, 0, (total >> 8) as u8, total as u8, 0, 1, 0, 0, 64, 17, 0, 0];
    f.extend_from_slice(&[192, 0, 2, 1, 198, 51, 100, 1]);
    let ulen = 8 + ike.len() + udp_len_extra;
    f.extend_from_slice(&[0x01, 0xf4, 0x01, 0xf4, (ulen >> 8) as u8, ulen as u8, 0, 0]);
    f.extend_from_slice(ike);
    f
}

/// The first IKE_SA_INIT request of the lab's healthy IKEv2 capture, as sent (from `decode`).
fn real_ike_sa_init() -> Vec<u8> {
    // frame 1 of ikev2_ok.pcap: Ethernet + IPv4 (20) + UDP (8) on port 500
    let bytes = std::fs::read(own("ikev2_ok.pcap")).unwrap();
    let caplen = u32::from_le_bytes(bytes[24 + 8..24 + 12].try_into().unwrap()) as usize;
    let frame = &bytes[24 + 16..24 + 16 + caplen];
    frame[14 + 20 + 8..].to_vec()
}

#[test]
fn a_corrupt_ike_message_never_makes_a_tunnel() {
    let good = real_ike_sa_init();
    // The message length field claims a gigabyte and the UDP length more than the packet holds
    // (the shape of tcpdump's isakmp-delete-segfault.pcap).
    let mut corrupt = good.clone();
    corrupt[24..28].copy_from_slice(&1_126_274_970u32.to_be_bytes());
    let path = temp("corrupt.pcap", &pcap(228, &[udp500(&corrupt, 310)]));
    let (status, text, doc) = analyze(&[path.to_str().unwrap()]);
    assert_eq!(status, Some(0), "{text}");
    assert_eq!(
        doc["tunnels"],
        serde_json::json!([]),
        "no tunnel invented: {text}"
    );
    assert!(doc["problems"].as_array().unwrap().len() >= 2, "{doc}");
    assert!(text.contains("frame 1, offset 24: UDP length"), "{text}");
    assert!(text.contains("no tunnel could be reconstructed"), "{text}");
    assert!(!text.contains("[UP]") && !text.contains("established"), "{text}");

    // The same message intact does make a (one-message) tunnel: the corruption is what stops it.
    let path = temp("intact.pcap", &pcap(228, &[udp500(&good, 0)]));
    let (_, _, doc) = analyze(&[path.to_str().unwrap()]);
    assert_eq!(doc["tunnels"].as_array().unwrap().len(), 1, "{doc}");
}

#[test]
fn a_corrupt_refusal_makes_no_certain_verdict() {
    // The shape of isakmp-no-none-np.pcapng: an IKEv1 Informational whose payload chain runs
    // off the end, carrying what looks like a refusal.
    let mut info = vec![1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0, 0, 0, 0];
    info.extend_from_slice(&[11, 0x10, 5, 0, 0, 0, 0, 0]);
    info.extend_from_slice(&(28 + 12u32 + 4).to_be_bytes());
    // N payload: next 11 (another N that is not there), length 12, DOI 1, proto 1, spi 0, type 5
    info.extend_from_slice(&[11, 0, 0, 12, 0, 0, 0, 1, 1, 0, 0, 5]);
    let path = temp("corrupt_refusal.pcap", &pcap(228, &[udp500(&info, 0)]));
    let (status, text, doc) = analyze(&[path.to_str().unwrap()]);
    assert_eq!(doc["tunnels"], serde_json::json!([]), "{text}");
    assert!(
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["confidence"] != "certain"),
        "{doc}"
    );
    assert_eq!(status, Some(0), "{text}");
}

#[test]
fn unreadable_cut_and_duplicate_inputs_are_named() {
    let ok = own("ikev2_ok.pcap");
    let bytes = std::fs::read(&ok).unwrap();
    let cut = temp("cut.pcap", &bytes[..3000]);
    let not_capture = temp("notes.txt", b"this is not a capture file");
    let (status, text, doc) = analyze(&[&ok, &ok, cut.to_str().unwrap(), not_capture.to_str().unwrap()]);
    assert_eq!(status, Some(2), "an unreadable input: exit 2\n{text}");
    assert!(text.starts_with("INCOMPLETE:"), "{text}");
    assert!(text.contains("1 input not read"), "{text}");
    assert!(text.contains("not a pcap or pcapng file"), "{text}");
    assert!(text.contains("the same capture as"), "{text}");
    assert!(text.contains("is cut short"), "{text}");
    let inputs = doc["inputs"].as_array().unwrap();
    let kinds = |i: usize| -> Vec<String> {
        inputs[i]["not_analysed"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["kind"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(kinds(0), Vec::<String>::new());
    assert_eq!(kinds(1), vec!["duplicate"]);
    assert_eq!(kinds(2), vec!["cut_short"]);
    assert_eq!(kinds(3), vec!["unreadable"]);
    let problems = doc["problems"].as_array().unwrap();
    assert!(
        problems.iter().any(|p| p["file"] == not_capture.to_str().unwrap()
            && p["what"].as_str().unwrap().contains("not a pcap")),
        "the reason is in `problems`: {problems:?}"
    );
    // The duplicate is not counted twice: ESP as in the capture alone (10 packets), twice over
    // from the cut copy's first frames only.
    let (_, _, alone) = analyze(&[&ok]);
    let esp = |d: &Value| -> u64 {
        d["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["esp_packets"].as_u64().unwrap())
            .sum()
    };
    assert_eq!(esp(&alone), 10);
    assert_eq!(inputs[1]["packets"], 0, "the duplicate is not read");
    assert_eq!(esp(&doc), 10 + inputs[2]["esp_packets"].as_u64().unwrap());
}

#[test]
fn a_foreign_link_type_and_no_ipsec_are_said() {
    // 802.11 (link type 105): skipped, and said so in analyze (not only by decode).
    let wifi = temp("wifi.pcap", &pcap(105, &[vec![0u8; 40], vec![0u8; 40]]));
    let (status, text, doc) = analyze(&[wifi.to_str().unwrap()]);
    assert_eq!(status, Some(0));
    assert!(text.contains("link type 105"), "{text}");
    assert_eq!(
        doc["inputs"][0]["not_analysed"][0]["kind"],
        "unsupported_link_type"
    );
    // Raw IPv4 UDP on port 53: readable, but nothing IPsec in it.
    let mut dns = udp500(&[0u8; 12], 0);
    dns[20..24].copy_from_slice(&[0, 53, 0, 53]);
    let path = temp("dns.pcap", &pcap(228, &[dns]));
    let (status, text, doc) = analyze(&[path.to_str().unwrap()]);
    assert_eq!(status, Some(0));
    assert!(text.contains("nothing IPsec was found"), "{text}");
    assert!(text.contains("--ike-port"), "{text}");
    assert_eq!(doc["tunnels"], serde_json::json!([]));
}

/// Public captures with known shapes (issue 10 item 3); needs the reference corpus.
#[test]
fn redirect_and_refused_child_retries_read_as_what_they_are() {
    let Some(shared) = common::corpus_dir() else {
        return;
    };
    // RFC 5685: 10.5.2.52 sends the initiator to a gateway named by FQDN; it goes on to 10.5.2.53
    // with REDIRECTED_FROM, which refuses its proposal.
    let cap = shared.join("public-captures/scapy/ikev2_notify_redirect/ikev2_notify_redirect.pcap");
    let (_, text, doc) = analyze(&[cap.to_str().unwrap()]);
    let tunnel = |id: &str| -> Value {
        doc["tunnels"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == id)
            .cloned()
            .unwrap()
    };
    assert_eq!(tunnel("10.5.2.52-10.5.2.60")["state"], "redirected", "{text}");
    let redirect = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "redirect")
        .expect("redirect finding");
    assert_eq!(redirect["details"]["redirected_by"], "10.5.2.52");
    assert_eq!(
        redirect["details"]["redirected_to"],
        "moneybin.duckburg.disney.com"
    );
    assert_eq!(redirect["details"]["continued_in"], "10.5.2.53-10.5.2.60");
    assert!(
        text.contains("reached   redirected by 10.5.2.52 to moneybin.duckburg.disney.com"),
        "{text}"
    );

    // ipsec.cap: every IKE_AUTH authenticates but refuses the CHILD SA, and the initiators retry
    // every few tenths of a second. One error per tunnel for the one cause, no CHILD SA counted,
    // no rekey flap (the SAs never carried traffic to die at a lifetime).
    let cap = shared.join("public-captures/wireshark-wiki/ipsec_cap/ipsec.cap");
    let (status, text, doc) = analyze(&[cap.to_str().unwrap()]);
    assert_eq!(status, Some(1));
    for t in doc["tunnels"].as_array().unwrap() {
        let id = t["id"].as_str().unwrap();
        let errors: Vec<&str> = doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["tunnel"] == id && f["severity"] == "error")
            .map(|f| f["kind"].as_str().unwrap())
            .collect();
        assert_eq!(errors, vec!["proposal_mismatch"], "{id}: {text}");
    }
    assert!(text.contains("45 IKE SAs (45 up), 0 CHILD SAs"), "{text}");
    assert!(!text.contains("every 0 s"), "{text}");
    assert!(
        text.lines().count() < 120,
        "{} lines (186 before)",
        text.lines().count()
    );
}
