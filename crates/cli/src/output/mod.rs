//! Human output formats: record text, the table, the stats report (CSV and
//! JSON lines are `velip_store::rows`), and the notes on stderr.

pub(crate) mod notes;
pub(crate) mod stats;
pub(crate) mod table;
pub(crate) mod text;
