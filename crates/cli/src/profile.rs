//! Named profiles in the config file (`$XDG_CONFIG_HOME/velip/config.toml`,
//! `~/.config/velip/config.toml`, or `$VELIP_CONFIG`), chosen with
//! `--profile NAME` or `VELIP_PROFILE`, the way gh and the cloud CLIs keep
//! accounts:
//!
//! ```toml
//! [profiles.prod]
//! base_url = "https://vox.velip.com.br"
//! token_command = "pass show velip/prod"   # its stdout is the token
//! list_quota = 200
//!
//! [profiles.staging]
//! base_url = "https://staging.example.com"
//! token_env = "STAGING_VELIP_TOKEN"         # read from this variable
//!
//! [profiles.ops]
//! user = "ops@example.com"
//! password_command = "secret-tool lookup velip ops"
//! ```
//!
//! A profile's values come after the flags and before the `VELIP_*`
//! variables. No secret is ever printed: tokens and passwords are
//! [`Secret`]s, and errors name the key, never its value (nor the command,
//! which may hold one). A file holding a `token` or `password` that other
//! users can read gets a warning.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use velip_core::Secret;

use crate::exit::Failure;

/// The variable that names the profile.
pub(crate) const PROFILE_ENV: &str = "VELIP_PROFILE";
/// The variable that names the config file.
pub(crate) const CONFIG_ENV: &str = "VELIP_CONFIG";

/// A secret from the file: deserialized straight into a [`Secret`].
fn secret<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Secret>, D::Error> {
    Option::<String>::deserialize(d).map(|o| o.map(Secret::new))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    profiles: BTreeMap<String, ProfileEntry>,
}

/// One `[profiles.NAME]` table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileEntry {
    base_url: Option<String>,
    #[serde(default, deserialize_with = "secret")]
    token: Option<Secret>,
    token_command: Option<String>,
    token_env: Option<String>,
    user: Option<String>,
    #[serde(default, deserialize_with = "secret")]
    password: Option<Secret>,
    password_command: Option<String>,
    password_env: Option<String>,
    list_quota: Option<u32>,
    list_window: Option<u64>,
    daily_lookup_cap: Option<u32>,
}

/// Credentials a profile gives.
#[derive(Debug)]
pub(crate) enum ProfileCredentials {
    Token(Secret),
    Basic(String, Secret),
}

/// What a profile sets.
#[derive(Debug, Default)]
pub(crate) struct Profile {
    pub(crate) base_url: Option<String>,
    pub(crate) credentials: Option<ProfileCredentials>,
    pub(crate) list_quota: Option<u32>,
    pub(crate) list_window: Option<Duration>,
    pub(crate) daily_lookup_cap: Option<u32>,
}

/// The config file: `$VELIP_CONFIG`, else `$XDG_CONFIG_HOME/velip/config.toml`,
/// else `~/.config/velip/config.toml` (on Windows `%APPDATA%\velip\config.toml`).
pub(crate) fn config_path() -> Option<PathBuf> {
    let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    if let Some(p) = var(CONFIG_ENV) {
        return Some(PathBuf::from(p));
    }
    let base = var("XDG_CONFIG_HOME").map(PathBuf::from).or_else(|| {
        if cfg!(windows) {
            var("APPDATA").map(PathBuf::from)
        } else {
            var("HOME").map(|h| PathBuf::from(h).join(".config"))
        }
    })?;
    Some(base.join("velip").join("config.toml"))
}

/// The profile to use: `--profile`, else `VELIP_PROFILE`; `None` when
/// neither names one.
pub(crate) fn selected(flag: Option<&str>) -> Option<String> {
    flag.map(str::to_owned).or_else(|| {
        std::env::var(PROFILE_ENV)
            .ok()
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    })
}

/// Loads profile `name` from the config file; with `credentials`, resolves
/// its secrets too (running `token_command`/`password_command`, reading
/// `token_env`/`password_env`), else leaves them out (the flags give
/// credentials).
pub(crate) fn load(name: &str, credentials: bool, quiet: bool) -> Result<Profile, Failure> {
    let path = config_path().ok_or_else(|| {
        Failure::Config(format!(
            "profile {name:?}: no config file (set {CONFIG_ENV}, XDG_CONFIG_HOME or HOME)"
        ))
    })?;
    let text = std::fs::read_to_string(&path).map_err(|e| {
        Failure::Config(format!(
            "profile {name:?}: cannot read the config file {}: {e}",
            path.display()
        ))
    })?;
    let file: ConfigFile = toml::from_str(&text).map_err(|e| {
        Failure::Config(format!(
            "the config file {} cannot be read: {}",
            path.display(),
            e.message()
        ))
    })?;
    if !quiet {
        warn_if_readable(&path, &file);
    }
    let Some(entry) = file.profiles.get(name) else {
        let known: Vec<&str> = file.profiles.keys().map(String::as_str).collect();
        return Err(Failure::Config(format!(
            "no profile {name:?} in {} (profiles: {})",
            path.display(),
            if known.is_empty() {
                "none".to_owned()
            } else {
                known.join(", ")
            }
        )));
    };
    if credentials {
        resolve(name, entry)
    } else {
        Ok(Profile {
            credentials: None,
            ..resolve(
                name,
                &ProfileEntry {
                    base_url: entry.base_url.clone(),
                    list_quota: entry.list_quota,
                    list_window: entry.list_window,
                    daily_lookup_cap: entry.daily_lookup_cap,
                    ..ProfileEntry::default()
                },
            )?
        })
    }
}

/// Warns when the file holds a literal token or password and other users
/// can read it.
fn warn_if_readable(path: &Path, file: &ConfigFile) {
    let holds_secret = file
        .profiles
        .values()
        .any(|p| p.token.is_some() || p.password.is_some());
    if !holds_secret {
        return;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        if let Ok(m) = std::fs::metadata(path) {
            let mode = m.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                note!(
                    "warning: {} holds a token or password and other users can read it (mode {mode:03o}): run `chmod 600 {}`, or use token_command/token_env",
                    path.display(),
                    path.display()
                );
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// Runs `command` through the shell; its trimmed stdout is the secret.
fn run_command(profile: &str, key: &str, command: &str) -> Result<Secret, Failure> {
    let fail = |why: String| Failure::Config(format!("profile {profile:?}: {key} {why}"));
    let mut c = if cfg!(windows) {
        let mut c = std::process::Command::new("cmd");
        c.args(["/C", command]);
        c
    } else {
        let mut c = std::process::Command::new("sh");
        c.args(["-c", command]);
        c
    };
    // stdin and stderr stay the terminal's (a password manager may ask).
    let out = c
        .stdin(std::process::Stdio::inherit())
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| fail(format!("cannot be run: {e}")))?;
    if !out.status.success() {
        return Err(fail(format!(
            "failed ({}); its output is not shown",
            out.status
        )));
    }
    let text = String::from_utf8(out.stdout)
        .map_err(|_| fail("printed something that is not UTF-8 text".to_owned()))?;
    let value = text.trim();
    if value.is_empty() {
        return Err(fail("printed nothing".to_owned()));
    }
    Ok(Secret::new(value))
}

/// A secret given one of three ways (literal, command, variable).
fn one_secret(
    profile: &str,
    what: &str,
    literal: Option<&Secret>,
    command: Option<&str>,
    env: Option<&str>,
) -> Result<Option<Secret>, Failure> {
    match (literal, command, env) {
        (None, None, None) => Ok(None),
        (Some(s), None, None) => Ok(Some(s.clone())),
        (None, Some(c), None) => run_command(profile, &format!("{what}_command"), c).map(Some),
        (None, None, Some(var)) => std::env::var(var)
            .ok()
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .map(|v| Some(Secret::new(v)))
            .ok_or_else(|| {
                Failure::Config(format!(
                    "profile {profile:?}: {what}_env names {var}, which is not set"
                ))
            }),
        _ => Err(Failure::Config(format!(
            "profile {profile:?}: give one of {what}, {what}_command and {what}_env"
        ))),
    }
}

fn resolve(name: &str, e: &ProfileEntry) -> Result<Profile, Failure> {
    let token = one_secret(
        name,
        "token",
        e.token.as_ref(),
        e.token_command.as_deref(),
        e.token_env.as_deref(),
    )?;
    let credentials = match (token, &e.user) {
        (Some(_), Some(_)) => {
            return Err(Failure::Config(format!(
                "profile {name:?}: give a token or a user and password, not both"
            )));
        }
        (Some(t), None) => Some(ProfileCredentials::Token(t)),
        (None, Some(u)) => {
            let p = one_secret(
                name,
                "password",
                e.password.as_ref(),
                e.password_command.as_deref(),
                e.password_env.as_deref(),
            )?
            .ok_or_else(|| {
                Failure::Config(format!(
                    "profile {name:?}: user {u:?} needs password, password_command or password_env"
                ))
            })?;
            Some(ProfileCredentials::Basic(u.clone(), p))
        }
        (None, None) => {
            if e.password.is_some() || e.password_command.is_some() || e.password_env.is_some() {
                return Err(Failure::Config(format!(
                    "profile {name:?}: a password without a user"
                )));
            }
            None
        }
    };
    Ok(Profile {
        base_url: e.base_url.clone(),
        credentials,
        list_quota: e.list_quota,
        list_window: e.list_window.map(Duration::from_secs),
        daily_lookup_cap: e.daily_lookup_cap,
    })
}
