//! `velip call get` (one or many ids) and `velip call find`.

use std::io::{BufRead, Write};

use velip_core::{CallRecord, Query};
use velip_store::rows::{csv::CsvWriter, jsonl};

use crate::args::call::{FindArgs, GetArgs, LookupFormat};
use crate::args::output::RecordFormat;
use crate::context::Context;
use crate::exit::Failure;
use crate::output;

/// Prints records; JSON is one object for `get` and always an array for
/// `find` (whatever the number of matches).
fn print(records: &[CallRecord], format: RecordFormat, json_array: bool) -> Result<(), Failure> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let res = match format {
        RecordFormat::Json if !json_array && records.len() == 1 => {
            serde_json::to_writer_pretty(&mut out, &records[0])
                .map_err(std::io::Error::from)
                .and_then(|()| writeln!(out))
        }
        RecordFormat::Json => serde_json::to_writer_pretty(&mut out, records)
            .map_err(std::io::Error::from)
            .and_then(|()| writeln!(out)),
        RecordFormat::Text => records.iter().enumerate().try_for_each(|(i, r)| {
            if i > 0 {
                writeln!(out)?;
            }
            output::text::record(&mut out, r)
        }),
    };
    res.map_err(|e| Failure::stdout(&e))
}

/// The ids to look up: the arguments, then `--ids-file` (one per line,
/// blank lines and `#` comments skipped), each once, in order; every one
/// checked before anything is sent.
fn ids(a: &GetArgs) -> Result<Vec<String>, Failure> {
    let mut all: Vec<(String, String)> = a
        .call_ids
        .iter()
        .enumerate()
        .map(|(i, id)| (format!("CALL_ID #{}", i + 1), id.trim().to_owned()))
        .collect();
    if let Some(path) = &a.ids_file {
        let name = if path.as_os_str() == "-" {
            "stdin".to_owned()
        } else {
            path.display().to_string()
        };
        let reader: Box<dyn BufRead> = if path.as_os_str() == "-" {
            Box::new(std::io::stdin().lock())
        } else {
            Box::new(std::io::BufReader::new(
                std::fs::File::open(path).map_err(|e| Failure::io(&name, e))?,
            ))
        };
        for (n, line) in reader.lines().enumerate() {
            let line = line.map_err(|e| Failure::io(&name, e))?;
            let id = line.split('#').next().unwrap_or("").trim();
            if !id.is_empty() {
                all.push((format!("line {} of {name}", n + 1), id.to_owned()));
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for (place, id) in all {
        if let Err(e) = Query::builder().call_id(id.as_str()).build() {
            let rule = e
                .violations()
                .first()
                .map_or_else(|| e.to_string(), |v| v.rule.clone());
            return Err(Failure::Invalid {
                message: format!("invalid arguments: {place}: {rule}"),
                codes: e.violations().iter().map(|v| v.code).collect(),
            });
        }
        if seen.insert(id.clone()) {
            out.push(id);
        }
    }
    if out.is_empty() {
        return Err(Failure::Usage(
            "no call id given: name them, or give --ids-file FILE".to_owned(),
        ));
    }
    Ok(out)
}

/// Where looked-up records go, streamed as they come.
enum Sink<W: Write> {
    Text(W),
    Json { out: W, array: bool, first: bool },
    Jsonl(W),
    Csv(Box<CsvWriter<W>>),
}

impl<W: Write> Sink<W> {
    fn record(&mut self, n: usize, r: &CallRecord) -> std::io::Result<()> {
        match self {
            Self::Text(out) => {
                if n > 0 {
                    writeln!(out)?;
                }
                output::text::record(out, r)
            }
            Self::Json { out, array, first } => {
                if *array {
                    out.write_all(if *first { b"[\n" } else { b",\n" })?;
                }
                *first = false;
                serde_json::to_writer_pretty(&mut *out, r).map_err(std::io::Error::from)?;
                if !*array {
                    writeln!(out)?;
                }
                Ok(())
            }
            Self::Jsonl(out) => jsonl::write_record(out, r),
            Self::Csv(w) => {
                if n == 0 {
                    w.header()?;
                }
                w.record(r)
            }
        }?;
        self.flush()
    }

    fn finish(&mut self, any: bool) -> std::io::Result<()> {
        if let Self::Json {
            out, array: true, ..
        } = self
            && any
        {
            out.write_all(b"\n]\n")?;
        }
        self.flush()
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Self::Text(out) | Self::Json { out, .. } | Self::Jsonl(out) => out.flush(),
            Self::Csv(w) => w.flush(),
        }
    }
}

/// The checks made before anything starts (see [`super::check`]); the
/// ids themselves are checked when read (standard input is read once).
pub(crate) fn check(a: &GetArgs) -> Result<(), Failure> {
    super::csv_locale_only_for_csv(a.csv, a.format == LookupFormat::Csv)
}

pub(crate) fn get(ctx: &Context, a: &GetArgs) -> Result<(), Failure> {
    let ids = ids(a)?;
    let single = ids.len() == 1 && a.ids_file.is_none();
    let stdout = std::io::stdout();
    let out = std::io::BufWriter::new(stdout.lock());
    let mut sink = match a.format {
        LookupFormat::Text => Sink::Text(out),
        LookupFormat::Json => Sink::Json {
            out,
            array: !single,
            first: true,
        },
        LookupFormat::Jsonl => Sink::Jsonl(out),
        LookupFormat::Csv => Sink::Csv(Box::new(CsvWriter::new(out, a.csv.dialect()))),
    };
    let mut printed = 0;
    let mut missing = Vec::new();
    let mut stop = None;
    for id in &ids {
        if ctx.is_interrupted() {
            stop = Some(Failure::from(velip_blocking::Error::Interrupted));
            break;
        }
        match ctx.client.get_call(id) {
            Ok(r) => {
                if let Err(e) = sink.record(printed, &r) {
                    stop = Some(Failure::stdout(&e));
                    break;
                }
                printed += 1;
            }
            Err(e) if e.kind() == velip_blocking::ErrorKind::NotFound && !single => {
                if !ctx.quiet {
                    note!("call {id}: not found");
                }
                missing.push(id.clone());
            }
            Err(e) => {
                stop = Some(Failure::from(e));
                break;
            }
        }
    }
    if matches!(stop, Some(Failure::ClosedStdout)) {
        return Err(Failure::ClosedStdout);
    }
    sink.finish(printed > 0).map_err(|e| Failure::stdout(&e))?;
    let looked_up = printed + missing.len();
    if let Some(f) = stop {
        if !single && !ctx.quiet {
            note!(
                "stopped after {looked_up} of {} lookups ({printed} printed); the ids not looked up start at {}",
                ids.len(),
                ids[looked_up]
            );
        }
        return Err(f);
    }
    if !missing.is_empty() {
        return Err(Failure::NotFound(format!(
            "{} of {} calls not found: {}",
            missing.len(),
            ids.len(),
            missing.join(", ")
        )));
    }
    Ok(())
}

pub(crate) fn find(ctx: &Context, a: &FindArgs) -> Result<(), Failure> {
    let records = ctx.client.find_calls(&a.ctid)?;
    if records.is_empty() {
        return Err(Failure::NotFound(format!(
            "no call has correlation id {:?}",
            a.ctid
        )));
    }
    print(&records, a.format, true)
}
