use std::fmt;

use chrono::NaiveDate;

use super::builder::{DateArg, PageSizeArg, Query, QueryBuilder};
use super::{Correlation, MAX_PAGE_SIZE, PageSize, Webhook};
use crate::model::{CallId, Cursor};

/// Which rule a [`Violation`] breaks, for programs (bindings choose their
/// hints by it, never by the message's words). `as_str` gives a stable
/// snake-case name (`correlation_literal_null`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ViolationCode {
    /// `cd_id` is not `<alias>_<digits>` or digits.
    CallIdInvalid,
    /// A correlation id and the empty correlation id at once.
    CorrelationConflict,
    /// An empty correlation id text (ask for the empty correlation id).
    CorrelationEmpty,
    /// The literal `null` as a correlation id (ask for the empty one).
    CorrelationLiteralNull,
    /// Control characters in the correlation id.
    CorrelationControl,
    /// `cp_id` is not a positive integer.
    CampaignIdNotPositive,
    /// An empty campaign ref.
    CampaignRefEmpty,
    /// Control characters in the campaign ref.
    CampaignRefControl,
    /// A date not written `YYYY-MM-DD`.
    DateFormat,
    /// A date that is not in the calendar (`2026-02-30`).
    DateNotInCalendar,
    /// `date_end` before `date_start`.
    DateRangeReversed,
    /// `maxreg` outside `1..=5000`.
    PageSizeRange,
    /// `last_id` is not a previous page's `next_id`.
    CursorInvalid,
    /// `origin` does not match `[a-zA-Z0-9_-]{1,32}`.
    OriginPattern,
    /// A call id together with a correlation id.
    CallIdWithCorrelation,
    /// A call id together with campaign, date or cursor filters.
    CallIdWithFilters,
    /// A campaign id together with a campaign ref.
    CampaignIdWithRef,
    /// Nothing selected.
    NothingSelected,
    /// `rurl` carries credentials.
    WebhookUrlCredentials,
    /// `rurl` is not an absolute http(s) URL.
    WebhookUrlInvalid,
    /// A `rurl_headers` line not written `Name: value`.
    WebhookHeaderMalformed,
    /// A header name that is not an HTTP token.
    WebhookHeaderName,
    /// A header value with control characters.
    WebhookHeaderValue,
    /// A bad `rurl_user`.
    WebhookUser,
    /// A bad `rurl_password`.
    WebhookPassword,
    /// `rurl_method` is not `POST` or `GET`.
    WebhookMethod,
    /// `rurl_type` is not `json` or `form`.
    WebhookFormat,
    /// A webhook user without a password or the reverse.
    WebhookAuthIncomplete,
    /// An operation that needs a webhook got a query without one.
    WebhookMissing,
    /// `numtype` is not one of the known styles.
    NumberFormat,
    /// A value of another kind than the parameter takes (a binding's
    /// argument check).
    WrongType,
    /// A value outside the parameter's range (a binding's argument check).
    OutOfRange,
}

impl ViolationCode {
    /// The stable snake-case name (`call_id_invalid`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CallIdInvalid => "call_id_invalid",
            Self::CorrelationConflict => "correlation_conflict",
            Self::CorrelationEmpty => "correlation_empty",
            Self::CorrelationLiteralNull => "correlation_literal_null",
            Self::CorrelationControl => "correlation_control",
            Self::CampaignIdNotPositive => "campaign_id_not_positive",
            Self::CampaignRefEmpty => "campaign_ref_empty",
            Self::CampaignRefControl => "campaign_ref_control",
            Self::DateFormat => "date_format",
            Self::DateNotInCalendar => "date_not_in_calendar",
            Self::DateRangeReversed => "date_range_reversed",
            Self::PageSizeRange => "page_size_range",
            Self::CursorInvalid => "cursor_invalid",
            Self::OriginPattern => "origin_pattern",
            Self::CallIdWithCorrelation => "call_id_with_correlation",
            Self::CallIdWithFilters => "call_id_with_filters",
            Self::CampaignIdWithRef => "campaign_id_with_ref",
            Self::NothingSelected => "nothing_selected",
            Self::WebhookUrlCredentials => "webhook_url_credentials",
            Self::WebhookUrlInvalid => "webhook_url_invalid",
            Self::WebhookHeaderMalformed => "webhook_header_malformed",
            Self::WebhookHeaderName => "webhook_header_name",
            Self::WebhookHeaderValue => "webhook_header_value",
            Self::WebhookUser => "webhook_user",
            Self::WebhookPassword => "webhook_password",
            Self::WebhookMethod => "webhook_method",
            Self::WebhookFormat => "webhook_format",
            Self::WebhookAuthIncomplete => "webhook_auth_incomplete",
            Self::WebhookMissing => "webhook_missing",
            Self::NumberFormat => "number_format",
            Self::WrongType => "wrong_type",
            Self::OutOfRange => "out_of_range",
        }
    }
}

impl fmt::Display for ViolationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

use ViolationCode as Code;

/// One broken rule: which field (readable name and wire name), which rule
/// ([`ViolationCode`]) and why, in words.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Violation {
    /// The readable name of the field (`call_id`, `page_size`, ...), or
    /// `selection` for rules about the combination of fields.
    pub field: &'static str,
    /// The wire parameter (`cd_id`, `maxreg`, ...), empty for `selection`.
    pub wire: &'static str,
    /// The rule broken, for programs.
    pub code: ViolationCode,
    /// The rule, in words, with the offending value when it is not secret.
    pub rule: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.wire.is_empty() || self.wire == self.field {
            write!(f, "{}: {}", self.field, self.rule)
        } else {
            write!(f, "{} ({}): {}", self.field, self.wire, self.rule)
        }
    }
}

/// A query that must not be sent: every problem found, not just the first.
///
/// ```
/// use velip_core::query::Query;
/// let err = Query::builder().call_id("x_").page_size(0).build().unwrap_err();
/// assert_eq!(err.violations().len(), 2);
/// assert_eq!(err.violations()[0].field, "call_id");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ValidationError {
    violations: Vec<Violation>,
}

impl ValidationError {
    pub(crate) fn new(violations: Vec<Violation>) -> Self {
        Self { violations }
    }

    /// A validation error with a single violation (for callers that check
    /// inputs of their own, such as a binding converting arguments).
    pub fn single(
        field: &'static str,
        wire: &'static str,
        code: ViolationCode,
        rule: impl Into<String>,
    ) -> Self {
        Self::new(vec![Violation {
            field,
            wire,
            code,
            rule: rule.into(),
        }])
    }

    /// Every violation, in field order.
    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.violations.as_slice() {
            [one] => write!(f, "invalid query: {one}"),
            many => {
                write!(f, "invalid query ({} problems): ", many.len())?;
                for (i, v) in many.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    write!(f, "{v}")?;
                }
                Ok(())
            }
        }
    }
}

/// Collects violations while a builder is checked.
#[derive(Default)]
pub(crate) struct Checker {
    pub(crate) violations: Vec<Violation>,
}

impl Checker {
    pub(crate) fn fail(
        &mut self,
        code: ViolationCode,
        field: &'static str,
        wire: &'static str,
        rule: impl Into<String>,
    ) {
        self.violations.push(Violation {
            field,
            wire,
            code,
            rule: rule.into(),
        });
    }
}

/// A value shortened for quoting in a message (at most 40 characters).
pub(crate) fn quote(value: &str) -> String {
    let mut out: String = value.chars().take(40).collect();
    if value.chars().count() > 40 {
        out.push('…');
    }
    format!("{out:?}")
}

/// Checks every parameter of `b` and every combination, reporting all
/// problems at once.
pub(super) fn validate(b: QueryBuilder) -> Result<Query, ValidationError> {
    let mut c = Checker::default();

    let call_id = b.call_id.as_deref().and_then(|raw| {
        CallId::parse(raw)
            .map_err(|e| {
                c.fail(
                    Code::CallIdInvalid,
                    "call_id",
                    "cd_id",
                    format!("{} {e}", quote(raw)),
                );
            })
            .ok()
    });

    if b.correlation_conflict {
        c.fail(
            Code::CorrelationConflict,
            "correlation_id",
            "ctid",
            "cannot ask for a correlation id and for the empty correlation id at once",
        );
    }
    if let Some(Correlation::Id(ctid)) = &b.correlation {
        if ctid.trim().is_empty() {
            c.fail(
                Code::CorrelationEmpty,
                "correlation_id",
                "ctid",
                "must not be empty (to select calls without a correlation id, ask for the empty correlation id)",
            );
        } else if ctid == "null" {
            c.fail(
                Code::CorrelationLiteralNull,
                "correlation_id",
                "ctid",
                "the literal \"null\" selects calls with an empty ctid on the service; ask for the empty correlation id explicitly",
            );
        } else if has_control(ctid) {
            c.fail(
                Code::CorrelationControl,
                "correlation_id",
                "ctid",
                "must not contain control characters",
            );
        }
    }

    let campaign_id = b.campaign_id.and_then(|id| {
        u64::try_from(id).ok().filter(|&v| v > 0).or_else(|| {
            c.fail(
                Code::CampaignIdNotPositive,
                "campaign_id",
                "cp_id",
                format!("must be a positive integer, got {id}"),
            );
            None
        })
    });

    if let Some(r) = &b.campaign_ref {
        if r.trim().is_empty() {
            c.fail(
                Code::CampaignRefEmpty,
                "campaign_ref",
                "cpid",
                "must not be empty",
            );
        } else if has_control(r) {
            c.fail(
                Code::CampaignRefControl,
                "campaign_ref",
                "cpid",
                "must not contain control characters",
            );
        }
    }

    let date_start = check_date(&mut c, "date_start", b.date_start.as_ref());
    let date_end = check_date(&mut c, "date_end", b.date_end.as_ref());
    if let (Some(s), Some(e)) = (date_start, date_end)
        && e < s
    {
        c.fail(
            Code::DateRangeReversed,
            "date_end",
            "date_end",
            format!("must be on or after date_start ({e} is before {s})"),
        );
    }

    let page_size = match b.page_size {
        None => None,
        Some(PageSizeArg::ServerMax) => Some(PageSize::ServerMax),
        Some(PageSizeArg::Records(n)) => {
            if let Ok(v @ 1..=MAX_PAGE_SIZE) = u32::try_from(n) {
                Some(PageSize::Records(v))
            } else {
                c.fail(
                    Code::PageSizeRange,
                "page_size",
                "maxreg",
                format!(
                    "must be between 1 and {MAX_PAGE_SIZE}, got {n} (use the server maximum instead of -1)"
                ),
            );
                None
            }
        }
    };

    let cursor = b.cursor.as_deref().and_then(|raw| {
        Cursor::parse(raw).or_else(|| {
            c.fail(
                Code::CursorInvalid,
                "cursor",
                "last_id",
                format!(
                    "must be the digits of a previous page's next_id, got {}",
                    quote(raw)
                ),
            );
            None
        })
    });

    if let Some(o) = &b.origin {
        let ok = (1..=32).contains(&o.len())
            && o.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !ok {
            c.fail(
                Code::OriginPattern,
                "origin",
                "origin",
                format!(
                    "must match [a-zA-Z0-9_-]{{1,32}} (the service would silently replace it with \"api\"), got {}",
                    quote(o)
                ),
            );
        }
    }

    if let Some(w) = &b.webhook {
        check_webhook(&mut c, w);
    }

    // Combinations.
    let has_list_filter = b.campaign_id.is_some()
        || b.campaign_ref.is_some()
        || b.date_start.is_some()
        || b.date_end.is_some()
        || b.cursor.is_some();
    if b.call_id.is_some() && b.correlation.is_some() {
        c.fail(
            Code::CallIdWithCorrelation,
            "call_id",
            "cd_id",
            "cannot be combined with a correlation id: the service ignores cd_id when ctid is set",
        );
    } else if b.call_id.is_some() && has_list_filter {
        c.fail(
            Code::CallIdWithFilters,
            "call_id",
            "cd_id",
            "a lookup by call id cannot be combined with campaign, date or cursor filters",
        );
    }
    if b.campaign_id.is_some() && b.campaign_ref.is_some() {
        c.fail(
            Code::CampaignIdWithRef,
            "campaign_ref",
            "cpid",
            "cannot be combined with campaign_id: the service resolves cpid to a cp_id; send one of them",
        );
    }
    if b.call_id.is_none() && b.correlation.is_none() && !has_list_filter {
        c.fail(
            Code::NothingSelected,
            "selection",
            "",
            "nothing selected: give a call id, a correlation id (or the empty one), a campaign id or ref, a date range or a cursor",
        );
    }

    if !c.violations.is_empty() {
        return Err(ValidationError::new(c.violations));
    }
    Ok(Query {
        call_id,
        correlation: b.correlation,
        campaign_id,
        campaign_ref: b.campaign_ref,
        date_start,
        date_end,
        page_size,
        cursor,
        only_dtmf: b.only_dtmf,
        number_format: b.number_format,
        origin: b.origin,
        webhook: b.webhook,
    })
}

/// Checks a webhook on its own (for [`Query::with_webhook`]).
pub(super) fn validate_webhook(w: &Webhook) -> Result<(), ValidationError> {
    let mut c = Checker::default();
    check_webhook(&mut c, w);
    if c.violations.is_empty() {
        Ok(())
    } else {
        Err(ValidationError::new(c.violations))
    }
}

fn has_control(s: &str) -> bool {
    s.chars().any(char::is_control)
}

fn check_date(c: &mut Checker, field: &'static str, arg: Option<&DateArg>) -> Option<NaiveDate> {
    match arg? {
        DateArg::Date(d) => Some(*d),
        DateArg::Text(t) => {
            let t = t.trim();
            let shaped = t.len() == 10
                && t.bytes().enumerate().all(|(i, b)| {
                    if i == 4 || i == 7 {
                        b == b'-'
                    } else {
                        b.is_ascii_digit()
                    }
                });
            if !shaped {
                c.fail(
                    Code::DateFormat,
                    field,
                    field,
                    format!("must be a date written YYYY-MM-DD, got {}", quote(t)),
                );
                return None;
            }
            NaiveDate::parse_from_str(t, "%Y-%m-%d")
                .map_err(|_| {
                    c.fail(
                        Code::DateNotInCalendar,
                        field,
                        field,
                        format!("{} is not a real calendar date", quote(t)),
                    );
                })
                .ok()
        }
    }
}

fn check_webhook(c: &mut Checker, w: &Webhook) {
    match url::Url::parse(&w.url) {
        Ok(u) if (u.scheme() == "http" || u.scheme() == "https") && u.host_str().is_some() => {
            if !u.username().is_empty() || u.password().is_some() {
                c.fail(
                    Code::WebhookUrlCredentials,
                    "webhook_url",
                    "rurl",
                    "must not carry credentials in the URL; use the webhook's Basic credentials",
                );
            }
        }
        Ok(_) => c.fail(
            Code::WebhookUrlInvalid,
            "webhook_url",
            "rurl",
            format!(
                "must be an absolute http or https URL, got {}",
                quote(&w.url)
            ),
        ),
        Err(e) => c.fail(
            Code::WebhookUrlInvalid,
            "webhook_url",
            "rurl",
            format!(
                "must be an absolute http or https URL ({e}), got {}",
                quote(&w.url)
            ),
        ),
    }
    for line in &w.malformed_lines {
        c.fail(
            Code::WebhookHeaderMalformed,
            "webhook_headers",
            "rurl_headers",
            format!("header line {} must be written `Name: value`", quote(line)),
        );
    }
    for (name, value) in &w.headers {
        let name_ok = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
        if !name_ok {
            c.fail(
                Code::WebhookHeaderName,
                "webhook_headers",
                "rurl_headers",
                format!(
                    "header name {} is not a valid HTTP token (write `Name: value`)",
                    quote(name)
                ),
            );
        }
        if value.chars().any(|ch| ch.is_control() && ch != '\t') {
            c.fail(
                Code::WebhookHeaderValue,
                "webhook_headers",
                "rurl_headers",
                format!(
                    "value of header {} must not contain CR, LF or other control characters",
                    quote(name)
                ),
            );
        }
    }
    if let Some(user) = &w.user
        && (user.is_empty() || user.contains(':') || has_control(user))
    {
        c.fail(
            Code::WebhookUser,
            "webhook_user",
            "rurl_user",
            "must be non-empty, without ':' or control characters",
        );
    }
    if w.password.as_ref().is_some_and(|p| has_control(p.expose())) {
        c.fail(
            Code::WebhookPassword,
            "webhook_password",
            "rurl_password",
            "must not contain control characters",
        );
    }
}
