//! Measures a Parquet export against a CSV export of the same records
//! (not a test; figures go to BENCHMARKS.md):
//!
//! ```text
//! cargo run --release -p velip-store --example parquet_vs_csv -- MODE [RECORDS] [DIR]
//! ```
//!
//! MODE: `gen` (generating the pages only, the baseline to subtract),
//! `parquet` (one file), `dataset` (`--partition-by date`), `csv` (the
//! `csv` crate, the same 26 columns as text, flushed and fsynced per page
//! as a resumable export must). Each mode runs in its own process so its
//! peak RSS (`VmHWM`) is its own. Pages of 5000 generated records are made
//! one at a time, as a walk delivers them.

// Sizes shown in MiB and page arithmetic on a 64-bit measuring machine.
#![allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]

#[path = "../../arrow/tests/common/generate.rs"]
mod generate;

use std::fs::File;
use std::io::{BufWriter, Write as _};
use std::path::PathBuf;
use std::time::Instant;

use velip_core::CallRecord;

const PAGE: usize = 5000;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "parquet".to_owned());
    let records: usize = args.next().map_or(Ok(1_000_000), |s| s.parse())?;
    let dir = PathBuf::from(
        args.next()
            .unwrap_or_else(|| "target/parquet_vs_csv".to_owned()),
    );
    std::fs::create_dir_all(&dir)?;
    let pages = records.div_ceil(PAGE);
    let page = |k: usize| {
        let n = PAGE.min(records - k * PAGE);
        // Three days per 200 pages, newest first.
        generate::records(
            n,
            k as u64,
            90_000_000 - (k * PAGE) as u64,
            1 + (k * 3 / pages.max(1)) as u32,
        )
    };

    let start = Instant::now();
    let (path, bytes) = match mode.as_str() {
        "gen" => {
            let mut n = 0;
            for k in 0..pages {
                n += std::hint::black_box(page(k)).len();
            }
            assert_eq!(n, records);
            (dir.clone(), 0)
        }
        "parquet" => {
            let out = dir.join("calls.parquet");
            let mut builder = velip_arrow::CallBatchBuilder::new();
            let mut file = velip_store::parquet::ParquetFile::create(&out)?;
            for k in 0..pages {
                file.write_page(&builder.build(&page(k))?)?;
            }
            let stats = file.finish()?;
            assert_eq!(stats.rows as usize, records);
            (out, stats.bytes)
        }
        "dataset" => {
            let out = dir.join("calls_by_date");
            let _ = std::fs::remove_dir_all(&out);
            let mut builder = velip_arrow::CallBatchBuilder::new();
            let mut ds = velip_store::parquet::ParquetDataset::create(&out)?;
            for k in 0..pages {
                ds.write_page(&builder.build(&page(k))?)?;
            }
            let stats = ds.finish()?;
            assert_eq!(stats.rows as usize, records);
            (out, stats.bytes)
        }
        "csv" => {
            let out = dir.join("calls.csv");
            let file = File::create(&out)?;
            let mut w = csv::Writer::from_writer(BufWriter::with_capacity(1 << 20, file));
            w.write_record(velip_arrow::columns::ALL)?;
            for k in 0..pages {
                for r in &page(k) {
                    write_csv_row(&mut w, r)?;
                }
                w.flush()?;
                w.get_ref().get_ref().sync_all()?;
            }
            let mut inner = w.into_inner().map_err(|e| e.to_string())?;
            inner.flush()?;
            let bytes = std::fs::metadata(&out)?.len();
            (out, bytes)
        }
        other => return Err(format!("unknown mode {other}: gen, parquet, dataset or csv").into()),
    };
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{mode:8} {records} records  {secs:7.2} s  {:9.1} MiB  peak RSS {:6.1} MiB  {}",
        bytes as f64 / 1_048_576.0,
        peak_rss_kib() as f64 / 1024.0,
        path.display()
    );
    Ok(())
}

/// The same 26 columns as text: what a CSV export of the records holds.
fn write_csv_row(
    w: &mut csv::Writer<BufWriter<File>>,
    r: &CallRecord,
) -> Result<(), Box<dyn std::error::Error>> {
    let opt = |v: Option<String>| v.unwrap_or_default();
    let row: [String; 26] = [
        r.call_id.to_string(),
        r.call_id.number().to_string(),
        opt(r.status.as_ref().map(ToString::to_string)),
        opt(r.amd.as_ref().map(ToString::to_string)),
        opt(r.campaign_id.map(|v| v.to_string())),
        opt(r.campaign_ref.clone()),
        opt(r.correlation_id.clone()),
        opt(r.origin.clone()),
        opt(r.destination.as_ref().map(ToString::to_string)),
        opt(r.destination.as_ref().map(|d| d.is_masked().to_string())),
        opt(r.date.map(|d| d.to_string())),
        opt(r.dial_time.map(|t| t.to_string())),
        opt(r.answer_time.map(|t| t.to_string())),
        opt(r.hangup_time.map(|t| t.to_string())),
        at(r.dialed_at()),
        at(r.answered_at()),
        at(r.hung_up_at()),
        opt(r.duration_seconds.map(|v| v.to_string())),
        serde_json::to_string(&r.dtmf)?,
        opt(r.route.clone()),
        opt(r.rate.map(|v| v.to_string())),
        opt(r.value.map(|v| v.to_string())),
        opt(r.recording_url.clone()),
        opt(r.recording_seconds.map(|v| v.to_string())),
        serde_json::to_string(&r.extra)?,
        serde_json::to_string(&r.problems)?,
    ];
    w.write_record(&row)?;
    Ok(())
}

/// An instant as RFC 3339 text (`2026-11-20T20:58:42-03:00`), or empty.
fn at<Tz: chrono::TimeZone>(t: Option<chrono::DateTime<Tz>>) -> String
where
    Tz::Offset: std::fmt::Display,
{
    t.map(|t| t.to_rfc3339()).unwrap_or_default()
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}
