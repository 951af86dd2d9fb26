//! `velip calls export`.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::args::heading;
use crate::args::output::CsvOptions;
use crate::args::selection::Filters;

pub(crate) const EXAMPLES: &str = "\
Examples:
  velip --sandbox calls export --date-start 2026-11-01 --date-end 2026-11-20 --out calls.xlsx
  velip calls export --date yesterday --out 'calls-{date}.csv' --csv-locale pt-BR --resume
  velip calls export --campaign-id 1007 --out nps.jsonl --resume   # after Ctrl-C: continues
  velip calls export --date-start 2026-11-01 --date-end 2026-11-30 --out calls.parquet
  velip calls export --date-start 2026-11-01 --date-end 2026-11-30 --partition-by date --out calls/

In cron, one line: --resume continues an interrupted export of the same selection or starts one;
`{date}` in --out names the file by the selected day (America/Sao_Paulo).";

#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    #[command(flatten)]
    pub(crate) filters: Filters,
    /// The file to write (the folder, with --partition-by), written aside
    /// and renamed into place on success; `{date}`, `{date_start}` and
    /// `{date_end}` are replaced by the selected days.
    #[arg(long, value_name = "FILE", help_heading = heading::OUTPUT)]
    pub(crate) out: PathBuf,
    /// File format [default: from the extension: .csv, .jsonl, .xlsx,
    /// .parquet; Parquet with --partition-by].
    #[arg(long, value_enum, help_heading = heading::OUTPUT)]
    pub(crate) format: Option<ExportFormat>,
    /// Write a Hive-style Parquet dataset into the folder --out, one folder
    /// per call date: DIR/date=2026-11-20/part-00000.parquet.
    #[arg(long, value_enum, value_name = "COLUMN", help_heading = heading::OUTPUT)]
    pub(crate) partition_by: Option<PartitionBy>,
    #[command(flatten)]
    pub(crate) csv: CsvOptions,
    /// Continue an interrupted export of the same selection from its
    /// checkpoint, or start one when there is none (safe in cron).
    #[arg(long, conflicts_with = "restart", help_heading = heading::JOB)]
    pub(crate) resume: bool,
    /// Discard an earlier, interrupted export of this file and start over.
    #[arg(long, help_heading = heading::JOB)]
    pub(crate) restart: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ExportFormat {
    /// CSV with a header.
    Csv,
    /// One JSON object per line.
    Jsonl,
    /// An Excel/LibreOffice workbook of typed cells (one sheet).
    Xlsx,
    /// Apache Parquet: typed columns, zstd, a row group per page.
    Parquet,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum PartitionBy {
    /// The call date (the service's calendar, São Paulo): a folder per day.
    Date,
}
