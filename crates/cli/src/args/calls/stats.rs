//! `velip calls stats`.

use clap::{Args, ValueEnum};

use crate::args::heading;
use crate::args::output::CsvOptions;
use crate::args::selection::Filters;

pub(crate) const EXAMPLES: &str = "\
Examples:
  velip --sandbox calls stats --date-start 2026-11-01 --date-end 2026-11-20
  velip calls stats --campaign-id 1007 --format json | jq .dtmf
  velip calls stats --since 7d --format csv --csv-locale pt-BR > week.csv";

#[derive(Debug, Args)]
pub(crate) struct StatsArgs {
    #[command(flatten)]
    pub(crate) filters: Filters,
    /// Output format.
    #[arg(long, value_enum, default_value_t = StatsFormat::Table, help_heading = heading::OUTPUT)]
    pub(crate) format: StatsFormat,
    /// Answers shown per DTMF prompt in the table (the rest are summed);
    /// JSON and CSV list every answer counted.
    #[arg(long, value_name = "N", default_value_t = 12, help_heading = heading::OUTPUT)]
    pub(crate) top: usize,
    #[command(flatten)]
    pub(crate) csv: CsvOptions,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum StatsFormat {
    /// Aligned sections for people.
    Table,
    /// One JSON object.
    Json,
    /// CSV, one row per figure: `section,key,calls,share,value`.
    Csv,
}
