//! CSV rows: the documented, stable columns, in two dialects.

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

/// The cells of one record, in [`COLUMNS`] order.
pub fn cells(r: &CallRecord, dialect: CsvDialect) -> Vec<String> {
    let comma = dialect == CsvDialect::PtBr;
    vec![
        r.call_id.to_string(),
        opt(r.status.as_ref()),
        opt(r.amd.as_ref()),
        opt(r.campaign_id),
        r.campaign_ref.clone().unwrap_or_default(),
        r.correlation_id.clone().unwrap_or_default(),
        r.origin.clone().unwrap_or_default(),
        opt(r.destination.as_ref()),
        opt(r.date),
        opt(r.dial_time),
        opt(r.answer_time),
        opt(r.hangup_time),
        opt(r.duration_seconds),
        r.dtmf.join("|"),
        r.dtmf.len().to_string(),
        r.route.clone().unwrap_or_default(),
        dec(r.rate, comma),
        dec(r.value, comma),
        r.recording_url.clone().unwrap_or_default(),
        opt(r.recording_seconds),
        serde_json::to_string(&r.extra).unwrap_or_else(|_| "{}".to_owned()),
        if r.problems.is_empty() {
            String::new()
        } else {
            serde_json::to_string(&r.problems).unwrap_or_default()
        },
    ]
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
        result.map_err(std::io::Error::other)
    }

    /// One record.
    ///
    /// # Errors
    /// The output's I/O error.
    pub fn record(&mut self, r: &CallRecord) -> std::io::Result<()> {
        self.inner
            .write_record(cells(r, self.dialect))
            .map_err(std::io::Error::other)
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
