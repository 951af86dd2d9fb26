//! kill -9 at any moment loses no delivery that got a 2xx: the receiver
//! runs in a child process (this test binary, in child mode), several
//! senders deliver while it is killed (SIGKILL) mid-stream, and every call whose
//! delivery was acknowledged must be in the file. Three rounds append to
//! the same file, so a restart after a kill (an unfinished last line) is
//! covered too.

mod common;

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write as _};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{agent, form, json_page, local};
use velip_webhook::{JsonLinesSink, Server};

const CHILD_ENV: &str = "VELIP_WEBHOOK_TEST_CHILD_OUT";

/// Child mode: a receiver on a free port writing to `$VELIP_WEBHOOK_TEST_CHILD_OUT`,
/// until killed. Does nothing in a normal test run.
#[test]
fn child_receiver() {
    let Ok(out) = std::env::var(CHILD_ENV) else {
        return;
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async move {
        let server = Server::bind(local(), JsonLinesSink::open(&out).unwrap())
            .await
            .unwrap();
        let mut stdout = std::io::stdout();
        writeln!(stdout, "VELIP_WEBHOOK_URL={}", server.url()).unwrap();
        stdout.flush().unwrap();
        let _ = server.run().await;
    });
}

fn spawn_child(out: &std::path::Path) -> (std::process::Child, String) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_receiver",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, out)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            // The harness prints `test child_receiver ... ` before it.
            if let Some((_, url)) = line.split_once("VELIP_WEBHOOK_URL=") {
                let _ = tx.send(url.trim().to_owned());
            }
        }
    });
    let url = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the child receiver prints its URL");
    (child, url)
}

#[test]
fn kill_9_loses_no_acknowledged_delivery() {
    if std::env::var(CHILD_ENV).is_ok() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("deliveries.jsonl");
    let mut all_acked = HashSet::new();
    for round in 0..3u64 {
        let (mut child, url) = spawn_child(&out);
        let acked = Arc::new(Mutex::new(Vec::<String>::new()));
        let count = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let senders: Vec<_> = (0..8u64)
            .map(|s| {
                let (url, acked, count, stop) = (
                    url.clone(),
                    Arc::clone(&acked),
                    Arc::clone(&count),
                    Arc::clone(&stop),
                );
                std::thread::spawn(move || {
                    let a = agent();
                    for i in 0..200_000u64 {
                        if stop.load(Ordering::Relaxed) {
                            break;
                        }
                        let base = ((round * 10 + s) * 1_000_000) + i * 10;
                        let (ids, resp) = match i % 3 {
                            0 => {
                                let ids: Vec<u64> = (base..base + 10).collect();
                                let r = a
                                    .post(&url)
                                    .header("Content-Type", "application/json")
                                    .send(json_page(&ids));
                                (ids, r)
                            }
                            1 => (
                                vec![base],
                                a.get(format!("{url}?{}", form(&[("cd_id", &base.to_string())])))
                                    .call(),
                            ),
                            _ => (
                                vec![base],
                                a.post(&url)
                                    .header("Content-Type", "application/x-www-form-urlencoded")
                                    .send(form(&[
                                        ("cd_id", &base.to_string()),
                                        ("cd_status", "OK"),
                                    ])),
                            ),
                        };
                        match resp {
                            Ok(r) if r.status() == 200 => {
                                let mut acked = acked.lock().unwrap();
                                acked.extend(ids.iter().map(u64::to_string));
                                count.fetch_add(1, Ordering::Relaxed);
                            }
                            // Refused, reset or killed: this one was not acknowledged.
                            _ => break,
                        }
                    }
                })
            })
            .collect();
        // Kill mid-stream, after a round-dependent number of acknowledged
        // deliveries (bounded wait).
        let target = 300 + 400 * usize::try_from(round).unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        while count.load(Ordering::Relaxed) < target && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        stop.store(true, Ordering::Relaxed);
        for s in senders {
            s.join().unwrap();
        }
        let acked = acked.lock().unwrap().clone();
        assert!(
            count.load(Ordering::Relaxed) >= target,
            "round {round}: only {} deliveries acknowledged",
            count.load(Ordering::Relaxed)
        );
        all_acked.extend(acked);

        // Every acknowledged call is in the file (complete lines only: an
        // unfinished last line belongs to a batch that was never acknowledged).
        let text = std::fs::read_to_string(&out).unwrap();
        let stored: HashSet<String> = text
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter_map(|v| v["call_id"].as_str().map(str::to_owned))
            .collect();
        let missing: Vec<&String> = all_acked
            .iter()
            .filter(|id| !stored.contains(*id))
            .collect();
        assert!(
            missing.is_empty(),
            "round {round}: {} acknowledged calls missing, e.g. {:?}",
            missing.len(),
            &missing[..missing.len().min(5)]
        );
    }
    // A final open repairs the file: every line is JSON.
    drop(JsonLinesSink::open(&out).unwrap());
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.ends_with('\n'));
    for l in text.lines() {
        serde_json::from_str::<serde_json::Value>(l).expect("a complete line");
    }
}
