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
