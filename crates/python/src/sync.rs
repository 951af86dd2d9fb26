//! `Client.sync` / `velip.sync`: the store crate's sync engine
//! (`velip_store::sync::SyncJob`), translated; the GIL is released for the
//! whole run (opening the database included).

use std::sync::Arc;
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::{PyDate, PyDateTime, PyDict, PyString};
use velip_blocking::Client;
use velip_core::model::local_time::DaySpec;
use velip_store::db::{OpenOptions, Store, UrlStyle};
use velip_store::sync::{SyncEvent, SyncJob, SyncReport};

use crate::client::Selection;
use crate::errors;

/// What `Client.sync` was given, converted (nothing opened, nothing sent).
pub(crate) struct SyncArgs<'py> {
    pub(crate) db: Bound<'py, PyAny>,
    pub(crate) account: Bound<'py, PyAny>,
    pub(crate) since: Option<Bound<'py, PyAny>>,
    pub(crate) selection: Selection<'py>,
    pub(crate) lock_timeout: Option<Bound<'py, PyAny>>,
    pub(crate) max_lookups: Option<u32>,
}

/// `since`: a `date`/`datetime` (its calendar day), or text as on the
/// command line (`"2026-01-01"`, `"30d"`, `"2w"`, `"yesterday"`).
fn since_arg(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<chrono::NaiveDate> {
    if obj.is_instance_of::<PyDateTime>() {
        return obj.call_method0("date")?.extract();
    }
    if obj.is_instance_of::<PyDate>() {
        return obj.extract();
    }
    if obj.is_instance_of::<PyString>() {
        let text = crate::args::text(py, obj, "since")?;
        return text
            .parse::<DaySpec>()
            .map(DaySpec::resolve)
            .map_err(|e| errors::invalid_value(py, &format!("since: {e}")));
    }
    Err(pyo3::exceptions::PyTypeError::new_err(
        "since must be a datetime.date or a string such as \"2026-01-01\" or \"30d\"",
    ))
}

/// Whether the selection names any filter (else: every call).
fn selects(s: &Selection<'_>) -> bool {
    s.campaign_id.is_some()
        || s.campaign_ref.is_some()
        || s.correlation_id.is_some()
        || s.date_start.is_some()
        || s.date_end.is_some()
        || s.empty_ctid
        || s.only_dtmf
        || s.numtype.is_some()
        || s.origin.is_some()
}

/// One run of the sync, as `Client.sync` documents it.
pub(crate) fn run<'py>(
    py: Python<'py>,
    client: Client,
    a: SyncArgs<'py>,
) -> PyResult<Bound<'py, PyAny>> {
    let db = crate::args::text(py, &a.db, "db")?;
    let account = crate::args::text(py, &a.account, "account")?;
    let mut job = SyncJob::new(&account).map_err(|e| errors::sync(py, &e))?;
    let mut selection = a.selection;
    selection.cursor = None;
    if selects(&selection) {
        job = job.selection(selection.build(py)?);
    } else if let Some(p) = &selection.page_size {
        match crate::args::page_size(py, p)? {
            crate::args::PageSize::Records(n) => {
                job = job.page_size(u32::try_from(n).unwrap_or(0));
            }
            crate::args::PageSize::Max => {}
        }
    }
    if let Some(s) = &a.since {
        job = job.since(since_arg(py, s)?);
    }
    if let Some(t) = &a.lock_timeout {
        job = job.lock_timeout(crate::args::seconds(py, t, "lock_timeout")?);
    }
    if let Some(n) = a.max_lookups {
        job = job.max_lookups(n);
    }
    job = job
        .interrupt_check(Arc::new(errors::interrupt_check))
        .on_event(Arc::new(|e| {
            if let SyncEvent::WaitingForLock { database, account } = e {
                log::warn!(target: "velip", "another sync of account {account:?} into {database} is running: waiting for it to finish");
            }
        }));
    let result = py.detach(move || {
        // The database first: one that cannot be used fails before any
        // request is sent.
        let mut store = Store::open_with(&db, &OpenOptions::new().url_style(UrlStyle::SqlAlchemy))
            .map_err(velip_store::sync::SyncError::from)?;
        job.run(&client, &mut store)
    });
    let report = result.map_err(|e| errors::sync(py, &e))?;
    report_to_py(py, &report)
}

/// `velip.SyncReport(...)` (a frozen dataclass in `velip/_sync.py`).
fn report_to_py<'py>(py: Python<'py>, r: &SyncReport) -> PyResult<Bound<'py, PyAny>> {
    let kw = PyDict::new(py);
    kw.set_item("account", &r.account)?;
    kw.set_item("selection", &r.selection)?;
    kw.set_item("database", &r.database)?;
    kw.set_item("kind", r.kind.as_str())?;
    kw.set_item("resumed", r.resumed)?;
    kw.set_item("since", r.since)?;
    kw.set_item("inserted", r.counts.inserted)?;
    kw.set_item("updated", r.counts.updated)?;
    kw.set_item("unchanged", r.counts.unchanged)?;
    kw.set_item("records_read", r.records_read)?;
    kw.set_item("list_requests", r.list_requests)?;
    kw.set_item("lookups", r.lookups)?;
    kw.set_item("requests_sent", r.requests_sent)?;
    kw.set_item("pending", r.pending)?;
    kw.set_item("vanished", r.vanished)?;
    kw.set_item("rejected", r.rejected)?;
    kw.set_item(
        "newest_call_id",
        r.newest_call_id.as_ref().map(ToString::to_string),
    )?;
    kw.set_item("lock_waited", secs(r.lock_waited))?;
    kw.set_item("elapsed", secs(r.elapsed))?;
    kw.set_item("numbers_masked", r.numbers_masked)?;
    kw.set_item("warnings", pyo3::types::PyTuple::new(py, &r.warnings)?)?;
    let quota = match &r.quota {
        Some(q) => Some(crate::client::quota_dict(py, q)?),
        None => None,
    };
    kw.set_item("quota", quota)?;
    kw.set_item("summary", r.to_string())?;
    crate::convert::py_class(py, "velip._sync", "SyncReport")?.call((), Some(&kw))
}

fn secs(d: Duration) -> f64 {
    crate::convert::seconds(d)
}
