//! `velip calls list`: records to stdout as a table, CSV, JSON lines or JSON.
//!
//! Nothing is written before the first page has arrived (an error leaves no
//! header-only CSV and no `[ ]`); a reader that closes stdout (`| head`)
//! ends the walk quietly.

use std::io::Write;

use velip_core::CallRecord;
use velip_store::rows::{csv::CsvWriter, jsonl};

use crate::args::calls::list::{ListArgs, ListFormat};
use crate::context::Context;
use crate::exit::Failure;
use crate::output;

/// Where records go, one format; `begin` comes before the first record, or
/// at the end of a walk that found none.
enum Printer<W: Write> {
    Table(W),
    Jsonl(W),
    Json { out: W, first: bool },
    Csv(Box<CsvWriter<W>>),
}

impl<W: Write> Printer<W> {
    fn new(format: ListFormat, out: W, dialect: velip_store::rows::csv::CsvDialect) -> Self {
        match format {
            ListFormat::Table => Self::Table(out),
            ListFormat::Jsonl => Self::Jsonl(out),
            ListFormat::Json => Self::Json { out, first: true },
            ListFormat::Csv => Self::Csv(Box::new(CsvWriter::new(out, dialect))),
        }
    }

    fn begin(&mut self) -> std::io::Result<()> {
        match self {
            Self::Table(out) => output::table::header(out),
            Self::Jsonl(_) => Ok(()),
            Self::Json { out, .. } => out.write_all(b"["),
            Self::Csv(w) => w.header(),
        }
    }

    fn record(&mut self, r: &CallRecord) -> std::io::Result<()> {
        match self {
            Self::Table(out) => output::table::record(out, r),
            Self::Jsonl(out) => jsonl::write_record(out, r),
            Self::Json { out, first } => {
                out.write_all(if *first { b"\n" } else { b",\n" })?;
                *first = false;
                serde_json::to_writer(&mut *out, r).map_err(std::io::Error::from)
            }
            Self::Csv(w) => w.record(r),
        }
    }

    /// Closes what `begin` opened (the JSON array, also after an error, so
    /// that what was written parses) and flushes.
    fn end(&mut self) -> std::io::Result<()> {
        match self {
            Self::Table(out) | Self::Jsonl(out) => out.flush(),
            Self::Json { out, .. } => {
                out.write_all(b"\n]\n")?;
                out.flush()
            }
            Self::Csv(w) => w.flush(),
        }
    }
}

/// A page no larger than what will be printed, at most the server's 5000.
fn page_size(a: &ListArgs) -> i64 {
    a.limit
        .map_or(5000, |l| i64::try_from(l.clamp(1, 5000)).unwrap_or(5000))
}

/// The checks made before anything starts (see [`super::check`]).
pub(crate) fn check(a: &ListArgs) -> Result<(), Failure> {
    super::csv_locale_only_for_csv(a.csv, a.format == ListFormat::Csv)?;
    a.filters.query(page_size(a)).map(drop)
}

pub(crate) fn run(ctx: &Context, a: &ListArgs) -> Result<(), Failure> {
    let query = a.filters.query(page_size(a))?;
    output::notes::resolved_days(ctx, &a.filters, &query);
    // With --limit the walk stops early (pages no larger than the limit,
    // nothing fetched ahead: `CallIter::limit`). Without it, one page ahead,
    // as `calls export` does.
    let mut iter = match a.limit {
        Some(l) => ctx.client.list_calls(query).limit(l),
        None => ctx.client.list_calls(query).prefetch_depth(1),
    };
    let stdout = std::io::stdout();
    let mut p = Printer::new(
        a.format,
        std::io::BufWriter::new(stdout.lock()),
        a.csv.dialect(),
    );
    let mut n: u64 = 0;
    let result = loop {
        if a.limit.is_some_and(|l| n >= l) {
            break Ok(());
        }
        match iter.next() {
            None => break Ok(()),
            Some(Err(e)) => break Err(Failure::from(e)),
            Some(Ok(r)) => {
                let written = if n == 0 { p.begin() } else { Ok(()) }.and_then(|()| p.record(&r));
                if let Err(e) = written {
                    break Err(Failure::stdout(&e));
                }
                n += 1;
            }
        }
    };
    if matches!(result, Err(Failure::ClosedStdout)) {
        return result;
    }
    // An empty, successful walk still prints a valid empty output (a CSV
    // header, `[]`); a failed one prints nothing.
    let opened = n > 0 || (result.is_ok() && !matches!(p, Printer::Table(_)));
    if n == 0 && opened {
        p.begin().map_err(|e| Failure::stdout(&e))?;
    }
    if opened {
        p.end().map_err(|e| Failure::stdout(&e))?;
    }
    output::notes::walk_notes(ctx, iter.warnings(), iter.numbers_masked());
    if result.is_ok() && n == 0 {
        output::notes::empty_result(ctx);
    }
    result
}
