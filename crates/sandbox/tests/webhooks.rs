//! Webhook delivery (`rurl`) over real HTTP, to a local recording receiver.

mod common;

use std::time::Duration;

use common::post;
use velip_sandbox::{Sandbox, SandboxConfig, WebhookReceiver};

const WAIT: Duration = Duration::from_secs(10);

fn sandbox() -> Sandbox {
    Sandbox::start(SandboxConfig {
        calls: 200,
        ..Default::default()
    })
    .unwrap()
}

#[test]
fn json_delivery_carries_calls_and_pagination_when_truncated() {
    let sb = sandbox();
    let hook = WebhookReceiver::start().unwrap();
    let a = post(
        &sb,
        sb.token(),
        &[("maxreg", "3"), ("rurl", hook.url()), ("rurl_type", "json")],
    );
    assert_eq!(a.status, 200);
    assert!(a.calls().is_empty(), "delivered instead of inline");
    assert_eq!(a.json()["return"]["pagination"]["has_more"], true);
    let got = hook.wait_for(1, WAIT);
    assert_eq!(got.len(), 1);
    let r = &got[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.header("content-type"), Some("application/json"));
    let body = r.json().unwrap();
    assert_eq!(body["calls"].as_array().unwrap().len(), 3);
    assert_eq!(body["return"]["pagination"]["has_more"], true);
    assert_eq!(
        body["calls"][0]["cd_id"].as_u64(),
        Some(sb.newest_call_id())
    );
    // Not truncated: no pagination object.
    post(
        &sb,
        sb.token(),
        &[
            ("cd_id", &sb.newest_call_id().to_string()),
            ("rurl", hook.url()),
            ("rurl_type", "json"),
        ],
    );
    let got = hook.wait_for(2, WAIT);
    assert!(got[1].json().unwrap()["return"].get("pagination").is_none());
    let log = sb.wait_for_deliveries(2, WAIT);
    assert!(log.iter().all(|d| d.delivered && d.attempts == 1));
    assert_eq!(sb.delivery_outcome(sb.newest_call_id()), Some(1));
}

#[test]
fn form_delivery_sends_one_request_per_call_masked() {
    let sb = sandbox();
    let hook = WebhookReceiver::start().unwrap();
    post(
        &sb,
        sb.masked_token(),
        &[("maxreg", "4"), ("rurl", hook.url()), ("origin", "nightly")],
    );
    let got = hook.wait_for(4, WAIT);
    assert_eq!(got.len(), 4);
    for r in &got {
        assert_eq!(
            r.header("content-type"),
            Some("application/x-www-form-urlencoded")
        );
        let form = r.form();
        let keys: Vec<&str> = form.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys[..10],
            [
                "cd_id",
                "cd_status",
                "cd_amdasw",
                "cp_id",
                "cpid",
                "ctid",
                "origin",
                "dest",
                "cd_dest",
                "conf"
            ]
        );
        let get = |k: &str| {
            form.iter()
                .find(|(x, _)| x == k)
                .map(|(_, v)| v.clone())
                .unwrap()
        };
        assert!(get("dest").starts_with("xxxxx") && get("dest").len() == 8);
        assert_eq!(get("dest"), get("cd_dest"));
        assert_eq!(get("origin"), "nightly");
        assert!(get("rate").contains(','));
    }
    let ids: Vec<u64> = sb
        .wait_for_deliveries(4, WAIT)
        .iter()
        .map(|d| d.call_ids[0])
        .collect();
    assert_eq!(ids.len(), 4);
}

#[test]
fn get_delivery_with_headers_and_basic_credentials() {
    let sb = sandbox();
    let hook = WebhookReceiver::start().unwrap();
    let a = post(
        &sb,
        sb.token(),
        &[
            ("maxreg", "1"),
            ("rurl", hook.url()),
            ("rurl_method", "GET"),
            ("rurl_headers", "X-One: 1\nX-Two: two words"),
            ("rurl_user", "hookuser"),
            ("rurl_password", "hookpass"),
        ],
    );
    assert_eq!(a.status, 200);
    let got = hook.wait_for(1, WAIT);
    let r = &got[0];
    assert_eq!(r.method, "GET");
    assert!(r.body.is_empty());
    assert!(r.form().iter().any(|(k, _)| k == "cd_id"));
    assert_eq!(r.header("x-one"), Some("1"));
    assert_eq!(r.header("x-two"), Some("two words"));
    assert_eq!(
        r.header("authorization"),
        Some(common::basic("hookuser", "hookpass").as_str())
    );
    // The password never reaches the request log.
    assert_eq!(sb.request_log()[0].param("rurl_password"), Some("********"));
    // JSON over GET travels as the `json` query parameter.
    post(
        &sb,
        sb.token(),
        &[
            ("maxreg", "1"),
            ("rurl", hook.url()),
            ("rurl_method", "GET"),
            ("rurl_type", "json"),
        ],
    );
    let got = hook.wait_for(2, WAIT);
    assert_eq!(got[1].json().unwrap()["calls"].as_array().unwrap().len(), 1);
}

#[test]
fn failed_delivery_is_recorded_negative() {
    let sb = sandbox();
    let hook = WebhookReceiver::start().unwrap();
    hook.set_status(500);
    post(&sb, sb.token(), &[("maxreg", "1"), ("rurl", hook.url())]);
    let log = sb.wait_for_deliveries(1, WAIT);
    assert_eq!(log.len(), 1);
    assert!(!log[0].delivered);
    assert_eq!(log[0].status, Some(500));
    assert_eq!(log[0].attempts, 2, "one retry by default");
    assert_eq!(sb.delivery_outcome(sb.newest_call_id()), Some(-2));
    assert_eq!(hook.requests().len(), 2);
}

#[test]
fn invalid_rurl_is_a_400() {
    let sb = sandbox();
    let a = post(&sb, sb.token(), &[("rurl", "ftp://nope")]);
    assert_eq!((a.status, a.code()), (400, "400".to_owned()));
}
