//! The CONNECT proxy over real HTTP: tunnels to the HTTPS sandbox (ureq as
//! the client), plain absolute-form requests (hyper's client), credentials.

mod common;

use std::time::Duration;

use axum::body::Body;
use axum::http::Request;
use common::tls_agent;
use hyper_util::rt::TokioIo;
use velip_sandbox::proxy::ConnectProxy;
use velip_sandbox::tls::TestCa;
use velip_sandbox::{Sandbox, SandboxConfig};

fn https_sandbox(ca: &TestCa) -> Sandbox {
    Sandbox::start(SandboxConfig {
        calls: 200,
        tls: Some(ca.server_identity()),
        ..Default::default()
    })
    .unwrap()
}

fn list(agent: &ureq::Agent, sb: &Sandbox) -> Result<(u16, String), ureq::Error> {
    let mut r = agent
        .post(sb.endpoint())
        .header("Authorization", format!("Bearer {}", sb.token()))
        .send_form([("maxreg", "3")])?;
    let status = r.status().as_u16();
    Ok((status, r.body_mut().read_to_string()?))
}

#[test]
fn connect_tunnels_to_the_tls_sandbox() {
    let ca = TestCa::generate().unwrap();
    let sb = https_sandbox(&ca);
    let proxy = ConnectProxy::start().unwrap();
    assert_eq!(
        proxy.url(),
        format!("http://127.0.0.1:{}", proxy.addr().port())
    );
    let agent = tls_agent(ca.cert_pem(), Some(proxy.url()));
    for _ in 0..2 {
        let (status, body) = list(&agent, &sb).unwrap();
        assert_eq!(status, 200);
        let j: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(j["calls"].as_array().unwrap().len(), 3);
    }
    let target = format!("127.0.0.1:{}", sb.addr().port());
    let targets = proxy.connect_targets();
    assert!(
        !targets.is_empty() && targets.iter().all(|t| *t == target),
        "{targets:?}"
    );
    assert_eq!(proxy.request_count(), targets.len() as u64);
    let first = &proxy.requests()[0];
    assert_eq!((first.method.as_str(), first.status), ("CONNECT", 200));
    assert!(!first.proxy_authorization);
    // TLS runs end to end through the tunnel: a client trusting another CA fails.
    let stranger = TestCa::generate().unwrap();
    assert!(list(&tls_agent(stranger.cert_pem(), Some(proxy.url())), &sb).is_err());
    assert_eq!(sb.request_log().len(), 2);
    proxy.clear();
    assert_eq!(proxy.request_count(), 0);
    assert!(proxy.requests().is_empty());
}

#[test]
fn credentials_are_required_when_configured() {
    let ca = TestCa::generate().unwrap();
    let sb = https_sandbox(&ca);
    let proxy = ConnectProxy::start_with_credentials("proxyuser", "proxy pass").unwrap();
    let port = proxy.addr().port();
    let without = tls_agent(ca.cert_pem(), Some(proxy.url()));
    assert!(list(&without, &sb).is_err());
    let wrong = tls_agent(
        ca.cert_pem(),
        Some(&format!("http://proxyuser:nope@127.0.0.1:{port}")),
    );
    assert!(list(&wrong, &sb).is_err());
    let right = tls_agent(
        ca.cert_pem(),
        Some(&format!("http://proxyuser:proxy%20pass@127.0.0.1:{port}")),
    );
    assert_eq!(list(&right, &sb).unwrap().0, 200);
    let log = proxy.requests();
    let seen: Vec<(u16, bool)> = log
        .iter()
        .map(|r| (r.status, r.proxy_authorization))
        .collect();
    assert_eq!(seen, [(407, false), (407, true), (200, true)]);
    assert_eq!(sb.request_log().len(), 1);
}

#[test]
fn plain_requests_are_forwarded_in_origin_form() {
    let sb = Sandbox::start(SandboxConfig {
        calls: 50,
        ..Default::default()
    })
    .unwrap();
    let proxy = ConnectProxy::start().unwrap();
    let target = format!("{}?maxreg=2", sb.endpoint());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (status, body) = rt.block_on(async {
        let tcp = tokio::net::TcpStream::connect(proxy.addr()).await.unwrap();
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
            .await
            .unwrap();
        tokio::spawn(conn);
        let req = Request::get(&target)
            .header("Host", sb.addr().to_string())
            .header("Authorization", format!("Bearer {}", sb.token()))
            .body(Body::empty())
            .unwrap();
        let resp = tokio::time::timeout(Duration::from_secs(10), sender.send_request(req))
            .await
            .unwrap()
            .unwrap();
        let status = resp.status().as_u16();
        let body = axum::body::to_bytes(Body::new(resp.into_body()), 1 << 20)
            .await
            .unwrap();
        (status, body)
    });
    assert_eq!(status, 200);
    let j: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(j["calls"].as_array().unwrap().len(), 2);
    let log = proxy.requests();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].method, "GET");
    assert_eq!(log[0].target, target);
    assert_eq!(log[0].status, 200);
    assert!(proxy.connect_targets().is_empty());
    // The sandbox saw an ordinary origin-form request.
    let seen = &sb.request_log()[0];
    assert_eq!(seen.path, velip_sandbox::ENDPOINT_PATH);
    assert_eq!(seen.param("maxreg"), Some("2"));
}
