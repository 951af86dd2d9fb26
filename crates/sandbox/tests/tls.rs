//! HTTPS mode with the test CA, over real TLS (ureq with rustls as the client).

mod common;

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};

use common::tls_agent;
use velip_sandbox::tls::{TestCa, TlsIdentity};
use velip_sandbox::{Sandbox, SandboxConfig};

fn https_sandbox(identity: TlsIdentity) -> Sandbox {
    Sandbox::start(SandboxConfig {
        calls: 200,
        tls: Some(identity),
        ..Default::default()
    })
    .expect("HTTPS sandbox starts")
}

fn list(agent: &ureq::Agent, endpoint: &str, token: &str) -> Result<String, ureq::Error> {
    agent
        .post(endpoint)
        .header("Authorization", format!("Bearer {token}"))
        .send_form([("maxreg", "2")])?
        .into_body()
        .read_to_string()
}

#[test]
fn https_with_the_ca_trusted_works_for_ip_and_localhost() {
    let ca = TestCa::generate().unwrap();
    let sb = https_sandbox(ca.server_identity());
    assert_eq!(sb.url(), format!("https://127.0.0.1:{}", sb.addr().port()));
    assert!(sb.endpoint().starts_with("https://127.0.0.1:"));
    let agent = tls_agent(ca.cert_pem(), None);
    let body = list(&agent, &sb.endpoint(), sb.token()).unwrap();
    let j: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(j["calls"].as_array().unwrap().len(), 2);
    // The certificate names `localhost` too.
    let by_name = format!(
        "https://localhost:{}{}",
        sb.addr().port(),
        velip_sandbox::ENDPOINT_PATH
    );
    assert!(list(&agent, &by_name, sb.token()).is_ok());
    let log = sb.request_log();
    assert_eq!(log.len(), 2);
    assert!(log[0].client.is_loopback());
}

#[test]
fn a_certificate_from_another_ca_is_refused() {
    let trusted = TestCa::generate().unwrap();
    let other = TestCa::generate().unwrap();
    assert_ne!(trusted.cert_pem(), other.cert_pem());
    let sb = https_sandbox(other.server_identity());
    let err = list(
        &tls_agent(trusted.cert_pem(), None),
        &sb.endpoint(),
        sb.token(),
    )
    .expect_err("a client trusting only the other CA refuses the server");
    assert!(
        matches!(
            err,
            ureq::Error::Tls(_) | ureq::Error::Rustls(_) | ureq::Error::Io(_)
        ),
        "{err:?}"
    );
    assert!(sb.request_log().is_empty(), "nothing got through");
    // The right CA still works on the same server.
    assert!(
        list(
            &tls_agent(other.cert_pem(), None),
            &sb.endpoint(),
            sb.token()
        )
        .is_ok()
    );
}

#[test]
fn a_certificate_for_other_names_is_refused() {
    let ca = TestCa::generate().unwrap();
    let sb = https_sandbox(ca.issue(&["vox.velip.invalid"]).unwrap());
    assert!(list(&tls_agent(ca.cert_pem(), None), &sb.endpoint(), sb.token()).is_err());
}

#[test]
fn unreadable_identity_is_a_clear_start_error() {
    let ca = TestCa::generate().unwrap();
    let good = ca.server_identity();
    let other_key = TestCa::generate().unwrap().server_identity().key_pem;
    for (identity, says) in [
        (
            TlsIdentity::new("not a pem", good.key_pem.clone()),
            "no certificate",
        ),
        (
            TlsIdentity::new(good.cert_chain_pem.clone(), ""),
            "private key",
        ),
        (
            TlsIdentity::new(good.cert_chain_pem.clone(), other_key),
            "do not make",
        ),
    ] {
        let err = Sandbox::start(SandboxConfig {
            calls: 10,
            tls: Some(identity),
            ..Default::default()
        })
        .expect_err("refused");
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains(says), "{err}");
    }
    // The key never shows in Debug.
    let shown = format!("{good:?}");
    assert!(!shown.contains("PRIVATE KEY") && shown.contains("<hidden>"));
}

#[test]
fn binary_serves_https_with_a_generated_test_ca() {
    let dir = std::env::temp_dir().join(format!("velip-sandbox-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca_file = dir.join("ca.pem");
    let mut child = Command::new(env!("CARGO_BIN_EXE_velip-sandbox"))
        .args(["--calls", "100", "--exit-on-stdin-eof", "--tls-test-ca"])
        .arg(&ca_file)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let lines: Vec<String> = BufReader::new(child.stdout.take().unwrap())
        .lines()
        .take(5)
        .map(Result::unwrap)
        .collect();
    let value = |key: &str| {
        lines
            .iter()
            .find_map(|l| l.strip_prefix(&format!("{key}=")))
            .unwrap_or_else(|| panic!("{key} in {lines:?}"))
            .to_owned()
    };
    assert!(value("VELIP_SANDBOX_URL").starts_with("https://127.0.0.1:"));
    assert_eq!(
        value("VELIP_SANDBOX_CA_FILE"),
        ca_file.display().to_string()
    );
    let ca = std::fs::read_to_string(&ca_file).unwrap();
    let agent = tls_agent(&ca, None);
    assert!(
        list(
            &agent,
            &value("VELIP_SANDBOX_ENDPOINT"),
            &value("VELIP_SANDBOX_TOKEN")
        )
        .is_ok()
    );
    drop(child.stdin.take());
    assert!(child.wait().unwrap().success());
    let _ = std::fs::remove_dir_all(&dir);
}
