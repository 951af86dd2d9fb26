//! The velip sandbox pushes (`rurl`) to the receiver over real HTTP: form
//! and JSON, POST and GET, Basic credentials and extra headers; every
//! pushed call is stored. A wrong password: every delivery refused with
//! 401, and the sandbox records the failed deliveries.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::{call_ids, local, start};
use velip_blocking::Client;
use velip_core::Query;
use velip_core::query::{Webhook, WebhookFormat, WebhookMethod};
use velip_sandbox::{Sandbox, SandboxConfig};
use velip_webhook::RejectReason;

fn sandbox() -> Sandbox {
    Sandbox::start(SandboxConfig {
        calls: 300,
        ..Default::default()
    })
    .expect("sandbox starts")
}

fn client(sb: &Sandbox) -> Client {
    Client::builder()
        .base_url(sb.url())
        .token(sb.token())
        .no_proxy()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client builds")
}

/// Pushes one campaign's calls (a page of at most 500) and returns their ids.
fn push(sb: &Sandbox, webhook: Webhook) -> BTreeSet<String> {
    let c = client(sb);
    let q = Query::builder()
        .date_range("2000-01-01", "2100-12-31")
        .page_size(40)
        .webhook(webhook)
        .build()
        .unwrap();
    let answer = c.push_to_webhook(&q).unwrap();
    assert_eq!(answer.status_code, "0");
    // The ids the push selected: the same query without the webhook.
    let listed = c
        .list_page(
            &Query::builder()
                .date_range("2000-01-01", "2100-12-31")
                .page_size(40)
                .build()
                .unwrap(),
        )
        .unwrap();
    listed
        .records
        .iter()
        .map(|r| r.call_id.to_string())
        .collect()
}

#[test]
fn every_pushed_call_is_stored_form_and_json_post_and_get() {
    let sb = sandbox();
    let mut r = start(
        local()
            .basic_auth("hook", "hook-pass-9")
            .require_header("X-Velip-Key: key-77")
            .unwrap(),
    );
    let mut expected_lines = 0;
    let mut expected_deliveries = 0;
    for (method, format) in [
        (WebhookMethod::Post, WebhookFormat::Form),
        (WebhookMethod::Get, WebhookFormat::Form),
        (WebhookMethod::Post, WebhookFormat::Json),
        (WebhookMethod::Get, WebhookFormat::Json),
    ] {
        sb.reset();
        let webhook = Webhook::new(&r.url)
            .method(method)
            .format(format)
            .header("X-Velip-Key", "key-77")
            .basic_auth("hook", "hook-pass-9");
        let ids = push(&sb, webhook);
        assert_eq!(ids.len(), 40);
        let n = if format == WebhookFormat::Form { 40 } else { 1 };
        let deliveries = sb.wait_for_deliveries(n, Duration::from_secs(30));
        assert_eq!(deliveries.len(), n, "{method:?} {format:?}");
        assert!(
            deliveries.iter().all(|d| d.delivered && d.attempts == 1),
            "{method:?} {format:?}: {deliveries:?}"
        );
        for id in &ids {
            let number: u64 = id.rsplit('_').next().unwrap().parse().unwrap();
            assert_eq!(sb.delivery_outcome(number), Some(1));
        }
        let lines = r.lines();
        let got: BTreeSet<String> = call_ids(&lines[expected_lines..]).into_iter().collect();
        assert_eq!(got, ids, "{method:?} {format:?}");
        for l in &lines[expected_lines..] {
            assert_eq!(l["delivery"]["method"], method.as_wire());
            assert_eq!(l["delivery"]["format"], format.as_wire());
        }
        expected_lines = lines.len();
        expected_deliveries += n;
    }
    // Form deliveries carry cd_dest and conf; JSON pages carry the page's records.
    let lines = r.lines();
    assert!(lines[0]["extra"].get("conf").is_some(), "{}", lines[0]);
    assert!(lines[0]["destination"].is_string());
    assert!(lines[100]["status"].is_string() || lines[100]["status"].is_null());
    let totals = r.stop();
    assert_eq!(totals.deliveries, expected_deliveries as u64);
    assert_eq!(totals.calls, 160);
    assert_eq!(totals.rejected_total(), 0);
}

#[test]
fn a_wrong_password_refuses_every_delivery_and_the_sandbox_records_it() {
    let sb = sandbox();
    let mut r = start(local().basic_auth("hook", "right-password"));
    for format in [WebhookFormat::Form, WebhookFormat::Json] {
        sb.reset();
        let webhook = Webhook::new(&r.url)
            .format(format)
            .basic_auth("hook", "wrong-password");
        let ids = push(&sb, webhook);
        let n = if format == WebhookFormat::Form { 40 } else { 1 };
        let deliveries = sb.wait_for_deliveries(n, Duration::from_secs(30));
        assert_eq!(deliveries.len(), n);
        for d in &deliveries {
            assert!(!d.delivered, "{d:?}");
            assert_eq!(d.status, Some(401));
            assert_eq!(d.attempts, 2, "one retry by default");
            assert_eq!(d.cd_returl(), -2);
        }
        for id in &ids {
            let number: u64 = id.rsplit('_').next().unwrap().parse().unwrap();
            assert_eq!(sb.delivery_outcome(number), Some(-2), "{id}");
        }
    }
    assert!(r.lines().is_empty(), "nothing stored");
    let totals = r.stop();
    assert_eq!(totals.deliveries, 0);
    assert_eq!(totals.rejected(RejectReason::Unauthorized), 2 * (40 + 1));
}
