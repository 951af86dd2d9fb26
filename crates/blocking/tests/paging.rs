//! Paging against the sandbox: every call exactly once, cursors verbatim,
//! page sizes, stuck cursors, resuming.

mod common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use velip_blocking::{Error, RetryPolicy};
use velip_core::{NumberFormat, Query};
use velip_sandbox::{Fault, FaultPlan, IpPolicy, RetryAfter};

use common::{builder, client, everything, sandbox};

#[test]
fn walk_of_120_000_calls_with_inserts_between_pages_yields_each_call_once() {
    let sb = sandbox(120_000);
    let newest_before = sb.newest_call_id();
    let c = client(&sb);
    let mut it = c.list_calls(everything().page_size(5000).build().unwrap());
    let mut seen = HashSet::with_capacity(120_000);
    let mut pages = 0;
    while let Some(page) = it.next_page() {
        let page = page.unwrap();
        for r in &page.records {
            let n = r.call_id.number();
            assert!(
                n <= newest_before,
                "a call inserted during the walk was yielded: {n}"
            );
            assert!(seen.insert(n), "call {n} yielded twice");
        }
        pages += 1;
        // New calls arrive at the head while we page.
        sb.insert_calls(37);
    }
    assert_eq!(seen.len(), 120_000);
    assert_eq!(it.records_yielded(), 120_000);
    assert_eq!(it.pages_fetched(), 24);
    assert_eq!(pages, 24);
    assert_eq!(it.duplicates_skipped(), 0);
    assert!(it.is_finished());
    assert!(it.resume_cursor().is_none());
    let log = sb.request_log();
    assert_eq!(log.len(), 24);
    assert!(log.iter().all(|r| r.param("maxreg") == Some("5000")));
}

#[test]
fn the_cursor_is_passed_back_verbatim_and_the_page_size_always_sent() {
    let sb = sandbox(2_500);
    let c = client(&sb);
    let mut cursors = Vec::new();
    let mut it = c.list_calls(everything().page_size(1000).build().unwrap());
    while let Some(page) = it.next_page() {
        let page = page.unwrap();
        cursors.push(page.next_cursor().map(|c| c.as_str().to_owned()));
    }
    assert_eq!(it.records_yielded(), 2_500);
    let log = sb.request_log();
    assert_eq!(log.len(), 3);
    assert_eq!(log[0].param("last_id"), None);
    assert_eq!(log[1].param("last_id"), cursors[0].as_deref());
    assert_eq!(log[2].param("last_id"), cursors[1].as_deref());
    assert_eq!(cursors[2], None);
    assert!(log.iter().all(|r| r.param("maxreg") == Some("1000")));
}

#[test]
fn page_sizes_default_5000_exact_5000_server_max_and_6000_refused() {
    let sb = sandbox(300);
    let c = client(&sb);
    // No page size given: the server maximum is sent.
    assert_eq!(c.list_calls(everything().build().unwrap()).count(), 300);
    c.list_page(&everything().build().unwrap()).unwrap();
    c.list_calls(everything().page_size(5000).build().unwrap())
        .for_each(drop);
    c.list_calls(everything().page_size_server_max().build().unwrap())
        .for_each(drop);
    let log = sb.request_log();
    assert_eq!(log.len(), 4);
    assert!(
        log.iter().all(|r| r.param("maxreg") == Some("5000")),
        "{log:?}"
    );
    // 6000 is a validation error: nothing is sent.
    let err = everything().page_size(6000).build().unwrap_err();
    let err = Error::from(err);
    assert!(matches!(err, Error::Validation(_)));
    insta::assert_snapshot!(err, @"invalid query: page_size (maxreg): must be between 1 and 5000, got 6000 (use the server maximum instead of -1)");
    assert_eq!(sb.request_log().len(), 4);
}

#[test]
fn a_cursor_that_does_not_advance_stops_with_a_typed_error() {
    let sb = sandbox(3_000);
    sb.set_faults(FaultPlan::new().on_requests(2..=100, Fault::StuckCursor));
    let c = client(&sb);
    let mut it = c.list_calls(everything().page_size(1000).build().unwrap());
    let mut ok = 0;
    let mut err = None;
    for r in it.by_ref() {
        match r {
            Ok(_) => ok += 1,
            Err(e) => {
                err = Some(e);
                break;
            }
        }
    }
    let err = err.expect("the walk stops with an error");
    assert!(
        matches!(
            err,
            Error::Paging(velip_blocking::PagingError::CursorCycle { .. })
        ),
        "{err:?}"
    );
    assert!(!err.is_retryable());
    // Nothing was yielded twice, and the walk is over.
    assert!((1000..=2000).contains(&ok), "{ok}");
    assert!(it.next().is_none());
    assert!(sb.request_log().len() <= 3, "{}", sb.request_log().len());
}

#[test]
fn a_retried_page_resumes_at_the_same_cursor_and_yields_nothing_twice() {
    let sb = sandbox(3_000);
    sb.set_faults(
        FaultPlan::new()
            .on_request(2, Fault::ServiceUnavailable)
            .on_request(4, Fault::ConnectionReset),
    );
    let c = client(&sb);
    let ids: Vec<u64> = c
        .list_calls(everything().page_size(1000).build().unwrap())
        .map(|r| r.unwrap().call_id.number())
        .collect();
    assert_eq!(ids.len(), 3_000);
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 3_000);
    let log = sb.request_log();
    assert_eq!(log[1].param("last_id"), log[2].param("last_id"));
    assert!(log[1].param("last_id").is_some());
}

#[test]
fn after_an_error_next_retries_the_same_page() {
    let sb = sandbox(2_500);
    // Requests 2 and 3 fail; with one attempt per call the iterator yields
    // two errors, then continues where it was.
    sb.set_faults(FaultPlan::new().on_requests(2..=3, Fault::ServiceUnavailable));
    let c = builder(&sb)
        .retry_policy(RetryPolicy::no_retries())
        .build()
        .unwrap();
    let mut it = c.list_calls(everything().page_size(1000).build().unwrap());
    let mut ids = HashSet::new();
    let mut errors = 0;
    for r in it.by_ref() {
        match r {
            Ok(rec) => assert!(ids.insert(rec.call_id.number())),
            Err(e) => {
                assert!(
                    e.kind() == velip_blocking::ErrorKind::Server && e.http_status() == Some(503),
                    "{e:?}"
                );
                assert!(e.is_retryable());
                errors += 1;
            }
        }
    }
    assert_eq!(errors, 2);
    assert_eq!(ids.len(), 2_500);
    let log = sb.request_log();
    assert_eq!(log.len(), 5);
    assert_eq!(log[1].param("last_id"), log[3].param("last_id"));
}

#[test]
fn a_walk_resumes_from_a_saved_cursor() {
    let sb = sandbox(2_500);
    let c = client(&sb);
    let query = everything().page_size(1000).build().unwrap();
    let mut first = c.list_calls(query.clone());
    let page = first.next_page().unwrap().unwrap();
    let saved = first
        .resume_cursor()
        .cloned()
        .expect("a cursor to resume from");
    drop(first);
    let mut ids: HashSet<u64> = page.records.iter().map(|r| r.call_id.number()).collect();
    let rest = c.list_calls(query.with_cursor(Some(saved)));
    for r in rest {
        assert!(ids.insert(r.unwrap().call_id.number()));
    }
    assert_eq!(ids.len(), 2_500);
}

#[test]
fn one_page_at_a_time_with_list_page() {
    let sb = sandbox(1_500);
    let c = client(&sb);
    let q = everything().page_size(1000).build().unwrap();
    let p1 = c.list_page(&q).unwrap();
    assert_eq!(p1.records.len(), 1000);
    assert!(p1.has_more());
    let p2 = c
        .list_page(&q.with_cursor(p1.next_cursor().cloned()))
        .unwrap();
    assert_eq!(p2.records.len(), 500);
    assert!(!p2.has_more());
}

#[test]
fn rate_limited_mid_walk_with_retry_after_1_then_success() {
    let sb = sandbox(2_500);
    sb.set_faults(FaultPlan::new().on_request(2, Fault::RateLimited(RetryAfter::Seconds(1))));
    let c = client(&sb);
    let t = Instant::now();
    let n = c
        .list_calls(everything().page_size(1000).build().unwrap())
        .map(Result::unwrap)
        .count();
    assert_eq!(n, 2_500);
    assert!(t.elapsed() >= Duration::from_secs(1));
    let log = sb.request_log();
    assert_eq!(log.len(), 4);
    assert_eq!(log[1].status, 429);
    assert_eq!(log[1].param("last_id"), log[2].param("last_id"));
}

#[test]
fn filters_flags_masking_and_warnings() {
    let sb = sandbox(2_000);
    sb.set_ip_policy(IpPolicy::Warn);
    let c = builder(&sb).token(sb.masked_token()).build().unwrap();
    let q = everything()
        .only_dtmf(true)
        .number_format(NumberFormat::Ddd)
        .origin("crm_export")
        .build()
        .unwrap();
    let mut it = c.list_calls(q);
    let records: Vec<_> = it.by_ref().map(Result::unwrap).collect();
    assert!(!records.is_empty());
    assert!(records.iter().all(velip_core::CallRecord::has_dtmf));
    assert!(
        records
            .iter()
            .all(|r| r.origin.as_deref() == Some("crm_export"))
    );
    assert!(it.numbers_masked());
    assert_eq!(it.warnings().len(), 1, "{:?}", it.warnings());
    let log = sb.request_log();
    assert_eq!(log[0].param("onlydtmf"), Some("1"));
    assert_eq!(log[0].param("numtype"), Some("DDD"));

    // Calls without a correlation id.
    let empty: Vec<_> = c
        .list_calls(Query::builder().empty_correlation_id().build().unwrap())
        .map(Result::unwrap)
        .collect();
    assert!(!empty.is_empty());
    assert!(empty.iter().all(|r| r.correlation_id.is_none()));
    assert_eq!(sb.request_log().last().unwrap().param("ctid"), Some("null"));
}

#[test]
fn prefetch_overlaps_pages_and_can_be_turned_off() {
    let sb = sandbox(1_000);
    let c = client(&sb);
    // A full walk sends one request per page, prefetch or not.
    let n = c
        .list_calls(everything().page_size(100).build().unwrap())
        .map(Result::unwrap)
        .count();
    assert_eq!(n, 1_000);
    assert_eq!(sb.request_log().len(), 10);

    // Stopping early: with prefetch up to two more pages may have been
    // requested; without it, exactly the pages consumed.
    sb.reset();
    let mut it = c
        .list_calls(everything().page_size(100).build().unwrap())
        .prefetch(false);
    it.next().unwrap().unwrap();
    drop(it);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(sb.request_log().len(), 1);
}

#[test]
fn an_interrupt_while_waiting_for_a_prefetched_page_loses_nothing() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    let sb = sandbox(300);
    sb.set_faults(FaultPlan::new().on_request(2, Fault::DelayHeaders(Duration::from_millis(1500))));
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    let c = builder(&sb)
        .interrupt_check(Arc::new(move || flag.load(Ordering::SeqCst)))
        .build()
        .unwrap();
    let mut it = c.list_calls(everything().page_size(100).build().unwrap());
    let mut ids = HashSet::new();
    for _ in 0..100 {
        ids.insert(it.next().unwrap().unwrap().call_id);
    }
    stop.store(true, Ordering::SeqCst);
    let t = Instant::now();
    assert_eq!(it.next().unwrap().unwrap_err(), Error::Interrupted);
    assert!(
        t.elapsed() < Duration::from_millis(900),
        "{:?}",
        t.elapsed()
    );
    stop.store(false, Ordering::SeqCst);
    for r in it.by_ref() {
        assert!(ids.insert(r.unwrap().call_id), "nothing twice");
    }
    assert_eq!(ids.len(), 300, "nothing lost");
    assert_eq!(
        sb.request_log().len(),
        3,
        "the prefetched page was not requested again"
    );
}

/// Polls the sandbox's request log until it holds `n` requests (or 10 s).
fn wait_for_requests(sb: &velip_sandbox::Sandbox, n: usize) -> usize {
    let deadline = Instant::now() + Duration::from_secs(10);
    while sb.request_log().len() < n && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    sb.request_log().len()
}

#[test]
fn the_pipeline_requests_two_pages_ahead_and_no_further() {
    let sb = sandbox(1_000);
    let c = client(&sb);
    let mut it = c.list_calls(everything().page_size(100).build().unwrap());
    let first = it.next().unwrap().unwrap();
    // While page 1 is consumed, page 2 is decoded and page 3 requested...
    assert_eq!(wait_for_requests(&sb, 3), 3);
    // ...and nothing more until the walk takes page 2.
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(sb.request_log().len(), 3, "at most two pages ahead");
    let mut ids: HashSet<_> = std::iter::once(first.call_id).collect();
    for r in it.by_ref() {
        assert!(ids.insert(r.unwrap().call_id));
    }
    assert_eq!(ids.len(), 1_000);
    // Speculation on a healthy walk costs nothing: one request per page.
    let cursors: Vec<_> = sb
        .request_log()
        .iter()
        .map(|r| r.param("last_id").map(str::to_owned))
        .collect();
    assert_eq!(cursors.len(), 10);
    assert_eq!(
        cursors.iter().collect::<HashSet<_>>().len(),
        10,
        "{cursors:?}"
    );
}

#[test]
fn in_strict_mode_a_page_whose_records_fail_to_decode_is_fetched_again_and_nothing_is_lost() {
    let sb = sandbox(1_000);
    sb.set_faults(FaultPlan::new().on_request(2, Fault::BadRecord));
    let c = builder(&sb).strict(true).build().unwrap();
    let mut it = c.list_calls(everything().page_size(100).build().unwrap());
    let mut ids = HashSet::new();
    let err = loop {
        match it.next().unwrap() {
            Ok(r) => assert!(ids.insert(r.call_id)),
            Err(e) => break e,
        }
    };
    assert_eq!(ids.len(), 100, "page 1 yielded before the error");
    let Error::Decode(d) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(d.field(), Some("date"));
    for r in it.by_ref() {
        assert!(ids.insert(r.unwrap().call_id), "nothing twice");
    }
    assert_eq!(ids.len(), 1_000, "nothing lost");
    // Page 3 may have been requested from page 2's head before page 2
    // failed; the pipeline then stopped there. Retrying asks for page 2
    // (and page 3) again: at most one request more than the retry itself,
    // never a chain.
    let log = sb.request_log();
    let mut per_cursor = std::collections::HashMap::new();
    for r in &log {
        *per_cursor
            .entry(r.param("last_id").map(str::to_owned))
            .or_insert(0) += 1;
    }
    assert!((11..=12).contains(&log.len()), "{per_cursor:?}");
    assert!(per_cursor.values().all(|&n| n <= 2), "{per_cursor:?}");
}

#[test]
fn a_record_that_cannot_be_read_in_full_is_yielded_with_its_problem() {
    let sb = sandbox(1_000);
    sb.set_faults(FaultPlan::new().on_request(2, Fault::BadRecord));
    let c = client(&sb);
    let mut it = c.list_calls(everything().page_size(100).build().unwrap());
    let mut ids = HashSet::new();
    let mut problems = Vec::new();
    for r in it.by_ref() {
        let r = r.unwrap();
        if !r.problems.is_empty() {
            problems.push(r.clone());
        }
        assert!(ids.insert(r.call_id));
    }
    assert_eq!(ids.len(), 1_000, "nothing lost");
    assert_eq!(sb.request_log().len(), 10, "one request per page");
    let [bad] = problems.as_slice() else {
        panic!("{problems:?}")
    };
    assert_eq!(bad.date, None);
    assert_eq!(bad.problems[0].field, "date");
    assert_eq!(bad.problems[0].raw, "\"2026-02-30\"");
    assert!(bad.raw_json.as_deref().unwrap().contains("2026-02-30"));
}

#[test]
fn prefetch_depth_one_reaches_one_page_ahead() {
    let sb = sandbox(1_000);
    let c = client(&sb);
    let mut it = c
        .list_calls(everything().page_size(100).build().unwrap())
        .prefetch_depth(1);
    it.next().unwrap().unwrap();
    assert_eq!(wait_for_requests(&sb, 2), 2);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(sb.request_log().len(), 2, "one page ahead only");
    assert_eq!(it.map(Result::unwrap).count(), 999);
    assert_eq!(sb.request_log().len(), 10);
}

#[test]
fn a_walk_dropped_mid_way_sends_no_further_request() {
    // Every answer takes 300 ms: without the stop, the fetch thread would
    // go on following cursors after the walk is gone.
    let sb = sandbox(600);
    sb.set_faults(FaultPlan::new().on_requests(
        1..=1000,
        Fault::DelayHeaders(std::time::Duration::from_millis(300)),
    ));
    let c = client(&sb);
    let mut it = c.list_calls(everything().page_size(5).build().unwrap());
    for _ in 0..5 {
        it.next().unwrap().unwrap();
    }
    // Page 2 was requested ahead when page 1's head arrived.
    drop(it);
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let sent = sb.request_log().len();
    assert!(
        sent <= 2,
        "{sent} requests: page 1, and page 2 requested ahead"
    );
    std::thread::sleep(std::time::Duration::from_millis(700));
    assert_eq!(
        sb.request_log().len(),
        sent,
        "a request after the walk was dropped"
    );
}

#[test]
fn a_limited_walk_asks_for_small_pages_fetches_nothing_ahead_and_stops() {
    let sb = sandbox(1_000);
    let c = client(&sb);
    // Pages of the limit's size: one request for 7 calls.
    let mut it = c.list_calls(everything().build().unwrap()).limit(7);
    let ids: Vec<_> = it.by_ref().map(|r| r.unwrap().call_id).collect();
    assert_eq!(ids.len(), 7);
    assert!(it.is_finished());
    std::thread::sleep(Duration::from_millis(200));
    let log = sb.request_log();
    assert_eq!(log.len(), 1, "nothing fetched ahead");
    assert!(log[0].body.iter().any(|(k, v)| k == "maxreg" && v == "7"));
    // The checkpoint still says where the selection goes on.
    let rest: Vec<_> = c
        .resume_calls(everything().build().unwrap(), &it.checkpoint())
        .map(|r| r.unwrap().call_id)
        .collect();
    assert_eq!(rest.len(), 993);
    assert!(rest.iter().all(|id| !ids.contains(id)));

    // A smaller page size is kept; the last page is cut at the limit, and
    // next_page never hands out more than the limit leaves.
    sb.clear_request_log();
    let mut it = c
        .list_calls(everything().page_size(3).build().unwrap())
        .limit(7);
    let sizes: Vec<usize> = std::iter::from_fn(|| it.next_page())
        .map(|p| p.unwrap().records.len())
        .collect();
    assert_eq!(sizes, [3, 3, 1]);
    assert_eq!(sb.request_log().len(), 3);
    assert_eq!(it.records_yielded(), 7);
}
