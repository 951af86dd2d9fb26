//! Throughput of the sandbox (ignored by default). Run with:
//! `cargo test -p velip-sandbox --release --test bench -- --ignored --nocapture`

mod common;

use std::time::Instant;

use common::agent;
use velip_sandbox::{Sandbox, SandboxConfig};

fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}

#[test]
#[ignore = "benchmark"]
fn serve_5000_record_pages() {
    let rss0 = rss_mib();
    for calls in [200_000usize, 1_000_000] {
        let t = Instant::now();
        let sb = Sandbox::start(SandboxConfig {
            calls,
            ..Default::default()
        })
        .unwrap();
        println!(
            "start-up with {calls} calls: {:?} (RSS {:.0} MiB, +{:.0} MiB)",
            t.elapsed(),
            rss_mib(),
            rss_mib() - rss0
        );
        drop(sb);
    }

    let sb = Sandbox::start(SandboxConfig {
        calls: 1_000_000,
        ..Default::default()
    })
    .unwrap();
    let client = agent();
    let mut records = 0usize;
    let mut bytes = 0usize;
    let mut cursor: Option<String> = None;
    let t = Instant::now();
    for _ in 0..100 {
        let mut form = vec![("maxreg".to_owned(), "5000".to_owned())];
        if let Some(c) = &cursor {
            form.push(("last_id".to_owned(), c.clone()));
        }
        let mut resp = client
            .post(sb.endpoint())
            .header("Authorization", format!("Bearer {}", sb.masked_token()))
            .send_form(form.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .unwrap();
        let body = resp
            .body_mut()
            .with_config()
            .limit(64 << 20)
            .read_to_vec()
            .unwrap();
        bytes += body.len();
        let next = {
            // Only the cursor is needed; a full parse would measure the client.
            let s = std::str::from_utf8(&body[..200.min(body.len())]).unwrap();
            let at = s.find("\"next_id\":").unwrap() + 10;
            s[at..].split([',', '}']).next().unwrap().to_owned()
        };
        records += 5000;
        cursor = Some(next);
    }
    let secs = t.elapsed().as_secs_f64();
    #[allow(clippy::cast_precision_loss)]
    let (rps, mbps) = (records as f64 / secs, bytes as f64 / secs / 1e6);
    println!(
        "served {records} records in {secs:.2} s: {rps:.0} records/s ({mbps:.1} MB/s, masked, 1M-call store, 1 client)"
    );
}
