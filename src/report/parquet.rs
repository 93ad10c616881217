//! `analyze --format parquet -o DIR`: the rows of [`super::rows`] as five Parquet tables
//! (`tunnels.parquet`, `findings.parquet`, `exchanges.parquet`, `esp_flows.parquet`,
//! `groups.parquet`), zstd
//! compressed, written in batches while the rows are produced. Every run writes the same schema
//! (also when a table is empty), so the files of many runs can be queried together (DuckDB
//! `read_parquet('runs/*/tunnels.parquet')`, Spark `spark.read.parquet(...)`). Columns are
//! documented in docs/fleet.md.
//!
//! Types: times are `TIMESTAMP(MICROS, UTC)` (truncated like the JSON times), counts `INT64`,
//! small numbers `INT32`, addresses and hex strings `UTF8`, lists `LIST<UTF8>` / `LIST<INT32>`.

use super::rows::{emit_rows, EspFlowRow, ExchangeRow, FindingRow, GroupRow, RowSink, TunnelRow};
use crate::diagnose::{Confidence, Finding, Severity};
use crate::reconstruct::Model;
use crate::record::Timestamp;
use arrow_array::builder::{
    ArrayBuilder, BooleanBuilder, Float64Builder, Int32Builder, Int64Builder, ListBuilder, StringBuilder,
    TimestampMicrosecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use ikescope_parsers::iana::ExchangeType;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use std::fs::File;
use std::io;
use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;

/// Rows buffered per table before they are written as one record batch (bounds memory on
/// captures with millions of exchanges).
const BATCH_ROWS: usize = 8192;

/// The file names, in the order they are written.
pub const TABLES: [&str; 5] = ["tunnels", "findings", "exchanges", "esp_flows", "groups"];

/// A Rust value that becomes one cell of an Arrow column.
trait Column {
    /// The Arrow builder of the column.
    type Builder: ArrayBuilder;
    /// Whether the column may hold nulls.
    const NULLABLE: bool = false;
    fn builder() -> Self::Builder;
    fn data_type() -> DataType;
    fn append(&self, b: &mut Self::Builder);
    fn append_null(b: &mut Self::Builder);
    fn finish(b: &mut Self::Builder) -> ArrayRef;
}

macro_rules! scalar_column {
    ($t:ty, $builder:ty, $dt:expr, |$v:ident| $conv:expr) => {
        impl Column for $t {
            type Builder = $builder;
            fn builder() -> $builder {
                <$builder>::new()
            }
            fn data_type() -> DataType {
                $dt
            }
            fn append(&self, b: &mut $builder) {
                let $v = self;
                b.append_value($conv);
            }
            fn append_null(b: &mut $builder) {
                b.append_null();
            }
            fn finish(b: &mut $builder) -> ArrayRef {
                Arc::new(b.finish())
            }
        }
    };
}

scalar_column!(String, StringBuilder, DataType::Utf8, |v| v);
scalar_column!(&'static str, StringBuilder, DataType::Utf8, |v| v);
scalar_column!(IpAddr, StringBuilder, DataType::Utf8, |v| v.to_string());
scalar_column!(Severity, StringBuilder, DataType::Utf8, |v| severity_name(*v));
scalar_column!(Confidence, StringBuilder, DataType::Utf8, |v| confidence_name(*v));
scalar_column!(u64, Int64Builder, DataType::Int64, |v| i64::try_from(*v)
    .unwrap_or(i64::MAX));
scalar_column!(u32, Int64Builder, DataType::Int64, |v| i64::from(*v));
scalar_column!(u8, Int32Builder, DataType::Int32, |v| i32::from(*v));
scalar_column!(ExchangeType, Int32Builder, DataType::Int32, |v| i32::from(v.0));
scalar_column!(bool, BooleanBuilder, DataType::Boolean, |v| *v);
scalar_column!(f64, Float64Builder, DataType::Float64, |v| *v);

impl Column for Timestamp {
    type Builder = TimestampMicrosecondBuilder;
    fn builder() -> Self::Builder {
        TimestampMicrosecondBuilder::new()
    }
    fn data_type() -> DataType {
        DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
    }
    fn append(&self, b: &mut Self::Builder) {
        // Truncated to the microsecond, as the JSON times are.
        b.append_value(self.0.div_euclid(1000));
    }
    fn append_null(b: &mut Self::Builder) {
        b.append_null();
    }
    fn finish(b: &mut Self::Builder) -> ArrayRef {
        Arc::new(b.finish().with_timezone("UTC"))
    }
}

impl<T: Column> Column for Option<T> {
    type Builder = T::Builder;
    const NULLABLE: bool = true;
    fn builder() -> Self::Builder {
        T::builder()
    }
    fn data_type() -> DataType {
        T::data_type()
    }
    fn append(&self, b: &mut Self::Builder) {
        match self {
            Some(v) => v.append(b),
            None => T::append_null(b),
        }
    }
    fn append_null(b: &mut Self::Builder) {
        T::append_null(b);
    }
    fn finish(b: &mut Self::Builder) -> ArrayRef {
        T::finish(b)
    }
}

impl<T: Column> Column for Vec<T>
where
    T::Builder: 'static,
{
    type Builder = ListBuilder<T::Builder>;
    fn builder() -> Self::Builder {
        ListBuilder::new(T::builder()).with_field(Arc::new(Field::new("item", T::data_type(), false)))
    }
    fn data_type() -> DataType {
        DataType::List(Arc::new(Field::new("item", T::data_type(), false)))
    }
    fn append(&self, b: &mut Self::Builder) {
        for v in self {
            v.append(b.values());
        }
        b.append(true);
    }
    fn append_null(b: &mut Self::Builder) {
        b.append(false);
    }
    fn finish(b: &mut Self::Builder) -> ArrayRef {
        Arc::new(b.finish())
    }
}

fn severity_name(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "info",
    }
}

fn confidence_name(c: Confidence) -> &'static str {
    match c {
        Confidence::Certain => "certain",
        Confidence::Likely => "likely",
    }
}

/// Column builders of one table, made from its row type's fields.
trait TableBuilder {
    type Row;
    fn new() -> Self;
    fn schema() -> SchemaRef;
    fn push(&mut self, row: &Self::Row);
    fn batch(&mut self) -> Result<RecordBatch, arrow_schema::ArrowError>;
}

/// A table: its row type and its columns in order (each a field of the row, with its type).
/// `with context:` puts first the six columns every row kind shares (`timestamp`,
/// `timestamp_end`, `tunnel_id`, `src_ip`, `dest_ip`, `capture_file`).
macro_rules! table {
    (with context: $name:ident for $row:ty { $($col:ident: $t:ty),* $(,)? }) => {
        table!($name for $row {
            timestamp: Timestamp,
            timestamp_end: Timestamp,
            tunnel_id: String,
            src_ip: IpAddr,
            dest_ip: IpAddr,
            capture_file: String,
            $($col: $t,)*
        });
    };
    ($name:ident for $row:ty { $($col:ident: $t:ty),* $(,)? }) => {
        struct $name {
            $($col: <$t as Column>::Builder,)*
        }
        impl TableBuilder for $name {
            type Row = $row;
            fn new() -> Self {
                $name { $($col: <$t as Column>::builder(),)* }
            }
            fn schema() -> SchemaRef {
                Arc::new(Schema::new(vec![
                    $(Field::new(stringify!($col), <$t as Column>::data_type(), <$t as Column>::NULLABLE),)*
                ]))
            }
            fn push(&mut self, row: &$row) {
                $(<$t as Column>::append(&row.$col, &mut self.$col);)*
            }
            fn batch(&mut self) -> Result<RecordBatch, arrow_schema::ArrowError> {
                RecordBatch::try_new(Self::schema(), vec![$(<$t as Column>::finish(&mut self.$col),)*])
            }
        }
    };
}

table!(with context: TunnelColumns for TunnelRow {
    capture_files: Vec<String>,
    state: &'static str,
    ike_versions: Vec<u8>,
    ike_sas: u64,
    ike_sas_established: u64,
    child_sas: u64,
    exchanges: u64,
    exchanges_unanswered: u64,
    retransmissions: u64,
    esp_flows: u64,
    esp_packets_to_dest: u64,
    esp_bytes_to_dest: u64,
    esp_packets_to_src: u64,
    esp_bytes_to_src: u64,
    errors: u64,
    warnings: u64,
    infos: u64,
    failure_kinds: Vec<&'static str>,
    src_implementation: &'static str,
    src_implementation_confidence: Option<&'static str>,
    dest_implementation: &'static str,
    dest_implementation_confidence: Option<&'static str>,
});

table!(with context: FindingColumns for FindingRow {
    capture_files: Vec<String>,
    kind: &'static str,
    severity: Severity,
    confidence: Confidence,
    phase: Option<&'static str>,
    summary: String,
    fix: Option<String>,
    evidence_file: Option<String>,
    evidence_frame: Option<u64>,
    evidence_note: Option<String>,
    evidence_total: u64,
    details: String,
});

table!(with context: ExchangeColumns for ExchangeRow {
    ike_version: u8,
    spi_i: String,
    spi_r: String,
    kind: String,
    name: &'static str,
    exchange_type: ExchangeType,
    message_id: u32,
    phase: Option<&'static str>,
    answered: bool,
    requests: u64,
    responses: u64,
    retransmissions: u64,
    rtt_ms: Option<f64>,
    frame: u64,
});

table!(with context: EspFlowColumns for EspFlowRow {
    spi: String,
    udp_encap: bool,
    packets: u64,
    bytes: u64,
    first_frame: u64,
    last_file: String,
    last_frame: u64,
    max_seq: u32,
    seq_gaps: u64,
    seq_resets: u64,
    decrypted: u64,
    key_mismatch: u64,
});

table!(with context: GroupColumns for GroupRow {
    capture_files: Vec<String>,
    headline: String,
    attempts: u64,
    ike_sa_init_attempts: u64,
    main_mode_attempts: u64,
    aggressive_mode_attempts: u64,
    requests: u64,
    responses: u64,
    retransmissions: u64,
    answered: u64,
    cookie_challenged: u64,
    refused: u64,
    psk_hash_exposed: u64,
    peak_per_second: u64,
    busy_seconds: u64,
    distinct_sources: u64,
    source_cover: Vec<String>,
    prefixes_total: u64,
    top_sources: Vec<String>,
    identities: u64,
    ike_scan_offers: u64,
    errors: u64,
    warnings: u64,
    infos: u64,
    failure_kinds: Vec<&'static str>,
});

fn parquet_error(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(format!("parquet: {e}"))
}

/// One table being written: its columns and the Parquet writer of its file.
struct TableFile<B: TableBuilder> {
    columns: B,
    pending: usize,
    writer: ArrowWriter<File>,
}

impl<B: TableBuilder> TableFile<B> {
    fn create(dir: &Path, name: &str) -> io::Result<Self> {
        let path = dir.join(format!("{name}.parquet"));
        let file =
            File::create(&path).map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
        let props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::default()))
            .set_created_by(format!("ikescope {}", env!("CARGO_PKG_VERSION")))
            .set_key_value_metadata(Some(vec![KeyValue::new(
                "ikescope_version".to_string(),
                env!("CARGO_PKG_VERSION").to_string(),
            )]))
            .build();
        let writer = ArrowWriter::try_new(file, B::schema(), Some(props)).map_err(parquet_error)?;
        Ok(TableFile {
            columns: B::new(),
            pending: 0,
            writer,
        })
    }

    fn push(&mut self, row: &B::Row) -> io::Result<()> {
        self.columns.push(row);
        self.pending += 1;
        if self.pending >= BATCH_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.pending > 0 {
            let batch = self.columns.batch().map_err(parquet_error)?;
            self.writer.write(&batch).map_err(parquet_error)?;
            self.pending = 0;
        }
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        self.flush()?;
        self.writer.finish().map_err(parquet_error)?;
        Ok(())
    }
}

/// The five tables of one run, being written ([`Tables::create`], rows, [`RowSink::finish`]).
pub struct Tables {
    tunnels: TableFile<TunnelColumns>,
    findings: TableFile<FindingColumns>,
    exchanges: TableFile<ExchangeColumns>,
    esp_flows: TableFile<EspFlowColumns>,
    groups: TableFile<GroupColumns>,
}

impl RowSink for Tables {
    fn tunnel(&mut self, row: TunnelRow) -> io::Result<()> {
        self.tunnels.push(&row)
    }
    fn finding(&mut self, row: FindingRow) -> io::Result<()> {
        self.findings.push(&row)
    }
    fn exchange(&mut self, row: ExchangeRow) -> io::Result<()> {
        self.exchanges.push(&row)
    }
    fn esp_flow(&mut self, row: EspFlowRow) -> io::Result<()> {
        self.esp_flows.push(&row)
    }
    fn group(&mut self, row: GroupRow) -> io::Result<()> {
        self.groups.push(&row)
    }
    /// Write what is buffered and the files' footers.
    fn finish(&mut self) -> io::Result<()> {
        self.tunnels.finish()?;
        self.findings.finish()?;
        self.exchanges.finish()?;
        self.esp_flows.finish()?;
        self.groups.finish()
    }
}

impl Tables {
    /// Create the five files in `dir` (created when missing; files of the same names are
    /// replaced).
    pub fn create(dir: &Path) -> io::Result<Tables> {
        std::fs::create_dir_all(dir)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", dir.display())))?;
        Ok(Tables {
            tunnels: TableFile::create(dir, TABLES[0])?,
            findings: TableFile::create(dir, TABLES[1])?,
            exchanges: TableFile::create(dir, TABLES[2])?,
            esp_flows: TableFile::create(dir, TABLES[3])?,
            groups: TableFile::create(dir, TABLES[4])?,
        })
    }
}

/// Write the five tables for the tunnels `keep` marks (all when `None`) into `dir`.
pub fn write_tables(
    model: &Model,
    findings: &[Finding],
    keep: Option<&[bool]>,
    dir: &Path,
) -> io::Result<()> {
    let mut tables = Tables::create(dir)?;
    emit_rows(model, findings, keep, &mut tables)?;
    tables.finish()
}
