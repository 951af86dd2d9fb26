//! The options of every command: connection, quota, logging.

use std::time::Duration;

use clap::Args;

use super::heading;

fn base_url_help() -> String {
    format!(
        "Base URL of the service [default: $VELIP_BASE_URL, else {}]",
        velip_blocking::DEFAULT_BASE_URL
    )
}

/// Options of every command.
#[derive(Debug, Args)]
#[allow(clippy::doc_markdown)] // the doc comments are `--help` text, not rustdoc
pub(crate) struct Global {
    // Help text from a function: it shows the client's default base URL.
    #[arg(long, global = true, value_name = "URL", help = base_url_help(),
          help_heading = heading::CONNECTION)]
    pub(crate) base_url: Option<String>,

    /// Account token, sent as `Authorization: Bearer` (never in a URL)
    /// [default: $VELIP_TOKEN].
    #[arg(long, global = true, value_name = "TOKEN", help_heading = heading::CONNECTION)]
    pub(crate) token: Option<String>,

    /// HTTP Basic user, instead of a token (Basic always returns full
    /// numbers) [default: $VELIP_USER].
    #[arg(long, global = true, value_name = "USER", help_heading = heading::CONNECTION)]
    pub(crate) user: Option<String>,

    /// HTTP Basic password [default: $VELIP_PASSWORD].
    #[arg(long, global = true, value_name = "PASSWORD", help_heading = heading::CONNECTION)]
    pub(crate) password: Option<String>,

    /// A named profile of the config file (base URL, token or token command,
    /// quota) [default: $VELIP_PROFILE; file: $VELIP_CONFIG, else
    /// $XDG_CONFIG_HOME/velip/config.toml or ~/.config/velip/config.toml].
    #[arg(long, global = true, value_name = "NAME", conflicts_with = "sandbox",
          help_heading = heading::CONNECTION)]
    pub(crate) profile: Option<String>,

    /// Per-request deadline, in seconds (more than 0, at most 86400).
    #[arg(long, global = true, default_value = "60", value_parser = parse_seconds,
          value_name = "SECONDS", help_heading = heading::CONNECTION)]
    pub(crate) timeout: Duration,

    /// Retries after the first attempt for transient failures (never for
    /// authentication errors).
    #[arg(long, global = true, default_value_t = 2, value_name = "N",
          help_heading = heading::CONNECTION)]
    pub(crate) retries: u32,

    /// Start the embedded sandbox (a local simulator with generated data) and
    /// use it: no account, no network.
    #[arg(long, global = true, conflicts_with = "base_url", help_heading = heading::CONNECTION)]
    pub(crate) sandbox: bool,

    /// Number of calls the embedded sandbox generates (at most 5,000,000).
    #[arg(long, global = true, default_value_t = 200_000, value_name = "N",
          value_parser = clap::value_parser!(u32).range(0..=5_000_000),
          help_heading = heading::CONNECTION)]
    pub(crate) sandbox_calls: u32,

    /// Seed of the embedded sandbox's data generator.
    #[arg(long, global = true, value_name = "SEED", help_heading = heading::CONNECTION)]
    pub(crate) sandbox_seed: Option<u64>,

    /// When the quota is used up, fail at once (exit 6) instead of waiting
    /// (`calls export`, `calls push` wait by default; the others never do).
    #[arg(long, global = true, help_heading = heading::QUOTA)]
    pub(crate) no_wait: bool,

    /// The longest quota wait, in seconds (default: 3700, one hourly window
    /// and a minute).
    #[arg(long, global = true, default_value = "3700", value_parser = parse_seconds,
          value_name = "SECONDS", help_heading = heading::QUOTA)]
    pub(crate) max_wait: Duration,

    /// Send at most this many requests (retries included); the job stops
    /// with exit 13 and can be resumed.
    #[arg(long, global = true, value_name = "N", help_heading = heading::QUOTA)]
    pub(crate) max_requests: Option<u64>,

    /// The account's list quota, requests per window [default: the
    /// profile's, else 200, the service's].
    #[arg(long, global = true, value_name = "N", help_heading = heading::QUOTA)]
    pub(crate) list_quota: Option<u32>,

    /// The list quota's window, in seconds [default: the profile's, else
    /// 3600].
    #[arg(long, global = true, value_parser = parse_seconds, value_name = "SECONDS",
          help_heading = heading::QUOTA)]
    pub(crate) list_window: Option<Duration>,

    /// More log output on stderr (-v: info, -vv: debug with one line per request).
    #[arg(short, long, global = true, action = clap::ArgAction::Count,
          help_heading = heading::GLOBAL)]
    pub(crate) verbose: u8,

    /// Only errors on stderr (no progress, no notes, no warnings).
    #[arg(short, long, global = true, conflicts_with = "verbose",
          help_heading = heading::GLOBAL)]
    pub(crate) quiet: bool,

    /// Fail on a record field that cannot be read (instead of leaving it
    /// empty with a note in the `problems` column).
    #[arg(long, global = true, help_heading = heading::GLOBAL)]
    pub(crate) strict: bool,
}

/// A number of seconds (its range is the client builder's rule).
pub(crate) fn parse_seconds(s: &str) -> Result<Duration, String> {
    s.trim()
        .parse::<f64>()
        .ok()
        .and_then(|v| Duration::try_from_secs_f64(v).ok())
        .ok_or_else(|| format!("{s:?} is not a number of seconds"))
}
