//! `PhoneNumber` and `MaskedNumber`.

use pyo3::prelude::*;
use velip_core::phone::PhoneKind;
use velip_core::{MaskedNumber, NumberFormat};

use crate::errors;

/// A valid Brazilian phone number (DDD + subscriber).
#[pyclass(frozen, eq, hash, module = "velip._velip", name = "PhoneNumber")]
#[derive(PartialEq, Eq, Hash)]
pub(crate) struct PyPhoneNumber {
    pub(crate) inner: velip_core::PhoneNumber,
}

fn parse_phone(py: Python<'_>, text: &str) -> PyResult<velip_core::PhoneNumber> {
    velip_core::PhoneNumber::parse(text)
        .map_err(|e| errors::invalid_value(py, &format!("invalid phone number: {e}")))
}

#[pymethods]
impl PyPhoneNumber {
    #[new]
    fn new(py: Python<'_>, text: &Bound<'_, PyAny>) -> PyResult<Self> {
        let text = crate::args::text(py, text, "text")?;
        Ok(Self {
            inner: parse_phone(py, &text)?,
        })
    }

    /// Parses any common writing: `+55 (11) 99999-9999`, `011999999999`,
    /// `11 9999-9999`, `5511999999999`.
    ///
    /// Raises: `ValidationError` (also `ValueError`) for text that is not a
    /// valid Brazilian number (unknown DDD, wrong length).
    #[classmethod]
    fn parse(
        _cls: &Bound<'_, pyo3::types::PyType>,
        py: Python<'_>,
        text: &Bound<'_, PyAny>,
    ) -> PyResult<Self> {
        Self::new(py, text)
    }

    /// The area code (`11`).
    #[getter]
    fn ddd(&self) -> u8 {
        self.inner.ddd()
    }

    /// The subscriber digits (`999999999`).
    #[getter]
    fn subscriber(&self) -> &str {
        self.inner.subscriber()
    }

    /// `"mobile"` or `"landline"`.
    #[getter]
    fn kind(&self) -> &'static str {
        match self.inner.kind() {
            PhoneKind::Mobile => "mobile",
            PhoneKind::Landline => "landline",
        }
    }

    /// Whether it is a mobile number (9 digits starting with 9).
    #[getter]
    fn is_mobile(&self) -> bool {
        self.inner.kind() == PhoneKind::Mobile
    }

    /// `+5511999999999`.
    fn e164(&self) -> String {
        self.inner.e164()
    }

    /// `(11) 99999-9999`.
    fn national(&self) -> String {
        self.inner.national()
    }

    /// In a `numtype` style: `"international"` (`5511999999999`, the
    /// default), `"trunk_prefixed"` or `"0DDD"` (`011999999999`), `"ddd"`
    /// (`11999999999`).
    ///
    /// Raises: `ValidationError` for another style.
    #[pyo3(signature = (style = None), text_signature = "($self, style='international')")]
    fn format(&self, py: Python<'_>, style: Option<&Bound<'_, PyAny>>) -> PyResult<String> {
        let style = crate::args::opt_text(py, style, "style")?
            .unwrap_or_else(|| "international".to_owned());
        let f = NumberFormat::parse(&style).ok_or_else(|| {
            errors::invalid_value(
                py,
                &format!(
                    "unknown number style {style:?}: use \"international\", \"trunk_prefixed\" or \"ddd\""
                ),
            )
        })?;
        Ok(self.inner.format(f))
    }

    fn __str__(&self) -> String {
        self.inner.e164()
    }

    fn __repr__(&self) -> String {
        format!("PhoneNumber('{}')", self.inner.e164())
    }

    fn __getnewargs__(&self) -> (String,) {
        (self.inner.e164(),)
    }
}

/// A phone number the service masked (`xxxxx877`): only the last digits are
/// visible.
#[pyclass(frozen, eq, hash, module = "velip._velip", name = "MaskedNumber")]
#[derive(PartialEq, Eq, Hash)]
pub(crate) struct PyMaskedNumber {
    pub(crate) inner: MaskedNumber,
}

#[pymethods]
impl PyMaskedNumber {
    #[new]
    fn new(py: Python<'_>, text: &Bound<'_, PyAny>) -> PyResult<Self> {
        let text = crate::args::text(py, text, "text")?;
        MaskedNumber::parse(&text)
            .map(|inner| Self { inner })
            .ok_or_else(|| {
                errors::invalid_value(
                    py,
                    "not a masked number: expected x's followed by digits, such as xxxxx877",
                )
            })
    }

    /// The text as sent (`xxxxx877`).
    #[getter]
    fn text(&self) -> &str {
        self.inner.as_str()
    }

    /// The digits left visible (`877`).
    #[getter]
    fn visible_digits(&self) -> &str {
        self.inner.visible_digits()
    }

    fn __str__(&self) -> &str {
        self.inner.as_str()
    }

    fn __repr__(&self) -> String {
        format!("MaskedNumber('{}')", self.inner.as_str())
    }

    fn __getnewargs__(&self) -> (String,) {
        (self.inner.as_str().to_owned(),)
    }
}
