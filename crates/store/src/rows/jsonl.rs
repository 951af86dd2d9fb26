//! JSON lines: one normalized record per line.

use std::io::Write;

use velip_core::CallRecord;

/// One record as one JSON line: the normalized field names (`call_id`,
/// `status`, ...), decimals as strings with a dot (`"0.050"`), dates
/// `YYYY-MM-DD`, times `HH:MM:SS`, the destination in E.164 when valid,
/// `problems` (and `raw_json`) only when a field could not be read.
///
/// # Errors
/// The writer's I/O error.
pub fn write_record(out: &mut impl Write, r: &CallRecord) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, r)?;
    out.write_all(b"\n")
}

/// A rejected entry (no readable call id) as one JSON line: its position in
/// the answer, the problem and the raw JSON text as received.
///
/// # Errors
/// The writer's I/O error.
pub fn write_rejected(out: &mut impl Write, r: &velip_core::RejectedRecord) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, r)?;
    out.write_all(b"\n")
}
