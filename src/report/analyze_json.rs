//! `analyze --format json`: one document (contract in docs/json.md).

use crate::diagnose::{by_tunnel, tunnel_state, Finding, Severity, TunnelState};
use crate::reconstruct::{
    Exchange, ExchangeKind, IkeSa, ImplementationGuess, Model, MsgRef, NotAnalysed, Phase, SaState, Tunnel,
};
use crate::record::{Spi8, Timestamp};
use ikescope_parsers::iana::{ExchangeType, IkeVersion};
use rayon::prelude::*;
use serde::Serialize;
use serde_json::{json, Value};
use std::io::{self, Write};
use std::net::IpAddr;

/// One frame of an exchange.
#[derive(Serialize)]
struct FrameJson<'a> {
    file: Option<&'a String>,
    frame: u64,
    retransmit: bool,
    time: Timestamp,
}

fn frames<'a>(model: &'a Model, msgs: &[MsgRef]) -> Vec<FrameJson<'a>> {
    msgs.iter()
        .map(|m| FrameJson {
            file: model.data.files.get(m.at.file),
            frame: m.at.frame,
            retransmit: m.retransmit,
            time: m.time,
        })
        .collect()
}

/// One exchange (keys in alphabetical order, like the rest of the document).
#[derive(Serialize)]
struct ExchangeJson<'a> {
    answered: bool,
    exchange: ExchangeType,
    kind: ExchangeKind,
    message_id: u32,
    name: &'static str,
    phase: Option<Phase>,
    requester: IpAddr,
    requests: Vec<FrameJson<'a>>,
    responder: IpAddr,
    responses: Vec<FrameJson<'a>>,
    retransmissions: usize,
    rtt_ms: Option<f64>,
}

fn exchange_json<'a>(model: &'a Model, e: &Exchange) -> ExchangeJson<'a> {
    ExchangeJson {
        answered: !e.unanswered(),
        exchange: e.exchange_type,
        kind: e.kind,
        message_id: e.message_id,
        name: e.kind.label(),
        phase: e.kind.phase(),
        requester: e.requester,
        requests: frames(model, &e.requests),
        responder: e.responder,
        responses: frames(model, &e.responses),
        retransmissions: e.request_retransmits(),
        rtt_ms: e.rtt.map(|r| (r * 1e6).round() / 1e3),
    }
}

/// One IKE SA.
#[derive(Serialize)]
struct SaJson<'a> {
    decryption: Value,
    established: Option<Value>,
    exchanges: Vec<ExchangeJson<'a>>,
    first: Timestamp,
    initiator: IpAddr,
    last: Timestamp,
    /// Answered liveness checks counted but not listed in `exchanges`.
    liveness_folded: u64,
    rekey_of: Option<Spi8>,
    responder: IpAddr,
    spi_i: Spi8,
    spi_r: Spi8,
    state: SaState,
    version: IkeVersion,
}

fn sa_json<'a>(model: &'a Model, sa: &IkeSa) -> SaJson<'a> {
    let (enc, ok, bad) = super::decryption_tally(
        sa.messages
            .iter()
            .filter_map(|&i| model.data.ike[i].ike.as_deref()),
    );
    SaJson {
        decryption: json!({"encrypted_messages": enc, "decrypted": ok, "key_mismatch": bad}),
        established: sa
            .established
            .map(|(t, at)| json!({"time": t, "file": model.data.files.get(at.file), "frame": at.frame})),
        exchanges: sa.exchanges.iter().map(|e| exchange_json(model, e)).collect(),
        first: sa.first,
        initiator: sa.initiator,
        last: sa.last,
        liveness_folded: sa.liveness_folded,
        rekey_of: sa.rekey_of.map(|p| model.sas[p].spi_i),
        responder: sa.responder,
        spi_i: sa.spi_i,
        spi_r: sa.spi_r,
        state: sa.state,
        version: sa.version,
    }
}

/// One tunnel.
#[derive(Serialize)]
struct TunnelJson<'a> {
    capture_point: &'static str,
    capture_point_evidence: &'a [String],
    child_sas: Vec<Value>,
    esp: Vec<Value>,
    first: Timestamp,
    id: &'a str,
    ike_sas: Vec<SaJson<'a>>,
    ike_versions: &'a std::collections::BTreeSet<IkeVersion>,
    implementations: Vec<Value>,
    inner_flows: Vec<Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    bgp: Vec<Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    inner_health: Vec<Value>,
    last: Timestamp,
    peers: [IpAddr; 2],
    state: TunnelState,
    throughput: Vec<Value>,
}

/// ESP over time in each direction: buckets from the first to the last with traffic.
pub fn throughput_value(model: &Model, t: &Tunnel) -> Vec<Value> {
    t.esp_directions(model)
        .filter_map(|(src, dst, series)| {
            let (start, bytes, packets) = series.span()?;
            Some(json!({
                "src": src,
                "dst": dst,
                "start": Timestamp(start),
                "interval_s": series.width_ns as f64 / 1e9,
                "bytes": bytes,
                "packets": packets,
            }))
        })
        .collect()
}

/// `inputs` of the document (also the HTML page's).
pub fn inputs_value(model: &Model) -> Value {
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
                "not_analysed": not_analysed_value(model, i),
            })
        })
        .collect();
    Value::Array(inputs)
}

fn tunnel_value<'a>(model: &'a Model, t: &'a Tunnel, findings: &[&Finding]) -> TunnelJson<'a> {
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
            let (opened, mismatch) = model
                .data
                .esp_decryption
                .get(&(f.src, f.dst, f.spi))
                .copied()
                .unwrap_or((0, 0));
            let mut v = json!({
                "decrypted": opened,
                "key_mismatch": mismatch,
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
            });
            if let Some(&n) = model.data.esp_fragmented.get(&(f.src, f.dst, f.spi)) {
                v["ip_fragmented"] = json!(n);
            }
            v
        })
        .collect();
    TunnelJson {
        capture_point: t.capture_point.point.as_str(),
        capture_point_evidence: &t.capture_point.evidence,
        child_sas: children,
        esp,
        first: t.first,
        id: &t.id,
        ike_sas: t.sas.iter().map(|&s| sa_json(model, &model.sas[s])).collect(),
        ike_versions: &t.versions,
        implementations: t.implementations.iter().map(implementation_value).collect(),
        inner_flows: t
            .inner_flows(model)
            .into_iter()
            .map(|x| {
                json!({"src": x.src, "dst": x.dst, "spi": format!("{:08x}", x.spi), "inner": x.flow, "packets": x.packets, "bytes": x.bytes})
            })
            .collect(),
        bgp: super::inner::bgp_of(model, t).into_iter().map(super::inner::bgp_json).collect(),
        inner_health: super::inner::tcp_flows(model, t)
            .into_iter()
            .map(|(k, f)| super::inner::tcp_json(k, f))
            .collect(),
        last: t.last,
        peers: t.peers,
        state: tunnel_state(model, t, findings),
        throughput: throughput_value(model, t),
    }
}

/// One peer's `implementations[]` entry.
fn implementation_value(g: &ImplementationGuess) -> Value {
    json!({
        "peer": g.peer,
        "name": g.name(),
        "confidence": g.confidence.map(|c| c.as_str()),
        "evidence": g.evidence,
    })
}

fn problems_value(model: &Model) -> Value {
    // Whole inputs not analysed come first (frame 0: no frame of theirs is meant); a cut-short
    // file already has its problem at the frame where it ends.
    let whole_inputs = model.data.not_analysed.iter().filter_map(|(i, why)| {
        let frame = match why {
            NotAnalysed::CutShort { .. } => return None,
            NotAnalysed::UnsupportedLinkType { first_frame, .. } => *first_frame,
            NotAnalysed::Unreadable(_) | NotAnalysed::Duplicate { .. } => 0,
        };
        Some(json!({
            "file": model.data.files.get(*i),
            "frame": frame,
            "offset": 0,
            "what": why.describe(&model.data.files),
        }))
    });
    let packets = model.data.problems.iter().map(|p| {
        json!({
            "file": model.data.files.get(p.file_index),
            "frame": p.frame,
            "offset": p.offset,
            "what": p.what,
        })
    });
    Value::Array(whole_inputs.chain(packets).collect())
}

/// What of input `i` was not analysed, for its `inputs[]` entry.
fn not_analysed_value(model: &Model, i: usize) -> Value {
    Value::Array(
        model
            .data
            .not_analysed
            .iter()
            .filter(|(f, _)| *f == i)
            .map(|(_, why)| json!({"kind": why.kind(), "what": why.describe(&model.data.files)}))
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
    let tunnels: Vec<TunnelJson> = model
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
    let groups: Vec<Value> = model
        .data
        .groups
        .values()
        .map(|g| super::groups::group_value(model, g))
        .collect();
    json!({
        "inputs": inputs_value(model),
        "tunnels": tunnels,
        "groups": groups,
        "findings": findings,
        "pairs": super::pairs::json(model, &super::pairs::shown_pairs(model, None)),
        "problems": problems_value(model),
        "summary": summary_value(findings),
    })
}

/// Write the elements of an array one per line (compact JSON), between `[` and `]` already
/// written by the caller.
fn write_elements<W: Write, T: serde::Serialize>(
    out: &mut W,
    items: impl IntoIterator<Item = T>,
) -> io::Result<()> {
    for (i, v) in items.into_iter().enumerate() {
        out.write_all(if i == 0 { b"\n    " } else { b",\n    " })?;
        serde_json::to_writer(&mut *out, &v).map_err(io::Error::from)?;
    }
    Ok(())
}

/// Tunnels serialized together in [`write_selected`].
const TUNNELS_PER_CHUNK: usize = 256;

/// Stream the document tunnel by tunnel, so memory holds one tunnel's JSON at a time: the
/// top-level keys one per line, each input, tunnel, finding and problem as one compact line. The
/// output parses to the same value as [`document`].
pub fn write_document<W: Write>(model: &Model, findings: &[Finding], out: W) -> io::Result<()> {
    write_selected(model, findings, None, out)
}

/// [`write_document`] for the tunnels `keep` marks (all when `None`).
pub fn write_selected<W: Write>(
    model: &Model,
    findings: &[Finding],
    keep: Option<&[bool]>,
    mut out: W,
) -> io::Result<()> {
    let grouped = by_tunnel(findings);
    let inputs = inputs_value(model);
    let problems = problems_value(model);
    let empty: &[Value] = &[];
    out.write_all(b"{\n  \"inputs\": [")?;
    write_elements(&mut out, inputs.as_array().map(Vec::as_slice).unwrap_or(empty))?;
    out.write_all(b"\n  ],\n  \"tunnels\": [")?;
    let shown: Vec<&Tunnel> = model
        .tunnels
        .iter()
        .enumerate()
        .filter(|(i, _)| keep.is_none_or(|k| k[*i]))
        .map(|(_, t)| t)
        .collect();
    // the tunnels are serialized on all cores, a chunk at a time (memory holds one chunk's
    // JSON), and written in model order
    for (c, chunk) in shown.chunks(TUNNELS_PER_CHUNK).enumerate() {
        let lines: Vec<Vec<u8>> = chunk
            .par_iter()
            .map(|t| {
                let tf = grouped.get(t.id.as_str()).map(Vec::as_slice).unwrap_or(&[]);
                serde_json::to_vec(&tunnel_value(model, t, tf))
            })
            .collect::<Result<_, _>>()
            .map_err(io::Error::from)?;
        for (i, line) in lines.iter().enumerate() {
            out.write_all(if c == 0 && i == 0 { b"\n    " } else { b",\n    " })?;
            out.write_all(line)?;
        }
    }
    out.write_all(b"\n  ],\n  \"groups\": [")?;
    let groups = super::groups::shown(model, findings, keep.is_some());
    write_elements(
        &mut out,
        groups.into_iter().map(|g| super::groups::group_value(model, g)),
    )?;
    out.write_all(b"\n  ],\n  \"findings\": [")?;
    write_elements(&mut out, findings)?;
    out.write_all(b"\n  ],\n  \"pairs\": ")?;
    serde_json::to_writer(
        &mut out,
        &super::pairs::json(model, &super::pairs::shown_pairs(model, keep)),
    )
    .map_err(io::Error::from)?;
    out.write_all(b",\n  \"problems\": [")?;
    write_elements(&mut out, problems.as_array().map(Vec::as_slice).unwrap_or(empty))?;
    out.write_all(b"\n  ],\n  \"summary\": ")?;
    serde_json::to_writer(&mut out, &summary_value(findings)).map_err(io::Error::from)?;
    if let Some(keep) = keep {
        // --peer / --failing: how many tunnels the capture has and how many are listed
        out.write_all(b",\n  \"selection\": ")?;
        let v = json!({"tunnels_total": keep.len(), "tunnels_shown": keep.iter().filter(|k| **k).count()});
        serde_json::to_writer(&mut out, &v).map_err(io::Error::from)?;
    }
    out.write_all(b"\n}\n")
}
