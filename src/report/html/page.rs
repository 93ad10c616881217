//! The page shell: a Content-Security-Policy that forbids every fetch, the inline stylesheet
//! and script from `assets/`, and the data document as `<script type="application/json">`.

use serde_json::Value;
use std::io::{self, Write};

const STYLE: &str = include_str!("assets/report.css");
const SCRIPT: &str = include_str!("assets/report.js");

/// Nothing may be loaded from anywhere: only the inline style and script run, images only as
/// `data:` URLs.
const CSP: &str = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; \
img-src data:; base-uri 'none'; form-action 'none'";

/// Passes bytes through, writing `<` as `\u003c` so the JSON cannot close its `<script>` (a `<`
/// only ever appears inside JSON strings, where the escape means the same character).
struct ScriptSafe<W: Write>(W);

impl<W: Write> Write for ScriptSafe<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut rest = buf;
        while let Some(i) = rest.iter().position(|&b| b == b'<') {
            self.0.write_all(&rest[..i])?;
            self.0.write_all(b"\\u003c")?;
            rest = &rest[i + 1..];
        }
        self.0.write_all(rest)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// Write the whole page.
pub fn write<W: Write>(data: &Value, mut out: W) -> io::Result<()> {
    write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<title>ikescope report</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n\
<noscript><p>This report draws its tables and diagrams with JavaScript; enable it to read the report.</p></noscript>\n\
<main id=\"report\"></main>\n<script type=\"application/json\" id=\"ikescope-data\">"
    )?;
    let mut safe = ScriptSafe(&mut out);
    serde_json::to_writer(&mut safe, data).map_err(io::Error::from)?;
    write!(out, "</script>\n<script>\n{SCRIPT}</script>\n</body>\n</html>\n")?;
    out.flush()
}
