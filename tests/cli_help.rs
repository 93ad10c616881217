//! The command line teaches itself: examples in each command's help, a version naming the
//! commit, shell completions and a manual page generated from the same definitions.

use std::process::Command;

fn run(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ikescope"))
        .args(args)
        .output()
        .unwrap();
    (out.status.code(), String::from_utf8(out.stdout).unwrap())
}

#[test]
fn help_shows_examples_and_the_guide() {
    for cmd in [&["--help"][..], &["analyze", "--help"], &["decode", "--help"]] {
        let (status, text) = run(cmd);
        assert_eq!(status, Some(0));
        assert!(text.contains("Examples:"), "{cmd:?}: {text}");
        assert!(text.contains("docs/guide.md"), "{cmd:?}: {text}");
    }
    let (_, decode) = run(&["decode", "--help"]);
    assert!(
        !decode.to_lowercase().contains("tunnel"),
        "decode help talks about tunnels: {decode}"
    );
    let (_, analyze) = run(&["analyze", "--help"]);
    assert!(
        analyze.contains("ikev2_decryption_table") && analyze.contains("log level 4"),
        "{analyze}"
    );
}

#[test]
fn version_names_the_commit() {
    let (status, text) = run(&["--version"]);
    assert_eq!(status, Some(0));
    let inside = text
        .split('(')
        .nth(1)
        .and_then(|s| s.split(')').next())
        .unwrap_or("");
    let commit = inside.trim_end_matches("-dirty");
    assert!(
        commit == "unknown" || (commit.len() == 12 && commit.chars().all(|c| c.is_ascii_hexdigit())),
        "{text}"
    );
}

#[test]
fn completions_and_man_page_come_from_the_definitions() {
    let (status, bash) = run(&["completions", "bash"]);
    assert_eq!(status, Some(0));
    assert!(
        bash.contains("_ikescope") && bash.contains("--files-from"),
        "{bash}"
    );
    let (status, man) = run(&["man"]);
    assert_eq!(status, Some(0));
    assert!(man.contains(".TH ikescope") && man.contains("analyze"), "{man}");
}
