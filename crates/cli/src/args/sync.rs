//! `velip sync`.

use std::time::Duration;

use clap::Args;

use crate::args::heading;
use crate::args::selection::Filters;

pub(crate) const EXAMPLES: &str = "\
Examples:
  velip --sandbox sync --db sqlite:calls.db
  velip sync --db postgres://etl@db.internal/crm --since 30d   # first run: the last 30 days
  velip sync --db sqlite:nps.db --campaign-id 1007 --account acme

--since applies to the first run only (the backfill); later runs keep its first day and read
only the calls above the newest one stored, plus those stored while still in progress.
Exit code 14: the database cannot be used (unreachable, read-only, full, of a newer schema,
or held by another sync past --lock-timeout); nothing was sent.";

/// `velip sync` arguments.
#[derive(Debug, Args)]
#[allow(clippy::doc_markdown)] // the doc comments are `--help` text, not rustdoc
pub(crate) struct SyncArgs {
    /// The selection (`--since`: the first run's first day; later runs keep
    /// it). Without a selection: every call, the first run reading the
    /// last 30 days.
    #[command(flatten)]
    pub(crate) filters: Filters,
    /// The database: `sqlite:FILE` (embedded, nothing to install; relative
    /// to the current folder, `sqlite:///abs/path.db` absolute) or
    /// `postgres://user[:password]@host[:port]/db`.
    #[arg(
        long,
        env = "VELIP_DB",
        default_value = "sqlite:calls.db",
        hide_env_values = true,
        value_name = "URL",
        help_heading = heading::OUTPUT
    )]
    pub(crate) db: String,
    /// The label the calls are stored under (the `account` column); give
    /// each account its own when several share a database.
    #[arg(
        long,
        default_value = "default",
        value_name = "LABEL",
        help_heading = heading::OUTPUT
    )]
    pub(crate) account: String,
    /// How long to wait for another sync of the same account and database,
    /// in seconds (nothing is sent meanwhile).
    #[arg(
        long,
        default_value = "3600",
        value_parser = parse_secs,
        value_name = "SECONDS",
        help_heading = heading::JOB
    )]
    pub(crate) lock_timeout: Duration,
    /// The most single-call lookups of calls in progress per run (beyond,
    /// the walk reads further down instead); 0: never look up.
    #[arg(long, value_name = "N", help_heading = heading::JOB)]
    pub(crate) max_lookups: Option<u32>,
}

fn parse_secs(s: &str) -> Result<Duration, String> {
    s.trim()
        .parse::<f64>()
        .ok()
        .and_then(|v| Duration::try_from_secs_f64(v).ok())
        .ok_or_else(|| format!("{s:?} is not a number of seconds"))
}
