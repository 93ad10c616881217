//! `analyze --format json`: one document (contract in docs/json.md).

use crate::diagnose::{by_tunnel, tunnel_state, Finding, Severity, TunnelState};
use crate::reconstruct::esp_series::EspSeries;
use crate::reconstruct::{
    Exchange, ExchangeKind, IkeSa, ImplementationGuess, Model, MsgRef, NotAnalysed, Phase, SaState, Tunnel,
};
use crate::record::{Spi8, Timestamp};
use ikescope_parsers::iana::{ExchangeType, IkeVersion};
use rayon::prelude::*;
use serde::Serialize;
use serde_json::{json, Value};
use std::borrow::Cow;
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

/// The frames of an exchange's requests or responses, serialized as an array straight from the
/// model.
struct Frames<'a> {
    model: &'a Model,
    msgs: &'a [MsgRef],
}

impl Serialize for Frames<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.msgs.iter().map(|m| FrameJson {
            file: self.model.data.files.get(m.at.file),
            frame: m.at.frame,
            retransmit: m.retransmit,
            time: m.time,
        }))
    }
}

fn frames<'a>(model: &'a Model, msgs: &'a [MsgRef]) -> Frames<'a> {
    Frames { model, msgs }
}

/// A 32-bit SPI as 8 lowercase hex digits (as `format!("{:08x}")`), written without allocating.
#[derive(Clone, Copy)]
struct Spi32(u32);

impl Serialize for Spi32 {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut b = [0u8; 8];
        for (i, d) in b.iter_mut().enumerate() {
            *d = DIGITS[(self.0 >> (28 - 4 * i) & 0xf) as usize];
        }
        s.serialize_str(std::str::from_utf8(&b).unwrap_or_default())
    }
}

/// An IKE SA's exchanges, serialized as an array straight from the model.
struct ExchangesJson<'a> {
    model: &'a Model,
    list: &'a [Exchange],
}

impl Serialize for ExchangesJson<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.list.iter().map(|e| exchange_json(self.model, e)))
    }
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
    requests: Frames<'a>,
    responder: IpAddr,
    responses: Frames<'a>,
    retransmissions: usize,
    rtt_ms: Option<f64>,
}

fn exchange_json<'a>(model: &'a Model, e: &'a Exchange) -> ExchangeJson<'a> {
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

/// An IKE SA's `decryption` counts.
#[derive(Serialize)]
struct DecryptionJson {
    decrypted: usize,
    encrypted_messages: usize,
    key_mismatch: usize,
}

/// Where an IKE SA was established.
#[derive(Serialize)]
struct EstablishedJson<'a> {
    file: Option<&'a String>,
    frame: u64,
    time: Timestamp,
}

/// One IKE SA.
#[derive(Serialize)]
struct SaJson<'a> {
    decryption: DecryptionJson,
    established: Option<EstablishedJson<'a>>,
    exchanges: ExchangesJson<'a>,
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

fn sa_json<'a>(model: &'a Model, sa: &'a IkeSa) -> SaJson<'a> {
    let (enc, ok, bad) = super::decryption_tally(
        sa.messages
            .iter()
            .filter_map(|&i| model.data.ike[i].ike.as_deref()),
    );
    SaJson {
        decryption: DecryptionJson {
            decrypted: ok,
            encrypted_messages: enc,
            key_mismatch: bad,
        },
        established: sa.established.map(|(time, at)| EstablishedJson {
            file: model.data.files.get(at.file),
            frame: at.frame,
            time,
        }),
        exchanges: ExchangesJson {
            model,
            list: &sa.exchanges,
        },
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
    child_sas: Vec<ChildSaJson<'a>>,
    esp: Vec<EspJson>,
    first: Timestamp,
    id: &'a str,
    ike_sas: Vec<SaJson<'a>>,
    ike_versions: &'a std::collections::BTreeSet<IkeVersion>,
    implementations: Vec<ImplementationJson<'a>>,
    inner_flows: Vec<Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    bgp: Vec<Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    inner_health: Vec<Value>,
    last: Timestamp,
    peers: [IpAddr; 2],
    state: TunnelState,
    throughput: Vec<ThroughputJson<'a>>,
}

/// One CHILD SA of a tunnel (keys in alphabetical order, as a `json!` object writes them).
#[derive(Serialize)]
struct ChildSaJson<'a> {
    created_by: ExchangeKind,
    esp_bytes: u64,
    esp_packets: u64,
    esp_spis: Vec<Spi32>,
    file: Option<&'a String>,
    frame: u64,
    ike_sa: Spi8,
    inferred: bool,
    spis: Vec<Spi32>,
    time: Timestamp,
}

/// One ESP flow of a tunnel (keys in alphabetical order).
#[derive(Serialize)]
struct EspJson {
    bytes: u64,
    decrypted: u64,
    dst: IpAddr,
    first: Timestamp,
    first_frame: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    ip_fragmented: Option<u64>,
    key_mismatch: u64,
    last: Timestamp,
    last_frame: u64,
    max_seq: u32,
    packets: u64,
    seq_gaps: u64,
    seq_resets: u64,
    spi: Spi32,
    src: IpAddr,
    udp_encap: bool,
}

/// ESP over time in one direction, from the first to the last bucket with traffic: `bytes`,
/// `dst`, `interval_s`, `packets`, `src`, `start` (keys in alphabetical order), written from
/// the series itself (most directions have one flow, whose series is not copied).
struct ThroughputJson<'a> {
    src: IpAddr,
    dst: IpAddr,
    series: Cow<'a, EspSeries>,
}

impl Serialize for ThroughputJson<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        // (only directions with traffic are made: `throughput`)
        let (start, bytes, packets) = self.series.span().unwrap_or((0, &[], &[]));
        let mut o = s.serialize_struct("ThroughputJson", 6)?;
        o.serialize_field("bytes", bytes)?;
        o.serialize_field("dst", &self.dst)?;
        o.serialize_field("interval_s", &(self.series.width_ns as f64 / 1e9))?;
        o.serialize_field("packets", packets)?;
        o.serialize_field("src", &self.src)?;
        o.serialize_field("start", &Timestamp(start))?;
        o.end()
    }
}

/// One peer's `implementations[]` entry (keys in alphabetical order).
#[derive(Serialize)]
struct ImplementationJson<'a> {
    confidence: Option<&'static str>,
    evidence: &'a [String],
    name: &'static str,
    peer: IpAddr,
}

/// ESP over time in each direction: buckets from the first to the last with traffic.
fn throughput<'a>(model: &'a Model, t: &'a Tunnel) -> Vec<ThroughputJson<'a>> {
    t.esp_directions(model)
        .filter(|(_, _, series)| series.span().is_some())
        .map(|(src, dst, series)| ThroughputJson { src, dst, series })
        .collect()
}

/// ESP over time in each direction: buckets from the first to the last with traffic.
pub fn throughput_value(model: &Model, t: &Tunnel) -> Vec<Value> {
    throughput(model, t)
        .iter()
        .filter_map(|x| serde_json::to_value(x).ok())
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
    let children = t
        .children
        .iter()
        .map(|&c| {
            let ch = &model.children[c];
            let (p, b) = ch
                .esp
                .iter()
                .filter_map(|k| model.esp.get(k))
                .fold((0, 0), |(p, b), f| (p + f.packets, b + f.bytes));
            ChildSaJson {
                created_by: ch.kind,
                esp_bytes: b,
                esp_packets: p,
                esp_spis: ch.esp.iter().map(|k| Spi32(k.2)).collect(),
                file: model.data.files.get(ch.at.file),
                frame: ch.at.frame,
                ike_sa: model.sas[ch.ike_sa].spi_i,
                inferred: ch.inferred,
                spis: ch.spis.iter().map(|&s| Spi32(s)).collect(),
                time: ch.time,
            }
        })
        .collect();
    let esp = t
        .esp
        .iter()
        .filter_map(|k| model.esp.get(k))
        .map(|f| {
            let key = (f.src, f.dst, f.spi);
            let (opened, mismatch) = model.data.esp_decryption.get(&key).copied().unwrap_or((0, 0));
            EspJson {
                bytes: f.bytes,
                decrypted: opened,
                dst: f.dst,
                first: f.first,
                first_frame: f.first_frame.frame,
                ip_fragmented: model.data.esp_fragmented.get(&key).copied(),
                key_mismatch: mismatch,
                last: f.last,
                last_frame: f.last_frame.frame,
                max_seq: f.max_seq,
                packets: f.packets,
                seq_gaps: f.seq_gaps,
                seq_resets: f.seq_resets,
                spi: Spi32(f.spi),
                src: f.src,
                udp_encap: f.udp_encap,
            }
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
        implementations: t.implementations.iter().map(implementation_json).collect(),
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
        throughput: throughput(model, t),
    }
}

/// One peer's `implementations[]` entry.
fn implementation_json(g: &ImplementationGuess) -> ImplementationJson<'_> {
    ImplementationJson {
        confidence: g.confidence.map(|c| c.as_str()),
        evidence: &g.evidence,
        name: g.name(),
        peer: g.peer,
    }
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

/// Elements serialized together in [`write_elements_par`]: memory holds one chunk's JSON.
const ELEMENTS_PER_CHUNK: usize = 256;
/// Elements one core serializes into one buffer of a chunk.
const ELEMENTS_PER_PIECE: usize = 16;

/// [`write_elements`] on all cores: a chunk of `items` at a time, cut into pieces that are
/// serialized (each item by `write_json`) in parallel, each into a buffer of its own, and
/// written in order. The buffers are kept from chunk to chunk (a fresh 64 KiB buffer per piece,
/// grown and freed, cost more in `malloc` and page faults than the copying).
fn write_elements_par<W, T>(
    out: &mut W,
    items: &[T],
    write_json: impl Fn(&mut Vec<u8>, &T) -> serde_json::Result<()> + Sync,
) -> io::Result<()>
where
    W: Write,
    T: Sync,
{
    let mut buffers: Vec<Vec<u8>> = Vec::new();
    for (c, chunk) in items.chunks(ELEMENTS_PER_CHUNK).enumerate() {
        let pieces = chunk.len().div_ceil(ELEMENTS_PER_PIECE);
        if buffers.len() < pieces {
            buffers.resize_with(pieces, || Vec::with_capacity(1 << 16));
        }
        chunk
            .par_chunks(ELEMENTS_PER_PIECE)
            .zip(buffers.par_iter_mut())
            .enumerate()
            .try_for_each(|(p, (piece, buf))| {
                buf.clear();
                for (i, item) in piece.iter().enumerate() {
                    let first = c == 0 && p == 0 && i == 0;
                    buf.extend_from_slice(if first { b"\n    " } else { b",\n    " });
                    write_json(buf, item)?;
                }
                Ok(())
            })
            .map_err(|e: serde_json::Error| io::Error::from(e))?;
        for buf in &buffers[..pieces] {
            out.write_all(buf)?;
        }
    }
    Ok(())
}

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
    // the tunnels are serialized on all cores, and written in model order
    write_elements_par(&mut out, &shown, |buf, t| {
        let tf = grouped.get(t.id.as_str()).map(Vec::as_slice).unwrap_or(&[]);
        serde_json::to_writer(buf, &tunnel_value(model, t, tf))
    })?;
    out.write_all(b"\n  ],\n  \"groups\": [")?;
    let groups = super::groups::shown(model, findings, keep.is_some());
    write_elements(
        &mut out,
        groups.into_iter().map(|g| super::groups::group_value(model, g)),
    )?;
    out.write_all(b"\n  ],\n  \"findings\": [")?;
    write_elements_par(&mut out, findings, |buf, f| serde_json::to_writer(buf, f))?;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Serialized directly, each object is written with its keys in the order a `json!` object
    /// (a sorted map) writes them: the document is byte for byte what it was when these parts
    /// were built as `Value`s.
    fn keys_sorted<T: Serialize>(x: &T) {
        let direct = serde_json::to_string(x).unwrap();
        let through_value = serde_json::to_value(x).unwrap().to_string();
        assert_eq!(direct, through_value);
    }

    #[test]
    fn objects_keep_the_sorted_key_order() {
        let file = "a.pcap".to_string();
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "2001:db8::2".parse().unwrap();
        let t = Timestamp(1_764_470_400_123_456_789);
        keys_sorted(&ChildSaJson {
            created_by: ExchangeKind::ChildRekey,
            esp_bytes: 10,
            esp_packets: 2,
            esp_spis: vec![Spi32(0xc0ffee), Spi32(u32::MAX)],
            file: Some(&file),
            frame: 7,
            ike_sa: Spi8([1, 2, 3, 4, 5, 6, 7, 8]),
            inferred: true,
            spis: vec![Spi32(1)],
            time: t,
        });
        for ip_fragmented in [None, Some(3)] {
            keys_sorted(&EspJson {
                bytes: 1,
                decrypted: 2,
                dst: b,
                first: t,
                first_frame: 3,
                ip_fragmented,
                key_mismatch: 4,
                last: t,
                last_frame: 5,
                max_seq: 6,
                packets: 7,
                seq_gaps: 8,
                seq_resets: 9,
                spi: Spi32(0xabc),
                src: a,
                udp_encap: true,
            });
        }
        let mut series = EspSeries::first(t.0, 1);
        series.add(t.0 + 3_000_000_000, 2);
        keys_sorted(&ThroughputJson {
            src: a,
            dst: b,
            series: Cow::Owned(series),
        });
        let evidence = vec!["vendor ID".to_string()];
        keys_sorted(&ImplementationJson {
            confidence: Some("likely"),
            evidence: &evidence,
            name: "strongswan",
            peer: a,
        });
        keys_sorted(&DecryptionJson {
            decrypted: 1,
            encrypted_messages: 2,
            key_mismatch: 3,
        });
        keys_sorted(&EstablishedJson {
            file: Some(&file),
            frame: 9,
            time: t,
        });
    }

    /// SPIs are written as `format!("{:08x}")` writes them.
    #[test]
    fn spi32_is_eight_lowercase_hex_digits() {
        for spi in [0, 1, 0xabc, 0xc0ffee, 0x8000_0000, u32::MAX] {
            assert_eq!(
                serde_json::to_string(&Spi32(spi)).unwrap(),
                format!("\"{spi:08x}\"")
            );
        }
    }
}
