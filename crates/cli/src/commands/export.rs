//! `velip calls export`: every matching call to a CSV, JSON-lines or
//! Parquet file, or a date-partitioned Parquet dataset, page by page in
//! constant memory, resumable (the sink is
//! `velip_store::files::FileExport`: each page and its checkpoint are
//! committed together).

use std::path::Path;
use std::time::Instant;

use velip_store::Sink;
use velip_store::files::{FileExport, FileFormat, ResumeMode};

use crate::args::{CsvOptions, ExportFormat, Filters, PartitionBy};
use crate::context::Context;
use crate::exit::Failure;
use crate::progress::Progress;

/// The export's options.
pub(crate) struct ExportArgs<'a> {
    pub(crate) out: &'a Path,
    pub(crate) format: Option<ExportFormat>,
    pub(crate) partition_by: Option<PartitionBy>,
    pub(crate) resume: bool,
    pub(crate) restart: bool,
    pub(crate) csv: CsvOptions,
}

fn format_for(out: &Path, a: &ExportArgs<'_>) -> Result<FileFormat, Failure> {
    if a.partition_by.is_some() {
        // A dataset folder: Parquet whatever its name.
        return match a.format {
            None | Some(ExportFormat::Parquet) => Ok(FileFormat::ParquetByDate),
            Some(other) => Err(Failure::Usage(format!(
                "--partition-by writes a Parquet dataset, not {}: drop --format or use --format parquet",
                match other {
                    ExportFormat::Csv => "CSV",
                    _ => "JSON lines",
                }
            ))),
        };
    }
    let format = if let Some(f) = a.format {
        f
    } else {
        match out
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("csv") => ExportFormat::Csv,
            Some("jsonl" | "ndjson") => ExportFormat::Jsonl,
            Some("parquet" | "pq") => ExportFormat::Parquet,
            _ => {
                return Err(Failure::Usage(format!(
                    "cannot tell the format of {}: use a .csv, .jsonl or .parquet name, or --format",
                    out.display()
                )));
            }
        }
    };
    Ok(match format {
        ExportFormat::Csv => FileFormat::Csv(a.csv.dialect()),
        ExportFormat::Jsonl => FileFormat::Jsonl,
        ExportFormat::Parquet => FileFormat::Parquet,
    })
}

pub(crate) fn run(ctx: &Context, filters: &Filters, a: &ExportArgs<'_>) -> Result<(), Failure> {
    let format = format_for(a.out, a)?;
    let base = filters.builder(5000).build()?;
    let selection: Vec<(String, String)> = base
        .with_cursor(None)
        .to_redacted_pairs()
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
    let (mut sink, start) = FileExport::open(a.out, format, selection, mode)?;
    let resumed = start.pages() > 0 || start.cursor().is_some();
    if resumed && !ctx.quiet {
        note!(
            "resuming the export of {} after {} records",
            a.out.display(),
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
                        a.out.display(),
                        summary.files.len()
                    )
                } else {
                    a.out.display().to_string()
                };
                note!(
                    "exported {} records in {} pages to {place} ({rate:.0} records/s){}",
                    summary.records,
                    summary.pages,
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
            if !ctx.quiet {
                note!(
                    "export stopped after {records} records; run the same command with --resume to continue"
                );
            }
            Err(match f {
                Failure::Interrupted(_) => Failure::Interrupted(format!(
                    "interrupted after {records} records (checkpoint saved)"
                )),
                other => other,
            })
        }
    }
}
