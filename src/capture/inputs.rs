//! Expanding what the command line names into the list of captures to read: plain paths, `-`
//! (stdin), directories (searched recursively, captures recognised by content) and the lists of
//! `--files-from`.
//!
//! A path named directly (on the command line or in a list) is taken as given: if it cannot be
//! read, reading it reports why. Inside a directory only files whose first bytes are a pcap,
//! pcapng or gzip-compressed capture are taken; other files are counted and skipped. Symbolic
//! links to files are followed, links to directories are not (no cycles). Directory entries are
//! taken in byte order of their names, so a run is reproducible.

use super::magic::sniff_capture;
use std::fmt;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// The path that stands for standard input.
pub const STDIN: &str = "-";

/// The captures to read, and what went wrong while listing them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InputList {
    /// Capture paths in order (`-` = stdin).
    pub files: Vec<String>,
    /// Inputs that could not be listed or opened (the run goes on without them; exit status 2).
    pub problems: Vec<InputProblem>,
    /// What each directory named as input held.
    pub directories: Vec<DirectoryListing>,
}

/// An input that could not be listed: a directory or list that cannot be read, a file inside a
/// directory that cannot be opened, a name that is not UTF-8.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputProblem {
    /// The path concerned.
    pub path: String,
    /// What went wrong.
    pub what: String,
}

impl fmt::Display for InputProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.what)
    }
}

/// What a directory named as input held.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirectoryListing {
    /// The directory named as input.
    pub dir: String,
    /// Captures found under it.
    pub captures: usize,
    /// Files under it that are not pcap/pcapng (plain or gzip), skipped.
    pub skipped: usize,
}

impl DirectoryListing {
    /// Worth a note on stderr: files were skipped, or no capture was found.
    pub fn noteworthy(&self) -> bool {
        self.skipped > 0 || self.captures == 0
    }
}

impl fmt::Display for DirectoryListing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plural = |n: usize| if n == 1 { "" } else { "s" };
        write!(
            f,
            "{}: {} capture{} found, {} other file{} skipped",
            self.dir,
            self.captures,
            plural(self.captures),
            self.skipped,
            plural(self.skipped)
        )
    }
}

/// Expand `args` (paths, `-`, directories) followed by the paths listed in `files_from` (a file
/// or `-` for stdin, one path per line; empty lines are ignored, a trailing `\r` is dropped).
pub fn expand_inputs(args: &[String], files_from: Option<&str>) -> InputList {
    let mut out = InputList::default();
    for a in args {
        if a == STDIN && files_from == Some(STDIN) {
            out.problems.push(InputProblem {
                path: STDIN.into(),
                what: "standard input is already the --files-from list".into(),
            });
            continue;
        }
        add_path(a, &mut out);
    }
    if let Some(list) = files_from {
        match read_list(list) {
            Ok(lines) => {
                for line in lines {
                    match line {
                        Ok(p) if p == STDIN && list == STDIN => out.problems.push(InputProblem {
                            path: STDIN.into(),
                            what: "standard input is already the --files-from list".into(),
                        }),
                        Ok(p) => add_path(&p, &mut out),
                        Err(problem) => out.problems.push(problem),
                    }
                }
            }
            Err(e) => out.problems.push(InputProblem {
                path: list.to_string(),
                what: format!("cannot read the --files-from list: {e}"),
            }),
        }
    }
    out
}

/// The lines of a `--files-from` list; a line that is not UTF-8 is a problem of its own.
fn read_list(list: &str) -> io::Result<Vec<Result<String, InputProblem>>> {
    let mut bytes = Vec::new();
    if list == STDIN {
        io::stdin().lock().read_to_end(&mut bytes)?;
    } else {
        fs::File::open(list)?.read_to_end(&mut bytes)?;
    }
    Ok(bytes
        .split(|&b| b == b'\n')
        .enumerate()
        .map(|(i, l)| (i, l.strip_suffix(b"\r").unwrap_or(l)))
        .filter(|(_, l)| !l.is_empty())
        .map(|(i, l)| {
            String::from_utf8(l.to_vec()).map_err(|_| InputProblem {
                path: format!("{list}:{}", i + 1),
                what: "path is not UTF-8".into(),
            })
        })
        .collect())
}

/// A named path: a directory is searched, anything else (including a path that does not exist)
/// is taken as given.
fn add_path(path: &str, out: &mut InputList) {
    if path != STDIN && fs::metadata(path).is_ok_and(|m| m.is_dir()) {
        let before = out.files.len();
        let mut skipped = 0;
        walk(Path::new(path), out, &mut skipped);
        out.directories.push(DirectoryListing {
            dir: path.to_string(),
            captures: out.files.len() - before,
            skipped,
        });
    } else {
        out.files.push(path.to_string());
    }
}

/// Depth-first over `root`, entries in name order; captures go to `out.files`.
fn walk(root: &Path, out: &mut InputList, skipped: &mut usize) {
    let mut stack: Vec<PathBuf> = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let mut entries: Vec<PathBuf> = match fs::read_dir(&dir) {
            Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
            Err(e) => {
                out.problems.push(InputProblem {
                    path: dir.display().to_string(),
                    what: format!("cannot list directory: {e}"),
                });
                continue;
            }
        };
        entries.sort();
        // Subdirectories are pushed in reverse so they are visited in name order, after this
        // directory's own files.
        let mut subdirs = Vec::new();
        for entry in entries {
            let Ok(link) = fs::symlink_metadata(&entry) else {
                continue;
            };
            if link.is_dir() {
                subdirs.push(entry);
                continue;
            }
            // Follow a link to a file; a dangling link or a link to a directory is skipped.
            if !fs::metadata(&entry).is_ok_and(|m| m.is_file()) {
                continue;
            }
            let Some(path) = entry.to_str() else {
                out.problems.push(InputProblem {
                    path: entry.display().to_string(),
                    what: "path is not UTF-8".into(),
                });
                continue;
            };
            match sniff_capture(path) {
                Ok(Some(_)) => out.files.push(path.to_string()),
                Ok(None) => *skipped += 1,
                Err(e) => out.problems.push(InputProblem {
                    path: path.to_string(),
                    what: e.to_string(),
                }),
            }
        }
        stack.extend(subdirs.into_iter().rev());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A scratch directory removed on drop.
    struct Scratch(PathBuf);
    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn scratch(name: &str) -> Scratch {
        let p = std::env::temp_dir().join(format!("ikescope-inputs-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&p);
        fs::create_dir_all(&p).unwrap();
        Scratch(p)
    }

    const PCAP_HEADER: [u8; 24] = [
        0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0,
    ];

    fn gzip(data: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn directories_are_searched_by_content_in_name_order() {
        let s = scratch("walk");
        let d = &s.0;
        fs::create_dir_all(d.join("b/deeper")).unwrap();
        fs::create_dir_all(d.join("a")).unwrap();
        fs::write(d.join("z.bin"), PCAP_HEADER).unwrap(); // a capture whatever its name
        fs::write(d.join("notes.pcap"), b"not a capture").unwrap(); // not one whatever its name
        fs::write(d.join("a/one.gz"), gzip(&PCAP_HEADER)).unwrap();
        fs::write(d.join("a/text.gz"), gzip(b"hello world")).unwrap();
        fs::write(d.join("b/deeper/ng"), [0x0a, 0x0d, 0x0d, 0x0a, 0, 0, 0, 0]).unwrap();
        fs::write(d.join("b/empty"), b"").unwrap();
        let root = d.to_str().unwrap().to_string();
        let got = expand_inputs(std::slice::from_ref(&root), None);
        let rel: Vec<String> = got
            .files
            .iter()
            .map(|f| f.strip_prefix(&root).unwrap().to_string())
            .collect();
        assert_eq!(rel, ["/z.bin", "/a/one.gz", "/b/deeper/ng"]);
        assert!(got.problems.is_empty(), "{:?}", got.problems);
        assert_eq!(
            got.directories,
            [DirectoryListing {
                dir: root,
                captures: 3,
                skipped: 3
            }]
        );
    }

    #[test]
    fn lists_keep_named_paths_and_report_problems() {
        let s = scratch("list");
        let d = &s.0;
        fs::create_dir_all(d.join("dir")).unwrap();
        fs::write(d.join("dir/c.pcap"), PCAP_HEADER).unwrap();
        let list = d.join("list.txt");
        let dir = d.join("dir");
        fs::write(
            &list,
            format!("/nonexistent/x.pcap\r\n\n{}\n", dir.display()).into_bytes(),
        )
        .unwrap();
        let got = expand_inputs(&["first.pcap".into()], list.to_str());
        assert_eq!(
            got.files,
            [
                "first.pcap".to_string(),
                "/nonexistent/x.pcap".into(),
                dir.join("c.pcap").display().to_string()
            ]
        );
        assert!(got.problems.is_empty());

        let missing = expand_inputs(&[], Some("/nonexistent/list"));
        assert!(missing.files.is_empty());
        assert_eq!(missing.problems.len(), 1);
        assert!(missing.problems[0]
            .what
            .starts_with("cannot read the --files-from list"));
    }
}
