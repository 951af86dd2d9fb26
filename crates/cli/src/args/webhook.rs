//! `velip webhook ...`: receiving the deliveries of a push.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::args::heading;

pub(crate) const LISTEN_HELP: &str = "\
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
#[command(next_help_heading = heading::RECEIVER)]
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
