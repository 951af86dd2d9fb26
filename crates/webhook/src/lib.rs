//! `velip-webhook`: the receiving end of Velip webhook deliveries (`rurl`).
//!
//! The service's advice is to receive final statuses by webhook instead of
//! polling. This crate is the receiver: an axum [`Router`](axum::Router) to
//! mount in any app ([`Receiver::router`]), or a whole server
//! ([`Server`], [`serve`]) with graceful stop and optional TLS.
//!
//! - **Every kind of delivery**: POST and GET, JSON pages
//!   (`rurl_type=json`, a GET's `json` parameter) and form calls, decoded by
//!   `velip-core` into the same [`CallRecord`](velip_core::CallRecord)s as
//!   a walk ([`Delivery::decode`]).
//! - **Only your sender**: HTTP Basic credentials and/or required headers
//!   (what `rurl_user`/`rurl_password` and `rurl_headers` send), compared in
//!   constant time; a mismatch is a bare 401. Secrets never reach a log.
//! - **Nothing acknowledged is lost**: a 2xx goes out only once the delivery
//!   is durable in the [`Sink`]. Deliveries that arrive together are
//!   written and synced as one batch (group commit), so throughput does
//!   not pay one `fsync` per request. [`JsonLinesSink`] appends JSON lines;
//!   `StoreSink` (feature `store`) upserts each batch by call id into the
//!   `calls` table of a `velip-store` database (SQLite or PostgreSQL) in
//!   one transaction.
//! - **Refusals with reasons**: 401, 404, 405, 413, 400 (the raw delivery
//!   kept in a rejected log), 503 when the sink fails (the sender retries).
//! - **Operable**: `/healthz`, `/metrics` (`OpenMetrics` text), one log line
//!   per delivery (call ids, size, outcome), counters at the end
//!   ([`MetricsSnapshot`]).
//!
//! ```no_run
//! # async fn run() -> Result<(), velip_webhook::Error> {
//! use velip_webhook::{JsonLinesSink, ReceiverConfig};
//! let config = ReceiverConfig::new()
//!     .bind("127.0.0.1:8080".parse().unwrap())
//!     .basic_auth("hook", "s3cret")
//!     .rejected_log("deliveries.refused.jsonl");
//! // Until SIGTERM or Ctrl-C; every acknowledged call is in the file.
//! let totals = velip_webhook::serve(config, JsonLinesSink::open("deliveries.jsonl")?).await?;
//! eprintln!("{totals}");
//! # Ok(()) }
//! ```

mod auth;
mod commit;
mod config;
mod delivery;
mod error;
mod jsonl;
mod metrics;
mod receiver;
mod rejected;
mod server;
mod sink;
#[cfg(feature = "store")]
mod store;
mod tls;

pub use config::{
    BasicAuth, DEFAULT_BIND, DEFAULT_BODY_LIMIT, DEFAULT_PATH, ReceiverConfig, RequiredHeader,
    TlsFiles,
};
pub use delivery::Delivery;
pub use error::{ConfigError, Error, SinkError};
pub use jsonl::{JsonLinesOptions, JsonLinesSink};
pub use metrics::{MetricsSnapshot, RejectReason};
pub use receiver::Receiver;
pub use server::{Server, ShutdownHandle, serve, shutdown_signal};
pub use sink::{Sink, Syncer};
#[cfg(feature = "store")]
pub use store::{StoreSink, StoreTotals};

/// This crate's version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
