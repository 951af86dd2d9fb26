//! Content faults applied to a normal answer: cursors that do not advance or
//! loop (`stuck`, `freshcursor`), a broken `pagination` object
//! (`nopagination`, `nohasmore`, `nonextid`) and record edits (`badfield`,
//! `nocdid`; `badrecord` is a byte rewrite in
//! [`fault_response`](crate::fault_response)).

use crate::data::store::Store;
use crate::faults::Fault;
use crate::rules::paging::Page;
use crate::wire::{Pagination, RecordChange, RecordEdit};

/// The content faults of one request, ready to apply.
#[derive(Debug, Default)]
pub(crate) struct ContentFaults {
    /// `stuck`: `next_id` = the first record of the same page.
    pub(crate) stuck: bool,
    /// `badrecord`: the last record's `date` is made unreadable.
    pub(crate) bad_record: bool,
    /// `freshcursor`, with the request number that makes the cursor new.
    pub(crate) fresh_cursor: Option<u64>,
    /// `nopagination`.
    pub(crate) no_pagination: bool,
    /// `nohasmore`.
    pub(crate) no_has_more: bool,
    /// `nonextid`.
    pub(crate) empty_next_id: bool,
    /// `badfield` and `nocdid`, in plan order.
    pub(crate) edits: Vec<RecordEdit>,
}

impl ContentFaults {
    /// The content faults among `faults`, for request number `request`.
    pub(crate) fn new<'a>(faults: impl IntoIterator<Item = &'a Fault>, request: u64) -> Self {
        let mut out = Self::default();
        for f in faults {
            match f {
                Fault::StuckCursor => out.stuck = true,
                Fault::BadRecord => out.bad_record = true,
                Fault::FreshCursor => out.fresh_cursor = Some(request),
                Fault::NoPagination => out.no_pagination = true,
                Fault::NoHasMore => out.no_has_more = true,
                Fault::EmptyNextId => out.empty_next_id = true,
                Fault::BadField {
                    record,
                    field,
                    json,
                } => out.edits.push(RecordEdit::set(*record, field, json)),
                Fault::NoCallId(record) => out.edits.push(RecordEdit {
                    record: *record,
                    change: RecordChange::DropCallId,
                }),
                _ => {}
            }
        }
        out
    }

    /// Whether the request's `last_id` is ignored (`freshcursor`).
    pub(crate) fn ignores_cursor(&self) -> bool {
        self.fresh_cursor.is_some()
    }

    /// The cursor faults applied to the selected page.
    pub(crate) fn shape_page(&self, page: &mut Page, store: &Store) {
        if let Some(n) = self.fresh_cursor {
            let base = page
                .next_id
                .or_else(|| page.rows.last().map(|&i| store.rows[i].id))
                .unwrap_or_else(|| store.max_id());
            page.has_more = true;
            page.next_id = Some(base.saturating_sub(n).max(1));
        }
        if self.stuck
            && let Some(&first) = page.rows.first()
        {
            page.has_more = true;
            page.next_id = Some(store.rows[first].id);
        }
    }

    /// The pagination faults applied to a `pagination` object.
    pub(crate) fn shape_pagination(&self, p: Option<Pagination>) -> Option<Pagination> {
        let mut p = p?;
        if self.no_pagination {
            return None;
        }
        if self.empty_next_id {
            p.has_more = Some(true);
            p.next_id.id = None;
        }
        if self.no_has_more {
            p.has_more = None;
        }
        Some(p)
    }
}
