//! Command-line arguments (clap derive): one file per subcommand, so that a
//! new subcommand is one file here and one variant of [`Command`] (or of
//! [`calls::CallsCommand`]).
//!
//! Every flag has a help heading ([`heading`]): what to select, where the
//! output goes, how to reach the service, the quota, and the rest.

use clap::{Parser, Subcommand};

pub(crate) mod auth;
pub(crate) mod call;
pub(crate) mod calls;
pub(crate) mod completions;
pub(crate) mod decode;
pub(crate) mod global;
pub(crate) mod output;
pub(crate) mod quota;
pub(crate) mod selection;
pub(crate) mod sync;
pub(crate) mod webhook;

pub(crate) use global::Global;

/// The help headings, in the order `--help` shows them.
pub(crate) mod heading {
    /// Which calls (filters of GetCallStatus, dates).
    pub(crate) const SELECTION: &str = "Selection";
    /// Where and how the output is written.
    pub(crate) const OUTPUT: &str = "Output";
    /// The webhook of `calls push`.
    pub(crate) const WEBHOOK: &str = "Webhook";
    /// Resuming a job.
    pub(crate) const JOB: &str = "Job";
    /// The service, the credentials, timeouts, the sandbox.
    pub(crate) const CONNECTION: &str = "Connection";
    /// The list quota and request budgets.
    pub(crate) const QUOTA: &str = "Quota";
    /// The receiver of `webhook listen`: address, sink, security.
    pub(crate) const RECEIVER: &str = "Receiver";
    /// Logging and decoding.
    pub(crate) const GLOBAL: &str = "Global";
}

/// Look up and export call records from the Velip voice platform
/// (GetCallStatus).
///
/// Every command works offline with `--sandbox`, which starts a local
/// simulator of the service with generated data.
#[derive(Debug, Parser)]
#[command(name = "velip", version, about, long_about = None, propagate_version = true)]
#[command(after_help = EXIT_CODES_HELP)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: Global,
    #[command(subcommand)]
    pub(crate) command: Command,
}

pub(crate) const EXIT_CODES_HELP: &str = "\
Examples:
  velip --sandbox calls list --date-start 2026-11-20 --date-end 2026-11-20 --limit 5
  velip calls export --date yesterday --out calls.xlsx --resume
  velip --profile prod calls stats --campaign-id 1007
  velip --sandbox sync --db sqlite:calls.db
  velip webhook listen --db sqlite:calls.db --user hook --password \"$PW\"

Exit codes:
  0 success              6 rate limited
  1 other error (I/O)    7 other API error
  2 usage                8 server error (5xx)
  3 validation, config   9 transport (connect, timeout)
  4 authentication      10 undecodable answer
  5 forbidden (IP)      11 paging cannot go on
 12 call not found      13 request budget spent
 14 database (sync: unreachable, read-only, full, newer schema, busy)
130 interrupted (Ctrl-C)";

#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once per process
pub(crate) enum Command {
    /// One call or a list of ids: by call id or by correlation id.
    #[command(subcommand)]
    Call(call::CallCommand),
    /// Many calls: list, export to a file, sum up, or push to a webhook.
    #[command(subcommand)]
    Calls(calls::CallsCommand),
    /// Turn a saved answer body or webhook payload into JSON lines of
    /// normalized records.
    Decode(decode::DecodeArgs),
    /// What the quota ledger knows for these credentials: list requests in
    /// the window, lookups today, Retry-After deadlines, a lock-out.
    Quota(quota::QuotaArgs),
    /// Credentials: clear a lock-out after an authentication failure.
    #[command(subcommand)]
    Auth(auth::AuthCommand),
    /// Keep a table of calls current in SQLite or PostgreSQL: the first run
    /// backfills, each later run reads only what is new or still in
    /// progress; resumable, quota-aware.
    #[command(after_help = sync::EXAMPLES)]
    Sync(sync::SyncArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions(completions::CompletionsArgs),
    /// Receive webhook deliveries: `velip webhook listen`.
    #[command(subcommand)]
    Webhook(webhook::WebhookCommand),
}

impl Command {
    /// Whether the command is a job that waits for the quota by default
    /// (unless `--no-wait`).
    pub(crate) fn waits_for_quota(&self) -> bool {
        matches!(
            self,
            Self::Calls(calls::CallsCommand::Export(_) | calls::CallsCommand::Push(_))
                | Self::Sync(_)
        )
    }
}
