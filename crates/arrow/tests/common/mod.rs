//! Shared test support: a record generator and a cell-by-cell checker.

pub(crate) mod check;
pub(crate) mod generate;
