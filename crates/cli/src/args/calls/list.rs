//! `velip calls list`.

use clap::{Args, ValueEnum};

use crate::args::heading;
use crate::args::output::CsvOptions;
use crate::args::selection::Filters;

pub(crate) const EXAMPLES: &str = "\
Examples:
  velip --sandbox calls list --campaign-id 1007 --limit 5
  velip calls list --campaign-id 1007 --format csv --csv-locale pt-BR > nps.csv
  velip calls list --since 7d --only-dtmf --format jsonl | jq .dtmf";

#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    #[command(flatten)]
    pub(crate) filters: Filters,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormat::Table, help_heading = heading::OUTPUT)]
    pub(crate) format: ListFormat,
    /// Stop after this many records.
    #[arg(long, value_name = "N", help_heading = heading::OUTPUT)]
    pub(crate) limit: Option<u64>,
    #[command(flatten)]
    pub(crate) csv: CsvOptions,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ListFormat {
    /// Aligned columns.
    Table,
    /// CSV with a header.
    Csv,
    /// One JSON object per line.
    Jsonl,
    /// One JSON array.
    Json,
}
