//! `velip call get`, `velip call find`: single lookups.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use super::heading;
use super::output::{CsvOptions, RecordFormat};

#[derive(Debug, Subcommand)]
pub(crate) enum CallCommand {
    /// Get calls by id (`42_123456`, or bare digits): one or many, each a
    /// point lookup counted against the daily cap.
    #[command(after_help = GET_EXAMPLES)]
    Get(GetArgs),
    /// Find the calls with a customer correlation id (may be several).
    #[command(after_help = FIND_EXAMPLES)]
    Find(FindArgs),
}

const GET_EXAMPLES: &str = "\
Examples:
  velip --sandbox call get 1100000
  velip call get 42_123456 42_123457 --format json
  cut -d, -f1 ids.csv | velip call get --ids-file - --format csv > calls.csv";

const FIND_EXAMPLES: &str = "\
Examples:
  velip --sandbox call find --ctid row-42
  velip call find --ctid order-2026-0042 --format json";

#[derive(Debug, Args)]
pub(crate) struct GetArgs {
    /// Call ids, as MakeTTSCall returned them (`42_123456`, or bare digits).
    #[arg(value_name = "CALL_ID", required_unless_present = "ids_file")]
    pub(crate) call_ids: Vec<String>,
    /// Read more call ids from FILE (`-`: standard input), one per line;
    /// blank lines and `#` comments are skipped.
    #[arg(long, value_name = "FILE", help_heading = heading::SELECTION)]
    pub(crate) ids_file: Option<PathBuf>,
    /// Output format [default: text]. `json` is one object for a single id
    /// on the command line, else an array.
    #[arg(long, value_enum, default_value_t = LookupFormat::Text,
          help_heading = heading::OUTPUT)]
    pub(crate) format: LookupFormat,
    #[command(flatten)]
    pub(crate) csv: CsvOptions,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum LookupFormat {
    /// Human-readable, a blank line between records.
    Text,
    /// JSON (see --format).
    Json,
    /// One JSON object per line.
    Jsonl,
    /// CSV with a header (the columns of `calls export`).
    Csv,
}

#[derive(Debug, Args)]
pub(crate) struct FindArgs {
    /// The correlation id (`ctid`).
    #[arg(long, help_heading = heading::SELECTION)]
    pub(crate) ctid: String,
    /// Output format; JSON is always an array.
    #[arg(long, value_enum, default_value_t = RecordFormat::Text,
          help_heading = heading::OUTPUT)]
    pub(crate) format: RecordFormat,
}
