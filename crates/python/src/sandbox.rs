//! `velip.testing.Sandbox` and `WebhookReceiver`: the simulator compiled
//! into the extension, for offline integration tests.

use std::sync::Mutex;
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};
use velip_sandbox::{
    FaultPlan, FaultRule, IpPolicy, LimitsConfig, Sandbox, SandboxConfig, WireStyle,
};

use crate::errors;

fn ip_policy(py: Python<'_>, s: &str) -> PyResult<IpPolicy> {
    match s {
        "allow" => Ok(IpPolicy::Allow),
        "warn" => Ok(IpPolicy::Warn),
        "block" => Ok(IpPolicy::Block),
        _ => Err(errors::invalid_value(
            py,
            &format!("ip_policy must be \"allow\", \"warn\" or \"block\", not {s:?}"),
        )),
    }
}

fn fault_plan(py: Python<'_>, rules: &[String]) -> PyResult<FaultPlan> {
    let mut plan = FaultPlan::new();
    for r in rules {
        let rule: FaultRule = r.parse().map_err(|e: velip_sandbox::ParseFaultError| {
            errors::invalid_value(py, &e.to_string())
        })?;
        plan.rules.push(rule);
    }
    Ok(plan)
}

fn limits(
    list_requests: Option<u32>,
    list_window: f64,
    daily_lookups: Option<u32>,
) -> LimitsConfig {
    let mut l = LimitsConfig::generous();
    if let Some(n) = list_requests {
        l.list_requests = n;
    }
    l.list_window = Duration::try_from_secs_f64(list_window).unwrap_or(l.list_window);
    if daily_lookups.is_some() {
        l.daily_lookups = daily_lookups;
    }
    l
}

fn pairs<'py>(py: Python<'py>, p: &[(String, String)]) -> PyResult<Bound<'py, PyList>> {
    PyList::new(py, p.iter().map(|(k, v)| (k.as_str(), v.as_str())))
}

/// A running sandbox (a local HTTP simulator of the Velip service).
#[pyclass(frozen, module = "velip._velip", name = "Sandbox")]
pub(crate) struct PySandbox {
    inner: Mutex<Option<Sandbox>>,
    url: String,
    token: String,
    masked_token: String,
}

impl PySandbox {
    fn with<R>(&self, f: impl FnOnce(&Sandbox) -> R) -> PyResult<R> {
        let guard = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match guard.as_ref() {
            Some(sb) => Ok(f(sb)),
            None => Err(closed()),
        }
    }
}

fn closed() -> PyErr {
    pyo3::exceptions::PyRuntimeError::new_err("the sandbox is closed")
}

#[pymethods]
impl PySandbox {
    #[new]
    #[pyo3(signature = (
        calls = 10_000, *, seed = None, days = None, ip_policy = "allow",
        numbers_as_strings = false, id_alias = None, empty_as_null = false,
        list_requests = None, list_window = 3600.0, daily_lookups = None,
        faults = None, data_file = None,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        calls: usize,
        seed: Option<u64>,
        days: Option<u32>,
        ip_policy: &str,
        numbers_as_strings: bool,
        id_alias: Option<String>,
        empty_as_null: bool,
        list_requests: Option<u32>,
        list_window: f64,
        daily_lookups: Option<u32>,
        faults: Option<Vec<String>>,
        data_file: Option<std::path::PathBuf>,
    ) -> PyResult<Self> {
        let defaults = SandboxConfig::default();
        let config = SandboxConfig {
            calls,
            seed: seed.unwrap_or(defaults.seed),
            days: days.unwrap_or(defaults.days),
            ip_policy: self::ip_policy(py, ip_policy)?,
            wire: WireStyle {
                numbers_as_strings,
                id_alias,
                empty_as_null,
            },
            limits: limits(list_requests, list_window, daily_lookups),
            faults: fault_plan(py, faults.as_deref().unwrap_or_default())?,
            data_file,
            ..defaults
        };
        let sb = py.detach(|| Sandbox::start(config)).map_err(|e| {
            pyo3::exceptions::PyOSError::new_err(format!("cannot start the sandbox: {e}"))
        })?;
        Ok(Self {
            url: sb.url().to_owned(),
            token: sb.token().to_owned(),
            masked_token: sb.masked_token().to_owned(),
            inner: Mutex::new(Some(sb)),
        })
    }

    /// Base URL (`http://127.0.0.1:PORT`): pass it as `base_url=`.
    #[getter]
    fn url(&self) -> &str {
        &self.url
    }

    /// The endpoint URL (`url` + `/api/v2/GetCallStatus.php`).
    #[getter]
    fn endpoint(&self) -> String {
        format!("{}{}", self.url, velip_sandbox::ENDPOINT_PATH)
    }

    /// A token with the "full numbers" option.
    #[getter]
    fn token(&self) -> &str {
        &self.token
    }

    /// A token without it: answers come with masked numbers.
    #[getter]
    fn masked_token(&self) -> &str {
        &self.masked_token
    }

    /// A token of an inactive account (every request answers 401, code 110).
    #[getter]
    #[allow(clippy::unused_self)] // a property, for symmetry with `token`
    fn inactive_token(&self) -> &'static str {
        velip_sandbox::INACTIVE_TOKEN
    }

    /// The HTTP Basic user and password the sandbox accepts.
    #[getter]
    #[allow(clippy::unused_self)] // a property, for symmetry with `token`
    fn basic_auth(&self) -> (&'static str, &'static str) {
        (
            velip_sandbox::DEFAULT_BASIC_USER,
            velip_sandbox::DEFAULT_BASIC_PASSWORD,
        )
    }

    /// Number of calls held.
    #[getter]
    fn call_count(&self) -> PyResult<usize> {
        self.with(Sandbox::call_count)
    }

    /// The newest (highest) call id.
    #[getter]
    fn newest_call_id(&self) -> PyResult<u64> {
        self.with(Sandbox::newest_call_id)
    }

    /// Inserts `n` new calls at the head, as calls arrive while a client
    /// pages; returns their ids, ascending.
    fn insert_calls(&self, n: usize) -> PyResult<Vec<u64>> {
        self.with(|sb| sb.insert_calls(n))
    }

    /// Every request answered since start or the last `reset()`, oldest
    /// first, as dicts (secrets masked).
    fn request_log<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let log = self.with(Sandbox::request_log)?;
        let list = PyList::empty(py);
        for r in log {
            let d = PyDict::new(py);
            d.set_item("seq", r.seq)?;
            d.set_item("method", &r.method)?;
            d.set_item("path", &r.path)?;
            d.set_item("query", pairs(py, &r.query)?)?;
            d.set_item("body", pairs(py, &r.body)?)?;
            d.set_item("content_type", &r.content_type)?;
            d.set_item("user_agent", &r.user_agent)?;
            d.set_item("auth", r.auth.as_str())?;
            d.set_item("status", r.status)?;
            d.set_item("status_code", &r.status_code)?;
            d.set_item("fault", &r.fault)?;
            list.append(d)?;
        }
        Ok(list)
    }

    /// Clears the request log only.
    fn clear_request_log(&self) -> PyResult<()> {
        self.with(Sandbox::clear_request_log)
    }

    /// Replaces the fault plan; rules as text, `TRIGGER=KIND`: `1=503`,
    /// `2-4=429:1`, `p0.1=reset`, `1=delay:2000`, `3=badjson`, `1=stuck`,
    /// `2=badrecord` (request numbering restarts at 1).
    fn set_faults(&self, py: Python<'_>, rules: Vec<String>) -> PyResult<()> {
        let plan = fault_plan(py, &rules)?;
        self.with(|sb| sb.set_faults(plan))
    }

    /// Replaces the rate limits (counters are kept).
    #[pyo3(signature = (*, list_requests = None, list_window = 3600.0, daily_lookups = None))]
    fn set_limits(
        &self,

        list_requests: Option<u32>,
        list_window: f64,
        daily_lookups: Option<u32>,
    ) -> PyResult<()> {
        let l = limits(list_requests, list_window, daily_lookups);
        self.with(|sb| sb.set_limits(l))
    }

    /// `"allow"`, `"warn"` (list answers carry a warning) or `"block"`
    /// (list requests answer 403, code 105).
    fn set_ip_policy(&self, py: Python<'_>, policy: &str) -> PyResult<()> {
        let p = self::ip_policy(py, policy)?;
        self.with(|sb| sb.set_ip_policy(p))
    }

    /// Failure counters and ban state of the local client.
    fn client_status<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let s = self.with(Sandbox::local_client_status)?;
        let d = PyDict::new(py);
        d.set_item("recent_failures", s.recent_failures)?;
        d.set_item("failures_last_hour", s.failures_last_hour)?;
        d.set_item("sid_not_found", s.sid_not_found)?;
        d.set_item("bad_userpass", s.bad_userpass)?;
        d.set_item("temporarily_blocked", s.temporarily_blocked)?;
        d.set_item("banned", s.banned)?;
        Ok(d)
    }

    /// Moves the sandbox clock forward (rate-limit windows and bans expire).
    fn advance_clock(&self, py: Python<'_>, seconds: f64) -> PyResult<()> {
        let d = Duration::try_from_secs_f64(seconds)
            .map_err(|e| errors::invalid_value(py, &e.to_string()))?;
        self.with(|sb| sb.advance_clock(d))
    }

    /// Webhook deliveries finished so far, as dicts.
    #[pyo3(signature = (n = 0, timeout = 0.0))]
    fn deliveries<'py>(
        &self,
        py: Python<'py>,
        n: usize,
        timeout: f64,
    ) -> PyResult<Bound<'py, PyList>> {
        let t = Duration::try_from_secs_f64(timeout).unwrap_or_default();
        let guard = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let Some(sb) = guard.as_ref() else {
            return Err(pyo3::exceptions::PyRuntimeError::new_err(
                "the sandbox is closed",
            ));
        };
        let list = py.detach(|| sb.wait_for_deliveries(n, t));
        drop(guard);
        let out = PyList::empty(py);
        for d in list {
            let dict = PyDict::new(py);
            dict.set_item("url", &d.url)?;
            dict.set_item("method", &d.method)?;
            dict.set_item("content_type", &d.content_type)?;
            dict.set_item("body", &d.body)?;
            dict.set_item("call_ids", &d.call_ids)?;
            dict.set_item("attempts", d.attempts)?;
            dict.set_item("status", d.status)?;
            dict.set_item("delivered", d.delivered)?;
            out.append(dict)?;
        }
        Ok(out)
    }

    /// Clears logs, counters, bans, quotas, the fault numbering and the clock
    /// offset (the data is kept).
    fn reset(&self) -> PyResult<()> {
        self.with(Sandbox::reset)
    }

    /// Stops the server (also done on `__exit__`).
    fn close(&self, py: Python<'_>) {
        crate::convert::close_detached(py, &self.inner);
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&self, py: Python<'_>, _args: &Bound<'_, pyo3::types::PyTuple>) {
        self.close(py);
    }

    fn __repr__(&self) -> String {
        format!("Sandbox(url='{}')", self.url)
    }
}

/// A local HTTP server that records every request it gets (point a
/// webhook's `rurl` at `url`).
#[pyclass(frozen, module = "velip._velip", name = "WebhookReceiver")]
pub(crate) struct PyWebhookReceiver {
    inner: Mutex<Option<velip_sandbox::WebhookReceiver>>,
    url: String,
}

#[pymethods]
impl PyWebhookReceiver {
    #[new]
    fn new(py: Python<'_>) -> PyResult<Self> {
        let r = py
            .detach(velip_sandbox::WebhookReceiver::start)
            .map_err(|e| {
                pyo3::exceptions::PyOSError::new_err(format!("cannot start the receiver: {e}"))
            })?;
        Ok(Self {
            url: r.url().to_owned(),
            inner: Mutex::new(Some(r)),
        })
    }

    /// `http://127.0.0.1:PORT/hook` (any path is accepted).
    #[getter]
    fn url(&self) -> &str {
        &self.url
    }

    /// Answer this HTTP status from now on (200 by default).
    fn set_status(&self, status: u16) {
        if let Some(r) = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_ref()
        {
            r.set_status(status);
        }
    }

    /// Requests received so far (waits until at least `n` arrived or
    /// `timeout` seconds passed), as dicts with `method`, `path`, `query`,
    /// `headers` (lower-case names), `content_type` and `body` (bytes).
    #[pyo3(signature = (n = 0, timeout = 0.0))]
    fn requests<'py>(
        &self,
        py: Python<'py>,
        n: usize,
        timeout: f64,
    ) -> PyResult<Bound<'py, PyList>> {
        let t = Duration::try_from_secs_f64(timeout).unwrap_or_default();
        let guard = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let reqs = match guard.as_ref() {
            Some(r) => py.detach(|| r.wait_for(n, t)),
            None => Vec::new(),
        };
        drop(guard);
        let out = PyList::empty(py);
        for r in reqs {
            let d = PyDict::new(py);
            d.set_item("method", &r.method)?;
            d.set_item("path", &r.path)?;
            d.set_item("query", &r.query)?;
            d.set_item("headers", pairs(py, &r.headers)?)?;
            d.set_item("content_type", r.header("content-type").unwrap_or(""))?;
            d.set_item("body", PyBytes::new(py, &r.body))?;
            out.append(d)?;
        }
        Ok(out)
    }

    /// Stops the server.
    fn close(&self, py: Python<'_>) {
        crate::convert::close_detached(py, &self.inner);
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&self, py: Python<'_>, _args: &Bound<'_, pyo3::types::PyTuple>) {
        self.close(py);
    }

    fn __repr__(&self) -> String {
        format!("WebhookReceiver(url='{}')", self.url)
    }
}
