//! [`ClientBuilder`] and [`Credentials`]: everything a [`Client`] is built
//! from, checked once in [`ClientBuilder::build`].

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use velip_core::Secret;

use crate::retry::{InterruptCheck, RetryPolicy};
use crate::transport::{ProxySetting, TlsSetting, TransportSettings};
use crate::{Client, Error};

/// The default base URL.
pub const DEFAULT_BASE_URL: &str = "https://vox.velip.com.br";
/// The default connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The default per-request deadline (connect, send, headers and body).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// The account credentials a client sends. `Debug` never shows the token or
/// the password.
///
/// ```
/// use velip_blocking::Credentials;
/// let c = Credentials::token("SBXFULL000sandbox0full0numbers");
/// assert_eq!(format!("{c:?}"), "Token { token: Secret(***), in_body: false }");
/// ```
#[derive(Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Credentials {
    /// No credentials (every request will fail authentication).
    #[default]
    None,
    /// An API token: sent as `Authorization: Bearer <token>`, or as the
    /// `tsid` form field when `in_body` is true. Never in a URL.
    Token {
        /// The token.
        token: Secret,
        /// Send it as the `tsid` body field instead of the header.
        in_body: bool,
    },
    /// HTTP Basic (`Authorization: Basic ...`); answers always carry full
    /// numbers.
    Basic {
        /// User name.
        user: String,
        /// Password.
        password: Secret,
    },
}

impl Credentials {
    /// A token sent as `Authorization: Bearer`.
    pub fn token(token: impl Into<Secret>) -> Self {
        Self::Token {
            token: token.into(),
            in_body: false,
        }
    }

    /// HTTP Basic credentials.
    pub fn basic(user: impl Into<String>, password: impl Into<Secret>) -> Self {
        Self::Basic {
            user: user.into(),
            password: password.into(),
        }
    }

    /// `bearer`, `tsid`, `basic` or `none`.
    pub fn mode(&self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Token { in_body: false, .. } => "bearer",
            Self::Token { in_body: true, .. } => "tsid",
            Self::Basic { .. } => "basic",
        }
    }

    /// Checks and normalizes the credentials.
    ///
    /// Tokens: surrounding whitespace (a copy-paste accident) is **trimmed**;
    /// an empty token, or one with whitespace, control or non-ASCII
    /// characters inside, is **rejected** with [`Error::Config`] (the message
    /// never quotes the token). Basic: the user must be non-empty, without `:` or control
    /// characters; the password without control characters.
    pub(crate) fn normalized(self) -> Result<Self, Error> {
        match self {
            Self::None => Ok(Self::None),
            Self::Token { token, in_body } => {
                let raw = token.expose();
                let trimmed = raw.trim();
                if trimmed.is_empty() {
                    return Err(Error::Config("the token is empty".to_owned()));
                }
                if trimmed.chars().any(|c| c.is_whitespace() || c.is_control()) {
                    return Err(Error::Config(
                        "the token contains whitespace or control characters inside it (not shown); \
                         surrounding whitespace is trimmed, inner whitespace is refused"
                            .to_owned(),
                    ));
                }
                // It travels in an HTTP header: visible ASCII only.
                if !trimmed.bytes().all(|b| b.is_ascii_graphic()) {
                    return Err(Error::Config(
                        "the token contains non-ASCII characters (not shown); Velip tokens are ASCII"
                            .to_owned(),
                    ));
                }
                if trimmed.len() != raw.len() {
                    log::debug!(target: "velip", "token had surrounding whitespace; trimmed");
                }
                Ok(Self::Token {
                    token: Secret::new(trimmed),
                    in_body,
                })
            }
            Self::Basic { user, password } => {
                if user.is_empty() || user.contains(':') || user.chars().any(char::is_control) {
                    return Err(Error::Config(
                        "the Basic user must be non-empty, without ':' or control characters"
                            .to_owned(),
                    ));
                }
                if password.expose().chars().any(char::is_control) {
                    return Err(Error::Config(
                        "the Basic password contains control characters (not shown)".to_owned(),
                    ));
                }
                Ok(Self::Basic { user, password })
            }
        }
    }

    /// The `Authorization` header value, if any.
    pub(crate) fn authorization(&self) -> Option<String> {
        match self {
            Self::Token {
                token,
                in_body: false,
            } => Some(format!("Bearer {}", token.expose())),
            Self::Basic { user, password } => {
                let raw = format!("{user}:{}", password.expose());
                Some(format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(raw)
                ))
            }
            _ => None,
        }
    }

    /// The secrets to scrub from anything a server sends back.
    pub(crate) fn secrets(&self) -> Vec<Secret> {
        match self {
            Self::None => Vec::new(),
            Self::Token { token, .. } => vec![token.clone()],
            Self::Basic { password, .. } => vec![password.clone()],
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::None => f.write_str("None"),
            Self::Token { token, in_body } => f
                .debug_struct("Token")
                .field("token", token)
                .field("in_body", in_body)
                .finish(),
            Self::Basic { user, password } => f
                .debug_struct("Basic")
                .field("user", user)
                .field("password", password)
                .finish(),
        }
    }
}

/// Builds a [`Client`]. Every setter takes and returns the builder;
/// [`build`](Self::build) checks everything at once.
///
/// ```
/// use std::time::Duration;
/// use velip_blocking::Client;
/// let client = Client::builder()
///     .token("  SBXFULL000sandbox0full0numbers\n") // surrounding whitespace is trimmed
///     .timeout(Duration::from_secs(30))
///     .user_agent_suffix("python/3.12")
///     .build()?;
/// assert_eq!(client.user_agent(), "velip/0.1.0 python/3.12");
/// assert!(!format!("{client:?}").contains("SBXFULL"));
/// # Ok::<(), velip_blocking::Error>(())
/// ```
#[must_use]
#[derive(Clone)]
pub struct ClientBuilder {
    pub(crate) base_url: String,
    pub(crate) credentials: Credentials,
    pub(crate) token_in_body: bool,
    pub(crate) connect_timeout: Duration,
    pub(crate) timeout: Duration,
    pub(crate) retry: RetryPolicy,
    pub(crate) proxy: ProxySetting,
    pub(crate) ca_file: Option<PathBuf>,
    pub(crate) ca_pem: Option<Vec<u8>>,
    pub(crate) platform_roots: bool,
    pub(crate) user_agent_suffix: Option<String>,
    pub(crate) interrupt: Option<InterruptCheck>,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_owned(),
            credentials: Credentials::None,
            token_in_body: false,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            retry: RetryPolicy::default(),
            proxy: ProxySetting::FromEnv,
            ca_file: None,
            ca_pem: None,
            platform_roots: false,
            user_agent_suffix: None,
            interrupt: None,
        }
    }
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.base_url)
            .field("credentials", &self.credentials)
            .field("token_in_body", &self.token_in_body)
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .field("proxy", &self.proxy)
            .field("ca_file", &self.ca_file)
            .field("platform_roots", &self.platform_roots)
            .field("user_agent_suffix", &self.user_agent_suffix)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// The service's base URL (default `https://vox.velip.com.br`); the
    /// endpoint is `<base>/api/v2/GetCallStatus.php`. Must be `http` or
    /// `https`, without credentials, query or fragment.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// An API token, sent as `Authorization: Bearer` (or as the `tsid` body
    /// field, see [`token_in_body`](Self::token_in_body)). Surrounding
    /// whitespace is trimmed; inner whitespace is refused by
    /// [`build`](Self::build). Replaces Basic credentials.
    pub fn token(mut self, token: impl Into<Secret>) -> Self {
        self.credentials = Credentials::token(token);
        self
    }

    /// Send the token as the `tsid` form field instead of the
    /// `Authorization` header (never in the URL). Default: header.
    pub fn token_in_body(mut self, yes: bool) -> Self {
        self.token_in_body = yes;
        self
    }

    /// HTTP Basic credentials. Replaces a token.
    pub fn basic_auth(mut self, user: impl Into<String>, password: impl Into<Secret>) -> Self {
        self.credentials = Credentials::basic(user, password);
        self
    }

    /// Any [`Credentials`].
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        if let Credentials::Token { in_body: true, .. } = credentials {
            self.token_in_body = true;
        }
        self.credentials = credentials;
        self
    }

    /// Connect timeout (TCP, proxy and TLS setup), default 10 s.
    pub fn connect_timeout(mut self, d: Duration) -> Self {
        self.connect_timeout = d;
        self
    }

    /// Deadline of each request attempt, from connecting to the last byte of
    /// the body, default 60 s: a server that never answers or trickles its
    /// answer cannot hang the caller longer than this (per attempt; see
    /// [`RetryPolicy`] for which timeouts are retried).
    pub fn timeout(mut self, d: Duration) -> Self {
        self.timeout = d;
        self
    }

    /// Retries after the first attempt (so `max_retries(2)`, the default,
    /// means 3 attempts in all). Shorthand for
    /// [`RetryPolicy::with_max_attempts`]`(n + 1)`.
    pub fn max_retries(mut self, n: u32) -> Self {
        self.retry = self.retry.with_max_attempts(n.saturating_add(1));
        self
    }

    /// The longest `Retry-After` waited for on a 429 (default 60 s); longer
    /// ones return [`Error::RateLimited`] at once.
    pub fn max_retry_wait(mut self, d: Duration) -> Self {
        self.retry = self.retry.with_max_retry_wait(d);
        self
    }

    /// The whole retry policy.
    pub fn retry_policy(mut self, p: RetryPolicy) -> Self {
        self.retry = p;
        self
    }

    /// Use this proxy for every request (`http://host:port`,
    /// `https://...`, `socks5://...`; credentials in the URL are allowed and
    /// never shown). Without it, the `ALL_PROXY`, `HTTPS_PROXY` and
    /// `HTTP_PROXY` variables (and their lower-case forms) are read, with
    /// `NO_PROXY` honoured.
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        self.proxy = ProxySetting::Url(url.into());
        self
    }

    /// Connect directly, ignoring the proxy environment variables.
    pub fn no_proxy(mut self) -> Self {
        self.proxy = ProxySetting::None;
        self
    }

    /// Trust the CA certificates of this PEM file **in addition to** the
    /// bundled (Mozilla) roots, e.g. a corporate TLS-inspecting proxy's CA.
    /// Read by [`build`](Self::build).
    pub fn ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_file = Some(path.into());
        self
    }

    /// Like [`ca_file`](Self::ca_file), with the PEM text itself.
    pub fn ca_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.ca_pem = Some(pem.into());
        self
    }

    /// Verify servers with the operating system's certificate store and
    /// verifier instead of the bundled roots. Cannot be combined with
    /// [`ca_file`](Self::ca_file) (add the CA to the system store instead).
    pub fn platform_roots(mut self, yes: bool) -> Self {
        self.platform_roots = yes;
        self
    }

    /// Appended to the `User-Agent` (`velip/0.1.0 <suffix>`), e.g. the
    /// binding's name and version: `python/3.12`.
    pub fn user_agent_suffix(mut self, s: impl Into<String>) -> Self {
        self.user_agent_suffix = Some(s.into());
        self
    }

    /// A hook polled at least every 100 ms while waiting between attempts,
    /// and before each request (so between pages); when it returns `true`
    /// the call stops with [`Error::Interrupted`].
    pub fn interrupt_check(mut self, f: Arc<dyn Fn() -> bool + Send + Sync>) -> Self {
        self.interrupt = Some(f);
        self
    }

    /// Checks the configuration and builds the client (and its connection
    /// pool).
    ///
    /// # Errors
    /// [`Error::Config`] for a bad base URL, proxy URL, user-agent suffix,
    /// CA file, root-store combination or credentials (the message never
    /// quotes a secret).
    pub fn build(self) -> Result<Client, Error> {
        let credentials = match self.credentials {
            Credentials::Token { token, .. } => Credentials::Token {
                token,
                in_body: self.token_in_body,
            },
            other => other,
        }
        .normalized()?;
        let mut user_agent = format!("velip/{}", crate::VERSION);
        if let Some(s) = &self.user_agent_suffix {
            let s = s.trim();
            if s.chars().any(char::is_control) {
                return Err(Error::Config(
                    "the user-agent suffix must not contain control characters".to_owned(),
                ));
            }
            if !s.is_empty() {
                user_agent.push(' ');
                user_agent.push_str(s);
            }
        }
        let tls = match (self.platform_roots, self.ca_file, self.ca_pem) {
            (true, None, None) => TlsSetting::Platform,
            (true, _, _) => {
                return Err(Error::Config(
                    "platform roots cannot be combined with an extra CA file; add the CA to the system store, or use the bundled roots with the CA file".to_owned(),
                ));
            }
            (false, None, None) => TlsSetting::Bundled,
            (false, file, pem) => {
                let mut all = Vec::new();
                if let Some(path) = file {
                    let bytes = std::fs::read(&path).map_err(|e| {
                        Error::Config(format!("cannot read CA file {}: {e}", path.display()))
                    })?;
                    all.extend_from_slice(&bytes);
                    all.push(b'\n');
                }
                if let Some(p) = pem {
                    all.extend_from_slice(&p);
                }
                TlsSetting::BundledPlus(all)
            }
        };
        let settings = TransportSettings {
            base_url: self.base_url,
            connect_timeout: self.connect_timeout,
            timeout: self.timeout,
            proxy: self.proxy,
            tls,
            user_agent,
        };
        let client = Client::from_parts(settings, credentials, self.retry, self.interrupt)?;
        if client.has_no_credentials() {
            // An unauthenticated request can only fail, and failures count
            // toward the service's permanent IP ban.
            return Err(Error::Config(
                "no credentials: set a token or HTTP Basic credentials".to_owned(),
            ));
        }
        Ok(client)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_hygiene() {
        let t = Credentials::token(" abc123456789\r\n")
            .normalized()
            .unwrap();
        assert_eq!(t.authorization().unwrap(), "Bearer abc123456789");
        let e = Credentials::token("abc 123456789SECRET")
            .normalized()
            .unwrap_err();
        assert!(!e.to_string().contains("SECRET"));
        assert!(!format!("{e:?}").contains("SECRET"));
        assert!(matches!(
            Credentials::token("  \n").normalized(),
            Err(Error::Config(_))
        ));
        assert!(matches!(
            Credentials::token("abc\u{7}def").normalized(),
            Err(Error::Config(_))
        ));
    }

    #[test]
    fn basic_header() {
        let b = Credentials::basic("sandbox", "sandbox-password");
        assert_eq!(
            b.authorization().unwrap(),
            "Basic c2FuZGJveDpzYW5kYm94LXBhc3N3b3Jk"
        );
        assert!(!format!("{b:?}").contains("sandbox-password"));
        assert!(Credentials::basic("a:b", "x").normalized().is_err());
    }
}
