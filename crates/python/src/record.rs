//! `CallRecord`: one call, typed, immutable.

use pyo3::basic::CompareOp;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyList, PyString};
use velip_core::{AmdResult, CallRecord, CallStatus, Destination};

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

/// An enum class and its known members with their wire texts.
type Members = (Py<PyAny>, Vec<(&'static str, Py<PyAny>)>);

/// A wire enum class of `velip._enums` with its known members cached.
struct WireEnum {
    class: &'static str,
    /// The wire texts of the known members (core's list), in `members`
    /// order.
    known: fn() -> Vec<&'static str>,
    /// `(class, members)`, looked up once.
    cache: PyOnceLock<Members>,
}

impl WireEnum {
    /// `Class(wire)`: a cached member for known values, the class's own
    /// lookup (pseudo-member) for the others.
    fn get<'py>(&self, py: Python<'py>, wire: &str) -> PyResult<Bound<'py, PyAny>> {
        let (class, members) = self.cache.get_or_try_init(py, || -> PyResult<_> {
            let class = py_class(py, "velip._enums", self.class)?;
            let members = (self.known)()
                .into_iter()
                .map(|w| Ok((w, class.call1((w,))?.unbind())))
                .collect::<PyResult<Vec<_>>>()?;
            Ok((class.unbind(), members))
        })?;
        match members.iter().find(|(k, _)| *k == wire) {
            Some((_, m)) => Ok(m.bind(py).clone()),
            None => class.bind(py).call1((wire,)),
        }
    }
}

static CALL_STATUS: WireEnum = WireEnum {
    class: "CallStatus",
    known: || CallStatus::KNOWN.iter().map(CallStatus::as_wire).collect(),
    cache: PyOnceLock::new(),
};

static AMD_RESULT: WireEnum = WireEnum {
    class: "AmdResult",
    known: || AmdResult::KNOWN.iter().map(AmdResult::as_wire).collect(),
    cache: PyOnceLock::new(),
};

/// The known members of the wire enums, `(NAME, wire)`, for
/// `velip._enums` (which builds `CallStatus` and `AmdResult` from them).
#[pyfunction]
pub(crate) fn _wire_enum_members() -> Vec<(&'static str, Vec<(String, &'static str)>)> {
    vec![
        (
            "CallStatus",
            CallStatus::KNOWN
                .iter()
                .map(|s| (s.name().to_ascii_uppercase(), s.as_wire()))
                .collect(),
        ),
        (
            "AmdResult",
            AmdResult::KNOWN
                .iter()
                .map(|s| (s.name().to_ascii_uppercase(), s.as_wire()))
                .collect(),
        ),
    ]
}

/// Rebuilds a record from its wire form (core's `CallRecord::to_wire`).
fn from_wire(py: Python<'_>, wire: &[u8]) -> PyResult<CallRecord> {
    velip_core::decode::decode_record(wire).map_err(|e| errors::decode(py, &e))
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

    /// When dialling started, as an aware ``datetime.datetime`` in
    /// America/Sao_Paulo (``zoneinfo.ZoneInfo``): ``date`` + ``time_dial``.
    /// ``None`` when either is missing.
    #[getter]
    fn dialed_at<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        crate::convert::opt_local_datetime(py, self.inner.dialed_at())
    }

    /// When the call was answered, aware, in the zone America/Sao_Paulo: ``date`` +
    /// ``time_start``, on the next day when earlier than the dial time (a
    /// call that crossed midnight). ``None`` when not answered.
    #[getter]
    fn answered_at<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        crate::convert::opt_local_datetime(py, self.inner.answered_at())
    }

    /// When the call was hung up, aware, in the zone America/Sao_Paulo: ``date`` +
    /// ``time_end``, on the next day when earlier than the dial time.
    #[getter]
    fn hung_up_at<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        crate::convert::opt_local_datetime(py, self.inner.hung_up_at())
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

    /// Fields that could not be read, each a `velip.Problem` (`field`: the
    /// wire key such as `"date"`; `raw`: the value as received, JSON text;
    /// `rule`: what it broke). The field itself is `None`. Empty for a clean
    /// record.
    #[getter]
    fn problems<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let list = PyList::empty(py);
        if self.inner.problems.is_empty() {
            return Ok(list);
        }
        let class = py_class(py, "velip._types", "Problem")?;
        for p in &self.inner.problems {
            list.append(class.call1((p.field.as_str(), p.raw.as_str(), p.rule.as_str()))?)?;
        }
        Ok(list)
    }

    /// The record's JSON text as received, kept only when it has problems
    /// (at most 64 KiB); `None` for a clean record.
    #[getter]
    fn raw_json(&self) -> Option<&str> {
        self.inner.raw_json.as_deref()
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
        let wire = serde_json::to_vec(&self.inner.to_wire())
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
