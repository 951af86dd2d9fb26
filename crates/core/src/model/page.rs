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

    /// What comes after this page, for a walk that asked for `page_size`
    /// records per page (the one place this rule is written):
    ///
    /// - `has_more` true with a `next_id`: [`Continuation::Next`];
    /// - `has_more` true without one: [`Continuation::CursorMissing`];
    /// - `has_more` false: [`Continuation::End`];
    /// - no `pagination`, or one without `has_more`: the end when the page
    ///   is not full, else [`Continuation::Unknown`] (a full page cannot
    ///   tell whether more calls exist; never read as the end).
    ///
    /// ```
    /// use velip_core::decode::decode_page;
    /// use velip_core::model::Continuation;
    /// let full = decode_page(br#"{"return":{"status":"OK","status_code":"0"},"calls":[{"cd_id":2},{"cd_id":1}]}"#).unwrap();
    /// assert_eq!(full.continuation(2), Continuation::Unknown);
    /// assert_eq!(full.continuation(5000), Continuation::End);
    /// ```
    pub fn continuation(&self, page_size: u32) -> Continuation<'_> {
        match &self.pagination {
            Some(p) if p.has_more_sent => match (p.has_more, p.next_cursor.as_ref()) {
                (true, Some(c)) => Continuation::Next(c),
                (true, None) => Continuation::CursorMissing,
                (false, _) => Continuation::End,
            },
            _ => {
                let entries = self.records.len() + self.rejected.len();
                if entries >= usize::try_from(page_size).unwrap_or(usize::MAX) {
                    Continuation::Unknown
                } else {
                    Continuation::End
                }
            }
        }
    }
}

/// What comes after a page (see [`Page::continuation`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Continuation<'a> {
    /// Another page, at this cursor.
    Next(&'a Cursor),
    /// The last page.
    End,
    /// `has_more` without a `next_id`.
    CursorMissing,
    /// A full page without `pagination` (or without `has_more`).
    Unknown,
}

/// `return.pagination` of a page.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[non_exhaustive]
pub struct Pagination {
    /// `has_more`: another page exists.
    pub has_more: bool,
    /// Whether the answer sent `has_more` at all (a pagination object
    /// without it cannot tell whether more calls exist).
    pub has_more_sent: bool,
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
