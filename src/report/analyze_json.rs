//! `analyze --format json`: one document (contract in docs/json.md).

use crate::diagnose::{by_tunnel, tunnel_state, Finding, Severity};
use crate::reconstruct::Tunnel;
use crate::reconstruct::{Exchange, IkeSa, Model};
use serde_json::{json, Value};
use std::io::{self, Write};

fn frames(model: &Model, msgs: &[crate::reconstruct::MsgRef]) -> Vec<Value> {
    msgs.iter()
        .map(|m| json!({"file": model.data.files.get(m.at.file), "frame": m.at.frame, "time": m.time, "retransmit": m.retransmit}))
        .collect()
}

fn exchange_json(model: &Model, e: &Exchange) -> Value {
    json!({
        "kind": e.kind,
        "name": e.kind.label(),
        "exchange": e.exchange_type,
        "message_id": e.message_id,
        "phase": e.kind.phase(),
        "requester": e.requester,
        "responder": e.responder,
        "requests": frames(model, &e.requests),
        "responses": frames(model, &e.responses),
        "retransmissions": e.request_retransmits(),
        "answered": !e.unanswered(),
        "rtt_ms": e.rtt.map(|r| (r * 1e6).round() / 1e3),
    })
}

fn sa_json(model: &Model, sa: &IkeSa) -> Value {
    let (enc, ok, bad) = super::decryption_tally(
        sa.messages
            .iter()
            .filter_map(|&i| model.data.ike[i].ike.as_deref()),
    );
    json!({
        "decryption": {"encrypted_messages": enc, "decrypted": ok, "key_mismatch": bad},
        "version": sa.version,
        "spi_i": sa.spi_i,
        "spi_r": sa.spi_r,
        "initiator": sa.initiator,
        "responder": sa.responder,
        "state": sa.state,
        "first": sa.first,
        "last": sa.last,
        "established": sa.established.map(|(t, at)| json!({"time": t, "file": model.data.files.get(at.file), "frame": at.frame})),
        "rekey_of": sa.rekey_of.map(|p| model.sas[p].spi_i),
        "exchanges": sa.exchanges.iter().map(|e| exchange_json(model, e)).collect::<Vec<_>>(),
    })
}

fn inputs_value(model: &Model) -> Value {
    let inputs: Vec<Value> = model
        .data
        .files
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let s = &model.data.stats[i];
            json!({
                "file": f,
                "packets": s.packets,
                "ike_packets": s.ike_packets,
                "esp_packets": s.esp_packets,
                "malformed": model.data.malformed[i].max(s.malformed),
                "bytes": s.bytes,
            })
        })
        .collect();
    Value::Array(inputs)
}

fn tunnel_value(model: &Model, t: &Tunnel, findings: &[&Finding]) -> Value {
    let children: Vec<Value> = t
        .children
        .iter()
        .map(|&c| {
            let ch = &model.children[c];
            let (p, b) = ch
                .esp
                .iter()
                .filter_map(|k| model.esp.get(k))
                .fold((0, 0), |(p, b), f| (p + f.packets, b + f.bytes));
            json!({
                "ike_sa": model.sas[ch.ike_sa].spi_i,
                "created_by": ch.kind,
                "time": ch.time,
                "file": model.data.files.get(ch.at.file),
                "frame": ch.at.frame,
                "spis": ch.spis.iter().map(|s| format!("{s:08x}")).collect::<Vec<_>>(),
                "inferred": ch.inferred,
                "esp_spis": ch.esp.iter().map(|k| format!("{:08x}", k.2)).collect::<Vec<_>>(),
                "esp_packets": p,
                "esp_bytes": b,
            })
        })
        .collect();
    let esp: Vec<Value> = t
        .esp
        .iter()
        .filter_map(|k| model.esp.get(k))
        .map(|f| {
            json!({
                "spi": format!("{:08x}", f.spi),
                "src": f.src,
                "dst": f.dst,
                "packets": f.packets,
                "bytes": f.bytes,
                "first": f.first,
                "last": f.last,
                "udp_encap": f.udp_encap,
                "first_frame": f.first_frame.frame,
                "last_frame": f.last_frame.frame,
                "max_seq": f.max_seq,
                "seq_gaps": f.seq_gaps,
                "seq_resets": f.seq_resets,
            })
        })
        .collect();
    json!({
        "id": t.id,
        "peers": t.peers,
        "ike_versions": t.versions,
        "state": tunnel_state(model, t, findings),
        "first": t.first,
        "last": t.last,
        "ike_sas": t.sas.iter().map(|&s| sa_json(model, &model.sas[s])).collect::<Vec<_>>(),
        "child_sas": children,
        "esp": esp,
    })
}

fn problems_value(model: &Model) -> Value {
    Value::Array(
        model
            .data
            .problems
            .iter()
            .map(|p| {
                json!({
                    "file": model.data.files.get(p.file_index),
                    "frame": p.frame,
                    "offset": p.offset,
                    "what": p.what,
                })
            })
            .collect(),
    )
}

fn summary_value(findings: &[Finding]) -> Value {
    let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    json!({"errors": count(Severity::Error), "warnings": count(Severity::Warning), "info": count(Severity::Info)})
}

/// The whole document as one value (convenient for small captures and tests; the CLI streams it
/// with [`write_document`]).
pub fn document(model: &Model, findings: &[Finding]) -> Value {
    let grouped = by_tunnel(findings);
    let tunnels: Vec<Value> = model
        .tunnels
        .iter()
        .map(|t| {
            tunnel_value(
                model,
                t,
                grouped.get(t.id.as_str()).map(Vec::as_slice).unwrap_or(&[]),
            )
        })
        .collect();
    json!({
        "inputs": inputs_value(model),
        "tunnels": tunnels,
        "findings": findings,
        "problems": problems_value(model),
        "summary": summary_value(findings),
    })
}

/// Write one pretty-printed element of an array, indented one level.
fn write_element<W: Write>(out: &mut W, v: &impl serde::Serialize, first: bool) -> io::Result<()> {
    let text = serde_json::to_string_pretty(v).map_err(io::Error::from)?;
    if !first {
        out.write_all(b",")?;
    }
    out.write_all(b"\n    ")?;
    out.write_all(text.replace('\n', "\n    ").as_bytes())
}

/// Stream the document tunnel by tunnel, so memory holds one tunnel's JSON at a time. The
/// output is the same JSON as [`document`] (keys in the same order).
pub fn write_document<W: Write>(model: &Model, findings: &[Finding], mut out: W) -> io::Result<()> {
    let grouped = by_tunnel(findings);
    out.write_all(b"{\n  \"inputs\": ")?;
    let inputs = serde_json::to_string_pretty(&inputs_value(model)).map_err(io::Error::from)?;
    out.write_all(inputs.replace('\n', "\n  ").as_bytes())?;
    out.write_all(b",\n  \"tunnels\": [")?;
    for (i, t) in model.tunnels.iter().enumerate() {
        let tf = grouped.get(t.id.as_str()).map(Vec::as_slice).unwrap_or(&[]);
        write_element(&mut out, &tunnel_value(model, t, tf), i == 0)?;
    }
    out.write_all(if model.tunnels.is_empty() { b"]" } else { b"\n  ]" })?;
    out.write_all(b",\n  \"findings\": [")?;
    for (i, f) in findings.iter().enumerate() {
        write_element(&mut out, f, i == 0)?;
    }
    out.write_all(if findings.is_empty() { b"]" } else { b"\n  ]" })?;
    out.write_all(b",\n  \"problems\": ")?;
    let problems = serde_json::to_string_pretty(&problems_value(model)).map_err(io::Error::from)?;
    out.write_all(problems.replace('\n', "\n  ").as_bytes())?;
    out.write_all(b",\n  \"summary\": ")?;
    let summary = serde_json::to_string_pretty(&summary_value(findings)).map_err(io::Error::from)?;
    out.write_all(summary.replace('\n', "\n  ").as_bytes())?;
    out.write_all(b"\n}\n")
}
