//! Output formats: record text, table, CSV (with the pt-BR dialect), JSON
//! lines and JSON.

pub(crate) mod columns;
pub(crate) mod csv_out;
pub(crate) mod table;
pub(crate) mod text;

use std::io::Write;

use velip_core::CallRecord;

/// One record as one JSON line (normalized field names, decimals as strings
/// with a dot, destination in E.164 when valid).
pub(crate) fn write_jsonl(out: &mut impl Write, r: &CallRecord) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, r)?;
    out.write_all(b"\n")
}
