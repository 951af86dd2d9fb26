//! [`ClientBuilder`]: everything a [`Client`] is built from. Every option
//! rule (ranges, caps, conflicts) is checked here, once, in
//! [`ClientBuilder::build`]; the Python and C bindings hold a builder and
//! pass values through.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use velip_core::Secret;

use crate::credentials::Credentials;
use crate::ledger::{Ledger, Limits};
use crate::quota::{RateLimitPolicy, WaitCallback};
use crate::retry::{InterruptCheck, RetryPolicy};
use crate::sender::QuotaSettings;
use crate::transport::{ProxySetting, TlsSetting, Transport, TransportSettings};
use crate::{Client, Error};

/// The default base URL.
pub const DEFAULT_BASE_URL: &str = "https://vox.velip.com.br";
/// The default connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The default per-request deadline (connect, send, headers and body).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// The longest timeout, connect timeout or `Retry-After` wait accepted.
pub const MAX_DURATION: Duration = Duration::from_secs(86_400);
/// The most retries accepted (each may wait up to the maximum wait).
pub const MAX_RETRIES: u32 = 100;
/// The longest `User-Agent` suffix accepted.
const MAX_USER_AGENT_SUFFIX: usize = 256;

/// The environment variables [`ClientBuilder::from_env`] reads.
pub mod env {
    /// The account token (`Authorization: Bearer`).
    pub const TOKEN: &str = "VELIP_TOKEN";
    /// The HTTP Basic user.
    pub const USER: &str = "VELIP_USER";
    /// The HTTP Basic password.
    pub const PASSWORD: &str = "VELIP_PASSWORD";
    /// The base URL (default `https://vox.velip.com.br`).
    pub const BASE_URL: &str = "VELIP_BASE_URL";
}

/// Where the credentials came from, to tell which may be overridden.
#[derive(Clone, Default)]
struct CredentialSlots {
    token: Option<Secret>,
    basic: Option<(String, Secret)>,
    /// From the environment: replaced by any explicit setter.
    env_token: Option<Secret>,
    env_basic: Option<(String, Option<Secret>)>,
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
///
/// let err = Client::builder().token("t0k3n-t0k3n").timeout(Duration::ZERO).build().unwrap_err();
/// assert_eq!(err.to_string(), "invalid client configuration: timeout: must be more than 0 and at most 86400 s, got 0 ms");
/// # Ok::<(), velip_blocking::Error>(())
/// ```
#[must_use]
#[derive(Clone)]
pub struct ClientBuilder {
    pub(crate) base_url: String,
    env_base_url: Option<String>,
    base_url_set: bool,
    credentials: CredentialSlots,
    pub(crate) token_in_body: bool,
    pub(crate) connect_timeout: Duration,
    pub(crate) timeout: Duration,
    max_retries: Option<u32>,
    max_retry_wait: Option<Duration>,
    pub(crate) retry: RetryPolicy,
    pub(crate) proxy: ProxySetting,
    pub(crate) ca_file: Option<PathBuf>,
    pub(crate) ca_pem: Option<Vec<u8>>,
    pub(crate) platform_roots: bool,
    pub(crate) user_agent_suffix: Option<String>,
    pub(crate) interrupt: Option<InterruptCheck>,
    pub(crate) strict: bool,
    ledger: Option<Ledger>,
    state_dir: Option<PathBuf>,
    limits: Limits,
    /// As given to [`ClientBuilder::list_quota`], checked by `build`.
    list_quota: Option<(u32, Duration)>,
    /// As given to [`ClientBuilder::daily_lookup_cap`], checked by `build`.
    daily_lookup_cap: Option<u32>,
    policy: RateLimitPolicy,
    on_wait: Option<WaitCallback>,
    max_requests: Option<u64>,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_owned(),
            env_base_url: None,
            base_url_set: false,
            credentials: CredentialSlots::default(),
            token_in_body: false,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            max_retries: None,
            max_retry_wait: None,
            retry: RetryPolicy::default(),
            proxy: ProxySetting::FromEnv,
            ca_file: None,
            ca_pem: None,
            platform_roots: false,
            user_agent_suffix: None,
            interrupt: None,
            strict: false,
            ledger: None,
            state_dir: None,
            limits: Limits::default(),
            list_quota: None,
            daily_lookup_cap: None,
            policy: RateLimitPolicy::Fail,
            on_wait: None,
            max_requests: None,
        }
    }
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.credentials;
        let mode = match (&c.token, &c.basic, &c.env_token, &c.env_basic) {
            (Some(_), Some(_), _, _) => "token and basic (conflict)",
            (Some(_), None, _, _) => "token",
            (None, Some(_), _, _) => "basic",
            (None, None, Some(_), _) => "token (VELIP_TOKEN)",
            (None, None, None, Some(_)) => "basic (VELIP_USER)",
            (None, None, None, None) => "none",
        };
        f.debug_struct("ClientBuilder")
            .field(
                "base_url",
                &velip_core::scrub::redact_url(&self.effective_base_url()),
            )
            .field("credentials", &mode)
            .field("token_in_body", &self.token_in_body)
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .field("proxy", &self.proxy)
            .field("ca_file", &self.ca_file)
            .field("platform_roots", &self.platform_roots)
            .field("user_agent_suffix", &self.user_agent_suffix)
            .field("strict", &self.strict)
            .field("state_dir", &self.state_dir)
            .field("limits", &self.limits)
            .field("on_rate_limit", &self.policy)
            .field("max_requests", &self.max_requests)
            .finish_non_exhaustive()
    }
}

fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl ClientBuilder {
    /// A builder with the defaults, then the environment: `VELIP_TOKEN`,
    /// or `VELIP_USER` and `VELIP_PASSWORD` (HTTP Basic), and
    /// `VELIP_BASE_URL`. Empty variables count as unset. Any explicit
    /// setter ([`token`](Self::token), [`basic_auth`](Self::basic_auth),
    /// [`base_url`](Self::base_url)) wins over the environment;
    /// [`build`](Self::build) refuses `VELIP_TOKEN` together with
    /// `VELIP_USER` (say which to use), and `VELIP_USER` without
    /// `VELIP_PASSWORD`.
    ///
    /// ```no_run
    /// // VELIP_TOKEN=... in the environment
    /// let client = velip_blocking::ClientBuilder::from_env().build()?;
    /// # Ok::<(), velip_blocking::Error>(())
    /// ```
    pub fn from_env() -> Self {
        let mut b = Self::default();
        b.credentials.env_token = env_var(env::TOKEN).map(Secret::new);
        b.credentials.env_basic =
            env_var(env::USER).map(|u| (u, env_var(env::PASSWORD).map(Secret::new)));
        b.env_base_url = env_var(env::BASE_URL);
        b
    }

    /// The service's base URL (default `https://vox.velip.com.br`, or
    /// `VELIP_BASE_URL` with [`from_env`](Self::from_env)); the endpoint is
    /// `<base>/api/v2/GetCallStatus.php`. Must be `http` or `https`,
    /// without credentials, query or fragment.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self.base_url_set = true;
        self
    }

    fn effective_base_url(&self) -> String {
        match (&self.env_base_url, self.base_url_set) {
            (Some(u), false) => u.clone(),
            _ => self.base_url.clone(),
        }
    }

    /// An API token, sent as `Authorization: Bearer` (or as the `tsid` body
    /// field, see [`token_in_body`](Self::token_in_body)). Surrounding
    /// whitespace is trimmed; inner whitespace is refused by
    /// [`build`](Self::build). A builder holds a token or Basic
    /// credentials: setting both is refused by `build`.
    pub fn token(mut self, token: impl Into<Secret>) -> Self {
        self.credentials.token = Some(token.into());
        self
    }

    /// Send the token as the `tsid` form field instead of the
    /// `Authorization` header (never in the URL). Default: header.
    pub fn token_in_body(mut self, yes: bool) -> Self {
        self.token_in_body = yes;
        self
    }

    /// HTTP Basic credentials (answers then always carry full numbers).
    /// Setting both a token and Basic credentials is refused by
    /// [`build`](Self::build).
    pub fn basic_auth(mut self, user: impl Into<String>, password: impl Into<Secret>) -> Self {
        self.credentials.basic = Some((user.into(), password.into()));
        self
    }

    /// Any [`Credentials`], replacing those set before.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials.token = None;
        self.credentials.basic = None;
        match credentials {
            Credentials::Token { token, in_body } => {
                self.token_in_body |= in_body;
                self.credentials.token = Some(token);
            }
            Credentials::Basic { user, password } => {
                self.credentials.basic = Some((user, password));
            }
            Credentials::None => {}
        }
        self
    }

    /// Connect timeout (TCP, proxy and TLS setup), default 10 s; more than
    /// 0 and at most 24 h.
    pub fn connect_timeout(mut self, d: Duration) -> Self {
        self.connect_timeout = d;
        self
    }

    /// Deadline of each request attempt, from connecting to the last byte of
    /// the body, default 60 s; more than 0 and at most 24 h. A server that
    /// never answers or trickles its answer cannot hang the caller longer
    /// than this (per attempt; see [`RetryPolicy`] for which timeouts are
    /// retried).
    pub fn timeout(mut self, d: Duration) -> Self {
        self.timeout = d;
        self
    }

    /// Retries after the first attempt (so `max_retries(2)`, the default,
    /// means 3 attempts in all); at most 100.
    pub fn max_retries(mut self, n: u32) -> Self {
        self.max_retries = Some(n);
        self
    }

    /// The longest `Retry-After` waited for on a 429 (default 60 s, at
    /// most 24 h; 0 never waits); longer ones return
    /// [`Error::RateLimited`] at once.
    pub fn max_retry_wait(mut self, d: Duration) -> Self {
        self.max_retry_wait = Some(d);
        self
    }

    /// The whole retry policy ([`max_retries`](Self::max_retries) and
    /// [`max_retry_wait`](Self::max_retry_wait), when also given, win).
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
    /// binding's name and version: `python/3.12`. At most 256 characters,
    /// no control characters.
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

    /// Strict decoding: a record field that does not fit its type fails the
    /// whole page with [`Error::Decode`] (as before 0.2), instead of leaving
    /// the field empty and noting a [`Problem`](velip_core::Problem) on the
    /// record. Default: lenient.
    pub fn strict(mut self, yes: bool) -> Self {
        self.strict = yes;
        self
    }

    /// What to do when the ledger knows a request would be refused (the
    /// list quota used up, a `Retry-After` not passed): fail at once (the
    /// default) or wait, within a maximum (at most 24 h). See
    /// [`RateLimitPolicy`].
    pub fn on_rate_limit(mut self, policy: RateLimitPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Called when a quota wait starts and about once a second while it
    /// lasts (without one, the start is logged at `info` on target
    /// `velip`).
    pub fn on_wait(mut self, f: WaitCallback) -> Self {
        self.on_wait = Some(f);
        self
    }

    /// A request budget: after this many requests (every attempt that may
    /// reach the service, retries included) the client sends nothing more
    /// and returns [`Error::NotSent`] of kind
    /// [`ErrorKind::Budget`](crate::ErrorKind::Budget). At least 1.
    pub fn max_requests(mut self, n: u64) -> Self {
        self.max_requests = Some(n);
        self
    }

    /// The list quota the ledger enforces: `requests` per sliding `window`
    /// (default 200 per hour, the service's; for accounts with other
    /// limits). At least 1 request, a window of 1 s to 24 h.
    pub fn list_quota(mut self, requests: u32, window: Duration) -> Self {
        self.list_quota = Some((requests, window));
        self
    }

    /// The daily cap of point lookups, when known (default: learned from
    /// the service's first daily `429`). At least 1.
    pub fn daily_lookup_cap(mut self, cap: u32) -> Self {
        self.daily_lookup_cap = Some(cap);
        self
    }

    /// Keep the ledger in this folder instead of the default state folder
    /// (`VELIP_STATE_DIR`, `$XDG_STATE_HOME/velip`,
    /// `~/.local/state/velip`).
    pub fn state_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.state_dir = Some(dir.into());
        self
    }

    /// Use this ledger (e.g. [`Ledger::in_memory`] in tests, or
    /// [`Ledger::disabled`]); wins over [`state_dir`](Self::state_dir).
    pub fn ledger(mut self, ledger: Ledger) -> Self {
        self.ledger = Some(ledger);
        self
    }

    /// The credentials the builder resolves to (explicit ones over the
    /// environment), checked.
    fn resolve_credentials(&self) -> Result<Credentials, Error> {
        let c = &self.credentials;
        let chosen = match (&c.token, &c.basic) {
            (Some(_), Some(_)) => {
                return Err(Error::config(
                    "credentials",
                    "both a token and HTTP Basic credentials are set; give one of them",
                ));
            }
            (Some(t), None) => Credentials::token(t.clone()),
            (None, Some((u, p))) => Credentials::basic(u.clone(), p.clone()),
            (None, None) => match (&c.env_token, &c.env_basic) {
                (Some(_), Some(_)) => {
                    return Err(Error::config(
                        "credentials",
                        format!(
                            "both {} and {} are set; unset one of them, or give the credentials explicitly",
                            env::TOKEN,
                            env::USER
                        ),
                    ));
                }
                (Some(t), None) => Credentials::token(t.clone()),
                (None, Some((_, None))) => {
                    return Err(Error::config(
                        "credentials",
                        format!("{} is set without {}", env::USER, env::PASSWORD),
                    ));
                }
                (None, Some((u, Some(p)))) => Credentials::basic(u.clone(), p.clone()),
                (None, None) => {
                    // An unauthenticated request can only fail, and
                    // failures count toward the service's permanent IP ban.
                    return Err(Error::config(
                        "credentials",
                        format!(
                            "no credentials: set a token or HTTP Basic credentials (or {} / {} and {})",
                            env::TOKEN,
                            env::USER,
                            env::PASSWORD
                        ),
                    ));
                }
            },
        };
        match chosen {
            Credentials::Token { token, .. } => Credentials::Token {
                token,
                in_body: self.token_in_body,
            },
            other => other,
        }
        .normalized()
    }

    /// Checks the configuration and builds the client (and its connection
    /// pool).
    ///
    /// # Errors
    /// [`Error::Config`] naming the option: a timeout or connect timeout
    /// of 0 or above 24 h, more than 100 retries, a maximum wait above
    /// 24 h, a bad base URL, proxy URL, user-agent suffix, CA file or root
    /// store combination, missing, conflicting or malformed credentials
    /// (the message never quotes a secret).
    pub fn build(self) -> Result<Client, Error> {
        check_duration("timeout", self.timeout, false)?;
        check_duration("connect_timeout", self.connect_timeout, false)?;
        let mut retry = self.retry.clone();
        if let Some(n) = self.max_retries {
            if n > MAX_RETRIES {
                return Err(Error::config(
                    "max_retries",
                    format!("must be at most {MAX_RETRIES}, got {n}"),
                ));
            }
            retry = retry.with_max_attempts(n + 1);
        }
        if retry.max_attempts() > MAX_RETRIES + 1 {
            return Err(Error::config(
                "retry_policy",
                format!(
                    "at most {} attempts, got {}",
                    MAX_RETRIES + 1,
                    retry.max_attempts()
                ),
            ));
        }
        if let Some(w) = self.max_retry_wait {
            retry = retry.with_max_retry_wait(w);
        }
        check_duration("max_retry_wait", retry.max_retry_wait(), true)?;
        if let RateLimitPolicy::Wait { max_wait } = self.policy {
            check_duration("on_rate_limit", max_wait, true)?;
        }
        if self.max_requests == Some(0) {
            return Err(Error::config("max_requests", "must be at least 1"));
        }
        let mut limits = self.limits;
        if let Some((requests, window)) = self.list_quota {
            limits = limits
                .checked_list_quota(requests, window)
                .map_err(|rule| Error::config("list_quota", rule))?;
        }
        if let Some(cap) = self.daily_lookup_cap {
            limits = limits
                .checked_daily_lookups(cap)
                .map_err(|rule| Error::config("daily_lookup_cap", rule))?;
        }
        check_duration("retry_policy", retry.max_backoff(), true)?;

        let mut user_agent = format!("velip/{}", crate::VERSION);
        if let Some(s) = &self.user_agent_suffix {
            let s = s.trim();
            if s.chars().any(char::is_control) || s.chars().count() > MAX_USER_AGENT_SUFFIX {
                return Err(Error::config(
                    "user_agent_suffix",
                    format!(
                        "must be at most {MAX_USER_AGENT_SUFFIX} characters, without control characters"
                    ),
                ));
            }
            if !s.is_empty() {
                user_agent.push(' ');
                user_agent.push_str(s);
            }
        }
        let tls = match (self.platform_roots, &self.ca_file, &self.ca_pem) {
            (true, None, None) => TlsSetting::Platform,
            (true, _, _) => {
                return Err(Error::config(
                    "platform_roots",
                    "platform roots cannot be combined with an extra CA file; add the CA to the system store, or use the bundled roots with the CA file",
                ));
            }
            (false, None, None) => TlsSetting::Bundled,
            (false, file, pem) => {
                let mut all = Vec::new();
                if let Some(path) = file {
                    let bytes = std::fs::read(path).map_err(|e| {
                        Error::config(
                            "ca_file",
                            format!("cannot read CA file {}: {e}", path.display()),
                        )
                    })?;
                    all.extend_from_slice(&bytes);
                    all.push(b'\n');
                }
                if let Some(p) = pem {
                    all.extend_from_slice(p);
                }
                TlsSetting::BundledPlus(all)
            }
        };
        let settings = TransportSettings {
            base_url: self.effective_base_url(),
            connect_timeout: self.connect_timeout,
            timeout: self.timeout,
            proxy: self.proxy.clone(),
            tls,
            user_agent,
        };
        let transport = Transport::new(&settings)?;
        // Checked last, so that a bad option is reported even without them.
        let credentials = self.resolve_credentials()?;
        let ledger = match (&self.ledger, &self.state_dir) {
            (Some(l), _) => l.clone(),
            (None, Some(dir)) => Ledger::in_folder(dir.clone()),
            (None, None) => Ledger::shared(),
        };
        let quota = QuotaSettings {
            ledger,
            limits,
            policy: self.policy,
            on_wait: self.on_wait.clone(),
            max_requests: self.max_requests,
        };
        Ok(Client::from_parts(
            transport,
            settings.user_agent,
            credentials,
            retry,
            self.interrupt,
            if self.strict {
                velip_core::DecodeOptions::STRICT
            } else {
                velip_core::DecodeOptions::LENIENT
            },
            quota,
        ))
    }
}

/// A duration option: at most 24 h, and more than 0 unless `zero_ok`.
fn check_duration(option: &'static str, d: Duration, zero_ok: bool) -> Result<(), Error> {
    if d > MAX_DURATION || (!zero_ok && d.is_zero()) {
        let range = if zero_ok {
            "at most 86400 s"
        } else {
            "more than 0 and at most 86400 s"
        };
        return Err(Error::config(
            option,
            format!("must be {range}, got {} ms", d.as_millis()),
        ));
    }
    Ok(())
}
