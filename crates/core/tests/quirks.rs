//! The PHP service's output quirks, and decode errors that name the record,
//! the field and a snippet.

use velip_core::decode::{self, DecodeOptions, ResponseError};

fn page(body: &str) -> velip_core::Page {
    decode::decode_page(body.as_bytes()).unwrap_or_else(|e| panic!("{e}"))
}

fn err(body: &[u8]) -> String {
    decode::decode_page_with(body, DecodeOptions::STRICT)
        .unwrap_err()
        .to_string()
}

const OK: &str = r#""return":{"status":"OK","status_code":"0"}"#;

#[test]
fn php_quirks_are_tolerated() {
    // BOM, calls as an object keyed by index, pagination as [], floats,
    // booleans as strings, notice before the JSON, trailing bytes.
    let body = "\u{feff}<br />\n<b>Notice</b>:  Undefined index: x in <b>/var/www/a.php</b><br />\n{\"return\":{\"status\":\"OK\",\"status_code\":0,\"pagination\":{\"has_more\":\"1\",\"next_id\":\"551\"},\"numbers_masked\":\"0\"},\"calls\":{\"0\":{\"cd_id\":552.0,\"dur\":\"27.0\",\"rate\":0.05,\"value\":\"1.234,56\",\"date\":\"0000-00-00\",\"cdr_url\":[],\"resp_2\":\"9\"}}}\n<!-- 0.01s -->".to_string();
    let p = page(&body);
    assert_eq!(p.status_code, "0");
    assert_eq!(p.next_cursor().unwrap().as_str(), "551");
    let r = &p.records[0];
    assert_eq!(r.call_id.number(), 552);
    assert_eq!(r.duration_seconds, Some(27));
    assert_eq!(r.rate.unwrap().to_string(), "0.05");
    assert_eq!(r.value.unwrap().to_string(), "1234.56");
    assert_eq!(r.date, None);
    assert_eq!(r.recording_url, None);
    assert_eq!(r.dtmf, ["", "9"], "a missing prompt keeps its place");
    assert!(
        p.extra["preamble"]
            .as_str()
            .unwrap()
            .contains("Undefined index")
    );

    let p = decode::decode_page(b"{\"return\":{\"status\":\"OK\",\"status_code\":\"0\"},\"calls\":[{\"cd_id\":1,\"route\":\"S\xe3o Paulo\"}]}").unwrap();
    assert_eq!(p.records[0].route.as_deref(), Some("São Paulo"));
    let p = page(&format!(r#"{{{OK},"calls":null}}"#));
    assert!(p.records.is_empty());
}

#[test]
fn unknown_keys_are_kept() {
    let p = page(
        r#"{"return":{"status":"OK","status_code":"0","served_by":"db2","pagination":{"has_more":false,"next_id":"","cursor_v2":"x"}},"calls":[{"cd_id":1,"cdc_extra1":"xxxxxxx4321","new_thing":{"a":[1,2]}}]}"#,
    );
    assert_eq!(p.extra["return.served_by"], "db2");
    assert_eq!(p.pagination.as_ref().unwrap().extra["cursor_v2"], "x");
    assert_eq!(p.records[0].extra["cdc_extra1"], "xxxxxxx4321");
    assert_eq!(p.records[0].extra["new_thing"]["a"][1], 2);
}

#[test]
fn decode_errors_name_record_field_and_snippet() {
    let bad_date =
        format!(r#"{{{OK},"calls":[{{"cd_id":1}},{{"cd_id":"42_7","date":"2026-13-45"}}]}}"#);
    let bad_dur = format!(r#"{{{OK},"calls":[{{"dur":"abc","cd_id":9}}]}}"#);
    let no_id = format!(r#"{{{OK},"calls":[{{"cd_status":"OK"}}]}}"#);
    let bad_cursor = r#"{"return":{"status":"OK","status_code":"0","pagination":{"has_more":true,"next_id":"abc"}}}"#;
    let html =
        "<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>";
    let cut = &format!(r#"{{{OK},"calls":[{{"cd_id":1,"cd_status":"OK"}},{{"cd_id":2,"cd_sta"#);
    let long = format!("<html>{}</html>", "x".repeat(1000));
    let messages = [
        err(bad_date.as_bytes()),
        err(bad_dur.as_bytes()),
        err(no_id.as_bytes()),
        err(bad_cursor.as_bytes()),
        err(html.as_bytes()),
        err(cut.as_bytes()),
        err(b"{}"),
        err(b""),
        err(long.as_bytes()),
    ];
    insta::assert_snapshot!(messages.join("\n"));
    for m in &messages {
        assert!(m.chars().count() < 420, "short: {m}");
    }
    let e = decode::decode_page_with(bad_date.as_bytes(), DecodeOptions::STRICT).unwrap_err();
    assert_eq!(e.record_index(), Some(1));
    assert_eq!(e.call_id(), Some("42_7"));
    assert_eq!(e.field(), Some("date"));
}

#[test]
fn status_code_on_http_200_is_an_error_answer() {
    let body = br#"{"return":{"status":"Invalid cd_id","status_code":"3","cd_id":"0"}}"#;
    match decode::classify_answer(&decode::HttpAnswer::new(200, body)) {
        Err(ResponseError::Api(e)) => {
            assert_eq!(e.kind(), velip_core::ApiErrorKind::Business);
            assert_eq!(e.code(), "3");
        }
        other => panic!("{other:?}"),
    }
    // Bodies that are not JSON are classified by HTTP status first.
    for (status, kind) in [
        (502, velip_core::ApiErrorKind::Server),
        (401, velip_core::ApiErrorKind::Authentication),
        (403, velip_core::ApiErrorKind::Forbidden),
        (
            429,
            velip_core::ApiErrorKind::RateLimited(velip_core::RateLimitScope::Unknown),
        ),
        (404, velip_core::ApiErrorKind::Unknown),
    ] {
        let answer = decode::HttpAnswer::new(status, b"<html>\n Bad Gateway </html>")
            .retry_after("5")
            .content_type("text/html");
        match decode::classify_answer(&answer) {
            Err(ResponseError::Api(e)) => {
                assert_eq!(e.kind(), kind, "{status}");
                assert_eq!(e.http_status(), status);
                assert_eq!(e.retry_after(), Some(std::time::Duration::from_secs(5)));
                assert_eq!(e.message(), "<html> Bad Gateway </html>");
            }
            other => panic!("{other:?}"),
        }
    }
    // A 500 with a JSON error body keeps its API code.
    let body = br#"{"return":{"status":"DB down","status_code":"500","cd_id":"0"}}"#;
    match decode::classify_answer(&decode::HttpAnswer::new(500, body)) {
        Err(ResponseError::Api(e)) => {
            assert_eq!(e.kind(), velip_core::ApiErrorKind::Server);
            assert_eq!(e.code(), "500");
        }
        other => panic!("{other:?}"),
    }
    // A 2xx that is not JSON is a decode error naming the content type.
    match decode::classify_answer(
        &decode::HttpAnswer::new(200, b"<html>hi</html>").content_type("text/html; charset=utf-8"),
    ) {
        Err(ResponseError::Decode(e)) => {
            assert!(e.to_string().contains("Content-Type: text/html"), "{e}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn form_webhooks_keep_iso_8859_1_text() {
    let r =
        decode::decode_webhook_form(b"cd_id=1&cpid=Cobran%E7a+nov&route=S%C3%A3o+Paulo").unwrap();
    assert_eq!(r.campaign_ref.as_deref(), Some("Cobrança nov"));
    assert_eq!(r.route.as_deref(), Some("São Paulo"));
}

#[test]
fn correlation_id_and_empty_correlation_id_conflict() {
    let e = velip_core::Query::builder()
        .empty_correlation_id()
        .correlation_id("x")
        .build()
        .unwrap_err();
    assert!(
        e.to_string().contains("empty correlation id at once"),
        "{e}"
    );
}

#[test]
fn lenient_records_keep_their_problems_and_raw_text() {
    let body = format!(
        r#"{{{OK},"calls":[{{"cd_id":3,"date":"2026-02-30","dur":27.5,"cdr_sec":-1,"value":"-","time_end":"24:00:00","route":"Mobile BR"}},{{"cd_status":"OK","dest":"5511999999999"}},"junk",{{"cd_id":"x_","cd_status":"OK"}},{{"cd_id":1,"dur":"1.000"}},{{"cd_id":0,"cd_status":"OK"}}]}}"#
    );
    let p = page(&body);
    let ids: Vec<u64> = p.records.iter().map(|r| r.call_id.number()).collect();
    assert_eq!(ids, [3, 1, 0]);
    let r = &p.records[0];
    assert_eq!(r.route.as_deref(), Some("Mobile BR"));
    assert_eq!(
        (
            r.date,
            r.duration_seconds,
            r.recording_seconds,
            r.value,
            r.hangup_time
        ),
        (None, None, None, None, None)
    );
    let fields: Vec<&str> = r.problems.iter().map(|p| p.field.as_str()).collect();
    assert_eq!(fields, ["date", "dur", "cdr_sec", "value", "time_end"]);
    assert!(
        r.raw_json
            .as_deref()
            .unwrap()
            .starts_with(r#"{"cd_id":3,"date":"2026-02-30""#)
    );
    assert_eq!(p.records[1].problems[0].field, "dur", "1.000 is ambiguous");
    assert!(p.records[2].problems.is_empty() && p.records[2].raw_json.is_none());
    let rejected: Vec<(usize, &str, &str)> = p
        .rejected
        .iter()
        .map(|r| (r.index, r.problem.field.as_str(), r.raw.as_str()))
        .collect();
    assert_eq!(
        rejected,
        [
            (1, "cd_id", r#"{"cd_status":"OK","dest":"5511999999999"}"#),
            (2, "", r#""junk""#),
            (3, "cd_id", r#"{"cd_id":"x_","cd_status":"OK"}"#),
        ]
    );
    insta::assert_snapshot!(
        p.records[0]
            .problems
            .iter()
            .map(ToString::to_string)
            .chain(p.records[1].problems.iter().map(ToString::to_string))
            .chain(p.rejected.iter().map(|r| r.problem.to_string()))
            .collect::<Vec<_>>()
            .join("\n")
    );
    // Strict mode keeps the old behaviour: the page fails, naming the field.
    assert!(decode::decode_page_with(body.as_bytes(), DecodeOptions::STRICT).is_err());
}

#[test]
fn money_with_a_currency_prefix_is_brazilian_notation() {
    let p = page(&format!(
        r#"{{{OK},"calls":[{{"cd_id":1,"value":"R$ 1.234","rate":"1.234"}}]}}"#
    ));
    assert_eq!(p.records[0].value.unwrap().to_string(), "1234");
    assert_eq!(p.records[0].rate.unwrap().to_string(), "1.234");
}
