//! `velip-sandbox`: a faithful local HTTP simulator of the Velip
//! `GetCallStatus` service (API v2), for tests and demos.
//!
//! Nobody can reach the real service from a test, and testing against
//! production burns rate limits and risks a permanent IP ban. The sandbox is a
//! real HTTP server (axum on tokio) that behaves like the service as the
//! contract describes it: the three request encodings (form, JSON, query
//! string; the query string wins), the three authentication modes and the
//! brute-force protection (`102` x15 → `199`, `131`), selection and paging
//! rules, masking, rate limits with `Retry-After`, webhook delivery (`rurl`),
//! two wire styles, calls that arrive in progress and end later (live mode),
//! and a scriptable fault plan. It serves plain HTTP or HTTPS ([`tls`], with
//! a test CA), and [`proxy`] has a CONNECT proxy to test clients behind one.
//!
//! It is independent of the client crates on purpose, so it cannot share
//! their bugs.
//!
//! # Embedding from synchronous code
//!
//! [`Sandbox::start`] owns its tokio runtime on a background thread; the
//! handle is an ordinary value and dropping it stops the server.
//!
//! ```
//! use velip_sandbox::{Fault, FaultPlan, Sandbox, SandboxConfig};
//!
//! # fn main() -> std::io::Result<()> {
//! let sb = Sandbox::start(SandboxConfig { calls: 2_000, ..Default::default() })?;
//! assert!(sb.url().starts_with("http://127.0.0.1:"));
//! assert_eq!(sb.token().len(), 30); // full numbers
//! assert_eq!(sb.masked_token().len(), 30); // masked numbers
//! let endpoint = sb.endpoint(); // url() + "/api/v2/GetCallStatus.php"
//! # let _ = endpoint;
//!
//! // Test hooks.
//! let new_ids = sb.insert_calls(3); // new calls arrive at the head
//! assert!(new_ids[0] > 0);
//! sb.set_faults(FaultPlan::new().on_request(1, Fault::ServiceUnavailable));
//! assert!(sb.request_log().is_empty());
//! assert!(!sb.local_client_status().banned);
//! sb.reset(); // logs, counters, bans, quotas, fault numbering
//! # Ok(())
//! # }
//! ```
//!
//! # Test hooks
//!
//! - [`Sandbox::insert_calls`]: new calls at the head (higher ids), as in
//!   production while a client is paging.
//! - Live mode ([`LiveConfig`], [`Sandbox::set_live`]): calls keep arriving
//!   on the sandbox clock, in progress first, final later;
//!   [`Sandbox::insert_in_progress_calls`], [`Sandbox::finalize_calls`] and
//!   [`Sandbox::in_progress_call_ids`] drive them by hand.
//! - [`Sandbox::request_log`]: method, path, parameters (query and body
//!   separately, secrets masked), authentication mode, request kind, HTTP
//!   status and `status_code`, injected fault.
//! - [`Sandbox::deliveries`] / [`Sandbox::wait_for_deliveries`] /
//!   [`Sandbox::delivery_outcome`]: the webhook delivery log and the per-call
//!   outcome (`cd_returl`, also carried by the call's records;
//!   [`Sandbox::set_delivery_outcome`] changes it). [`WebhookReceiver`] is a
//!   recording receiver to point `rurl` at.
//! - [`Sandbox::set_faults`]: replace the fault plan at runtime (transport
//!   faults, and content faults such as a record that is bad on every
//!   request; see [`Fault`]).
//! - [`Sandbox::client_status`] / [`Sandbox::quota_status`]: failure
//!   counters, ban state and quota usage per client.
//! - [`Sandbox::advance_clock`]: move the sandbox clock forward, so windows
//!   (bans, quotas) expire without sleeping.
//! - [`Sandbox::reset`]: clears logs, counters, bans, quotas and the fault
//!   numbering (the data is kept).

mod config;
mod content_fault;
mod data;
mod fault_response;
mod faults;
mod live;
mod params;
mod pipeline;
pub mod proxy;
mod request_log;
mod rules;
mod runtime;
mod server;
mod state;
pub mod tls;
mod webhook;
mod wire;

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

pub use config::{
    BanConfig, BasicUser, DEFAULT_BASIC_PASSWORD, DEFAULT_BASIC_USER, DEFAULT_MASKED_TOKEN,
    DEFAULT_TOKEN, INACTIVE_TOKEN, IpPolicy, LimitsConfig, LiveConfig, MCP_ONLY_TOKEN,
    SandboxConfig, TokenConfig, TokenKind, WebhookConfig, WebhookMethod, WireStyle, default_tokens,
};
pub use data::LoadError;
pub use faults::{Fault, FaultPlan, FaultRule, ParseFaultError, RecordRef, RetryAfter, Trigger};
pub use request_log::LoggedRequest;
pub use rules::auth::{AuthMode, ClientStatus};
pub use rules::limits::QuotaStatus;
pub use rules::selection::RequestKind;
pub use server::ENDPOINT_PATH;
pub use webhook::{Delivery, ReceivedRequest, WebhookReceiver};

use runtime::ServerThread;
use state::{AppState, lock, read, write};

// Handles are shared across threads by embedders (pyo3 classes, C tests).
const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Sandbox>();
    assert_send_sync::<WebhookReceiver>();
    assert_send_sync::<proxy::ConnectProxy>();
    assert_send_sync::<tls::TestCa>();
};

/// A running sandbox. Dropping it stops the server.
pub struct Sandbox {
    state: Arc<AppState>,
    server: ServerThread,
    url: String,
    token: String,
    masked_token: String,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl Sandbox {
    /// Builds the data (generated or loaded), binds, and serves on a
    /// background thread. Load errors come back as [`io::ErrorKind::InvalidData`].
    pub fn start(config: SandboxConfig) -> io::Result<Self> {
        let store = data::build_store(&config)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        let pick = |full: bool| {
            config
                .tokens
                .iter()
                .find(|t| t.kind == TokenKind::Active && t.full_numbers == full)
                .map(|t| t.token.clone())
                .unwrap_or_default()
        };
        let (token, masked_token) = (pick(true), pick(false));
        let addr = SocketAddr::new(config.bind, config.port);
        let tls = config
            .tls
            .as_ref()
            .map(tls::TlsIdentity::server_config)
            .transpose()?;
        let state = Arc::new(AppState::new(config, store));
        let router = server::router(Arc::clone(&state));
        let (server, scheme) = match tls {
            Some(tls) => (ServerThread::spawn_tls(addr, router, tls)?, "https"),
            None => (ServerThread::spawn(addr, router)?, "http"),
        };
        let url = format!("{scheme}://{}", server.addr());
        Ok(Self {
            state,
            server,
            url,
            token,
            masked_token,
        })
    }

    /// Base URL, e.g. `http://127.0.0.1:40123` (no trailing slash);
    /// `https://127.0.0.1:40123` when started with
    /// [`SandboxConfig::tls`].
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The endpoint URL: [`url`](Self::url) + [`ENDPOINT_PATH`].
    pub fn endpoint(&self) -> String {
        format!("{}{ENDPOINT_PATH}", self.url)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// A 30-character token with the "full numbers" option.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// A 30-character token without the "full numbers" option (masked answers).
    pub fn masked_token(&self) -> &str {
        &self.masked_token
    }

    /// A copy of the current configuration.
    pub fn config(&self) -> SandboxConfig {
        read(&self.state.cfg).clone()
    }

    /// Number of calls held (live arrivals included).
    pub fn call_count(&self) -> usize {
        self.state.live_tick();
        read(&self.state.store).rows.len()
    }

    /// The newest (highest) call id, 0 when empty (live arrivals included).
    pub fn newest_call_id(&self) -> u64 {
        self.state.live_tick();
        read(&self.state.store).max_id()
    }

    /// Inserts `n` new calls at the head (higher ids, latest day), as calls
    /// arrive in production while a client is paging. They are final at
    /// once; see [`insert_in_progress_calls`](Self::insert_in_progress_calls)
    /// for calls still running. Returns their ids, ascending.
    pub fn insert_calls(&self, n: usize) -> Vec<u64> {
        self.state.live_tick();
        let settings = self.state.insert_settings();
        let mut store = write(&self.state.store);
        self.state.insert_rows(&mut store, n, false, settings)
    }

    /// Inserts `n` new calls *in progress* at the head: listed with an
    /// empty `cd_status` and without `time_start`, `time_end`, `dur`, DTMF
    /// answers, `cdr_url` and `cdr_sec` until they become final, after
    /// [`LiveConfig::finalize_after`] of sandbox time or at
    /// [`finalize_calls`](Self::finalize_calls). Returns their ids, ascending.
    pub fn insert_in_progress_calls(&self, n: usize) -> Vec<u64> {
        self.state.insert_in_progress(n)
    }

    /// Makes these calls final now (status, times, duration, recording);
    /// ids that are not in progress are ignored. Returns how many changed.
    pub fn finalize_calls(&self, ids: &[u64]) -> usize {
        self.state.finalize(ids)
    }

    /// Ids of the calls in progress now, ascending.
    pub fn in_progress_call_ids(&self) -> Vec<u64> {
        self.state.in_progress_ids()
    }

    /// Replaces the live-mode settings. Arrivals at the new rate count from
    /// now; calls already in progress keep their finalization time.
    pub fn set_live(&self, live: LiveConfig) {
        self.state.set_live(live);
    }

    /// Every request answered since start or the last [`reset`](Self::reset), oldest first.
    pub fn request_log(&self) -> Vec<LoggedRequest> {
        self.state.log.snapshot()
    }

    /// Clears only the request log.
    pub fn clear_request_log(&self) {
        self.state.log.clear();
    }

    /// Webhook deliveries finished so far (in completion order).
    pub fn deliveries(&self) -> Vec<Delivery> {
        lock(&self.state.deliveries).clone()
    }

    /// Waits until at least `n` deliveries finished and none is in flight (or
    /// `timeout` passed), then returns the delivery log.
    pub fn wait_for_deliveries(&self, n: usize, timeout: Duration) -> Vec<Delivery> {
        let deadline = Instant::now() + timeout;
        loop {
            let done = lock(&self.state.deliveries).len();
            let pending = self.state.pending_deliveries.load(Ordering::SeqCst);
            if (done >= n && pending == 0) || Instant::now() >= deadline {
                return self.deliveries();
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// The recorded webhook outcome of a call (`cd_returl`): positive =
    /// delivered (attempts it took), negative = all attempts failed.
    pub fn delivery_outcome(&self, cd_id: u64) -> Option<i32> {
        read(&self.state.returl).get(&cd_id).copied()
    }

    /// Sets (or, with `None`, removes) a call's webhook outcome, which its
    /// records carry as `cd_returl` from now on: the way the platform
    /// updates `cd_returl` after a call ended, without a delivery.
    pub fn set_delivery_outcome(&self, cd_id: u64, outcome: Option<i32>) {
        let mut returl = write(&self.state.returl);
        match outcome {
            Some(v) => returl.insert(cd_id, v),
            None => returl.remove(&cd_id),
        };
    }

    /// Replaces the fault plan; request numbering restarts at 1.
    pub fn set_faults(&self, plan: FaultPlan) {
        let mut f = lock(&self.state.faults);
        f.plan = plan;
        f.counter = 0;
    }

    /// Failure counters and ban state of a client IP.
    pub fn client_status(&self, ip: IpAddr) -> ClientStatus {
        let bans = read(&self.state.cfg).bans.clone();
        lock(&self.state.guard).status(ip, self.state.clock.now(), &bans)
    }

    /// [`client_status`](Self::client_status) of `127.0.0.1` (every local test client).
    pub fn local_client_status(&self) -> ClientStatus {
        self.client_status(IpAddr::V4(Ipv4Addr::LOCALHOST))
    }

    /// Quota usage of a client IP.
    pub fn quota_status(&self, ip: IpAddr) -> QuotaStatus {
        let limits = read(&self.state.cfg).limits.clone();
        lock(&self.state.limiter).status(
            ip,
            self.state.clock.now(),
            self.state.clock.wall(),
            &limits,
        )
    }

    /// The daily point-lookup cap in force.
    pub fn daily_lookup_cap(&self) -> u32 {
        self.state.daily_cap.load(Ordering::Relaxed)
    }

    /// Moves the sandbox clock forward (windows, bans, quotas and the daily
    /// reset read it).
    pub fn advance_clock(&self, by: Duration) {
        self.state.clock.advance(by);
        self.state.live_tick();
    }

    /// Replaces the rate limits (counters are kept).
    pub fn set_limits(&self, limits: LimitsConfig) {
        let cap = {
            let store = read(&self.state.store);
            limits
                .daily_lookups
                .unwrap_or_else(|| store.daily_lookup_cap())
        };
        self.state.daily_cap.store(cap, Ordering::Relaxed);
        write(&self.state.cfg).limits = limits;
    }

    /// Replaces the unregistered-IP policy.
    pub fn set_ip_policy(&self, policy: IpPolicy) {
        write(&self.state.cfg).ip_policy = policy;
    }

    /// Replaces the wire style.
    pub fn set_wire_style(&self, wire: WireStyle) {
        write(&self.state.cfg).wire = wire;
    }

    /// Clears the request and delivery logs, failure counters, bans, quotas,
    /// the fault numbering and the clock offset. The data is kept.
    pub fn reset(&self) {
        self.clear_request_log();
        lock(&self.state.deliveries).clear();
        write(&self.state.returl).clear();
        *lock(&self.state.guard) = rules::auth::Guard::default();
        *lock(&self.state.limiter) = rules::limits::Limiter::default();
        lock(&self.state.faults).counter = 0;
        self.state.clock.reset();
    }
}
