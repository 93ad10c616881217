//! `analyze --format json`: one document (contract in docs/json.md).

use crate::diagnose::{tunnel_state, Finding, Severity};
use crate::reconstruct::{Exchange, IkeSa, Model};
use serde_json::{json, Value};

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

/// The whole document.
pub fn document(model: &Model, findings: &[Finding]) -> Value {
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
    let tunnels: Vec<Value> = model
        .tunnels
        .iter()
        .map(|t| {
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
        })
        .collect();
    let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    json!({
        "inputs": inputs,
        "tunnels": tunnels,
        "findings": findings,
        "problems": model.data.problems.iter().map(|p| json!({
            "file": model.data.files.get(p.file_index),
            "frame": p.frame,
            "offset": p.offset,
            "what": p.what,
        })).collect::<Vec<_>>(),
        "summary": {"errors": count(Severity::Error), "warnings": count(Severity::Warning), "info": count(Severity::Info)},
    })
}
