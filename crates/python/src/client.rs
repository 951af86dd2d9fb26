//! `Client`: the blocking client, with the GIL released during I/O.

use std::sync::{Arc, Mutex, PoisonError};

use chrono::NaiveDate;
use pyo3::prelude::*;
use pyo3::types::{PyDate, PyDateTime, PyDict, PyString};
use velip_blocking::{Client, ClientBuilder};
use velip_core::NumberFormat;
use velip_core::query::{DateArg, Query, QueryBuilder, Webhook, WebhookFormat, WebhookMethod};

use crate::args::{self, PageSize};
use crate::errors;
use crate::iter::PyCallIterator;
use crate::page::PyPage;
use crate::record::{PyCallRecord, records_to_py};

/// A date argument: `datetime.date`, `datetime.datetime` (its own calendar
/// day, never converted to another time zone) or `"YYYY-MM-DD"`.
pub(crate) fn date_arg(obj: &Bound<'_, PyAny>) -> PyResult<DateArg> {
    if obj.is_instance_of::<PyDateTime>() {
        let d: NaiveDate = obj.call_method0("date")?.extract()?;
        Ok(DateArg::Date(d))
    } else if obj.is_instance_of::<PyDate>() {
        Ok(DateArg::Date(obj.extract()?))
    } else if let Ok(s) = obj.cast::<PyString>() {
        Ok(DateArg::Text(s.to_cow()?.into_owned()))
    } else {
        Err(pyo3::exceptions::PyTypeError::new_err(
            "a date must be a datetime.date or a \"YYYY-MM-DD\" string",
        ))
    }
}

/// The selection parameters shared by `list_calls`, `list_page` and
/// `push_to_webhook`.
pub(crate) struct Selection<'py> {
    pub(crate) campaign_id: Option<Bound<'py, PyAny>>,
    pub(crate) campaign_ref: Option<String>,
    pub(crate) correlation_id: Option<String>,
    pub(crate) date_start: Option<Bound<'py, PyAny>>,
    pub(crate) date_end: Option<Bound<'py, PyAny>>,
    pub(crate) empty_ctid: bool,
    pub(crate) only_dtmf: bool,
    pub(crate) numtype: Option<String>,
    pub(crate) origin: Option<String>,
    pub(crate) page_size: Option<Bound<'py, PyAny>>,
    pub(crate) cursor: Option<String>,
}

impl Selection<'_> {
    fn builder(self, py: Python<'_>) -> PyResult<QueryBuilder> {
        let mut b = Query::builder();
        if let Some(id) = &self.campaign_id {
            b = b.campaign_id(args::campaign_id(py, id)?);
        }
        if let Some(r) = self.campaign_ref {
            b = b.campaign_ref(r);
        }
        if let Some(c) = self.correlation_id {
            b = b.correlation_id(c);
        }
        if self.empty_ctid {
            b = b.empty_correlation_id();
        }
        if let Some(d) = &self.date_start {
            b = b.date_start(date_arg(d)?);
        }
        if let Some(d) = &self.date_end {
            b = b.date_end(date_arg(d)?);
        }
        b = b.only_dtmf(self.only_dtmf);
        if let Some(n) = self.numtype {
            let f = NumberFormat::parse_arg(&n).map_err(|e| errors::validation(py, &e))?;
            b = b.number_format(f);
        }
        if let Some(o) = self.origin {
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
        if let Some(c) = self.cursor {
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
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new<'py>(
        py: Python<'py>,
        token: Option<String>,
        base_url: Option<String>,
        basic_auth: Option<(String, String)>,
        timeout: Option<Bound<'py, PyAny>>,
        connect_timeout: Option<Bound<'py, PyAny>>,
        max_retries: Option<Bound<'py, PyAny>>,
        max_retry_wait: Option<Bound<'py, PyAny>>,
        proxy: Option<String>,
        ca_bundle: Option<std::path::PathBuf>,
        token_in_body: bool,
        strict: bool,
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
        if let Some(u) = base_url {
            b = b.base_url(u);
        }
        if let Some(t) = token {
            b = b.token(t);
        }
        if let Some((user, password)) = basic_auth {
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
        if let Some(p) = proxy {
            b = b.proxy(p);
        }
        if let Some(path) = ca_bundle {
            b = b.ca_file(path);
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

    /// The base URL requests go to.
    #[getter]
    fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The `User-Agent` sent (`velip/0.1.0 python/3.11`).
    #[getter]
    fn user_agent(&self, py: Python<'_>) -> PyResult<String> {
        Ok(self.client(py)?.user_agent().to_owned())
    }

    /// One call by id (`"42_123456"` or bare digits).
    fn get_call(&self, py: Python<'_>, call_id: &str) -> PyResult<PyCallRecord> {
        let c = self.client(py)?;
        py.detach(|| c.get_call(call_id))
            .map(PyCallRecord::new)
            .map_err(|e| errors::client(py, &e))
    }

    /// Every call with this correlation id (all pages).
    fn find_calls(&self, py: Python<'_>, correlation_id: &str) -> PyResult<Vec<Py<PyCallRecord>>> {
        let c = self.client(py)?;
        let records = py
            .detach(|| c.find_calls(correlation_id))
            .map_err(|e| errors::client(py, &e))?;
        records_to_py(py, records)
    }

    /// Every call the selection matches, fetched page by page as you
    /// iterate.
    #[pyo3(signature = (
        *, campaign_id = None, campaign_ref = None, correlation_id = None,
        date_start = None, date_end = None, empty_ctid = false, only_dtmf = false,
        numtype = None, origin = None, page_size = None, cursor = None,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn list_calls<'py>(
        &self,
        py: Python<'py>,
        campaign_id: Option<Bound<'py, PyAny>>,
        campaign_ref: Option<String>,
        correlation_id: Option<String>,
        date_start: Option<Bound<'py, PyAny>>,
        date_end: Option<Bound<'py, PyAny>>,
        empty_ctid: bool,
        only_dtmf: bool,
        numtype: Option<String>,
        origin: Option<String>,
        page_size: Option<Bound<'py, PyAny>>,
        cursor: Option<String>,
    ) -> PyResult<PyCallIterator> {
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
        Ok(PyCallIterator::new(c.list_calls(query)))
    }

    /// One page, starting at `cursor` (the previous page's `next_cursor`).
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
        campaign_ref: Option<String>,
        correlation_id: Option<String>,
        date_start: Option<Bound<'py, PyAny>>,
        date_end: Option<Bound<'py, PyAny>>,
        empty_ctid: bool,
        only_dtmf: bool,
        numtype: Option<String>,
        origin: Option<String>,
        page_size: Option<Bound<'py, PyAny>>,
        cursor: Option<String>,
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

    /// Asks the service to deliver the selected calls to the webhook `rurl`
    /// (never retried once sent). Select by `call_id`, `correlation_id`,
    /// campaign or dates.
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
        rurl: String,
        call_id: Option<String>,
        campaign_id: Option<Bound<'py, PyAny>>,
        campaign_ref: Option<String>,
        correlation_id: Option<String>,
        date_start: Option<Bound<'py, PyAny>>,
        date_end: Option<Bound<'py, PyAny>>,
        empty_ctid: bool,
        only_dtmf: bool,
        numtype: Option<String>,
        origin: Option<String>,
        page_size: Option<Bound<'py, PyAny>>,
        cursor: Option<String>,
        rurl_method: Option<String>,
        rurl_format: Option<String>,
        rurl_headers: Option<Bound<'py, PyDict>>,
        rurl_user: Option<String>,
        rurl_password: Option<String>,
    ) -> PyResult<PyPage> {
        let invalid = |e: velip_core::ValidationError| errors::validation(py, &e);
        let mut hook = Webhook::new(rurl);
        if let Some(m) = rurl_method {
            hook = hook.method(WebhookMethod::parse(&m).map_err(invalid)?);
        }
        if let Some(f) = rurl_format {
            hook = hook.format(WebhookFormat::parse(&f).map_err(invalid)?);
        }
        if let Some(h) = rurl_headers {
            for (k, v) in h.iter() {
                hook = hook.header(k.extract::<String>()?, v.extract::<String>()?);
            }
        }
        hook = hook
            .basic_auth_parts(rurl_user, rurl_password.map(velip_core::Secret::new))
            .map_err(invalid)?;
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

    /// Replaces the credentials with a token (clears an authentication
    /// lock-out).
    fn set_token(&self, py: Python<'_>, token: String) -> PyResult<()> {
        let c = self.client(py)?;
        c.set_token(token.as_str())
            .map_err(|e| errors::client(py, &e))?;
        let mut b = self.builder.lock().unwrap_or_else(PoisonError::into_inner);
        *b = b.clone().token(token);
        Ok(())
    }

    /// Replaces the credentials with HTTP Basic ones (clears an
    /// authentication lock-out).
    fn set_basic_auth(&self, py: Python<'_>, user: String, password: String) -> PyResult<()> {
        let c = self.client(py)?;
        c.set_basic_auth(&user, password.as_str())
            .map_err(|e| errors::client(py, &e))?;
        let mut b = self.builder.lock().unwrap_or_else(PoisonError::into_inner);
        *b = b.clone().basic_auth(user, password);
        Ok(())
    }

    /// Releases the connection pool; later calls raise `VelipError`.
    fn close(&self, py: Python<'_>) {
        crate::convert::close_detached(py, &self.live);
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&self, py: Python<'_>, _args: &Bound<'_, pyo3::types::PyTuple>) -> bool {
        self.close(py);
        false
    }

    fn __repr__(&self) -> String {
        format!("Client(base_url='{}')", self.base_url)
    }
}
