//! File sinks: an export to CSV, JSON lines, XLSX, Parquet or a
//! date-partitioned Parquet dataset, resumable, with its checkpoint file.

mod checkpoint;
mod columnar;
mod durable;
mod export;
mod paths;
pub mod xlsx;

pub use checkpoint::ExportCheckpoint;
pub use durable::{load_json, save_json};
pub use export::{ExportSummary, FileExport, FileFormat, ResumeMode};
pub use paths::ExportPaths;
