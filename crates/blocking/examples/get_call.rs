//! Looks up one call on the real service (or any compatible base URL).
//!
//! ```sh
//! VELIP_TOKEN=... VELIP_CALL_ID=42_123456 cargo run -p velip-blocking --example get_call
//! # optional: VELIP_BASE_URL=http://127.0.0.1:8080  (e.g. `velip-sandbox` running locally)
//! ```
//!
//! Logs go to stderr at `debug` level when `VELIP_LOG=1` (secrets masked).

use velip_blocking::{Client, DEFAULT_BASE_URL, Error};

struct Stderr;

impl log::Log for Stderr {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, r: &log::Record<'_>) {
        eprintln!("[{} {}] {}", r.level(), r.target(), r.args());
    }
    fn flush(&self) {}
}

fn main() {
    if std::env::var_os("VELIP_LOG").is_some() && log::set_logger(&Stderr).is_ok() {
        log::set_max_level(log::LevelFilter::Debug);
    }
    let (Ok(token), Ok(call_id)) = (std::env::var("VELIP_TOKEN"), std::env::var("VELIP_CALL_ID"))
    else {
        eprintln!("set VELIP_TOKEN and VELIP_CALL_ID (and optionally VELIP_BASE_URL)");
        std::process::exit(2);
    };
    let base = std::env::var("VELIP_BASE_URL").unwrap_or_else(|_| DEFAULT_BASE_URL.to_owned());
    let client = match Client::builder().base_url(base).token(token).build() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    match client.get_call(&call_id) {
        Ok(call) => println!(
            "{}: status {:?}, destination {:?}, duration {:?} s, DTMF {:?}",
            call.call_id,
            call.status.map(|s| s.to_string()),
            call.destination.map(|d| d.to_string()),
            call.duration_seconds,
            call.dtmf
        ),
        Err(e @ Error::Authentication(_)) => {
            eprintln!("{e}\n(not retried: repeated failures get your IP banned)");
            std::process::exit(1);
        }
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}
