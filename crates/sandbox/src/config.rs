//! Sandbox configuration: data, tokens, quotas, brute-force thresholds, wire style.

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::time::Duration;

use chrono::NaiveDate;

use crate::faults::FaultPlan;
use crate::tls::TlsIdentity;

/// Default token (30 characters) of an account with the "full numbers" option.
pub const DEFAULT_TOKEN: &str = "SBXFULL000sandbox0full0numbers";
/// Default token (30 characters) without the "full numbers" option: list
/// answers and `cd_id` lookups come masked.
pub const DEFAULT_MASKED_TOKEN: &str = "SBXMASK000sandbox0mask0numbers";
/// A token only valid for the MCP server: every request answers `401`/`114`.
pub const MCP_ONLY_TOKEN: &str = "SBXMCP0000sandbox0mcp0only0000";
/// A token of an inactive account: every request answers `401`/`110`.
pub const INACTIVE_TOKEN: &str = "SBXINACT00sandbox0inactive0acc";
/// Default HTTP Basic user name.
pub const DEFAULT_BASIC_USER: &str = "sandbox";
/// Default HTTP Basic password.
pub const DEFAULT_BASIC_PASSWORD: &str = "sandbox-password";

/// What the account behind a token may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum TokenKind {
    /// A normal, active API token.
    #[default]
    Active,
    /// Only valid for the MCP server: answers `401` with code `114`.
    McpOnly,
    /// The account is inactive: answers `401` with code `110`.
    AccountInactive,
    /// All tokens of the account are blocked: answers `401` with code `198`.
    Blocked,
}

/// One configured token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenConfig {
    /// The token text (real tokens are 30 characters; any length is accepted here).
    pub token: String,
    /// The "full numbers in list responses" option: when `false`, list answers
    /// and `cd_id` lookups are masked.
    pub full_numbers: bool,
    /// What the token may do.
    pub kind: TokenKind,
}

impl TokenConfig {
    /// An active token with the given full-numbers option.
    pub fn new(token: impl Into<String>, full_numbers: bool) -> Self {
        Self {
            token: token.into(),
            full_numbers,
            kind: TokenKind::Active,
        }
    }

    /// The same token with another [`TokenKind`].
    #[must_use]
    pub fn with_kind(mut self, kind: TokenKind) -> Self {
        self.kind = kind;
        self
    }
}

/// One HTTP Basic account (always answered with full numbers).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BasicUser {
    /// User name.
    pub user: String,
    /// Password.
    pub password: String,
}

/// How list requests from an IP that is not on the account's list are treated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum IpPolicy {
    /// The IP counts as registered: nothing happens (default).
    #[default]
    Allow,
    /// Today's behaviour: list answers carry `return.warning`.
    Warn,
    /// The announced behaviour: list requests answer `403` with code `105`.
    Block,
}

/// Rate limits. Windows are configurable so tests can hit and leave them quickly.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LimitsConfig {
    /// List requests allowed per client within [`list_window`](Self::list_window).
    pub list_requests: u32,
    /// Sliding window for list requests (the spec: one hour).
    pub list_window: Duration,
    /// Daily cap of point lookups per client. `None` = the spec formula
    /// `500 + 40 × (average calls per day over the last 30 days + calls today)`,
    /// computed from the data set.
    pub daily_lookups: Option<u32>,
}

impl LimitsConfig {
    /// Quotas so generous that demos never hit them (the default).
    pub fn generous() -> Self {
        Self {
            list_requests: 1_000_000,
            list_window: Duration::from_secs(3600),
            daily_lookups: Some(10_000_000),
        }
    }

    /// The production quotas of the spec: 200 list requests per hour and the
    /// formula-based daily lookup cap.
    pub fn spec() -> Self {
        Self {
            list_requests: 200,
            list_window: Duration::from_secs(3600),
            daily_lookups: None,
        }
    }
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self::generous()
    }
}

/// Brute-force protection thresholds (per client IP). The defaults are the spec's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BanConfig {
    /// Answers of code `102` that trigger the permanent ban (`199`): 15 ...
    pub sid_not_found: u32,
    /// ... within this window (10 minutes).
    pub sid_not_found_window: Duration,
    /// Failures of any kind that trigger the permanent ban: 100 ...
    pub failures_ban: u32,
    /// ... within this window (60 minutes).
    pub failures_ban_window: Duration,
    /// Bad user/password attempts that trigger the permanent ban: 50 ...
    pub bad_userpass: u32,
    /// ... within this window (60 minutes).
    pub bad_userpass_window: Duration,
    /// Failures that give the temporary block `131`: 20 ...
    pub temp_block: u32,
    /// ... within this window (10 minutes).
    pub temp_block_window: Duration,
    /// Failures per Basic user that give the temporary block `132`: 5 ...
    pub user_block: u32,
    /// ... within this window (10 minutes).
    pub user_block_window: Duration,
}

impl Default for BanConfig {
    fn default() -> Self {
        Self {
            sid_not_found: 15,
            sid_not_found_window: Duration::from_secs(600),
            failures_ban: 100,
            failures_ban_window: Duration::from_secs(3600),
            bad_userpass: 50,
            bad_userpass_window: Duration::from_secs(3600),
            temp_block: 20,
            temp_block_window: Duration::from_secs(600),
            user_block: 5,
            user_block_window: Duration::from_secs(600),
        }
    }
}

/// How values are written on the wire.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct WireStyle {
    /// Every value as a string, the way PHP database drivers emit them
    /// (`"cp_id":"777"`, `"dur":"75"`, `"next_id":""`).
    pub numbers_as_strings: bool,
    /// Write call ids prefixed with this database alias (`"42_1000203"`);
    /// `None` = bare integers (the default).
    pub id_alias: Option<String>,
    /// Write `null` instead of empty strings for empty `ctid`, `time_start`,
    /// `time_end` and `cdr_url`.
    pub empty_as_null: bool,
}

/// HTTP method of webhook deliveries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum WebhookMethod {
    /// `POST` (the default account setting).
    #[default]
    Post,
    /// `GET`: form deliveries in the query string, JSON deliveries as a `json` query parameter.
    Get,
}

/// Webhook delivery settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookConfig {
    /// The account's default method, used when the request has no `rurl_method`.
    pub default_method: WebhookMethod,
    /// Extra attempts after a failed delivery.
    pub retries: u32,
    /// Per-attempt timeout.
    pub timeout: Duration,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        Self {
            default_method: WebhookMethod::Post,
            retries: 1,
            timeout: Duration::from_secs(5),
        }
    }
}

/// Live mode: new calls keep arriving, each listed *in progress* first
/// (empty `cd_status`; no `time_start`, `time_end`, `dur`, DTMF answers,
/// `cdr_url` or `cdr_sec`; `cd_amdasw` empty and `value` `0,000`) and final
/// (status, times, duration, recording) after [`finalize_after`](Self::finalize_after).
///
/// Live time is the sandbox clock: it moves with
/// [`Sandbox::advance_clock`](crate::Sandbox::advance_clock), and with real
/// time too unless [`real_time`](Self::real_time) is `false` (then a test
/// controls every arrival exactly). Arrivals are evenly spaced: with 6 calls
/// per minute, one every 10 s of live time. New calls get higher ids than
/// every call before them (newest first stays true) and are dated on the
/// data's last day.
#[derive(Clone, Debug, PartialEq)]
pub struct LiveConfig {
    /// New calls per minute of live time; `0` (the default) = none arrive by
    /// themselves ([`Sandbox::insert_in_progress_calls`](crate::Sandbox::insert_in_progress_calls)
    /// still adds some). Negative or non-finite values count as `0`.
    pub calls_per_minute: f64,
    /// How long a new call stays in progress; `None` = until
    /// [`Sandbox::finalize_calls`](crate::Sandbox::finalize_calls). Default: 60 s.
    pub finalize_after: Option<Duration>,
    /// Whether live time also follows real time (default `true`); `false` =
    /// only [`Sandbox::advance_clock`](crate::Sandbox::advance_clock) moves it.
    pub real_time: bool,
}

impl Default for LiveConfig {
    fn default() -> Self {
        Self {
            calls_per_minute: 0.0,
            finalize_after: Some(Duration::from_secs(60)),
            real_time: true,
        }
    }
}

impl LiveConfig {
    /// `calls_per_minute` new calls per minute, each final after `finalize_after`.
    pub fn new(calls_per_minute: f64, finalize_after: Duration) -> Self {
        Self {
            calls_per_minute,
            finalize_after: Some(finalize_after),
            real_time: true,
        }
    }

    /// The same settings with live time moved only by
    /// [`Sandbox::advance_clock`](crate::Sandbox::advance_clock) (exact tests).
    #[must_use]
    pub fn manual_clock(mut self) -> Self {
        self.real_time = false;
        self
    }
}

/// Everything a [`Sandbox`](crate::Sandbox) is started with.
///
/// Build it with struct-update syntax:
/// `SandboxConfig { calls: 500, seed: 7, ..Default::default() }`.
#[derive(Clone, Debug)]
pub struct SandboxConfig {
    /// Address to bind (default `127.0.0.1`).
    pub bind: IpAddr,
    /// Port to bind; `0` picks a free one (default).
    pub port: u16,
    /// Seed of the data generator (and of probabilistic faults unless the plan has its own).
    pub seed: u64,
    /// Number of generated calls (ignored when [`data_file`](Self::data_file) is set).
    pub calls: usize,
    /// Number of days the generated calls are spread over.
    pub days: u32,
    /// The last day of generated data ("today" for the daily lookup cap).
    pub last_day: NaiveDate,
    /// Load records from this JSON array / JSON-lines file instead of generating them.
    pub data_file: Option<PathBuf>,
    /// Accepted tokens. The defaults are [`DEFAULT_TOKEN`], [`DEFAULT_MASKED_TOKEN`],
    /// [`MCP_ONLY_TOKEN`] and [`INACTIVE_TOKEN`].
    pub tokens: Vec<TokenConfig>,
    /// Accepted HTTP Basic accounts (default: [`DEFAULT_BASIC_USER`] / [`DEFAULT_BASIC_PASSWORD`]).
    pub basic_users: Vec<BasicUser>,
    /// Accepted session ids (`sid`), full numbers. Default: none.
    pub sessions: Vec<String>,
    /// Rate limits.
    pub limits: LimitsConfig,
    /// Brute-force thresholds.
    pub bans: BanConfig,
    /// Unregistered-IP behaviour for list requests.
    pub ip_policy: IpPolicy,
    /// Wire style.
    pub wire: WireStyle,
    /// Webhook delivery settings.
    pub webhook: WebhookConfig,
    /// Initial fault plan (replaceable at runtime with [`Sandbox::set_faults`](crate::Sandbox::set_faults)).
    pub faults: FaultPlan,
    /// Live mode (new calls arriving in progress, finalized later); off by default.
    pub live: LiveConfig,
    /// Serve HTTPS with this certificate and key (`None` = plain HTTP, the
    /// default); [`Sandbox::url`](crate::Sandbox::url) then starts with `https://`.
    pub tls: Option<TlsIdentity>,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            seed: 0x5EED_CA11,
            calls: 10_000,
            days: 30,
            last_day: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap_or_default(),
            data_file: None,
            tokens: default_tokens(),
            basic_users: vec![BasicUser {
                user: DEFAULT_BASIC_USER.to_owned(),
                password: DEFAULT_BASIC_PASSWORD.to_owned(),
            }],
            sessions: Vec::new(),
            limits: LimitsConfig::default(),
            bans: BanConfig::default(),
            ip_policy: IpPolicy::default(),
            wire: WireStyle::default(),
            webhook: WebhookConfig::default(),
            faults: FaultPlan::default(),
            live: LiveConfig::default(),
            tls: None,
        }
    }
}

/// The four default tokens.
pub fn default_tokens() -> Vec<TokenConfig> {
    vec![
        TokenConfig::new(DEFAULT_TOKEN, true),
        TokenConfig::new(DEFAULT_MASKED_TOKEN, false),
        TokenConfig::new(MCP_ONLY_TOKEN, true).with_kind(TokenKind::McpOnly),
        TokenConfig::new(INACTIVE_TOKEN, true).with_kind(TokenKind::AccountInactive),
    ]
}
