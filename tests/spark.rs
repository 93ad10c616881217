//! The PySpark job of examples/spark/ (issue 15) in local mode (`local[2]`) on the project's own
//! captures: its findings table holds exactly the findings of `analyze --format json` run on
//! each capture alone. Needs pyspark (PyPI) and a Java runtime; skipped with one line when they
//! are missing, unless IKESCOPE_REQUIRE_CORPUS=1 (CI installs them, see .ci/run).

use arrow_array::cast::AsArray;
use arrow_array::{Array, RecordBatch};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// True when `python3 -c "import pyspark"` and `java -version` both work; otherwise one line on
/// stderr (and a panic when IKESCOPE_REQUIRE_CORPUS=1).
fn spark_available() -> bool {
    let ok = |cmd: &mut Command| cmd.output().is_ok_and(|o| o.status.success());
    let pyspark = ok(Command::new("python3").args(["-c", "import pyspark"]));
    let java = ok(Command::new("java").arg("-version"));
    if pyspark && java {
        return true;
    }
    let missing = match (pyspark, java) {
        (false, false) => "pyspark and java",
        (false, true) => "pyspark",
        _ => "java",
    };
    if std::env::var("IKESCOPE_REQUIRE_CORPUS").is_ok_and(|v| v == "1") {
        panic!("IKESCOPE_REQUIRE_CORPUS=1 but {missing} is missing (pip install pyspark; apt-get install openjdk-17-jre-headless)");
    }
    eprintln!("skipping the Spark job test: {missing} not installed");
    false
}

/// (capture file, tunnel, kind, severity, confidence, phase, summary) of every finding.
type Key = (String, String, String, String, String, String, String);

fn parquet_rows(dir: &Path) -> Vec<BTreeMap<String, Option<String>>> {
    let mut parts: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
        .collect();
    parts.sort();
    let mut rows = Vec::new();
    for p in parts {
        let reader = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&p).unwrap())
            .unwrap()
            .build()
            .unwrap();
        for batch in reader {
            let batch: RecordBatch = batch.unwrap();
            for i in 0..batch.num_rows() {
                let mut row = BTreeMap::new();
                for (f, col) in batch.schema().fields().iter().zip(batch.columns()) {
                    if let arrow_schema::DataType::Utf8 = col.data_type() {
                        let s = col.as_string::<i32>();
                        row.insert(f.name().clone(), (!s.is_null(i)).then(|| s.value(i).to_string()));
                    }
                }
                rows.push(row);
            }
        }
    }
    rows
}

#[test]
fn spark_job_findings_equal_analyze_json_per_capture() {
    if !spark_available() {
        return;
    }
    let root = env!("CARGO_MANIFEST_DIR");
    let captures = format!("{root}/captures");
    let out = std::env::temp_dir().join(format!("ikescope-spark-{}", std::process::id()));
    let job = Command::new("python3")
        .arg(format!("{root}/examples/spark/ikescope_job.py"))
        .args([
            "--master",
            "local[2]",
            "--ikescope",
            env!("CARGO_BIN_EXE_ikescope"),
            "--out",
        ])
        .arg(&out)
        .arg(&captures)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&job.stdout);
    assert!(
        job.status.success(),
        "spark job failed: {stdout}\n{}",
        String::from_utf8_lossy(&job.stderr)
    );
    assert!(stdout.contains("top failure kinds per peer"), "{stdout}");

    let got: Vec<Key> = parquet_rows(&out.join("findings"))
        .into_iter()
        .map(|r| {
            let s = |k: &str| r.get(k).cloned().flatten().unwrap_or_default();
            (
                s("capture_file"),
                s("tunnel_id"),
                s("kind"),
                s("severity"),
                s("confidence"),
                s("phase"),
                s("summary"),
            )
        })
        .collect();
    let mut got = got;
    got.sort();

    // The same captures the job found (by content), each analysed alone.
    let mut files: Vec<String> = std::fs::read_dir(&captures)
        .unwrap()
        .map(|e| e.unwrap().path().to_str().unwrap().to_string())
        .filter(|p| ikescope::capture::sniff_capture(p).is_ok_and(|k| k.is_some()))
        .collect();
    files.sort();
    assert!(files.len() >= 20, "{} captures", files.len());
    let mut want: Vec<Key> = Vec::new();
    let mut want_groups: Vec<(String, String, String)> = Vec::new();
    for f in &files {
        let o = Command::new(env!("CARGO_BIN_EXE_ikescope"))
            .args(["analyze", "-q", "--format", "json", f])
            .output()
            .unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let s = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
        for g in doc["groups"].as_array().unwrap() {
            want_groups.push((f.clone(), s(&g["id"]), s(&g["headline"])));
        }
        for x in doc["findings"].as_array().unwrap() {
            let s = |k: &str| x[k].as_str().unwrap_or_default().to_string();
            want.push((
                f.clone(),
                s("tunnel"),
                s("kind"),
                s("severity"),
                s("confidence"),
                s("phase"),
                s("summary"),
            ));
        }
    }
    want.sort();
    assert!(want.len() > files.len(), "{} findings", want.len());
    assert_eq!(
        got.len(),
        want.len(),
        "findings in the Spark table vs analyze --format json"
    );
    assert_eq!(got, want);
    let mut got_groups: Vec<(String, String, String)> = parquet_rows(&out.join("groups"))
        .into_iter()
        .map(|r| {
            let s = |k: &str| r.get(k).cloned().flatten().unwrap_or_default();
            (s("capture_file"), s("tunnel_id"), s("headline"))
        })
        .collect();
    got_groups.sort();
    want_groups.sort();
    assert!(!want_groups.is_empty());
    assert_eq!(
        got_groups, want_groups,
        "groups in the Spark table vs analyze --format json"
    );
    let failed = parquet_rows(&out.join("failed_units"));
    assert!(failed.is_empty(), "{failed:?}");
    let _ = std::fs::remove_dir_all(&out);
}
