//! Building the client from the global options, with the embedded sandbox
//! when `--sandbox` is given.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use velip_blocking::{Client, ClientBuilder};
use velip_sandbox::{Sandbox, SandboxConfig};

use crate::args::Global;
use crate::exit::Failure;
use crate::profile::{self, ProfileCredentials};

/// The client, and the sandbox it talks to when embedded (kept alive here).
pub(crate) struct Context {
    pub(crate) client: Client,
    pub(crate) interrupted: Arc<AtomicBool>,
    pub(crate) quiet: bool,
    _sandbox: Option<Sandbox>,
}

impl Context {
    /// The client for a command; `waits`: the quota is waited for (jobs:
    /// export, push) unless `--no-wait`.
    pub(crate) fn new(g: &Global, waits: bool) -> Result<Self, Failure> {
        let interrupted = Arc::new(AtomicBool::new(false));
        {
            let flag = Arc::clone(&interrupted);
            // A second Ctrl-C while we wind down exits at once.
            let _ = ctrlc::set_handler(move || {
                if flag.swap(true, Ordering::SeqCst) {
                    std::process::exit(130);
                }
                note!("interrupt: stopping (Ctrl-C again to quit at once)");
            });
        }
        let mut sandbox = None;
        let mut base_url = g.base_url.clone();
        let mut token = g.token.clone();
        let mut b = ClientBuilder::from_env();
        // A profile (not with --sandbox, which is an account of its own):
        // after the flags, before the VELIP_* variables.
        let chosen = if g.sandbox {
            None
        } else {
            profile::selected(g.profile.as_deref())
        };
        let flag_credentials = g.token.is_some() || g.user.is_some();
        let prof = match &chosen {
            Some(name) => profile::load(name, !flag_credentials, g.quiet)?,
            None => profile::Profile::default(),
        };
        if base_url.is_none() {
            base_url.clone_from(&prof.base_url);
        }
        match prof.credentials {
            Some(ProfileCredentials::Token(t)) => b = b.token(t),
            Some(ProfileCredentials::Basic(u, p)) => b = b.basic_auth(u, p),
            None => {}
        }
        if let Some(cap) = prof.daily_lookup_cap {
            b = b.daily_lookup_cap(cap);
        }
        if g.sandbox {
            let mut cfg = SandboxConfig {
                calls: usize::try_from(g.sandbox_calls).unwrap_or(usize::MAX),
                ..SandboxConfig::default()
            };
            if let Some(seed) = g.sandbox_seed {
                cfg.seed = seed;
            }
            let sb = Sandbox::start(cfg)
                .map_err(|e| Failure::io("cannot start the embedded sandbox", e))?;
            if !g.quiet {
                note!(
                    "sandbox: {} calls at {} (offline simulator)",
                    sb.call_count(),
                    sb.url()
                );
            }
            base_url.get_or_insert_with(|| sb.url().to_owned());
            if token.is_none() && g.user.is_none() {
                // The sandbox's own token, even when VELIP_TOKEN is set.
                token = Some(sb.token().to_owned());
            }
            sandbox = Some(sb);
        }
        if waits && !g.no_wait {
            let quiet = g.quiet;
            b = b
                .on_rate_limit(velip_blocking::RateLimitPolicy::Wait {
                    max_wait: g.max_wait,
                })
                .on_wait(Arc::new({
                    // One line per wait (the callback also comes about once
                    // a second while it lasts).
                    let last = std::sync::Mutex::new(None);
                    move |n: &velip_blocking::WaitNotice| {
                        let mut last = last
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner);
                        if !quiet && *last != Some(n.until) {
                            *last = Some(n.until);
                            note!("{}", crate::quota::wait_line(n));
                        }
                    }
                }));
        }
        if let Some(n) = g.max_requests {
            b = b.max_requests(n);
        }
        let window = g
            .list_window
            .or(prof.list_window)
            .unwrap_or(std::time::Duration::from_secs(3600));
        if let Some(n) = g.list_quota.or(prof.list_quota) {
            b = b.list_quota(n, window);
        }
        b = b
            .strict(g.strict)
            .timeout(g.timeout)
            .max_retries(g.retries)
            .user_agent_suffix(format!("cli/{}", env!("CARGO_PKG_VERSION")));
        {
            let flag = Arc::clone(&interrupted);
            b = b.interrupt_check(Arc::new(move || flag.load(Ordering::SeqCst)));
        }
        if let Some(u) = base_url {
            b = b.base_url(u);
        }
        // Flags win over a profile and the environment (explicit setters win
        // over the environment: the builder's rule; the last setter wins); a
        // user flag takes its password from the flag or VELIP_PASSWORD.
        match (&token, &g.user) {
            (Some(t), None) => b = b.token(t.clone()),
            (None, Some(u)) => {
                let password = g
                    .password
                    .clone()
                    .or_else(|| std::env::var(velip_blocking::env::PASSWORD).ok())
                    .ok_or_else(|| {
                        Failure::Usage("--user needs --password (or VELIP_PASSWORD)".to_owned())
                    })?;
                b = b.basic_auth(u.clone(), password);
            }
            (Some(_), Some(_)) => {
                return Err(Failure::Usage(
                    "give --token or --user/--password, not both".to_owned(),
                ));
            }
            (None, None) => {}
        }
        let client = b.build().map_err(|e| match e {
            velip_blocking::Error::Config(c) if c.option == "credentials" => Failure::Usage(format!(
                "{}; give --token (or VELIP_TOKEN), --user/--password (or VELIP_USER/VELIP_PASSWORD), a --profile, or use --sandbox",
                c.message
            )),
            other => other.into(),
        })?;
        Ok(Self {
            client,
            interrupted,
            quiet: g.quiet,
            _sandbox: sandbox,
        })
    }

    pub(crate) fn is_interrupted(&self) -> bool {
        self.interrupted.load(Ordering::SeqCst)
    }
}
