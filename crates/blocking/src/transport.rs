//! The HTTP layer: one `ureq` agent (one connection pool) per client, form
//! POSTs to the endpoint, and the mapping of `ureq` failures to
//! [`TransportKind`] plus the phase they happened in.

use std::fmt;
use std::io;
use std::time::{Duration, SystemTime};

use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig};
use ureq::{Agent, Proxy};
use velip_core::scrub::redact_url;

use crate::{Error, TransportKind};

/// The endpoint path under the base URL.
pub const ENDPOINT_PATH: &str = "api/v2/GetCallStatus.php";

/// Largest answer body read (a 5000-record page is a few MiB).
const MAX_BODY_BYTES: u64 = 64 * 1024 * 1024;

/// Which proxy to use.
#[derive(Clone)]
pub(crate) enum ProxySetting {
    /// `ALL_PROXY`/`HTTPS_PROXY`/`HTTP_PROXY`, honouring `NO_PROXY` (ureq).
    FromEnv,
    /// None at all.
    None,
    /// This URL (may hold credentials: never shown).
    Url(String),
}

impl fmt::Debug for ProxySetting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::FromEnv => f.write_str("FromEnv"),
            Self::None => f.write_str("None"),
            Self::Url(u) => write!(f, "Url({})", redact_url(u)),
        }
    }
}

/// Which roots verify servers.
#[derive(Clone, Debug)]
pub(crate) enum TlsSetting {
    /// Mozilla's roots, bundled.
    Bundled,
    /// Bundled roots plus the certificates in this PEM text.
    BundledPlus(Vec<u8>),
    /// The platform's verifier.
    Platform,
}

/// What the transport is built from.
pub(crate) struct TransportSettings {
    pub(crate) base_url: String,
    pub(crate) connect_timeout: Duration,
    pub(crate) timeout: Duration,
    pub(crate) proxy: ProxySetting,
    pub(crate) tls: TlsSetting,
    pub(crate) user_agent: String,
}

/// In which phase a request failed, for retry decisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Before the request could have reached the server (DNS, connect,
    /// proxy, TLS).
    Connect,
    /// After connecting, before the answer's headers arrived.
    Request,
    /// While the answer's body was arriving.
    Body,
}

/// A failure below HTTP.
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    pub(crate) kind: TransportKind,
    pub(crate) phase: Phase,
    pub(crate) message: String,
}

/// An HTTP answer, read whole.
pub(crate) struct Answer {
    pub(crate) status: u16,
    /// The `Retry-After` header, as sent.
    pub(crate) retry_after: Option<String>,
    /// The `Content-Type` header, as sent.
    pub(crate) content_type: Option<String>,
    /// When the headers arrived (an HTTP-date `Retry-After` is relative to
    /// it).
    pub(crate) received_at: SystemTime,
    pub(crate) body: Vec<u8>,
}

/// One agent (connection pool) and the endpoint.
pub(crate) struct Transport {
    agent: Agent,
    endpoint: String,
    path: String,
    pub(crate) settings_debug: String,
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.settings_debug)
    }
}

impl Transport {
    pub(crate) fn new(s: &TransportSettings) -> Result<Self, Error> {
        let endpoint = endpoint_url(&s.base_url)?;
        let path = url::Url::parse(&endpoint)
            .map(|u| u.path().to_owned())
            .unwrap_or_default();
        let proxy = match &s.proxy {
            ProxySetting::FromEnv => Proxy::try_from_env(),
            ProxySetting::None => None,
            ProxySetting::Url(u) => Some(Proxy::new(u).map_err(|_| {
                Error::config(
                    "proxy",
                    format!(
                        "invalid proxy URL {} (expected http://, https:// or socks5://host:port)",
                        redact_url(u)
                    ),
                )
            })?),
        };
        let roots = match &s.tls {
            TlsSetting::Bundled => RootCerts::WebPki,
            TlsSetting::Platform => RootCerts::PlatformVerifier,
            TlsSetting::BundledPlus(pem) => {
                let mut certs: Vec<Certificate<'static>> = webpki_root_certs::TLS_SERVER_ROOT_CERTS
                    .iter()
                    .map(|c| Certificate::from_der(c.as_ref()))
                    .collect();
                let bundled = certs.len();
                for item in ureq::tls::parse_pem(pem) {
                    match item {
                        Ok(PemItem::Certificate(c)) => certs.push(c),
                        Ok(_) => {}
                        Err(e) => {
                            return Err(Error::config(
                                "ca_file",
                                format!("cannot read the CA PEM: {e}"),
                            ));
                        }
                    }
                }
                if certs.len() == bundled {
                    return Err(Error::config(
                        "ca_file",
                        "the CA PEM holds no certificate (expected -----BEGIN CERTIFICATE-----)",
                    ));
                }
                RootCerts::new_with_certs(&certs)
            }
        };
        let tls = TlsConfig::builder().root_certs(roots).build();
        let config = Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(s.timeout))
            .timeout_connect(Some(s.connect_timeout))
            .user_agent(s.user_agent.as_str())
            .proxy(proxy)
            .tls_config(tls)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .build();
        let settings_debug = format!(
            "endpoint: {endpoint:?}, connect_timeout: {:?}, timeout: {:?}, proxy: {:?}, tls: {}, user_agent: {:?}",
            s.connect_timeout,
            s.timeout,
            s.proxy,
            match s.tls {
                TlsSetting::Bundled => "bundled roots",
                TlsSetting::BundledPlus(_) => "bundled roots + extra CA",
                TlsSetting::Platform => "platform verifier",
            },
            s.user_agent
        );
        Ok(Self {
            agent: config.into(),
            endpoint,
            path,
            settings_debug,
        })
    }

    /// The endpoint's path, for logs.
    pub(crate) fn path(&self) -> &str {
        &self.path
    }

    /// The endpoint URL (holds no secret).
    pub(crate) fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Like [`Transport::post_form_into`], but the request runs on a helper
    /// thread while this one polls `interrupt` every 100 ms: a slow or
    /// silent server cannot hold an interrupt (Ctrl-C) back until the
    /// deadline. On interrupt the request is abandoned (its thread finishes
    /// alone and its answer is dropped) and `Ok(None)` is returned. Once the
    /// answer is in, the helper thread is joined: none outlives a request
    /// that completed.
    pub(crate) fn post_form_interruptible(
        &self,
        body: &str,
        authorization: Option<&str>,
        buf: Vec<u8>,
        interrupt: &dyn Fn() -> bool,
    ) -> Result<Option<Answer>, Failure> {
        let worker = Self {
            agent: self.agent.clone(),
            endpoint: self.endpoint.clone(),
            path: String::new(),
            settings_debug: String::new(),
        };
        let owned_body = body.to_owned();
        let owned_auth = authorization.map(str::to_owned);
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let spawned = std::thread::Builder::new()
            .name("velip-request".to_owned())
            .spawn(move || {
                let _ = tx.send(worker.post_form_into(&owned_body, owned_auth.as_deref(), buf));
            });
        let Ok(thread) = spawned else {
            // No thread to be had: run it here, uninterruptible.
            return self
                .post_form_into(body, authorization, Vec::new())
                .map(Some);
        };
        loop {
            match rx.recv_timeout(crate::retry::POLL_INTERVAL) {
                Ok(outcome) => {
                    let _ = thread.join();
                    return outcome.map(Some);
                }
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                    if interrupt() {
                        return Ok(None);
                    }
                }
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                    let _ = thread.join();
                    return Err(Failure {
                        kind: TransportKind::Other,
                        phase: Phase::Request,
                        message: "the request thread stopped without an answer".to_owned(),
                    });
                }
            }
        }
    }

    /// POSTs a form body; reads the whole answer into `buf` (cleared first;
    /// a walk hands back the buffer of a page it decoded).
    pub(crate) fn post_form_into(
        &self,
        body: &str,
        authorization: Option<&str>,
        mut buf: Vec<u8>,
    ) -> Result<Answer, Failure> {
        let mut req = self
            .agent
            .post(&self.endpoint)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("Accept", "application/json");
        if let Some(a) = authorization {
            req = req.header("Authorization", a);
        }
        let resp = req.send(body).map_err(|e| failure(&e, Phase::Request))?;
        let status = resp.status().as_u16();
        let received_at = SystemTime::now();
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let retry_after = header("retry-after");
        let content_type = header("content-type");
        let mut body = resp.into_body();
        // Room for the announced size at once instead of doubling growth
        // (a page is a few MiB).
        buf.clear();
        let announced = body.content_length().unwrap_or(0).min(MAX_BODY_BYTES);
        buf.reserve(usize::try_from(announced).unwrap_or(0));
        std::io::Read::read_to_end(
            &mut body.with_config().limit(MAX_BODY_BYTES).reader(),
            &mut buf,
        )
        .map_err(|e| failure(&ureq::Error::from(e), Phase::Body))?;
        let body = buf;
        Ok(Answer {
            status,
            retry_after,
            content_type,
            received_at,
            body,
        })
    }
}

/// `<base>/api/v2/GetCallStatus.php`, checked.
fn endpoint_url(base: &str) -> Result<String, Error> {
    let bad = |why: &str| {
        Error::config(
            "base_url",
            format!("invalid base URL {}: {why}", redact_url(base)),
        )
    };
    let mut u = url::Url::parse(base.trim()).map_err(|e| bad(&e.to_string()))?;
    if u.scheme() != "http" && u.scheme() != "https" {
        return Err(bad("must be http or https"));
    }
    if u.host_str().is_none() {
        return Err(bad("no host"));
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err(bad(
            "must not hold credentials (use the builder's credentials)",
        ));
    }
    if u.query().is_some() || u.fragment().is_some() {
        return Err(bad("must not have a query or fragment"));
    }
    // A base URL pasted with the endpoint path already on it is accepted.
    if let Some(base_path) = u.path().strip_suffix(ENDPOINT_PATH.trim_start_matches('/')) {
        let base_path = base_path.to_owned();
        u.set_path(&base_path);
    }
    if !u.path().ends_with('/') {
        let p = format!("{}/", u.path());
        u.set_path(&p);
    }
    u.join(ENDPOINT_PATH)
        .map(String::from)
        .map_err(|e| bad(&e.to_string()))
}

/// Maps a `ureq` error to a failure; `phase` is where it was raised (a
/// connect-level error is always [`Phase::Connect`]).
fn failure(e: &ureq::Error, phase: Phase) -> Failure {
    use ureq::Error as E;
    use ureq::Timeout as T;
    let (kind, phase) = match e {
        E::Timeout(T::Connect | T::Resolve) => (TransportKind::Timeout, Phase::Connect),
        E::Timeout(_) => (TransportKind::Timeout, phase),
        E::HostNotFound | E::ConnectionFailed | E::ConnectProxyFailed(_) => {
            (TransportKind::Connect, Phase::Connect)
        }
        E::Tls(_) | E::Rustls(_) | E::Pem(_) | E::TlsRequired => {
            (TransportKind::Tls, Phase::Connect)
        }
        E::Io(io) => match io.kind() {
            io::ErrorKind::ConnectionRefused
            | io::ErrorKind::AddrNotAvailable
            | io::ErrorKind::NetworkUnreachable
            | io::ErrorKind::HostUnreachable => (TransportKind::Connect, Phase::Connect),
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => (TransportKind::Timeout, phase),
            io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::UnexpectedEof => (TransportKind::Reset, phase),
            // rustls reports a failed handshake (such as a plain-HTTP server
            // behind an https URL: "received corrupt message") as InvalidData
            // wrapping its error; HTTP-level errors are `Protocol` instead.
            io::ErrorKind::InvalidData if phase == Phase::Request && io.get_ref().is_some() => {
                (TransportKind::Tls, phase)
            }
            _ => (TransportKind::Other, phase),
        },
        E::Protocol(_) => (TransportKind::Reset, phase),
        _ => (TransportKind::Other, phase),
    };
    let what = match phase {
        Phase::Connect => "while connecting",
        Phase::Request => "before the answer arrived",
        Phase::Body => "while the answer was arriving",
    };
    Failure {
        kind,
        phase,
        message: format!("{e} ({what})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_urls() {
        assert_eq!(
            endpoint_url("https://vox.velip.com.br").unwrap(),
            "https://vox.velip.com.br/api/v2/GetCallStatus.php"
        );
        assert_eq!(
            endpoint_url("http://127.0.0.1:8080/prefix").unwrap(),
            "http://127.0.0.1:8080/prefix/api/v2/GetCallStatus.php"
        );
        let e = endpoint_url("https://user:hunter22@host").unwrap_err();
        assert!(!e.to_string().contains("hunter22"), "{e}");
        assert!(endpoint_url("ftp://host").is_err());
        assert!(endpoint_url("https://host/?tsid=x").is_err());
        assert!(endpoint_url("not a url").is_err());
    }

    #[test]
    fn proxy_debug_hides_password() {
        let p = ProxySetting::Url("http://me:hunter22@proxy:3128".into());
        assert!(!format!("{p:?}").contains("hunter22"));
    }
}
