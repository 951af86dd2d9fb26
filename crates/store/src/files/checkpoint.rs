//! The checkpoint file of an export: the walk's checkpoint plus what the
//! files hold, replaced (durably) only after the data it counts is flushed
//! and synced.

use std::path::Path;

use serde::{Deserialize, Serialize};
use velip_blocking::WalkCheckpoint;

use super::durable;
use crate::StoreError;

/// Format version of the checkpoint file.
pub(crate) const VERSION: u32 = 2;

/// The version field alone, read first.
#[derive(Deserialize)]
struct Versioned {
    version: u32,
}

/// What `OUT.checkpoint.json` holds. Never a secret (an export's query has
/// none; the walk's checkpoint holds cursors and call ids).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportCheckpoint {
    /// Format version of this file.
    pub version: u32,
    /// The selection: the query's wire parameters without page size and
    /// cursor (`Query::to_selection_pairs`).
    pub selection: Vec<(String, String)>,
    /// The file format (`csv`, `csv;pt-BR`, `jsonl`, ...).
    pub format: String,
    /// Bytes of the data file that the checkpoint counts (the rest, if
    /// any, is a page written after it and is cut on resume).
    pub data_bytes: u64,
    /// Bytes of the rejected file that the checkpoint counts.
    pub rejected_bytes: u64,
    /// Records written.
    pub records: u64,
    /// Records written with problems (a field that could not be read).
    pub records_with_problems: u64,
    /// Rejected entries written.
    pub rejected: u64,
    /// Pages written.
    pub pages: u64,
    /// Where the walk continues.
    pub walk: WalkCheckpoint,
}

impl ExportCheckpoint {
    /// Reads the checkpoint at `path`, `None` when there is none.
    pub(crate) fn load(path: &Path) -> Result<Option<Self>, StoreError> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(StoreError::io(path, e)),
        };
        let damaged = |why: String| {
            StoreError::Checkpoint(format!(
                "the checkpoint {} cannot be read ({why}); start over with --restart",
                path.display()
            ))
        };
        let v: Versioned = serde_json::from_slice(&bytes).map_err(|e| damaged(e.to_string()))?;
        if v.version != VERSION {
            return Err(damaged(format!(
                "it was written by another velip version (format {}, this one reads {VERSION})",
                v.version
            )));
        }
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| damaged(e.to_string()))
    }

    /// Replaces the checkpoint at `path`, durably. Compact JSON on one
    /// line (it is rewritten after every page and holds the last pages'
    /// call ids: ~50 KB instead of ~170 KB pretty-printed); `jq .` shows
    /// it.
    pub(crate) fn save(&self, path: &Path) -> Result<(), StoreError> {
        let mut bytes =
            serde_json::to_vec(self).map_err(|e| StoreError::io(path, std::io::Error::other(e)))?;
        bytes.push(b'\n');
        durable::replace(path, &bytes)
    }

    /// Why this checkpoint cannot continue an export of `selection` in
    /// `format`: names the first filter (wire parameter) that differs.
    pub(crate) fn mismatch(&self, selection: &[(String, String)], format: &str) -> Option<String> {
        if self.format != format {
            return Some(format!(
                "format {} (the checkpoint's is {})",
                format, self.format
            ));
        }
        let get = |list: &[(String, String)], k: &str| {
            list.iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
        };
        // The page size is not part of a selection (checkpoints written
        // before `to_selection_pairs` hold it: ignored).
        let mut keys: Vec<&String> = self
            .selection
            .iter()
            .chain(selection.iter())
            .map(|(k, _)| k)
            .filter(|k| !velip_core::query::PAGING_PARAMS.contains(&k.as_str()))
            .collect();
        keys.sort();
        keys.dedup();
        keys.into_iter().find_map(|k| {
            let (was, now) = (get(&self.selection, k), get(selection, k));
            (was != now).then(|| {
                format!(
                    "{k}: {} now, {} in the checkpoint",
                    now.as_deref().unwrap_or("(none)"),
                    was.as_deref().unwrap_or("(none)")
                )
            })
        })
    }
}
