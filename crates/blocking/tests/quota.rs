//! The ledger wired into the client: quota before sending (fail or wait),
//! budgets, lock-outs shared through the state folder, reports.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use velip_blocking::ledger::Ledger;
use velip_blocking::{Error, ErrorKind, NotSent, RateLimitPolicy, WaitNotice};
use velip_sandbox::{LimitsConfig, Sandbox, SandboxConfig};

use common::{bare_builder, builder, everything};

fn limited(calls: usize, list_requests: u32, window: Duration) -> Sandbox {
    Sandbox::start(SandboxConfig {
        calls,
        limits: LimitsConfig {
            list_requests,
            list_window: window,
            ..LimitsConfig::generous()
        },
        ..SandboxConfig::default()
    })
    .unwrap()
}

#[test]
fn with_the_fail_policy_a_refused_request_is_not_sent() {
    let sb = limited(500, 3, Duration::from_secs(3600));
    let c = builder(&sb)
        .list_quota(3, Duration::from_secs(3600))
        .build()
        .unwrap();
    let q = everything().page_size(10).build().unwrap();
    for _ in 0..3 {
        c.list_page(&q).unwrap();
    }
    let e = c.list_page(&q).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RateLimited, "{e:?}");
    assert!(e.not_sent(), "{e:?}");
    assert!(matches!(e, Error::NotSent(NotSent::Ledger(_))));
    let wait = e.retry_after().unwrap();
    assert!(
        wait > Duration::from_secs(3500) && wait <= Duration::from_secs(3600),
        "{wait:?}"
    );
    assert_eq!(sb.request_log().len(), 3, "nothing sent");
    assert!(
        e.to_string().contains("quota of list requests used (3/3)"),
        "{e}"
    );
    let report = c.quota_report().unwrap();
    assert_eq!((report.list.used, report.list.limit), (3, 3));
    assert_eq!(c.requests_sent(), 3);
}

#[test]
fn with_the_wait_policy_a_walk_waits_for_the_quota_and_gets_no_429() {
    // 10 list requests per 2 s on both sides; 25 pages.
    let window = Duration::from_secs(2);
    let sb = limited(250, 10, window);
    let notices: Arc<Mutex<Vec<WaitNotice>>> = Arc::default();
    let seen = Arc::clone(&notices);
    let c = builder(&sb)
        .list_quota(10, window)
        .on_rate_limit(RateLimitPolicy::Wait {
            max_wait: Duration::from_secs(10),
        })
        .on_wait(Arc::new(move |n| seen.lock().unwrap().push(n.clone())))
        .build()
        .unwrap();
    let started = Instant::now();
    let n = c
        .list_calls(everything().page_size(10).build().unwrap())
        .prefetch_depth(0)
        .map(Result::unwrap)
        .count();
    assert_eq!(n, 250);
    let log = sb.request_log();
    assert_eq!(log.len(), 25);
    assert!(log.iter().all(|r| r.status == 200), "no 429");
    // 25 requests at 10 per window: at least two waits of nearly a window.
    assert!(started.elapsed() + Duration::from_millis(300) >= window * 2);
    let notices = notices.lock().unwrap();
    assert!(!notices.is_empty());
    assert!(
        notices[0]
            .reason
            .contains("quota of list requests used (10/10)"),
        "{:?}",
        notices[0]
    );
}

#[test]
fn a_wait_longer_than_the_maximum_fails_at_once() {
    let sb = limited(100, 1, Duration::from_secs(3600));
    let c = builder(&sb)
        .list_quota(1, Duration::from_secs(3600))
        .on_rate_limit(RateLimitPolicy::Wait {
            max_wait: Duration::from_secs(5),
        })
        .build()
        .unwrap();
    let q = everything().page_size(10).build().unwrap();
    c.list_page(&q).unwrap();
    let t = Instant::now();
    let e = c.list_page(&q).unwrap_err();
    assert!(t.elapsed() < Duration::from_secs(1));
    assert!(e.not_sent() && e.kind() == ErrorKind::RateLimited);
}

#[test]
fn a_request_budget_stops_the_job() {
    let sb = common::sandbox(1_000);
    let c = builder(&sb).max_requests(3).build().unwrap();
    let mut it = c
        .list_calls(everything().page_size(100).build().unwrap())
        .prefetch_depth(0);
    let mut n = 0;
    let err = loop {
        match it.next().unwrap() {
            Ok(_) => n += 1,
            Err(e) => break e,
        }
    };
    assert_eq!(n, 300);
    assert_eq!(err.kind(), ErrorKind::Budget);
    assert!(err.not_sent());
    assert_eq!(sb.request_log().len(), 3);
    assert_eq!(c.requests_sent(), 3);
    assert!(
        builder(&sb).max_requests(0).build().is_err(),
        "a budget of 0 is refused"
    );
}

#[test]
fn a_lockout_is_shared_through_the_state_folder_until_reset() {
    let sb = common::sandbox(100);
    let dir = tempfile::tempdir().unwrap();
    let make = |token: &str| {
        bare_builder(&sb)
            .ledger(Ledger::in_folder(dir.path()))
            .token(token)
            .build()
            .unwrap()
    };
    let bad = "BADTOKEN00notarealtoken0000000";
    let e = make(bad).get_call("42_1").unwrap_err();
    assert!(matches!(e, Error::Authentication(_)));
    // Another client (as another process would) with the same token sends
    // nothing, and says when, why and how to clear it.
    for _ in 0..15 {
        let e = make(bad).get_call("42_1").unwrap_err();
        assert!(
            e.not_sent() && e.kind() == ErrorKind::Authentication,
            "{e:?}"
        );
    }
    assert_eq!(sb.request_log().len(), 1);
    // Another token is not locked out.
    let id = first_id(&sb);
    make(sb.token()).get_call(&id).unwrap();
    assert_eq!(sb.request_log().len(), 3);
    // Clearing it lets the bad token try (and fail) once more.
    assert!(make(bad).reset_lockout());
    let e = make(bad).get_call("42_1").unwrap_err();
    assert!(!e.not_sent());
    assert_eq!(sb.request_log().len(), 4);
    // The ledger files hold no secret.
    for entry in walk(dir.path()) {
        let text = String::from_utf8_lossy(&std::fs::read(&entry).unwrap()).into_owned();
        for secret in [bad, &bad[..10], sb.token(), &sb.token()[..10]] {
            assert!(!text.contains(secret), "{} holds a secret", entry.display());
        }
    }
}

fn first_id(sb: &Sandbox) -> String {
    builder(sb)
        .build()
        .unwrap()
        .list_page(&everything().page_size(1).build().unwrap())
        .unwrap()
        .records[0]
        .call_id
        .to_string()
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}
