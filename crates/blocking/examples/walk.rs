//! Walks every call of a date range on a running service (or sandbox) and
//! prints records/s as one JSON line: the Rust baseline of the benchmarks.
//!
//! ```sh
//! cargo run --release -p velip-blocking --example walk -- URL TOKEN [DATE_START DATE_END]
//! ```

use std::time::Instant;

use velip_blocking::Client;
use velip_core::Query;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, token, rest @ ..] = args.as_slice() else {
        eprintln!("usage: walk URL TOKEN [DATE_START DATE_END]");
        std::process::exit(2);
    };
    let start = rest.first().map_or("2000-01-01", String::as_str);
    let end = rest.get(1).map_or("2100-12-31", String::as_str);
    let client = Client::builder()
        .base_url(url)
        .token(token.as_str())
        .no_proxy()
        .build()?;
    let query = Query::builder()
        .date_range(start, end)
        .page_size(5000)
        .build()?;
    let t0 = Instant::now();
    let mut n: u64 = 0;
    let mut touched = 0usize;
    for call in client.list_calls(query) {
        let call = call?;
        // The same four fields as the Python and C walks, as text (what
        // the C API hands out).
        let id = call.call_id.to_string();
        let status = call.status.as_ref().map(ToString::to_string);
        let value = call.value.map(|v| v.to_string());
        let date = call.date.map(|d| d.to_string());
        touched += usize::from(!id.is_empty())
            + usize::from(status.is_some())
            + usize::from(value.is_some())
            + usize::from(date.is_some());
        n += 1;
    }
    let secs = t0.elapsed().as_secs_f64();
    #[allow(clippy::cast_precision_loss)] // a rate for humans
    let rate = n as f64 / secs;
    let line = serde_json::json!({
        "client": "rust",
        "records": n,
        "seconds": secs,
        "records_per_s": rate.round(),
        "touched": touched,
    });
    println!("{line}");
    Ok(())
}
