//! What an upsert writes: the rows of a batch sorted into new, changed
//! (content hash differs from the stored one) and unchanged, given the
//! stored hashes of their call ids. Both backends follow this one plan.

use std::collections::HashMap;

use super::meta::UpsertCounts;
use super::row::Row;

/// The rows of one upsert, by what happens to them.
pub(crate) struct Plan<'a, 'r> {
    /// Not stored yet: inserted.
    pub(crate) new: Vec<&'a Row<'r>>,
    /// Stored with another content hash: rewritten.
    pub(crate) changed: Vec<&'a Row<'r>>,
    /// Stored with the same content hash: not written.
    pub(crate) unchanged: u64,
}

impl<'a, 'r> Plan<'a, 'r> {
    /// Sorts `rows` given `stored` (call id -> stored content hash).
    pub(crate) fn new(rows: &'a [Row<'r>], stored: &HashMap<String, i64>) -> Self {
        let mut plan = Self {
            new: Vec::new(),
            changed: Vec::new(),
            unchanged: 0,
        };
        for row in rows {
            match stored.get(&row.call_id) {
                None => plan.new.push(row),
                Some(&hash) if hash != row.content_hash => plan.changed.push(row),
                Some(_) => plan.unchanged += 1,
            }
        }
        plan
    }

    /// The counts (without `superseded`, which the batch knows).
    pub(crate) fn counts(&self) -> UpsertCounts {
        UpsertCounts {
            inserted: self.new.len() as u64,
            updated: self.changed.len() as u64,
            unchanged: self.unchanged,
            superseded: 0,
        }
    }
}
