//! Log lines: one debug line per attempt, one info line per retry, and no
//! secret in any line (ours or ureq's).

mod common;

use std::sync::Mutex;

use velip_core::Query;
use velip_core::query::Webhook;
use velip_sandbox::{Fault, FaultPlan};

use common::{bare_builder, builder, everything, sandbox};

struct Capture(Mutex<Vec<(log::Level, String, String)>>);

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        self.0.lock().unwrap().push((
            record.level(),
            record.target().to_owned(),
            record.args().to_string(),
        ));
    }
    fn flush(&self) {}
}

static LOGGER: Capture = Capture(Mutex::new(Vec::new()));

#[test]
fn log_lines_mask_secrets() {
    log::set_logger(&LOGGER).unwrap();
    log::set_max_level(log::LevelFilter::Trace);

    let sb = sandbox(300);
    sb.set_faults(FaultPlan::new().on_request(2, Fault::ServiceUnavailable));
    let token = sb.token().to_owned();
    let c = builder(&sb)
        .token(format!(" {token}\n"))
        .token_in_body(true)
        .build()
        .unwrap();
    c.list_calls(everything().page_size(200).build().unwrap())
        .for_each(|r| {
            r.unwrap();
        });
    let q = Query::builder()
        .campaign_id(1)
        .webhook(
            Webhook::new("http://127.0.0.1:9/hook?token=querysecret42&x=1")
                .header("X-Api-Key", "headersecret99")
                .basic_auth("hook", "hookpass99"),
        )
        .build()
        .unwrap();
    let _ = c.push_to_webhook(&q);
    let bad = builder(&sb)
        .token("BADTOKEN00notarealtoken0000000")
        .build()
        .unwrap();
    let _ = bad.get_call("1");
    let basic = bare_builder(&sb)
        .basic_auth("sandbox", "sandbox-password")
        .build()
        .unwrap();
    basic.get_call(&sb.newest_call_id().to_string()).unwrap();

    let lines = LOGGER.0.lock().unwrap().clone();
    let ours: Vec<_> = lines.iter().filter(|(_, t, _)| t == "velip").collect();
    let requests: Vec<_> = ours
        .iter()
        .filter(|(l, _, m)| {
            *l == log::Level::Debug && m.starts_with("POST /api/v2/GetCallStatus.php")
        })
        .collect();
    assert_eq!(requests.len(), sb.request_log().len(), "{ours:#?}");
    assert!(requests[0].2.contains("maxreg=200"), "{}", requests[0].2);
    assert!(requests[0].2.contains("tsid=***"), "{}", requests[0].2);
    assert!(requests[0].2.contains("attempt 1/3"), "{}", requests[0].2);
    assert!(requests.iter().any(|(_, _, m)| m.contains("HTTP 503")));
    // The push's request line shows the webhook URL without its query
    // string's values or its user info.
    assert!(
        requests.iter().any(|(_, _, m)| m.contains("rurl=")),
        "{requests:#?}"
    );
    let retries = ours
        .iter()
        .filter(|(l, _, m)| *l == log::Level::Info && m.contains("; retrying in "))
        .count();
    assert_eq!(retries, 1, "{ours:#?}");
    for (_, target, msg) in &lines {
        for secret in [
            token.as_str(),
            "BADTOKEN00notarealtoken0000000",
            "hookpass99",
            "headersecret99",
            "sandbox-password",
            "querysecret42",
        ] {
            assert!(!msg.contains(secret), "secret in log line [{target}] {msg}");
        }
    }
}
