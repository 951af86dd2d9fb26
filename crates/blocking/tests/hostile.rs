//! Walks against services that misbehave the way PHP services do: every
//! call of the selection exactly once, or a clear error and a checkpoint to
//! resume from; never a silent gap, a duplicate, a loop or a flood.

mod common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use velip_blocking::{Error, ErrorKind, PagingError, WalkCheckpoint};
use velip_sandbox::{Fault, FaultPlan, RecordRef, RetryAfter};

use common::{builder, client, everything, sandbox};

fn ids_of(it: &mut velip_blocking::CallIter) -> (HashSet<String>, Option<Error>) {
    let mut ids = HashSet::new();
    for r in it.by_ref() {
        match r {
            Ok(r) => assert!(ids.insert(r.call_id.to_string()), "no duplicate"),
            Err(e) => return (ids, Some(e)),
        }
    }
    (ids, None)
}

#[test]
fn a_persistent_bad_record_never_blocks_the_walk() {
    let sb = sandbox(1_000);
    // A call of the third page.
    let bad = client(&sb)
        .list_page(&everything().page_size(250).build().unwrap())
        .unwrap()
        .records[249]
        .call_id
        .number();
    for (field, json) in [
        ("date", "\"2026-02-30\""),
        ("dur", "27.5"),
        ("cdr_sec", "-1"),
        ("value", "\"-\""),
        ("time_end", "\"24:00:00\""),
    ] {
        sb.reset();
        sb.set_faults(
            FaultPlan::new().always(Fault::bad_field(RecordRef::Id(bad), field, json).unwrap()),
        );
        let c = client(&sb);
        let mut it = c.list_calls(everything().page_size(100).build().unwrap());
        let mut seen = 0;
        let mut with_problem = Vec::new();
        for r in it.by_ref() {
            let r = r.unwrap();
            seen += 1;
            if !r.problems.is_empty() {
                with_problem.push(r);
            }
        }
        assert_eq!(seen, 1_000, "{field}: every call, the bad one included");
        let [r] = with_problem.as_slice() else {
            panic!("{field}: {with_problem:?}")
        };
        assert_eq!(r.call_id.number(), bad);
        assert_eq!(r.problems[0].field, field);
        assert_eq!(r.problems[0].raw, json);
        assert_eq!(sb.request_log().len(), 10, "{field}: no retry of the page");
    }
}

#[test]
fn a_record_without_a_call_id_is_rejected_not_fatal() {
    let sb = sandbox(300);
    sb.set_faults(FaultPlan::new().always(Fault::NoCallId(RecordRef::Position(3))));
    let c = client(&sb);
    let mut it = c.list_calls(everything().page_size(100).build().unwrap());
    let mut records = 0;
    let mut rejected = Vec::new();
    while let Some(page) = it.next_page() {
        let page = page.unwrap();
        records += page.records.len();
        rejected.extend(page.rejected);
    }
    assert_eq!(records, 297);
    assert_eq!(rejected.len(), 3, "one per page, kept");
    // Position 3 is the third record of each page: index 2.
    assert!(
        rejected
            .iter()
            .all(|r| r.index == 2 && r.raw.contains("cd_status")),
        "{rejected:?}"
    );
    assert_eq!(rejected[0].problem.field, "cd_id");
}

#[test]
fn a_service_that_does_not_advance_costs_at_most_three_requests() {
    for depth in [0, 1, 2] {
        let sb = sandbox(1_000);
        sb.set_faults(FaultPlan::new().always(Fault::FreshCursor));
        let c = client(&sb);
        let mut it = c
            .list_calls(everything().page_size(100).build().unwrap())
            .prefetch_depth(depth);
        let (ids, err) = ids_of(&mut it);
        assert_eq!(ids.len(), 100, "depth {depth}: the first page, once");
        let err = err.expect("an error, not an endless walk");
        assert_eq!(err.kind(), ErrorKind::Paging, "{err}");
        assert!(
            matches!(err, Error::Paging(PagingError::NoProgress { .. })),
            "{err:?}"
        );
        // Let any speculative request land before counting.
        std::thread::sleep(Duration::from_millis(300));
        assert!(
            sb.request_log().len() <= 3,
            "depth {depth}: {} requests",
            sb.request_log().len()
        );
        assert!(it.next().is_none(), "finished after the error");
        assert!(!it.checkpoint().is_finished(), "resumable");
    }
}

#[test]
fn a_full_page_without_pagination_is_not_the_end() {
    for fault in [Fault::NoPagination, Fault::NoHasMore] {
        let sb = sandbox(1_000);
        sb.set_faults(FaultPlan::new().on_request(3, fault.clone()));
        let c = client(&sb);
        let query = everything().page_size(100).build().unwrap();
        let mut it = c.list_calls(query.clone()).prefetch_depth(0);
        let (ids, err) = ids_of(&mut it);
        assert_eq!(ids.len(), 300, "{fault:?}: three pages yielded");
        assert!(
            matches!(
                err,
                Some(Error::Paging(PagingError::MissingPagination {
                    records: 100
                }))
            ),
            "{fault:?}: {err:?}"
        );
        // The checkpoint names the third page: a resume once the service
        // behaves again completes the selection, nothing twice.
        let cp = it.checkpoint();
        sb.set_faults(FaultPlan::new());
        let mut rest = c.resume_calls(query, &cp);
        let (more, err) = ids_of(&mut rest);
        assert!(err.is_none(), "{err:?}");
        assert!(ids.is_disjoint(&more), "nothing twice");
        assert_eq!(ids.len() + more.len(), 1_000, "nothing lost");
    }
    // A page that is not full needs no pagination: it is the last one.
    let sb = sandbox(50);
    sb.set_faults(FaultPlan::new().always(Fault::NoPagination));
    let c = client(&sb);
    let (ids, err) = ids_of(&mut c.list_calls(everything().page_size(100).build().unwrap()));
    assert_eq!((ids.len(), err), (50, None));
}

#[test]
fn paging_errors_leave_a_checkpoint_that_resumes_exactly() {
    for fault in [Fault::StuckCursor, Fault::EmptyNextId] {
        let sb = sandbox(2_000);
        sb.set_faults(FaultPlan::new().on_request(4, fault.clone()));
        let c = client(&sb);
        let query = everything().page_size(200).build().unwrap();
        let mut it = c.list_calls(query.clone()).prefetch_depth(1);
        let (mut ids, err) = ids_of(&mut it);
        assert_eq!(err.map(|e| e.kind()), Some(ErrorKind::Paging), "{fault:?}");
        let cp = it.checkpoint();
        assert!(!cp.is_finished());
        // Saved and read back, as an export's checkpoint file is.
        let cp: WalkCheckpoint =
            serde_json::from_str(&serde_json::to_string(&cp).unwrap()).unwrap();
        sb.set_faults(FaultPlan::new());
        let (more, err) = ids_of(&mut c.resume_calls(query, &cp));
        assert!(err.is_none(), "{err:?}");
        for id in &more {
            assert!(ids.insert(id.clone()), "{fault:?}: {id} twice");
        }
        assert_eq!(ids.len(), 2_000, "{fault:?}: the whole selection");
    }
}

#[test]
fn a_loop_that_skips_errors_does_not_flood_the_service() {
    let sb = sandbox(1_000);
    sb.set_faults(FaultPlan::new().always(Fault::RateLimited(RetryAfter::Seconds(2984))));
    let c = builder(&sb)
        .max_retry_wait(Duration::from_secs(1))
        .build()
        .unwrap();
    let mut it = c.list_calls(everything().build().unwrap());
    let started = Instant::now();
    let mut errors = 0;
    for _ in 0..5_000 {
        match it.next() {
            Some(Err(e)) => {
                assert_eq!(e.kind(), ErrorKind::RateLimited);
                assert_eq!(e.retry_after(), Some(Duration::from_secs(2984)));
                errors += 1;
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(errors, 5_000);
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(
        sb.request_log().len(),
        1,
        "one request per Retry-After period"
    );

    // A short Retry-After is waited out before asking again.
    let sb = sandbox(100);
    sb.set_faults(FaultPlan::new().on_request(1, Fault::RateLimited(RetryAfter::Seconds(1))));
    let c = builder(&sb).max_retries(0).build().unwrap();
    let mut it = c.list_calls(everything().build().unwrap());
    assert!(matches!(it.next(), Some(Err(Error::RateLimited(_)))));
    let t = Instant::now();
    assert!(it.next().unwrap().is_ok());
    assert!(
        t.elapsed() >= Duration::from_millis(900),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(sb.request_log().len(), 2);
}

#[test]
fn server_errors_after_the_retries_are_not_resent_at_once() {
    let sb = sandbox(100);
    sb.set_faults(FaultPlan::new().always(Fault::ServiceUnavailable));
    let c = builder(&sb)
        .max_retries(0)
        .max_retry_wait(Duration::ZERO)
        .build()
        .unwrap();
    let mut it = c.list_calls(everything().build().unwrap());
    for _ in 0..100 {
        assert_eq!(it.next().unwrap().unwrap_err().kind(), ErrorKind::Server);
    }
    assert_eq!(sb.request_log().len(), 1);
}

#[test]
fn a_checkpoint_resumes_in_another_walk_with_nothing_twice() {
    let sb = sandbox(1_000);
    let c = client(&sb);
    let query = everything().page_size(100).build().unwrap();
    let mut it = c.list_calls(query.clone());
    let mut ids = HashSet::new();
    for _ in 0..3 {
        for r in it.next_page().unwrap().unwrap().records {
            ids.insert(r.call_id.to_string());
        }
    }
    let cp = it.checkpoint();
    assert_eq!((cp.pages(), cp.records()), (3, 300));
    drop(it);
    // Calls arrive meanwhile; the resumed walk still yields the rest once.
    sb.insert_calls(250);
    let (more, err) = ids_of(&mut c.resume_calls(query.clone(), &cp));
    assert!(err.is_none());
    assert!(ids.is_disjoint(&more));
    assert_eq!(ids.len() + more.len(), 1_000);
    // A finished walk's checkpoint resumes to nothing, sending nothing.
    let mut all = c.list_calls(query.clone());
    while all.next_page().is_some() {}
    let done = all.checkpoint();
    assert!(done.is_finished());
    let before = sb.request_log().len();
    assert!(c.resume_calls(query, &done).next().is_none());
    assert_eq!(sb.request_log().len(), before);
}
