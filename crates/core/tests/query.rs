//! Query validation messages and encodings, snapshotted.

use std::fmt::Write as _;

use velip_core::NumberFormat;
use velip_core::query::{Query, RequestKind, Webhook, WebhookFormat, WebhookMethod};

#[test]
fn every_validation_message() {
    let cases: Vec<(&str, velip_core::QueryBuilder)> = vec![
        ("nothing", Query::builder()),
        ("bad call id", Query::builder().call_id("42-123")),
        ("empty ctid", Query::builder().correlation_id(" ")),
        ("literal null ctid", Query::builder().correlation_id("null")),
        (
            "call id + ctid",
            Query::builder().call_id("42_1").correlation_id("a"),
        ),
        (
            "call id + campaign",
            Query::builder().call_id("42_1").campaign_id(5),
        ),
        (
            "campaign id + ref",
            Query::builder().campaign_id(5).campaign_ref("x"),
        ),
        ("campaign id <= 0", Query::builder().campaign_id(0)),
        (
            "unreal date",
            Query::builder().date_range("2026-02-30", "2026-03-01"),
        ),
        (
            "date shape",
            Query::builder().date_range("30/11/2026", "2026-12-01"),
        ),
        (
            "end before start",
            Query::builder().date_range("2026-11-05", "2026-11-02"),
        ),
        ("page size 0", Query::builder().campaign_id(1).page_size(0)),
        (
            "page size -1",
            Query::builder().campaign_id(1).page_size(-1),
        ),
        (
            "page size 5001",
            Query::builder().campaign_id(1).page_size(5001),
        ),
        ("cursor", Query::builder().cursor("12a")),
        (
            "origin",
            Query::builder().campaign_id(1).origin("crm sync!"),
        ),
        (
            "origin too long",
            Query::builder().campaign_id(1).origin("a".repeat(33)),
        ),
        (
            "webhook url",
            Query::builder()
                .campaign_id(1)
                .webhook(Webhook::new("ftp://example.com/x")),
        ),
        (
            "webhook relative",
            Query::builder()
                .campaign_id(1)
                .webhook(Webhook::new("/hook")),
        ),
        (
            "webhook header smuggling",
            Query::builder().campaign_id(1).webhook(
                Webhook::new("https://h.example.com/x")
                    .header("X-A", "1\r\nX-Evil: 2")
                    .header("Bad Name", "v")
                    .header_line("no colon"),
            ),
        ),
        (
            "webhook user",
            Query::builder()
                .campaign_id(1)
                .webhook(Webhook::new("https://h.example.com/x").basic_auth("a:b", "pw")),
        ),
        (
            "many at once",
            Query::builder()
                .call_id("x")
                .page_size(9999)
                .origin("")
                .date_start("2026-13-01"),
        ),
    ];
    let mut out = String::new();
    for (name, b) in cases {
        let e = b.build().unwrap_err();
        writeln!(out, "## {name}\n{e}").unwrap();
    }
    insta::assert_snapshot!(out);
}

#[test]
fn webhook_password_never_in_messages() {
    let e = Query::builder()
        .campaign_id(0)
        .webhook(Webhook::new("nope").basic_auth("u", "hunter2-secret"))
        .build()
        .unwrap_err();
    assert!(!format!("{e} {e:?}").contains("hunter2"));
}

#[test]
fn encodings_are_deterministic() {
    let full = Query::builder()
        .correlation_id("row 42/á")
        .campaign_ref("lote-2026")
        .date_range("2026-05-01", "2026-05-31")
        .page_size_server_max()
        .cursor("9876544")
        .only_dtmf(true)
        .number_format(NumberFormat::TrunkPrefixed)
        .origin("crm_sync")
        .webhook(
            Webhook::new("https://hooks.example.com/velip?x=1")
                .method(WebhookMethod::Post)
                .format(WebhookFormat::Json)
                .header("X-Api-Key", "k-123")
                .header_line("X-Tenant: acme")
                .basic_auth("hook", "s3cret-pw"),
        )
        .build()
        .unwrap();
    let simple = Query::builder().call_id("42_123456").build().unwrap();
    let empty_ctid = Query::builder()
        .empty_correlation_id()
        .page_size(100)
        .build()
        .unwrap();
    let mut out = String::new();
    for q in [&full, &simple, &empty_ctid] {
        writeln!(
            out,
            "form: {}\njson: {}\ndebug: {:?}\n",
            q.to_form_body(),
            q.to_json(),
            q
        )
        .unwrap();
    }
    insta::assert_snapshot!(out);
    assert!(!format!("{full:?}").contains("s3cret"));
    assert!(!format!("{full:?}").contains("k-123"));
}

#[test]
fn classification_follows_the_spec() {
    let kind = |b: velip_core::QueryBuilder| b.build().unwrap().request_kind();
    assert_eq!(
        kind(Query::builder().call_id("42_1")),
        RequestKind::PointLookup
    );
    assert_eq!(
        kind(Query::builder().call_id("1").page_size(10)),
        RequestKind::PointLookup
    );
    assert_eq!(
        kind(Query::builder().correlation_id("a")),
        RequestKind::CorrelationLookup
    );
    assert_eq!(
        kind(Query::builder().empty_correlation_id()),
        RequestKind::List
    );
    assert_eq!(
        kind(Query::builder().correlation_id("a").cursor("5")),
        RequestKind::List
    );
    assert_eq!(kind(Query::builder().campaign_id(3)), RequestKind::List);
    assert_eq!(kind(Query::builder().campaign_ref("x")), RequestKind::List);
    assert_eq!(
        kind(Query::builder().date_start("2026-01-01")),
        RequestKind::List
    );
    assert_eq!(kind(Query::builder().cursor("5")), RequestKind::List);
    assert_eq!(
        RequestKind::CorrelationLookup.for_match_count(1),
        RequestKind::PointLookup
    );
    assert_eq!(
        RequestKind::CorrelationLookup.for_match_count(3),
        RequestKind::List
    );
    assert_eq!(
        RequestKind::CorrelationLookup.for_match_count(0),
        RequestKind::List
    );
}
