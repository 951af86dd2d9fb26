//! Exit codes per error kind, and the one-line error report.

use std::fmt;
use std::process::ExitCode;

use velip_blocking::{Error, ErrorKind};
use velip_core::RateLimitScope;
use velip_core::ValidationError;
use velip_core::query::{Violation, ViolationCode};

/// What went wrong, for the exit code and the message.
#[derive(Debug)]
pub(crate) enum Failure {
    /// An SDK error.
    Sdk(Error),
    /// A query that must not be sent, in the words of the command line
    /// (exit 3).
    Invalid {
        /// `invalid arguments: --date-end: ...`.
        message: String,
        /// Which rules were broken (for the hint).
        codes: Vec<ViolationCode>,
    },
    /// A config file or profile that cannot be used (exit 3).
    Config(String),
    /// Reading or writing a local file.
    Io(String),
    /// Ctrl-C.
    Interrupted(String),
    /// A usage problem found after parsing (e.g. missing credentials).
    Usage(String),
    /// Nothing matched (exit 12), with what was looked for.
    NotFound(String),
    /// Standard output was closed by the reader (`| head -1`): the run
    /// ends quietly, with success.
    ClosedStdout,
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        match e {
            Error::Interrupted => Self::Interrupted("interrupted".to_owned()),
            Error::Validation(v) => Self::invalid(&v, |_| None),
            other => Self::Sdk(other),
        }
    }
}

impl From<velip_store::StoreError> for Failure {
    fn from(e: velip_store::StoreError) -> Self {
        match e {
            velip_store::StoreError::Io { .. } => Self::Io(e.to_string()),
            other => Self::Usage(other.to_string()),
        }
    }
}

impl From<ValidationError> for Failure {
    fn from(e: ValidationError) -> Self {
        Self::invalid(&e, |_| None)
    }
}

/// The documented exit code of each error kind (see `velip --help`): the
/// one table (a test walks every kind through it).
pub(crate) fn exit_code(kind: ErrorKind) -> u8 {
    match kind {
        ErrorKind::Validation | ErrorKind::Config => 3,
        ErrorKind::Authentication => 4,
        ErrorKind::Forbidden => 5,
        ErrorKind::RateLimited => 6,
        ErrorKind::Api => 7,
        ErrorKind::Server => 8,
        ErrorKind::Transport => 9,
        ErrorKind::Decode => 10,
        ErrorKind::Paging => 11,
        ErrorKind::NotFound => 12,
        ErrorKind::Interrupted => 130,
        ErrorKind::Budget => 13,
        // Kinds added later, until they get a code of their own.
        _ => 1,
    }
}

/// The command-line flag of a query field, for messages.
fn flag_of(field: &str) -> Option<&'static str> {
    Some(match field {
        "call_id" => "CALL_ID",
        "correlation_id" => "--ctid",
        "campaign_id" => "--campaign-id",
        "campaign_ref" => "--campaign-ref",
        "date_start" => "--date-start",
        "date_end" => "--date-end",
        "page_size" => "--page-size",
        "cursor" => "--cursor",
        "origin" => "--origin",
        "numtype" => "--numtype",
        "webhook_url" => "--rurl",
        "webhook_headers" => "--rurl-header",
        "webhook_user" => "--rurl-user",
        "webhook_password" => "--rurl-password",
        "webhook_method" => "--rurl-method",
        "webhook_format" => "--rurl-type",
        _ => return None,
    })
}

/// The command-line flag of a client option ([`velip_blocking::ConfigError`]).
fn option_flag(option: &str) -> Option<&'static str> {
    Some(match option {
        "timeout" => "--timeout",
        "max_retries" => "--retries",
        "on_rate_limit" => "--max-wait",
        "max_requests" => "--max-requests",
        "base_url" => "--base-url",
        "token" => "--token",
        "list_quota" => "--list-quota",
        _ => return None,
    })
}

/// The text in the last parentheses of `rule` (`(2026-01-01 is before
/// 2026-02-01)`), for rules whose values are worth repeating.
fn parenthetical(rule: &str) -> &str {
    match (rule.rfind('('), rule.rfind(')')) {
        (Some(a), Some(b)) if a < b => &rule[a..=b],
        _ => "",
    }
}

/// A rule in the words of the command line, where core's names the
/// library's terms; `None`: core's text as it is.
fn cli_rule(v: &Violation) -> Option<String> {
    Some(match v.code {
        ViolationCode::CorrelationEmpty => {
            "must not be empty; to select calls without a correlation id, use --empty-ctid"
                .to_owned()
        }
        ViolationCode::CorrelationLiteralNull => "the text \"null\" is refused (the service would read it as the empty correlation id); to select calls without a correlation id, use --empty-ctid".to_owned(),
        ViolationCode::CorrelationConflict => "cannot be combined with --empty-ctid".to_owned(),
        ViolationCode::CampaignIdWithRef => "cannot be combined with --campaign-id (the service resolves a campaign ref to a campaign id): give one of them".to_owned(),
        ViolationCode::NothingSelected => "nothing selected: give --campaign-id, --campaign-ref, --date, --since/--until, --date-start/--date-end, --ctid, --empty-ctid or --cursor".to_owned(),
        ViolationCode::DateRangeReversed => format!(
            "must be on or after the first day {}",
            parenthetical(&v.rule)
        )
        .trim_end()
        .to_owned(),
        ViolationCode::PageSizeRange => format!("must be between 1 and 5000 {}", {
            // Core's "got N (...)" without the library's advice.
            v.rule
                .split_once("got ")
                .map(|(_, rest)| format!("(got {})", rest.split(' ').next().unwrap_or(rest)))
                .unwrap_or_default()
        })
        .trim_end()
        .to_owned(),
        _ => return None,
    })
}

impl Failure {
    pub(crate) fn io(context: impl fmt::Display, e: impl fmt::Display) -> Self {
        Self::Io(format!("{context}: {e}"))
    }

    /// A failure to write standard output: a reader that closed it (`|
    /// head -1`) ends the run quietly ([`Failure::ClosedStdout`]).
    pub(crate) fn stdout(e: &std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            Self::ClosedStdout
        } else {
            Self::io("stdout", e)
        }
    }

    /// A validation error in the words of the command line: each problem
    /// names its flag (`flags` first: the flag the user gave for a field,
    /// such as `--since` for `date_start`; then the usual one).
    pub(crate) fn invalid(
        e: &ValidationError,
        flags: impl Fn(&str) -> Option<&'static str>,
    ) -> Self {
        let parts: Vec<String> = e
            .violations()
            .iter()
            .map(|v| {
                let rule = cli_rule(v).unwrap_or_else(|| v.rule.clone());
                match flags(v.field).or_else(|| flag_of(v.field)) {
                    Some(flag) => format!("{flag}: {rule}"),
                    None if v.code == ViolationCode::NothingSelected => rule,
                    None => format!("{}: {rule}", v.field),
                }
            })
            .collect();
        Self::Invalid {
            message: format!("invalid arguments: {}", parts.join("; ")),
            codes: e.violations().iter().map(|v| v.code).collect(),
        }
    }

    /// The documented exit code (see `velip --help`).
    pub(crate) fn code(&self) -> u8 {
        match self {
            Self::ClosedStdout => 0,
            Self::Io(_) => 1,
            Self::Usage(_) => 2,
            Self::Invalid { .. } | Self::Config(_) => 3,
            Self::NotFound(_) => 12,
            Self::Interrupted(_) => 130,
            Self::Sdk(e) => exit_code(e.kind()),
        }
    }

    /// A hint printed after the error, where one helps.
    fn hint(&self) -> Option<String> {
        if let Self::Invalid { codes, .. } = self {
            return codes.iter().find_map(|c| match c {
                ViolationCode::NothingSelected => Some(
                    "for example: --date yesterday, --since 7d, or --campaign-id 1007".to_owned(),
                ),
                ViolationCode::PageSizeRange => Some(
                    "leave --page-size out for the server maximum (5000 records per page)"
                        .to_owned(),
                ),
                _ => None,
            });
        }
        let Self::Sdk(e) = self else { return None };
        match e.kind() {
            ErrorKind::Authentication if e.not_sent() => Some(
                "every velip process of yours refuses to send with these credentials since they failed; fix them (--token or VELIP_TOKEN), then clear the lock-out with `velip auth reset`".to_owned(),
            ),
            ErrorKind::RateLimited if e.not_sent() => Some(format!(
                "the list quota is shared by every velip process of yours (see `velip quota`){}; an export continues with --resume",
                e.retry_after()
                    .map(|d| format!("; a request fits in {} s", d.as_secs()))
                    .unwrap_or_default()
            )),
            ErrorKind::Budget => Some(
                "the job sent as many requests as --max-requests allows; run it again with --resume to continue".to_owned(),
            ),
            ErrorKind::Authentication => Some(
                match e.api_error().and_then(velip_core::ApiError::code_number) {
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
            ErrorKind::RateLimited => {
                let a = e.api_error()?;
                let wait = a.retry_after().map_or_else(
                    || "retry later".to_owned(),
                    |d| format!("retry after {} s", d.as_secs()),
                );
                Some(match a.kind() {
                    velip_core::ApiErrorKind::RateLimited(RateLimitScope::DailyLookup) => format!(
                        "{wait} (the daily cap of single-call lookups resets at midnight, Sao Paulo time); list by campaign or period, or receive final statuses by webhook (`calls push`)"
                    ),
                    _ => format!(
                        "{wait}; page with a larger --page-size and narrow by campaign or period (200 list requests per hour); an export continues with --resume"
                    ),
                })
            }
            ErrorKind::Forbidden => {
                Some("register this IP under Integrations > IPs in the Velip panel".to_owned())
            }
            ErrorKind::Transport => Some("check the network and --base-url".to_owned()),
            ErrorKind::Paging => Some(
                "the service does not page as it should; what was written is kept: try again later with --resume, or narrow the selection".to_owned(),
            ),
            _ => None,
        }
    }

    /// Prints the error on one line (plus a hint line) and returns the exit
    /// code.
    pub(crate) fn report(&self) -> ExitCode {
        if matches!(self, Self::ClosedStdout) {
            return ExitCode::SUCCESS;
        }
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
            // Validation problems name the flag, not the library's field.
            Self::Sdk(Error::Validation(v)) => {
                write!(f, "{}", Self::invalid(v, |_| None))
            }
            // So do option problems.
            Self::Sdk(Error::Config(c)) => match option_flag(c.option) {
                Some(flag) => write!(f, "invalid option {flag}: {}", c.message),
                None => write!(f, "{e}", e = Error::Config(c.clone())),
            },
            Self::Sdk(e) => write!(f, "{e}"),
            Self::Invalid { message: m, .. }
            | Self::Config(m)
            | Self::Io(m)
            | Self::Interrupted(m)
            | Self::Usage(m)
            | Self::NotFound(m) => f.write_str(m),
            Self::ClosedStdout => f.write_str("standard output closed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every kind has its documented code (README, `velip --help`).
    #[test]
    fn every_error_kind_has_its_exit_code() {
        let table: Vec<(&str, u8)> = ErrorKind::ALL
            .iter()
            .map(|k| (k.as_str(), exit_code(*k)))
            .collect();
        assert_eq!(
            table,
            [
                ("validation", 3),
                ("config", 3),
                ("authentication", 4),
                ("forbidden", 5),
                ("rate_limited", 6),
                ("api", 7),
                ("server", 8),
                ("transport", 9),
                ("decode", 10),
                ("paging", 11),
                ("not_found", 12),
                ("interrupted", 130),
                ("budget", 13),
            ]
        );
    }
}
