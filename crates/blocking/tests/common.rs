//! Helpers shared by the integration tests (included with `mod common;`).
#![allow(dead_code, unreachable_pub, clippy::missing_panics_doc)] // test helpers: panicking is the point

use std::time::Duration;

use velip_blocking::{Client, ClientBuilder, RetryPolicy};
use velip_sandbox::{Sandbox, SandboxConfig};

/// A sandbox with `calls` generated calls.
pub fn sandbox(calls: usize) -> Sandbox {
    Sandbox::start(SandboxConfig {
        calls,
        ..Default::default()
    })
    .expect("sandbox starts")
}

/// Short backoff so retry tests are fast.
pub fn fast_retries() -> RetryPolicy {
    RetryPolicy::default().with_backoff(Duration::from_millis(10), Duration::from_millis(40))
}

/// A builder pointed at the sandbox, with its full-numbers token, no proxy,
/// fast retries and a ledger of its own (in memory).
pub fn builder(sb: &Sandbox) -> ClientBuilder {
    Client::builder()
        .ledger(velip_blocking::ledger::Ledger::in_memory())
        .base_url(sb.url())
        .token(sb.token())
        .no_proxy()
        .retry_policy(fast_retries())
        .timeout(Duration::from_secs(10))
}

/// [`builder`] without credentials (for tests that set their own).
pub fn bare_builder(sb: &Sandbox) -> ClientBuilder {
    Client::builder()
        .ledger(velip_blocking::ledger::Ledger::in_memory())
        .base_url(sb.url())
        .no_proxy()
        .retry_policy(fast_retries())
        .timeout(Duration::from_secs(10))
}

/// [`builder`], built.
pub fn client(sb: &Sandbox) -> Client {
    builder(sb).build().expect("client builds")
}

/// A list query selecting every call of the sandbox.
pub fn everything() -> velip_core::QueryBuilder {
    velip_core::Query::builder().date_range("2000-01-01", "2100-12-31")
}
