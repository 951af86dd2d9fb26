//! Shared helpers for the sandbox's HTTP tests (ureq as the client).
#![allow(dead_code, unreachable_pub)]

use std::time::Duration;

use serde_json::Value;
use velip_sandbox::Sandbox;

/// A test HTTP answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub text: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn calls(&self) -> Vec<Value> {
        self.json()["calls"].as_array().cloned().unwrap_or_default()
    }

    pub fn code(&self) -> String {
        self.json()["return"]["status_code"]
            .as_str()
            .unwrap_or("")
            .to_owned()
    }
}

pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

fn answer(resp: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Answer {
    let mut resp = resp.expect("transport error");
    let status = resp.status().as_u16();
    let headers = resp
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    let text = resp
        .body_mut()
        .with_config()
        .limit(64 * 1024 * 1024)
        .read_to_string()
        .expect("body");
    Answer {
        status,
        headers,
        text,
    }
}

/// POST form with a bearer token.
pub fn post(sb: &Sandbox, token: &str, params: &[(&str, &str)]) -> Answer {
    answer(
        agent()
            .post(sb.endpoint())
            .header("Authorization", format!("Bearer {token}"))
            .send_form(params.iter().copied()),
    )
}

/// POST form without any auth header (put `tsid` in params when needed).
pub fn post_raw(sb: &Sandbox, params: &[(&str, &str)]) -> Answer {
    answer(
        agent()
            .post(sb.endpoint())
            .send_form(params.iter().copied()),
    )
}

/// POST form with a custom Authorization header.
pub fn post_auth(sb: &Sandbox, authorization: &str, params: &[(&str, &str)]) -> Answer {
    answer(
        agent()
            .post(sb.endpoint())
            .header("Authorization", authorization)
            .send_form(params.iter().copied()),
    )
}

/// POST a JSON body with a bearer token.
pub fn post_json(sb: &Sandbox, token: &str, body: &Value) -> Answer {
    answer(
        agent()
            .post(sb.endpoint())
            .header("Authorization", format!("Bearer {token}"))
            .header("Content-Type", "application/json")
            .send(body.to_string()),
    )
}

/// GET with query parameters and a bearer token.
pub fn get(sb: &Sandbox, token: &str, params: &[(&str, &str)]) -> Answer {
    answer(
        agent()
            .get(sb.endpoint())
            .header("Authorization", format!("Bearer {token}"))
            .query_pairs(params.iter().copied())
            .call(),
    )
}

/// POST form to a URL with extra query parameters (query wins over body).
pub fn post_with_query(
    sb: &Sandbox,
    token: &str,
    query: &[(&str, &str)],
    body: &[(&str, &str)],
) -> Answer {
    answer(
        agent()
            .post(sb.endpoint())
            .header("Authorization", format!("Bearer {token}"))
            .query_pairs(query.iter().copied())
            .send_form(body.iter().copied()),
    )
}

pub fn basic(user: &str, password: &str) -> String {
    use base64::Engine as _;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

pub fn ids(calls: &[Value]) -> Vec<u64> {
    calls
        .iter()
        .map(|c| c["cd_id"].as_u64().expect("integer cd_id"))
        .collect()
}

pub fn fixture(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every call of the sandbox (full numbers), newest first, paging by cursor.
pub fn all_calls(sb: &Sandbox) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut params = vec![("maxreg", "5000".to_owned())];
        if let Some(c) = &cursor {
            params.push(("last_id", c.clone()));
        }
        let p: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let a = post(sb, sb.token(), &p);
        assert_eq!(a.status, 200, "{}", a.text);
        let j = a.json();
        out.extend(j["calls"].as_array().cloned().unwrap_or_default());
        let pag = &j["return"]["pagination"];
        if pag["has_more"].as_bool() != Some(true) {
            return out;
        }
        cursor = Some(pag["next_id"].to_string());
    }
}

/// A ureq agent that trusts only `ca_pem` (PEM), optionally through a proxy URL.
pub fn tls_agent(ca_pem: &str, proxy: Option<&str>) -> ureq::Agent {
    let ca = ureq::tls::Certificate::from_pem(ca_pem.as_bytes()).expect("CA PEM");
    let tls = ureq::tls::TlsConfig::builder()
        .root_certs(ureq::tls::RootCerts::new_with_certs(&[ca]))
        .build();
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(proxy.map(|p| ureq::Proxy::new(p).expect("proxy URL")))
        .tls_config(tls)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}
