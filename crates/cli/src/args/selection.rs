//! Which calls: every filter of GetCallStatus, and days in São Paulo time.

use clap::{Args, ValueEnum};
use velip_core::model::local_time::DaySpec;

use super::heading;

/// Which calls: every filter of GetCallStatus.
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = heading::SELECTION)]
#[allow(clippy::doc_markdown)] // the doc comments are `--help` text, not rustdoc
pub(crate) struct Filters {
    /// Campaign id (`cp_id`).
    #[arg(long, value_name = "ID")]
    pub(crate) campaign_id: Option<i64>,
    /// Customer-side campaign ref (`cpid`); the latest matching campaign.
    #[arg(long, value_name = "REF")]
    pub(crate) campaign_ref: Option<String>,
    /// One day: `today`, `yesterday`, `YYYY-MM-DD` or a span back such as
    /// `2d` (days in America/Sao_Paulo, whatever this machine's time zone).
    #[arg(long, value_name = "DAY", conflicts_with_all = ["date_start", "date_end", "since", "until"])]
    pub(crate) date: Option<DaySpec>,
    /// First day, inclusive: `YYYY-MM-DD`, `today`, `yesterday`, or back
    /// from now: `7d`, `24h`, `2w` (the day of that instant, São Paulo time).
    #[arg(long, value_name = "DAY", conflicts_with = "date_start")]
    pub(crate) since: Option<DaySpec>,
    /// Last day, inclusive, as for --since [default with --since: today].
    #[arg(long, value_name = "DAY", conflicts_with = "date_end")]
    pub(crate) until: Option<DaySpec>,
    /// First day, inclusive, `YYYY-MM-DD`.
    #[arg(long, value_name = "DATE")]
    pub(crate) date_start: Option<String>,
    /// Last day, inclusive, `YYYY-MM-DD`.
    #[arg(long, value_name = "DATE")]
    pub(crate) date_end: Option<String>,
    /// Customer correlation id (`ctid`).
    #[arg(long, value_name = "CTID", conflicts_with = "empty_ctid")]
    pub(crate) ctid: Option<String>,
    /// Only calls whose correlation id is empty (`ctid=null`).
    #[arg(long)]
    pub(crate) empty_ctid: bool,
    /// Only calls with at least one DTMF answer.
    #[arg(long)]
    pub(crate) only_dtmf: bool,
    /// How the service writes destinations (`numtype`): `international`
    /// (5511999999999), `0ddd` (011999999999) or `ddd` (11999999999). velip
    /// reads all three and prints valid numbers in E.164 (+5511999999999).
    #[arg(long, value_enum, value_name = "STYLE")]
    pub(crate) numtype: Option<NumType>,
    /// The `origin` marker echoed in each record, `[a-zA-Z0-9_-]{1,32}`.
    #[arg(long)]
    pub(crate) origin: Option<String>,
    /// Records per page, 1..=5000 (default: 5000, the server maximum; for
    /// `calls list --limit N`, N when smaller).
    #[arg(long, value_name = "N")]
    pub(crate) page_size: Option<i64>,
    /// Start at this cursor, a previous page's `next_id` (inclusive: the
    /// call with that id is the first of the page).
    #[arg(long, value_name = "CURSOR")]
    pub(crate) cursor: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum NumType {
    /// 5511999999999 (country code + DDD + number).
    International,
    /// 011999999999 (trunk 0 + DDD + number).
    #[value(name = "0ddd", alias = "0DDD")]
    TrunkPrefixed,
    /// 11999999999 (DDD + number).
    #[value(name = "ddd", alias = "DDD")]
    Ddd,
}
