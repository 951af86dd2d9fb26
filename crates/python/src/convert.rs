//! Conversions from Rust values to standard Python types.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use chrono::{NaiveDate, NaiveTime};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList, PyString, PyType};
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

/// Text built on the stack, moving to the heap only past `N` bytes.
pub(crate) struct StackStr<const N: usize> {
    buf: [u8; N],
    len: usize,
    heap: Option<String>,
}

impl<const N: usize> StackStr<N> {
    pub(crate) fn new() -> Self {
        Self {
            buf: [0; N],
            len: 0,
            heap: None,
        }
    }

    pub(crate) fn push_str(&mut self, s: &str) {
        if let Some(h) = &mut self.heap {
            h.push_str(s);
        } else if let Some(dst) = self.buf.get_mut(self.len..self.len + s.len()) {
            dst.copy_from_slice(s.as_bytes());
            self.len += s.len();
        } else {
            let mut h = String::with_capacity(self.len + s.len());
            h.push_str(self.stack_str());
            h.push_str(s);
            self.heap = Some(h);
        }
    }

    fn stack_str(&self) -> &str {
        // Only whole `&str`s are ever copied in, so this is valid UTF-8.
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or_default()
    }

    pub(crate) fn as_str(&self) -> &str {
        self.heap.as_deref().unwrap_or_else(|| self.stack_str())
    }
}

impl<const N: usize> std::fmt::Write for StackStr<N> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.push_str(s);
        Ok(())
    }
}

/// The decimal digits of `n`, written into `buf`.
pub(crate) fn u64_digits(mut n: u64, buf: &mut [u8; 20]) -> &str {
    let mut i = buf.len();
    loop {
        i -= 1;
        // `n % 10` < 10, so the cast cannot truncate.
        #[allow(clippy::cast_possible_truncation)]
        let digit = (n % 10) as u8;
        buf[i] = b'0' + digit;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    std::str::from_utf8(&buf[i..]).unwrap_or_default()
}

/// A `decimal.Decimal` built from the exact text (never through a float).
///
/// Amounts repeat a lot (a few rates times common durations), so the
/// objects built are kept in a small table keyed by the exact value
/// (digits *and* scale: `0.050` and `0.05` stay distinct) and handed out
/// again (`Decimal` objects are immutable).
pub(crate) fn decimal(py: Python<'_>, d: Decimal) -> PyResult<Bound<'_, PyAny>> {
    use std::fmt::Write as _;
    /// Entries kept before the table starts over.
    const CAPACITY: usize = 1024;
    static DECIMAL: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    static CACHE: Mutex<Option<HashMap<[u8; 16], Py<PyAny>>>> = Mutex::new(None);
    let key = d.serialize();
    // The lock is only held for these quick steps, never across a Python
    // call (which could switch threads).
    let lock = || CACHE.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(obj) = lock().as_ref().and_then(|m| m.get(&key)) {
        return Ok(obj.bind(py).clone());
    }
    let class = DECIMAL.import(py, "decimal", "Decimal")?;
    let mut text = StackStr::<48>::new();
    let obj = if write!(text, "{d}").is_err() {
        class.call1((d.to_string(),))?
    } else {
        class.call1((PyString::new(py, text.as_str()),))?
    };
    let mut guard = lock();
    let map = guard.get_or_insert_with(HashMap::new);
    let old = if map.len() >= CAPACITY {
        Some(std::mem::take(map))
    } else {
        None
    };
    map.insert(key, obj.clone().unbind());
    drop(guard);
    drop(old); // after the lock is released
    Ok(obj)
}

/// `decimal.Decimal | None`.
pub(crate) fn opt_decimal(
    py: Python<'_>,
    d: Option<Decimal>,
) -> PyResult<Option<Bound<'_, PyAny>>> {
    d.map(|d| decimal(py, d)).transpose()
}

/// `datetime.date | None`.
///
/// Records of a walk come in date order, so the last date built is kept and
/// handed out again while it matches (`date` objects are immutable; with
/// the stable ABI, building one is a Python-level call).
pub(crate) fn opt_date(py: Python<'_>, d: Option<NaiveDate>) -> PyResult<Option<Bound<'_, PyAny>>> {
    static LAST: Mutex<Option<(NaiveDate, Py<PyAny>)>> = Mutex::new(None);
    let Some(d) = d else { return Ok(None) };
    // The lock is only held for these quick steps, never across a Python
    // call (which could switch threads).
    let lock = || LAST.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((cached, obj)) = &*lock()
        && *cached == d
    {
        return Ok(Some(obj.bind(py).clone()));
    }
    let obj = d.into_pyobject(py)?.into_any();
    let old = lock().replace((d, obj.clone().unbind()));
    drop(old); // after the lock is released
    Ok(Some(obj))
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

/// Takes the value out of `slot` and drops it with the GIL released (a
/// connection pool or a server thread may take a moment to wind down):
/// the body of every `close()`.
pub(crate) fn close_detached<T: Send>(py: Python<'_>, slot: &Mutex<Option<T>>) {
    let value = slot.lock().unwrap_or_else(PoisonError::into_inner).take();
    py.detach(|| drop(value));
}

/// An instant in the platform's time zone as an aware `datetime.datetime`
/// with `zoneinfo.ZoneInfo(<the zone's name>)`, built from the instant
/// core computed (`datetime.fromtimestamp(seconds, tz)`: the same instant,
/// the zone's own offset), never recomputed from the wall time.
pub(crate) fn opt_local_datetime<Tz: chrono::TimeZone>(
    py: Python<'_>,
    t: Option<chrono::DateTime<Tz>>,
) -> PyResult<Option<Bound<'_, PyAny>>> {
    static ZONE: PyOnceLock<(Py<PyAny>, Py<PyAny>)> = PyOnceLock::new();
    let Some(t) = t else { return Ok(None) };
    let (from_timestamp, zone) = ZONE.get_or_try_init(py, || -> PyResult<_> {
        let name = velip_core::model::local_time::PLATFORM_TZ.name();
        let zone = py.import("zoneinfo")?.getattr("ZoneInfo")?.call1((name,))?;
        let f = py
            .import("datetime")?
            .getattr("datetime")?
            .getattr("fromtimestamp")?;
        Ok((f.unbind(), zone.unbind()))
    })?;
    let secs = t.timestamp();
    from_timestamp
        .bind(py)
        .call1((secs, zone.bind(py)))
        .map(Some)
}
