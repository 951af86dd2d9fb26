//! Live mode over real HTTP: calls arriving in progress, final later, with
//! the same id; newest first throughout.

mod common;

use std::time::{Duration, Instant};

use common::{ids, post};
use serde_json::Value;
use velip_sandbox::{LiveConfig, Sandbox, SandboxConfig};

const IN_PROGRESS_ABSENT: [&str; 5] = ["time_start", "time_end", "dur", "cdr_url", "cdr_sec"];

fn live(calls_per_minute: f64, finalize_after: u64) -> Sandbox {
    Sandbox::start(SandboxConfig {
        calls: 100,
        live: LiveConfig::new(calls_per_minute, Duration::from_secs(finalize_after)).manual_clock(),
        ..Default::default()
    })
    .unwrap()
}

fn newest(sb: &Sandbox, n: usize) -> Vec<Value> {
    let n = n.to_string();
    let a = post(sb, sb.token(), &[("maxreg", n.as_str())]);
    assert_eq!(a.status, 200, "{}", a.text);
    let calls = a.calls();
    let ids = ids(&calls);
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first: {ids:?}");
    calls
}

fn lookup(sb: &Sandbox, id: u64) -> Value {
    let a = post(sb, sb.token(), &[("cd_id", &id.to_string())]);
    a.calls().into_iter().next().expect("found")
}

fn assert_in_progress(rec: &Value) {
    assert_eq!(rec["cd_status"], "", "{rec}");
    for key in IN_PROGRESS_ABSENT {
        assert!(rec.get(key).is_none(), "{key} in {rec}");
    }
}

fn assert_final(rec: &Value) {
    assert!(!rec["cd_status"].as_str().unwrap().is_empty(), "{rec}");
    for key in IN_PROGRESS_ABSENT {
        assert!(rec.get(key).is_some(), "{key} missing in {rec}");
    }
}

#[test]
fn calls_arrive_in_progress_above_the_old_ones_and_become_final_with_the_same_id() {
    // One call every 10 s, final 25 s after it arrived.
    let sb = live(6.0, 25);
    let old_newest = sb.newest_call_id();
    let before = newest(&sb, 5);
    assert_eq!(sb.call_count(), 100);
    assert!(sb.in_progress_call_ids().is_empty());

    sb.advance_clock(Duration::from_secs(10));
    let page = newest(&sb, 6);
    let first = page[0]["cd_id"].as_u64().unwrap();
    assert!(first > old_newest);
    assert_in_progress(&page[0]);
    assert_eq!(page[1..], before[..], "the old calls follow unchanged");
    assert_eq!(sb.in_progress_call_ids(), [first]);

    sb.advance_clock(Duration::from_secs(20)); // t = 30 s: arrivals at 20 s and 30 s
    let page = newest(&sb, 4);
    assert_eq!(page[2]["cd_id"], first);
    for rec in &page[..3] {
        assert_in_progress(rec);
    }
    assert_eq!(sb.call_count(), 103);

    sb.advance_clock(Duration::from_secs(5)); // t = 35 s: the first is final (10 + 25)
    let rec = lookup(&sb, first);
    assert_final(&rec);
    assert_eq!(rec["cd_id"], first);
    let page = newest(&sb, 3);
    assert_in_progress(&page[0]);
    assert_in_progress(&page[1]);
    assert_final(&page[2]);
    assert_eq!(sb.in_progress_call_ids().len(), 2);

    // Much later (t = 635 s: 63 arrivals) the head kept growing and only
    // the last 25 s of arrivals are still in progress.
    sb.advance_clock(Duration::from_secs(600));
    assert_eq!(sb.call_count(), 100 + 63);
    let page = newest(&sb, 70);
    assert!(page[2..].iter().all(|r| r["cd_status"] != ""));
    assert_eq!(
        sb.in_progress_call_ids().len(),
        2,
        "the last 25 s of arrivals"
    );
}

#[test]
fn hooks_insert_in_progress_calls_and_finalize_them_now() {
    let sb = Sandbox::start(SandboxConfig {
        calls: 30,
        live: LiveConfig {
            finalize_after: None,
            ..LiveConfig::default().manual_clock()
        },
        ..Default::default()
    })
    .unwrap();
    let ids_new = sb.insert_in_progress_calls(3);
    assert_eq!(ids_new.len(), 3);
    assert!(ids_new.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(sb.in_progress_call_ids(), ids_new);
    sb.advance_clock(Duration::from_secs(86_400));
    assert_eq!(sb.in_progress_call_ids(), ids_new, "never final by itself");
    for &id in &ids_new {
        assert_in_progress(&lookup(&sb, id));
    }
    // In-progress calls have no DTMF answers yet.
    let dtmf = post(&sb, sb.token(), &[("onlydtmf", "1"), ("maxreg", "100")]);
    assert!(ids(&dtmf.calls()).iter().all(|id| !ids_new.contains(id)));

    assert_eq!(sb.finalize_calls(&[ids_new[1], 42]), 1);
    assert_final(&lookup(&sb, ids_new[1]));
    assert_in_progress(&lookup(&sb, ids_new[0]));
    assert_eq!(sb.in_progress_call_ids(), [ids_new[0], ids_new[2]]);
    assert_eq!(sb.finalize_calls(&ids_new), 2);
    assert!(sb.in_progress_call_ids().is_empty());
    // Final calls inserted by the older hook never show as in progress.
    let done = sb.insert_calls(1)[0];
    assert_final(&lookup(&sb, done));
}

#[test]
fn set_live_starts_arrivals_at_runtime_and_real_time_drives_them() {
    let sb = Sandbox::start(SandboxConfig {
        calls: 10,
        ..Default::default()
    })
    .unwrap();
    sb.advance_clock(Duration::from_secs(3600));
    assert_eq!(sb.call_count(), 10, "live mode is off by default");
    // 1200 calls a minute of real time: one every 50 ms.
    sb.set_live(LiveConfig::new(1200.0, Duration::from_secs(3600)));
    let deadline = Instant::now() + Duration::from_secs(10);
    while sb.call_count() < 12 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(sb.call_count() >= 12, "calls arrive with real time");
    let page = newest(&sb, 2);
    assert_in_progress(&page[0]);
    sb.set_live(LiveConfig::default());
    let n = sb.call_count();
    sb.advance_clock(Duration::from_secs(60));
    assert_eq!(sb.call_count(), n, "rate 0 stops arrivals");
    assert!(
        !sb.in_progress_call_ids().is_empty(),
        "pending calls keep their deadline"
    );
    sb.advance_clock(Duration::from_secs(3600));
    assert!(sb.in_progress_call_ids().is_empty(), "and reach it");
}

#[test]
fn binary_live_flags() {
    use std::io::{BufRead as _, BufReader};
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_velip-sandbox"))
        .args([
            "--calls",
            "10",
            "--live-rate",
            "1200",
            "--live-finalize-after",
            "3600",
            "--exit-on-stdin-eof",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = lines.next().unwrap().unwrap();
    let endpoint = format!(
        "{}/api/v2/GetCallStatus.php",
        url.strip_prefix("VELIP_SANDBOX_URL=").unwrap()
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut seen_in_progress = false;
    while !seen_in_progress && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
        let text = common::agent()
            .post(&endpoint)
            .header(
                "Authorization",
                format!("Bearer {}", velip_sandbox::DEFAULT_TOKEN),
            )
            .send_form([("maxreg", "1")])
            .unwrap()
            .into_body()
            .read_to_string()
            .unwrap();
        let j: Value = serde_json::from_str(&text).unwrap();
        seen_in_progress = j["calls"][0]["cd_status"] == "";
    }
    assert!(seen_in_progress);
    drop(child.stdin.take());
    assert!(child.wait().unwrap().success());
    let bad = Command::new(env!("CARGO_BIN_EXE_velip-sandbox"))
        .args(["--live-rate", "-1"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}
