//! `velip-blocking`: the synchronous HTTP client of the Velip SDK, on
//! [`ureq`] 3. The Python and C bindings are built on it, so every behaviour
//! here is theirs too.
//!
//! - [`Client`] (built by [`ClientBuilder`]): get one call, find calls by
//!   correlation id, list calls with automatic paging ([`CallIter`]), one
//!   page at a time, push to a webhook.
//! - [`Error`]: one error type, classified by [`Error::kind`]
//!   ([`ErrorKind`]); [`Error::is_retryable`], HTTP status, API code and
//!   `Retry-After` are accessible.
//! - [`RetryPolicy`]: jittered exponential backoff on connection failures,
//!   timeouts and 500/502/503/504; 429 only within a maximum wait;
//!   **authentication failures are never retried** and lock the
//!   credentials out until new ones are set.
//! - [`ledger`]: the quota and lock-out ledger shared by every process of
//!   the user (a small file per service host in the state folder): asked
//!   before a request is sent, told after the answer.
//!
//! Queries, records and pages are `velip-core` types ([`velip_core::Query`],
//! [`velip_core::CallRecord`], [`velip_core::Page`]), re-exported as
//! [`core`].
//!
//! # Secrets
//!
//! The token is sent in the `Authorization` header (or the `tsid` body
//! field), never in a URL. `Debug` of the client, the builder, credentials
//! and errors never shows the token, the Basic password or a webhook
//! password; texts a server sends back are scrubbed of them before they are
//! put in an error or a log line. A token's surrounding whitespace is
//! trimmed; whitespace or control characters inside it are refused with
//! [`Error::Config`], without quoting it.
//!
//! # Logging
//!
//! Through the `log` facade, target `velip`: one `debug` line per request
//! attempt (method, path, parameters with secrets masked, status, attempt,
//! elapsed time); one `info` line per retry and wait, per authentication
//! failure and per paging error (each also returned as the error); one
//! `warn` line per request refused under the authentication lock-out (the
//! app asked for a request that is not sent).
//!
//! ```no_run
//! use std::time::Duration;
//! use velip_blocking::{Client, Error};
//! use velip_core::Query;
//!
//! let client = Client::builder()
//!     .token("your-30-character-token-here00")
//!     .timeout(Duration::from_secs(30))
//!     .build()?;
//!
//! let call = client.get_call("42_123456")?;
//! println!("{:?} {:?}", call.status, call.destination);
//!
//! let mut calls = client.list_calls(Query::builder().campaign_id(555).only_dtmf(true).build()?);
//! for call in calls.by_ref() {
//!     match call {
//!         Ok(c) => println!("{} {:?}", c.call_id, c.dtmf),
//!         Err(Error::RateLimited(e)) => { eprintln!("{e}"); break; }
//!         Err(e) => return Err(e.into()),
//!     }
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod answer;
mod client;
mod config;
mod credentials;
mod error;
pub mod ledger;
mod paging;
mod push;
mod quota;
mod retry;
mod sender;
mod transport;

pub use client::Client;
pub use config::{
    ClientBuilder, DEFAULT_BASE_URL, DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT, MAX_DURATION,
    MAX_RETRIES, env,
};
pub use credentials::Credentials;
pub use error::{ConfigError, Error, ErrorKind, NotSent, PagingError, TransportKind};
pub use paging::{CallIter, WalkCheckpoint};
pub use push::{PushWalk, PushedPage};
pub use quota::{RateLimitPolicy, WaitCallback, WaitNotice};
pub use retry::{InterruptCheck, RetryPolicy};
pub use transport::ENDPOINT_PATH;
pub use velip_core as core;

/// This crate's version, sent in the `User-Agent` as `velip/<version>`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
