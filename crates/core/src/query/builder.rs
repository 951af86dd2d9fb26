use std::fmt;

use chrono::NaiveDate;

use super::validate::ValidationError;
use super::{Correlation, PageSize, RequestKind, Webhook};
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
pub(super) enum PageSizeArg {
    Records(i64),
    ServerMax,
}

/// Collects the parameters of a GetCallStatus request; [`QueryBuilder::build`]
/// validates all of them at once.
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct QueryBuilder {
    pub(super) call_id: Option<String>,
    pub(super) correlation: Option<Correlation>,
    pub(super) campaign_id: Option<i64>,
    pub(super) campaign_ref: Option<String>,
    pub(super) date_start: Option<DateArg>,
    pub(super) date_end: Option<DateArg>,
    pub(super) page_size: Option<PageSizeArg>,
    pub(super) cursor: Option<String>,
    pub(super) only_dtmf: bool,
    pub(super) number_format: Option<NumberFormat>,
    pub(super) origin: Option<String>,
    pub(super) webhook: Option<Webhook>,
    /// Both a correlation id and the empty correlation id were asked for.
    pub(super) correlation_conflict: bool,
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
    /// at once (the rules are written in `query/validate.rs`).
    ///
    /// # Errors
    /// [`ValidationError`] listing each [`super::Violation`] (field, wire
    /// name, code, rule).
    pub fn build(self) -> Result<Query, ValidationError> {
        super::validate::validate(self)
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

    /// The same query with `date_start` set to `date` (calls dated before it
    /// are left out); a sync applies its first run's `since` this way.
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use velip_core::Query;
    /// let q = Query::builder().campaign_id(77).build()?;
    /// let since = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
    /// assert_eq!(q.with_date_start(since)?.date_start(), Some(since));
    /// let ended = Query::builder().date_end("2026-10-31").build()?;
    /// assert!(ended.with_date_start(since).is_err());
    /// # Ok::<(), velip_core::ValidationError>(())
    /// ```
    ///
    /// # Errors
    /// [`ValidationError`] (`DateRangeReversed`) when the query's `date_end`
    /// is before `date`.
    pub fn with_date_start(&self, date: NaiveDate) -> Result<Self, ValidationError> {
        if let Some(end) = self.date_end
            && end < date
        {
            return Err(ValidationError::single(
                "date_end",
                "date_end",
                super::ViolationCode::DateRangeReversed,
                format!("must be on or after date_start ({end} is before {date})"),
            ));
        }
        let mut q = self.clone();
        q.date_start = Some(date);
        Ok(q)
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
        super::validate::validate_webhook(&webhook)?;
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
