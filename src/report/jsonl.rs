//! `analyze --format jsonl`: JSON Lines for log pipelines and data lakes. Each line is one
//! self-contained flat object: a `tunnel` record per tunnel, followed by a `finding` record per
//! finding on that tunnel; then a `group` record per group of one-message initiators, followed
//! by its findings; then the findings about a responder as a whole (columns in
//! [`super::rows`], contract in docs/json.md).

use super::rows::{emit_rows, FindingRow, GroupRow, RowSink, TunnelRow};
use crate::diagnose::Finding;
use crate::reconstruct::Model;
use serde::Serialize;
use std::io::{self, Write};

/// One line: the row, with `event_type` naming what it is.
#[derive(Serialize)]
#[serde(tag = "event_type", rename_all = "snake_case")]
enum Event<'a> {
    Tunnel(&'a TunnelRow),
    Finding(&'a FindingRow),
    Group(&'a GroupRow),
}

/// Writes the records it receives, one per line (exchange and ESP flow rows are not wanted).
pub struct JsonlWriter<W: Write> {
    out: W,
}

impl<W: Write> JsonlWriter<W> {
    /// A writer to `out` (buffer it: every record is a few small writes).
    pub fn new(out: W) -> Self {
        JsonlWriter { out }
    }

    fn line(&mut self, event: Event<'_>) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, &event).map_err(io::Error::from)?;
        self.out.write_all(b"\n")
    }
}

impl<W: Write> RowSink for JsonlWriter<W> {
    fn tunnel(&mut self, row: TunnelRow) -> io::Result<()> {
        self.line(Event::Tunnel(&row))
    }
    fn finding(&mut self, row: FindingRow) -> io::Result<()> {
        self.line(Event::Finding(&row))
    }
    fn group(&mut self, row: GroupRow) -> io::Result<()> {
        self.line(Event::Group(&row))
    }
    fn wants_details(&self) -> bool {
        false
    }
    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Write the records of the tunnels `keep` marks (all when `None`) and of `findings` (already
/// restricted to them), tunnel by tunnel.
pub fn write_records<W: Write>(
    model: &Model,
    findings: &[Finding],
    keep: Option<&[bool]>,
    out: W,
) -> io::Result<()> {
    let mut w = JsonlWriter { out };
    emit_rows(model, findings, keep, &mut w)?;
    w.finish()
}
