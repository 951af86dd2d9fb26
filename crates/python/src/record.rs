//! `CallRecord`: one call, typed, immutable.

use pyo3::basic::CompareOp;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyList, PyString};
use serde_json::{Map, Value};
use velip_core::{CallRecord, Destination};

use crate::convert::{
    StackStr, json_map_to_py, json_to_py, opt_date, opt_decimal, opt_time, py_class,
};
use crate::errors;
use crate::phone::{PyMaskedNumber, PyPhoneNumber};

/// One call record. Every attribute but `call_id` may be `None` (the
/// service's absent, `null` and `""` all read as "no value", never 0).
#[pyclass(frozen, module = "velip._velip", name = "CallRecord")]
pub(crate) struct PyCallRecord {
    pub(crate) inner: CallRecord,
}

impl PyCallRecord {
    pub(crate) fn new(inner: CallRecord) -> Self {
        Self { inner }
    }
}

/// Wraps records as Python objects.
pub(crate) fn records_to_py(
    py: Python<'_>,
    records: Vec<CallRecord>,
) -> PyResult<Vec<Py<PyCallRecord>>> {
    records
        .into_iter()
        .map(|r| Py::new(py, PyCallRecord::new(r)))
        .collect()
}

/// A wire enum class of `velip._enums` with its known members cached.
struct WireEnum {
    class: &'static str,
    /// The wire texts of the known members, in `members` order.
    known: &'static [&'static str],
    /// `(class, members)`, looked up once.
    cache: PyOnceLock<(Py<PyAny>, Vec<Py<PyAny>>)>,
}

impl WireEnum {
    /// `Class(wire)`: a cached member for known values, the class's own
    /// lookup (pseudo-member) for the others.
    fn get<'py>(&self, py: Python<'py>, wire: &str) -> PyResult<Bound<'py, PyAny>> {
        let (class, members) = self.cache.get_or_try_init(py, || -> PyResult<_> {
            let class = py_class(py, "velip._enums", self.class)?;
            let members = self
                .known
                .iter()
                .map(|w| class.call1((*w,)).map(Bound::unbind))
                .collect::<PyResult<Vec<_>>>()?;
            Ok((class.unbind(), members))
        })?;
        match self.known.iter().position(|k| *k == wire) {
            Some(i) => Ok(members[i].bind(py).clone()),
            None => class.bind(py).call1((wire,)),
        }
    }
}

static CALL_STATUS: WireEnum = WireEnum {
    class: "CallStatus",
    known: &[
        "OK",
        "BUSY",
        "NOANSWER",
        "CANCEL",
        "CONGESTION",
        "CHANUNAVAIL",
    ],
    cache: PyOnceLock::new(),
};

static AMD_RESULT: WireEnum = WireEnum {
    class: "AmdResult",
    known: &["MA", "HM", "ND"],
    cache: PyOnceLock::new(),
};

/// The record in the service's own wire shape, so that decoding it again
/// gives the same record (used by pickle).
fn to_wire(r: &CallRecord) -> Value {
    let mut m = Map::new();
    for (k, v) in &r.extra {
        m.insert(k.clone(), v.clone());
    }
    let mut put = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            m.insert(k.to_owned(), Value::String(v));
        }
    };
    put("cd_id", Some(r.call_id.to_string()));
    put(
        "cd_status",
        r.status.as_ref().map(|s| s.as_wire().to_owned()),
    );
    put("cd_amdasw", r.amd.as_ref().map(|s| s.as_wire().to_owned()));
    put("cp_id", r.campaign_id.map(|n| n.to_string()));
    put("cpid", r.campaign_ref.clone());
    put("ctid", r.correlation_id.clone());
    put("origin", r.origin.clone());
    put("dest", r.destination.as_ref().map(ToString::to_string));
    put("date", r.date.map(|d| d.format("%Y-%m-%d").to_string()));
    let time = |t: Option<chrono::NaiveTime>| t.map(|t| t.format("%H:%M:%S").to_string());
    put("time_dial", time(r.dial_time));
    put("time_start", time(r.answer_time));
    put("time_end", time(r.hangup_time));
    put("dur", r.duration_seconds.map(|n| n.to_string()));
    put("route", r.route.clone());
    put("rate", r.rate.map(|d| d.to_string()));
    put("value", r.value.map(|d| d.to_string()));
    put("cdr_url", r.recording_url.clone());
    put("cdr_sec", r.recording_seconds.map(|n| n.to_string()));
    for (i, d) in r.dtmf.iter().enumerate() {
        put(&format!("resp_{}", i + 1), Some(d.clone()));
    }
    Value::Object(m)
}

/// Rebuilds a record from its wire form (the inverse of `to_wire`).
fn from_wire(py: Python<'_>, wire: &[u8]) -> PyResult<CallRecord> {
    let record: Value = serde_json::from_slice(wire)
        .map_err(|e| errors::invalid_value(py, &format!("bad pickled CallRecord: {e}")))?;
    let body = serde_json::json!({
        "return": {"status": "OK", "status_code": "0"},
        "calls": [record],
    });
    let page = velip_core::decode::decode_page(body.to_string().as_bytes())
        .map_err(|e| errors::decode(py, &e))?;
    page.records
        .into_iter()
        .next()
        .ok_or_else(|| errors::invalid_value(py, "bad pickled CallRecord: no record"))
}

/// Unpickles a `CallRecord` (the callable `CallRecord.__reduce__` names).
#[pyfunction]
pub(crate) fn _record_from_wire(py: Python<'_>, wire: &[u8]) -> PyResult<PyCallRecord> {
    from_wire(py, wire).map(PyCallRecord::new)
}

fn repr_opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "None".to_owned(), |v| format!("'{v}'"))
}

#[pymethods]
impl PyCallRecord {
    /// `cd_id`: the call id, `"42_123456"` or bare `"123456"`.
    #[getter]
    fn call_id<'py>(&self, py: Python<'py>) -> Bound<'py, PyString> {
        let id = &self.inner.call_id;
        // `alias_number` (as `CallId`'s `Display`), built on the stack.
        let mut digits = [0u8; 20];
        let digits = crate::convert::u64_digits(id.number(), &mut digits);
        let mut s = StackStr::<64>::new();
        if let Some(a) = id.alias() {
            s.push_str(a);
            s.push_str("_");
        }
        s.push_str(digits);
        PyString::new(py, s.as_str())
    }

    /// The numeric part of the call id (records are ordered by it, newest
    /// first).
    #[getter]
    fn call_number(&self) -> u64 {
        self.inner.call_id.number()
    }

    /// `cd_status` as a `CallStatus` (unknown values kept).
    #[getter]
    fn status<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.inner
            .status
            .as_ref()
            .map(|s| CALL_STATUS.get(py, s.as_wire()))
            .transpose()
    }

    /// `cd_amdasw` as an `AmdResult`; `None` when AMD was off.
    #[getter]
    fn amd<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.inner
            .amd
            .as_ref()
            .map(|s| AMD_RESULT.get(py, s.as_wire()))
            .transpose()
    }

    /// `cp_id`: the campaign id.
    #[getter]
    fn campaign_id(&self) -> Option<u64> {
        self.inner.campaign_id
    }

    /// `cpid`: the customer-side campaign ref.
    #[getter]
    fn campaign_ref(&self) -> Option<&str> {
        self.inner.campaign_ref.as_deref()
    }

    /// `ctid`: the customer correlation id.
    #[getter]
    fn correlation_id(&self) -> Option<&str> {
        self.inner.correlation_id.as_deref()
    }

    /// `origin`: the request's origin marker.
    #[getter]
    fn origin(&self) -> Option<&str> {
        self.inner.origin.as_deref()
    }

    /// `dest`: a `PhoneNumber`, a `MaskedNumber`, or the raw text when it is
    /// neither.
    #[getter]
    fn destination<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        Ok(match &self.inner.destination {
            None => None,
            Some(Destination::Phone(p)) => {
                Some(Bound::new(py, PyPhoneNumber { inner: p.clone() })?.into_any())
            }
            Some(Destination::Masked(m)) => {
                Some(Bound::new(py, PyMaskedNumber { inner: m.clone() })?.into_any())
            }
            Some(Destination::Raw(s)) => Some(s.into_pyobject(py)?.into_any()),
        })
    }

    /// `date`: the call date (platform local time, America/Sao_Paulo).
    #[getter]
    fn date<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        opt_date(py, self.inner.date)
    }

    /// `time_dial`: when dialling started (local time).
    #[getter]
    fn dial_time<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        opt_time(py, self.inner.dial_time)
    }

    /// `time_start`: when the call was answered.
    #[getter]
    fn answer_time<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        opt_time(py, self.inner.answer_time)
    }

    /// `time_end`: when the call was hung up.
    #[getter]
    fn hangup_time<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        opt_time(py, self.inner.hangup_time)
    }

    /// `dur`: talk duration in seconds.
    #[getter]
    fn duration_seconds(&self) -> Option<u64> {
        self.inner.duration_seconds
    }

    /// `resp_1` … `resp_N`: DTMF answers in prompt order (`""` = no answer).
    #[getter]
    fn dtmf(&self) -> Vec<String> {
        self.inner.dtmf.clone()
    }

    /// Whether at least one DTMF answer is non-empty.
    #[getter]
    fn has_dtmf(&self) -> bool {
        self.inner.has_dtmf()
    }

    /// `route`: route name.
    #[getter]
    fn route(&self) -> Option<&str> {
        self.inner.route.as_deref()
    }

    /// `rate`: tariff, exact `Decimal` (BRL).
    #[getter]
    fn rate<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        opt_decimal(py, self.inner.rate)
    }

    /// `value`: amount charged, exact `Decimal` (BRL).
    #[getter]
    fn value<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        opt_decimal(py, self.inner.value)
    }

    /// `cdr_url`: recording URL.
    #[getter]
    fn recording_url(&self) -> Option<&str> {
        self.inner.recording_url.as_deref()
    }

    /// `cdr_sec`: recording length in seconds.
    #[getter]
    fn recording_seconds(&self) -> Option<u64> {
        self.inner.recording_seconds
    }

    /// Every other key, verbatim (a new `dict` on each access).
    #[getter]
    fn extra<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        json_map_to_py(py, self.inner.extra.iter())
    }

    /// The normalized record as JSON-ready plain values: decimals as
    /// strings (`"0.050"`), dates `"2026-05-06"`, times `"10:00:01"`, the
    /// destination as text (E.164 for valid numbers).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let v = serde_json::to_value(&self.inner)
            .map_err(|e| errors::invalid_value(py, &e.to_string()))?;
        json_to_py(py, &v)
    }

    fn __richcmp__(&self, other: &Bound<'_, PyAny>, op: CompareOp) -> Py<PyAny> {
        let py = other.py();
        let Ok(other) = other.cast::<Self>() else {
            return py.NotImplemented();
        };
        let eq = self.inner == other.get().inner;
        match op {
            CompareOp::Eq => eq
                .into_pyobject(py)
                .map_or_else(|_| py.None(), |b| b.to_owned().into_any().unbind()),
            CompareOp::Ne => (!eq)
                .into_pyobject(py)
                .map_or_else(|_| py.None(), |b| b.to_owned().into_any().unbind()),
            _ => py.NotImplemented(),
        }
    }

    fn __hash__(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.inner.call_id.hash(&mut h);
        h.finish()
    }

    fn __repr__(&self) -> String {
        let r = &self.inner;
        format!(
            "CallRecord(call_id='{}', status={}, date={}, destination={}, duration_seconds={}, value={})",
            r.call_id,
            repr_opt(r.status.as_ref().map(velip_core::CallStatus::as_wire)),
            repr_opt(r.date),
            repr_opt(r.destination.as_ref()),
            r.duration_seconds
                .map_or_else(|| "None".to_owned(), |d| d.to_string()),
            repr_opt(r.value),
        )
    }

    fn __reduce__<'py>(
        &self,
        py: Python<'py>,
    ) -> PyResult<(Bound<'py, PyAny>, (Bound<'py, PyBytes>,))> {
        let f = py.import("velip._velip")?.getattr("_record_from_wire")?;
        let wire = serde_json::to_vec(&to_wire(&self.inner))
            .map_err(|e| errors::invalid_value(py, &e.to_string()))?;
        Ok((f, (PyBytes::new(py, &wire),)))
    }
}

/// Records as a `list[CallRecord]`.
pub(crate) fn record_list<'py>(
    py: Python<'py>,
    records: &[Py<PyCallRecord>],
) -> PyResult<Bound<'py, PyList>> {
    PyList::new(py, records.iter().map(|r| r.clone_ref(py)))
}
