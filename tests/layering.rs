//! The one-way rule of ARCHITECTURE.md, checked on the source: every `crate::` (and `super::`
//! reaching the crate root) path in src/**/*.rs names a top-level module; a module may name only
//! modules below it in [`LAYERS`], and the top-level modules form no import cycle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The top-level modules of src/, lowest first: data flows up this list and a module may import
/// only the ones before it. This is the one place the order is written down.
const LAYERS: &[&str] = &[
    // Shared value types: records and their fields, timestamps, SPIs.
    "record",
    // How values are written for people (notify lists, selectors, flows), used by diagnose
    // and report alike.
    "wording",
    // Packets → datagrams (file formats, link layers, IP reassembly, UDP/ESP demux).
    "capture",
    // Key material: Wireshark tables, charon logs, their configuration hints.
    "keys",
    // Opening encrypted IKE messages and ESP packets with those keys.
    "decrypt",
    // Datagrams → records.
    "decode",
    // Records → exchanges, SAs, tunnels.
    "reconstruct",
    // Model → findings.
    "diagnose",
    // Model + findings → text / JSON.
    "report",
    // The commands: CLI, options, key-file loading, the input driver, exit statuses.
    "app",
];

/// One `crate::` use: the file, the line and the top-level module it names.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Import {
    file: String,
    line: usize,
    target: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Ident(String),
    PathSep,
    Punct(char),
}

/// Rust source → tokens with their line, comments, strings and char literals dropped (a doc
/// comment that mentions a module above is not an import).
fn tokens(src: &str) -> Vec<(usize, Tok)> {
    let c: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let (mut i, mut line) = (0, 1);
    let skip_to = |i: &mut usize, line: &mut usize, end: usize| {
        *line += c[*i..end.min(c.len())].iter().filter(|&&x| x == '\n').count();
        *i = end;
    };
    while i < c.len() {
        let ch = c[i];
        let next = c.get(i + 1).copied();
        if ch == '\n' {
            line += 1;
            i += 1;
        } else if ch == '/' && next == Some('/') {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if ch == '/' && next == Some('*') {
            let mut depth = 0;
            let mut j = i;
            while j < c.len() {
                if c[j] == '/' && c.get(j + 1) == Some(&'*') {
                    depth += 1;
                    j += 2;
                } else if c[j] == '*' && c.get(j + 1) == Some(&'/') {
                    depth -= 1;
                    j += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    j += 1;
                }
            }
            skip_to(&mut i, &mut line, j);
        } else if ch == 'r' && (next == Some('"') || next == Some('#')) && !prev_is_ident(&c, i) {
            // Raw string r"..." / r#"..."#.
            let mut j = i + 1;
            let mut hashes = 0;
            while c.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if c.get(j) != Some(&'"') {
                out.push((line, Tok::Ident("r".into())));
                i += 1;
                continue;
            }
            j += 1;
            'raw: while j < c.len() {
                if c[j] == '"' && (0..hashes).all(|h| c.get(j + 1 + h) == Some(&'#')) {
                    j += 1 + hashes;
                    break 'raw;
                }
                j += 1;
            }
            skip_to(&mut i, &mut line, j);
        } else if ch == '"' {
            let mut j = i + 1;
            while j < c.len() && c[j] != '"' {
                j += if c[j] == '\\' { 2 } else { 1 };
            }
            skip_to(&mut i, &mut line, j + 1);
        } else if ch == '\'' {
            // A char literal ('x', '\n', '\'') or a lifetime ('a).
            if next == Some('\\') {
                let mut j = i + 2;
                while j < c.len() && c[j] != '\'' {
                    j += 1;
                }
                if c.get(i + 2) == Some(&'\'') {
                    j = i + 3; // '\''
                    while j < c.len() && c[j] != '\'' {
                        j += 1;
                    }
                }
                i = j + 1;
            } else if c.get(i + 2) == Some(&'\'') {
                i += 3;
            } else {
                i += 1;
            }
        } else if ch.is_alphanumeric() || ch == '_' {
            let start = i;
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                i += 1;
            }
            out.push((line, Tok::Ident(c[start..i].iter().collect())));
        } else if ch == ':' && next == Some(':') {
            out.push((line, Tok::PathSep));
            i += 2;
        } else {
            if !ch.is_whitespace() {
                out.push((line, Tok::Punct(ch)));
            }
            i += 1;
        }
    }
    out
}

fn prev_is_ident(c: &[char], i: usize) -> bool {
    i > 0 && (c[i - 1].is_alphanumeric() || c[i - 1] == '_')
}

/// The top-level modules a source file names through `crate::` or through `super::` chains
/// that reach the crate root. `module` is the file's module path (`["diagnose", "rules", "x"]`).
fn imports(file: &str, module: &[String], src: &str) -> Vec<Import> {
    let toks = tokens(src);
    let mut out = Vec::new();
    // Inline `mod name { ... }` blocks: (depth of their opening brace).
    let mut inline_mods: Vec<usize> = Vec::new();
    let mut depth = 0usize;
    let ident = |k: usize| match toks.get(k) {
        Some((_, Tok::Ident(s))) => Some(s.as_str()),
        _ => None,
    };
    let is = |k: usize, t: &Tok| toks.get(k).map(|x| &x.1) == Some(t);
    let mut k = 0;
    while k < toks.len() {
        let line = toks[k].0;
        match &toks[k].1 {
            Tok::Punct('{') => {
                depth += 1;
                if ident(k.wrapping_sub(2)) == Some("mod") && ident(k - 1).is_some() {
                    inline_mods.push(depth);
                }
            }
            Tok::Punct('}') => {
                if inline_mods.last() == Some(&depth) {
                    inline_mods.pop();
                }
                depth = depth.saturating_sub(1);
            }
            Tok::Ident(w)
                if w == "crate" && is(k + 1, &Tok::PathSep) && !is(k.wrapping_sub(1), &Tok::Punct('$')) =>
            {
                for target in first_segments(&toks, k + 2) {
                    out.push(Import {
                        file: file.to_string(),
                        line,
                        target,
                    });
                }
            }
            Tok::Ident(w) if w == "super" && !is(k.wrapping_sub(1), &Tok::PathSep) => {
                let mut supers: usize = 0;
                let mut j = k;
                while ident(j) == Some("super") && is(j + 1, &Tok::PathSep) {
                    supers += 1;
                    j += 2;
                }
                if supers == 0 {
                    // `pub(super)`: a visibility, not a path.
                    k += 1;
                    continue;
                }
                // Inside inline modules the first `super`s climb out of them, not the file.
                let levels = supers.saturating_sub(inline_mods.len());
                if supers > inline_mods.len() && levels >= module.len() {
                    for target in first_segments(&toks, j) {
                        out.push(Import {
                            file: file.to_string(),
                            line,
                            target,
                        });
                    }
                }
                k = j;
                continue;
            }
            _ => {}
        }
        k += 1;
    }
    out
}

/// The first path segment at `k`, or every first segment of a `{a::x, b}` group.
fn first_segments(toks: &[(usize, Tok)], k: usize) -> Vec<String> {
    match toks.get(k).map(|t| &t.1) {
        Some(Tok::Ident(s)) if s != "self" => vec![s.clone()],
        Some(Tok::Punct('{')) => {
            let mut v = Vec::new();
            let mut depth = 0;
            let mut expect = true;
            for (_, t) in &toks[k..] {
                match t {
                    Tok::Punct('{') => {
                        depth += 1;
                        expect = depth == 1;
                    }
                    Tok::Punct('}') => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    Tok::Punct(',') if depth == 1 => expect = true,
                    Tok::Ident(s) if expect => {
                        if s != "self" {
                            v.push(s.clone());
                        }
                        expect = false;
                    }
                    _ => expect = false,
                }
            }
            v
        }
        _ => Vec::new(),
    }
}

/// src/a/b.rs → ["a", "b"]; src/a/mod.rs → ["a"]; src/lib.rs → [].
fn module_path(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib" | "main")) {
        parts.pop();
    }
    parts
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Every import between two different top-level modules of the crate in `src`.
fn crate_imports(src: &Path) -> Vec<(String, Import)> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    files.sort();
    let mut all = Vec::new();
    for f in files {
        let rel = f.strip_prefix(src).unwrap();
        let module = module_path(rel);
        let Some(top) = module.first().cloned() else {
            continue; // lib.rs / main.rs: the root declares the modules.
        };
        let text = std::fs::read_to_string(&f).unwrap();
        let name = format!("src/{}", rel.display());
        for imp in imports(&name, &module, &text) {
            if imp.target != top {
                all.push((top.clone(), imp));
            }
        }
    }
    all
}

/// Imports that run up [`LAYERS`] or name a module missing from it.
fn violations(edges: &[(String, Import)]) -> Vec<String> {
    let rank = |m: &str| LAYERS.iter().position(|&l| l == m);
    let mut v = Vec::new();
    for (from, imp) in edges {
        match (rank(from), rank(&imp.target)) {
            (Some(a), Some(b)) if b < a => {}
            (Some(_), Some(_)) => v.push(format!(
                "{}:{}: `{from}` imports `{}`, which is above it (ARCHITECTURE.md)",
                imp.file, imp.line, imp.target
            )),
            (None, _) => v.push(format!(
                "{}: top-level module `{from}` has no place in LAYERS (tests/layering.rs)",
                imp.file
            )),
            (_, None) => v.push(format!(
                "{}:{}: `{}` has no place in LAYERS (tests/layering.rs)",
                imp.file, imp.line, imp.target
            )),
        }
    }
    v
}

/// One import cycle among the top-level modules, if any (as a path a → b → … → a).
fn cycle(edges: &[(String, Import)]) -> Option<Vec<String>> {
    let mut graph: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (from, imp) in edges {
        graph.entry(from).or_default().insert(&imp.target);
    }
    fn visit<'a>(
        n: &'a str,
        graph: &BTreeMap<&'a str, BTreeSet<&'a str>>,
        stack: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) -> Option<Vec<String>> {
        if let Some(i) = stack.iter().position(|&s| s == n) {
            let mut c: Vec<String> = stack[i..].iter().map(|s| s.to_string()).collect();
            c.push(n.to_string());
            return Some(c);
        }
        if !done.insert(n) {
            return None;
        }
        stack.push(n);
        for &m in graph.get(n).into_iter().flatten() {
            if let Some(c) = visit(m, graph, stack, done) {
                return Some(c);
            }
        }
        stack.pop();
        None
    }
    let mut done = BTreeSet::new();
    for &n in graph.keys() {
        if let Some(c) = visit(n, &graph, &mut Vec::new(), &mut done) {
            return Some(c);
        }
    }
    None
}

#[test]
fn no_module_imports_one_above_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let edges = crate_imports(&src);
    // The scan sees the imports that exist (a scanner that finds nothing would pass anything).
    assert!(
        edges.iter().any(|(f, i)| f == "app" && i.target == "diagnose"),
        "app's use of diagnose was not seen"
    );
    assert!(
        edges
            .iter()
            .any(|(f, i)| f == "reconstruct" && i.target == "record"),
        "reconstruct's use of record was not seen"
    );
    let v = violations(&edges);
    assert!(v.is_empty(), "{} upward import(s):\n{}", v.len(), v.join("\n"));
}

#[test]
fn no_import_cycle_between_top_level_modules() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let edges = crate_imports(&src);
    if let Some(c) = cycle(&edges) {
        panic!("import cycle: {}", c.join(" → "));
    }
}

#[test]
fn every_top_level_module_has_a_layer() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    let toks = tokens(&lib);
    let declared: Vec<&str> = toks
        .windows(2)
        .filter_map(|w| match (&w[0].1, &w[1].1) {
            (Tok::Ident(m), Tok::Ident(name)) if m == "mod" => Some(name.as_str()),
            _ => None,
        })
        .collect();
    assert!(
        declared.contains(&"app"),
        "lib.rs modules not found: {declared:?}"
    );
    for m in declared {
        assert!(
            LAYERS.contains(&m),
            "src/lib.rs declares `{m}`, which has no place in LAYERS"
        );
    }
}

// The checker itself, on hand-written sources: it must find what it is there to find.

fn edges_of(files: &[(&str, &str)]) -> Vec<(String, Import)> {
    let mut all = Vec::new();
    for (path, text) in files {
        let module = module_path(Path::new(path));
        let top = module[0].clone();
        for imp in imports(path, &module, text) {
            if imp.target != top {
                all.push((top.clone(), imp));
            }
        }
    }
    all
}

#[test]
fn checker_sees_grouped_inline_and_super_paths() {
    let e = edges_of(&[(
        "diagnose/rules/x.rs",
        "use crate::{record::Timestamp, reconstruct::{Model, Tunnel}};\n\
         use super::super::super::keys::KeyStore;\n\
         fn f() { let _ = crate::capture::IngestEvent::X; let _ = '\"'; }\n\
         // crate::app::cli in a comment is not an import\n\
         const S: &str = \"crate::app\"; const R: &str = r#\"crate::report\"#;\n\
         mod tests { use super::*; fn g<'a>(_: &'a str) { super::super::Ctx::new(); } }\n\
         pub(super) fn h() {}\n",
    )]);
    let targets: Vec<&str> = e.iter().map(|(_, i)| i.target.as_str()).collect();
    assert_eq!(targets, ["record", "reconstruct", "keys", "capture"]);
    assert_eq!(e[3].1.line, 3);
}

#[test]
fn checker_rejects_an_upward_import_and_a_cycle() {
    let e = edges_of(&[
        ("diagnose/rules/x.rs", "use crate::report::notify_list;"),
        ("report/mod.rs", "use crate::diagnose::Finding;"),
    ]);
    let v = violations(&e);
    assert_eq!(v.len(), 1, "{v:?}");
    assert!(
        v[0].starts_with("diagnose/rules/x.rs:1: `diagnose` imports `report`"),
        "{v:?}"
    );
    assert_eq!(cycle(&e).unwrap(), ["diagnose", "report", "diagnose"]);
    let unknown = violations(&edges_of(&[("report/mod.rs", "use crate::gui::Window;")]));
    assert_eq!(unknown.len(), 1, "{unknown:?}");
}
