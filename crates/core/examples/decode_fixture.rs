//! Decode a saved GetCallStatus answer and print its records.
//!
//! ```sh
//! cargo run -p velip-core --example decode_fixture -- tests/fixtures/list_all_strings.json
//! ```

use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: decode_fixture <FILE>");
        return ExitCode::from(2);
    };
    let body = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: cannot read {path}: {e}");
            return ExitCode::FAILURE;
        }
    };
    match velip_core::decode::decode_page(&body) {
        Ok(page) => {
            for r in &page.records {
                let line = serde_json::to_string(r).expect("records serialize");
                println!("{line}");
            }
            eprintln!(
                "{} record(s); has_more={}, next cursor={:?}, numbers_masked={}",
                page.records.len(),
                page.has_more(),
                page.next_cursor().map(velip_core::Cursor::as_str),
                page.numbers_masked
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
