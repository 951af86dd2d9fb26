//! Building the client from the global options, with the embedded sandbox
//! when `--sandbox` is given.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use velip_blocking::Client;
use velip_sandbox::{Sandbox, SandboxConfig};

use crate::args::Global;
use crate::exit::Failure;

/// The client, and the sandbox it talks to when embedded (kept alive here).
pub(crate) struct Context {
    pub(crate) client: Client,
    pub(crate) interrupted: Arc<AtomicBool>,
    pub(crate) quiet: bool,
    _sandbox: Option<Sandbox>,
}

impl Context {
    pub(crate) fn new(g: &Global) -> Result<Self, Failure> {
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
                token = Some(sb.token().to_owned());
            }
            sandbox = Some(sb);
        }
        let mut b = Client::builder()
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
        match (&token, &g.user, &g.password) {
            (Some(t), None, _) => b = b.token(t.clone()),
            (_, Some(u), Some(p)) => b = b.basic_auth(u.clone(), p.clone()),
            (_, Some(_), None) => {
                return Err(Failure::Usage(
                    "--user needs --password (or VELIP_PASSWORD)".to_owned(),
                ));
            }
            (None, None, _) => {
                return Err(Failure::Usage(
                    "no credentials: give --token (or VELIP_TOKEN), --user/--password, or use --sandbox".to_owned(),
                ));
            }
        }
        let client = b.build()?;
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
