//! Who may deliver: HTTP Basic credentials and required headers, compared
//! in constant time (`subtle`). A mismatch is a bare 401, and nothing about
//! it (not the value sent, not which check failed) reaches a log.

use axum::http::{HeaderMap, header};
use base64::Engine as _;
use subtle::{Choice, ConstantTimeEq};

use crate::config::{BasicAuth, ReceiverConfig, RequiredHeader};

/// The checks of one receiver.
#[derive(Debug, Clone)]
pub(crate) struct Authenticator {
    basic: Option<BasicAuth>,
    headers: Vec<RequiredHeader>,
}

impl Authenticator {
    pub(crate) fn new(config: &ReceiverConfig) -> Self {
        Self {
            basic: config.basic_auth.clone(),
            headers: config.required_headers.clone(),
        }
    }

    /// Whether Basic credentials are required (for `WWW-Authenticate`).
    pub(crate) fn wants_basic(&self) -> bool {
        self.basic.is_some()
    }

    /// Whether the request passes every check. Every check runs, whatever
    /// the outcome of the others; each comparison is constant-time in the
    /// content (lengths are not hidden).
    pub(crate) fn allows(&self, headers: &HeaderMap) -> bool {
        let mut ok = Choice::from(1);
        if let Some(expected) = &self.basic {
            ok &= basic_matches(expected, headers);
        }
        for required in &self.headers {
            let mut any = Choice::from(0);
            for value in headers.get_all(&required.name) {
                any |= value.as_bytes().ct_eq(required.value.expose().as_bytes());
            }
            ok &= any;
        }
        bool::from(ok)
    }
}

fn basic_matches(expected: &BasicAuth, headers: &HeaderMap) -> Choice {
    let mut any = Choice::from(0);
    for value in headers.get_all(header::AUTHORIZATION) {
        let Some((user, password)) = decode_basic(value.as_bytes()) else {
            continue;
        };
        let user_ok = user.ct_eq(expected.user.as_bytes());
        let password_ok = password.ct_eq(expected.password.expose().as_bytes());
        any |= user_ok & password_ok;
    }
    any
}

/// `Basic base64(user:password)` → (user, password) bytes.
fn decode_basic(value: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let value = value.trim_ascii();
    let (scheme, rest) = value.split_at_checked(6)?;
    if !scheme.eq_ignore_ascii_case(b"basic ") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(rest.trim_ascii())
        .ok()?;
    let colon = decoded.iter().position(|&b| b == b':')?;
    Some((decoded[..colon].to_vec(), decoded[colon + 1..].to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn basic(user: &str, pw: &str) -> HeaderValue {
        let b = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pw}"));
        HeaderValue::from_str(&format!("Basic {b}")).unwrap()
    }

    #[allow(clippy::needless_pass_by_value)] // reads better at the call sites
    fn auth(config: ReceiverConfig) -> Authenticator {
        Authenticator::new(&config)
    }

    #[test]
    fn nothing_configured_allows_all() {
        assert!(auth(ReceiverConfig::new()).allows(&HeaderMap::new()));
    }

    #[test]
    fn basic_credentials() {
        let a = auth(ReceiverConfig::new().basic_auth("hook", "pa:ss"));
        let mut h = HeaderMap::new();
        assert!(!a.allows(&h));
        h.insert(header::AUTHORIZATION, basic("hook", "pa:ss"));
        assert!(a.allows(&h));
        h.insert(header::AUTHORIZATION, basic("hook", "pa:sS"));
        assert!(!a.allows(&h));
        h.insert(header::AUTHORIZATION, basic("hoo", "pa:ss"));
        assert!(!a.allows(&h));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer pa:ss"),
        );
        assert!(!a.allows(&h));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic %%%"));
        assert!(!a.allows(&h));
        let lower = basic("hook", "pa:ss")
            .to_str()
            .unwrap()
            .replace("Basic", "basic");
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&lower).unwrap(),
        );
        assert!(a.allows(&h));
    }

    #[test]
    fn required_headers_all_needed() {
        let a = auth(
            ReceiverConfig::new()
                .require_header("X-Velip-Key: k1")
                .unwrap()
                .require_header("x-tenant:acme")
                .unwrap(),
        );
        let mut h = HeaderMap::new();
        h.insert("x-velip-key", HeaderValue::from_static("k1"));
        assert!(!a.allows(&h));
        h.insert("X-Tenant", HeaderValue::from_static("acme"));
        assert!(a.allows(&h));
        h.insert("x-velip-key", HeaderValue::from_static("k2"));
        assert!(!a.allows(&h));
        h.append("x-velip-key", HeaderValue::from_static("k1"));
        assert!(a.allows(&h), "one of the values matches");
    }

    #[test]
    fn both_kinds_together() {
        let a = auth(
            ReceiverConfig::new()
                .basic_auth("u", "p")
                .require_header("X-Key: v")
                .unwrap(),
        );
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, basic("u", "p"));
        assert!(!a.allows(&h));
        h.insert("x-key", HeaderValue::from_static("v"));
        assert!(a.allows(&h));
    }
}
