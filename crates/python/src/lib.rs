//! `velip._velip`: the Python extension of the Velip SDK.
//!
//! The pure-Python package (`python/velip/`) re-exports these classes and
//! functions and adds the exception and enum classes; users import `velip`.
//! Build with maturin (`pip install .` or `maturin build`); the crate is a
//! workspace member so `cargo clippy` checks it, but it has no Rust tests
//! (the pytest suite in `tests/python` covers it).

// pyo3's macros expand to unsafe code, and the allocator tuning calls
// mimalloc's C API: the one crate (with the C API) where unsafe is allowed.
#![allow(unsafe_code)]
// pyo3 methods take `self` and owned arguments by the binding's rules.
#![allow(clippy::needless_pass_by_value)]

mod args;
mod arrow;
mod async_iter;
mod cancel;
mod client;
mod convert;
mod errors;
mod functions;
mod iter;
mod logging;
mod page;
mod phone;
mod record;
mod sandbox;
mod sync;
mod webhooks;

use pyo3::prelude::*;

/// The extension's own allocations (records, page bodies) use mimalloc,
/// tuned for streaming (`velip_alloc`): a walk decodes records on a helper
/// thread and Python frees them on its own, which glibc's malloc serves
/// with arena-lock contention (BENCHMARKS.md has the before/after). Built
/// without the `mimalloc` feature, the system allocator is used.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: velip_alloc::MiMalloc = velip_alloc::MiMalloc;

/// The extension module.
#[pymodule]
fn _velip(m: &Bound<'_, PyModule>) -> PyResult<()> {
    #[cfg(feature = "mimalloc")]
    velip_alloc::tune();
    logging::install();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<client::PyClient>()?;
    m.add_class::<iter::PyCallIterator>()?;
    m.add_class::<async_iter::PyAsyncCallIterator>()?;
    m.add_class::<cancel::PyCancel>()?;
    m.add_function(wrap_pyfunction!(client::_async_iterator, m)?)?;
    m.add_class::<arrow::PyArrowSchema>()?;
    m.add_class::<arrow::PyArrowBatch>()?;
    m.add_class::<arrow::PyArrowStream>()?;
    m.add_class::<record::PyCallRecord>()?;
    m.add_class::<page::PyPage>()?;
    m.add_class::<phone::PyPhoneNumber>()?;
    m.add_class::<phone::PyMaskedNumber>()?;
    m.add_class::<sandbox::PySandbox>()?;
    m.add_class::<sandbox::PyWebhookReceiver>()?;
    m.add_function(wrap_pyfunction!(functions::parse_response, m)?)?;
    m.add_function(wrap_pyfunction!(functions::parse_webhook, m)?)?;
    m.add_function(wrap_pyfunction!(functions::parse_brl_decimal, m)?)?;
    m.add_class::<webhooks::PyWebhookAuth>()?;
    m.add_class::<webhooks::PyWebhookDelivery>()?;
    m.add_function(wrap_pyfunction!(webhooks::parse_delivery, m)?)?;
    m.add_function(wrap_pyfunction!(record::_record_from_wire, m)?)?;
    m.add_function(wrap_pyfunction!(record::_wire_enum_members, m)?)?;
    m.add_function(wrap_pyfunction!(errors::_error_kinds, m)?)?;
    m.add_function(wrap_pyfunction!(iter::_after_fork_in_child, m)?)?;
    iter::register_fork_hook(m)?;
    Ok(())
}
