//! `velip calls list`: records to stdout as a table, CSV, JSON lines or JSON.

use std::io::Write;

use velip_blocking::CallIter;
use velip_core::CallRecord;

use crate::args::{CsvOptions, Filters, ListFormat};
use crate::context::Context;
use crate::exit::Failure;
use velip_store::rows::{csv::CsvWriter, jsonl};

use crate::output;

/// Feeds the walk's records to `write`; an SDK error stops the walk after
/// what was already written.
fn drain(
    iter: &mut CallIter,
    mut write: impl FnMut(u64, &CallRecord) -> std::io::Result<()>,
) -> Result<(), Failure> {
    for (n, r) in (0u64..).zip(iter) {
        let r = r.map_err(Failure::from)?;
        write(n, &r).map_err(|e| Failure::io("stdout", e))?;
    }
    Ok(())
}

pub(crate) fn run(
    ctx: &Context,
    filters: &Filters,
    format: ListFormat,
    limit: Option<u64>,
    csv: CsvOptions,
) -> Result<(), Failure> {
    let query = filters.builder(5000).build()?;
    // With --limit the walk stops early (pages no larger than the limit,
    // nothing fetched ahead: `CallIter::limit`). Without it, one page ahead,
    // as `calls export` does.
    let mut iter = match limit {
        Some(n) => ctx.client.list_calls(query).limit(n),
        None => ctx.client.list_calls(query).prefetch_depth(1),
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let result = match format {
        ListFormat::Table => output::table::header(&mut out)
            .map_err(|e| Failure::io("stdout", e))
            .and_then(|()| drain(&mut iter, |_, r| output::table::record(&mut out, r))),
        ListFormat::Jsonl => drain(&mut iter, |_, r| jsonl::write_record(&mut out, r)),
        ListFormat::Json => {
            let res = out
                .write_all(b"[")
                .map_err(|e| Failure::io("stdout", e))
                .and_then(|()| {
                    drain(&mut iter, |n, r| {
                        out.write_all(if n == 0 { b"\n" } else { b",\n" })?;
                        serde_json::to_writer(&mut out, r).map_err(std::io::Error::from)
                    })
                });
            // Close the array even after an error, so what was written parses.
            out.write_all(b"\n]\n")
                .map_err(|e| Failure::io("stdout", e))?;
            res
        }
        ListFormat::Csv => {
            let mut w = CsvWriter::new(&mut out, csv.dialect());
            let res = w
                .header()
                .map_err(|e| Failure::io("stdout", e))
                .and_then(|()| drain(&mut iter, |_, r| w.record(r)));
            w.flush().map_err(|e| Failure::io("stdout", e))?;
            res
        }
    };
    out.flush().map_err(|e| Failure::io("stdout", e))?;
    if !ctx.quiet {
        for w in iter.warnings() {
            note!("warning: {w}");
        }
        if iter.numbers_masked() {
            note!("note: phone numbers are masked for this token");
        }
    }
    result
}
