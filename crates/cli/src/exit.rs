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
            Self::Sdk(Error::Authentication(_)) => Some(
                "check the token (--token or VELIP_TOKEN); do not retry in a loop: repeated failures get your IP banned permanently".to_owned(),
            ),
            Self::Sdk(Error::RateLimited(a)) => Some(match a.retry_after() {
                Some(d) => format!(
                    "retry after {} s; page with larger --page-size, narrow by campaign or period, or use `calls push` to receive statuses by webhook",
                    d.as_secs()
                ),
                None => "retry later; page with larger --page-size or narrow the query".to_owned(),
            }),
            Self::Sdk(Error::Forbidden(_)) => Some(
                "register this IP under Integrations > IPs in the Velip panel".to_owned(),
            ),
            Self::Sdk(Error::Transport { .. }) => {
                Some("check the network or --base-url; an export can continue with --resume".to_owned())
            }
            _ => None,
        }
    }

    /// Prints the error on one line (plus a hint line) and returns the exit
    /// code.
    pub(crate) fn report(&self) -> ExitCode {
        eprintln!("error: {self}");
        if let Some(h) = self.hint() {
            eprintln!("hint: {h}");
        }
        ExitCode::from(self.code())
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sdk(e) => write!(f, "{e}"),
            Self::Io(m) | Self::Interrupted(m) | Self::Usage(m) => f.write_str(m),
        }
    }
}
