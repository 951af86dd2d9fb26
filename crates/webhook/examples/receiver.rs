//! A webhook receiver writing JSON lines, for trying the crate and for the
//! kill -9 test: prints `VELIP_WEBHOOK_URL=...` on stdout once listening,
//! then runs until SIGTERM or Ctrl-C and prints the counters on stderr.
//!
//! ```sh
//! cargo run -p velip-webhook --example receiver -- --out deliveries.jsonl \
//!     --bind 127.0.0.1:8080 --user hook --password s3cret --require-header 'X-Velip-Key: k1'
//! ```

use std::io::Write as _;
use std::path::PathBuf;

use clap::Parser;

/// mimalloc, as the Python extension uses: many small short-lived
/// allocations per request.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use velip_webhook::{JsonLinesSink, ReceiverConfig, Server};

/// Receive Velip webhook deliveries into a JSON-lines file.
#[derive(Parser)]
struct Args {
    /// JSON-lines file to append to (`-` = standard output).
    #[arg(long, default_value = "deliveries.jsonl")]
    out: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    bind: std::net::SocketAddr,
    /// Webhook path.
    #[arg(long, default_value = velip_webhook::DEFAULT_PATH)]
    path: String,
    /// Basic user required.
    #[arg(long, requires = "password")]
    user: Option<String>,
    /// Basic password required.
    #[arg(long, env = "VELIP_WEBHOOK_PASSWORD", hide_env_values = true)]
    password: Option<String>,
    /// Required header, `Name: value` (repeatable).
    #[arg(long = "require-header")]
    require_header: Vec<String>,
    /// Where undecodable deliveries are kept.
    #[arg(long)]
    rejected_log: Option<PathBuf>,
    /// TLS certificate (PEM).
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Body limit, bytes.
    #[arg(long)]
    body_limit: Option<usize>,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let args = Args::parse();
    let mut config = ReceiverConfig::new().bind(args.bind).path(&args.path);
    if let (Some(user), Some(password)) = (args.user, args.password) {
        config = config.basic_auth(user, password);
    }
    for line in &args.require_header {
        config = config.require_header(line)?;
    }
    if let Some(p) = args.rejected_log {
        config = config.rejected_log(p);
    }
    if let (Some(cert), Some(key)) = (args.tls_cert, args.tls_key) {
        config = config.tls(cert, key);
    }
    if let Some(limit) = args.body_limit {
        config = config.body_limit(limit);
    }
    let sink = if args.out.as_os_str() == "-" {
        JsonLinesSink::stdout()
    } else {
        JsonLinesSink::open(&args.out)?
    };
    let runtime = tokio::runtime::Runtime::new()?;
    let totals = runtime.block_on(async {
        let signal = velip_webhook::shutdown_signal();
        let server = Server::bind(config, sink).await?;
        println!("VELIP_WEBHOOK_URL={}", server.url());
        std::io::stdout().flush()?;
        server
            .run_until(signal)
            .await
            .map_err(Box::<dyn std::error::Error>::from)
    })?;
    eprintln!("{totals}");
    Ok(())
}
