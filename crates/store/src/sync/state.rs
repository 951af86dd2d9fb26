//! What the sync engine remembers between pages and runs (the `state` JSON
//! of `velip_sync_state`, committed with every page): the newest call
//! stored, the calls stored while still in progress, and the run under way.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use velip_blocking::WalkCheckpoint;
use velip_core::CallId;

use crate::db::{DbError, DbErrorKind, SyncState, UpsertCounts};

use super::report::RunKind;

/// The layout version of the state JSON this build writes (and the newest
/// it reads).
pub(crate) const STATE_VERSION: u32 = 1;

/// Entries without a readable call id kept per run (in the state and the
/// run summary); more are counted only.
pub(crate) const MAX_REJECTED_KEPT: usize = 100;

/// The engine's state of one (account, selection).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct EngineState {
    pub(crate) version: u32,
    /// The first run's `since`: every walk of this selection starts there
    /// (so later runs read the same selection the backfill read).
    #[serde(default)]
    pub(crate) floor_date: Option<NaiveDate>,
    /// The highest call id stored by a finished run (the watermark).
    #[serde(default)]
    pub(crate) newest: Option<String>,
    /// Calls stored while in progress (empty `cd_status`), by number.
    #[serde(default, with = "pending_list")]
    pub(crate) pending: BTreeMap<u64, String>,
    /// `only_dtmf` selections: every call numbered up to this was final
    /// when a run read it (calls in progress are not listed at all there).
    #[serde(default)]
    pub(crate) settled: Option<u64>,
    /// Runs finished.
    #[serde(default)]
    pub(crate) runs: u64,
    /// The run under way (or interrupted), resumed by the next run.
    #[serde(default)]
    pub(crate) run: Option<RunState>,
}

/// The pending calls as a JSON array of ids, newest first.
mod pending_list {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use velip_core::CallId;

    pub(super) fn serialize<S: Serializer>(
        map: &BTreeMap<u64, String>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        let ids: Vec<&String> = map.values().rev().collect();
        ids.serialize(s)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeMap<u64, String>, D::Error> {
        let ids = Vec::<String>::deserialize(d)?;
        ids.into_iter()
            .map(|t| {
                CallId::parse(&t)
                    .map(|id| (id.number(), t))
                    .map_err(serde::de::Error::custom)
            })
            .collect()
    }
}

/// Where a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "phase", rename_all = "snake_case")]
pub(crate) enum Phase {
    /// Walking from the newest call down, to `stop_at` (inclusive) or the
    /// end of the selection.
    Walk {
        stop_at: Option<u64>,
        /// The walk goes on below the watermark to reach calls in progress
        /// (the second leg of an incremental run).
        extension: bool,
    },
    /// Looking up, one by one, the calls in progress the walk did not read.
    Lookups,
}

/// Counters of a run, summed over its resumptions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct RunCounts {
    pub(crate) inserted: u64,
    pub(crate) updated: u64,
    pub(crate) unchanged: u64,
    pub(crate) superseded: u64,
    /// Records read by the walk (list requests).
    pub(crate) records: u64,
    /// Records read by the first leg of the walk (the density estimate).
    pub(crate) first_leg_records: u64,
    /// Point lookups answered (found or not).
    pub(crate) lookups: u64,
    /// Calls in progress the service no longer has (lookup: not found).
    pub(crate) vanished: u64,
    /// Entries without a readable call id (not stored).
    pub(crate) rejected: u64,
}

impl RunCounts {
    pub(crate) fn add(&mut self, c: UpsertCounts) {
        self.inserted += c.inserted;
        self.updated += c.updated;
        self.unchanged += c.unchanged;
        self.superseded += c.superseded;
    }

    pub(crate) fn upserts(&self) -> UpsertCounts {
        UpsertCounts {
            inserted: self.inserted,
            updated: self.updated,
            unchanged: self.unchanged,
            superseded: self.superseded,
        }
    }
}

/// An entry without a readable call id, kept for people to see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Rejected {
    pub(crate) raw: String,
    pub(crate) problem: String,
}

/// The run under way.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct RunState {
    pub(crate) kind: RunKind,
    pub(crate) started_at: DateTime<Utc>,
    /// Times this run was taken up again after an interruption.
    #[serde(default)]
    pub(crate) resumptions: u32,
    #[serde(flatten)]
    pub(crate) phase: Phase,
    /// Where the walk continues (pages counted since the run began).
    pub(crate) walk: WalkCheckpoint,
    /// The highest call id the walk read (its first record).
    #[serde(default)]
    pub(crate) top: Option<String>,
    /// Every call of the selection numbered `reach` or higher (up to
    /// `top`) has been read; `Some(0)` once the walk reached the end.
    #[serde(default)]
    pub(crate) reach: Option<u64>,
    /// Calls to look up, newest first: in progress and not read by the
    /// walk (below its reach, or passed over: no longer in the selection).
    #[serde(default)]
    pub(crate) lookups: Vec<String>,
    #[serde(default)]
    pub(crate) counts: RunCounts,
    /// `only_dtmf`: the highest call number read that was dialed long
    /// enough before the run began to be surely final.
    #[serde(default)]
    pub(crate) marker: Option<u64>,
    #[serde(default)]
    pub(crate) rejected: Vec<Rejected>,
    #[serde(default)]
    pub(crate) masked: bool,
    #[serde(default)]
    pub(crate) warnings: Vec<String>,
}

impl RunState {
    pub(crate) fn new(kind: RunKind, stop_at: Option<u64>) -> Self {
        Self {
            kind,
            started_at: Utc::now(),
            resumptions: 0,
            phase: Phase::Walk {
                stop_at,
                extension: false,
            },
            walk: WalkCheckpoint::start(),
            top: None,
            reach: None,
            lookups: Vec::new(),
            counts: RunCounts::default(),
            marker: None,
            rejected: Vec::new(),
            masked: false,
            warnings: Vec::new(),
        }
    }
}

impl EngineState {
    pub(crate) fn new() -> Self {
        Self {
            version: STATE_VERSION,
            floor_date: None,
            newest: None,
            pending: BTreeMap::new(),
            settled: None,
            runs: 0,
            run: None,
        }
    }

    /// The state saved in the database, or an error naming the key.
    pub(crate) fn from_json(
        db: &str,
        key: &crate::db::StateKey,
        value: &serde_json::Value,
    ) -> Result<Self, DbError> {
        let version = value
            .get("version")
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0);
        if version > u64::from(STATE_VERSION) {
            return Err(DbError::new(
                DbErrorKind::SchemaTooNew,
                format!(
                    "database {db}: the sync state of account {:?}, selection {:?} was written by a newer velip (state version {version}, this one reads up to {STATE_VERSION}); upgrade velip. Nothing was changed.",
                    key.account(),
                    key.selection()
                ),
            ));
        }
        serde_json::from_value(value.clone()).map_err(|e| {
            DbError::new(
                DbErrorKind::SchemaMismatch,
                format!(
                    "database {db}: the sync state of account {:?}, selection {:?} cannot be read ({e}); delete its row of velip_sync_state to sync this selection from scratch",
                    key.account(),
                    key.selection()
                ),
            )
        })
    }

    /// The number of the watermark call.
    pub(crate) fn newest_number(&self) -> Option<u64> {
        self.newest
            .as_deref()
            .and_then(|t| CallId::parse(t).ok())
            .map(|id| id.number())
    }

    /// As saved: the JSON and its typed copies (`last_run` is the last
    /// finished run's summary, kept while a run goes on).
    pub(crate) fn to_sync_state(&self, last_run: Option<&serde_json::Value>) -> SyncState {
        let mut s = SyncState::new(serde_json::to_value(self).unwrap_or(serde_json::Value::Null));
        s.newest_call_id = self.newest.as_deref().and_then(|t| CallId::parse(t).ok());
        s.pending_count = self.pending.len() as u64;
        s.last_run = last_run.cloned();
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_round_trips_with_pending_newest_first() {
        let mut s = EngineState::new();
        s.newest = Some("42_1000".into());
        s.pending.insert(990, "42_990".into());
        s.pending.insert(995, "42_995".into());
        let mut run = RunState::new(RunKind::Incremental, Some(1001));
        run.lookups = vec!["42_995".into()];
        s.run = Some(run);
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["pending"], serde_json::json!(["42_995", "42_990"]));
        assert_eq!(json["run"]["phase"], "walk");
        assert_eq!(json["run"]["stop_at"], 1001);
        let key = crate::db::StateKey::new("acme", "").unwrap();
        let back = EngineState::from_json("db", &key, &json).unwrap();
        assert_eq!(back.pending, s.pending);
        assert_eq!(back.newest_number(), Some(1000));
        assert_eq!(back.run.unwrap().phase, s.run.unwrap().phase);
    }

    #[test]
    fn a_newer_or_damaged_state_is_refused_with_the_key() {
        let key = crate::db::StateKey::new("acme", "cp_id=7").unwrap();
        let err =
            EngineState::from_json("db", &key, &serde_json::json!({"version": 9})).unwrap_err();
        assert_eq!(err.kind(), DbErrorKind::SchemaTooNew);
        assert!(err.to_string().contains("cp_id=7"), "{err}");
        let err = EngineState::from_json(
            "db",
            &key,
            &serde_json::json!({"version": 1, "pending": ["x"]}),
        )
        .unwrap_err();
        assert_eq!(err.kind(), DbErrorKind::SchemaMismatch, "{err}");
    }
}
