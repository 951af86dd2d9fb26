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

fn query_pairs(query: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

#[test]
fn get_json_delivery_is_one_json_query_parameter_with_the_post_body() {
    let sb = sandbox();
    let hook = WebhookReceiver::start().unwrap();
    let params = |method: &'static str| {
        [
            ("maxreg", "3"),
            ("rurl", hook.url()),
            ("rurl_type", "json"),
            ("rurl_method", method),
        ]
    };
    post(&sb, sb.token(), &params("POST"));
    hook.wait_for(1, WAIT);
    // Forget the first outcome, or the second delivery carries its `cd_returl`.
    sb.wait_for_deliveries(1, WAIT);
    sb.reset();
    post(&sb, sb.token(), &params("GET"));
    let got = hook.wait_for(2, WAIT);
    let (by_post, by_get) = (&got[0], &got[1]);
    assert_eq!(by_get.method, "GET");
    assert!(by_get.body.is_empty(), "no body");
    let pairs = query_pairs(&by_get.query);
    assert_eq!(pairs.len(), 1, "one parameter: {pairs:?}");
    assert_eq!(pairs[0].0, "json");
    // The parameter's value is the JSON text a POST delivery sends as its body.
    assert_eq!(pairs[0].1, by_post.body_text());
    let j: serde_json::Value = serde_json::from_str(&pairs[0].1).unwrap();
    assert_eq!(j["calls"].as_array().unwrap().len(), 3);
    assert_eq!(j["return"]["pagination"]["has_more"], true);
}

#[test]
fn get_form_delivery_puts_the_record_keys_in_the_query_string() {
    let sb = sandbox();
    let hook = WebhookReceiver::start().unwrap();
    let id = sb.newest_call_id().to_string();
    let with_query = format!("{}?src=velip", hook.url());
    post(
        &sb,
        sb.token(),
        &[
            ("cd_id", &id),
            ("rurl", hook.url()),
            ("rurl_method", "POST"),
        ],
    );
    hook.wait_for(1, WAIT);
    sb.wait_for_deliveries(1, WAIT);
    sb.reset();
    post(
        &sb,
        sb.token(),
        &[
            ("cd_id", &id),
            ("rurl", &with_query),
            ("rurl_method", "GET"),
        ],
    );
    let got = hook.wait_for(2, WAIT);
    let (by_post, by_get) = (&got[0], &got[1]);
    assert_eq!(by_get.method, "GET");
    assert!(by_get.body.is_empty(), "no body");
    let mut pairs = query_pairs(&by_get.query);
    // The rurl's own query string is kept, the record's keys follow.
    assert_eq!(pairs.remove(0), ("src".to_owned(), "velip".to_owned()));
    assert_eq!(pairs, by_post.form());
    assert_eq!(pairs[0], ("cd_id".to_owned(), id));
    assert!(pairs.iter().any(|(k, _)| k == "cd_dest"));
}

#[test]
fn bad_field_reaches_form_deliveries_and_cd_returl_appears_after_delivery() {
    let sb = sandbox();
    let id = sb.newest_call_id();
    sb.set_faults(
        velip_sandbox::FaultPlan::new()
            .always(
                velip_sandbox::Fault::bad_field(
                    velip_sandbox::RecordRef::Id(id),
                    "date",
                    r#""2026-02-30""#,
                )
                .unwrap(),
            )
            .always(
                velip_sandbox::Fault::bad_field(velip_sandbox::RecordRef::Id(id), "dur", "27.5")
                    .unwrap(),
            ),
    );
    let hook = WebhookReceiver::start().unwrap();
    // Before any delivery, no cd_returl.
    let before = post(&sb, sb.token(), &[("cd_id", &id.to_string())]);
    assert!(before.calls()[0].get("cd_returl").is_none());
    post(
        &sb,
        sb.token(),
        &[("cd_id", &id.to_string()), ("rurl", hook.url())],
    );
    let got = hook.wait_for(1, WAIT);
    let form = got[0].form();
    let get = |k: &str| form.iter().find(|(x, _)| x == k).map(|(_, v)| v.as_str());
    assert_eq!(get("date"), Some("2026-02-30"));
    assert_eq!(get("dur"), Some("27.5"));
    sb.wait_for_deliveries(1, WAIT);
    let after = post(&sb, sb.token(), &[("cd_id", &id.to_string())]);
    assert_eq!(after.calls()[0]["cd_returl"], 1);
    // The platform may change it later (the hook stands in for that).
    sb.set_delivery_outcome(id, Some(-3));
    let later = post(&sb, sb.token(), &[("cd_id", &id.to_string())]);
    assert_eq!(later.calls()[0]["cd_returl"], -3);
}
