//! `get_call`, `find_calls` and `push_to_webhook` against the sandbox.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use velip_blocking::Error;
use velip_core::query::{Webhook, WebhookFormat};
use velip_sandbox::{Fault, FaultPlan, WebhookReceiver};

use common::{client, everything, sandbox};

#[test]
fn get_call_by_id_and_not_found() {
    let sb = sandbox(200);
    let c = client(&sb);
    let newest = sb.newest_call_id();
    let call = c.get_call(&newest.to_string()).unwrap();
    assert_eq!(call.call_id.number(), newest);
    let call = c.get_call(&format!("42_{newest}")).unwrap();
    assert_eq!(call.call_id.number(), newest);
    let e = c.get_call("999999999").unwrap_err();
    insta::assert_snapshot!(e, @"call 999999999 not found");
    let e = c.get_call("not-an-id").unwrap_err();
    assert!(matches!(e, Error::Validation(_)));
    assert_eq!(sb.request_log().len(), 3, "validation errors send nothing");
    assert!(sb.request_log().iter().all(|r| r.param("maxreg").is_none()));
}

#[test]
fn find_calls_returns_every_call_sharing_a_correlation_id() {
    let sb = sandbox(3_000);
    let c = client(&sb);
    let mut counts: HashMap<String, usize> = HashMap::new();
    for r in c.list_calls(everything().build().unwrap()) {
        if let Some(ctid) = r.unwrap().correlation_id {
            *counts.entry(ctid).or_default() += 1;
        }
    }
    let (shared, n) = counts.iter().find(|(_, n)| **n > 1).expect("a shared ctid");
    let found = c.find_calls(shared).unwrap();
    assert_eq!(found.len(), *n);
    assert!(
        found
            .iter()
            .all(|r| r.correlation_id.as_deref() == Some(shared.as_str()))
    );
    let (single, _) = counts
        .iter()
        .find(|(_, n)| **n == 1)
        .expect("a single ctid");
    assert_eq!(c.find_calls(single).unwrap().len(), 1);
    assert!(matches!(c.find_calls("null"), Err(Error::Validation(_))));
}

#[test]
fn push_to_webhook_delivers_and_is_never_retried_once_sent() {
    let sb = sandbox(200);
    let hook = WebhookReceiver::start().unwrap();
    let c = client(&sb);
    let q = everything()
        .page_size(5)
        .webhook(
            Webhook::new(hook.url())
                .format(WebhookFormat::Json)
                .basic_auth("hook", "hookpass99"),
        )
        .build()
        .unwrap();
    let answer = c.push_to_webhook(&q).unwrap();
    assert_eq!(answer.status_code, "0");
    let got = hook.wait_for(1, Duration::from_secs(5));
    assert_eq!(got.len(), 1, "{answer:?} {:?}", sb.deliveries());
    assert!(
        got[0]
            .header("authorization")
            .is_some_and(|h| h.starts_with("Basic "))
    );

    // A 503 after the request was sent is not retried.
    sb.reset();
    sb.set_faults(FaultPlan::new().on_request(1, Fault::ServiceUnavailable));
    let e = c.push_to_webhook(&q).unwrap_err();
    assert!(e.kind() == velip_blocking::ErrorKind::Server && e.http_status() == Some(503));
    assert!(!format!("{e:?}").contains("hookpass99"));
    assert_eq!(sb.request_log().len(), 1);
    sb.reset();
    sb.set_faults(FaultPlan::new().on_request(1, Fault::ConnectionReset));
    assert!(c.push_to_webhook(&q).is_err());
    assert_eq!(sb.request_log().len(), 1);

    // Without a webhook: a validation error, nothing sent.
    let e = c
        .push_to_webhook(&everything().build().unwrap())
        .unwrap_err();
    insta::assert_snapshot!(e, @"invalid query: webhook (rurl): push_to_webhook needs a query with a webhook (rurl)");
    assert_eq!(sb.request_log().len(), 1);
}

#[test]
fn error_messages() {
    let sb = sandbox(50);
    let c = common::builder(&sb)
        .token("BADTOKEN00notarealtoken0000000")
        .build()
        .unwrap();
    let e = c.get_call("1").unwrap_err();
    insta::assert_snapshot!(e, @"authentication failed (HTTP 401, code 102): SID not found");
    let c = client(&sb);
    sb.set_faults(FaultPlan::new().on_requests(1..=5, Fault::ServerError(502)));
    let e = c.get_call("1").unwrap_err();
    assert!(
        e.to_string().starts_with("server error (HTTP 502): "),
        "{e}"
    );
    sb.set_faults(FaultPlan::new().on_requests(
        1..=5,
        Fault::RateLimited(velip_sandbox::RetryAfter::Seconds(3600)),
    ));
    let e = c.list_page(&everything().build().unwrap()).unwrap_err();
    insta::assert_snapshot!(e.to_string().split(':').next().unwrap(), @"rate limited (list requests) (HTTP 429, code 429)");
    assert_eq!(e.retry_after(), Some(Duration::from_secs(3600)));
}
