//! The fault plan over real HTTP.

mod common;

use std::io::Read as _;
use std::time::{Duration, Instant, SystemTime};

use common::{agent, post};
use velip_sandbox::{Fault, FaultPlan, FaultRule, RetryAfter, Sandbox, SandboxConfig};

fn sandbox(plan: FaultPlan) -> Sandbox {
    Sandbox::start(SandboxConfig {
        calls: 300,
        faults: plan,
        ..Default::default()
    })
    .unwrap()
}

fn raw_post(sb: &Sandbox, params: &[(&str, &str)]) -> Result<(u16, Vec<u8>), ureq::Error> {
    let mut r = agent()
        .post(sb.endpoint())
        .header("Authorization", format!("Bearer {}", sb.token()))
        .send_form(params.iter().copied())?;
    let status = r.status().as_u16();
    let mut body = Vec::new();
    r.body_mut()
        .as_reader()
        .read_to_end(&mut body)
        .map_err(ureq::Error::Io)?;
    Ok((status, body))
}

#[test]
fn server_errors_come_as_html_pages() {
    let sb = sandbox(
        FaultPlan::new()
            .on_request(1, Fault::ServerError(502))
            .on_request(2, Fault::ServiceUnavailable),
    );
    let a = post(&sb, sb.token(), &[]);
    assert_eq!(a.status, 502);
    assert!(a.header("content-type").unwrap().starts_with("text/html"));
    assert!(a.text.contains("502 Bad Gateway"));
    let b = post(&sb, sb.token(), &[]);
    assert_eq!(b.status, 503);
    assert!(b.text.contains("<html>"));
    assert_eq!(post(&sb, sb.token(), &[("maxreg", "1")]).status, 200);
    let log = sb.request_log();
    assert_eq!(log[0].fault.as_deref(), Some("5xx:502"));
    assert_eq!(log[2].fault, None);
}

#[test]
fn connection_reset_gives_no_response() {
    let sb = sandbox(FaultPlan::new().on_request(1, Fault::ConnectionReset));
    assert!(raw_post(&sb, &[]).is_err());
    assert_eq!(raw_post(&sb, &[("maxreg", "1")]).unwrap().0, 200);
}

#[test]
fn delay_before_headers() {
    let sb =
        sandbox(FaultPlan::new().on_request(1, Fault::DelayHeaders(Duration::from_millis(400))));
    let t = Instant::now();
    assert_eq!(post(&sb, sb.token(), &[("maxreg", "1")]).status, 200);
    assert!(t.elapsed() >= Duration::from_millis(400));
}

#[test]
fn trickled_body_arrives_complete_but_slowly() {
    let sb = sandbox(FaultPlan::new().on_request(
        1,
        Fault::Trickle {
            chunk: 200,
            interval: Duration::from_millis(20),
        },
    ));
    let t = Instant::now();
    let a = post(&sb, sb.token(), &[("maxreg", "5")]);
    assert_eq!(a.calls().len(), 5);
    let pieces = u32::try_from(a.text.len().div_ceil(200)).unwrap();
    assert!(t.elapsed() >= Duration::from_millis(20) * (pieces - 1));
}

#[test]
fn truncated_body_fails_to_read() {
    let sb = sandbox(FaultPlan::new().on_request(1, Fault::TruncatedBody));
    assert!(raw_post(&sb, &[("maxreg", "20")]).is_err());
}

#[test]
fn invalid_json_body() {
    let sb = sandbox(FaultPlan::new().on_request(1, Fault::InvalidJson));
    let (status, body) = raw_post(&sb, &[]).unwrap();
    assert_eq!(status, 200);
    assert!(serde_json::from_slice::<serde_json::Value>(&body).is_err());
}

#[test]
fn rate_limit_bursts_with_chosen_retry_after() {
    let sb = sandbox(
        FaultPlan::new()
            .on_requests(1..=2, Fault::RateLimited(RetryAfter::Seconds(3)))
            .on_request(
                3,
                Fault::RateLimited(RetryAfter::HttpDate(Duration::from_secs(120))),
            )
            .on_request(4, Fault::RateLimited(RetryAfter::Raw("soon-ish".into())))
            .on_request(5, Fault::RateLimited(RetryAfter::Absent)),
    );
    let answers: Vec<_> = (0..6)
        .map(|_| post(&sb, sb.token(), &[("maxreg", "1")]))
        .collect();
    assert_eq!(
        answers.iter().map(|a| a.status).collect::<Vec<_>>(),
        [429, 429, 429, 429, 429, 200]
    );
    assert_eq!(answers[0].header("retry-after"), Some("3"));
    assert_eq!(answers[1].code(), "429");
    let date = httpdate::parse_http_date(answers[2].header("retry-after").unwrap()).unwrap();
    let ahead = date.duration_since(SystemTime::now()).unwrap();
    assert!(ahead > Duration::from_secs(100) && ahead <= Duration::from_secs(121));
    assert_eq!(answers[3].header("retry-after"), Some("soon-ish"));
    assert_eq!(answers[4].header("retry-after"), None);
    assert!(
        answers[0].json()["return"]["status"]
            .as_str()
            .unwrap()
            .starts_with("Rate limit exceeded:")
    );
}

#[test]
fn stuck_cursor_does_not_advance() {
    let sb = sandbox(FaultPlan::new().on_requests(2..=3, Fault::StuckCursor));
    let p1 = post(&sb, sb.token(), &[("maxreg", "10")]);
    let next = p1.json()["return"]["pagination"]["next_id"].to_string();
    let p2 = post(&sb, sb.token(), &[("maxreg", "10"), ("last_id", &next)]);
    let p2_next = p2.json()["return"]["pagination"]["next_id"].to_string();
    assert_eq!(p2_next, next, "the cursor repeats");
    let p3 = post(&sb, sb.token(), &[("maxreg", "10"), ("last_id", &p2_next)]);
    assert_eq!(p3.text, p2.text);
}

#[test]
fn probabilistic_faults_are_seeded_and_set_at_runtime() {
    let plan = FaultPlan::new()
        .with_probability(0.3, Fault::ServiceUnavailable)
        .seed(42);
    let run = |sb: &Sandbox| {
        (0..30)
            .map(|_| post(sb, sb.token(), &[("maxreg", "1")]).status)
            .collect::<Vec<_>>()
    };
    let a = sandbox(FaultPlan::new());
    a.set_faults(plan.clone());
    let b = sandbox(plan);
    let (ra, rb) = (run(&a), run(&b));
    assert_eq!(ra, rb);
    assert!(ra.contains(&503) && ra.contains(&200));
    // Numbering restarts on set_faults.
    a.set_faults(FaultPlan::new().on_request(1, Fault::ServerError(500)));
    assert_eq!(post(&a, a.token(), &[]).status, 500);
    assert_eq!(post(&a, a.token(), &[("maxreg", "1")]).status, 200);
}

#[test]
fn fault_rules_parse_from_text() {
    let rule: FaultRule = "2-4=429-date:30".parse().unwrap();
    let sb = sandbox(FaultPlan {
        rules: vec![rule],
        seed: 0,
    });
    let statuses: Vec<u16> = (0..5)
        .map(|_| post(&sb, sb.token(), &[("maxreg", "1")]).status)
        .collect();
    assert_eq!(statuses, [200, 429, 429, 429, 200]);
}

// ------------------------------------------------------------ content faults

fn rule(text: &str) -> FaultRule {
    text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn plan(rules: &[&str]) -> FaultPlan {
    FaultPlan {
        rules: rules.iter().map(|r| rule(r)).collect(),
        seed: 0,
    }
}

fn page(sb: &Sandbox, params: &[(&str, &str)]) -> common::Answer {
    let a = post(sb, sb.token(), params);
    assert_eq!(a.status, 200, "{}", a.text);
    a
}

fn next_id(a: &common::Answer) -> String {
    a.json()["return"]["pagination"]["next_id"].to_string()
}

#[test]
fn persistent_bad_field_is_on_every_answer_with_that_call() {
    let probe = sandbox(FaultPlan::new());
    let ids = common::ids(&page(&probe, &[("maxreg", "20")]).calls());
    drop(probe);
    let bad = ids[12]; // on the second page of 10
    let odd = ids[3]; // on the first page
    let sb = sandbox(plan(&[
        &format!(r#"*=badfield:{bad}:date="2026-02-30""#),
        &format!("*=badfield:{odd}:dur=27.5"),
    ]));
    let p1 = page(&sb, &[("maxreg", "10")]);
    assert!(p1.text.contains(r#""dur":27.5"#), "{}", p1.text);
    assert!(!p1.text.contains("2026-02-30"));
    let cursor = next_id(&p1);
    for _ in 0..3 {
        // The same request again (a retry) never gets past it.
        let p2 = page(&sb, &[("maxreg", "10"), ("last_id", &cursor)]);
        let calls = p2.calls();
        let rec = calls.iter().find(|c| c["cd_id"] == bad).unwrap();
        assert_eq!(rec["date"], "2026-02-30");
        assert_eq!(p2.text.matches("2026-02-30").count(), 1);
        // In place: the key order of the record is kept.
        let at = |k: &str| p2.text.find(&format!(r#""{k}":"#)).unwrap();
        assert!(at("dest") < at("date") && at("date") < at("time_dial"));
    }
    // Point lookups carry it too.
    let one = page(&sb, &[("cd_id", &bad.to_string())]);
    assert_eq!(one.calls()[0]["date"], "2026-02-30");
    let one = page(&sb, &[("cd_id", &odd.to_string())]);
    assert_eq!(one.calls()[0]["dur"], 27.5);
    assert_eq!(
        sb.request_log()[0].faults,
        [
            format!(r#"badfield:{bad}:date="2026-02-30""#),
            format!("badfield:{odd}:dur=27.5")
        ]
    );
}

#[test]
fn bad_field_by_position_replaces_or_adds_the_key() {
    let sb = sandbox(plan(&[
        "*=badfield:#2:cd_status=42",
        r#"*=badfield:#1:surprise={"a":[1,2]}"#,
    ]));
    for params in [
        vec![("maxreg", "5")],
        vec![("maxreg", "3"), ("onlydtmf", "1")],
    ] {
        let calls = page(&sb, &params).calls();
        assert_eq!(calls[1]["cd_status"], 42);
        assert!(calls[0]["cd_status"].is_string());
        assert_eq!(calls[0]["surprise"], serde_json::json!({"a": [1, 2]}));
        assert!(calls[1].get("surprise").is_none());
    }
}

#[test]
fn record_without_call_id_by_position_and_by_id() {
    let probe = sandbox(FaultPlan::new());
    let ids = common::ids(&page(&probe, &[("maxreg", "8")]).calls());
    drop(probe);
    let sb = sandbox(plan(&["*=nocdid:#3", &format!("*=nocdid:{}", ids[5])]));
    for _ in 0..2 {
        let calls = page(&sb, &[("maxreg", "8")]).calls();
        assert_eq!(calls.len(), 8);
        let missing: Vec<usize> = (0..8)
            .filter(|&i| calls[i].get("cd_id").is_none())
            .collect();
        assert_eq!(missing, [2, 5]);
        // Everything else of the record is there.
        assert!(calls[2]["cd_status"].is_string() && calls[2]["date"].is_string());
    }
    // Next page: position 3 again, the id no more.
    let p1 = page(&sb, &[("maxreg", "8")]);
    let calls = page(&sb, &[("maxreg", "8"), ("last_id", &next_id(&p1))]).calls();
    let missing: Vec<usize> = (0..8)
        .filter(|&i| calls[i].get("cd_id").is_none())
        .collect();
    assert_eq!(missing, [2]);
}

#[test]
fn fresh_cursor_loops_over_the_first_page_with_cursors_never_seen() {
    let sb = sandbox(plan(&["2-=freshcursor"]));
    let first = page(&sb, &[("maxreg", "10")]);
    let mut cursors = vec![
        first.json()["return"]["pagination"]["next_id"]
            .as_u64()
            .unwrap(),
    ];
    for _ in 0..6 {
        let last = cursors.last().unwrap().to_string();
        let a = page(&sb, &[("maxreg", "10"), ("last_id", &last)]);
        assert_eq!(common::ids(&a.calls()), common::ids(&first.calls()));
        let pag = &a.json()["return"]["pagination"];
        assert_eq!(pag["has_more"], true);
        let next = pag["next_id"].as_u64().unwrap();
        assert!(!cursors.contains(&next), "{next} seen before: {cursors:?}");
        // Decreasing, like a real cursor: a monotonicity check passes too.
        assert!(next < *cursors.last().unwrap());
        cursors.push(next);
    }
}

#[test]
fn pagination_faults_no_object_no_has_more_empty_next_id() {
    let sb = sandbox(plan(&["1=nopagination", "2=nohasmore", "3=nonextid"]));
    let a = page(&sb, &[("maxreg", "10")]);
    assert_eq!(a.calls().len(), 10, "a full page");
    assert!(a.json()["return"].get("pagination").is_none(), "{}", a.text);
    let b = page(&sb, &[("maxreg", "10")]);
    let pag = &b.json()["return"]["pagination"];
    assert!(pag.get("has_more").is_none());
    assert!(pag["next_id"].as_u64().is_some());
    let c = page(&sb, &[("maxreg", "10")]);
    let pag = &c.json()["return"]["pagination"];
    assert_eq!(pag["has_more"], true);
    assert_eq!(pag["next_id"], "");
    // Request 4: normal again.
    let d = page(&sb, &[("maxreg", "10")]);
    assert_eq!(d.json()["return"]["pagination"]["has_more"], true);
    assert!(next_id(&d).parse::<u64>().is_ok());
}

#[test]
fn persistent_content_faults_combine_with_transport_faults() {
    let sb = sandbox(plan(&["*=nocdid:#1", "2=503", "3=trickle:500:1"]));
    let statuses: Vec<u16> = (0..3)
        .map(|_| post(&sb, sb.token(), &[("maxreg", "4")]).status)
        .collect();
    assert_eq!(statuses, [200, 503, 200]);
    let log = sb.request_log();
    assert_eq!(log[0].faults, ["nocdid:#1"]);
    assert_eq!(log[1].faults, ["nocdid:#1", "503"]);
    assert_eq!(log[1].fault.as_deref(), Some("nocdid:#1"));
    assert_eq!(log[2].faults, ["nocdid:#1", "trickle:500:1"]);
    // The trickled answer carries the content fault too.
    let a = post(&sb, sb.token(), &[("maxreg", "4")]);
    assert!(a.calls()[0].get("cd_id").is_none());
}
