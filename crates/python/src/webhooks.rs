//! `velip.webhooks`: the credential check and the delivery decoding of the
//! Rust receiver (`velip webhook listen`), for Python web frameworks.
//! Nothing is decided here: `velip_webhook::ReceiverConfig` checks
//! credentials (constant time), `velip_webhook::Delivery::decode` reads a
//! delivery.

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyString, PyTuple};
use velip_core::query::{WebhookFormat, WebhookMethod};
use velip_webhook::{Delivery, ReceiverConfig, RequiredHeader};

use crate::args;
use crate::convert::py_class;
use crate::errors;
use crate::functions::body;
use crate::record::{PyCallRecord, record_list, records_to_py};

/// Who may deliver: HTTP Basic credentials and/or required headers, checked
/// in constant time by the same code as the Rust receiver. Secrets never
/// show in `repr`.
#[pyclass(frozen, module = "velip._velip", name = "WebhookAuth")]
pub(crate) struct PyWebhookAuth {
    config: ReceiverConfig,
}

/// Text from a `str` or `bytes` (UTF-8) item, naming `what` on failure.
fn text_or_bytes(py: Python<'_>, obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Vec<u8>> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(b.as_bytes().to_vec());
    }
    if obj.is_instance_of::<PyString>() {
        return Ok(args::text(py, obj, what)?.into_bytes());
    }
    Err(pyo3::exceptions::PyTypeError::new_err(format!(
        "{what} must be str or bytes, not {}",
        obj.get_type().name()?
    )))
}

/// `(name, value)` pairs of a mapping (its `items()`, which for
/// Starlette's, Flask's and Django's header objects repeats a name sent
/// twice) or of an iterable of pairs.
fn pairs(
    py: Python<'_>,
    headers: &Bound<'_, PyAny>,
    what: &str,
) -> PyResult<Vec<(Vec<u8>, Vec<u8>)>> {
    let items = if headers.hasattr("items")? {
        headers.call_method0("items")?
    } else {
        headers.clone()
    };
    let mut out = Vec::new();
    for item in items.try_iter()? {
        let item = item?;
        let pair = item.cast::<PyTuple>().map_err(|_| {
            pyo3::exceptions::PyTypeError::new_err(format!(
                "{what} must be a mapping or an iterable of (name, value) pairs"
            ))
        })?;
        if pair.len() != 2 {
            return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                "{what}: each item must be a (name, value) pair"
            )));
        }
        out.push((
            text_or_bytes(py, &pair.get_item(0)?, what)?,
            text_or_bytes(py, &pair.get_item(1)?, what)?,
        ));
    }
    Ok(out)
}

fn config_error(py: Python<'_>, e: &velip_webhook::ConfigError) -> PyErr {
    errors::invalid_value(py, &e.to_string())
}

#[pymethods]
impl PyWebhookAuth {
    /// `user`/`password`: the Basic credentials a delivery must carry
    /// (`rurl_user`/`rurl_password`; both or neither). `require_headers`:
    /// headers it must carry with exactly these values (`rurl_headers`), as
    /// a mapping `{"X-Velip-Key": "..."}`, `(name, value)` pairs, or
    /// `"Name: value"` lines. With nothing configured every request passes.
    ///
    /// Raises: `ValidationError` for a password without user (or the
    /// reverse), an empty or `:`-holding user, a header name that is no
    /// HTTP token, an empty value or one with control characters (the
    /// message never quotes a secret).
    #[new]
    #[pyo3(signature = (*, user = None, password = None, require_headers = None))]
    fn new(
        py: Python<'_>,
        user: Option<Bound<'_, PyAny>>,
        password: Option<Bound<'_, PyAny>>,
        require_headers: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let user = args::opt_text(py, user.as_ref(), "user")?;
        let password = args::opt_text(py, password.as_ref(), "password")?;
        let mut config = ReceiverConfig::new();
        match (user, password) {
            (Some(u), Some(p)) => config = config.basic_auth(u, p),
            (None, None) => {}
            (Some(_), None) => return Err(errors::invalid_value(py, "user needs a password")),
            (None, Some(_)) => return Err(errors::invalid_value(py, "password needs a user")),
        }
        if let Some(h) = require_headers.filter(|h| !h.is_none()) {
            let lines: Vec<(String, String)> = if h.hasattr("items")? {
                pairs_text(py, &h)?
            } else {
                let mut v = Vec::new();
                for item in h.try_iter()? {
                    let item = item?;
                    if item.is_instance_of::<PyString>() {
                        let line = args::text(py, &item, "require_headers")?;
                        let (n, val) = line.split_once(':').ok_or_else(|| {
                            errors::invalid_value(
                                py,
                                "invalid receiver setting `require_header`: must be written `Name: value`",
                            )
                        })?;
                        v.push((n.trim().to_owned(), val.trim().to_owned()));
                    } else {
                        let t = pairs_text(py, PyList::new(py, [item])?.as_any())?;
                        v.extend(t);
                    }
                }
                v
            };
            for (name, value) in lines {
                let header = RequiredHeader::new(&name, value).map_err(|e| config_error(py, &e))?;
                config = config.required_header(header);
            }
        }
        config.validate().map_err(|e| config_error(py, &e))?;
        Ok(Self { config })
    }

    /// Whether a request with these headers may deliver: a mapping
    /// (Starlette/FastAPI `request.headers`, Flask `request.headers`,
    /// Django `request.headers`, a `dict`) or `(name, value)` pairs (str
    /// or bytes). Names are case-insensitive; every check runs, each in
    /// constant time. Answer a `False` with 401 and no detail (add
    /// `WWW-Authenticate: <www_authenticate>` when it is not `None`).
    ///
    /// Raises: `TypeError` for headers of another shape.
    fn verify(&self, py: Python<'_>, headers: &Bound<'_, PyAny>) -> PyResult<bool> {
        let pairs = pairs(py, headers, "headers")?;
        let config = &self.config;
        Ok(py.detach(|| {
            config.authorizes_pairs(pairs.iter().map(|(n, v)| (n.as_slice(), v.as_slice())))
        }))
    }

    /// The `WWW-Authenticate` value for a 401 when Basic credentials are
    /// required, else `None`.
    #[getter]
    fn www_authenticate(&self) -> Option<&'static str> {
        self.config.www_authenticate()
    }

    /// The Basic user required, or `None`.
    #[getter]
    fn user(&self) -> Option<&str> {
        self.config
            .get_basic_auth()
            .map(velip_webhook::BasicAuth::user)
    }

    /// The names of the required headers (lower-case); never their values.
    #[getter]
    fn required_headers(&self) -> Vec<String> {
        self.config
            .get_required_headers()
            .iter()
            .map(|h| h.name().to_owned())
            .collect()
    }

    fn __repr__(&self) -> String {
        let user = self
            .config
            .get_basic_auth()
            .map_or_else(|| "None".to_owned(), |b| format!("'{}'", b.user()));
        let basic = if self.config.get_basic_auth().is_some() {
            ", password='***'"
        } else {
            ""
        };
        let names: Vec<String> = self
            .required_headers()
            .iter()
            .map(|n| format!("'{n}'"))
            .collect();
        format!(
            "WebhookAuth(user={user}{basic}, required_headers=[{}])",
            names.join(", ")
        )
    }
}

/// [`pairs`] as text.
fn pairs_text(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<Vec<(String, String)>> {
    pairs(py, obj, "require_headers")?
        .into_iter()
        .map(
            |(n, v)| match (String::from_utf8(n), String::from_utf8(v)) {
                (Ok(n), Ok(v)) => Ok((n, v)),
                _ => Err(errors::invalid_value(
                    py,
                    "require_headers: names and values must be UTF-8 text",
                )),
            },
        )
        .collect()
}

/// One webhook delivery, decoded by the Rust core into the same records as
/// a walk: `records` (JSON page: many; form: one), `rejected` (entries of a
/// JSON page without a readable `cd_id`, kept with their raw text; store
/// them too), `method` (`"POST"`/`"GET"`), `format` (`"json"`/`"form"`).
#[pyclass(frozen, module = "velip._velip", name = "WebhookDelivery")]
pub(crate) struct PyWebhookDelivery {
    method: WebhookMethod,
    format: WebhookFormat,
    records: Vec<Py<PyCallRecord>>,
    rejected: Vec<velip_core::RejectedRecord>,
    has_more: bool,
    next_cursor: Option<String>,
    size: usize,
}

#[pymethods]
impl PyWebhookDelivery {
    /// The calls delivered, in delivery order (a new list on each access).
    #[getter]
    fn records<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        record_list(py, &self.records)
    }

    /// The call ids delivered (`"42_123456"`), in delivery order.
    #[getter]
    fn call_ids(&self) -> Vec<String> {
        self.records
            .iter()
            .map(|r| r.get().inner.call_id.to_string())
            .collect()
    }

    /// Entries that could not be read as calls (JSON deliveries only):
    /// `velip.webhooks.RejectedEntry(index, raw, problem)` with the raw
    /// JSON text; keep them for inspection.
    #[getter]
    fn rejected<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let entry = py_class(py, "velip.webhooks", "RejectedEntry")?;
        let problem = py_class(py, "velip._types", "Problem")?;
        let list = PyList::empty(py);
        for r in &self.rejected {
            let p = problem.call1((
                r.problem.field.as_str(),
                r.problem.raw.as_str(),
                r.problem.rule.as_str(),
            ))?;
            list.append(entry.call1((r.index, r.raw.as_str(), p))?)?;
        }
        Ok(list)
    }

    /// `"POST"` or `"GET"` (`rurl_method`).
    #[getter]
    fn method(&self) -> &'static str {
        self.method.as_wire()
    }

    /// `"json"` (a page) or `"form"` (one call) (`rurl_type`), as read.
    #[getter]
    fn format(&self) -> &'static str {
        self.format.as_wire()
    }

    /// A JSON delivery of a truncated page says another page follows.
    #[getter]
    fn has_more(&self) -> bool {
        self.has_more
    }

    /// The cursor after a truncated JSON page, else `None`.
    #[getter]
    fn next_cursor(&self) -> Option<&str> {
        self.next_cursor.as_deref()
    }

    /// Bytes delivered (the body, or the query string of a GET).
    #[getter]
    fn size(&self) -> usize {
        self.size
    }

    fn __len__(&self) -> usize {
        self.records.len()
    }

    fn __repr__(&self) -> String {
        format!(
            "WebhookDelivery(method='{}', format='{}', calls={}, rejected={})",
            self.method.as_wire(),
            self.format.as_wire(),
            self.records.len(),
            self.rejected.len()
        )
    }
}

/// Decodes one webhook delivery as it arrived: `method` (`"POST"` or
/// `"GET"`), `content_type` (the request's `Content-Type`; empty: sniffed),
/// `query_string` (a GET's: form keys, or the JSON text in `json=`) and
/// `body` (a POST's raw bytes). The receiver of `velip webhook listen`
/// decodes with the same function.
///
/// Raises: `DecodeError` for a delivery that cannot be read (answer 400):
/// not JSON, no readable `cd_id` in a form delivery, nothing delivered;
/// `ValidationError` for another method (answer 405) or text that cannot
/// be encoded; `TypeError` for a `body` that is neither `bytes` nor `str`.
#[pyfunction]
#[pyo3(signature = (method, *, content_type = None, query_string = None, body = None))]
pub(crate) fn parse_delivery(
    py: Python<'_>,
    method: &Bound<'_, PyAny>,
    content_type: Option<Bound<'_, PyAny>>,
    query_string: Option<Bound<'_, PyAny>>,
    body: Option<Bound<'_, PyAny>>,
) -> PyResult<PyWebhookDelivery> {
    let method = WebhookMethod::parse(&args::text(py, method, "method")?)
        .map_err(|e| errors::validation(py, &e))?;
    let content_type = args::opt_text(py, content_type.as_ref(), "content_type")?;
    let raw: Vec<u8> = match method {
        WebhookMethod::Get => match query_string.as_ref().filter(|q| !q.is_none()) {
            Some(q) => self::body(q)?.into_owned(),
            None => Vec::new(),
        },
        WebhookMethod::Post => match body.as_ref().filter(|b| !b.is_none()) {
            Some(b) => self::body(b)?.into_owned(),
            None => Vec::new(),
        },
    };
    let size = raw.len();
    let delivery = py
        .detach(|| Delivery::decode(method, content_type.as_deref(), raw.into()))
        .map_err(|e| errors::decode(py, &e))?;
    let format = delivery.format();
    let payload = delivery.payload;
    let has_more = payload.pagination.as_ref().is_some_and(|p| p.has_more);
    let next_cursor = payload
        .pagination
        .as_ref()
        .and_then(velip_core::Pagination::next_cursor)
        .map(|c| c.as_str().to_owned());
    Ok(PyWebhookDelivery {
        method,
        format,
        records: records_to_py(py, payload.records)?,
        rejected: payload.rejected,
        has_more,
        next_cursor,
        size,
    })
}
