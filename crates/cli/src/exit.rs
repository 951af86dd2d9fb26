//! Exit codes per error class, and the one-line error report.

use std::fmt;
use std::process::ExitCode;

use velip_blocking::Error;
use velip_core::ApiErrorKind;

/// What went wrong, for the exit code and the message.
#[derive(Debug)]
pub(crate) enum Failure {
    /// An SDK error.
    Sdk(Error),
    /// Reading or writing a local file.
    Io(String),
    /// Ctrl-C.
    Interrupted(String),
    /// A usage problem found after parsing (e.g. missing credentials).
    Usage(String),
    /// Nothing matched (exit 12), with what was looked for.
    NotFound(String),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        match e {
            Error::Interrupted => Self::Interrupted("interrupted".to_owned()),
            other => Self::Sdk(other),
        }
    }
}

impl From<velip_core::ValidationError> for Failure {
    fn from(e: velip_core::ValidationError) -> Self {
        Self::Sdk(Error::Validation(e))
    }
}

impl Failure {
    pub(crate) fn io(context: impl fmt::Display, e: impl fmt::Display) -> Self {
        Self::Io(format!("{context}: {e}"))
    }

    /// The documented exit code (see `velip --help`).
    pub(crate) fn code(&self) -> u8 {
        match self {
            Self::Io(_) => 1,
            Self::Usage(_) => 2,
            Self::NotFound(_) => 12,
            Self::Interrupted(_) => 130,
            Self::Sdk(e) => match e {
                Error::Validation(_) | Error::Config(_) => 3,
                Error::Authentication(_) => 4,
                Error::Forbidden(_) => 5,
                Error::RateLimited(_) => 6,
                Error::Api(a) if a.kind() == ApiErrorKind::Server => 8,
                Error::Api(_) => 7,
                Error::Server { .. } => 8,
                Error::Transport { .. } => 9,
                Error::Decode(_) => 10,
                Error::CursorCycle { .. } => 11,
                Error::NotFound { .. } => 12,
                Error::Interrupted => 130,
                _ => 1,
            },
        }
    }

    /// A hint printed after the error, where one helps.
    fn hint(&self) -> Option<String> {
        match self {
            Self::Sdk(Error::Authentication(a)) => Some(
                match a.code_number() {
                    Some(199) => "this IP is banned permanently by Velip; only Velip staff can lift the ban: contact support, and do not retry",
                    Some(198) => "every token of the account is blocked; create a new token in the Velip panel",
                    Some(131 | 132) => "temporarily blocked after repeated failures; wait 10 minutes and check the credentials before trying again",
                    Some(130 | 140) => "check --user/--password (VELIP_USER/VELIP_PASSWORD); do not retry in a loop: repeated failures get your IP banned permanently",
                    Some(110) => "the Velip account is inactive; contact Velip",
                    Some(114) => "this token only works with the MCP server; create an API token in the Velip panel",
                    Some(142) => "this IP is not allowed for the account; register it in the Velip panel",
                    _ => "check the token (--token or VELIP_TOKEN); do not retry in a loop: repeated failures get your IP banned permanently",
                }
                .to_owned(),
            ),
            Self::Sdk(Error::RateLimited(a)) => {
                let wait = a
                    .retry_after()
                    .map_or_else(|| "retry later".to_owned(), |d| format!("retry after {} s", d.as_secs()));
                Some(match a.kind() {
                    ApiErrorKind::RateLimited(velip_core::RateLimitScope::DailyLookup) => format!(
                        "{wait} (the daily cap of single-call lookups resets at midnight, Sao Paulo time); list by campaign or period, or receive final statuses by webhook (`calls push`)"
                    ),
                    _ => format!(
                        "{wait}; page with a larger --page-size and narrow by campaign or period (200 list requests per hour); an export continues with --resume"
                    ),
                })
            }
            Self::Sdk(Error::Forbidden(_)) => Some(
                "register this IP under Integrations > IPs in the Velip panel".to_owned(),
            ),
            Self::Sdk(Error::Transport { .. }) => Some("check the network and --base-url".to_owned()),
            _ => None,
        }
    }

    /// Prints the error on one line (plus a hint line) and returns the exit
    /// code.
    pub(crate) fn report(&self) -> ExitCode {
        note!("error: {self}");
        if let Some(h) = self.hint() {
            note!("hint: {h}");
        }
        ExitCode::from(self.code())
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sdk(e) => write!(f, "{e}"),
            Self::Io(m) | Self::Interrupted(m) | Self::Usage(m) | Self::NotFound(m) => {
                f.write_str(m)
            }
        }
    }
}
