//! `velip webhook listen`: receive the service's webhook deliveries (`rurl`)
//! into JSON lines or the `calls` table of a database, until Ctrl-C.
//!
//! Translation only: the receiver, its checks and its durability are
//! `velip-webhook`'s; the upserts are `velip-store`'s.

use std::path::Path;

use velip_webhook::{JsonLinesSink, MetricsSnapshot, ReceiverConfig, Server, Sink, StoreSink};

use crate::args::Global;
use crate::args::webhook::{ListenArgs, WebhookCommand};
use crate::exit::Failure;

/// Basic user the deliveries must carry, when `--user` is not given.
const ENV_USER: &str = "VELIP_WEBHOOK_USER";
/// Basic password the deliveries must carry, when `--password` is not given.
const ENV_PASSWORD: &str = "VELIP_WEBHOOK_PASSWORD";

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
