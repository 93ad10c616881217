//! Many inputs at once (issue 15): directories searched for captures by content, `--files-from`
//! lists (a file or stdin), unreadable inputs reported and skipped with exit status 2, and the
//! `--since` / `--until` time window.

use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ikescope"))
}

fn own_capture(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/captures")).join(name)
}

/// A scratch directory, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let p = std::env::temp_dir().join(format!("ikescope-many-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Scratch(p)
    }
    fn put(&self, rel: &str, bytes: &[u8]) -> String {
        let p = self.0.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, bytes).unwrap();
        p.to_str().unwrap().to_string()
    }
    fn path(&self) -> String {
        self.0.to_str().unwrap().to_string()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn run(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = bin()
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(text) = stdin {
        child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    }
    child.wait_with_output().unwrap()
}

fn analyze(args: &[&str], stdin: Option<&str>) -> (Option<i32>, Value, String) {
    let mut all = vec!["analyze", "--format", "json"];
    all.extend_from_slice(args);
    let out = run(&all, stdin);
    let doc = serde_json::from_slice(&out.stdout).expect("analyze writes a JSON document");
    (
        out.status.code(),
        doc,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn input_files(doc: &Value) -> Vec<String> {
    doc["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["file"].as_str().unwrap().to_string())
        .collect()
}

/// A tree with two captures under names that do not say so, one gzip-compressed, and files
/// that are not captures (one named like one).
fn capture_tree(s: &Scratch) -> (String, String) {
    let a = s.put(
        "gw1/2026/rotated.0",
        &std::fs::read(own_capture("ikev2_psk_mismatch.pcap")).unwrap(),
    );
    let b = s.put(
        "gw2/trace",
        &gzip(&std::fs::read(own_capture("ikev2_ok.pcap")).unwrap()),
    );
    s.put("gw1/README", b"rotating captures of gateway 1");
    s.put("gw2/fake.pcap", b"not a capture at all");
    (a, b)
}

#[test]
fn a_directory_is_searched_for_captures_by_content() {
    let s = Scratch::new("dir");
    let (a, b) = capture_tree(&s);
    let (code, from_dir, stderr) = analyze(&[&s.path()], None);
    assert_eq!(input_files(&from_dir), [a.clone(), b.clone()], "{stderr}");
    assert!(
        stderr.contains("2 captures found, 2 other files skipped"),
        "{stderr}"
    );
    // The same analysis as naming the two captures.
    let (code2, named, _) = analyze(&["-q", &a, &b], None);
    assert_eq!(from_dir, named);
    assert_eq!(
        (code, code2),
        (Some(1), Some(1)),
        "the PSK mismatch is an error finding"
    );
    assert!(!from_dir["tunnels"].as_array().unwrap().is_empty());

    // decode too.
    let d1 = run(&["decode", "--format", "json", "-q", &s.path()], None);
    let d2 = run(&["decode", "--format", "json", "-q", &a, &b], None);
    assert_eq!(d1.status.code(), Some(0));
    assert!(d1.stdout.len() > 1000);
    assert_eq!(d1.stdout, d2.stdout);
}

#[test]
fn files_from_a_list_or_stdin_and_unreadable_inputs_exit_2() {
    let s = Scratch::new("list");
    let (a, b) = capture_tree(&s);
    let missing = format!("{}/gone.pcap", s.path());
    let list = s.put(
        "list.txt",
        format!("{a}\r\n\n{missing}\n{}\n", s.0.join("gw2").display()).as_bytes(),
    );

    let (code, doc, stderr) = analyze(&["-q", "--files-from", &list], None);
    assert_eq!(code, Some(2), "an unreadable input gives exit status 2");
    assert!(stderr.contains("gone.pcap"), "{stderr}");
    assert_eq!(input_files(&doc), [a.clone(), missing.clone(), b.clone()]);
    // The readable inputs are analysed all the same.
    let (_, readable, _) = analyze(&["-q", &a, &b], None);
    assert_eq!(doc["tunnels"], readable["tunnels"]);
    assert_eq!(doc["findings"], readable["findings"]);

    // The same list on stdin, after a FILE argument.
    let (code, doc, _) = analyze(&["-q", &a, "--files-from", "-"], Some(&format!("{b}\n")));
    assert_eq!(code, Some(1));
    assert_eq!(input_files(&doc), [a.clone(), b.clone()]);

    // A list that cannot be read is an unreadable input; the FILE arguments are still analysed.
    let (code, doc, stderr) = analyze(&["-q", &a, "--files-from", "/nonexistent/list"], None);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("/nonexistent/list"), "{stderr}");
    assert_eq!(input_files(&doc), [a]);

    // An empty list is an empty (clean) analysis, not an error: an idle hour of a fleet job.
    let (code, doc, _) = analyze(&["-q", "--files-from", "-"], Some(""));
    assert_eq!(code, Some(0));
    assert!(doc["tunnels"].as_array().unwrap().is_empty());

    // Neither FILE nor --files-from is a usage error.
    assert_eq!(run(&["analyze"], None).status.code(), Some(2));
}

/// (time, kind) of every decoded packet.
fn decoded_times(path: &str, window: &[&str]) -> Vec<(String, String)> {
    let mut args = vec!["decode", "--format", "json", "-q", path];
    args.extend_from_slice(window);
    let out = run(&args, None);
    assert_eq!(out.status.code(), Some(0));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (
                v["time"].as_str().unwrap().to_string(),
                v["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn esp_packets(doc: &Value) -> u64 {
    doc["tunnels"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| t["esp"].as_array().unwrap())
        .map(|f| f["packets"].as_u64().unwrap())
        .sum()
}

#[test]
fn since_and_until_cut_a_half_open_window() {
    let cap = own_capture("dpd_flap.pcap");
    let cap = cap.to_str().unwrap();
    let all = decoded_times(cap, &[]);
    assert!(all.len() > 50, "{}", all.len());
    // Cut at the time of a packet in the middle: it belongs to the later window only.
    let cut = all[all.len() / 2].0.clone();
    let before = decoded_times(cap, &["--until", &cut]);
    let after = decoded_times(cap, &["--since", &cut]);
    assert_eq!(before.len() + after.len(), all.len());
    assert!(before.iter().all(|(t, _)| *t < cut));
    assert!(after.iter().all(|(t, _)| *t >= cut));
    assert_eq!(after.first().map(|x| &x.0), Some(&cut));
    // Epoch seconds work as well: the whole capture lies after 2020 and before 2100.
    assert_eq!(
        decoded_times(cap, &["--since", "1577836800", "--until", "4102444800"]),
        all
    );
    assert!(decoded_times(cap, &["--until", "1577836800"]).is_empty());

    // analyze: the ESP packets of the two halves add up to those of the whole.
    let (_, whole, _) = analyze(&["-q", cap], None);
    let (_, first, _) = analyze(&["-q", cap, "--until", &cut], None);
    let (_, second, _) = analyze(&["-q", cap, "--since", &cut], None);
    assert!(esp_packets(&whole) > 0);
    assert_eq!(esp_packets(&first) + esp_packets(&second), esp_packets(&whole));

    // A bound that is not a time is a usage error.
    assert_eq!(
        run(&["decode", cap, "--since", "yesterday"], None).status.code(),
        Some(2)
    );
}

#[test]
fn listing_does_not_depend_on_the_order_files_were_created() {
    // Directory entries are taken in name order, whatever order the filesystem returns.
    let s = Scratch::new("order");
    let cap = std::fs::read(own_capture("ikev2_ok.pcap")).unwrap();
    for name in ["c", "a", "b"] {
        s.put(name, &cap);
    }
    let (_, doc, _) = analyze(&["-q", &s.path()], None);
    let names: Vec<String> = input_files(&doc)
        .iter()
        .map(|f| Path::new(f).file_name().unwrap().to_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["a", "b", "c"]);
}
