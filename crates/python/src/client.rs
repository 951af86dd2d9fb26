//! `Client`: the blocking client, with the GIL released during I/O.

use std::sync::{Arc, Mutex, PoisonError};

use chrono::NaiveDate;
use pyo3::prelude::*;
use pyo3::types::{PyDate, PyDateTime, PyDict, PyString};
use velip_blocking::ledger::{Ledger, StateLocation};
use velip_blocking::{Client, ClientBuilder, RateLimitPolicy};
use velip_core::NumberFormat;
use velip_core::query::{DateArg, Query, QueryBuilder, Webhook, WebhookFormat, WebhookMethod};

use crate::args::{self, PageSize};
use crate::errors;
use crate::iter::PyCallIterator;
use crate::page::PyPage;
use crate::record::{PyCallRecord, records_to_py};

/// A date argument: `datetime.date`, `datetime.datetime` (its own calendar
/// day, never converted to another time zone) or `"YYYY-MM-DD"`.
pub(crate) fn date_arg(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<DateArg> {
    if obj.is_instance_of::<PyDateTime>() {
        let d: NaiveDate = obj.call_method0("date")?.extract()?;
        Ok(DateArg::Date(d))
    } else if obj.is_instance_of::<PyDate>() {
        Ok(DateArg::Date(obj.extract()?))
    } else if obj.is_instance_of::<PyString>() {
        Ok(DateArg::Text(args::text(obj.py(), obj, name)?))
    } else {
        Err(pyo3::exceptions::PyTypeError::new_err(
            "a date must be a datetime.date or a \"YYYY-MM-DD\" string",
        ))
    }
}

/// The selection parameters shared by `list_calls`, `list_page` and
/// `push_to_webhook` (text arguments converted with their names, so a
/// lone surrogate is a `ValidationError`, not a `UnicodeEncodeError`).
pub(crate) struct Selection<'py> {
    pub(crate) campaign_id: Option<Bound<'py, PyAny>>,
    pub(crate) campaign_ref: Option<Bound<'py, PyAny>>,
    pub(crate) correlation_id: Option<Bound<'py, PyAny>>,
    pub(crate) date_start: Option<Bound<'py, PyAny>>,
    pub(crate) date_end: Option<Bound<'py, PyAny>>,
    pub(crate) empty_ctid: bool,
    pub(crate) only_dtmf: bool,
    pub(crate) numtype: Option<Bound<'py, PyAny>>,
    pub(crate) origin: Option<Bound<'py, PyAny>>,
    pub(crate) page_size: Option<Bound<'py, PyAny>>,
    pub(crate) cursor: Option<Bound<'py, PyAny>>,
}

impl Selection<'_> {
    fn builder(self, py: Python<'_>) -> PyResult<QueryBuilder> {
        let mut b = Query::builder();
        if let Some(id) = &self.campaign_id {
            b = b.campaign_id(args::campaign_id(py, id)?);
        }
        if let Some(r) = args::opt_text(py, self.campaign_ref.as_ref(), "campaign_ref")? {
            b = b.campaign_ref(r);
        }
        if let Some(c) = args::opt_text(py, self.correlation_id.as_ref(), "correlation_id")? {
            b = b.correlation_id(c);
        }
        if self.empty_ctid {
            b = b.empty_correlation_id();
        }
        if let Some(d) = &self.date_start {
            b = b.date_start(date_arg(d, "date_start")?);
        }
        if let Some(d) = &self.date_end {
            b = b.date_end(date_arg(d, "date_end")?);
        }
        b = b.only_dtmf(self.only_dtmf);
        if let Some(n) = args::opt_text(py, self.numtype.as_ref(), "numtype")? {
            let f = NumberFormat::parse_arg(&n).map_err(|e| errors::validation(py, &e))?;
            b = b.number_format(f);
        }
        if let Some(o) = args::opt_text(py, self.origin.as_ref(), "origin")? {
            b = b.origin(o);
        }
        match self
            .page_size
            .as_ref()
            .map(|p| args::page_size(py, p))
            .transpose()?
        {
            None => {}
            Some(PageSize::Records(n)) => b = b.page_size(n),
            Some(PageSize::Max) => b = b.page_size_server_max(),
        }
        if let Some(c) = args::opt_text(py, self.cursor.as_ref(), "cursor")? {
            b = b.cursor(c);
        }
        Ok(b)
    }

    fn build(self, py: Python<'_>) -> PyResult<Query> {
        self.builder(py)?
            .build()
            .map_err(|e| errors::validation(py, &e))
    }
}

struct Live {
    pid: u32,
    client: Client,
}

/// A client of the Velip GetCallStatus API. Thread-safe: share one between
/// threads (one connection pool).
#[pyclass(frozen, module = "velip._velip", name = "Client")]
pub(crate) struct PyClient {
    /// Kept to rebuild the client (and its connection pool) in a child
    /// process after `os.fork()`; updated by `set_token`/`set_basic_auth`.
    builder: Mutex<ClientBuilder>,
    live: Mutex<Option<Live>>,
    base_url: String,
}

impl PyClient {
    /// The live client, rebuilt after a fork (a new connection pool: the
    /// parent's connections must not be shared).
    pub(crate) fn client(&self, py: Python<'_>) -> PyResult<Client> {
        crate::logging::refresh(py);
        let pid = std::process::id();
        let mut live = self.live.lock().unwrap_or_else(PoisonError::into_inner);
        match live.as_ref() {
            None => Err(errors::velip(py, "the client is closed")),
            Some(l) if l.pid == pid => Ok(l.client.clone()),
            Some(_) => {
                let b = self
                    .builder
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .clone();
                let client = b.build().map_err(|e| errors::client(py, &e))?;
                *live = Some(Live {
                    pid,
                    client: client.clone(),
                });
                Ok(client)
            }
        }
    }
}

#[pymethods]
impl PyClient {
    #[new]
    #[pyo3(signature = (
        token = None, *, base_url = None, basic_auth = None, timeout = None,
        connect_timeout = None, max_retries = None, max_retry_wait = None,
        proxy = None, ca_bundle = None, token_in_body = false, strict = false,
        on_rate_limit = None, max_wait = None, max_requests = None, state_dir = None,
        list_quota = None, daily_lookup_cap = None,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new<'py>(
        py: Python<'py>,
        token: Option<Bound<'py, PyAny>>,
        base_url: Option<Bound<'py, PyAny>>,
        basic_auth: Option<Bound<'py, PyAny>>,
        timeout: Option<Bound<'py, PyAny>>,
        connect_timeout: Option<Bound<'py, PyAny>>,
        max_retries: Option<Bound<'py, PyAny>>,
        max_retry_wait: Option<Bound<'py, PyAny>>,
        proxy: Option<Bound<'py, PyAny>>,
        ca_bundle: Option<std::path::PathBuf>,
        token_in_body: bool,
        strict: bool,
        on_rate_limit: Option<Bound<'py, PyAny>>,
        max_wait: Option<Bound<'py, PyAny>>,
        max_requests: Option<Bound<'py, PyAny>>,
        state_dir: Option<std::path::PathBuf>,
        list_quota: Option<Bound<'py, PyAny>>,
        daily_lookup_cap: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Self> {
        let version = py.version_info();
        // The environment (VELIP_TOKEN, VELIP_USER/VELIP_PASSWORD,
        // VELIP_BASE_URL) first; arguments win. Every option rule is the
        // builder's: values pass through.
        let mut b = ClientBuilder::from_env()
            .user_agent_suffix(format!("python/{}.{}", version.major, version.minor))
            .interrupt_check(Arc::new(errors::interrupt_check))
            .token_in_body(token_in_body)
            .strict(strict);
        if let Some(u) = args::opt_text(py, base_url.as_ref(), "base_url")? {
            b = b.base_url(u);
        }
        if let Some(t) = args::opt_text(py, token.as_ref(), "token")? {
            b = b.token(t);
        }
        if let Some(pair) = basic_auth.as_ref().filter(|p| !p.is_none()) {
            let (user, password) = args::pair(py, pair, "basic_auth")?;
            b = b.basic_auth(user, password);
        }
        if let Some(t) = &timeout {
            b = b.timeout(args::seconds(py, t, "timeout")?);
        }
        if let Some(t) = &connect_timeout {
            b = b.connect_timeout(args::seconds(py, t, "connect_timeout")?);
        }
        if let Some(n) = &max_retries {
            b = b.max_retries(args::count(py, n, "max_retries")?);
        }
        if let Some(t) = &max_retry_wait {
            b = b.max_retry_wait(args::seconds(py, t, "max_retry_wait")?);
        }
        if let Some(p) = args::opt_text(py, proxy.as_ref(), "proxy")? {
            b = b.proxy(p);
        }
        if let Some(path) = ca_bundle {
            b = b.ca_file(path);
        }
        let max_wait = max_wait
            .as_ref()
            .filter(|w| !w.is_none())
            .map(|w| args::seconds(py, w, "max_wait"))
            .transpose()?;
        if let Some(name) = args::opt_text(py, on_rate_limit.as_ref(), "on_rate_limit")? {
            let policy =
                RateLimitPolicy::from_name(&name, max_wait).map_err(|e| errors::client(py, &e))?;
            b = b.on_rate_limit(policy);
        }
        if let Some(n) = max_requests.as_ref().filter(|n| !n.is_none()) {
            b = b.max_requests(u64::from(args::count(py, n, "max_requests")?));
        }
        if let Some(location) = state_dir.and_then(StateLocation::from_value) {
            b = b.ledger(Ledger::at(location));
        }
        if let Some(pair) = list_quota.as_ref().filter(|p| !p.is_none()) {
            let (requests, window): (Bound<'py, PyAny>, Bound<'py, PyAny>) =
                pair.extract().map_err(|_| {
                    pyo3::exceptions::PyTypeError::new_err(
                        "list_quota must be a (requests, window_seconds) tuple",
                    )
                })?;
            b = b.list_quota(
                args::count(py, &requests, "list_quota")?,
                args::seconds(py, &window, "list_quota")?,
            );
        }
        if let Some(cap) = daily_lookup_cap.as_ref().filter(|c| !c.is_none()) {
            b = b.daily_lookup_cap(args::count(py, cap, "daily_lookup_cap")?);
        }
        let builder = b.clone();
        let client = py
            .detach(move || b.build())
            .map_err(|e| errors::client(py, &e))?;
        Ok(Self {
            base_url: client.base_url().to_owned(),
            builder: Mutex::new(builder),
            live: Mutex::new(Some(Live {
                pid: std::process::id(),
                client,
            })),
        })
    }

    /// The base URL requests go to (``https://vox.velip.com.br`` unless
    /// ``base_url=`` or ``VELIP_BASE_URL`` says otherwise); requests are
    /// form POSTs to ``<base_url>/api/v2/GetCallStatus.php``.
    #[getter]
    fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The ``User-Agent`` sent (``velip/0.1.0 python/3.11``).
    #[getter]
    fn user_agent(&self, py: Python<'_>) -> PyResult<String> {
        Ok(self.client(py)?.user_agent().to_owned())
    }

    /// One call by id: ``"42_123456"`` (alias and number) or bare digits
    /// (wire ``cd_id``). Returns its ``CallRecord``.
    ///
    /// Raises:
    ///
    /// - ``NotFoundError`` (also ``LookupError``) when the service has no
    ///   such call;
    /// ``ValidationError`` (also ``ValueError``) naming each bad field,
    ///   before anything is sent; ``TypeError`` for an argument of the
    ///   wrong type;
    /// - ``AuthenticationError`` (HTTP 401, never retried; ``sent`` is
    ///   ``False`` when refused under the lock-out), ``ForbiddenError``
    ///   (403, IP not allowed), ``RateLimitError`` (429, after waiting up
    ///   to ``max_retry_wait``), ``ApiError`` (another error answer);
    /// - ``ServerError`` (5xx after the retries), ``TransportError`` /
    ///   ``RequestTimeoutError`` (no answer), ``DecodeError`` (an answer
    ///   that cannot be read); ``VelipError`` when the client is closed;
    /// - ``KeyboardInterrupt`` on Ctrl-C (within 0.1 s, also while a
    ///   request is in flight).
    fn get_call(&self, py: Python<'_>, call_id: &Bound<'_, PyAny>) -> PyResult<PyCallRecord> {
        let call_id = args::text(py, call_id, "call_id")?;
        let c = self.client(py)?;
        py.detach(|| c.get_call(&call_id))
            .map(PyCallRecord::new)
            .map_err(|e| errors::client(py, &e))
    }

    /// Every call with this correlation id (your id, wire ``ctid``), all
    /// pages, as a ``list[CallRecord]`` (several calls may share one).
    /// ``""`` and ``"null"`` are refused: use
    /// ``list_calls(empty_ctid=True)`` for calls without one.
    ///
    /// Raises:
    ///
    /// - ``PagingError`` when paging cannot go on;
    /// ``ValidationError`` (also ``ValueError``) naming each bad field,
    ///   before anything is sent; ``TypeError`` for an argument of the
    ///   wrong type;
    /// - ``AuthenticationError`` (HTTP 401, never retried; ``sent`` is
    ///   ``False`` when refused under the lock-out), ``ForbiddenError``
    ///   (403, IP not allowed), ``RateLimitError`` (429, after waiting up
    ///   to ``max_retry_wait``), ``ApiError`` (another error answer);
    /// - ``ServerError`` (5xx after the retries), ``TransportError`` /
    ///   ``RequestTimeoutError`` (no answer), ``DecodeError`` (an answer
    ///   that cannot be read); ``VelipError`` when the client is closed;
    /// - ``KeyboardInterrupt`` on Ctrl-C (within 0.1 s, also while a
    ///   request is in flight).
    fn find_calls(
        &self,
        py: Python<'_>,
        correlation_id: &Bound<'_, PyAny>,
    ) -> PyResult<Vec<Py<PyCallRecord>>> {
        let correlation_id = args::text(py, correlation_id, "correlation_id")?;
        let c = self.client(py)?;
        let records = py
            .detach(|| c.find_calls(&correlation_id))
            .map_err(|e| errors::client(py, &e))?;
        records_to_py(py, records)
    }

    /// Every call the selection matches, as a ``CallIterator`` that fetches
    /// pages as you iterate (each call once, newest first; nothing is sent
    /// before the first ``next``). Pages are fetched ahead on helper
    /// threads: ``prefetch`` pages ahead (``0``, ``1`` or ``2``, the
    /// default; larger values count as 2). Each page fetched ahead is a
    /// request of the 200-per-hour list quota, so a walk abandoned early
    /// may have spent up to ``prefetch`` requests it never yielded:
    /// ``prefetch=0`` spends nothing it does not yield. ``limit=N`` yields
    /// at most N calls and sends no more requests than N needs (pages of
    /// at most N records, nothing fetched ahead).
    ///
    /// Selection (combine freely; at least one of them, except with
    /// ``cursor``):
    ///
    /// - ``campaign_id`` (int > 0, wire ``cp_id``), ``campaign_ref`` (your
    ///   campaign text, wire ``cpid``), ``correlation_id`` (wire ``ctid``;
    ///   ``empty_ctid=True`` selects calls without one);
    /// - ``date_start``/``date_end``: ``datetime.date`` or ``"YYYY-MM-DD"``
    ///   (call dates in America/Sao_Paulo; a ``datetime`` counts as its
    ///   own calendar day, never converted), at most 31 days apart;
    /// - ``only_dtmf``: only calls with a DTMF answer (wire ``onlydtmf``);
    /// - ``numtype``: how the service writes ``destination``:
    ///   ``"international"`` (5511999999999), ``"trunk_prefixed"``/``"0ddd"``
    ///   (011999999999) or ``"ddd"`` (11999999999);
    /// - ``origin``: a marker echoed in each record, ``[A-Za-z0-9_-]{1,32}``;
    /// - ``page_size``: records per page (wire ``maxreg``), an int 1..=5000
    ///   or ``"max"`` (default 5000, the fewest requests against the
    ///   200-per-hour list quota);
    /// - ``cursor``: continue after a previous page (its ``next_cursor``,
    ///   wire ``last_id``).
    ///
    /// Raises: ``ValidationError``/``TypeError`` here, before anything is
    /// sent; while iterating, what ``list_page`` raises and
    /// ``PagingError`` (a cursor cycle, pages that bring nothing new):
    /// records already yielded are kept, iterating again resumes at the
    /// same page.
    #[pyo3(signature = (
        *, campaign_id = None, campaign_ref = None, correlation_id = None,
        date_start = None, date_end = None, empty_ctid = false, only_dtmf = false,
        numtype = None, origin = None, page_size = None, cursor = None, limit = None,
        prefetch = None,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn list_calls<'py>(
        &self,
        py: Python<'py>,
        campaign_id: Option<Bound<'py, PyAny>>,
        campaign_ref: Option<Bound<'py, PyAny>>,
        correlation_id: Option<Bound<'py, PyAny>>,
        date_start: Option<Bound<'py, PyAny>>,
        date_end: Option<Bound<'py, PyAny>>,
        empty_ctid: bool,
        only_dtmf: bool,
        numtype: Option<Bound<'py, PyAny>>,
        origin: Option<Bound<'py, PyAny>>,
        page_size: Option<Bound<'py, PyAny>>,
        cursor: Option<Bound<'py, PyAny>>,
        limit: Option<Bound<'py, PyAny>>,
        prefetch: Option<Bound<'py, PyAny>>,
    ) -> PyResult<PyCallIterator> {
        let limit = limit
            .as_ref()
            .filter(|l| !l.is_none())
            .map(|l| args::limit(py, l))
            .transpose()?;
        let prefetch = prefetch
            .as_ref()
            .filter(|p| !p.is_none())
            .map(|p| args::count(py, p, "prefetch"))
            .transpose()?;
        let query = Selection {
            campaign_id,
            campaign_ref,
            correlation_id,
            date_start,
            date_end,
            empty_ctid,
            only_dtmf,
            numtype,
            origin,
            page_size,
            cursor,
        }
        .build(py)?;
        let c = self.client(py)?;
        let mut walk = c.list_calls(query);
        if let Some(depth) = prefetch {
            walk = walk.prefetch_depth(usize::try_from(depth).unwrap_or(usize::MAX));
        }
        if let Some(n) = limit {
            walk = walk.limit(n);
        }
        Ok(PyCallIterator::new(walk))
    }

    /// One page of the selection, starting at ``cursor`` (the previous
    /// page's ``next_cursor``), as a ``Page``: keep ``next_cursor`` to
    /// resume later (``has_more`` says whether another page exists).
    ///
    /// Selection (combine freely; at least one of them, except with
    /// ``cursor``):
    ///
    /// - ``campaign_id`` (int > 0, wire ``cp_id``), ``campaign_ref`` (your
    ///   campaign text, wire ``cpid``), ``correlation_id`` (wire ``ctid``;
    ///   ``empty_ctid=True`` selects calls without one);
    /// - ``date_start``/``date_end``: ``datetime.date`` or ``"YYYY-MM-DD"``
    ///   (call dates in America/Sao_Paulo; a ``datetime`` counts as its
    ///   own calendar day, never converted), at most 31 days apart;
    /// - ``only_dtmf``: only calls with a DTMF answer (wire ``onlydtmf``);
    /// - ``numtype``: how the service writes ``destination``:
    ///   ``"international"`` (5511999999999), ``"trunk_prefixed"``/``"0ddd"``
    ///   (011999999999) or ``"ddd"`` (11999999999);
    /// - ``origin``: a marker echoed in each record, ``[A-Za-z0-9_-]{1,32}``;
    /// - ``page_size``: records per page (wire ``maxreg``), an int 1..=5000
    ///   or ``"max"`` (default 5000, the fewest requests against the
    ///   200-per-hour list quota);
    /// - ``cursor``: continue after a previous page (its ``next_cursor``,
    ///   wire ``last_id``).
    ///
    /// Raises:
    ///
    /// - ``ValidationError`` (also ``ValueError``) naming each bad field,
    ///   before anything is sent; ``TypeError`` for an argument of the
    ///   wrong type;
    /// - ``AuthenticationError`` (HTTP 401, never retried; ``sent`` is
    ///   ``False`` when refused under the lock-out), ``ForbiddenError``
    ///   (403, IP not allowed), ``RateLimitError`` (429, after waiting up
    ///   to ``max_retry_wait``), ``ApiError`` (another error answer);
    /// - ``ServerError`` (5xx after the retries), ``TransportError`` /
    ///   ``RequestTimeoutError`` (no answer), ``DecodeError`` (an answer
    ///   that cannot be read); ``VelipError`` when the client is closed;
    /// - ``KeyboardInterrupt`` on Ctrl-C (within 0.1 s, also while a
    ///   request is in flight).
    #[pyo3(signature = (
        *, campaign_id = None, campaign_ref = None, correlation_id = None,
        date_start = None, date_end = None, empty_ctid = false, only_dtmf = false,
        numtype = None, origin = None, page_size = None, cursor = None,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn list_page<'py>(
        &self,
        py: Python<'py>,
        campaign_id: Option<Bound<'py, PyAny>>,
        campaign_ref: Option<Bound<'py, PyAny>>,
        correlation_id: Option<Bound<'py, PyAny>>,
        date_start: Option<Bound<'py, PyAny>>,
        date_end: Option<Bound<'py, PyAny>>,
        empty_ctid: bool,
        only_dtmf: bool,
        numtype: Option<Bound<'py, PyAny>>,
        origin: Option<Bound<'py, PyAny>>,
        page_size: Option<Bound<'py, PyAny>>,
        cursor: Option<Bound<'py, PyAny>>,
    ) -> PyResult<PyPage> {
        let query = Selection {
            campaign_id,
            campaign_ref,
            correlation_id,
            date_start,
            date_end,
            empty_ctid,
            only_dtmf,
            numtype,
            origin,
            page_size,
            cursor,
        }
        .build(py)?;
        let c = self.client(py)?;
        let page = py
            .detach(|| c.list_page(&query))
            .map_err(|e| errors::client(py, &e))?;
        PyPage::new(py, page)
    }

    /// Asks the service to deliver the selected calls to your webhook
    /// ``rurl`` (an ``http(s)`` URL) and returns its answer as a ``Page``.
    /// Never retried once it may have reached the service (only failures
    /// to connect are retried), so a delivery is never triggered twice.
    /// Select by ``call_id`` (wire ``cd_id``) or as for ``list_page``.
    ///
    /// Delivery: ``rurl_method`` ``"POST"`` (default) or ``"GET"``;
    /// ``rurl_format`` ``"json"`` (a page, default) or ``"form"`` (one call
    /// per request); ``rurl_headers`` extra headers sent with it;
    /// ``rurl_user``/``rurl_password`` HTTP Basic credentials for your
    /// endpoint (the password never appears in logs or errors). Read the
    /// deliveries with ``velip.parse_webhook``.
    ///
    /// Raises:
    ///
    /// - ``ValidationError`` (also ``ValueError``) naming each bad field,
    ///   before anything is sent; ``TypeError`` for an argument of the
    ///   wrong type;
    /// - ``AuthenticationError`` (HTTP 401, never retried; ``sent`` is
    ///   ``False`` when refused under the lock-out), ``ForbiddenError``
    ///   (403, IP not allowed), ``RateLimitError`` (429, after waiting up
    ///   to ``max_retry_wait``), ``ApiError`` (another error answer);
    /// - ``ServerError`` (5xx after the retries), ``TransportError`` /
    ///   ``RequestTimeoutError`` (no answer), ``DecodeError`` (an answer
    ///   that cannot be read); ``VelipError`` when the client is closed;
    /// - ``KeyboardInterrupt`` on Ctrl-C (within 0.1 s, also while a
    ///   request is in flight).
    #[pyo3(signature = (
        *, rurl, call_id = None, campaign_id = None, campaign_ref = None,
        correlation_id = None, date_start = None, date_end = None,
        empty_ctid = false, only_dtmf = false, numtype = None, origin = None,
        page_size = None, cursor = None, rurl_method = None, rurl_format = None,
        rurl_headers = None, rurl_user = None, rurl_password = None,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn push_to_webhook<'py>(
        &self,
        py: Python<'py>,
        rurl: Bound<'py, PyAny>,
        call_id: Option<Bound<'py, PyAny>>,
        campaign_id: Option<Bound<'py, PyAny>>,
        campaign_ref: Option<Bound<'py, PyAny>>,
        correlation_id: Option<Bound<'py, PyAny>>,
        date_start: Option<Bound<'py, PyAny>>,
        date_end: Option<Bound<'py, PyAny>>,
        empty_ctid: bool,
        only_dtmf: bool,
        numtype: Option<Bound<'py, PyAny>>,
        origin: Option<Bound<'py, PyAny>>,
        page_size: Option<Bound<'py, PyAny>>,
        cursor: Option<Bound<'py, PyAny>>,
        rurl_method: Option<Bound<'py, PyAny>>,
        rurl_format: Option<Bound<'py, PyAny>>,
        rurl_headers: Option<Bound<'py, PyDict>>,
        rurl_user: Option<Bound<'py, PyAny>>,
        rurl_password: Option<Bound<'py, PyAny>>,
    ) -> PyResult<PyPage> {
        let invalid = |e: velip_core::ValidationError| errors::validation(py, &e);
        let mut hook = Webhook::new(args::text(py, &rurl, "rurl")?);
        if let Some(m) = args::opt_text(py, rurl_method.as_ref(), "rurl_method")? {
            hook = hook.method(WebhookMethod::parse(&m).map_err(invalid)?);
        }
        if let Some(f) = args::opt_text(py, rurl_format.as_ref(), "rurl_format")? {
            hook = hook.format(WebhookFormat::parse(&f).map_err(invalid)?);
        }
        if let Some(h) = rurl_headers {
            for (k, v) in h.iter() {
                hook = hook.header(
                    args::text(py, &k, "rurl_headers")?,
                    args::text(py, &v, "rurl_headers")?,
                );
            }
        }
        let user = args::opt_text(py, rurl_user.as_ref(), "rurl_user")?;
        let password = args::opt_text(py, rurl_password.as_ref(), "rurl_password")?;
        hook = hook
            .basic_auth_parts(user, password.map(velip_core::Secret::new))
            .map_err(invalid)?;
        let call_id = args::opt_text(py, call_id.as_ref(), "call_id")?;
        let mut b = Selection {
            campaign_id,
            campaign_ref,
            correlation_id,
            date_start,
            date_end,
            empty_ctid,
            only_dtmf,
            numtype,
            origin,
            page_size,
            cursor,
        }
        .builder(py)?;
        if let Some(id) = call_id {
            b = b.call_id(id);
        }
        let query = b
            .webhook(hook)
            .build()
            .map_err(|e| errors::validation(py, &e))?;
        let c = self.client(py)?;
        let page = py
            .detach(|| c.push_to_webhook(&query))
            .map_err(|e| errors::client(py, &e))?;
        PyPage::new(py, page)
    }

    /// Replaces the credentials with a token (sent as the client was built
    /// to: ``Authorization`` header, or the ``tsid`` body field with
    /// ``token_in_body=True``) and lifts an authentication lock-out
    /// (setting the very token that failed keeps it). Surrounding
    /// whitespace is trimmed.
    ///
    /// Raises: ``ConfigError`` for an empty token or one with inner
    /// whitespace or control characters (the old credentials stay);
    /// ``VelipError`` when the client is closed.
    fn set_token(&self, py: Python<'_>, token: &Bound<'_, PyAny>) -> PyResult<()> {
        let token = args::text(py, token, "token")?;
        let c = self.client(py)?;
        c.set_token(token.as_str())
            .map_err(|e| errors::client(py, &e))?;
        let mut b = self.builder.lock().unwrap_or_else(PoisonError::into_inner);
        *b = b.clone().token(token);
        Ok(())
    }

    /// Replaces the credentials with HTTP Basic ones and lifts an
    /// authentication lock-out (setting the very credentials that failed
    /// keeps it).
    ///
    /// Raises: ``ConfigError`` for an empty user, a user with ``:`` or
    /// control characters, or a password with control characters;
    /// ``VelipError`` when the client is closed.
    fn set_basic_auth(
        &self,
        py: Python<'_>,
        user: &Bound<'_, PyAny>,
        password: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let user = args::text(py, user, "user")?;
        let password = args::text(py, password, "password")?;
        let c = self.client(py)?;
        c.set_basic_auth(&user, password.as_str())
            .map_err(|e| errors::client(py, &e))?;
        let mut b = self.builder.lock().unwrap_or_else(PoisonError::into_inner);
        *b = b.clone().basic_auth(user, password);
        Ok(())
    }

    /// Requests this client has sent (every attempt that may have reached
    /// the service, retries included; refusals of the quota ledger and the
    /// budget are not counted). What ``max_requests`` is checked against.
    #[getter]
    fn requests_sent(&self, py: Python<'_>) -> PyResult<u64> {
        Ok(self.client(py)?.requests_sent())
    }

    /// What the quota ledger (shared by every process of this user) knows
    /// of these credentials on this host, as a ``QuotaReport`` dict:
    /// ``host``; ``credentials`` (``"token"``/``"basic"``) and
    /// ``fingerprint`` (12 hex digits of a keyed hash, never the secret);
    /// ``last_used`` (aware ``datetime`` in UTC, or ``None``); ``list``
    /// (``used``, ``limit``, ``window`` as ``timedelta``,
    /// ``oldest_expires_at``: when a slot frees); ``lookups`` (``day``: the
    /// America/Sao_Paulo ``date``, ``used``, ``limit``: ``None`` until a
    /// daily 429 reveals it); ``retry_after`` (``{"list"|"lookup":
    /// datetime}``, deadlines not passed); ``lockout`` (``since``,
    /// ``code``, ``message``, or ``None``). ``None`` when the ledger is off
    /// (``state_dir="off"`` or ``VELIP_STATE_DIR=off``). Raises nothing: it
    /// reads the ledger and sends no request.
    fn quota_report<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
        let c = self.client(py)?;
        let Some(r) = py.detach(|| c.quota_report()) else {
            return Ok(None);
        };
        let d = PyDict::new(py);
        d.set_item("host", &r.host)?;
        d.set_item("credentials", r.mode.as_str())?;
        d.set_item("fingerprint", r.fingerprint.to_string())?;
        d.set_item("last_used", r.last_used)?;
        let list = PyDict::new(py);
        list.set_item("used", r.list.used)?;
        list.set_item("limit", r.list.limit)?;
        list.set_item("window", r.list.window)?;
        list.set_item("oldest_expires_at", r.list.oldest_expires_at)?;
        d.set_item("list", list)?;
        let lookups = PyDict::new(py);
        lookups.set_item("day", r.lookups.day)?;
        lookups.set_item("used", r.lookups.used)?;
        lookups.set_item("limit", r.lookups.limit)?;
        d.set_item("lookups", lookups)?;
        let retry = PyDict::new(py);
        for (scope, until) in &r.retry_after {
            retry.set_item(scope.as_str(), *until)?;
        }
        d.set_item("retry_after", retry)?;
        match &r.lockout {
            None => d.set_item("lockout", py.None())?,
            Some(l) => {
                let lock = PyDict::new(py);
                lock.set_item("since", l.since)?;
                lock.set_item("code", &l.code)?;
                lock.set_item("message", &l.message)?;
                d.set_item("lockout", lock)?;
            }
        }
        Ok(Some(d))
    }

    /// Clears the authentication lock-out of these credentials (in every
    /// process, through the ledger), as ``velip auth reset`` does. Returns
    /// whether there was one. Clear it only once the credentials are fixed:
    /// each further failure counts towards the service's permanent IP ban.
    /// Raises nothing: it sends no request.
    fn reset_lockout(&self, py: Python<'_>) -> PyResult<bool> {
        let c = self.client(py)?;
        Ok(py.detach(|| c.reset_lockout()))
    }

    /// Releases the connection pool; later calls raise ``VelipError``.
    /// Idempotent; also done by ``with``.
    fn close(&self, py: Python<'_>) {
        crate::convert::close_detached(py, &self.live);
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&self, py: Python<'_>, _args: &Bound<'_, pyo3::types::PyTuple>) {
        self.close(py);
    }

    fn __repr__(&self) -> String {
        format!("Client(base_url='{}')", self.base_url)
    }
}

/// Wraps a walk for `async for` (used by `velip.AsyncClient.list_calls`):
/// its pages are fetched in `executor`'s threads.
#[pyfunction]
pub(crate) fn _async_iterator(
    it: Py<PyCallIterator>,
    executor: Py<PyAny>,
) -> crate::async_iter::PyAsyncCallIterator {
    crate::async_iter::PyAsyncCallIterator::new(it, executor)
}
