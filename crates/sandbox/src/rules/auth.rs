//! Authentication (bearer header, `tsid`, HTTP Basic, `sid`) and the
//! brute-force protection: per-client failure counters, the temporary blocks
//! `131`/`132` and the permanent ban `199`.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::time::Instant;

use base64::Engine as _;

use super::{ApiError, prune};
use crate::config::{BanConfig, SandboxConfig, TokenKind};

/// How a request authenticated (or tried to).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AuthMode {
    /// No credentials at all.
    None,
    /// `Authorization: Bearer <token>`.
    Bearer,
    /// `tsid=<token>` in the body or query string.
    Tsid,
    /// `Authorization: Basic ...`.
    Basic,
    /// `sid=<session id>`.
    Sid,
}

impl AuthMode {
    /// Lower-case name (`bearer`, `tsid`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMode::None => "none",
            AuthMode::Bearer => "bearer",
            AuthMode::Tsid => "tsid",
            AuthMode::Basic => "basic",
            AuthMode::Sid => "sid",
        }
    }
}

/// Who is asking, once authenticated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Principal {
    /// Numbers are never masked for this principal.
    pub(crate) full_numbers: bool,
}

/// What kind of failure an authentication error is, for the counters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Failure {
    /// Code `102`.
    SidNotFound,
    /// Code `140` for this Basic user.
    BadUserPass(String),
    /// Any other authentication failure.
    Other,
}

/// The outcome of authentication.
pub(crate) struct AuthOutcome {
    pub(crate) mode: AuthMode,
    pub(crate) result: Result<Principal, (ApiError, Failure)>,
    /// Basic user name, for the per-user block.
    pub(crate) user: Option<String>,
}

/// The text of each authentication code.
pub(crate) fn message(code: &str) -> &'static str {
    match code {
        "100" => "Fail authentication",
        "102" => "SID not found",
        "110" => "Account inactive",
        "114" => "Token only valid for the MCP server",
        "123" => "Permission denied",
        "130" => "No user/pass",
        "131" => "IP trials exceeded",
        "132" => "User trials exceeded",
        "140" => "Invalid user/pass",
        "142" => "IP not allowed",
        "198" => "All tokens of the account blocked",
        "199" => "IP blocked",
        _ => "Error",
    }
}

fn fail(code: &'static str, failure: Failure) -> Result<Principal, (ApiError, Failure)> {
    Err((ApiError::auth(code), failure))
}

/// Authenticates a request. The `Authorization` header wins over `tsid`,
/// and `tsid` wins over `sid`.
pub(crate) fn authenticate(
    cfg: &SandboxConfig,
    authorization: Option<&str>,
    param: &dyn Fn(&str) -> Option<String>,
) -> AuthOutcome {
    if let Some(value) = authorization {
        let value = value.trim();
        let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
        if scheme.eq_ignore_ascii_case("bearer") {
            return AuthOutcome {
                mode: AuthMode::Bearer,
                result: check_token(cfg, rest.trim()),
                user: None,
            };
        }
        if scheme.eq_ignore_ascii_case("basic") {
            return basic(cfg, rest.trim());
        }
    }
    if let Some(token) = param("tsid").filter(|t| !t.is_empty()) {
        return AuthOutcome {
            mode: AuthMode::Tsid,
            result: check_token(cfg, &token),
            user: None,
        };
    }
    if let Some(sid) = param("sid").filter(|t| !t.is_empty()) {
        let result = if cfg.sessions.contains(&sid) {
            Ok(Principal { full_numbers: true })
        } else {
            fail("102", Failure::SidNotFound)
        };
        return AuthOutcome {
            mode: AuthMode::Sid,
            result,
            user: None,
        };
    }
    AuthOutcome {
        mode: AuthMode::None,
        result: fail("100", Failure::Other),
        user: None,
    }
}

fn check_token(cfg: &SandboxConfig, token: &str) -> Result<Principal, (ApiError, Failure)> {
    let Some(t) = cfg.tokens.iter().find(|t| t.token == token) else {
        return fail("102", Failure::SidNotFound);
    };
    match t.kind {
        TokenKind::Active => Ok(Principal {
            full_numbers: t.full_numbers,
        }),
        TokenKind::McpOnly => fail("114", Failure::Other),
        TokenKind::AccountInactive => fail("110", Failure::Other),
        TokenKind::Blocked => fail("198", Failure::Other),
    }
}

fn basic(cfg: &SandboxConfig, encoded: &str) -> AuthOutcome {
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()
        .and_then(|b| String::from_utf8(b).ok());
    let Some((user, password)) = decoded.as_deref().and_then(|d| d.split_once(':')) else {
        return AuthOutcome {
            mode: AuthMode::Basic,
            result: fail("130", Failure::Other),
            user: None,
        };
    };
    if user.is_empty() || password.is_empty() {
        return AuthOutcome {
            mode: AuthMode::Basic,
            result: fail("130", Failure::Other),
            user: None,
        };
    }
    let ok = cfg
        .basic_users
        .iter()
        .any(|u| u.user == user && u.password == password);
    AuthOutcome {
        mode: AuthMode::Basic,
        result: if ok {
            Ok(Principal { full_numbers: true })
        } else {
            fail("140", Failure::BadUserPass(user.to_owned()))
        },
        user: Some(user.to_owned()),
    }
}

/// Failure counters and ban state of one client, as tests can read them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientStatus {
    /// Failures within the temporary-block window (10 minutes by default).
    pub recent_failures: u32,
    /// Failures within the long ban window (60 minutes by default).
    pub failures_last_hour: u32,
    /// `102` answers within their window (10 minutes by default).
    pub sid_not_found: u32,
    /// Bad user/password attempts within their window (60 minutes by default).
    pub bad_userpass: u32,
    /// Temporarily blocked (`131`).
    pub temporarily_blocked: bool,
    /// Permanently banned (`199`).
    pub banned: bool,
}

#[derive(Debug, Default)]
struct Counters {
    recent: VecDeque<Instant>,
    hour: VecDeque<Instant>,
    sid: VecDeque<Instant>,
    userpass: VecDeque<Instant>,
    banned: bool,
}

impl Counters {
    fn prune(&mut self, now: Instant, b: &BanConfig) {
        prune(&mut self.recent, now, b.temp_block_window);
        prune(&mut self.hour, now, b.failures_ban_window);
        prune(&mut self.sid, now, b.sid_not_found_window);
        prune(&mut self.userpass, now, b.bad_userpass_window);
    }
}

/// The brute-force guard.
#[derive(Debug, Default)]
pub(crate) struct Guard {
    clients: HashMap<IpAddr, Counters>,
    users: HashMap<String, VecDeque<Instant>>,
}

fn count(q: &VecDeque<Instant>) -> u32 {
    u32::try_from(q.len()).unwrap_or(u32::MAX)
}

impl Guard {
    /// Refuses a client that is banned (`199`) or temporarily blocked (`131`).
    pub(crate) fn check_client(
        &mut self,
        ip: IpAddr,
        now: Instant,
        b: &BanConfig,
    ) -> Result<(), ApiError> {
        let Some(c) = self.clients.get_mut(&ip) else {
            return Ok(());
        };
        c.prune(now, b);
        if c.banned {
            return Err(ApiError::auth("199"));
        }
        if count(&c.recent) >= b.temp_block {
            return Err(ApiError::auth("131"));
        }
        Ok(())
    }

    /// Refuses a Basic user with too many recent failures (`132`).
    pub(crate) fn check_user(
        &mut self,
        user: &str,
        now: Instant,
        b: &BanConfig,
    ) -> Result<(), ApiError> {
        if let Some(q) = self.users.get_mut(user) {
            prune(q, now, b.user_block_window);
            if count(q) >= b.user_block {
                return Err(ApiError::auth("132"));
            }
        }
        Ok(())
    }

    /// Counts a failed request; bans when a threshold is reached.
    pub(crate) fn record(&mut self, ip: IpAddr, failure: &Failure, now: Instant, b: &BanConfig) {
        let c = self.clients.entry(ip).or_default();
        c.prune(now, b);
        c.recent.push_back(now);
        c.hour.push_back(now);
        match failure {
            Failure::SidNotFound => c.sid.push_back(now),
            Failure::BadUserPass(user) => {
                c.userpass.push_back(now);
                let q = self.users.entry(user.clone()).or_default();
                prune(q, now, b.user_block_window);
                q.push_back(now);
            }
            Failure::Other => {}
        }
        if count(&c.sid) >= b.sid_not_found
            || count(&c.hour) >= b.failures_ban
            || count(&c.userpass) >= b.bad_userpass
        {
            c.banned = true;
        }
    }

    pub(crate) fn status(&mut self, ip: IpAddr, now: Instant, b: &BanConfig) -> ClientStatus {
        let Some(c) = self.clients.get_mut(&ip) else {
            return ClientStatus::default();
        };
        c.prune(now, b);
        ClientStatus {
            recent_failures: count(&c.recent),
            failures_last_hour: count(&c.hour),
            sid_not_found: count(&c.sid),
            bad_userpass: count(&c.userpass),
            temporarily_blocked: count(&c.recent) >= b.temp_block,
            banned: c.banned,
        }
    }
}
