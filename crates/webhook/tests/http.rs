//! The receiver over real HTTP on 127.0.0.1: every kind of delivery, every
//! refusal, health, metrics, concurrency, graceful stop, TLS.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{agent, basic, call_ids, form, json_page, local, start, start_with};
use velip_webhook::{Delivery, JsonLinesSink, RejectReason, Sink, SinkError};

const FORM: &str = "application/x-www-form-urlencoded";

#[test]
fn post_and_get_form_and_json_are_stored() {
    let mut r = start(local());
    let a = agent();
    let resp = a
        .post(&r.url)
        .header("Content-Type", FORM)
        .send(form(&[
            ("cd_id", "42_1"),
            ("cd_status", "OK"),
            ("value", "0,050"),
        ]))
        .unwrap();
    assert_eq!(resp.status(), 200);
    let resp = a
        .post(&r.url)
        .header("Content-Type", "application/json")
        .send(json_page(&[2, 3]))
        .unwrap();
    assert_eq!(resp.status(), 200);
    let q = form(&[
        ("cd_id", "4"),
        ("cd_status", "BUSY"),
        ("cd_dest", "xxxxx877"),
    ]);
    assert_eq!(
        a.get(format!("{}?{q}", r.url)).call().unwrap().status(),
        200
    );
    let q = form(&[("json", &json_page(&[5]))]);
    assert_eq!(
        a.get(format!("{}?{q}", r.url)).call().unwrap().status(),
        200
    );

    let lines = r.lines();
    assert_eq!(call_ids(&lines), ["42_1", "2", "3", "4", "5"]);
    assert_eq!(lines[0]["value"], "0.050");
    assert_eq!(lines[0]["delivery"]["method"], "POST");
    assert_eq!(lines[0]["delivery"]["format"], "form");
    assert_eq!(lines[1]["delivery"]["format"], "json");
    assert_eq!(lines[2]["delivery"]["index"], 1);
    assert_eq!(lines[2]["delivery"]["calls"], 2);
    assert_eq!(lines[3]["delivery"]["method"], "GET");
    assert_eq!(lines[3]["destination"], "xxxxx877");
    assert_eq!(lines[4]["delivery"]["format"], "json");
    assert_eq!(
        lines[4]["delivery"]["remote_addr"]
            .as_str()
            .unwrap()
            .split(':')
            .next(),
        Some("127.0.0.1")
    );
    let sequences: Vec<u64> = lines
        .iter()
        .map(|l| l["delivery"]["sequence"].as_u64().unwrap())
        .collect();
    assert_eq!(sequences, [1, 2, 2, 3, 4]);
    let totals = r.stop();
    assert_eq!((totals.deliveries, totals.calls), (4, 5));
    assert_eq!(totals.rejected_total(), 0);
}

#[test]
fn the_same_call_twice_is_written_twice_and_marked() {
    let r = start(local());
    let a = agent();
    for status in ["", "OK"] {
        let body = form(&[("cd_id", "9"), ("cd_status", status)]);
        assert_eq!(
            a.post(&r.url)
                .header("Content-Type", FORM)
                .send(body)
                .unwrap()
                .status(),
            200
        );
    }
    let lines = r.lines();
    assert_eq!(call_ids(&lines), ["9", "9"]);
    assert_eq!(lines[0]["delivery"]["repeat"], false);
    assert_eq!(lines[1]["delivery"]["repeat"], true);
    assert!(lines[0]["status"].is_null(), "in progress first");
    assert_eq!(lines[1]["status"], "OK");
}

#[test]
fn refusals_have_their_status_and_nothing_is_stored() {
    let r = start(
        local()
            .basic_auth("hook", "hook-pass-1")
            .require_header("X-Velip-Key: key-123")
            .unwrap()
            .body_limit(2048)
            .rejected_log(tempfile::tempdir().unwrap().keep().join("refused.jsonl")),
    );
    let a = agent();
    let auth = basic("hook", "hook-pass-1");
    let ok_form = form(&[("cd_id", "1")]);

    // 404: another path (even with good credentials).
    let resp = a
        .post(r.at("/other"))
        .header("Authorization", &auth)
        .send(&ok_form)
        .unwrap();
    assert_eq!(resp.status(), 404);
    // 405: another method, with Allow.
    let resp = a.put(&r.url).send(&ok_form).unwrap();
    assert_eq!(resp.status(), 405);
    assert_eq!(resp.headers().get("allow").unwrap(), "GET, POST");
    // 401: no credentials, a wrong password, a missing or wrong header; no detail.
    for (authz, key) in [
        (None, Some("key-123")),
        (Some(basic("hook", "wrong")), Some("key-123")),
        (Some(auth.clone()), None),
        (Some(auth.clone()), Some("key-124")),
    ] {
        let mut req = a.post(&r.url).header("Content-Type", FORM);
        if let Some(v) = &authz {
            req = req.header("Authorization", v);
        }
        if let Some(k) = key {
            req = req.header("X-Velip-Key", k);
        }
        let mut resp = req.send(&ok_form).unwrap();
        assert_eq!(resp.status(), 401);
        assert!(resp.headers().get("www-authenticate").is_some());
        let text = resp.body_mut().read_to_string().unwrap();
        assert_eq!(text, "unauthorized\n");
    }
    // 413: a body or a GET query over the limit.
    let big = form(&[("cd_id", "1"), ("pad", &"x".repeat(4000))]);
    let resp = a
        .post(&r.url)
        .header("Authorization", &auth)
        .header("X-Velip-Key", "key-123")
        .send(&big)
        .unwrap();
    assert_eq!(resp.status(), 413);
    let resp = a
        .get(format!("{}?{big}", r.url))
        .header("Authorization", &auth)
        .header("X-Velip-Key", "key-123")
        .call()
        .unwrap();
    assert_eq!(resp.status(), 413);
    // 400: undecodable, kept in the rejected log (text and binary).
    for body in [
        &b"cd_status=OK&no_id=1"[..],
        &b"{\"calls\": [tr"[..],
        &[0xff, 0xfe, b'{', 0x00][..],
    ] {
        let resp = a
            .post(&r.url)
            .header("Authorization", &auth)
            .header("X-Velip-Key", "key-123")
            .header("Content-Type", FORM)
            .send(body)
            .unwrap();
        assert_eq!(resp.status(), 400);
    }
    // Still fine afterwards.
    let resp = a
        .post(&r.url)
        .header("Authorization", &auth)
        .header("X-Velip-Key", "key-123")
        .send(&ok_form)
        .unwrap();
    assert_eq!(resp.status(), 200);

    assert_eq!(call_ids(&r.lines()), ["1"]);
    let log_path = r
        .receiver
        .config()
        .get_rejected_log()
        .unwrap()
        .to_path_buf();
    let rejected = common::lines(&log_path);
    assert_eq!(rejected.len(), 3);
    let text = std::fs::read_to_string(&log_path).unwrap();
    assert!(
        !text.contains("hook-pass-1") && !text.contains("key-123"),
        "{text}"
    );
    assert!(
        !text.contains(&auth[6..]),
        "no credentials, not even encoded"
    );
    assert_eq!(rejected[0]["headers"]["authorization"], "***");
    assert_eq!(rejected[0]["headers"]["x-velip-key"], "***");
    assert_eq!(rejected[0]["headers"]["content-type"], FORM);
    assert_eq!(rejected[0]["body"], "cd_status=OK&no_id=1");
    assert_eq!(rejected[0]["method"], "POST");
    assert!(rejected[0]["error"].as_str().unwrap().contains("cd_id"));
    assert!(rejected[0]["time"].as_str().unwrap().ends_with('Z'));
    assert_eq!(rejected[2]["body_base64"], "//57AA==");
    assert!(rejected[2].get("body").is_none());

    let m = r.receiver.metrics();
    assert_eq!(m.rejected(RejectReason::NotFound), 1);
    assert_eq!(m.rejected(RejectReason::Method), 1);
    assert_eq!(m.rejected(RejectReason::Unauthorized), 4);
    assert_eq!(m.rejected(RejectReason::TooLarge), 2);
    assert_eq!(m.rejected(RejectReason::Undecodable), 3);
    assert_eq!(m.deliveries, 1);
}

#[test]
fn healthz_and_metrics() {
    let r = start(local().basic_auth("u", "p"));
    let a = agent();
    let mut resp = a.get(r.at("/healthz")).call().unwrap();
    assert_eq!(resp.status(), 200, "no credentials needed");
    assert_eq!(resp.body_mut().read_to_string().unwrap(), "ok\n");
    let body = form(&[("cd_id", "7")]);
    a.post(&r.url)
        .header("Authorization", basic("u", "p"))
        .send(&body)
        .unwrap();
    a.post(&r.url).send(&body).unwrap();
    let mut resp = a.get(r.at("/metrics")).call().unwrap();
    assert!(
        resp.headers()
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    let text = resp.body_mut().read_to_string().unwrap();
    for expected in [
        "velip_webhook_deliveries_total 1\n",
        "velip_webhook_calls_total 1\n",
        &format!("velip_webhook_received_bytes_total {}\n", body.len()),
        "velip_webhook_rejected_total{reason=\"unauthorized\"} 1\n",
        "velip_webhook_rejected_total{reason=\"too_large\"} 0\n",
        "velip_webhook_durable_write_seconds_count 1\n",
        "# TYPE velip_webhook_durable_write_seconds histogram\n",
        "# EOF\n",
    ] {
        assert!(text.contains(expected), "{expected:?} not in\n{text}");
    }
    assert!(!text.contains('p') || !text.contains("\"p\""), "no secret");
}

#[test]
fn metrics_can_be_turned_off() {
    let r = start(local().metrics(false));
    assert_eq!(agent().get(r.at("/metrics")).call().unwrap().status(), 404);
}

#[test]
fn many_concurrent_senders_lose_nothing() {
    const SENDERS: u64 = 16;
    const EACH: u64 = 150;
    let mut r = start(local().require_header("X-Velip-Key: k").unwrap());
    let url = r.url.clone();
    let senders: Vec<_> = (0..SENDERS)
        .map(|s| {
            let url = url.clone();
            std::thread::spawn(move || {
                let a = agent();
                for i in 0..EACH {
                    let id = (s * 1_000_000 + i).to_string();
                    let resp = if i % 2 == 0 {
                        a.post(&url)
                            .header("X-Velip-Key", "k")
                            .header("Content-Type", FORM)
                            .send(form(&[("cd_id", &id), ("cd_status", "OK")]))
                    } else {
                        a.get(format!("{url}?{}", form(&[("cd_id", &id)])))
                            .header("X-Velip-Key", "k")
                            .call()
                    };
                    assert_eq!(resp.unwrap().status(), 200);
                }
            })
        })
        .collect();
    for s in senders {
        s.join().unwrap();
    }
    let mut ids = call_ids(&r.lines());
    assert_eq!(ids.len() as u64, SENDERS * EACH);
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len() as u64, SENDERS * EACH, "every call once");
    let totals = r.stop();
    assert_eq!(totals.deliveries, SENDERS * EACH);
    assert!(totals.durable_writes <= totals.deliveries);
}

/// A JSON-lines sink that takes its time, to have deliveries in flight.
struct Slow(JsonLinesSink, Duration);

impl Sink for Slow {
    fn commit(&mut self, batch: &[Delivery]) -> Result<(), SinkError> {
        std::thread::sleep(self.1);
        self.0.commit(batch)
    }
}

#[test]
fn a_stop_finishes_the_deliveries_in_flight() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("d.jsonl");
    let sink = Slow(
        JsonLinesSink::open(&out).unwrap(),
        Duration::from_millis(300),
    );
    let mut r = start_with(local(), sink, dir, out.clone());
    let url = r.url.clone();
    let answered = Arc::new(Mutex::new(Vec::new()));
    let senders: Vec<_> = (0..8u64)
        .map(|n| {
            let (url, answered) = (url.clone(), Arc::clone(&answered));
            std::thread::spawn(move || {
                let resp = agent()
                    .post(&url)
                    .header("Content-Type", FORM)
                    .send(form(&[("cd_id", &n.to_string())]));
                if let Ok(resp) = resp {
                    answered.lock().unwrap().push((n, resp.status().as_u16()));
                }
            })
        })
        .collect();
    // Let every request reach the receiver, then stop while they wait on the sink.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while r.receiver.metrics().durable_writes == 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    let totals = r.stop();
    for s in senders {
        s.join().unwrap();
    }
    let answered = answered.lock().unwrap().clone();
    assert_eq!(
        answered.len(),
        8,
        "every request in flight got its answer: {answered:?}"
    );
    assert!(answered.iter().all(|(_, s)| *s == 200), "{answered:?}");
    let mut ids = call_ids(&common::lines(&out));
    ids.sort();
    assert_eq!(ids, ["0", "1", "2", "3", "4", "5", "6", "7"]);
    assert_eq!(totals.deliveries, 8);
}

/// A sink that fails every batch.
struct Broken;

impl Sink for Broken {
    fn commit(&mut self, _: &[Delivery]) -> Result<(), SinkError> {
        Err("disk full".into())
    }
}

#[test]
fn a_failing_sink_answers_503_and_healthz_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("none.jsonl");
    let r = start_with(local(), Broken, dir, out);
    let a = agent();
    let resp = a.post(&r.url).send(form(&[("cd_id", "1")])).unwrap();
    assert_eq!(resp.status(), 503);
    assert_eq!(resp.headers().get("retry-after").unwrap(), "1");
    assert_eq!(a.get(r.at("/healthz")).call().unwrap().status(), 503);
    assert_eq!(r.receiver.metrics().rejected(RejectReason::Unavailable), 1);
}

#[test]
fn https_with_the_configured_certificate() {
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let r = start(local().tls(
        fixtures.join("localhost.crt"),
        fixtures.join("localhost.key"),
    ));
    assert!(r.url.starts_with("https://127.0.0.1:"), "{}", r.url);
    let pem = std::fs::read(fixtures.join("localhost.crt")).unwrap();
    let cert = ureq::tls::Certificate::from_pem(&pem).unwrap();
    let tls = ureq::tls::TlsConfig::builder()
        .provider(ureq::tls::TlsProvider::Rustls)
        .root_certs(ureq::tls::RootCerts::Specific(Arc::new(vec![cert])))
        .build();
    let a: ureq::Agent = ureq::Agent::config_builder()
        .tls_config(tls)
        .http_status_as_error(false)
        .proxy(None)
        .build()
        .into();
    for n in 0..3 {
        let resp = a
            .post(&r.url)
            .header("Content-Type", FORM)
            .send(form(&[("cd_id", &n.to_string())]))
            .unwrap();
        assert_eq!(resp.status(), 200);
    }
    // Plain HTTP to the TLS port gets no answer.
    assert!(
        agent()
            .post(r.url.replace("https", "http"))
            .send("cd_id=9")
            .is_err()
    );
    assert_eq!(call_ids(&r.lines()), ["0", "1", "2"]);
}

#[test]
fn bad_tls_files_are_named() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let sink = JsonLinesSink::open(dir.path().join("d.jsonl")).unwrap();
    let err = rt
        .block_on(velip_webhook::Server::bind(
            local().tls(
                dir.path().join("missing.crt"),
                dir.path().join("missing.key"),
            ),
            sink,
        ))
        .unwrap_err();
    assert!(matches!(err, velip_webhook::Error::Tls(_)), "{err}");
    assert!(err.to_string().contains("missing.crt"), "{err}");
}

#[test]
fn configuration_rules_name_the_field() {
    let dir = tempfile::tempdir().unwrap();
    for (config, field) in [
        (local().path("velip"), "path"),
        (local().path("/healthz"), "path"),
        (local().basic_auth("", "p"), "basic_auth"),
        (local().basic_auth("u", ""), "basic_auth"),
        (local().body_limit(0), "body_limit"),
    ] {
        let sink = JsonLinesSink::open(dir.path().join("d.jsonl")).unwrap();
        match velip_webhook::Receiver::new(config, sink) {
            Err(velip_webhook::Error::Config(e)) => assert_eq!(e.field(), field, "{e}"),
            other => panic!("{field}: {other:?}"),
        }
    }
    let e = velip_webhook::RequiredHeader::parse("X-Key:").unwrap_err();
    assert_eq!(e.field(), "require_header");
    let e = velip_webhook::RequiredHeader::parse("Bad Name: v").unwrap_err();
    assert!(e.to_string().contains("Bad Name"), "{e}");
}
