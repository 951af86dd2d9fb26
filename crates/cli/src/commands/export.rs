//! `velip calls export`: stream every matching call to a CSV or JSON-lines
//! file in constant memory, resumable (see [`crate::checkpoint`]).

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::Path;
use std::time::Instant;

use crate::args::{CsvLocale, CsvOptions, ExportFormat, Filters};
use crate::checkpoint::{Checkpoint, Paths};
use crate::context::Context;
use crate::exit::Failure;
use crate::output::{self, csv_out::CsvOut};
use crate::progress::Progress;

/// The export's options.
pub(crate) struct ExportArgs<'a> {
    pub(crate) out: &'a Path,
    pub(crate) format: Option<ExportFormat>,
    pub(crate) resume: bool,
    pub(crate) csv: CsvOptions,
}

fn format_for(out: &Path, given: Option<ExportFormat>) -> Result<ExportFormat, Failure> {
    if let Some(f) = given {
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
        _ => Err(Failure::Usage(format!(
            "cannot tell the format of {}: use a .csv or .jsonl name, or --format",
            out.display()
        ))),
    }
}

enum Sink {
    Csv(Box<CsvOut<BufWriter<File>>>),
    Jsonl(BufWriter<File>),
}

impl Sink {
    /// Flushes everything to the file and returns its length.
    fn flush_to_disk(&mut self) -> std::io::Result<u64> {
        let w = match self {
            Self::Csv(c) => {
                c.flush()?;
                c.get_ref()
            }
            Self::Jsonl(w) => {
                w.flush()?;
                &*w
            }
        };
        let mut f: &File = w.get_ref();
        f.sync_data()?;
        f.stream_position()
    }
}

pub(crate) fn run(ctx: &Context, filters: &Filters, a: &ExportArgs<'_>) -> Result<(), Failure> {
    let format = format_for(a.out, a.format)?;
    let base = filters.builder(5000).build()?;
    let paths = Paths::for_output(a.out);
    let format_tag = match (format, a.csv.csv_locale) {
        (ExportFormat::Jsonl, _) => "jsonl".to_owned(),
        (ExportFormat::Csv, Some(CsvLocale::PtBr)) => "csv;pt-BR".to_owned(),
        (ExportFormat::Csv, _) => "csv".to_owned(),
    };
    let query_key: Vec<(String, String)> = base
        .with_cursor(None)
        .to_redacted_pairs()
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();

    let existing = Checkpoint::load(&paths.checkpoint)?;
    let mut cp = match (a.resume, existing) {
        (true, Some(cp)) => {
            if cp.query != query_key || cp.format != format_tag {
                return Err(Failure::Usage(format!(
                    "the checkpoint {} belongs to another export (other filters or format); run that export with --resume, or delete it",
                    paths.checkpoint.display()
                )));
            }
            cp
        }
        (true, None) => {
            return Err(Failure::Usage(format!(
                "nothing to resume: no checkpoint at {}",
                paths.checkpoint.display()
            )));
        }
        (false, Some(_)) => {
            return Err(Failure::Usage(format!(
                "an interrupted export of {} exists; continue it with --resume, or delete {} to start over",
                a.out.display(),
                paths.checkpoint.display()
            )));
        }
        (false, None) => Checkpoint {
            version: 1,
            query: query_key,
            format: format_tag,
            cursor: base.cursor().map(|c| c.as_str().to_owned()),
            bytes: 0,
            records: 0,
            pages: 0,
            last_call_id: None,
        },
    };

    // The partial file must hold at least what the checkpoint says was
    // written; otherwise resuming would leave a hole.
    if a.resume {
        let have = std::fs::metadata(&paths.partial).map_or(0, |m| m.len());
        if have < cp.bytes {
            return Err(Failure::Usage(format!(
                "cannot resume: {} is missing or shorter than its checkpoint says ({have} of {} bytes); delete {} to start the export over",
                paths.partial.display(),
                cp.bytes,
                paths.checkpoint.display()
            )));
        }
    }
    let mut file = OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(!a.resume)
        .open(&paths.partial)
        .map_err(|e| Failure::io(paths.partial.display(), e))?;
    // Drop whatever a half-written page left after the checkpoint.
    file.set_len(cp.bytes)
        .and_then(|()| file.seek(SeekFrom::Start(cp.bytes)).map(|_| ()))
        .map_err(|e| Failure::io(paths.partial.display(), e))?;
    let writer = BufWriter::with_capacity(1 << 16, file);
    let mut sink = match format {
        ExportFormat::Csv => {
            let mut c = CsvOut::new(writer, a.csv.csv_locale);
            if cp.bytes == 0 {
                c.header()
                    .map_err(|e| Failure::io(paths.partial.display(), e))?;
            }
            Sink::Csv(Box::new(c))
        }
        ExportFormat::Jsonl => Sink::Jsonl(writer),
    };
    if cp.bytes == 0 {
        cp.bytes = sink
            .flush_to_disk()
            .map_err(|e| Failure::io(paths.partial.display(), e))?;
        cp.save(&paths.checkpoint)?;
    }

    let query = base.with_cursor(cp.cursor.as_deref().and_then(velip_core::Cursor::parse));
    // One page ahead: memory stays flat however long the export (a second
    // page ahead exports ~1.5x faster here but peaks ~30% higher on long
    // walks; BENCHMARKS.md, section 3).
    let mut walk = ctx.client.list_calls(query).prefetch_depth(1);
    let mut progress = Progress::new(ctx.quiet);
    let started = Instant::now();
    let records_before = cp.records;
    let io = |e: std::io::Error| Failure::io(paths.partial.display(), e);
    let result = loop {
        if ctx.is_interrupted() {
            break Err(Failure::from(velip_blocking::Error::Interrupted));
        }
        let page = match walk.next_page() {
            None => break Ok(()),
            Some(Err(e)) => break Err(Failure::from(e)),
            Some(Ok(p)) => p,
        };
        for r in &page.records {
            match &mut sink {
                Sink::Csv(c) => c.record(r).map_err(io)?,
                Sink::Jsonl(w) => output::write_jsonl(w, r).map_err(io)?,
            }
        }
        cp.bytes = sink.flush_to_disk().map_err(io)?;
        cp.records += page.records.len() as u64;
        cp.pages += 1;
        if let Some(last) = page.records.last() {
            cp.last_call_id = Some(last.call_id.to_string());
        }
        cp.cursor = walk.resume_cursor().map(|c| c.as_str().to_owned());
        cp.save(&paths.checkpoint)?;
        progress.update(cp.records, cp.pages, walk.warnings().len());
    };
    progress.finish();
    if !ctx.quiet {
        for w in walk.warnings() {
            note!("warning: {w}");
        }
    }
    match result {
        Ok(()) => {
            drop(sink);
            std::fs::rename(&paths.partial, a.out).map_err(|e| Failure::io(a.out.display(), e))?;
            std::fs::remove_file(&paths.checkpoint)
                .map_err(|e| Failure::io(paths.checkpoint.display(), e))?;
            if !ctx.quiet {
                let secs = started.elapsed().as_secs_f64().max(0.001);
                #[allow(clippy::cast_precision_loss)] // a rate for humans
                let rate = (cp.records - records_before) as f64 / secs;
                note!(
                    "exported {} records in {} pages to {} ({rate:.0} records/s){}",
                    cp.records,
                    cp.pages,
                    a.out.display(),
                    if walk.numbers_masked() {
                        "; phone numbers are masked for this token"
                    } else {
                        ""
                    }
                );
            }
            Ok(())
        }
        Err(f) => {
            if !ctx.quiet {
                note!(
                    "export stopped after {} records; continue with the same command plus --resume",
                    cp.records
                );
            }
            Err(match f {
                Failure::Interrupted(_) => Failure::Interrupted(format!(
                    "interrupted after {} records (checkpoint saved)",
                    cp.records
                )),
                other => other,
            })
        }
    }
}
