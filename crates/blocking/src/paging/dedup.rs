//! Each call at most once per walk, in O(page size) memory.
//!
//! Records come newest first. A call can come twice only when pages shift
//! (calls inserted at the head while paging push records of one page into
//! the next) or when the service misbehaves; either way the repeat is a
//! call of a recent page. The walk remembers the ids it yielded on its last
//! two pages and skips those; on a page that progresses (one of its calls
//! is older than every call yielded so far), an id it never yielded is never
//! skipped, even when it is above the walk's lowest id. A page that does
//! not progress is the service serving again what the walk has passed: its
//! calls above the lowest id are not yielded (they were, pages ago), and
//! the walk's progress check counts the page as a stall.

use std::collections::{HashSet, VecDeque};

use velip_core::{CallId, CallRecord};

/// How many pages of yielded ids are remembered.
const PAGES_REMEMBERED: usize = 2;

/// The ids yielded on the last pages, and the count of records skipped.
#[derive(Debug, Default, Clone)]
pub(crate) struct Dedup {
    recent: VecDeque<HashSet<CallId>>,
    skipped: u64,
    /// The lowest call id number yielded so far.
    low: Option<u64>,
}

#[allow(dead_code)] // checkpoint support lands with resumable walks
impl Dedup {
    /// Records skipped so far.
    pub(crate) fn skipped(&self) -> u64 {
        self.skipped
    }

    /// The lowest call id number yielded so far.
    pub(crate) fn low(&self) -> Option<u64> {
        self.low
    }

    fn seen(&self, id: &CallId) -> bool {
        self.recent.iter().any(|page| page.contains(id))
    }

    /// Drops the records of one page already yielded (on a recent page or
    /// earlier on this one, or above the lowest id on a page that does not
    /// progress); returns the rest, in order, and whether the page
    /// progressed. Remembers the page's ids.
    pub(crate) fn filter(&mut self, records: Vec<CallRecord>) -> (Vec<CallRecord>, bool) {
        let low_before = self.low;
        let progressed = match low_before {
            None => true,
            Some(low) => records.is_empty() || records.iter().any(|r| r.call_id.number() < low),
        };
        let mut this_page: HashSet<CallId> = HashSet::with_capacity(records.len());
        let mut kept = Vec::with_capacity(records.len());
        for r in records {
            let regressed = !progressed && low_before.is_some_and(|l| r.call_id.number() > l);
            if regressed || self.seen(&r.call_id) || this_page.contains(&r.call_id) {
                self.skipped += 1;
                continue;
            }
            this_page.insert(r.call_id.clone());
            let n = r.call_id.number();
            self.low = Some(self.low.map_or(n, |l| l.min(n)));
            kept.push(r);
        }
        if !this_page.is_empty() {
            if self.recent.len() == PAGES_REMEMBERED {
                self.recent.pop_front();
            }
            self.recent.push_back(this_page);
        }
        (kept, progressed)
    }

    /// The ids remembered (for a checkpoint), oldest page first.
    pub(crate) fn remembered(&self) -> Vec<CallId> {
        self.recent.iter().flatten().cloned().collect()
    }

    /// A de-duplication state that skips `ids` (from a checkpoint) and
    /// knows the lowest id yielded.
    pub(crate) fn restore(ids: impl IntoIterator<Item = CallId>, low: Option<u64>) -> Self {
        let page: HashSet<CallId> = ids.into_iter().collect();
        let mut recent = VecDeque::new();
        if !page.is_empty() {
            recent.push_back(page);
        }
        Self {
            recent,
            skipped: 0,
            low,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recs(ids: &[u64]) -> Vec<CallRecord> {
        ids.iter()
            .map(|&n| CallRecord::new(CallId::new(n)))
            .collect()
    }

    fn ids((r, _): &(Vec<CallRecord>, bool)) -> Vec<u64> {
        r.iter().map(|r| r.call_id.number()).collect()
    }

    #[test]
    fn repeats_are_skipped_and_never_seen_ids_kept() {
        let mut d = Dedup::default();
        assert_eq!(ids(&d.filter(recs(&[10, 9, 9, 7]))), [10, 9, 7]);
        // 8 was never yielded: kept, although above the lowest id (7), on a
        // page that progresses (6).
        assert_eq!(ids(&d.filter(recs(&[9, 8, 6]))), [8, 6]);
        assert_eq!(d.skipped(), 2);
        assert_eq!(d.low(), Some(6));
        assert_eq!(ids(&d.filter(recs(&[5]))), [5]);
        // A page that does not progress: what is above the lowest id was
        // passed already (10, three pages ago and forgotten, is not yielded).
        let (kept, progressed) = d.filter(recs(&[10, 9]));
        assert!(kept.is_empty() && !progressed);
        // A progressing page with a forgotten old id keeps it: it cannot
        // be told from a never-seen one.
        assert_eq!(ids(&d.filter(recs(&[10, 4]))), [10, 4]);
    }
}
