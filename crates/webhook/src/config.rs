//! [`ReceiverConfig`]: where the receiver listens, who may deliver, and its
//! limits. Checked once, by [`Receiver::new`](crate::Receiver::new).

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use axum::http::HeaderName;
use velip_core::Secret;

use crate::error::ConfigError;

/// Default webhook path, `/velip`.
pub const DEFAULT_PATH: &str = "/velip";
/// Default bind address, `127.0.0.1:8080` (put a reverse proxy in front to
/// take deliveries from the internet, or bind `0.0.0.0` with TLS).
pub const DEFAULT_BIND: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::LOCALHOST), 8080);
/// Default body limit: 16 MiB (a 5,000-call JSON page is about 2.5 MB).
pub const DEFAULT_BODY_LIMIT: usize = 16 * 1024 * 1024;
/// The challenge of a 401 when Basic credentials are required.
pub(crate) const WWW_AUTHENTICATE: &str = "Basic realm=\"velip\", charset=\"UTF-8\"";
/// Paths the receiver keeps for itself.
pub(crate) const HEALTH_PATH: &str = "/healthz";
pub(crate) const METRICS_PATH: &str = "/metrics";

/// HTTP Basic credentials a delivery must carry (`rurl_user` /
/// `rurl_password` on the sending side). The password never shows in
/// `Debug`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BasicAuth {
    pub(crate) user: String,
    pub(crate) password: Secret,
}

impl BasicAuth {
    /// The user name.
    pub fn user(&self) -> &str {
        &self.user
    }
}

/// A header every delivery must carry with exactly this value (what the
/// sender's `rurl_headers` line `Name: value` sends). The name is matched
/// case-insensitively, the value exactly, in constant time; the value never
/// shows in `Debug`, logs or the rejected log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequiredHeader {
    pub(crate) name: HeaderName,
    pub(crate) value: Secret,
}

impl RequiredHeader {
    /// Parses a `Name: value` line, as `rurl_headers` and the command line's
    /// `--require-header 'X-Velip-Key: ...'` write it: split at the first
    /// `:`, both sides trimmed.
    ///
    /// ```
    /// let h = velip_webhook::RequiredHeader::parse("X-Velip-Key: s3cr3t").unwrap();
    /// assert_eq!(h.name(), "x-velip-key");
    /// assert!(!format!("{h:?}").contains("s3cr3t"));
    /// assert!(velip_webhook::RequiredHeader::parse("no colon").is_err());
    /// ```
    ///
    /// # Errors
    /// [`ConfigError`] (field `require_header`) when there is no `:`, the
    /// name is not an HTTP token, or the value is empty or holds control
    /// characters. The message never quotes the value.
    pub fn parse(line: &str) -> Result<Self, ConfigError> {
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| ConfigError::new("require_header", "must be written `Name: value`"))?;
        Self::new(name.trim(), value.trim())
    }

    /// A header from its name and value.
    ///
    /// # Errors
    /// As [`parse`](Self::parse).
    pub fn new(name: &str, value: impl Into<Secret>) -> Result<Self, ConfigError> {
        let value = value.into();
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
            ConfigError::new(
                "require_header",
                format!("{name:?} is not a valid header name"),
            )
        })?;
        if value.is_empty() {
            return Err(ConfigError::new(
                "require_header",
                format!("the value of {name} is empty"),
            ));
        }
        if value.expose().bytes().any(|b| b.is_ascii_control()) {
            return Err(ConfigError::new(
                "require_header",
                format!("the value of {name} holds control characters"),
            ));
        }
        Ok(Self { name, value })
    }

    /// The header name, lower-case.
    pub fn name(&self) -> &str {
        self.name.as_str()
    }
}

/// PEM files of the certificate chain and private key for HTTPS (rustls,
/// TLS 1.2 and 1.3, `ring` crypto provider).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// Certificate chain, PEM, leaf first.
    pub cert: PathBuf,
    /// Private key, PEM (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

/// How a receiver runs. Build it with the chained setters:
///
/// ```
/// use velip_webhook::ReceiverConfig;
/// let config = ReceiverConfig::new()
///     .bind("127.0.0.1:0".parse().unwrap())
///     .path("/hooks/velip")
///     .basic_auth("hook", "s3cret")
///     .require_header("X-Velip-Key: k-123")?;
/// assert_eq!(config.get_path(), "/hooks/velip");
/// assert!(!format!("{config:?}").contains("s3cret"));
/// # Ok::<(), velip_webhook::ConfigError>(())
/// ```
#[derive(Debug, Clone)]
pub struct ReceiverConfig {
    pub(crate) bind: SocketAddr,
    pub(crate) path: String,
    pub(crate) basic_auth: Option<BasicAuth>,
    pub(crate) required_headers: Vec<RequiredHeader>,
    pub(crate) body_limit: usize,
    pub(crate) rejected_log: Option<PathBuf>,
    pub(crate) tls: Option<TlsFiles>,
    pub(crate) shutdown_grace: Duration,
    pub(crate) max_batch: usize,
    pub(crate) queue: usize,
    pub(crate) in_flight_bytes: usize,
    pub(crate) metrics: bool,
}

impl Default for ReceiverConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl ReceiverConfig {
    /// The defaults: bind `127.0.0.1:8080`, path `/velip`, no credentials,
    /// 16 MiB body limit, no rejected log, no TLS, 30 s shutdown grace,
    /// batches of at most 4,096 deliveries, 16,384 deliveries queued at
    /// most, 256 MiB of deliveries in flight at most, `/metrics` on.
    pub fn new() -> Self {
        Self {
            bind: DEFAULT_BIND,
            path: DEFAULT_PATH.to_owned(),
            basic_auth: None,
            required_headers: Vec::new(),
            body_limit: DEFAULT_BODY_LIMIT,
            rejected_log: None,
            tls: None,
            shutdown_grace: Duration::from_secs(30),
            max_batch: 4096,
            queue: 16_384,
            in_flight_bytes: 256 * 1024 * 1024,
            metrics: true,
        }
    }

    /// Address to listen on (used by [`Server`](crate::Server)); port 0
    /// picks a free one.
    #[must_use]
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.bind = addr;
        self
    }

    /// The path deliveries come to (default `/velip`): absolute, not
    /// `/healthz` or `/metrics`. Other paths answer 404.
    #[must_use]
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }

    /// Requires HTTP Basic credentials on every delivery (compared in
    /// constant time; a mismatch is a bare 401).
    #[must_use]
    pub fn basic_auth(mut self, user: impl Into<String>, password: impl Into<Secret>) -> Self {
        self.basic_auth = Some(BasicAuth {
            user: user.into(),
            password: password.into(),
        });
        self
    }

    /// Requires a header on every delivery, from a `Name: value` line (see
    /// [`RequiredHeader::parse`]). Repeatable: every header is required.
    ///
    /// # Errors
    /// As [`RequiredHeader::parse`].
    pub fn require_header(mut self, line: &str) -> Result<Self, ConfigError> {
        self.required_headers.push(RequiredHeader::parse(line)?);
        Ok(self)
    }

    /// Adds a parsed [`RequiredHeader`].
    #[must_use]
    pub fn required_header(mut self, header: RequiredHeader) -> Self {
        self.required_headers.push(header);
        self
    }

    /// Largest body (or GET query string) accepted, bytes (default 16 MiB);
    /// a larger one is answered 413.
    #[must_use]
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// File (JSON lines, appended) where deliveries that cannot be decoded
    /// are kept for inspection: time, method, path, headers without
    /// secrets, error, body as text (or base64 when not UTF-8). Default:
    /// none (the 400 is still logged).
    #[must_use]
    pub fn rejected_log(mut self, path: impl Into<PathBuf>) -> Self {
        self.rejected_log = Some(path.into());
        self
    }

    /// Serves HTTPS with this certificate and key (used by
    /// [`Server`](crate::Server)).
    #[must_use]
    pub fn tls(mut self, cert: impl Into<PathBuf>, key: impl Into<PathBuf>) -> Self {
        self.tls = Some(TlsFiles {
            cert: cert.into(),
            key: key.into(),
        });
        self
    }

    /// How long a stopping [`Server`](crate::Server) waits for open
    /// connections to finish (default 30 s). Deliveries still waiting after
    /// it get no 2xx, so the sender retries them; none that got a 2xx is
    /// lost.
    #[must_use]
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        self.shutdown_grace = grace;
        self
    }

    /// Most deliveries written (and synced) as one batch (default 4,096).
    #[must_use]
    pub fn max_batch(mut self, deliveries: usize) -> Self {
        self.max_batch = deliveries;
        self
    }

    /// Most decoded deliveries waiting for the sink (default 16,384); a
    /// delivery beyond it waits for room (backpressure on the senders).
    #[must_use]
    pub fn queue(mut self, deliveries: usize) -> Self {
        self.queue = deliveries;
        self
    }

    /// Most bytes of deliveries being read, decoded or stored at once
    /// (default 256 MiB, at least the body limit): memory stays bounded
    /// however many senders connect; a request beyond it waits.
    #[must_use]
    pub fn in_flight_bytes(mut self, bytes: usize) -> Self {
        self.in_flight_bytes = bytes;
        self
    }

    /// Serves `/metrics` (Prometheus/OpenMetrics text; default on).
    #[must_use]
    pub fn metrics(mut self, on: bool) -> Self {
        self.metrics = on;
        self
    }

    /// The bind address.
    pub fn get_bind(&self) -> SocketAddr {
        self.bind
    }
    /// The webhook path.
    pub fn get_path(&self) -> &str {
        &self.path
    }
    /// The Basic credentials, when required.
    pub fn get_basic_auth(&self) -> Option<&BasicAuth> {
        self.basic_auth.as_ref()
    }
    /// The required headers.
    pub fn get_required_headers(&self) -> &[RequiredHeader] {
        &self.required_headers
    }
    /// The body limit, bytes.
    pub fn get_body_limit(&self) -> usize {
        self.body_limit
    }
    /// The rejected log, when set.
    pub fn get_rejected_log(&self) -> Option<&Path> {
        self.rejected_log.as_deref()
    }
    /// The TLS files, when set.
    pub fn get_tls(&self) -> Option<&TlsFiles> {
        self.tls.as_ref()
    }

    /// Whether a request with these headers passes the configured checks
    /// (Basic credentials, required headers), compared in constant time:
    /// the one rule the receiver applies, for bindings and other HTTP
    /// stacks (Python's `velip.webhooks`).
    ///
    /// ```
    /// use axum::http::{HeaderMap, HeaderValue};
    /// let config = velip_webhook::ReceiverConfig::new().require_header("X-Velip-Key: k1")?;
    /// let mut headers = HeaderMap::new();
    /// assert!(!config.authorizes(&headers));
    /// headers.insert("x-velip-key", HeaderValue::from_static("k1"));
    /// assert!(config.authorizes(&headers));
    /// # Ok::<(), velip_webhook::ConfigError>(())
    /// ```
    pub fn authorizes(&self, headers: &axum::http::HeaderMap) -> bool {
        crate::auth::Authenticator::new(self).allows(headers)
    }

    /// [`authorizes`](Self::authorizes) over `(name, value)` pairs as
    /// another HTTP stack hands them over (a Python framework's header
    /// list, a WSGI environ converted back): names case-insensitive, a
    /// name repeated keeps every value. A pair that is no valid HTTP header
    /// (a control character in the value, a space in the name) is left
    /// out, so it can never satisfy a check.
    ///
    /// ```
    /// let config = velip_webhook::ReceiverConfig::new().require_header("X-Velip-Key: k1")?;
    /// assert!(config.authorizes_pairs([("X-Velip-Key".as_bytes(), "k1".as_bytes())]));
    /// assert!(!config.authorizes_pairs([("X-Velip-Key".as_bytes(), "k2".as_bytes())]));
    /// # Ok::<(), velip_webhook::ConfigError>(())
    /// ```
    pub fn authorizes_pairs<'a>(
        &self,
        headers: impl IntoIterator<Item = (&'a [u8], &'a [u8])>,
    ) -> bool {
        let mut map = axum::http::HeaderMap::new();
        for (name, value) in headers {
            if let (Ok(n), Ok(v)) = (
                HeaderName::from_bytes(name),
                axum::http::HeaderValue::from_bytes(value),
            ) {
                map.append(n, v);
            }
        }
        self.authorizes(&map)
    }

    /// The `WWW-Authenticate` header a 401 carries when Basic credentials
    /// are required (`Basic realm="velip", charset="UTF-8"`), `None`
    /// otherwise: what the receiver sends, for other HTTP stacks.
    pub fn www_authenticate(&self) -> Option<&'static str> {
        self.basic_auth.as_ref().map(|_| WWW_AUTHENTICATE)
    }

    /// Checks every rule, naming the field that breaks one.
    ///
    /// # Errors
    /// [`ConfigError`] naming the field (`path`, `basic_auth`,
    /// `body_limit`, `max_batch`, `queue`).
    pub fn validate(&self) -> Result<(), ConfigError> {
        let p = &self.path;
        if !p.starts_with('/') || p.contains(['?', '#']) || p.chars().any(char::is_whitespace) {
            return Err(ConfigError::new(
                "path",
                format!("{p:?} must be an absolute path like /velip (no query, no spaces)"),
            ));
        }
        if p == HEALTH_PATH || p == METRICS_PATH {
            return Err(ConfigError::new(
                "path",
                format!("{p} is the receiver's own endpoint"),
            ));
        }
        if let Some(b) = &self.basic_auth {
            if b.user.is_empty() || b.user.contains(':') {
                return Err(ConfigError::new(
                    "basic_auth",
                    "the user must be non-empty and without `:`",
                ));
            }
            if b.password.is_empty() {
                return Err(ConfigError::new("basic_auth", "the password is empty"));
            }
        }
        if self.body_limit == 0 {
            return Err(ConfigError::new("body_limit", "must be at least 1 byte"));
        }
        if self.max_batch == 0 {
            return Err(ConfigError::new("max_batch", "must be at least 1"));
        }
        if self.queue == 0 {
            return Err(ConfigError::new("queue", "must be at least 1"));
        }
        Ok(())
    }
}
