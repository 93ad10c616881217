//! `analyze --format parquet -o DIR` (issue 15): the five tables read back with the parquet
//! crate's reader hold the same tunnels, findings, exchanges, ESP flows and groups of
//! one-message initiators as `--format json` of the same run, on every capture of the project's
//! own lab; every run has the same schema.

mod common;

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int32Type, Int64Type, TimestampMicrosecondType};
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::{json, Map, Value};
use std::path::Path;
use std::process::Command;

fn own_captures() -> Vec<String> {
    common::own_capture_paths()
}

/// One cell as JSON, the way `--format json` writes it (times as RFC 3339 with microseconds).
fn cell(col: &dyn Array, i: usize) -> Value {
    if col.is_null(i) {
        return Value::Null;
    }
    match col.data_type() {
        DataType::Utf8 => json!(col.as_string::<i32>().value(i)),
        DataType::Int64 => json!(col.as_primitive::<Int64Type>().value(i)),
        DataType::Int32 => json!(col.as_primitive::<Int32Type>().value(i)),
        DataType::Float64 => json!(col.as_primitive::<Float64Type>().value(i)),
        DataType::Boolean => json!(col.as_boolean().value(i)),
        DataType::Timestamp(_, Some(tz)) if tz.as_ref() == "UTC" => {
            let micros = col.as_primitive::<TimestampMicrosecondType>().value(i);
            json!(ikescope::record::Timestamp(micros * 1000).rfc3339())
        }
        DataType::List(_) => {
            let list = col.as_list::<i32>().value(i);
            Value::Array((0..list.len()).map(|j| cell(list.as_ref(), j)).collect())
        }
        other => panic!("unexpected column type {other:?}"),
    }
}

/// A table as rows of JSON objects, and its schema.
fn read_table(path: &Path) -> (Vec<Map<String, Value>>, arrow_schema::SchemaRef) {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
    let schema = builder.schema().clone();
    let mut rows = Vec::new();
    for batch in builder.build().unwrap() {
        let batch: RecordBatch = batch.unwrap();
        for i in 0..batch.num_rows() {
            let mut row = Map::new();
            for (f, col) in batch.schema().fields().iter().zip(batch.columns()) {
                row.insert(f.name().clone(), cell(col.as_ref(), i));
            }
            rows.push(row);
        }
    }
    (rows, schema)
}

struct Run {
    doc: Value,
    tables: [(Vec<Map<String, Value>>, arrow_schema::SchemaRef); 5],
}

fn run(file: &str, out: &Path) -> Run {
    let bin = env!("CARGO_BIN_EXE_ikescope");
    let json = Command::new(bin)
        .args(["analyze", "-q", "--format", "json", file])
        .output()
        .unwrap();
    let pq = Command::new(bin)
        .args(["analyze", "-q", "--format", "parquet", "-o"])
        .arg(out)
        .arg(file)
        .output()
        .unwrap();
    assert_eq!(json.status.code(), pq.status.code(), "{file}: exit status");
    assert!(pq.stdout.is_empty(), "{file}: parquet writes nothing on stdout");
    let table = |name: &str| read_table(&out.join(format!("{name}.parquet")));
    Run {
        doc: serde_json::from_slice(&json.stdout).unwrap(),
        tables: [
            table("tunnels"),
            table("findings"),
            table("exchanges"),
            table("esp_flows"),
            table("groups"),
        ],
    }
}

fn check(file: &str, r: &Run) -> [usize; 5] {
    let [(tunnels, _), (findings, _), (exchanges, _), (esp_flows, _), (groups, _)] = &r.tables;
    let doc_tunnels = r.doc["tunnels"].as_array().unwrap();
    assert_eq!(tunnels.len(), doc_tunnels.len(), "{file}");
    let mut doc_exchanges = Vec::new();
    let mut doc_esp = Vec::new();
    for (row, t) in tunnels.iter().zip(doc_tunnels) {
        assert_eq!(row["tunnel_id"], t["id"], "{file}");
        assert_eq!(row["state"], t["state"], "{file}");
        assert_eq!(row["timestamp"], t["first"], "{file}");
        assert_eq!(row["timestamp_end"], t["last"], "{file}");
        assert_eq!(row["ike_versions"], t["ike_versions"], "{file}");
        assert_eq!(row["capture_files"], json!([file]), "{file}");
        for sa in t["ike_sas"].as_array().unwrap() {
            for e in sa["exchanges"].as_array().unwrap() {
                doc_exchanges.push((t["id"].clone(), sa.clone(), e.clone()));
            }
        }
        for f in t["esp"].as_array().unwrap() {
            doc_esp.push((t["id"].clone(), f.clone()));
        }
    }

    let doc_findings = r.doc["findings"].as_array().unwrap();
    assert_eq!(findings.len(), doc_findings.len(), "{file}");
    for row in findings {
        let f = doc_findings
            .iter()
            .find(|f| {
                f["tunnel"] == row["tunnel_id"] && f["kind"] == row["kind"] && f["summary"] == row["summary"]
            })
            .unwrap_or_else(|| panic!("{file}: no finding like {row:?}"));
        for k in ["severity", "confidence", "phase", "fix", "evidence_total"] {
            assert_eq!(row[k], f[k], "{file}: {k}");
        }
        assert_eq!(row["evidence_frame"], f["evidence"][0]["frame"], "{file}");
    }

    assert_eq!(exchanges.len(), doc_exchanges.len(), "{file}");
    for (row, (id, sa, e)) in exchanges.iter().zip(&doc_exchanges) {
        assert_eq!(row["tunnel_id"], *id, "{file}");
        assert_eq!(row["spi_i"], sa["spi_i"], "{file}");
        assert_eq!(row["ike_version"], sa["version"], "{file}");
        for (col, key) in [
            ("kind", "kind"),
            ("name", "name"),
            ("exchange_type", "exchange"),
            ("message_id", "message_id"),
            ("answered", "answered"),
            ("retransmissions", "retransmissions"),
            ("rtt_ms", "rtt_ms"),
            ("src_ip", "requester"),
            ("dest_ip", "responder"),
        ] {
            assert_eq!(row[col], e[key], "{file}: exchange {col}");
        }
        assert_eq!(row["requests"], e["requests"].as_array().unwrap().len(), "{file}");
        let first = e["requests"][0]
            .as_object()
            .or(e["responses"][0].as_object())
            .unwrap();
        assert_eq!(row["frame"], first["frame"], "{file}");
        assert_eq!(row["timestamp"], first["time"], "{file}");
    }

    assert_eq!(esp_flows.len(), doc_esp.len(), "{file}");
    for (row, (id, f)) in esp_flows.iter().zip(&doc_esp) {
        assert_eq!(row["tunnel_id"], *id, "{file}");
        for (col, key) in [
            ("spi", "spi"),
            ("src_ip", "src"),
            ("dest_ip", "dst"),
            ("packets", "packets"),
            ("bytes", "bytes"),
            ("timestamp", "first"),
            ("timestamp_end", "last"),
            ("udp_encap", "udp_encap"),
            ("max_seq", "max_seq"),
            ("seq_gaps", "seq_gaps"),
            ("first_frame", "first_frame"),
            ("decrypted", "decrypted"),
        ] {
            assert_eq!(row[col], f[key], "{file}: esp {col}");
        }
    }

    let doc_groups = r.doc["groups"].as_array().unwrap();
    assert_eq!(groups.len(), doc_groups.len(), "{file}");
    for (row, g) in groups.iter().zip(doc_groups) {
        assert_eq!(row["tunnel_id"], g["id"], "{file}");
        assert_eq!(row["dest_ip"], g["responder"], "{file}");
        assert_eq!(row["timestamp"], g["first"], "{file}");
        assert_eq!(row["timestamp_end"], g["last"], "{file}");
        assert_eq!(row["capture_files"], json!([file]), "{file}");
        for k in [
            "attempts",
            "answered",
            "cookie_challenged",
            "refused",
            "distinct_sources",
            "source_cover",
        ] {
            assert_eq!(row[k], g[k], "{file}: group {k}");
        }
        let top: Vec<&Value> = g["top_sources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| &t["address"])
            .collect();
        assert_eq!(row["src_ip"], *top[0], "{file}");
        assert_eq!(row["top_sources"], json!(top), "{file}");
    }
    [
        tunnels.len(),
        findings.len(),
        exchanges.len(),
        esp_flows.len(),
        groups.len(),
    ]
}

#[test]
fn parquet_tables_hold_what_the_json_document_says() {
    let out_root = std::env::temp_dir().join(format!("ikescope-parquet-{}", std::process::id()));
    let files = own_captures();
    assert!(files.len() >= 20);
    let mut totals = [0usize; 5];
    let mut schemas: Option<Vec<arrow_schema::SchemaRef>> = None;
    for (i, f) in files.iter().enumerate() {
        let r = run(f, &out_root.join(format!("run{i}")));
        for (t, n) in totals.iter_mut().zip(check(f, &r)) {
            *t += n;
        }
        // Every run writes the same schema, also for empty tables: the runs can be read as one.
        let these: Vec<_> = r.tables.iter().map(|(_, s)| s.clone()).collect();
        match &schemas {
            None => schemas = Some(these),
            Some(first) => assert_eq!(first, &these, "{f}: schema differs from the first run"),
        }
    }
    let _ = std::fs::remove_dir_all(&out_root);
    let [tunnels, findings, exchanges, esp_flows, groups] = totals;
    assert!(tunnels >= files.len(), "{totals:?}");
    assert!(
        findings > tunnels && exchanges > tunnels && esp_flows > 0 && groups > 0,
        "{totals:?}"
    );
}

#[test]
fn parquet_needs_an_output_directory_and_only_for_analyze() {
    let file = &own_captures()[0];
    let bin = env!("CARGO_BIN_EXE_ikescope");
    let no_dir = Command::new(bin)
        .args(["analyze", "--format", "parquet", file])
        .output()
        .unwrap();
    assert_eq!(no_dir.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&no_dir.stderr).contains("--output"));
    let decode = Command::new(bin)
        .args(["decode", "--format", "parquet", file])
        .output()
        .unwrap();
    assert_eq!(decode.status.code(), Some(2));
}

#[test]
fn separate_writes_the_rows_of_one_run_per_capture() {
    let files = own_captures();
    let some: Vec<&String> = files.iter().step_by(4).collect();
    let out_root = std::env::temp_dir().join(format!("ikescope-parquet-sep-{}", std::process::id()));
    let mut want: [Vec<Map<String, Value>>; 5] = Default::default();
    for (i, f) in some.iter().enumerate() {
        let r = run(f, &out_root.join(format!("one{i}")));
        for (w, (rows, _)) in want.iter_mut().zip(r.tables) {
            w.extend(rows);
        }
    }
    let dir = out_root.join("separate");
    let st = Command::new(env!("CARGO_BIN_EXE_ikescope"))
        .args(["analyze", "-q", "--separate", "--format", "parquet", "-o"])
        .arg(&dir)
        .args(&some)
        .status()
        .unwrap();
    assert!(st.code().is_some_and(|c| c <= 1));
    for (name, w) in ["tunnels", "findings", "exchanges", "esp_flows", "groups"]
        .iter()
        .zip(&want)
    {
        let (got, _) = read_table(&dir.join(format!("{name}.parquet")));
        assert_eq!(&got, w, "{name}");
    }
    assert!(!want[2].is_empty());
    let _ = std::fs::remove_dir_all(&out_root);
}
