//! The production service is HTTPS: the client against the sandbox in TLS
//! mode with a test CA (the custom CA option), a wrong CA (a clear TLS
//! error, no retry storm), and through an HTTP CONNECT proxy (explicit, and
//! from `HTTPS_PROXY` with `NO_PROXY`); all on 127.0.0.1.

mod common;

use std::time::{Duration, Instant};

use velip_blocking::{Client, Error, ErrorKind, TransportKind};
use velip_sandbox::proxy::ConnectProxy;
use velip_sandbox::tls::TestCa;
use velip_sandbox::{Sandbox, SandboxConfig};

use common::{everything, fast_retries};

fn tls_sandbox(ca: &TestCa) -> Sandbox {
    Sandbox::start(SandboxConfig {
        calls: 300,
        tls: Some(ca.server_identity()),
        ..SandboxConfig::default()
    })
    .expect("TLS sandbox starts")
}

#[test]
fn the_custom_ca_option_reaches_an_https_service() {
    let ca = TestCa::generate().unwrap();
    let sb = tls_sandbox(&ca);
    assert!(sb.url().starts_with("https://127.0.0.1:"), "{}", sb.url());
    let c = Client::builder()
        .base_url(sb.url())
        .token(sb.token())
        .no_proxy()
        .ca_pem(ca.cert_pem())
        .build()
        .unwrap();
    let calls: Vec<_> = c
        .list_calls(everything().build().unwrap())
        .map(Result::unwrap)
        .collect();
    assert_eq!(calls.len(), 300);
    // The same from a CA file.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ca.pem");
    std::fs::write(&file, ca.cert_pem()).unwrap();
    let c = Client::builder()
        .base_url(sb.url())
        .token(sb.token())
        .no_proxy()
        .ca_file(&file)
        .build()
        .unwrap();
    assert_eq!(
        c.list_page(&everything().page_size(5).build().unwrap())
            .unwrap()
            .records
            .len(),
        5
    );
}

#[test]
fn a_wrong_ca_is_a_clear_tls_error_and_is_not_retried() {
    let ca = TestCa::generate().unwrap();
    let other = TestCa::generate().unwrap();
    let sb = tls_sandbox(&ca);
    for trust in [Some(other.cert_pem().to_owned()), None] {
        let mut b = Client::builder()
            .base_url(sb.url())
            .token(sb.token())
            .no_proxy()
            .retry_policy(fast_retries().with_max_attempts(5));
        if let Some(pem) = &trust {
            b = b.ca_pem(pem.clone());
        }
        let c = b.build().unwrap();
        let started = Instant::now();
        let mut it = c.list_calls(everything().build().unwrap());
        let e = it.next().unwrap().unwrap_err();
        assert!(
            matches!(
                e,
                Error::Transport {
                    kind: TransportKind::Tls,
                    ..
                }
            ),
            "{e:?}"
        );
        assert_eq!(e.kind(), ErrorKind::Transport);
        assert!(e.to_string().contains("tls"), "{e}");
        // A walk that keeps asking gets the error again without a storm.
        for _ in 0..50 {
            assert!(it.next().unwrap().is_err());
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        assert!(sb.request_log().is_empty(), "no request got through");
    }
}

#[test]
fn an_explicit_connect_proxy_carries_the_requests() {
    let ca = TestCa::generate().unwrap();
    let sb = tls_sandbox(&ca);
    let proxy = ConnectProxy::start().unwrap();
    let c = Client::builder()
        .base_url(sb.url())
        .token(sb.token())
        .ca_pem(ca.cert_pem())
        .proxy(proxy.url())
        .build()
        .unwrap();
    let page = c
        .list_page(&everything().page_size(10).build().unwrap())
        .unwrap();
    assert_eq!(page.records.len(), 10);
    let target = format!("127.0.0.1:{}", sb.addr().port());
    assert!(
        proxy.connect_targets().contains(&target),
        "{:?}",
        proxy.connect_targets()
    );
    // Proxy credentials never show.
    let p2 = ConnectProxy::start_with_credentials("pxuser", "pxsecret99").unwrap();
    let url = p2.url().replacen("http://", "http://pxuser:pxsecret99@", 1);
    let c = Client::builder()
        .base_url(sb.url())
        .token(sb.token())
        .ca_pem(ca.cert_pem())
        .proxy(url)
        .build()
        .unwrap();
    assert!(!format!("{c:?}").contains("pxsecret99"));
    assert_eq!(
        c.list_page(&everything().page_size(3).build().unwrap())
            .unwrap()
            .records
            .len(),
        3
    );
}

/// `HTTPS_PROXY` is read from the environment, and `NO_PROXY` bypasses
/// it. The environment is process-wide: the cases run in child processes.
#[test]
fn the_proxy_comes_from_the_environment() {
    if let (Ok(url), Ok(ca)) = (
        std::env::var("VELIP_TEST_URL"),
        std::env::var("VELIP_TEST_CA"),
    ) {
        let c = Client::builder()
            .base_url(url)
            .token("SBXFULL000sandbox0full0numbers")
            .ca_pem(ca)
            .build()
            .unwrap();
        let n = c
            .list_page(&everything().page_size(2).build().unwrap())
            .unwrap()
            .records
            .len();
        println!("RESULT {n}");
        return;
    }
    let ca = TestCa::generate().unwrap();
    let sb = tls_sandbox(&ca);
    let proxy = ConnectProxy::start().unwrap();
    let run = |vars: &[(&str, &str)]| {
        let mut cmd = std::process::Command::new(std::env::current_exe().unwrap());
        cmd.args([
            "--exact",
            "the_proxy_comes_from_the_environment",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("VELIP_TEST_URL", sb.url())
        .env("VELIP_TEST_CA", ca.cert_pem());
        for k in [
            "HTTPS_PROXY",
            "https_proxy",
            "HTTP_PROXY",
            "http_proxy",
            "ALL_PROXY",
            "all_proxy",
            "NO_PROXY",
            "no_proxy",
        ] {
            cmd.env_remove(k);
        }
        for (k, v) in vars {
            cmd.env(k, v);
        }
        let out = String::from_utf8(cmd.output().unwrap().stdout).unwrap();
        assert!(out.contains("RESULT 2"), "{out}");
    };
    run(&[("HTTPS_PROXY", proxy.url())]);
    assert_eq!(proxy.request_count(), 1, "through the proxy");
    run(&[("HTTPS_PROXY", proxy.url()), ("NO_PROXY", "127.0.0.1")]);
    assert_eq!(proxy.request_count(), 1, "NO_PROXY bypasses it");
}
