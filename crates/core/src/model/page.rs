use std::collections::BTreeMap;

use serde::Serialize;

use super::{CallRecord, Cursor, RejectedRecord};

/// One page of a GetCallStatus answer (HTTP 200, `status_code` `"0"`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Page {
    /// `return.status`, `"OK"` on success.
    pub status: String,
    /// `return.status_code`, `"0"` on success.
    pub status_code: String,
    /// `calls`: newest first (descending call id).
    pub records: Vec<CallRecord>,
    /// Entries of `calls` that could not be read as a call at all (no
    /// readable call id, or not an object), kept with their raw JSON text.
    /// Empty for a clean page.
    pub rejected: Vec<RejectedRecord>,
    /// `return.pagination`: present only when the request sent a page size
    /// (`maxreg`).
    pub pagination: Option<Pagination>,
    /// `return.numbers_masked`: phone numbers in this page are masked
    /// (`xxxxx877`).
    pub numbers_masked: bool,
    /// `return.warning`: a free-text notice from the service (today: the
    /// calling IP is not on the account's list for list requests).
    pub warning: Option<String>,
    /// Unknown keys of the top level and of `return`, verbatim (for example
    /// `total`); keys of `return` are prefixed `return.`.
    pub extra: BTreeMap<String, serde_json::Value>,
}

impl Page {
    /// The cursor of the next page, when the service says there is one
    /// (`has_more` true and a non-empty `next_id`).
    pub fn next_cursor(&self) -> Option<&Cursor> {
        self.pagination.as_ref().and_then(Pagination::next_cursor)
    }

    /// Whether the service says another page exists (`has_more`).
    pub fn has_more(&self) -> bool {
        self.pagination.as_ref().is_some_and(|p| p.has_more)
    }
}

/// `return.pagination` of a page.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[non_exhaustive]
pub struct Pagination {
    /// `has_more`: another page exists.
    pub has_more: bool,
    /// `next_id`: the cursor to send as `last_id`; `None` when the service
    /// sent `""`, `null` or nothing.
    pub next_cursor: Option<Cursor>,
    /// `maxreg_capped`: the page size asked for (`-1` or above 5000) was
    /// capped.
    pub page_size_capped: bool,
    /// `maxreg_applied`: the page size actually used when capped (5000).
    pub page_size_applied: Option<u32>,
    /// Unknown keys of `pagination`, verbatim.
    pub extra: BTreeMap<String, serde_json::Value>,
}

impl Pagination {
    /// The cursor of the next page this pagination announces: `next_id`
    /// when `has_more` is true (the one place this rule is written).
    pub fn next_cursor(&self) -> Option<&Cursor> {
        self.next_cursor.as_ref().filter(|_| self.has_more)
    }
}
