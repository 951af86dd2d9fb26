//! `velip quota`.

use clap::Args;

use super::heading;
use super::output::RecordFormat;

#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  velip quota
  velip --profile prod quota --format json")]
pub(crate) struct QuotaArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = RecordFormat::Text, help_heading = heading::OUTPUT)]
    pub(crate) format: RecordFormat,
}
