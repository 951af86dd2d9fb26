//! One record as a row of a text format: CSV (RFC 4180 or the pt-BR
//! dialect) and JSON lines. Used by files and by standard output alike.

pub mod csv;
pub mod jsonl;
