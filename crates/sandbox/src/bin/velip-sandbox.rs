//! `velip-sandbox`: runs the GetCallStatus simulator until interrupted.
//!
//! Prints `VELIP_SANDBOX_URL=...` and the tokens on start (one `KEY=value`
//! per line, flushed), so scripts and C tests can read them; also
//! `VELIP_BASE_URL=` and `VELIP_TOKEN=`, the variables the `velip` command
//! and the clients read. `eval "$(velip-sandbox --background)"` starts it in
//! the background and sets those variables in the calling shell.

use std::io::{BufRead as _, Write as _};
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use velip_sandbox::tls::{TestCa, TlsIdentity};
use velip_sandbox::{
    FaultPlan, FaultRule, IpPolicy, LimitsConfig, LiveConfig, Sandbox, SandboxConfig, TokenConfig,
    TokenKind, WebhookMethod, WireStyle, default_tokens,
};

#[derive(Clone, Copy, Debug, ValueEnum)]
enum IpMode {
    /// The IP counts as registered.
    Allow,
    /// List answers carry `return.warning`.
    Warn,
    /// List requests answer 403 / code 105.
    Block,
}

/// A local simulator of the Velip GetCallStatus service.
#[derive(Debug, Parser)]
#[command(name = "velip-sandbox", version, about)]
struct Args {
    /// Port to listen on (0 = any free port).
    #[arg(long, short, default_value_t = 0, env = "VELIP_SANDBOX_PORT")]
    port: u16,
    /// Address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    bind: IpAddr,
    /// Seed of the data generator.
    #[arg(long, default_value_t = SandboxConfig::default().seed)]
    seed: u64,
    /// Number of generated calls (at most 20,000,000).
    #[arg(long, short = 'n', default_value_t = 200_000,
          value_parser = clap::value_parser!(u32).range(0..=20_000_000))]
    calls: u32,
    /// Days the generated calls are spread over.
    #[arg(long, default_value_t = 30)]
    days: u32,
    /// Load calls from a JSON array / JSON-lines file instead of generating them.
    #[arg(long, value_name = "FILE")]
    data: Option<PathBuf>,
    /// Extra token, `TOKEN[:full|:masked|:mcp|:inactive|:blocked]` (repeatable; default kind: full).
    #[arg(long = "token", value_name = "TOKEN[:KIND]")]
    tokens: Vec<String>,
    /// Use only the --token tokens, not the four defaults.
    #[arg(long)]
    no_default_tokens: bool,
    /// List requests allowed per client per window (default: generous).
    #[arg(long, value_name = "N")]
    list_quota: Option<u32>,
    /// The list-quota window, seconds.
    #[arg(long, value_name = "SECS", default_value_t = 3600)]
    list_window: u64,
    /// Daily point-lookup cap per client; `spec` = the spec formula (default: generous).
    #[arg(long, value_name = "N|spec")]
    daily_cap: Option<String>,
    /// Production quotas: 200 list requests per hour, formula-based daily cap.
    #[arg(long)]
    spec_limits: bool,
    /// Unregistered-IP behaviour for list requests.
    #[arg(long, value_enum, default_value = "allow")]
    ip_policy: IpMode,
    /// Every value as a string (PHP driver style).
    #[arg(long)]
    strings: bool,
    /// Write call ids prefixed with this alias (`42_1000203`).
    #[arg(long, value_name = "ALIAS")]
    id_alias: Option<String>,
    /// Write null instead of empty strings for empty optional fields.
    #[arg(long)]
    empty_as_null: bool,
    /// Default webhook method when a request has no `rurl_method`.
    #[arg(long, value_parser = ["POST", "GET"], default_value = "POST")]
    webhook_method: String,
    /// Fault rule `TRIGGER=KIND` (repeatable): TRIGGER is `N`, `N-M`, `N-` (N and
    /// later), `*` (every request) or `pP` (e.g. p0.05); KIND is `500`, `502`, `504`,
    /// `5xx:CODE`, `503`, `reset`, `delay:MS`, `trickle:BYTES:MS`, `truncate`, `badjson`,
    /// `429`, `429:SECS`, `429-date:SECS`, `429-raw:TEXT`, `stuck`, `badrecord`,
    /// `badfield:REC:FIELD=JSON`, `nocdid:REC`, `freshcursor`, `nopagination`,
    /// `nohasmore` or `nonextid`; REC is a call id or `#N` (the Nth record of a page).
    #[arg(long = "fault", value_name = "RULE")]
    faults: Vec<FaultRule>,
    /// Seed of probabilistic faults.
    #[arg(long, default_value_t = 0)]
    fault_seed: u64,
    /// Serve HTTPS with this certificate chain (PEM); needs --tls-key.
    #[arg(
        long,
        value_name = "FILE",
        requires = "tls_key",
        conflicts_with = "tls_test_ca"
    )]
    tls_cert: Option<PathBuf>,
    /// The private key (PEM) of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Serve HTTPS with a fresh test CA's certificate for 127.0.0.1 and localhost;
    /// the CA certificate (PEM) is written to FILE, for the client to trust.
    #[arg(long, value_name = "FILE")]
    tls_test_ca: Option<PathBuf>,
    /// Live mode: new calls per minute, each listed in progress first.
    #[arg(long, value_name = "CALLS_PER_MIN", default_value_t = 0.0,
          value_parser = parse_rate)]
    live_rate: f64,
    /// Live mode: seconds a new call stays in progress before it becomes final.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    live_finalize_after: u64,
    /// Exit when standard input reaches end of file (for test harnesses).
    #[arg(long)]
    exit_on_stdin_eof: bool,
    /// Start in the background and print `export VELIP_BASE_URL=...`,
    /// `VELIP_TOKEN=...` and `VELIP_SANDBOX_PID=...` lines for the shell:
    /// `eval "$(velip-sandbox --background)"`, then `kill $VELIP_SANDBOX_PID`.
    /// The background sandbox's log goes to `VELIP_SANDBOX_LOG` (a file in
    /// the temporary folder); a failed start prints it and exports nothing.
    #[arg(long, conflicts_with = "exit_on_stdin_eof")]
    background: bool,
}

/// `--background`: runs this program again without the flag, reads its
/// `KEY=value` lines until it is ready, and prints them as shell `export`s
/// (the sandbox goes on running after this process exits).
fn background() -> ExitCode {
    use std::fmt::Write as _;
    use std::process::{Command, Stdio};
    let args: Vec<std::ffi::OsString> = std::env::args_os()
        .skip(1)
        .filter(|a| a != "--background")
        .collect();
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("velip-sandbox: cannot find this program: {e}");
            return ExitCode::FAILURE;
        }
    };
    // The background sandbox's log goes to a file (not to the caller's
    // streams: a caller capturing them, `$(...)`, must not wait for the
    // sandbox to end); it is shown when the sandbox does not start.
    let log_path = std::env::temp_dir().join(format!("velip-sandbox-{}.log", std::process::id()));
    let log = match std::fs::File::create(&log_path) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("velip-sandbox: cannot create {}: {e}", log_path.display());
            return ExitCode::FAILURE;
        }
    };
    let mut child = match Command::new(exe)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("velip-sandbox: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let Some(stdout) = child.stdout.take() else {
        return ExitCode::FAILURE;
    };
    let quote = |v: &str| format!("'{}'", v.replace('\'', "'\\''"));
    // Printed only once the sandbox is ready: a failed start sets nothing,
    // so `eval` cannot keep half of a new environment.
    let mut exports = String::new();
    for line in std::io::BufReader::new(stdout).lines() {
        let Ok(line) = line else { break };
        if let Some((k, v)) = line.split_once('=').filter(|(k, _)| !k.starts_with('#')) {
            let _ = writeln!(exports, "export {k}={}", quote(v));
        }
        if line.contains(" calls ready in ") {
            let mut out = std::io::stdout().lock();
            let _ = write!(out, "{exports}");
            let _ = writeln!(out, "export VELIP_SANDBOX_PID='{}'", child.id());
            let _ = writeln!(
                out,
                "export VELIP_SANDBOX_LOG={}",
                quote(&log_path.display().to_string())
            );
            let _ = writeln!(
                out,
                "# velip-sandbox runs in the background; stop it with: kill $VELIP_SANDBOX_PID"
            );
            let _ = out.flush();
            return ExitCode::SUCCESS;
        }
    }
    let _ = child.wait();
    let why = std::fs::read_to_string(&log_path).unwrap_or_default();
    let _ = std::fs::remove_file(&log_path);
    eprint!("{why}");
    eprintln!("velip-sandbox: the background sandbox did not start (nothing was exported)");
    println!("false # velip-sandbox did not start");
    ExitCode::FAILURE
}

fn parse_rate(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(r) if r.is_finite() && (0.0..=1_000_000.0).contains(&r) => Ok(r),
        _ => Err(format!(
            "{text:?} is not a rate between 0 and 1000000 calls per minute"
        )),
    }
}

fn parse_token(spec: &str) -> Result<TokenConfig, String> {
    let (token, kind) = spec.rsplit_once(':').unwrap_or((spec, "full"));
    let t = TokenConfig::new(token, true);
    Ok(match kind {
        "full" => t,
        "masked" => TokenConfig::new(token, false),
        "mcp" => t.with_kind(TokenKind::McpOnly),
        "inactive" => t.with_kind(TokenKind::AccountInactive),
        "blocked" => t.with_kind(TokenKind::Blocked),
        other => return Err(format!("unknown token kind {other:?} in {spec:?}")),
    })
}

fn config(args: &Args) -> Result<SandboxConfig, String> {
    let mut tokens = if args.no_default_tokens {
        Vec::new()
    } else {
        default_tokens()
    };
    for spec in &args.tokens {
        tokens.insert(0, parse_token(spec)?);
    }
    let mut limits = if args.spec_limits {
        LimitsConfig::spec()
    } else {
        LimitsConfig::generous()
    };
    if let Some(n) = args.list_quota {
        limits.list_requests = n;
    }
    limits.list_window = Duration::from_secs(args.list_window);
    match args.daily_cap.as_deref() {
        None => {}
        Some("spec") => limits.daily_lookups = None,
        Some(n) => {
            limits.daily_lookups = Some(
                n.parse()
                    .map_err(|_| format!("invalid --daily-cap {n:?}"))?,
            );
        }
    }
    Ok(SandboxConfig {
        bind: args.bind,
        port: args.port,
        seed: args.seed,
        calls: usize::try_from(args.calls).unwrap_or(usize::MAX),
        days: args.days,
        data_file: args.data.clone(),
        tokens,
        limits,
        ip_policy: match args.ip_policy {
            IpMode::Allow => IpPolicy::Allow,
            IpMode::Warn => IpPolicy::Warn,
            IpMode::Block => IpPolicy::Block,
        },
        wire: WireStyle {
            numbers_as_strings: args.strings,
            id_alias: args.id_alias.clone(),
            empty_as_null: args.empty_as_null,
        },
        webhook: velip_sandbox::WebhookConfig {
            default_method: if args.webhook_method == "GET" {
                WebhookMethod::Get
            } else {
                WebhookMethod::Post
            },
            ..Default::default()
        },
        faults: FaultPlan {
            rules: args.faults.clone(),
            seed: args.fault_seed,
        },
        live: LiveConfig::new(
            args.live_rate,
            Duration::from_secs(args.live_finalize_after),
        ),
        tls: tls_identity(args)?,
        ..Default::default()
    })
}

/// The TLS identity the flags ask for; `--tls-test-ca` writes its CA certificate.
fn tls_identity(args: &Args) -> Result<Option<TlsIdentity>, String> {
    if let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) {
        return TlsIdentity::from_files(cert, key)
            .map(Some)
            .map_err(|e| format!("cannot read the TLS identity: {e}"));
    }
    let Some(ca_file) = &args.tls_test_ca else {
        return Ok(None);
    };
    let ca = TestCa::generate().map_err(|e| e.to_string())?;
    std::fs::write(ca_file, ca.cert_pem())
        .map_err(|e| format!("cannot write {}: {e}", ca_file.display()))?;
    Ok(Some(ca.server_identity()))
}

fn main() -> ExitCode {
    let args = Args::parse();
    if args.background {
        return background();
    }
    let cfg = match config(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("velip-sandbox: {e}");
            return ExitCode::from(2);
        }
    };
    let started = Instant::now();
    let sb = match Sandbox::start(cfg) {
        Ok(sb) => sb,
        Err(e) => {
            eprintln!("velip-sandbox: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let cfg = sb.config();
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "VELIP_SANDBOX_URL={}", sb.url());
    let _ = writeln!(out, "VELIP_SANDBOX_ENDPOINT={}", sb.endpoint());
    let _ = writeln!(out, "VELIP_SANDBOX_TOKEN={}", sb.token());
    let _ = writeln!(out, "VELIP_SANDBOX_MASKED_TOKEN={}", sb.masked_token());
    if let Some(ca_file) = &args.tls_test_ca {
        let _ = writeln!(out, "VELIP_SANDBOX_CA_FILE={}", ca_file.display());
    }
    // The names the `velip` command and the clients read.
    let _ = writeln!(out, "VELIP_BASE_URL={}", sb.url());
    let _ = writeln!(out, "VELIP_TOKEN={}", sb.token());
    for t in &cfg.tokens {
        let _ = writeln!(
            out,
            "# token {} full_numbers={} kind={:?}",
            t.token, t.full_numbers, t.kind
        );
    }
    for u in &cfg.basic_users {
        let _ = writeln!(out, "# basic {}:{}", u.user, u.password);
    }
    let _ = writeln!(
        out,
        "# {} calls ready in {} ms; Ctrl-C to stop",
        sb.call_count(),
        started.elapsed().as_millis()
    );
    let _ = out.flush();
    drop(out);

    if args.exit_on_stdin_eof {
        let stdin = std::io::stdin();
        for line in stdin.lock().lines() {
            if line.is_err() {
                break;
            }
        }
        return ExitCode::SUCCESS;
    }
    loop {
        std::thread::park();
    }
}
