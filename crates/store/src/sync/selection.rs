//! The selection of a sync: checked (a list selection, inline), keyed (the
//! state row it owns), and turned into the query each walk sends.

use chrono::NaiveDate;
use velip_core::query::ViolationCode;
use velip_core::{Query, ValidationError};

/// Refuses what a sync cannot keep a copy of: one call by id (a lookup),
/// a webhook delivery (nothing comes back inline).
pub(crate) fn check(q: &Query) -> Result<(), ValidationError> {
    if q.call_id().is_some() {
        return Err(ValidationError::single(
            "call_id",
            "cd_id",
            ViolationCode::CallIdWithFilters,
            "a sync keeps a list selection (campaign, dates, correlation id); for one call use get_call",
        ));
    }
    if q.webhook().is_some() {
        return Err(ValidationError::single(
            "webhook",
            "rurl",
            ViolationCode::OutOfRange,
            "a sync reads calls inline; give the selection without a webhook (rurl)",
        ));
    }
    Ok(())
}

/// The selection key: the selection's wire parameters (form-encoded, in
/// the query's fixed order) without the page size and cursor; empty for
/// every call. Two syncs of the same filters share one state.
pub(crate) fn key(q: Option<&Query>) -> String {
    let Some(q) = q else {
        return String::new();
    };
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in q.to_selection_pairs() {
        s.append_pair(k, &v);
    }
    s.finish()
}

/// The query of every walk of this selection: the selection (without a
/// cursor) from `floor` on, when there is one.
pub(crate) fn walk_query(
    q: Option<&Query>,
    floor: Option<NaiveDate>,
) -> Result<Query, ValidationError> {
    let Some(q) = q else {
        let mut b = Query::builder();
        if let Some(d) = floor {
            b = b.date_start(d);
        }
        return b.build();
    };
    let base = q.with_cursor(None);
    match floor {
        Some(d) if base.date_start().is_none_or(|s| s < d) => base.with_date_start(d),
        _ => Ok(base),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_leaves_out_paging_and_escapes_values() {
        let q = Query::builder()
            .campaign_ref("a&b=c")
            .date_start("2026-05-01")
            .page_size(100)
            .cursor("999")
            .build()
            .unwrap();
        assert_eq!(key(Some(&q)), "cpid=a%26b%3Dc&date_start=2026-05-01");
        assert_eq!(key(None), "");
    }

    #[test]
    fn the_floor_moves_date_start_up_only() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let q = Query::builder()
            .campaign_id(7)
            .date_start("2026-05-10")
            .build()
            .unwrap();
        assert_eq!(
            walk_query(Some(&q), Some(d("2026-05-01")))
                .unwrap()
                .date_start(),
            Some(d("2026-05-10"))
        );
        assert_eq!(
            walk_query(Some(&q), Some(d("2026-05-20")))
                .unwrap()
                .date_start(),
            Some(d("2026-05-20"))
        );
        assert_eq!(
            walk_query(None, Some(d("2026-05-20")))
                .unwrap()
                .date_start(),
            Some(d("2026-05-20"))
        );
        assert!(
            walk_query(None, None).is_err(),
            "every call needs a first day"
        );
        let one = Query::builder().call_id("42_1").build().unwrap();
        assert!(check(&one).is_err());
    }
}
