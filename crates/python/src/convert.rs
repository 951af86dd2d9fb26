//! Conversions from Rust values to standard Python types.

use chrono::{NaiveDate, NaiveTime};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList, PyType};
use velip_core::Decimal;

/// A JSON value as plain Python objects (`dict`, `list`, `str`, `int`,
/// `float`, `bool`, `None`).
pub(crate) fn json_to_py<'py>(
    py: Python<'py>,
    value: &serde_json::Value,
) -> PyResult<Bound<'py, PyAny>> {
    use serde_json::Value;
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => b.into_pyobject(py)?.to_owned().into_any(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_pyobject(py)?.into_any()
            } else if let Some(u) = n.as_u64() {
                u.into_pyobject(py)?.into_any()
            } else {
                n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any()
            }
        }
        Value::String(s) => s.into_pyobject(py)?.into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(json_to_py(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(map) => json_map_to_py(py, map.iter())?.into_any(),
    })
}

/// A map of JSON values as a `dict`.
pub(crate) fn json_map_to_py<'py, 'a>(
    py: Python<'py>,
    entries: impl Iterator<Item = (&'a String, &'a serde_json::Value)>,
) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (k, v) in entries {
        dict.set_item(k, json_to_py(py, v)?)?;
    }
    Ok(dict)
}

/// A `decimal.Decimal` built from the exact text (never through a float).
pub(crate) fn decimal(py: Python<'_>, d: Decimal) -> PyResult<Bound<'_, PyAny>> {
    static DECIMAL: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    DECIMAL
        .import(py, "decimal", "Decimal")?
        .call1((d.to_string(),))
}

/// `decimal.Decimal | None`.
pub(crate) fn opt_decimal(
    py: Python<'_>,
    d: Option<Decimal>,
) -> PyResult<Option<Bound<'_, PyAny>>> {
    d.map(|d| decimal(py, d)).transpose()
}

/// `datetime.date | None`.
pub(crate) fn opt_date(py: Python<'_>, d: Option<NaiveDate>) -> PyResult<Option<Bound<'_, PyAny>>> {
    d.map(|d| d.into_pyobject(py).map(Bound::into_any))
        .transpose()
}

/// `datetime.time | None`.
pub(crate) fn opt_time(py: Python<'_>, t: Option<NaiveTime>) -> PyResult<Option<Bound<'_, PyAny>>> {
    t.map(|t| t.into_pyobject(py).map(Bound::into_any))
        .transpose()
}

/// A class of the pure-Python part of the package (`velip._enums.CallStatus`,
/// `velip._errors.DecodeError`, ...).
pub(crate) fn py_class<'py>(
    py: Python<'py>,
    module: &str,
    name: &str,
) -> PyResult<Bound<'py, PyAny>> {
    py.import(module)?.getattr(name)
}

/// Seconds as a Python `float`.
#[allow(clippy::cast_precision_loss)] // durations here are far below 2^52 ms
pub(crate) fn seconds(d: std::time::Duration) -> f64 {
    d.as_secs_f64()
}
