//! Retries, Retry-After, deadlines and interrupts against the sandbox.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use velip_blocking::{Error, RetryPolicy, TransportKind};
use velip_core::RateLimitScope;
use velip_sandbox::{Fault, FaultPlan, RetryAfter};

use common::{builder, client, everything, sandbox};

fn one_page(c: &velip_blocking::Client) -> Result<velip_core::Page, Error> {
    c.list_page(&everything().page_size(10).build().unwrap())
}

#[test]
fn retry_after_as_http_date_is_honoured() {
    let sb = sandbox(100);
    sb.set_faults(FaultPlan::new().on_request(
        1,
        Fault::RateLimited(RetryAfter::HttpDate(Duration::from_secs(2))),
    ));
    let t = Instant::now();
    one_page(&client(&sb)).unwrap();
    // HTTP-dates have a one-second resolution.
    assert!(
        t.elapsed() >= Duration::from_millis(900),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(sb.request_log().len(), 2);
}

#[test]
fn retry_after_negative_or_garbage_is_treated_as_absent() {
    for raw in ["-5", "120junk"] {
        let sb = sandbox(100);
        sb.set_faults(
            FaultPlan::new().on_request(1, Fault::RateLimited(RetryAfter::Raw(raw.into()))),
        );
        let t = Instant::now();
        let e = one_page(&client(&sb)).unwrap_err();
        assert!(matches!(e, Error::RateLimited(_)), "{raw}: {e:?}");
        assert_eq!(e.retry_after(), None, "{raw}");
        assert_eq!(e.http_status(), Some(429));
        assert!(t.elapsed() < Duration::from_secs(1));
        assert_eq!(sb.request_log().len(), 1, "{raw}: not retried");
    }
}

#[test]
fn retry_after_beyond_the_maximum_wait_returns_at_once() {
    let sb = sandbox(100);
    sb.set_faults(FaultPlan::new().on_request(1, Fault::RateLimited(RetryAfter::Seconds(86_400))));
    let t = Instant::now();
    let e = one_page(&client(&sb)).unwrap_err();
    assert!(t.elapsed() < Duration::from_secs(1));
    assert_eq!(e.retry_after(), Some(Duration::from_secs(86_400)));
    assert!(e.is_retryable());
    let Error::RateLimited(api) = &e else {
        panic!("{e:?}")
    };
    assert!(matches!(
        api.kind(),
        velip_core::ApiErrorKind::RateLimited(RateLimitScope::List | RateLimitScope::Unknown)
    ));
    assert_eq!(sb.request_log().len(), 1);

    // A smaller configured maximum applies too.
    sb.reset();
    sb.set_faults(FaultPlan::new().on_request(1, Fault::RateLimited(RetryAfter::Seconds(2))));
    let c = builder(&sb)
        .max_retry_wait(Duration::from_secs(1))
        .build()
        .unwrap();
    assert!(matches!(one_page(&c), Err(Error::RateLimited(_))));
    assert_eq!(sb.request_log().len(), 1);
}

#[test]
fn server_errors_are_retried_up_to_the_attempt_limit() {
    let sb = sandbox(100);
    for status in [500, 502, 504] {
        sb.reset();
        sb.set_faults(FaultPlan::new().on_request(1, Fault::ServerError(status)));
        one_page(&client(&sb)).unwrap();
        assert_eq!(sb.request_log().len(), 2, "{status}");
    }
    sb.reset();
    sb.set_faults(FaultPlan::new().on_requests(1..=10, Fault::ServiceUnavailable));
    let e = one_page(&client(&sb)).unwrap_err();
    assert!(
        e.kind() == velip_blocking::ErrorKind::Server && e.http_status() == Some(503),
        "{e:?}"
    );
    assert_eq!(sb.request_log().len(), 3, "3 attempts by default");
    sb.reset();
    let c = builder(&sb).max_retries(0).build().unwrap();
    assert!(one_page(&c).is_err());
    assert_eq!(sb.request_log().len(), 1);
}

#[test]
fn connection_resets_and_truncated_bodies_are_retried_bad_json_is_not() {
    let sb = sandbox(100);
    sb.set_faults(
        FaultPlan::new()
            .on_request(1, Fault::ConnectionReset)
            .on_request(2, Fault::TruncatedBody),
    );
    one_page(&client(&sb)).unwrap();
    assert_eq!(sb.request_log().len(), 3);

    sb.reset();
    sb.set_faults(FaultPlan::new().on_request(1, Fault::InvalidJson));
    let e = one_page(&client(&sb)).unwrap_err();
    assert!(matches!(e, Error::Decode(_)), "{e:?}");
    assert!(!e.is_retryable());
    assert_eq!(sb.request_log().len(), 1);
}

#[test]
fn a_server_that_never_answers_ends_within_the_deadline() {
    let sb = sandbox(100);
    sb.set_faults(
        FaultPlan::new().on_requests(1..=100, Fault::DelayHeaders(Duration::from_secs(30))),
    );
    let deadline = Duration::from_millis(800);
    let c = builder(&sb)
        .timeout(deadline)
        .retry_policy(RetryPolicy::no_retries())
        .build()
        .unwrap();
    let t = Instant::now();
    let e = one_page(&c).unwrap_err();
    let took = t.elapsed();
    assert!(
        matches!(
            e,
            Error::Transport {
                kind: TransportKind::Timeout,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(
        took >= deadline && took < deadline + Duration::from_millis(700),
        "{took:?}"
    );

    // With retries, each attempt has its own deadline.
    let c = builder(&sb).timeout(deadline).build().unwrap();
    let t = Instant::now();
    assert!(one_page(&c).is_err());
    let took = t.elapsed();
    assert!(
        took >= deadline * 3 && took < deadline * 3 + Duration::from_secs(1),
        "{took:?}"
    );
}

#[test]
fn a_server_that_trickles_one_byte_per_second_ends_within_the_deadline() {
    let sb = sandbox(100);
    sb.set_faults(FaultPlan::new().on_requests(
        1..=100,
        Fault::Trickle {
            chunk: 1,
            interval: Duration::from_secs(1),
        },
    ));
    let deadline = Duration::from_millis(1500);
    // Default retries: a deadline spent receiving a body is not retried.
    let c = builder(&sb).timeout(deadline).build().unwrap();
    let t = Instant::now();
    let e = one_page(&c).unwrap_err();
    let took = t.elapsed();
    assert!(
        matches!(
            e,
            Error::Transport {
                kind: TransportKind::Timeout,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(took < deadline + Duration::from_millis(700), "{took:?}");
}

#[test]
fn an_interrupt_abandons_a_request_in_flight() {
    let sb = sandbox(100);
    sb.set_faults(FaultPlan::new().on_request(1, Fault::DelayHeaders(Duration::from_secs(20))));
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    let c = builder(&sb)
        .timeout(Duration::from_secs(60))
        .interrupt_check(Arc::new(move || flag.load(Ordering::SeqCst)))
        .build()
        .unwrap();
    let setter = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        stop.store(true, Ordering::SeqCst);
    });
    let t = Instant::now();
    let e = one_page(&c).unwrap_err();
    setter.join().unwrap();
    assert_eq!(e, Error::Interrupted);
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
}

#[test]
fn an_interrupt_stops_a_retry_wait() {
    let sb = sandbox(100);
    sb.set_faults(FaultPlan::new().on_request(1, Fault::RateLimited(RetryAfter::Seconds(30))));
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    let c = builder(&sb)
        .interrupt_check(Arc::new(move || flag.load(Ordering::SeqCst)))
        .build()
        .unwrap();
    let setter = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        stop.store(true, Ordering::SeqCst);
    });
    let t = Instant::now();
    let e = one_page(&c).unwrap_err();
    setter.join().unwrap();
    assert_eq!(e, Error::Interrupted);
    assert!(
        t.elapsed() < Duration::from_millis(900),
        "{:?}",
        t.elapsed()
    );
    // Before each page too: nothing more is sent.
    assert!(matches!(
        c.list_calls(everything().build().unwrap()).next(),
        Some(Err(Error::Interrupted))
    ));
    assert_eq!(sb.request_log().len(), 1);
}

#[test]
fn connection_refused_is_a_retried_connect_error() {
    // A port nobody listens on.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let c = velip_blocking::Client::builder()
        .base_url(format!("http://127.0.0.1:{port}"))
        .token("SBXFULL000sandbox0full0numbers")
        .no_proxy()
        .retry_policy(common::fast_retries())
        .build()
        .unwrap();
    let e = c.get_call("42_1").unwrap_err();
    assert!(
        matches!(
            e,
            Error::Transport {
                kind: TransportKind::Connect,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.is_retryable());
    assert!(!e.to_string().contains("SBXFULL"));
}
