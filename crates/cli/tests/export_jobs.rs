//! Exports as jobs: every failure kind, then `--resume`, gives exactly the
//! selection (no gap, no duplicate); bad records are kept, not fatal; the
//! output place is checked before any request.

use std::collections::HashSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use velip_sandbox::{Fault, FaultPlan, RecordRef, RetryAfter};

mod common;

use common::{BIN, CALLS, code, command, export_args, run, sandbox, stderr};

/// The call ids of an exported file (CSV or JSON lines), every row.
fn ids(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    if path.extension().is_some_and(|e| e == "jsonl") {
        text.lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                v["call_id"].as_str().unwrap().to_owned()
            })
            .collect()
    } else {
        let mut r = csv::Reader::from_reader(text.as_bytes());
        r.records().map(|r| r.unwrap()[0].to_owned()).collect()
    }
}

fn assert_exactly_the_selection(path: &Path, what: &str) {
    let all = ids(path);
    let unique: HashSet<&String> = all.iter().collect();
    assert_eq!(unique.len(), all.len(), "{what}: no duplicate row");
    assert_eq!(all.len(), CALLS, "{what}: the whole selection");
}

#[test]
fn every_failure_then_resume_gives_exactly_the_selection() {
    // (what, fault, the exit code of the failed run)
    let cases: Vec<(&str, FaultPlan, i32)> = vec![
        (
            "reset",
            FaultPlan::new().on_request(4, Fault::ConnectionReset),
            9,
        ),
        (
            "503",
            FaultPlan::new().on_request(4, Fault::ServiceUnavailable),
            8,
        ),
        (
            "429",
            // With --retries 0 the export stops on it; the resume waits
            // out the Retry-After the ledger remembers (2 s).
            FaultPlan::new().on_request(4, Fault::RateLimited(RetryAfter::Seconds(2))),
            6,
        ),
        (
            "bad json",
            FaultPlan::new().on_request(4, Fault::InvalidJson),
            10,
        ),
        // A body cut short of its Content-Length is a transport failure.
        (
            "truncated",
            FaultPlan::new().on_request(4, Fault::TruncatedBody),
            9,
        ),
        (
            "cursor cycle",
            FaultPlan::new().on_request(4, Fault::StuckCursor),
            11,
        ),
        (
            "no next_id",
            FaultPlan::new().on_request(4, Fault::EmptyNextId),
            11,
        ),
        (
            "no pagination",
            FaultPlan::new().on_request(4, Fault::NoPagination),
            11,
        ),
        (
            "no has_more",
            FaultPlan::new().on_request(4, Fault::NoHasMore),
            11,
        ),
        (
            "fresh cursor",
            FaultPlan::new().from_request(4, Fault::FreshCursor),
            11,
        ),
    ];
    for ext in ["csv", "jsonl"] {
        for (what, plan, exit) in &cases {
            let sb = sandbox();
            let dir = tempfile::tempdir().unwrap();
            let out = dir.path().join(format!("calls.{ext}"));
            let out_s = out.to_str().unwrap();
            sb.set_faults(plan.clone());
            let o = run(&sb, dir.path(), &export_args(out_s, &[]));
            assert_eq!(code(&o), *exit, "{what} ({ext}): {}", stderr(&o));
            assert!(!out.exists(), "{what}: renamed only on success");
            assert!(stderr(&o).contains("--resume"), "{what}: {}", stderr(&o));
            sb.set_faults(FaultPlan::new());
            let o = run(&sb, dir.path(), &export_args(out_s, &["--resume"]));
            assert_eq!(code(&o), 0, "{what} ({ext}) resumed: {}", stderr(&o));
            assert_exactly_the_selection(&out, &format!("{what} ({ext})"));
            assert!(
                !dir.path()
                    .join(format!("calls.{ext}.checkpoint.json"))
                    .exists()
            );
        }
    }
}

#[test]
fn killed_at_any_point_then_resumed_gives_exactly_the_selection() {
    let sb = sandbox();
    // Slow pages, so that the export can be killed mid-way.
    sb.set_faults(FaultPlan::new().always(Fault::DelayHeaders(Duration::from_millis(40))));
    for (i, kill_after) in [150u64, 330, 520, 700].iter().enumerate() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("calls.jsonl");
        let out_s = out.to_str().unwrap();
        let mut child = command(&sb, dir.path(), &export_args(out_s, &[]))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(*kill_after));
        child.kill().unwrap(); // SIGKILL: no cleanup of any kind
        child.wait().unwrap();
        // The second run may find a checkpoint (resumed) or none (killed
        // before the first one was written, or after the end).
        let t = Instant::now();
        let o = run(&sb, dir.path(), &export_args(out_s, &["--resume"]));
        assert_eq!(code(&o), 0, "kill {i}: {}", stderr(&o));
        assert!(t.elapsed() < Duration::from_secs(60));
        assert_exactly_the_selection(&out, &format!("killed after {kill_after} ms"));
    }
}

#[test]
fn bad_records_are_kept_with_their_problems() {
    let sb = sandbox();
    // A call of the third page.
    let dir = tempfile::tempdir().unwrap();
    let listed = run(
        &sb,
        dir.path(),
        &[
            "calls",
            "list",
            "--date-start",
            "2000-01-01",
            "--date-end",
            "2100-12-31",
            "--format",
            "jsonl",
            "--limit",
            "251",
        ],
    );
    let last = String::from_utf8(listed.stdout)
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .to_owned();
    let bad: u64 = serde_json::from_str::<serde_json::Value>(&last).unwrap()["call_id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    sb.reset();
    sb.set_faults(
        FaultPlan::new()
            .always(Fault::bad_field(RecordRef::Id(bad), "date", "\"2026-02-30\"").unwrap())
            .always(Fault::NoCallId(RecordRef::Position(7))),
    );
    let out = dir.path().join("calls.csv");
    let o = run(&sb, dir.path(), &export_args(out.to_str().unwrap(), &[]));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("1 records have fields that could not be read"),
        "{err}"
    );
    assert!(
        err.contains("12 entries without a readable call id"),
        "{err}"
    );
    let mut r = csv::Reader::from_path(&out).unwrap();
    let headers = r.headers().unwrap().clone();
    let problems_col = headers.iter().position(|h| h == "problems").unwrap();
    let date_col = headers.iter().position(|h| h == "date").unwrap();
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), CALLS - 12);
    let bad_row = rows.iter().find(|r| r[0] == bad.to_string()).unwrap();
    assert_eq!(&bad_row[date_col], "");
    assert!(bad_row[problems_col].contains("2026-02-30"), "{bad_row:?}");
    let rejected = std::fs::read_to_string(dir.path().join("calls.csv.rejected.jsonl")).unwrap();
    assert_eq!(rejected.lines().count(), 12);
    // --strict keeps the old behaviour: the page is refused.
    let out2 = dir.path().join("strict.csv");
    let o = run(
        &sb,
        dir.path(),
        &["--strict"]
            .iter()
            .chain(export_args(out2.to_str().unwrap(), &[]).iter())
            .copied()
            .collect::<Vec<_>>(),
    );
    assert_eq!(code(&o), 10, "{}", stderr(&o));
}

#[test]
fn the_output_place_is_checked_before_any_request() {
    let sb = sandbox();
    let dir = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no/such/folder/calls.csv");
    let folder = dir.path().to_str().unwrap().to_owned();
    let cases = [
        (folder.clone(), "is a folder"),
        (".".to_owned(), "is a folder"),
        (format!("{folder}/"), "is a folder"),
        (missing.to_str().unwrap().to_owned(), "does not exist"),
        ("-".to_owned(), "standard output"),
    ];
    for (out, says) in cases {
        let o = run(&sb, state.path(), &export_args(&out, &["--format", "csv"]));
        assert_eq!(code(&o), 2, "{out}: {}", stderr(&o));
        assert!(stderr(&o).contains(says), "{out}: {}", stderr(&o));
    }
    assert!(sb.request_log().is_empty(), "nothing sent");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "nothing left behind"
    );
}

#[test]
fn resume_starts_fresh_without_a_checkpoint_and_restart_discards_one() {
    let sb = sandbox();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("calls.csv");
    let out_s = out.to_str().unwrap();
    // --resume with nothing to resume: a new export (cron-friendly).
    let o = run(&sb, dir.path(), &export_args(out_s, &["--resume"]));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_exactly_the_selection(&out, "fresh --resume");
    // A checkpoint of another selection is refused, naming the filter.
    sb.set_faults(FaultPlan::new().on_request(2, Fault::ConnectionReset));
    let o = run(&sb, dir.path(), &export_args(out_s, &[]));
    assert_eq!(code(&o), 9);
    sb.set_faults(FaultPlan::new());
    let mut other = export_args(out_s, &["--resume"]);
    other[3] = "2026-11-01";
    let o = run(&sb, dir.path(), &other);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("date_start: 2026-11-01 now, 2000-01-01 in the checkpoint"),
        "{}",
        stderr(&o)
    );
    let o = run(&sb, dir.path(), &export_args(out_s, &["--restart"]));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_exactly_the_selection(&out, "restarted");
}

/// The page size says how a selection is paged, not which calls: a resume
/// with another `--page-size` continues the same export, every call once.
#[test]
fn a_resume_may_change_the_page_size() {
    let sb = sandbox();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("calls.jsonl");
    let out_s = out.to_str().unwrap();
    sb.set_faults(FaultPlan::new().on_request(3, Fault::ConnectionReset));
    let o = run(&sb, dir.path(), &export_args(out_s, &[]));
    assert_eq!(code(&o), 9, "{}", stderr(&o));
    sb.set_faults(FaultPlan::new());
    let mut bigger = export_args(out_s, &["--resume"]);
    bigger[7] = "250";
    let o = run(&sb, dir.path(), &bigger);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stderr(&o).contains("resuming"), "{}", stderr(&o));
    assert_exactly_the_selection(&out, "resumed with page size 250");
}

#[test]
fn decode_form_reads_one_delivery_per_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("deliveries.txt");
    std::fs::write(
        &file,
        "cd_id=1&cd_status=OK&value=0%2C050\ncd_id=2&cd_status=BUSY\n\n?cd_id=3&dur=7\ncd_status=OK\n",
    )
    .unwrap();
    let o = Command::new(BIN)
        .args(["decode", "--form", file.to_str().unwrap()])
        .output()
        .unwrap();
    let out = String::from_utf8(o.stdout.clone()).unwrap();
    let ids: Vec<String> = out
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["call_id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(ids, ["1", "2", "3"], "never mixed into one record");
    assert_eq!(code(&o), 10, "the bad line is reported: {}", stderr(&o));
    assert!(stderr(&o).contains("line 5"), "{}", stderr(&o));
}

/// `--out` naming a pipe is refused (renaming the export into place would
/// replace it with a file, as it would `/dev/null`); a symbolic link is
/// followed and kept.
#[cfg(unix)]
#[test]
fn the_output_is_never_a_device_or_pipe_and_a_link_is_written_through() {
    let sb = sandbox();
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo.csv");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let o = run(&sb, dir.path(), &export_args(fifo.to_str().unwrap(), &[]));
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("is not a regular file"),
        "{}",
        stderr(&o)
    );
    assert!(sb.request_log().is_empty(), "nothing sent");
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo()
    );
    let o = run(&sb, dir.path(), &export_args("/dev/null", &[]));
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(sb.request_log().is_empty(), "nothing sent");

    let real = dir.path().join("real");
    std::fs::create_dir(&real).unwrap();
    let link = dir.path().join("link.csv");
    std::os::unix::fs::symlink("real/target.csv", &link).unwrap();
    let o = run(&sb, dir.path(), &export_args(link.to_str().unwrap(), &[]));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink(),
        "the link is kept"
    );
    assert_exactly_the_selection(&real.join("target.csv"), "through the link");
}

#[cfg(unix)]
use std::os::unix::fs::FileTypeExt as _;

/// Two exports to one file at once: the second is refused before it sends
/// anything (overlapping cron runs).
#[test]
fn a_second_export_to_the_same_file_is_refused_while_one_runs() {
    let sb = sandbox();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("calls.csv");
    // What a running export holds: the lock on its partial file.
    let partial = std::fs::File::create(dir.path().join("calls.csv.partial")).unwrap();
    partial.lock().unwrap();
    let o = run(
        &sb,
        dir.path(),
        &export_args(out.to_str().unwrap(), &["--resume"]),
    );
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(stderr(&o).contains("another export to"), "{}", stderr(&o));
    assert!(sb.request_log().is_empty(), "nothing sent");
    drop(partial);
    let o = run(
        &sb,
        dir.path(),
        &export_args(out.to_str().unwrap(), &["--resume"]),
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_exactly_the_selection(&out, "after the first ended");
}
