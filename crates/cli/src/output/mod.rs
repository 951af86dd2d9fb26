//! Human output formats: record text and the table (CSV and JSON lines are
//! `velip_store::rows`).

pub(crate) mod table;
pub(crate) mod text;
