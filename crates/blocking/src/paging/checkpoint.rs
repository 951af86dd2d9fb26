//! [`WalkCheckpoint`]: where a walk continues, saved with the data it
//! yielded, so that a resume writes no record twice and skips none.

use serde::{Deserialize, Serialize};
use velip_core::{CallId, Cursor};

/// Where a walk continues: the next request to send and what the walk has
/// already yielded (enough to skip the records a resumed walk meets
/// again). Serializable (serde) so that a sink can commit it together with
/// the data it wrote — in the same database transaction, or in a file
/// replaced only after the data is flushed.
///
/// Taken with [`CallIter::checkpoint`](crate::CallIter::checkpoint) after a
/// page has been consumed; resumed with
/// [`Client::resume_calls`](crate::Client::resume_calls) and the same query.
///
/// ```
/// use velip_blocking::WalkCheckpoint;
/// let cp = WalkCheckpoint::start();
/// assert!(!cp.is_finished());
/// let json = serde_json::to_string(&cp).unwrap();
/// assert_eq!(serde_json::from_str::<WalkCheckpoint>(&json).unwrap(), cp);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WalkCheckpoint {
    /// The `last_id` of the next request (`None`: the query's first page).
    pub(crate) cursor: Option<String>,
    /// Whether the walk is over (nothing more to request).
    pub(crate) finished: bool,
    /// The lowest call id number yielded so far.
    pub(crate) lowest_call_id: Option<u64>,
    /// The ids yielded on the walk's last pages (a resumed walk skips them).
    pub(crate) recent_call_ids: Vec<String>,
    /// Pages fetched and records yielded so far (for reports).
    pub(crate) pages: u64,
    /// Records yielded so far.
    pub(crate) records: u64,
}

impl WalkCheckpoint {
    /// A walk that has not started: its first request is the query's own.
    pub fn start() -> Self {
        Self {
            cursor: None,
            finished: false,
            lowest_call_id: None,
            recent_call_ids: Vec::new(),
            pages: 0,
            records: 0,
        }
    }

    /// Whether the walk it describes is over.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// The cursor (`last_id`) of the next request, when it has one.
    pub fn cursor(&self) -> Option<Cursor> {
        self.cursor.as_deref().and_then(Cursor::parse)
    }

    /// Pages fetched before this checkpoint.
    pub fn pages(&self) -> u64 {
        self.pages
    }

    /// Records yielded before this checkpoint.
    pub fn records(&self) -> u64 {
        self.records
    }

    pub(crate) fn recent_ids(&self) -> impl Iterator<Item = CallId> + '_ {
        self.recent_call_ids
            .iter()
            .filter_map(|s| CallId::parse(s).ok())
    }
}
