//! `velip._velip`: the Python extension of the Velip SDK.
//!
//! The pure-Python package (`python/velip/`) re-exports these classes and
//! functions and adds the exception and enum classes; users import `velip`.
//! Build with maturin (`pip install .` or `maturin build`); the crate is a
//! workspace member so `cargo clippy` checks it, but it has no Rust tests
//! (the pytest suite in `tests/python` covers it).

mod args;
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

use pyo3::prelude::*;

/// The extension module.
#[pymodule]
fn _velip(m: &Bound<'_, PyModule>) -> PyResult<()> {
    logging::install();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<client::PyClient>()?;
    m.add_class::<iter::PyCallIterator>()?;
    m.add_class::<record::PyCallRecord>()?;
    m.add_class::<page::PyPage>()?;
    m.add_class::<phone::PyPhoneNumber>()?;
    m.add_class::<phone::PyMaskedNumber>()?;
    m.add_class::<sandbox::PySandbox>()?;
    m.add_class::<sandbox::PyWebhookReceiver>()?;
    m.add_function(wrap_pyfunction!(functions::parse_response, m)?)?;
    m.add_function(wrap_pyfunction!(functions::parse_webhook, m)?)?;
    m.add_function(wrap_pyfunction!(functions::parse_brl_decimal, m)?)?;
    m.add_function(wrap_pyfunction!(record::_record_from_wire, m)?)?;
    m.add_function(wrap_pyfunction!(iter::_after_fork_in_child, m)?)?;
    iter::register_fork_hook(m)?;
    Ok(())
}
