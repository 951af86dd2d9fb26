//! Walks every call of a local sandbox (runs offline), inserting calls at the
//! head while paging, and prints the walk's counters.
//!
//! ```sh
//! cargo run -p velip-blocking --example sandbox_walk
//! ```

use std::collections::HashSet;

use velip_blocking::Client;
use velip_core::Query;
use velip_sandbox::{Sandbox, SandboxConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sb = Sandbox::start(SandboxConfig {
        calls: 20_000,
        ..Default::default()
    })?;
    let client = Client::builder()
        .base_url(sb.url())
        .token(sb.masked_token())
        .no_proxy()
        .user_agent_suffix("example/sandbox_walk")
        .build()?;

    let query = Query::builder()
        .date_range("2026-10-01", "2026-11-30")
        .build()?;
    let mut calls = client.list_calls(query);
    let mut seen = HashSet::new();
    while let Some(page) = calls.next_page() {
        let page = page?;
        for call in &page.records {
            seen.insert(call.call_id.number());
        }
        // Production keeps placing calls while we page.
        sb.insert_calls(25);
    }
    println!(
        "pages: {}, calls: {} ({} distinct), duplicates skipped: {}, numbers masked: {}",
        calls.pages_fetched(),
        calls.records_yielded(),
        seen.len(),
        calls.duplicates_skipped(),
        calls.numbers_masked()
    );
    Ok(())
}
