//! Which calls a request selects, and whether it is a point lookup or a list
//! request.
//!
//! Precedence: `ctid` wins over `cd_id` (then ignored). `ctid=null` selects
//! calls with an empty ctid (a list request). A `ctid` matching one call is a
//! point lookup; shared by several, a list request. `cd_id` alone is a point
//! lookup (bare `123` or prefixed `42_123`). Everything else is a list
//! request filtered by `cp_id`, `cpid` (resolved to the latest matching
//! `cp_id`), `date_start`/`dini`, `date_end`/`dend` (inclusive), `onlydtmf=1`
//! and the `last_id` cursor. Invalid filters select nothing; they are not
//! errors.

use super::paging::{Page, PageRequest, take_page};
use crate::data::store::{Row, Store, parse_date};

/// The two kinds of request the rules distinguish.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RequestKind {
    /// `cd_id` without `ctid`, or a `ctid` matching at most one call.
    PointLookup,
    /// By period, campaign, cursor, `ctid=null`, or a shared `ctid`.
    List,
}

/// The selected page and how it was selected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Selection {
    pub(crate) kind: RequestKind,
    /// A point lookup by a `ctid` matching exactly one call (full numbers).
    pub(crate) by_single_ctid: bool,
    pub(crate) page: Page,
}

#[derive(Debug, Default)]
struct Filter {
    /// Campaign indices allowed (by `cp_id`/`cpid`), `None` = all.
    campaigns: Option<Vec<bool>>,
    date_from: Option<i32>,
    date_to: Option<i32>,
    onlydtmf: bool,
    empty_ctid: bool,
    impossible: bool,
}

impl Filter {
    fn accepts(&self, row: &Row) -> bool {
        if let Some(c) = &self.campaigns
            && !c.get(row.campaign as usize).copied().unwrap_or(false)
        {
            return false;
        }
        if self.date_from.is_some_and(|d| row.date < d)
            || self.date_to.is_some_and(|d| row.date > d)
        {
            return false;
        }
        if self.onlydtmf && (!row.has_dtmf || row.in_progress) {
            return false;
        }
        if self.empty_ctid && !row.ctid.is_empty() {
            return false;
        }
        true
    }
}

/// Parses a call id: bare digits or `<alias>_<digits>`.
pub(crate) fn parse_call_id(raw: &str) -> Option<u64> {
    let raw = raw.trim();
    let digits = match raw.split_once('_') {
        Some((alias, digits))
            if !alias.is_empty() && alias.bytes().all(|b| b.is_ascii_alphanumeric()) =>
        {
            digits
        }
        Some(_) => return None,
        None => raw,
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

fn non_empty(p: &dyn Fn(&str) -> Option<String>, key: &str) -> Option<String> {
    p(key).filter(|v| !v.trim().is_empty())
}

fn build_filter(store: &Store, p: &dyn Fn(&str) -> Option<String>) -> Filter {
    let mut f = Filter::default();
    let mut cp_ids: Vec<u64> = Vec::new();
    let mut by_campaign = false;
    if let Some(cp) = non_empty(p, "cp_id") {
        by_campaign = true;
        match cp.trim().parse::<u64>() {
            Ok(id) => cp_ids.push(id),
            Err(_) => f.impossible = true,
        }
    }
    if let Some(cpid) = non_empty(p, "cpid") {
        by_campaign = true;
        match store.resolve_cpid(&cpid) {
            // Both given: the call must be in both (so they must agree).
            Some(id) if cp_ids.is_empty() || cp_ids.contains(&id) => cp_ids = vec![id],
            _ => f.impossible = true,
        }
    }
    if by_campaign {
        f.campaigns = Some(
            store
                .campaigns
                .iter()
                .map(|c| cp_ids.contains(&c.cp_id))
                .collect(),
        );
    }
    let date = |primary: &str, alias: &str| non_empty(p, primary).or_else(|| non_empty(p, alias));
    if let Some(d) = date("date_start", "dini") {
        match parse_date(&d) {
            Some(d) => f.date_from = Some(d),
            None => f.impossible = true,
        }
    }
    if let Some(d) = date("date_end", "dend") {
        match parse_date(&d) {
            Some(d) => f.date_to = Some(d),
            None => f.impossible = true,
        }
    }
    f.onlydtmf = p("onlydtmf").is_some_and(|v| v.trim() == "1");
    f
}

/// Selects the page a request asks for.
pub(crate) fn select(
    store: &Store,
    p: &dyn Fn(&str) -> Option<String>,
    page: PageRequest,
) -> Selection {
    let id_of = |i: usize| store.rows[i].id;
    let mut filter = build_filter(store, p);
    let cursor = non_empty(p, "last_id").and_then(|raw| {
        let parsed = raw.trim().parse::<u64>().ok();
        filter.impossible |= parsed.is_none();
        parsed
    });
    let end = cursor.map_or(store.rows.len(), |id| store.end_at(id));

    if let Some(ctid) = non_empty(p, "ctid") {
        if ctid == "null" {
            filter.empty_ctid = true;
            return list(store, &filter, end, page);
        }
        let matches = store.rows_with_ctid(&ctid);
        if matches.len() <= 1 {
            let rows = matches
                .into_iter()
                .filter(|&i| i < end && filter.accepts(&store.rows[i]));
            return Selection {
                kind: RequestKind::PointLookup,
                by_single_ctid: true,
                page: take_page(rows, page.size, id_of),
            };
        }
        let rows = matches
            .into_iter()
            .filter(|&i| !filter.impossible && i < end && filter.accepts(&store.rows[i]));
        return Selection {
            kind: RequestKind::List,
            by_single_ctid: false,
            page: take_page(rows, page.size, id_of),
        };
    }

    if let Some(raw) = non_empty(p, "cd_id") {
        let found = parse_call_id(&raw).and_then(|id| store.position(id));
        return Selection {
            kind: RequestKind::PointLookup,
            by_single_ctid: false,
            page: take_page(found.into_iter(), page.size, id_of),
        };
    }

    list(store, &filter, end, page)
}

fn list(store: &Store, filter: &Filter, end: usize, page: PageRequest) -> Selection {
    let end = if filter.impossible { 0 } else { end };
    let rows = (0..end).rev().filter(|&i| filter.accepts(&store.rows[i]));
    Selection {
        kind: RequestKind::List,
        by_single_ctid: false,
        page: take_page(rows, page.size, |i| store.rows[i].id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_ids() {
        assert_eq!(parse_call_id("42_123456"), Some(123_456));
        assert_eq!(parse_call_id("abc_1234567"), Some(1_234_567));
        assert_eq!(parse_call_id("123"), Some(123));
        assert_eq!(parse_call_id("_123"), None);
        assert_eq!(parse_call_id("12a"), None);
    }
}
