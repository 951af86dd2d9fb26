//! `velip webhook listen`: receive the service's webhook deliveries (`rurl`)
//! into JSON lines or the `calls` table of a database, until Ctrl-C.
//!
//! Translation only: the receiver, its checks and its durability are
//! `velip-webhook`'s; the upserts are `velip-store`'s.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use velip_webhook::{JsonLinesSink, MetricsSnapshot, ReceiverConfig, Server, Sink, StoreSink};

use crate::args::Global;
use crate::exit::Failure;

/// Basic user the deliveries must carry, when `--user` is not given.
const ENV_USER: &str = "VELIP_WEBHOOK_USER";
/// Basic password the deliveries must carry, when `--password` is not given.
const ENV_PASSWORD: &str = "VELIP_WEBHOOK_PASSWORD";

const LISTEN_HELP: &str = "\
Credentials: --user/--password (or VELIP_WEBHOOK_USER/VELIP_WEBHOOK_PASSWORD)
are the HTTP Basic credentials every delivery must carry: what you gave
`calls push --rurl-user/--rurl-password` (never the API token). Required
headers are compared in constant time too; a mismatch is a bare 401.

A delivery is answered 200 only once it is durable (the file synced, or the
transaction committed); deliveries arriving together share one sync. The
same call delivered twice is stored once by --db (upsert by call id) and
marked \"repeat\": true by --out. Refusals: 401 credentials, 404 other path,
405 other method, 413 over --max-body, 400 undecodable (kept in
--rejected-log), 503 while the sink fails (the sender retries).
GET /healthz answers ok; GET /metrics serves the counters (OpenMetrics).
SIGTERM or Ctrl-C stops accepting, finishes the deliveries in flight and
exits 0; SIGUSR1 prints the counters.

Examples:
  velip webhook listen --db sqlite:calls.db --user hook --password \"$PW\"
  velip calls push --rurl http://127.0.0.1:8080/velip --rurl-user hook \\
      --rurl-password \"$PW\" --date-start 2026-11-01 --date-end 2026-11-20

Usual deployment: bind 127.0.0.1 and let the reverse proxy that already
serves your domain terminate TLS (nginx: `location /velip { proxy_pass
http://127.0.0.1:8080; }`; Caddy: `reverse_proxy /velip 127.0.0.1:8080`).";

/// `velip webhook ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum WebhookCommand {
    /// Receive webhook deliveries (`rurl`) and store every call durably:
    /// JSON lines (stdout or --out FILE) or a database (--db).
    #[command(after_help = LISTEN_HELP)]
    Listen(ListenArgs),
}

/// The options of `velip webhook listen`.
#[derive(Debug, Args)]
#[command(next_help_heading = "Receiver")]
#[allow(clippy::doc_markdown)] // the doc comments are `--help` text, not rustdoc
pub(crate) struct ListenArgs {
    /// Address to listen on (port 0 picks a free one). Keep 127.0.0.1 behind
    /// a reverse proxy; another address takes deliveries from other hosts:
    /// use --tls-cert/--tls-key then.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    pub(crate) bind: SocketAddr,

    /// The path deliveries come to (the path of your `rurl`).
    #[arg(long, default_value = velip_webhook::DEFAULT_PATH, value_name = "PATH")]
    pub(crate) path: String,

    /// Append the calls to this JSON-lines file (one line per call, the
    /// shape `velip decode` writes plus a `delivery` object) [default: JSON
    /// lines on stdout; `-` is stdout too].
    #[arg(long, value_name = "FILE", conflicts_with = "db")]
    pub(crate) out: Option<PathBuf>,

    /// Upsert the calls into this database's `calls` table, the one `velip
    /// sync` keeps: `sqlite:calls.db` or `postgres://user@host/db`. Each
    /// batch of deliveries commits in one transaction.
    #[arg(long, value_name = "URL")]
    pub(crate) db: Option<String>,

    /// Account label the calls are stored under with --db (the label `velip
    /// sync` uses for the same account; deliveries do not name it).
    #[arg(long, default_value = "default", value_name = "LABEL", requires = "db")]
    pub(crate) account: String,

    /// With --db: where unreadable entries of JSON deliveries (no readable
    /// `cd_id`) are kept [default: beside a SQLite database,
    /// CALLS.rejected.jsonl; velip-webhook.rejected.jsonl here for
    /// PostgreSQL].
    #[arg(long, value_name = "FILE", requires = "db")]
    pub(crate) rejected_entries: Option<PathBuf>,

    /// A header every delivery must carry, `Name: value` (a `calls push
    /// --rurl-header` line); repeatable [default:
    /// $VELIP_WEBHOOK_REQUIRE_HEADER, one header per line].
    #[arg(
        long = "require-header",
        value_name = "HEADER",
        env = "VELIP_WEBHOOK_REQUIRE_HEADER",
        hide_env_values = true,
        value_delimiter = '\n'
    )]
    pub(crate) require_header: Vec<String>,

    /// Largest body (or GET query string) accepted, in bytes; a larger one
    /// is answered 413. Default: 16 MiB (a 5,000-call JSON page is about
    /// 2.5 MB).
    #[arg(long, value_name = "BYTES", default_value_t = velip_webhook::DEFAULT_BODY_LIMIT)]
    pub(crate) max_body: usize,

    /// Serve HTTPS with this certificate chain (PEM, leaf first).
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub(crate) tls_cert: Option<PathBuf>,

    /// The certificate's private key (PEM).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub(crate) tls_key: Option<PathBuf>,

    /// Append deliveries answered 400 (cannot be decoded) to this file, for
    /// inspection: time, sender, headers (secrets masked), error, body.
    #[arg(long, value_name = "FILE")]
    pub(crate) rejected_log: Option<PathBuf>,
}

pub(crate) fn run(g: &Global, command: &WebhookCommand) -> Result<(), Failure> {
    match command {
        WebhookCommand::Listen(a) => listen(g, a),
    }
}

/// The receiver's settings from the flags (the receiver checks them).
fn config(g: &Global, a: &ListenArgs) -> Result<ReceiverConfig, Failure> {
    let mut config = ReceiverConfig::new()
        .bind(a.bind)
        .path(&a.path)
        .body_limit(a.max_body);
    let user = g.user.clone().or_else(|| env(ENV_USER));
    let password = g.password.clone().or_else(|| env(ENV_PASSWORD));
    match (user, password) {
        (Some(u), Some(p)) => config = config.basic_auth(u, p),
        (None, None) => {}
        (Some(_), None) => {
            return Err(Failure::Usage(format!(
                "--user needs --password (or {ENV_PASSWORD})"
            )));
        }
        (None, Some(_)) => {
            return Err(Failure::Usage(format!(
                "--password needs --user (or {ENV_USER})"
            )));
        }
    }
    for line in a.require_header.iter().filter(|l| !l.trim().is_empty()) {
        config = config
            .require_header(line)
            .map_err(|e| Failure::Usage(format!("--require-header: {}", e.message())))?;
    }
    if let (Some(cert), Some(key)) = (&a.tls_cert, &a.tls_key) {
        config = config.tls(cert, key);
    }
    if let Some(p) = &a.rejected_log {
        config = config.rejected_log(p);
    }
    config.validate().map_err(|e| {
        Failure::Usage(match e.field() {
            "path" => format!("--path: {}", e.message()),
            "basic_auth" => format!("--user/--password: {}", e.message()),
            "body_limit" => format!("--max-body: {}", e.message()),
            _ => e.to_string(),
        })
    })?;
    Ok(config)
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Where the calls go, and how the start line and the summary name it.
struct Target {
    sink: Box<dyn Sink>,
    described: String,
    totals: Option<velip_webhook::StoreTotals>,
}

fn target(a: &ListenArgs) -> Result<Target, Failure> {
    if let Some(url) = &a.db {
        let sink = StoreSink::open(url, &a.account).map_err(|e| Failure::Io(e.to_string()))?;
        let sink = match (&a.rejected_entries, sink.rejected_entries_path()) {
            (Some(p), _) => sink.rejected_entries(p),
            (None, Some(_)) => sink,
            (None, None) => sink.rejected_entries("velip-webhook.rejected.jsonl"),
        };
        let described = format!(
            "{} (table calls, account {:?})",
            sink.database(),
            sink.account()
        );
        let totals = Some(sink.totals());
        return Ok(Target {
            sink: Box::new(sink),
            described,
            totals,
        });
    }
    match a.out.as_deref() {
        None => Ok(stdout_target()),
        Some(p) if p == Path::new("-") => Ok(stdout_target()),
        Some(p) => {
            let sink = JsonLinesSink::open(p).map_err(|e| Failure::Io(e.to_string()))?;
            Ok(Target {
                sink: Box::new(sink),
                described: p.display().to_string(),
                totals: None,
            })
        }
    }
}

fn stdout_target() -> Target {
    Target {
        sink: Box::new(JsonLinesSink::stdout()),
        described: "stdout (JSON lines)".to_owned(),
        totals: None,
    }
}

fn listen(g: &Global, a: &ListenArgs) -> Result<(), Failure> {
    let config = config(g, a)?;
    let Target {
        sink,
        described,
        totals,
    } = target(a)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("velip-webhook")
        .build()
        .map_err(|e| Failure::io("cannot start the receiver's runtime", e))?;
    let quiet = g.quiet;
    let result = runtime.block_on(async move {
        // Installed before the server binds: a signal right after the start
        // line is not missed.
        let signal = velip_webhook::shutdown_signal();
        let server = Server::bind(config, sink).await?;
        if !quiet {
            note!(
                "receiving webhook deliveries at {} -> {described}; stop with Ctrl-C",
                server.url()
            );
        }
        let counters = tokio::spawn(print_counters_on_sigusr1(server.receiver().clone()));
        let result = server.run_until(signal).await;
        counters.abort();
        result
    });
    let snapshot = result.map_err(|e| match e {
        velip_webhook::Error::Config(c) => Failure::Usage(c.to_string()),
        velip_webhook::Error::Tls(m) => Failure::Usage(format!("--tls-cert/--tls-key: {m}")),
        other => Failure::Io(other.to_string()),
    })?;
    if !quiet {
        summary(&snapshot, totals.as_ref());
    }
    Ok(())
}

fn summary(snapshot: &MetricsSnapshot, totals: Option<&velip_webhook::StoreTotals>) {
    note!("stopped: {snapshot}");
    if let Some(t) = totals {
        note!("database: {}", t.get());
    }
}

/// SIGUSR1: the counters now, on stderr.
async fn print_counters_on_sigusr1(receiver: velip_webhook::Receiver) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut usr1) = signal(SignalKind::user_defined1()) else {
            return;
        };
        while usr1.recv().await.is_some() {
            note!("counters: {}", receiver.metrics());
        }
    }
    #[cfg(not(unix))]
    {
        let _ = receiver;
    }
}
