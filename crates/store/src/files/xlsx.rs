//! XLSX workbooks: one sheet of typed cells, written by `rust_xlsxwriter` in
//! its constant-memory mode.
//!
//! An XLSX file is a zip archive and cannot be appended to, so an export to
//! XLSX is staged: each page is committed (with its checkpoint) as JSON lines
//! of typed cells to `OUT.partial`, exactly like a JSON-lines export, and the
//! workbook is built from that staging file once the walk is over (two
//! streaming passes: the most DTMF prompts of any record, then the rows).
//! So an interrupted XLSX export resumes like a CSV one, and a crash while
//! the workbook is built is repaired by running the export again with
//! `--resume` (the staging file and the checkpoint are removed only after
//! the workbook is in place).
//!
//! The sheet, `calls`:
//! - the columns of [`COLUMNS`](crate::rows::csv::COLUMNS), in that order,
//!   then `dtmf_1` … `dtmf_N` (one column per prompt, N the most prompts of
//!   any record of the export), so the first 22 columns are always the
//!   CSV's;
//! - text cells (format `@`) for ids, phone numbers, DTMF answers and
//!   every other text: `+5511999999999` and `08031953` stay as they are;
//! - numbers for amounts (`rate`, `value`: BRL, shown with the record's own
//!   number of decimals, `R$ 0,050` in a Brazilian spreadsheet), durations
//!   and counts; an amount that a spreadsheet number (an `f64`) cannot hold
//!   exactly is written as text instead, never rounded;
//! - real dates (`yyyy-mm-dd`) and times (`hh:mm:ss`): the platform's local
//!   time, America/Sao_Paulo, as the records carry them;
//! - a frozen header row with filters.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;

use chrono::{NaiveDate, NaiveTime};
use rust_xlsxwriter::{Format, FormatAlign, Workbook, Worksheet, XlsxError};
use serde::{Deserialize, Serialize};
use velip_core::{AmdResult, CallRecord, CallStatus, Decimal};

use crate::StoreError;
use crate::rows::csv::{COLUMNS, extra_json, problems_json};

/// The most records one sheet holds (1,048,576 rows, less the header).
pub const MAX_RECORDS: u64 = 1_048_575;

/// The name of the sheet.
pub const SHEET_NAME: &str = "calls";

/// The most DTMF prompt columns (`dtmf_1` …): the sheet's 16,384 columns,
/// less the fixed ones.
const MAX_PROMPT_COLUMNS: usize = 16_384 - COLUMNS.len();

/// One record as staged for the workbook: the typed cell values, one JSON
/// line per record in `OUT.partial`.
#[derive(Debug, Serialize, Deserialize)]
struct StagedRow {
    call_id: String,
    status: Option<String>,
    amd: Option<String>,
    campaign_id: Option<u64>,
    campaign_ref: Option<String>,
    correlation_id: Option<String>,
    origin: Option<String>,
    destination: Option<String>,
    date: Option<NaiveDate>,
    dial_time: Option<NaiveTime>,
    answer_time: Option<NaiveTime>,
    hangup_time: Option<NaiveTime>,
    duration_seconds: Option<u64>,
    dtmf: Vec<String>,
    route: Option<String>,
    rate: Option<Decimal>,
    value: Option<Decimal>,
    recording_url: Option<String>,
    recording_seconds: Option<u64>,
    extra: String,
    problems: String,
}

impl StagedRow {
    fn from_record(r: &CallRecord) -> Self {
        Self {
            call_id: r.call_id.to_string(),
            status: r.status.as_ref().map(|s| CallStatus::as_wire(s).to_owned()),
            amd: r.amd.as_ref().map(|a| AmdResult::as_wire(a).to_owned()),
            campaign_id: r.campaign_id,
            campaign_ref: r.campaign_ref.clone(),
            correlation_id: r.correlation_id.clone(),
            origin: r.origin.clone(),
            destination: r.destination.as_ref().map(ToString::to_string),
            date: r.date,
            dial_time: r.dial_time,
            answer_time: r.answer_time,
            hangup_time: r.hangup_time,
            duration_seconds: r.duration_seconds,
            dtmf: r.dtmf.clone(),
            route: r.route.clone(),
            rate: r.rate,
            value: r.value,
            recording_url: r.recording_url.clone(),
            recording_seconds: r.recording_seconds,
            extra: extra_json(r),
            problems: problems_json(r),
        }
    }
}

/// Only the DTMF answers of a staged row (the first pass).
#[derive(Deserialize)]
struct StagedPrompts {
    dtmf: Vec<String>,
}

/// Writes one record to the staging file, as one JSON line.
pub(crate) fn stage_record(out: &mut impl Write, r: &CallRecord) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, &StagedRow::from_record(r))?;
    out.write_all(b"\n")
}

/// The cell formats of the sheet.
struct Formats {
    header: Format,
    text: Format,
    integer: Format,
    date: Format,
    time: Format,
    /// BRL amounts by number of decimals.
    money: HashMap<u32, Format>,
}

impl Formats {
    fn new() -> Self {
        Self {
            header: Format::new()
                .set_bold()
                .set_num_format("@")
                .set_align(FormatAlign::Left),
            text: Format::new().set_num_format("@"),
            integer: Format::new().set_num_format("0"),
            date: Format::new().set_num_format("yyyy-mm-dd"),
            time: Format::new().set_num_format("hh:mm:ss"),
            money: HashMap::new(),
        }
    }

    /// `"R$ "#,##0.000` for three decimals: the separators are the
    /// spreadsheet's (`R$ 1.234,560` in Brazil).
    fn money(&mut self, scale: u32) -> &Format {
        self.money.entry(scale).or_insert_with(|| {
            let decimals = if scale == 0 {
                String::new()
            } else {
                format!(".{}", "0".repeat(scale as usize))
            };
            Format::new().set_num_format(format!("\"R$ \"#,##0{decimals}"))
        })
    }
}

/// The column widths (characters) of the fixed columns, in [`COLUMNS`]
/// order.
const WIDTHS: [f64; 22] = [
    12.0, 12.0, 6.0, 12.0, 16.0, 18.0, 10.0, 17.0, 11.0, 10.0, 11.0, 11.0, 10.0, 14.0, 6.0, 14.0,
    10.0, 10.0, 30.0, 10.0, 20.0, 20.0,
];

/// An amount as a spreadsheet number when an `f64` holds it exactly at its
/// scale (what the cell shows is then the record's value), else `None`.
fn exact_f64(d: Decimal) -> Option<f64> {
    use rust_decimal::prelude::ToPrimitive as _;
    let f = d.to_f64()?;
    // Fifteen significant digits survive an f64 round trip.
    let digits = d.mantissa().unsigned_abs().checked_ilog10().unwrap_or(0) + 1;
    (digits <= 15 && format!("{f:.prec$}", prec = d.scale() as usize) == d.to_string()).then_some(f)
}

fn xlsx_err(path: &Path, e: &XlsxError) -> StoreError {
    StoreError::io(path, std::io::Error::other(e.to_string()))
}

/// Builds the workbook `out` from the staging file `staging` (written by
/// [`stage_record`]), in constant memory; temporary files go to `out`'s
/// folder.
pub(crate) fn build(staging: &Path, out: &Path) -> Result<(), StoreError> {
    let open = || {
        File::open(staging)
            .map(|f| BufReader::with_capacity(1 << 16, f))
            .map_err(|e| StoreError::io(staging, e))
    };
    let bad_line = |n: usize, e: &dyn std::fmt::Display| {
        StoreError::Checkpoint(format!(
            "line {n} of the staging file {} cannot be read ({e}); start over with --restart",
            staging.display()
        ))
    };
    // Pass 1: the most prompts of any record.
    let mut prompts = 0;
    for (i, line) in open()?.lines().enumerate() {
        let line = line.map_err(|e| StoreError::io(staging, e))?;
        let p: StagedPrompts = serde_json::from_str(&line).map_err(|e| bad_line(i + 1, &e))?;
        prompts = prompts.max(p.dtmf.len());
    }
    let prompts = prompts.min(MAX_PROMPT_COLUMNS);

    let mut wb = Workbook::new();
    if let Some(dir) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        wb.set_tempdir(dir).map_err(|e| xlsx_err(out, &e))?;
    }
    let ws = wb
        .add_worksheet_with_constant_memory()
        .map_err(|e| xlsx_err(out, &e))?;
    ws.set_name(SHEET_NAME).map_err(|e| xlsx_err(out, &e))?;
    let mut f = Formats::new();
    let last_col = u16::try_from(COLUMNS.len() + prompts - 1).unwrap_or(u16::MAX);
    write_header(ws, &f, prompts).map_err(|e| xlsx_err(out, &e))?;

    // Pass 2: the rows.
    let mut row: u32 = 0;
    for (i, line) in open()?.lines().enumerate() {
        let line = line.map_err(|e| StoreError::io(staging, e))?;
        let r: StagedRow = serde_json::from_str(&line).map_err(|e| bad_line(i + 1, &e))?;
        row = row.checked_add(1).filter(|&n| u64::from(n) <= MAX_RECORDS).ok_or_else(|| {
            StoreError::Output(format!(
                "an XLSX sheet holds at most {MAX_RECORDS} records: narrow the selection, or export to CSV or JSON lines"
            ))
        })?;
        write_row(ws, &mut f, row, &r, prompts).map_err(|e| xlsx_err(out, &e))?;
    }
    ws.set_freeze_panes(1, 0).map_err(|e| xlsx_err(out, &e))?;
    ws.autofilter(0, 0, row, last_col)
        .map_err(|e| xlsx_err(out, &e))?;
    wb.save(out).map_err(|e| xlsx_err(out, &e))?;
    File::open(out)
        .and_then(|f| f.sync_all())
        .map_err(|e| StoreError::io(out, e))
}

fn write_header(ws: &mut Worksheet, f: &Formats, prompts: usize) -> Result<(), XlsxError> {
    let mut col: u16 = 0;
    for (name, width) in COLUMNS.iter().zip(WIDTHS) {
        ws.set_column_width(col, width)?;
        ws.write_string_with_format(0, col, *name, &f.header)?;
        col += 1;
    }
    for p in 1..=prompts {
        ws.set_column_width(col, 8.0)?;
        ws.write_string_with_format(0, col, format!("dtmf_{p}"), &f.header)?;
        col += 1;
    }
    Ok(())
}

fn write_row(
    ws: &mut Worksheet,
    f: &mut Formats,
    row: u32,
    r: &StagedRow,
    prompts: usize,
) -> Result<(), XlsxError> {
    let text = |ws: &mut Worksheet, col: u16, v: Option<&str>, fmt: &Format| match v {
        Some(t) if !t.is_empty() => ws.write_string_with_format(row, col, t, fmt).map(|_| ()),
        _ => Ok(()),
    };
    let int = |ws: &mut Worksheet, col: u16, v: Option<u64>, fmt: &Format| match v {
        // Counts and seconds: far below 2^53, exact as f64.
        #[allow(clippy::cast_precision_loss)]
        Some(n) => ws
            .write_number_with_format(row, col, n as f64, fmt)
            .map(|_| ()),
        None => Ok(()),
    };
    let date = |ws: &mut Worksheet, col: u16, v: Option<NaiveDate>, fmt: &Format| match v {
        Some(d) => ws.write_datetime_with_format(row, col, d, fmt).map(|_| ()),
        None => Ok(()),
    };
    let time = |ws: &mut Worksheet, col: u16, v: Option<NaiveTime>, fmt: &Format| match v {
        Some(t) => ws.write_datetime_with_format(row, col, t, fmt).map(|_| ()),
        None => Ok(()),
    };
    text(ws, 0, Some(&r.call_id), &f.text)?;
    text(ws, 1, r.status.as_deref(), &f.text)?;
    text(ws, 2, r.amd.as_deref(), &f.text)?;
    text(
        ws,
        3,
        r.campaign_id.map(|v| v.to_string()).as_deref(),
        &f.text,
    )?;
    text(ws, 4, r.campaign_ref.as_deref(), &f.text)?;
    text(ws, 5, r.correlation_id.as_deref(), &f.text)?;
    text(ws, 6, r.origin.as_deref(), &f.text)?;
    text(ws, 7, r.destination.as_deref(), &f.text)?;
    date(ws, 8, r.date, &f.date)?;
    time(ws, 9, r.dial_time, &f.time)?;
    time(ws, 10, r.answer_time, &f.time)?;
    time(ws, 11, r.hangup_time, &f.time)?;
    int(ws, 12, r.duration_seconds, &f.integer)?;
    text(ws, 13, Some(&r.dtmf.join("|")), &f.text)?;
    int(ws, 14, Some(r.dtmf.len() as u64), &f.integer)?;
    text(ws, 15, r.route.as_deref(), &f.text)?;
    for (col, amount) in [(16, r.rate), (17, r.value)] {
        let Some(d) = amount else { continue };
        match exact_f64(d) {
            Some(v) => {
                ws.write_number_with_format(row, col, v, f.money(d.scale()))?;
            }
            None => {
                ws.write_string_with_format(row, col, d.to_string(), &f.text)?;
            }
        }
    }
    text(ws, 18, r.recording_url.as_deref(), &f.text)?;
    int(ws, 19, r.recording_seconds, &f.integer)?;
    text(ws, 20, Some(&r.extra), &f.text)?;
    text(ws, 21, Some(&r.problems), &f.text)?;
    let first = u16::try_from(COLUMNS.len()).unwrap_or(u16::MAX);
    for (i, answer) in r.dtmf.iter().take(prompts).enumerate() {
        let col = first + u16::try_from(i).unwrap_or(u16::MAX);
        text(ws, col, Some(answer), &f.text)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_numbers_only_when_exact() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(exact_f64(d("0.050")), Some(0.05));
        assert_eq!(exact_f64(d("1234.56")), Some(1234.56));
        assert_eq!(exact_f64(d("-0.125")), Some(-0.125));
        assert_eq!(exact_f64(d("0")), Some(0.0));
        // More significant digits than an f64 holds: text, never rounded.
        assert_eq!(exact_f64(d("12345678901234567.891")), None);
    }

    #[test]
    fn widths_cover_the_columns() {
        assert_eq!(WIDTHS.len(), COLUMNS.len());
    }
}
