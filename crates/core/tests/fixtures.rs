//! Every shared fixture decoded, snapshot of the typed result.

use std::path::PathBuf;
use std::time::Duration;

use velip_core::decode::{self, ResponseError};

fn fixture(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// `index.tsv`: file, http status, headers.
fn index() -> Vec<(String, u16, String)> {
    String::from_utf8(fixture("index.tsv"))
        .unwrap()
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            (
                cols[0].to_owned(),
                cols[1].parse().unwrap_or(0),
                cols[2].to_owned(),
            )
        })
        .collect()
}

#[test]
fn every_fixture_in_the_index_decodes() {
    let idx = index();
    assert!(idx.len() >= 11, "index lists the fixtures");
    for (file, http, headers) in idx {
        let body = fixture(&file);
        let name = file.replace('.', "_");
        if file.starts_with("webhook_") {
            let ct = if std::path::Path::new(&file)
                .extension()
                .is_some_and(|e| e == "json")
            {
                "application/json"
            } else {
                "application/x-www-form-urlencoded"
            };
            let payload = decode::decode_webhook(&body, ct).unwrap();
            insta::assert_debug_snapshot!(name, payload);
            continue;
        }
        let mut answer = decode::HttpAnswer::new(http, &body);
        if let Some(v) = headers.strip_prefix("Retry-After: ") {
            answer = answer.retry_after(v);
        }
        match decode::classify_answer(&answer) {
            Ok(page) => insta::assert_debug_snapshot!(name, page),
            Err(ResponseError::Api(e)) => {
                insta::assert_snapshot!(name, format!("{e}\n{e:#?}"));
            }
            Err(ResponseError::Decode(e)) => panic!("{file}: {e}"),
        }
    }
}

#[test]
fn fixture_facts_from_the_index() {
    let p = decode::decode_page(&fixture("list_documented.json")).unwrap();
    assert_eq!(p.records.len(), 1);
    assert!(p.has_more());
    assert_eq!(p.next_cursor().unwrap().as_str(), "9876544");
    assert_eq!(p.records[0].rate.unwrap().to_string(), "0.050");
    assert_eq!(p.records[0].dtmf, ["1", "12345", "0"]);

    let p = decode::decode_page(&fixture("list_all_strings.json")).unwrap();
    let counts: Vec<usize> = p.records.iter().map(|r| r.dtmf.len()).collect();
    assert_eq!(counts, [1, 5, 0]);
    assert_eq!(p.next_cursor(), None);
    assert_eq!(p.records[0].call_id.to_string(), "42_1000203");
    assert_eq!(
        p.records[2].duration_seconds, None,
        "null is no value, not 0"
    );
    assert_eq!(p.records[0].duration_seconds, Some(0), "\"0\" is 0");
    assert_eq!(p.records[2].correlation_id, None);
    assert_eq!(p.extra["total"], 3);

    let p = decode::decode_page(&fixture("list_capped_masked.json")).unwrap();
    assert!(p.numbers_masked);
    assert!(p.warning.as_deref().unwrap().contains("not registered"));
    let pg = p.pagination.as_ref().unwrap();
    assert!(pg.page_size_capped);
    assert_eq!(pg.page_size_applied, Some(5000));
    assert!(p.records[0].destination.as_ref().unwrap().is_masked());

    let body = fixture("error_429_daily.json");
    let e = match decode::classify_answer(&decode::HttpAnswer::new(429, &body).retry_after("43200"))
    {
        Err(ResponseError::Api(e)) => e,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        e.kind(),
        velip_core::ApiErrorKind::RateLimited(velip_core::RateLimitScope::DailyLookup)
    );
    assert_eq!(e.retry_after(), Some(Duration::from_secs(43200)));

    let p = decode::decode_page(&fixture("empty.json")).unwrap();
    assert!(p.records.is_empty());
    assert!(!p.has_more());
}
