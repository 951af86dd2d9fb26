//! The export checkpoint: where an interrupted export continues.
//!
//! Records are written page by page to `FILE.partial`; after each page is
//! flushed, `FILE.checkpoint.json` records the cursor of the next page, the
//! byte length of the partial file at that point, and the counts. `--resume`
//! truncates the partial file to that length (dropping a page that was half
//! written) and continues from the cursor: no gap, no duplicate.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::exit::Failure;

/// What is saved after each page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Checkpoint {
    /// Format version of this file.
    pub(crate) version: u32,
    /// The query's wire parameters without the cursor (secrets redacted; an
    /// export has none), to refuse resuming a different export.
    pub(crate) query: Vec<(String, String)>,
    /// `csv` or `jsonl`, and the CSV locale.
    pub(crate) format: String,
    /// The cursor of the next page; `None` before the first page.
    pub(crate) cursor: Option<String>,
    /// Length of the partial file after the last complete page.
    pub(crate) bytes: u64,
    /// Records written so far.
    pub(crate) records: u64,
    /// Pages written so far.
    pub(crate) pages: u64,
    /// The lowest call id number written (records come newest first).
    pub(crate) last_call_id: Option<String>,
}

/// The two side files of an export to `out`.
pub(crate) struct Paths {
    pub(crate) partial: PathBuf,
    pub(crate) checkpoint: PathBuf,
}

impl Paths {
    pub(crate) fn for_output(out: &Path) -> Self {
        let with = |suffix: &str| {
            let mut s = out.as_os_str().to_owned();
            s.push(suffix);
            PathBuf::from(s)
        };
        Self {
            partial: with(".partial"),
            checkpoint: with(".checkpoint.json"),
        }
    }
}

impl Checkpoint {
    pub(crate) fn load(path: &Path) -> Result<Option<Self>, Failure> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
                Failure::Usage(format!(
                    "the checkpoint {} is damaged ({e}); delete it and the .partial file to start the export over",
                    path.display()
                ))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Failure::io(path.display(), e)),
        }
    }

    /// Written to a temporary file and renamed, so a crash never leaves a
    /// half-written checkpoint.
    pub(crate) fn save(&self, path: &Path) -> Result<(), Failure> {
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        let bytes = serde_json::to_vec_pretty(self).map_err(|e| Failure::io("checkpoint", e))?;
        std::fs::write(&tmp, bytes).map_err(|e| Failure::io(tmp.display(), e))?;
        std::fs::rename(&tmp, path).map_err(|e| Failure::io(path.display(), e))
    }
}
