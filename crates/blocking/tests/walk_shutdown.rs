//! A walk's helper threads stop, and are waited for, when the walk is
//! closed: nothing is sent afterwards; dropped, the threads are told to
//! stop and end soon after. (Its own test binary, so no other test's
//! threads are running when the threads are counted.)

mod common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use velip_sandbox::{Fault, FaultPlan, RetryAfter};

use common::{builder, client, everything, sandbox};

/// The names of this process's threads that belong to a walk.
fn walk_threads() -> Vec<String> {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return Vec::new(); // not Linux: nothing to count
    };
    tasks
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
        .map(|n| n.trim().to_owned())
        .filter(|n| n.starts_with("velip-fetch") || n.starts_with("velip-decode"))
        .collect()
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
fn closed_walks_stop_their_helper_threads_first_and_dropped_ones_soon() {
    // 1. Closed while the fetcher waits out a 429 (Retry-After 30 s) on
    //    page 3.
    let sb = sandbox(1_000);
    sb.set_faults(FaultPlan::new().on_request(3, Fault::RateLimited(RetryAfter::Seconds(30))));
    let c = builder(&sb)
        .retry_policy(common::fast_retries().with_max_retry_wait(Duration::from_secs(60)))
        .build()
        .unwrap();
    let mut it = c.list_calls(everything().page_size(100).build().unwrap());
    it.next().unwrap().unwrap();
    assert_eq!(wait_for_requests(&sb, 3), 3);
    assert!(!walk_threads().is_empty() || !cfg!(target_os = "linux"));
    let t = Instant::now();
    it.close();
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    assert_eq!(
        walk_threads(),
        Vec::<String>::new(),
        "helpers outlived close"
    );
    drop(it);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(sb.request_log().len(), 3, "nothing sent after close");

    // 2. Closed while page 3 is in flight (its answer held up 3 s): the
    //    walk goes on afterwards, losing nothing.
    let sb = sandbox(300);
    sb.set_faults(FaultPlan::new().on_request(3, Fault::DelayHeaders(Duration::from_secs(3))));
    let c = client(&sb);
    let mut it = c.list_calls(everything().page_size(100).build().unwrap());
    let mut ids = HashSet::new();
    ids.insert(it.next().unwrap().unwrap().call_id);
    assert_eq!(wait_for_requests(&sb, 3), 3);
    let t = Instant::now();
    it.close();
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    assert_eq!(walk_threads(), Vec::<String>::new());
    for r in it.by_ref() {
        assert!(ids.insert(r.unwrap().call_id), "nothing twice");
    }
    assert_eq!(ids.len(), 300, "nothing lost");
    it.close();
    // A walk that reached its end let its threads end by themselves: they
    // are gone at once or very soon after.
    let deadline = Instant::now() + Duration::from_secs(2);
    while !walk_threads().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(walk_threads(), Vec::<String>::new());

    // 3. Dropped in the same wait as 1: the drop returns at once, the
    //    threads end soon after, and send nothing.
    let sb = sandbox(1_000);
    sb.set_faults(FaultPlan::new().on_request(3, Fault::RateLimited(RetryAfter::Seconds(30))));
    let c = builder(&sb)
        .retry_policy(common::fast_retries().with_max_retry_wait(Duration::from_secs(60)))
        .build()
        .unwrap();
    let mut it = c.list_calls(everything().page_size(100).build().unwrap());
    it.next().unwrap().unwrap();
    assert_eq!(wait_for_requests(&sb, 3), 3);
    drop(it);
    let deadline = Instant::now() + Duration::from_secs(5);
    while !walk_threads().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(walk_threads(), Vec::<String>::new(), "helpers kept running");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(sb.request_log().len(), 3, "nothing sent after the drop");
}
