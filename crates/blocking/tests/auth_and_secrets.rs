//! Authentication failures are never retried and lock the credentials out;
//! secrets never reach URLs, Debug output or error texts.

mod common;

use velip_blocking::{Client, Credentials, Error};
use velip_core::Query;
use velip_core::query::Webhook;
use velip_sandbox::{
    AuthMode, DEFAULT_BASIC_PASSWORD, DEFAULT_BASIC_USER, Fault, FaultPlan, MCP_ONLY_TOKEN,
};

use common::{bare_builder, builder, client, everything, sandbox};

const BAD_TOKEN: &str = "BADTOKEN00notarealtoken0000000";

#[test]
fn an_auth_failure_is_sent_once_and_then_refused_locally_until_new_credentials() {
    let sb = sandbox(500);
    // Even with many attempts allowed and a 503 first.
    sb.set_faults(FaultPlan::new().on_request(1, Fault::ServiceUnavailable));
    let c = builder(&sb)
        .token(BAD_TOKEN)
        .max_retries(5)
        .build()
        .unwrap();
    let e = c.get_call("42_1").unwrap_err();
    assert!(matches!(e, Error::Authentication(_)), "{e:?}");
    assert!(!e.is_retryable());
    assert_eq!(e.http_status(), Some(401));
    assert!(e.api_code().is_some());
    // The 503 was retried, the 401 was not.
    let log = sb.request_log();
    assert_eq!(log.iter().filter(|r| r.status == 401).count(), 1);
    assert_eq!(log.len(), 2);
    assert_eq!(sb.local_client_status().recent_failures, 1);

    // Every later call, on any clone, is refused at once, nothing sent: an
    // authentication error that says so, with the code that caused it.
    let refused = |r: Error| {
        assert_eq!(r.kind(), velip_blocking::ErrorKind::Authentication, "{r:?}");
        assert!(
            r.not_sent() && r.is_authentication() && !r.was_sent(),
            "{r:?}"
        );
        assert_eq!(r.api_code(), e.api_code());
        assert!(
            r.to_string()
                .starts_with("not sent: these credentials failed authentication"),
            "{r}"
        );
    };
    let clone = c.clone();
    refused(clone.get_call("42_2").unwrap_err());
    refused(c.list_page(&everything().build().unwrap()).unwrap_err());
    let mut it = c.list_calls(everything().build().unwrap());
    refused(it.next().unwrap().unwrap_err());
    refused(it.next().unwrap().unwrap_err());
    assert_eq!(sb.request_log().len(), 2);
    assert_eq!(sb.local_client_status().recent_failures, 1);
    assert_eq!(c.auth_lockout(), Some(e.clone()));

    // Setting the very token that failed is not "new credentials".
    c.set_token(BAD_TOKEN).unwrap();
    refused(c.get_call("42_3").unwrap_err());
    assert_eq!(sb.request_log().len(), 2);

    // New credentials lift the lock-out; the same iterator now resumes.
    clone.set_token(sb.token()).unwrap();
    assert!(c.auth_lockout().is_none());
    assert_eq!(it.map(Result::unwrap).count(), 500);
    assert_eq!(sb.local_client_status().recent_failures, 1);
}

#[test]
fn an_auth_failure_inside_a_walk_is_not_retried() {
    let sb = sandbox(100);
    let c = builder(&sb).token(MCP_ONLY_TOKEN).build().unwrap();
    let mut it = c.list_calls(everything().build().unwrap());
    let e = it.next().unwrap().unwrap_err();
    assert_eq!(e.api_code(), Some("114"));
    for _ in 0..5 {
        assert!(it.next().unwrap().is_err());
    }
    assert_eq!(sb.request_log().len(), 1);
    assert_eq!(it.pages_fetched(), 0);
}

#[test]
fn basic_auth_and_token_in_body_work() {
    let sb = sandbox(100);
    let c = bare_builder(&sb)
        .basic_auth(DEFAULT_BASIC_USER, DEFAULT_BASIC_PASSWORD)
        .build()
        .unwrap();
    let page = c.list_page(&everything().build().unwrap()).unwrap();
    assert!(!page.numbers_masked);
    let c = builder(&sb)
        .token(sb.masked_token())
        .token_in_body(true)
        .build()
        .unwrap();
    let page = c.list_page(&everything().build().unwrap()).unwrap();
    assert!(page.numbers_masked);
    let c2 = builder(&sb)
        .credentials(Credentials::token(sb.token()))
        .build()
        .unwrap();
    c2.list_page(&everything().build().unwrap()).unwrap();
    let log = sb.request_log();
    assert_eq!(log[0].auth, AuthMode::Basic);
    assert_eq!(log[1].auth, AuthMode::Tsid);
    assert_eq!(log[2].auth, AuthMode::Bearer);
}

#[test]
fn the_token_never_appears_in_request_urls_or_error_texts() {
    let sb = sandbox(300);
    for in_body in [false, true] {
        let c = builder(&sb).token_in_body(in_body).build().unwrap();
        c.list_calls(everything().page_size(100).build().unwrap())
            .for_each(|r| {
                r.unwrap();
            });
        c.get_call("1").ok();
        let bad = builder(&sb)
            .token(BAD_TOKEN)
            .token_in_body(in_body)
            .build()
            .unwrap();
        let e = bad.get_call("1").unwrap_err();
        for text in [
            e.to_string(),
            format!("{e:?}"),
            format!("{bad:?}"),
            format!("{c:?}"),
        ] {
            assert!(!text.contains(sb.token()), "{text}");
            assert!(!text.contains(BAD_TOKEN), "{text}");
        }
    }
    let log = sb.request_log();
    assert!(log.len() > 8);
    for r in &log {
        assert!(r.query.is_empty(), "parameters in the URL: {:?}", r.query);
        assert_eq!(r.method, "POST");
        assert_eq!(
            r.content_type.as_deref(),
            Some("application/x-www-form-urlencoded")
        );
        assert!(
            r.user_agent
                .as_deref()
                .is_some_and(|u| u.starts_with("velip/0.1.0"))
        );
    }
}

#[test]
fn token_hygiene_trims_surrounding_whitespace_and_rejects_inner_whitespace() {
    let sb = sandbox(100);
    let c = builder(&sb)
        .token(format!("  {}\r\n", sb.token()))
        .build()
        .unwrap();
    c.list_page(&everything().build().unwrap()).unwrap();

    let inner = format!("{}\n{}", &sb.token()[..15], &sb.token()[15..]);
    let e = builder(&sb).token(inner.as_str()).build().unwrap_err();
    assert!(matches!(e, Error::Config(_)));
    insta::assert_snapshot!(e, @"invalid client configuration: token: the token contains whitespace or control characters inside it (not shown); surrounding whitespace is trimmed, inner whitespace is refused");
    let e = c.set_token(inner.as_str()).unwrap_err();
    assert!(!format!("{e:?}").contains(&sb.token()[..15]));
    // The old token stays in place.
    c.list_page(&everything().build().unwrap()).unwrap();
    assert_eq!(sb.request_log().len(), 2);
}

#[test]
fn debug_output_redacts_every_secret() {
    let sb = sandbox(100);
    let b = builder(&sb).proxy("http://me:proxypass99@127.0.0.1:9");
    let text = format!("{b:?}");
    assert!(
        !text.contains(sb.token()) && !text.contains("proxypass99"),
        "{text}"
    );
    let c = bare_builder(&sb)
        .basic_auth("user", "basicpass99")
        .build()
        .unwrap();
    let text = format!("{c:?}");
    assert!(!text.contains("basicpass99"), "{text}");
    assert!(text.contains("Secret(***)"), "{text}");
    let q = Query::builder()
        .campaign_id(1)
        .webhook(Webhook::new("https://hooks.example.com/x").basic_auth("hook", "hookpass99"))
        .build()
        .unwrap();
    assert!(!format!("{q:?}").contains("hookpass99"));
}

#[test]
fn config_errors() {
    let e = Client::builder().base_url("ftp://x").build().unwrap_err();
    assert!(matches!(e, Error::Config(_)));
    let e = Client::builder()
        .base_url("https://u:secretpw@x")
        .build()
        .unwrap_err();
    assert!(!e.to_string().contains("secretpw"), "{e}");
    // A token pasted into the URL's query or fragment is never echoed.
    for url in [
        "https://x.example/?tsid=SECRETTOKEN123",
        "https://x.example/#SECRETTOKEN123",
    ] {
        let e = Client::builder().base_url(url).build().unwrap_err();
        assert!(!format!("{e} {e:?}").contains("SECRETTOKEN123"), "{e}");
    }
    // Visible ASCII only: the token travels in a header.
    let e = Client::builder()
        .token("tökén-ünïcode-0123456789abcdef")
        .build()
        .unwrap_err();
    assert!(matches!(e, Error::Config(_)));
    assert!(!e.to_string().contains("ünïcode"), "{e}");
    let e = Client::builder()
        .proxy("::not a proxy::")
        .build()
        .unwrap_err();
    assert!(matches!(e, Error::Config(_)));
    let e = Client::builder().ca_pem("not a pem").build().unwrap_err();
    insta::assert_snapshot!(e, @"invalid client configuration: ca_file: the CA PEM holds no certificate (expected -----BEGIN CERTIFICATE-----)");
    let e = Client::builder()
        .ca_file("/nonexistent/ca.pem")
        .build()
        .unwrap_err();
    assert!(matches!(e, Error::Config(_)));
    let e = Client::builder()
        .platform_roots(true)
        .ca_pem("x")
        .build()
        .unwrap_err();
    assert!(matches!(e, Error::Config(_)));
    Client::builder()
        .platform_roots(true)
        .token("t".repeat(30))
        .build()
        .unwrap();
    // No credentials at all: refused before anything can be sent.
    let e = Client::builder().build().unwrap_err();
    insta::assert_snapshot!(e, @"invalid client configuration: credentials: no credentials: set a token or HTTP Basic credentials (or VELIP_TOKEN / VELIP_USER and VELIP_PASSWORD)");
    let e = Client::builder()
        .user_agent_suffix("a\nb")
        .build()
        .unwrap_err();
    assert!(matches!(e, Error::Config(_)));
}

#[test]
fn a_base_url_with_the_endpoint_path_is_accepted() {
    let sb = sandbox(100);
    let c = builder(&sb)
        .base_url(format!("{}/api/v2/GetCallStatus.php", sb.url()))
        .build()
        .unwrap();
    c.list_page(&everything().build().unwrap()).unwrap();
    assert_eq!(sb.request_log()[0].path, "/api/v2/GetCallStatus.php");
}

#[test]
fn user_agent_carries_the_binding_name() {
    let sb = sandbox(100);
    let c = builder(&sb)
        .user_agent_suffix("python/3.12")
        .build()
        .unwrap();
    assert_eq!(c.user_agent(), "velip/0.1.0 python/3.12");
    c.list_page(&everything().build().unwrap()).unwrap();
    assert_eq!(
        sb.request_log()[0].user_agent.as_deref(),
        Some("velip/0.1.0 python/3.12")
    );
    let _ = client(&sb);
}

/// Option rules live in the builder, each error naming its option (the C
/// and Python bindings pass values through and get these same errors).
#[test]
fn option_rules_are_checked_by_the_builder() {
    use std::time::Duration;
    let t = || Client::builder().token("t0k3n-t0k3n-t0k3n");
    let cases: Vec<(&str, velip_blocking::ClientBuilder)> = vec![
        ("timeout", t().timeout(Duration::ZERO)),
        ("timeout", t().timeout(Duration::from_secs(86_401))),
        ("connect_timeout", t().connect_timeout(Duration::ZERO)),
        ("max_retries", t().max_retries(101)),
        ("max_retries", t().max_retries(u32::MAX)),
        (
            "max_retry_wait",
            t().max_retry_wait(Duration::from_secs(86_401)),
        ),
        ("token", Client::builder().token("x".repeat(16 << 20))),
        ("credentials", t().basic_auth("user", "password")),
        ("user_agent_suffix", t().user_agent_suffix("x".repeat(300))),
    ];
    let mut messages = Vec::new();
    for (option, b) in cases {
        match b.build() {
            Err(Error::Config(c)) => {
                assert_eq!(c.option, option, "{c}");
                messages.push(c.to_string());
            }
            other => panic!("{option}: {other:?}"),
        }
    }
    insta::assert_snapshot!(messages.join("\n"));
    t().max_retries(100)
        .max_retry_wait(Duration::ZERO)
        .timeout(Duration::from_millis(1))
        .build()
        .unwrap();
}

/// `ClientBuilder::from_env` reads `VELIP_TOKEN`, `VELIP_USER` /
/// `VELIP_PASSWORD` and `VELIP_BASE_URL`; explicit setters win. Run in
/// child processes (the environment is process-wide).
#[test]
fn credentials_and_base_url_come_from_the_environment() {
    if let Ok(case) = std::env::var("VELIP_FROM_ENV_CASE") {
        let out = match case.as_str() {
            "explicit" => velip_blocking::ClientBuilder::from_env()
                .base_url("http://127.0.0.1:9")
                .basic_auth("u", "p4ssw0rd")
                .build()
                .map(|c| c.base_url().to_owned()),
            _ => velip_blocking::ClientBuilder::from_env()
                .build()
                .map(|c| c.base_url().to_owned()),
        };
        println!("RESULT {}", out.unwrap_or_else(|e| e.to_string()));
        return;
    }
    let run = |case: &str, vars: &[(&str, &str)]| {
        let mut cmd = std::process::Command::new(std::env::current_exe().unwrap());
        cmd.args([
            "--exact",
            "credentials_and_base_url_come_from_the_environment",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("VELIP_FROM_ENV_CASE", case)
        .env_remove("VELIP_TOKEN")
        .env_remove("VELIP_USER")
        .env_remove("VELIP_PASSWORD")
        .env_remove("VELIP_BASE_URL");
        for (k, v) in vars {
            cmd.env(k, v);
        }
        let out = String::from_utf8(cmd.output().unwrap().stdout).unwrap();
        out.lines()
            .find_map(|l| l.split_once("RESULT ").map(|(_, r)| r))
            .unwrap_or_else(|| panic!("{out}"))
            .to_owned()
    };
    assert_eq!(
        run(
            "env",
            &[
                ("VELIP_TOKEN", "t0k3n-t0k3n"),
                ("VELIP_BASE_URL", "http://127.0.0.1:7")
            ]
        ),
        "http://127.0.0.1:7"
    );
    assert_eq!(
        run("env", &[("VELIP_USER", "u"), ("VELIP_PASSWORD", "p4ss")]),
        "https://vox.velip.com.br"
    );
    assert_eq!(
        run(
            "explicit",
            &[
                ("VELIP_TOKEN", "t0k3n-t0k3n"),
                ("VELIP_BASE_URL", "http://127.0.0.1:7")
            ]
        ),
        "http://127.0.0.1:9"
    );
    insta::assert_snapshot!(
        [
            run("env", &[]),
            run(
                "env",
                &[("VELIP_TOKEN", "t0k3n-t0k3n"), ("VELIP_USER", "u")]
            ),
            run("env", &[("VELIP_USER", "u")]),
        ]
        .join("\n")
    );
}
