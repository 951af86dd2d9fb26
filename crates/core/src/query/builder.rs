use std::fmt;

use chrono::NaiveDate;

use super::validate::{Checker, ValidationError, quote};
use super::{Correlation, MAX_PAGE_SIZE, PageSize, RequestKind, Webhook};
use crate::model::{CallId, Cursor};
use crate::phone::NumberFormat;

/// A date given to the builder: a [`NaiveDate`] or `YYYY-MM-DD` text (checked
/// to be a real calendar date when the query is built).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DateArg {
    /// An already valid date.
    Date(NaiveDate),
    /// Text to parse as `YYYY-MM-DD`.
    Text(String),
}

impl From<NaiveDate> for DateArg {
    fn from(d: NaiveDate) -> Self {
        Self::Date(d)
    }
}

impl From<&str> for DateArg {
    fn from(s: &str) -> Self {
        Self::Text(s.to_owned())
    }
}

impl From<String> for DateArg {
    fn from(s: String) -> Self {
        Self::Text(s)
    }
}

#[derive(Debug, Clone)]
enum PageSizeArg {
    Records(i64),
    ServerMax,
}

/// Collects the parameters of a GetCallStatus request; [`QueryBuilder::build`]
/// validates all of them at once.
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct QueryBuilder {
    call_id: Option<String>,
    correlation: Option<Correlation>,
    campaign_id: Option<i64>,
    campaign_ref: Option<String>,
    date_start: Option<DateArg>,
    date_end: Option<DateArg>,
    page_size: Option<PageSizeArg>,
    cursor: Option<String>,
    only_dtmf: bool,
    number_format: Option<NumberFormat>,
    origin: Option<String>,
    webhook: Option<Webhook>,
    /// Both a correlation id and the empty correlation id were asked for.
    correlation_conflict: bool,
}

impl QueryBuilder {
    /// One call by id (`cd_id`): `42_123456`, or bare digits as list
    /// responses show them.
    pub fn call_id(mut self, id: impl Into<String>) -> Self {
        self.call_id = Some(id.into());
        self
    }

    /// Calls by customer correlation id (`ctid`). Use
    /// [`QueryBuilder::empty_correlation_id`] for calls without one.
    pub fn correlation_id(mut self, ctid: impl Into<String>) -> Self {
        self.correlation_conflict |= self.correlation == Some(Correlation::Empty);
        self.correlation = Some(Correlation::Id(ctid.into()));
        self
    }

    /// Calls whose correlation id is empty (sent as `ctid=null`).
    pub fn empty_correlation_id(mut self) -> Self {
        self.correlation_conflict |= matches!(self.correlation, Some(Correlation::Id(_)));
        self.correlation = Some(Correlation::Empty);
        self
    }

    /// All calls of a campaign (`cp_id`, positive).
    pub fn campaign_id(mut self, id: i64) -> Self {
        self.campaign_id = Some(id);
        self
    }

    /// All calls of the latest campaign with this customer-side ref (`cpid`).
    pub fn campaign_ref(mut self, cpid: impl Into<String>) -> Self {
        self.campaign_ref = Some(cpid.into());
        self
    }

    /// First day, inclusive (`date_start`, `YYYY-MM-DD`).
    pub fn date_start(mut self, date: impl Into<DateArg>) -> Self {
        self.date_start = Some(date.into());
        self
    }

    /// Last day, inclusive (`date_end`, `YYYY-MM-DD`).
    pub fn date_end(mut self, date: impl Into<DateArg>) -> Self {
        self.date_end = Some(date.into());
        self
    }

    /// Both days, inclusive.
    pub fn date_range(self, start: impl Into<DateArg>, end: impl Into<DateArg>) -> Self {
        self.date_start(start).date_end(end)
    }

    /// Records per page (`maxreg`), `1..=5000`. See also
    /// [`QueryBuilder::page_size_server_max`].
    pub fn page_size(mut self, records: i64) -> Self {
        self.page_size = Some(PageSizeArg::Records(records));
        self
    }

    /// The server's maximum page size, 5000 (instead of the legacy `-1`).
    pub fn page_size_server_max(mut self) -> Self {
        self.page_size = Some(PageSizeArg::ServerMax);
        self
    }

    /// Resume after this cursor (`last_id`): the `next_id` of the previous
    /// page, verbatim.
    pub fn cursor(mut self, cursor: impl Into<String>) -> Self {
        self.cursor = Some(cursor.into());
        self
    }

    /// Only calls with at least one non-empty DTMF answer (`onlydtmf=1`).
    pub fn only_dtmf(mut self, only: bool) -> Self {
        self.only_dtmf = only;
        self
    }

    /// How `dest` is written in the answer (`numtype`).
    pub fn number_format(mut self, format: NumberFormat) -> Self {
        self.number_format = Some(format);
        self
    }

    /// The `origin` marker echoed in each record: `[a-zA-Z0-9_-]{1,32}`
    /// (checked here, because the service silently replaces a bad one with
    /// `api`).
    pub fn origin(mut self, origin: impl Into<String>) -> Self {
        self.origin = Some(origin.into());
        self
    }

    /// Deliver the results to a webhook (`rurl` and options) instead of
    /// inline.
    pub fn webhook(mut self, webhook: Webhook) -> Self {
        self.webhook = Some(webhook);
        self
    }

    /// Checks every parameter and every combination, reporting all problems
    /// at once.
    ///
    /// # Errors
    /// [`ValidationError`] listing each [`super::Violation`] (field, wire
    /// name, rule).
    pub fn build(self) -> Result<Query, ValidationError> {
        let mut c = Checker::default();

        let call_id = self.call_id.as_deref().and_then(|raw| {
            CallId::parse(raw)
                .map_err(|e| c.fail("call_id", "cd_id", format!("{} {e}", quote(raw))))
                .ok()
        });

        if self.correlation_conflict {
            c.fail(
                "correlation_id",
                "ctid",
                "cannot ask for a correlation id and for the empty correlation id at once",
            );
        }
        if let Some(Correlation::Id(ctid)) = &self.correlation {
            if ctid.trim().is_empty() {
                c.fail(
                    "correlation_id",
                    "ctid",
                    "must not be empty (to select calls without a correlation id, ask for the empty correlation id)",
                );
            } else if ctid == "null" {
                c.fail(
                    "correlation_id",
                    "ctid",
                    "the literal \"null\" selects calls with an empty ctid on the service; ask for the empty correlation id explicitly",
                );
            } else if has_control(ctid) {
                c.fail(
                    "correlation_id",
                    "ctid",
                    "must not contain control characters",
                );
            }
        }

        let campaign_id = self.campaign_id.and_then(|id| {
            u64::try_from(id).ok().filter(|&v| v > 0).or_else(|| {
                c.fail(
                    "campaign_id",
                    "cp_id",
                    format!("must be a positive integer, got {id}"),
                );
                None
            })
        });

        if let Some(r) = &self.campaign_ref {
            if r.trim().is_empty() {
                c.fail("campaign_ref", "cpid", "must not be empty");
            } else if has_control(r) {
                c.fail(
                    "campaign_ref",
                    "cpid",
                    "must not contain control characters",
                );
            }
        }

        let date_start = check_date(&mut c, "date_start", self.date_start.as_ref());
        let date_end = check_date(&mut c, "date_end", self.date_end.as_ref());
        if let (Some(s), Some(e)) = (date_start, date_end)
            && e < s
        {
            c.fail(
                "date_end",
                "date_end",
                format!("must be on or after date_start ({e} is before {s})"),
            );
        }

        let page_size = match self.page_size {
            None => None,
            Some(PageSizeArg::ServerMax) => Some(PageSize::ServerMax),
            Some(PageSizeArg::Records(n)) => {
                if let Ok(v @ 1..=MAX_PAGE_SIZE) = u32::try_from(n) {
                    Some(PageSize::Records(v))
                } else {
                    c.fail(
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

        let cursor = self.cursor.as_deref().and_then(|raw| {
            Cursor::parse(raw).or_else(|| {
                c.fail(
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

        if let Some(o) = &self.origin {
            let ok = (1..=32).contains(&o.len())
                && o.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
            if !ok {
                c.fail(
                    "origin",
                    "origin",
                    format!(
                        "must match [a-zA-Z0-9_-]{{1,32}} (the service would silently replace it with \"api\"), got {}",
                        quote(o)
                    ),
                );
            }
        }

        if let Some(w) = &self.webhook {
            check_webhook(&mut c, w);
        }

        // Combinations.
        let has_list_filter = self.campaign_id.is_some()
            || self.campaign_ref.is_some()
            || self.date_start.is_some()
            || self.date_end.is_some()
            || self.cursor.is_some();
        if self.call_id.is_some() && self.correlation.is_some() {
            c.fail(
                "call_id",
                "cd_id",
                "cannot be combined with a correlation id: the service ignores cd_id when ctid is set",
            );
        } else if self.call_id.is_some() && has_list_filter {
            c.fail(
                "call_id",
                "cd_id",
                "a lookup by call id cannot be combined with campaign, date or cursor filters",
            );
        }
        if self.campaign_id.is_some() && self.campaign_ref.is_some() {
            c.fail(
                "campaign_ref",
                "cpid",
                "cannot be combined with campaign_id: the service resolves cpid to a cp_id; send one of them",
            );
        }
        if self.call_id.is_none() && self.correlation.is_none() && !has_list_filter {
            c.fail(
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
            correlation: self.correlation,
            campaign_id,
            campaign_ref: self.campaign_ref,
            date_start,
            date_end,
            page_size,
            cursor,
            only_dtmf: self.only_dtmf,
            number_format: self.number_format,
            origin: self.origin,
            webhook: self.webhook,
        })
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
                    field,
                    field,
                    format!("must be a date written YYYY-MM-DD, got {}", quote(t)),
                );
                return None;
            }
            NaiveDate::parse_from_str(t, "%Y-%m-%d")
                .map_err(|_| {
                    c.fail(
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
                    "webhook_url",
                    "rurl",
                    "must not carry credentials in the URL; use the webhook's Basic credentials",
                );
            }
        }
        Ok(_) => c.fail(
            "webhook_url",
            "rurl",
            format!(
                "must be an absolute http or https URL, got {}",
                quote(&w.url)
            ),
        ),
        Err(e) => c.fail(
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
            "webhook_user",
            "rurl_user",
            "must be non-empty, without ':' or control characters",
        );
    }
    if w.password.as_ref().is_some_and(|p| has_control(p.expose())) {
        c.fail(
            "webhook_password",
            "rurl_password",
            "must not contain control characters",
        );
    }
}

/// A validated GetCallStatus request. Build one with [`Query::builder`].
#[derive(Clone, PartialEq, Eq)]
pub struct Query {
    pub(crate) call_id: Option<CallId>,
    pub(crate) correlation: Option<Correlation>,
    pub(crate) campaign_id: Option<u64>,
    pub(crate) campaign_ref: Option<String>,
    pub(crate) date_start: Option<NaiveDate>,
    pub(crate) date_end: Option<NaiveDate>,
    pub(crate) page_size: Option<PageSize>,
    pub(crate) cursor: Option<Cursor>,
    pub(crate) only_dtmf: bool,
    pub(crate) number_format: Option<NumberFormat>,
    pub(crate) origin: Option<String>,
    pub(crate) webhook: Option<Webhook>,
}

impl Query {
    /// A new, empty builder.
    pub fn builder() -> QueryBuilder {
        QueryBuilder::default()
    }

    /// Point lookup or list request, per the spec.
    pub fn request_kind(&self) -> RequestKind {
        let list_filter = self.campaign_id.is_some()
            || self.campaign_ref.is_some()
            || self.date_start.is_some()
            || self.date_end.is_some()
            || self.cursor.is_some();
        match (&self.call_id, &self.correlation) {
            (Some(_), None) => RequestKind::PointLookup,
            (_, Some(Correlation::Id(_))) if !list_filter => RequestKind::CorrelationLookup,
            _ => RequestKind::List,
        }
    }

    /// The same query resuming after `cursor` (`last_id`).
    #[must_use]
    pub fn with_cursor(&self, cursor: Option<Cursor>) -> Self {
        let mut q = self.clone();
        q.cursor = cursor;
        q
    }

    /// The same query with another page size.
    #[must_use]
    pub fn with_page_size(&self, page_size: Option<PageSize>) -> Self {
        let mut q = self.clone();
        q.page_size = page_size;
        q
    }

    /// The same query without a webhook (inline answer).
    #[must_use]
    pub fn without_webhook(&self) -> Self {
        let mut q = self.clone();
        q.webhook = None;
        q
    }

    /// The same query delivering to `webhook`. The webhook is validated.
    pub fn with_webhook(&self, webhook: Webhook) -> Result<Self, ValidationError> {
        let mut c = Checker::default();
        check_webhook(&mut c, &webhook);
        if !c.violations.is_empty() {
            return Err(ValidationError::new(c.violations));
        }
        let mut q = self.clone();
        q.webhook = Some(webhook);
        Ok(q)
    }

    /// `cd_id`.
    pub fn call_id(&self) -> Option<&CallId> {
        self.call_id.as_ref()
    }
    /// `ctid`.
    pub fn correlation(&self) -> Option<&Correlation> {
        self.correlation.as_ref()
    }
    /// `cp_id`.
    pub fn campaign_id(&self) -> Option<u64> {
        self.campaign_id
    }
    /// `cpid`.
    pub fn campaign_ref(&self) -> Option<&str> {
        self.campaign_ref.as_deref()
    }
    /// `date_start`.
    pub fn date_start(&self) -> Option<NaiveDate> {
        self.date_start
    }
    /// `date_end`.
    pub fn date_end(&self) -> Option<NaiveDate> {
        self.date_end
    }
    /// `maxreg`.
    pub fn page_size(&self) -> Option<PageSize> {
        self.page_size
    }
    /// `last_id`.
    pub fn cursor(&self) -> Option<&Cursor> {
        self.cursor.as_ref()
    }
    /// `onlydtmf`.
    pub fn only_dtmf(&self) -> bool {
        self.only_dtmf
    }
    /// `numtype`.
    pub fn number_format(&self) -> Option<NumberFormat> {
        self.number_format
    }
    /// `origin`.
    pub fn origin(&self) -> Option<&str> {
        self.origin.as_deref()
    }
    /// `rurl` and options.
    pub fn webhook(&self) -> Option<&Webhook> {
        self.webhook.as_ref()
    }
}

/// Shows the wire parameters, webhook password redacted.
impl fmt::Debug for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut m = f.debug_map();
        for (k, v) in self.to_redacted_pairs() {
            m.entry(&k, &v);
        }
        m.finish()
    }
}
