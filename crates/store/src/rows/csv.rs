//! CSV rows: the documented, stable columns, in two dialects, with cells
//! that a spreadsheet would run as formulas neutralised (one rule, here:
//! [`neutralize_formula`]).

use std::borrow::Cow;
use std::io::Write;

use velip_core::money::to_brl_string;
use velip_core::{CallRecord, Decimal};

/// Column names, in order. Never reordered; new columns go at the end.
///
/// - `dtmf`: the DTMF answers joined with `|` in prompt order (`1|12345|0`;
///   an unanswered prompt is an empty slot, `2||9`), so the columns stay the
///   same whatever the number of prompts and an export streams in constant
///   memory. `dtmf_count` is the number of prompts.
/// - `destination`: E.164 (`+5511999999999`) for valid numbers, else the
///   text as sent (masked `xxxxx877`).
/// - `rate`, `value`: exact decimals as sent, dot or comma per dialect.
/// - `extra`: the other keys of the record (`cdc_extra*`, ...) as a JSON
///   object, `{}` when none.
/// - `problems`: the fields that could not be read (each then empty), as a
///   JSON list of `{"field", "raw", "rule"}`; empty for a clean record.
///
/// Text that comes verbatim from the service (see [`neutralize_formula`])
/// gets a leading `'` when a spreadsheet would run it as a formula.
pub const COLUMNS: &[&str] = &[
    "call_id",
    "status",
    "amd",
    "campaign_id",
    "campaign_ref",
    "correlation_id",
    "origin",
    "destination",
    "date",
    "dial_time",
    "answer_time",
    "hangup_time",
    "duration_seconds",
    "dtmf",
    "dtmf_count",
    "route",
    "rate",
    "value",
    "recording_url",
    "recording_seconds",
    "extra",
    "problems",
];

/// A CSV dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum CsvDialect {
    /// RFC 4180: `,` separators, decimal dots, CRLF.
    #[default]
    Rfc4180,
    /// For spreadsheets in Brazil: `;` separators, decimal commas
    /// (`0,050`), a UTF-8 byte-order mark before the header, CRLF.
    PtBr,
}

impl CsvDialect {
    /// `csv` or `csv;pt-BR`: how an export's checkpoint names it.
    pub fn tag(self) -> &'static str {
        match self {
            Self::Rfc4180 => "csv",
            Self::PtBr => "csv;pt-BR",
        }
    }
}

/// The characters that make a spreadsheet read a cell as a formula (OWASP's
/// CSV injection list): `=`, `+`, `-`, `@`, tab and carriage return.
pub const FORMULA_TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A cell of free text as a spreadsheet cannot run it: a leading `'` when
/// the text starts with one of [`FORMULA_TRIGGERS`] (OWASP's advice;
/// spreadsheets show the apostrophe, and programs can strip it).
///
/// Applied only to the text velip does not format itself, the columns a
/// caller or the service fills in: `campaign_ref`, `correlation_id`,
/// `origin`, `route`, `recording_url`, `dtmf`, a `status` or `amd` text
/// velip does not know, and a `destination` that is not a phone number.
/// Cells velip writes from typed values are never changed, so `+5511999999999`
/// (E.164), negative amounts, dates, counts and the JSON columns (`{...}`,
/// `[...]`) stay exactly as documented. JSON lines, Parquet and XLSX cells
/// are typed and never changed.
///
/// ```
/// use velip_store::rows::csv::neutralize_formula;
/// assert_eq!(neutralize_formula("=HYPERLINK(\"http://x\")"), "'=HYPERLINK(\"http://x\")");
/// assert_eq!(neutralize_formula("-2+3"), "'-2+3");
/// assert_eq!(neutralize_formula("promo-nov"), "promo-nov");
/// ```
pub fn neutralize_formula(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(FORMULA_TRIGGERS) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// Free text (see [`neutralize_formula`]); empty when absent.
fn text(v: Option<&str>) -> String {
    v.map(|t| neutralize_formula(t).into_owned())
        .unwrap_or_default()
}

/// The `extra` column: the other keys as a JSON object, `{}` when none.
pub(crate) fn extra_json(r: &CallRecord) -> String {
    serde_json::to_string(&r.extra).unwrap_or_else(|_| "{}".to_owned())
}

/// The `problems` column: a JSON list, empty for a clean record.
pub(crate) fn problems_json(r: &CallRecord) -> String {
    if r.problems.is_empty() {
        String::new()
    } else {
        serde_json::to_string(&r.problems).unwrap_or_default()
    }
}

/// A `status`/`amd` text: the wire text; one velip does not know is free
/// text (see [`neutralize_formula`]).
fn known_or_text(wire: Option<&str>, known: bool) -> String {
    match wire {
        Some(w) if known => w.to_owned(),
        other => text(other),
    }
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

fn dec(v: Option<Decimal>, comma: bool) -> String {
    match v {
        Some(d) if comma => to_brl_string(d),
        Some(d) => d.to_string(),
        None => String::new(),
    }
}

/// The cells of one record, in [`COLUMNS`] order (free text neutralised, see
/// [`neutralize_formula`]).
pub fn cells(r: &CallRecord, dialect: CsvDialect) -> Vec<String> {
    use velip_core::{AmdResult, CallStatus, Destination};
    let comma = dialect == CsvDialect::PtBr;
    let destination = match &r.destination {
        Some(Destination::Raw(t)) => text(Some(t)),
        other => opt(other.as_ref()),
    };
    vec![
        r.call_id.to_string(),
        known_or_text(
            r.status.as_ref().map(CallStatus::as_wire),
            !matches!(r.status, Some(CallStatus::Other(_))),
        ),
        known_or_text(
            r.amd.as_ref().map(AmdResult::as_wire),
            !matches!(r.amd, Some(AmdResult::Other(_))),
        ),
        opt(r.campaign_id),
        text(r.campaign_ref.as_deref()),
        text(r.correlation_id.as_deref()),
        text(r.origin.as_deref()),
        destination,
        opt(r.date),
        opt(r.dial_time),
        opt(r.answer_time),
        opt(r.hangup_time),
        opt(r.duration_seconds),
        neutralize_formula(&r.dtmf.join("|")).into_owned(),
        r.dtmf.len().to_string(),
        text(r.route.as_deref()),
        dec(r.rate, comma),
        dec(r.value, comma),
        text(r.recording_url.as_deref()),
        opt(r.recording_seconds),
        extra_json(r),
        problems_json(r),
    ]
}

/// A `csv` error as the I/O error it is (a closed pipe stays
/// [`std::io::ErrorKind::BrokenPipe`]), else as an `other` I/O error.
fn io_error(e: csv::Error) -> std::io::Error {
    if !e.is_io_error() {
        return std::io::Error::other(e);
    }
    match e.into_kind() {
        csv::ErrorKind::Io(io) => io,
        _ => std::io::Error::other("CSV row cannot be written"),
    }
}

/// A CSV writer over any output.
pub struct CsvWriter<W: Write> {
    inner: csv::Writer<W>,
    dialect: CsvDialect,
}

impl<W: Write> CsvWriter<W> {
    /// A writer in `dialect`; nothing is written yet.
    pub fn new(out: W, dialect: CsvDialect) -> Self {
        let inner = csv::WriterBuilder::new()
            .delimiter(if dialect == CsvDialect::PtBr {
                b';'
            } else {
                b','
            })
            .terminator(csv::Terminator::CRLF)
            .from_writer(out);
        Self { inner, dialect }
    }

    /// The header row; for pt-BR, preceded by a UTF-8 byte-order mark so that
    /// spreadsheet programs read accents right.
    ///
    /// # Errors
    /// The output's I/O error.
    pub fn header(&mut self) -> std::io::Result<()> {
        let result = if self.dialect == CsvDialect::PtBr {
            let mut cols: Vec<String> = COLUMNS.iter().map(|c| (*c).to_owned()).collect();
            cols[0].insert(0, '\u{feff}');
            self.inner.write_record(&cols)
        } else {
            self.inner.write_record(COLUMNS)
        };
        result.map_err(io_error)
    }

    /// One record.
    ///
    /// # Errors
    /// The output's I/O error.
    pub fn record(&mut self, r: &CallRecord) -> std::io::Result<()> {
        self.inner
            .write_record(cells(r, self.dialect))
            .map_err(io_error)
    }

    /// Flushes the CSV buffer into the output, and the output.
    ///
    /// # Errors
    /// The output's I/O error.
    pub fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }

    /// The output.
    pub fn get_ref(&self) -> &W {
        self.inner.get_ref()
    }
}
