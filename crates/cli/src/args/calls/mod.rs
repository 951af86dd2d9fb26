//! `velip calls ...`: walks over a selection.

use clap::Subcommand;

pub(crate) mod export;
pub(crate) mod list;
pub(crate) mod push;
pub(crate) mod stats;

#[derive(Debug, Subcommand)]
pub(crate) enum CallsCommand {
    /// List calls to stdout (table, CSV, JSON lines, JSON).
    #[command(after_help = list::EXAMPLES)]
    List(list::ListArgs),
    /// Export calls to a file (CSV, JSON lines or XLSX), streaming page by
    /// page, resumable after an interruption.
    #[command(after_help = export::EXAMPLES)]
    Export(export::ExportArgs),
    /// Sum up a selection: counts by status and AMD, answer rate, durations,
    /// the amount charged, and each DTMF prompt's answers.
    #[command(after_help = stats::EXAMPLES)]
    Stats(stats::StatsArgs),
    /// Ask the service to deliver the calls to a webhook (`rurl`) instead of
    /// answering inline.
    #[command(after_help = push::EXAMPLES)]
    Push(push::PushArgs),
}
