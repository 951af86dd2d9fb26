//! `velip calls export`: every matching call to a CSV, JSON-lines, XLSX or
//! Parquet file, or a date-partitioned Parquet dataset, page by page in
//! constant memory, resumable (the sink is
//! `velip_store::files::FileExport`: each page and its checkpoint are
//! committed together).

use std::path::{Path, PathBuf};
use std::time::Instant;

use velip_store::Sink;
use velip_store::files::{FileExport, FileFormat, ResumeMode};

use crate::args::calls::export::{ExportArgs, ExportFormat, PartitionBy};
use crate::context::Context;
use crate::exit::Failure;
use crate::output;
use crate::progress::Progress;

/// The output's kind: `--format`, else Parquet for a dataset
/// (`--partition-by`), else from the extension of `--out`.
fn format_for(out: &Path, a: &ExportArgs) -> Result<ExportFormat, Failure> {
    if a.partition_by.is_some() {
        // A dataset folder: Parquet whatever its name.
        return match a.format {
            None | Some(ExportFormat::Parquet) => Ok(ExportFormat::Parquet),
            Some(other) => Err(Failure::Usage(format!(
                "--partition-by writes a Parquet dataset, not {}: drop --format or use --format parquet",
                match other {
                    ExportFormat::Csv => "CSV",
                    ExportFormat::Xlsx => "XLSX",
                    _ => "JSON lines",
                }
            ))),
        };
    }
    if let Some(f) = a.format {
        return Ok(f);
    }
    match out
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("csv") => Ok(ExportFormat::Csv),
        Some("jsonl" | "ndjson") => Ok(ExportFormat::Jsonl),
        Some("xlsx") => Ok(ExportFormat::Xlsx),
        Some("parquet" | "pq") => Ok(ExportFormat::Parquet),
        _ => Err(Failure::Usage(format!(
            "cannot tell the format of {}: use a .csv, .jsonl, .xlsx or .parquet name, or --format",
            out.display()
        ))),
    }
}

/// `--out` with `{date}`, `{date_start}` and `{date_end}` replaced by the
/// selection's days (`{date}`: the day, or `START_END` for a range).
fn expand_out(out: &Path, query: &velip_core::Query) -> Result<PathBuf, Failure> {
    let Some(text) = out.to_str().filter(|t| t.contains('{')) else {
        return Ok(out.to_path_buf());
    };
    let (start, end) = (query.date_start(), query.date_end());
    let mut name = text.to_owned();
    for (key, value) in [
        ("{date_start}", start),
        ("{date_end}", end),
        ("{date}", start.filter(|_| start == end)),
    ] {
        if name.contains(key) {
            let v = match (key, value) {
                (_, Some(d)) => d.to_string(),
                ("{date}", None) => match (start, end) {
                    (Some(s), Some(e)) => format!("{s}_{e}"),
                    _ => String::new(),
                },
                _ => String::new(),
            };
            if v.is_empty() {
                return Err(Failure::Usage(format!(
                    "--out uses {key}, but the selection has no such day: select days with --date, --since/--until or --date-start/--date-end"
                )));
            }
            name = name.replace(key, &v);
        }
    }
    Ok(PathBuf::from(name))
}

/// The checks made before anything starts (see [`super::check`]).
pub(crate) fn check(a: &ExportArgs) -> Result<(), Failure> {
    let kind = format_for(&a.out, a)?;
    if a.csv.csv_locale.is_some() && kind != ExportFormat::Csv {
        return Err(Failure::Usage(format!(
            "--csv-locale applies to CSV output only (this export is {}): leave it out",
            match kind {
                ExportFormat::Jsonl => "JSON lines",
                ExportFormat::Parquet => "Parquet, whose typed columns have no locale",
                _ => "XLSX, whose typed cells the spreadsheet shows in its own locale",
            }
        )));
    }
    let q = a.filters.query(5000)?;
    expand_out(&a.out, &q).map(drop)
}

pub(crate) fn run(ctx: &Context, a: &ExportArgs) -> Result<(), Failure> {
    let kind = format_for(&a.out, a)?;
    let format = match (kind, a.partition_by) {
        (ExportFormat::Csv, _) => FileFormat::Csv(a.csv.dialect()),
        (ExportFormat::Jsonl, _) => FileFormat::Jsonl,
        (ExportFormat::Xlsx, _) => FileFormat::Xlsx,
        (ExportFormat::Parquet, None) => FileFormat::Parquet,
        (ExportFormat::Parquet, Some(PartitionBy::Date)) => FileFormat::ParquetByDate,
    };
    let base = a.filters.query(5000)?;
    let out = expand_out(&a.out, &base)?;
    output::notes::resolved_days(ctx, &a.filters, &base);
    let selection: Vec<(String, String)> = base
        .to_selection_pairs()
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    let mode = match (a.resume, a.restart) {
        (_, true) => ResumeMode::Restart,
        (true, false) => ResumeMode::ResumeOrStart,
        (false, false) => ResumeMode::Fresh,
    };
    // The output is checked (and an earlier checkpoint read) before any
    // request is sent.
    let (mut sink, start) = FileExport::open(&out, format, selection, mode)?;
    let resumed = start.pages() > 0 || start.cursor().is_some();
    if resumed && !ctx.quiet {
        note!(
            "resuming the export of {} after {} records",
            out.display(),
            sink.checkpoint().records
        );
    }
    // One page ahead: memory stays flat however long the export (a second
    // page ahead exports ~1.5x faster here but peaks ~30% higher on long
    // walks; BENCHMARKS.md, section 3).
    let mut walk = ctx
        .client
        .resume_calls(base.clone(), &start)
        .prefetch_depth(1);
    let mut progress = Progress::new(ctx.quiet);
    let started = Instant::now();
    let records_before = sink.checkpoint().records;
    let result = loop {
        if ctx.is_interrupted() {
            break Err(Failure::from(velip_blocking::Error::Interrupted));
        }
        let page = match walk.next_page() {
            None => break Ok(()),
            Some(Err(e)) => break Err(Failure::from(e)),
            Some(Ok(p)) => p,
        };
        sink.write_page(&page, &walk.checkpoint())?;
        let cp = sink.checkpoint();
        progress.update(cp.records, cp.pages, walk.warnings().len());
    };
    progress.finish();
    if !ctx.quiet {
        for w in walk.warnings() {
            note!("warning: {w}");
        }
    }
    if result.is_ok() && matches!(format, FileFormat::Xlsx) && !ctx.quiet {
        note!("building the workbook {}", out.display());
    }
    if !ctx.quiet {
        note!(
            "{}",
            crate::quota::summary(
                ctx.client.requests_sent(),
                ctx.client.quota_report().as_ref()
            )
        );
    }
    match result {
        Ok(()) => {
            let summary = sink.finish()?;
            if !ctx.quiet {
                let secs = started.elapsed().as_secs_f64().max(0.001);
                #[allow(clippy::cast_precision_loss)] // a rate for humans
                let rate = (summary.records - records_before) as f64 / secs;
                let place = if format.is_dataset() {
                    format!(
                        "{} ({} Parquet files, one per date)",
                        out.display(),
                        summary.files.len()
                    )
                } else {
                    out.display().to_string()
                };
                note!(
                    "exported {} records in {} page{} to {place} ({rate:.0} records/s){}",
                    summary.records,
                    summary.pages,
                    if summary.pages == 1 { "" } else { "s" },
                    if walk.numbers_masked() {
                        "; phone numbers are masked for this token"
                    } else {
                        ""
                    }
                );
                if summary.records_with_problems > 0 {
                    note!(
                        "note: {} records have fields that could not be read: those fields are empty and the `problems` {} says what was there",
                        summary.records_with_problems,
                        if matches!(format, FileFormat::Jsonl) {
                            "key"
                        } else {
                            "column"
                        }
                    );
                }
                if summary.records == 0 {
                    output::notes::empty_result(ctx);
                }
                if let Some(f) = &summary.rejected_file {
                    note!(
                        "note: {} entries without a readable call id were kept in {}",
                        summary.rejected,
                        f.display()
                    );
                }
            }
            Ok(())
        }
        Err(f) => {
            let records = sink.checkpoint().records;
            let kept = sink.abandon()?;
            if !ctx.quiet {
                if kept {
                    note!(
                        "export stopped after {records} records; run the same command with --resume to continue"
                    );
                } else {
                    note!(
                        "nothing was exported; the same command (with or without --resume) starts afresh"
                    );
                }
            }
            Err(match f {
                Failure::Interrupted(_) if kept => Failure::Interrupted(format!(
                    "interrupted after {records} records (checkpoint saved)"
                )),
                other => other,
            })
        }
    }
}
