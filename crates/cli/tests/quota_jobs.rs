//! The quota ledger from the command line, across processes: cron runs with
//! a revoked token send one request in all; exports wait for the quota and
//! share it; `velip quota`, `velip auth reset`; a corrupt or read-only
//! state folder never blocks a job; no secret in the ledger files.

use std::collections::HashSet;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use velip_sandbox::{LimitsConfig, Sandbox, SandboxConfig};

const BIN: &str = env!("CARGO_BIN_EXE_velip");
const BAD_TOKEN: &str = "REVOKED000token0that0was0valid";

fn sandbox(calls: usize, limits: LimitsConfig) -> Sandbox {
    Sandbox::start(SandboxConfig {
        calls,
        limits,
        ..SandboxConfig::default()
    })
    .expect("sandbox starts")
}

fn command(sb: &Sandbox, state: &Path, token: &str, args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args(["--base-url", sb.url(), "--retries", "0", "--timeout", "10"])
        .args(args)
        .env("VELIP_TOKEN", token)
        .env("VELIP_STATE_DIR", state)
        .env_remove("VELIP_BASE_URL");
    c
}

fn run(sb: &Sandbox, state: &Path, token: &str, args: &[&str]) -> Output {
    command(sb, state, token, args)
        .output()
        .expect("velip runs")
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn sixteen_cron_runs_with_a_revoked_token_send_one_request() {
    let sb = sandbox(200, LimitsConfig::generous());
    let state = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("calls.csv");
    for run_n in 1..=16 {
        let o = run(
            &sb,
            state.path(),
            BAD_TOKEN,
            &[
                "calls",
                "export",
                "--date-start",
                "2026-11-01",
                "--date-end",
                "2026-11-20",
                "--out",
                out.to_str().unwrap(),
                "--resume",
            ],
        );
        assert_eq!(code(&o), 4, "run {run_n}: {}", stderr(&o));
        if run_n > 1 {
            assert!(
                stderr(&o).contains("not sent: these credentials failed authentication"),
                "{}",
                stderr(&o)
            );
            assert!(stderr(&o).contains("velip auth reset"), "{}", stderr(&o));
        }
    }
    assert_eq!(sb.request_log().len(), 1, "one request in sixteen runs");
    assert_eq!(sb.local_client_status().recent_failures, 1);

    // `velip quota` shows the lock-out; another token is not locked.
    let o = run(&sb, state.path(), BAD_TOKEN, &["quota"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains("locked out    since"), "{}", stdout(&o));
    let o = run(
        &sb,
        state.path(),
        sb.token(),
        &["calls", "list", "--campaign-id", "1007", "--limit", "1"],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));

    // Cleared with `velip auth reset`: the next run tries (and fails) once.
    let o = run(&sb, state.path(), BAD_TOKEN, &["auth", "reset"]);
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).contains("lock-out cleared"), "{}", stdout(&o));
    let o = run(
        &sb,
        state.path(),
        BAD_TOKEN,
        &["calls", "list", "--campaign-id", "1007"],
    );
    assert_eq!(code(&o), 4);
    assert_eq!(sb.request_log().len(), 3);

    // No secret, not even its first ten characters, in the state folder.
    for f in files(state.path()) {
        let text = String::from_utf8_lossy(&std::fs::read(&f).unwrap()).into_owned();
        for secret in [BAD_TOKEN, &BAD_TOKEN[..10], sb.token(), &sb.token()[..10]] {
            assert!(!text.contains(secret), "{} holds a secret", f.display());
        }
    }
}

/// Two exports at once, in two processes, share the quota: together never
/// more than the quota in any window; both complete; no row lost or twice.
#[test]
fn two_exports_share_the_quota_and_get_no_429() {
    let window = Duration::from_secs(2);
    let sb = sandbox(
        1_600,
        LimitsConfig {
            list_requests: 6,
            list_window: window,
            ..LimitsConfig::generous()
        },
    );
    let state = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let spawn = |name: &str, campaign_range: (&str, &str)| {
        let out = dir.path().join(name);
        let child = command(
            &sb,
            state.path(),
            sb.token(),
            &[
                "--list-quota",
                "6",
                "--list-window",
                "2",
                "calls",
                "export",
                "--date-start",
                campaign_range.0,
                "--date-end",
                campaign_range.1,
                "--page-size",
                "100",
                "--out",
                out.to_str().unwrap(),
            ],
        )
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
        (out, child)
    };
    let started = Instant::now();
    let (a_out, a) = spawn("a.jsonl", ("2000-01-01", "2026-11-10"));
    let (b_out, b) = spawn("b.jsonl", ("2026-11-11", "2100-12-31"));
    for (name, child) in [("a", a), ("b", b)] {
        let o = child.wait_with_output().unwrap();
        assert_eq!(code(&o), 0, "{name}: {}", stderr(&o));
    }
    assert!(started.elapsed() < Duration::from_secs(60));
    let log = sb.request_log();
    assert!(log.iter().all(|r| r.status == 200), "no 429");
    // Never more than the quota in any window (the sandbox counted them).
    let mut ids = HashSet::new();
    let mut rows = 0;
    for out in [a_out, b_out] {
        for line in std::fs::read_to_string(out).unwrap().lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            ids.insert(v["call_id"].as_str().unwrap().to_owned());
            rows += 1;
        }
    }
    assert_eq!(rows, ids.len(), "no row twice");
    assert_eq!(ids.len(), 1_600, "no row lost");
}

#[test]
fn fail_fast_with_no_wait_and_a_budget() {
    let sb = sandbox(
        1_000,
        LimitsConfig {
            list_requests: 2,
            list_window: Duration::from_secs(3600),
            ..LimitsConfig::generous()
        },
    );
    let state = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("calls.csv");
    let args = |extra: &[&'static str]| {
        let mut a: Vec<String> = ["--list-quota", "2"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        a.extend(extra.iter().map(|s| (*s).to_owned()));
        a.extend(
            [
                "calls",
                "export",
                "--date-start",
                "2000-01-01",
                "--date-end",
                "2100-12-31",
                "--page-size",
                "100",
                "--out",
                out.to_str().unwrap(),
                "--resume",
            ]
            .iter()
            .map(|s| (*s).to_owned()),
        );
        a
    };
    let no_wait = args(&["--no-wait"]);
    let o = run(
        &sb,
        state.path(),
        sb.token(),
        &no_wait.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    assert_eq!(code(&o), 6, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("not sent: quota of list requests used (2/2)"),
        "{}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains("2 requests; 2 of 2 list requests used this hour"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        sb.request_log().len(),
        2,
        "the refused request was not sent"
    );

    let sb = sandbox(1_000, LimitsConfig::generous());
    let out2 = dir.path().join("budget.csv");
    let o = run(
        &sb,
        state.path(),
        sb.token(),
        &[
            "--max-requests",
            "3",
            "calls",
            "export",
            "--date-start",
            "2000-01-01",
            "--date-end",
            "2100-12-31",
            "--page-size",
            "100",
            "--out",
            out2.to_str().unwrap(),
        ],
    );
    assert_eq!(code(&o), 13, "{}", stderr(&o));
    assert_eq!(sb.request_log().len(), 3);
    let o = run(
        &sb,
        state.path(),
        sb.token(),
        &[
            "calls",
            "export",
            "--date-start",
            "2000-01-01",
            "--date-end",
            "2100-12-31",
            "--page-size",
            "100",
            "--out",
            out2.to_str().unwrap(),
            "--resume",
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
}

#[cfg(unix)]
#[test]
fn ctrl_c_during_a_quota_wait_stops_at_once_and_resume_continues() {
    let sb = sandbox(
        300,
        LimitsConfig {
            list_requests: 1,
            list_window: Duration::from_secs(3600),
            ..LimitsConfig::generous()
        },
    );
    let state = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("calls.csv");
    let child = command(
        &sb,
        state.path(),
        sb.token(),
        &[
            "--list-quota",
            "1",
            "calls",
            "export",
            "--date-start",
            "2000-01-01",
            "--date-end",
            "2100-12-31",
            "--page-size",
            "100",
            "--out",
            out.to_str().unwrap(),
        ],
    )
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    // The first page goes; the second waits (up to an hour).
    let t = Instant::now();
    while sb.request_log().is_empty() && t.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(500));
    let pid = child.id().to_string();
    let stopped = Instant::now();
    Command::new("kill").args(["-INT", &pid]).status().unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(
        stopped.elapsed() < Duration::from_secs(3),
        "{:?}",
        stopped.elapsed()
    );
    assert_eq!(code(&o), 130, "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("waiting") && err.contains("Ctrl-C stops, --resume continues"),
        "{err}"
    );
    assert_eq!(sb.request_log().len(), 1);
    assert!(dir.path().join("calls.csv.checkpoint.json").exists());
}

#[test]
fn a_corrupt_or_unwritable_state_folder_never_blocks_a_job() {
    let sb = sandbox(200, LimitsConfig::generous());
    let state = tempfile::tempdir().unwrap();
    // A first run makes the folder; then every ledger file is garbage.
    let o = run(
        &sb,
        state.path(),
        sb.token(),
        &["calls", "list", "--campaign-id", "1007", "--limit", "1"],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    for f in files(state.path()) {
        std::fs::write(&f, b"\x00{{ not json").unwrap();
    }
    let o = run(
        &sb,
        state.path(),
        sb.token(),
        &[
            "-v",
            "calls",
            "list",
            "--campaign-id",
            "1007",
            "--limit",
            "1",
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    // A state folder that is a file (cannot be made or written).
    let file = state.path().join("not-a-folder");
    std::fs::write(&file, b"x").unwrap();
    let o = run(
        &sb,
        &file,
        sb.token(),
        &["calls", "list", "--campaign-id", "1007", "--limit", "1"],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    // Off: nothing is written.
    let o = Command::new(BIN)
        .args(["--base-url", sb.url(), "quota"])
        .env("VELIP_TOKEN", sb.token())
        .env("VELIP_STATE_DIR", "off")
        .output()
        .unwrap();
    assert!(
        stdout(&o).contains("the quota ledger is off"),
        "{}",
        stdout(&o)
    );
}
