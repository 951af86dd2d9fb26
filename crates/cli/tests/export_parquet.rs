//! Parquet exports as jobs: a single file and a date-partitioned dataset,
//! killed or failed at any point and resumed, read back with the parquet
//! crate: every call of the selection exactly once; bad records keep their
//! `problems`, entries without a call id go to the rejected file.

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use arrow_array::cast::AsArray;
use arrow_array::{Array, RecordBatch};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use velip_sandbox::{Fault, FaultPlan, RecordRef};

mod common;

use common::{CALLS, code, command, export_args, run, sandbox, stderr};

/// Every batch of one Parquet file.
fn read(path: &Path) -> Vec<RecordBatch> {
    ParquetRecordBatchReaderBuilder::try_new(File::open(path).unwrap())
        .unwrap()
        .build()
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// The visible `*.parquet` files under `root` (what a reader's glob finds).
fn parquet_files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            if name.starts_with('.') || name.starts_with('_') {
                continue;
            }
            if p.is_dir() {
                dirs.push(p);
            } else if name.ends_with(".parquet") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn column_strings(b: &RecordBatch, name: &str) -> Vec<String> {
    let c = b.column_by_name(name).unwrap().as_string::<i32>();
    (0..c.len()).map(|i| c.value(i).to_owned()).collect()
}

/// The call ids of a Parquet file or dataset folder, every row.
fn ids(out: &Path) -> Vec<String> {
    let files = if out.is_dir() {
        parquet_files(out)
    } else {
        vec![out.to_path_buf()]
    };
    files
        .iter()
        .flat_map(|f| read(f))
        .flat_map(|b| column_strings(&b, "call_id"))
        .collect()
}

fn assert_exactly_the_selection(out: &Path, what: &str) {
    let all = ids(out);
    let unique: HashSet<&String> = all.iter().collect();
    assert_eq!(unique.len(), all.len(), "{what}: no duplicate row");
    assert_eq!(all.len(), CALLS, "{what}: the whole selection");
}

/// Names left beside the output (or in the dataset folder): no spool, no
/// side folder, no checkpoint once an export finished.
fn assert_clean(dir: &Path, what: &str) {
    let mut left: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.') || n.contains("checkpoint") || n.contains("spool"))
        .collect();
    left.sort();
    assert!(left.is_empty(), "{what}: left behind {left:?}");
}

#[test]
fn killed_at_any_point_then_resumed_gives_exactly_the_selection() {
    let sb = sandbox();
    // Slow pages, so that the export can be killed mid-way.
    sb.set_faults(FaultPlan::new().always(Fault::DelayHeaders(Duration::from_millis(40))));
    for dataset in [false, true] {
        for (i, kill_after) in [150u64, 330, 520, 700].iter().enumerate() {
            let dir = tempfile::tempdir().unwrap();
            let out = dir
                .path()
                .join(if dataset { "calls" } else { "calls.parquet" });
            let out_s = out.to_str().unwrap();
            let extra: &[&str] = if dataset {
                &["--partition-by", "date"]
            } else {
                &[]
            };
            let mut child = command(&sb, dir.path(), &export_args(out_s, extra))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            std::thread::sleep(Duration::from_millis(*kill_after));
            child.kill().unwrap(); // SIGKILL: no cleanup of any kind
            let status = child.wait().unwrap();
            let what = format!("killed after {kill_after} ms (dataset {dataset})");
            if std::os::unix::process::ExitStatusExt::signal(&status).is_none() {
                // It finished before the kill (a fast machine): nothing to
                // resume. (A dataset export run again adds a part.)
                assert_eq!(status.code(), Some(0), "{what}");
                assert_exactly_the_selection(&out, &what);
                continue;
            }
            let t = Instant::now();
            let mut resume = extra.to_vec();
            resume.push("--resume");
            let o = run(&sb, dir.path(), &export_args(out_s, &resume));
            assert_eq!(code(&o), 0, "kill {i} (dataset {dataset}): {}", stderr(&o));
            assert!(t.elapsed() < Duration::from_secs(60));
            assert_exactly_the_selection(&out, &what);
            assert_clean(if dataset { &out } else { dir.path() }, &what);
        }
    }
}

#[test]
fn every_failure_then_resume_gives_exactly_the_selection() {
    let cases: Vec<(&str, FaultPlan, i32)> = vec![
        (
            "reset",
            FaultPlan::new().on_request(4, Fault::ConnectionReset),
            9,
        ),
        (
            "503",
            FaultPlan::new().on_request(6, Fault::ServiceUnavailable),
            8,
        ),
        (
            "bad json",
            FaultPlan::new().on_request(9, Fault::InvalidJson),
            10,
        ),
    ];
    for dataset in [false, true] {
        for (what, plan, exit) in &cases {
            let sb = sandbox();
            let dir = tempfile::tempdir().unwrap();
            let out = dir
                .path()
                .join(if dataset { "calls" } else { "calls.parquet" });
            let out_s = out.to_str().unwrap();
            let extra: &[&str] = if dataset {
                &["--partition-by", "date"]
            } else {
                &[]
            };
            sb.set_faults(plan.clone());
            let o = run(&sb, dir.path(), &export_args(out_s, extra));
            assert_eq!(
                code(&o),
                *exit,
                "{what} (dataset {dataset}): {}",
                stderr(&o)
            );
            assert!(
                parquet_files(dir.path()).is_empty(),
                "{what}: nothing visible before the end"
            );
            assert!(stderr(&o).contains("--resume"), "{what}: {}", stderr(&o));
            sb.set_faults(FaultPlan::new());
            let mut resume = extra.to_vec();
            resume.push("--resume");
            let o = run(&sb, dir.path(), &export_args(out_s, &resume));
            assert_eq!(code(&o), 0, "{what} resumed: {}", stderr(&o));
            assert!(stderr(&o).contains("resuming the export"), "{}", stderr(&o));
            assert_exactly_the_selection(&out, what);
        }
    }
}

/// (call id, date or null, problems as text) of every row.
fn rows_with_problems(out: &Path) -> Vec<(String, Option<i32>, Vec<String>)> {
    let files = if out.is_dir() {
        parquet_files(out)
    } else {
        vec![out.to_path_buf()]
    };
    let mut rows = Vec::new();
    for f in files {
        // In a dataset the date is the folder's name, not a column.
        let folder_date = f
            .parent()
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned());
        for b in read(&f) {
            let ids = column_strings(&b, "call_id");
            let problems = b.column_by_name("problems").unwrap().as_list::<i32>();
            let dates = b
                .column_by_name("date")
                .map(|d| d.as_primitive::<arrow_array::types::Date32Type>().clone());
            for (i, id) in ids.into_iter().enumerate() {
                let p = problems.value(i);
                let p = p.as_struct();
                let raw = p.column_by_name("raw").unwrap().as_string::<i32>();
                let field = p.column_by_name("field").unwrap().as_string::<i32>();
                let texts = (0..p.len())
                    .map(|k| format!("{}={}", field.value(k), raw.value(k)))
                    .collect();
                let date = match &dates {
                    Some(d) => d.is_valid(i).then(|| d.value(i)),
                    None => (folder_date.as_deref() != Some("date=__HIVE_DEFAULT_PARTITION__"))
                        .then_some(0),
                };
                rows.push((id, date, texts));
            }
        }
    }
    rows
}

#[test]
fn bad_records_keep_their_problems_and_rejected_entries_are_kept() {
    let sb = sandbox();
    let dir = tempfile::tempdir().unwrap();
    let page = velip_blocking::Client::builder()
        .base_url(sb.url())
        .token(sb.token())
        .ledger(velip_blocking::ledger::Ledger::in_memory())
        .build()
        .unwrap()
        .list_page(
            &velip_core::Query::builder()
                .date_range("2000-01-01", "2100-12-31")
                .page_size(251)
                .build()
                .unwrap(),
        )
        .unwrap();
    let bad = page.records.last().unwrap().call_id.number();
    sb.set_faults(
        FaultPlan::new()
            .always(Fault::bad_field(RecordRef::Id(bad), "date", "\"2026-02-30\"").unwrap())
            .always(Fault::NoCallId(RecordRef::Position(7))),
    );
    for dataset in [false, true] {
        let out = dir
            .path()
            .join(if dataset { "ds" } else { "calls.parquet" });
        let extra: &[&str] = if dataset {
            &["--partition-by", "date"]
        } else {
            &[]
        };
        let o = run(&sb, dir.path(), &export_args(out.to_str().unwrap(), extra));
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        let err = stderr(&o);
        assert!(
            err.contains("1 records have fields that could not be read"),
            "{err}"
        );
        assert!(err.contains("the `problems` column"), "{err}");
        assert!(
            err.contains("12 entries without a readable call id"),
            "{err}"
        );
        let rows = rows_with_problems(&out);
        assert_eq!(rows.len(), CALLS - 12);
        let bad_rows: Vec<_> = rows.iter().filter(|r| !r.2.is_empty()).collect();
        assert_eq!(bad_rows.len(), 1, "{bad_rows:?}");
        let (id, date, problems) = bad_rows[0];
        assert_eq!(id, &bad.to_string());
        assert_eq!(*date, None, "the unreadable date is null");
        assert_eq!(problems, &["date=\"2026-02-30\"".to_owned()]);
        let rejected = if dataset {
            out.join("_rejected/part-00000.jsonl")
        } else {
            dir.path().join("calls.parquet.rejected.jsonl")
        };
        let text = std::fs::read_to_string(&rejected).unwrap();
        assert_eq!(text.lines().count(), 12, "{}", rejected.display());
        if dataset {
            assert!(
                out.join("date=__HIVE_DEFAULT_PARTITION__/part-00000.parquet")
                    .is_file()
            );
        }
    }
}

#[test]
fn a_second_dataset_export_adds_a_part_and_the_format_is_checked_first() {
    let sb = sandbox();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("calls");
    let out_s = out.to_str().unwrap();
    for _ in 0..2 {
        let o = run(
            &sb,
            dir.path(),
            &export_args(out_s, &["--partition-by", "date"]),
        );
        assert_eq!(code(&o), 0, "{}", stderr(&o));
    }
    let mut parts: BTreeMap<String, usize> = BTreeMap::new();
    for f in parquet_files(&out) {
        *parts
            .entry(f.file_name().unwrap().to_string_lossy().into_owned())
            .or_default() += read(&f).iter().map(RecordBatch::num_rows).sum::<usize>();
    }
    assert_eq!(
        parts.into_iter().collect::<Vec<_>>(),
        [
            ("part-00000.parquet".to_owned(), CALLS),
            ("part-00001.parquet".to_owned(), CALLS)
        ]
    );
    // Usage errors before any request.
    sb.reset();
    let file = dir.path().join("calls.parquet");
    std::fs::write(&file, b"x").unwrap();
    let unknown = dir.path().join("calls.txt");
    let cases: [(&[&str], &str, &str); 3] = [
        (
            &["--partition-by", "date", "--format", "csv"],
            out_s,
            "not CSV",
        ),
        (
            &["--partition-by", "date"],
            file.to_str().unwrap(),
            "is a file",
        ),
        (&[], unknown.to_str().unwrap(), ".parquet name"),
    ];
    for (extra, place, says) in cases {
        let o = run(&sb, dir.path(), &export_args(place, extra));
        assert_eq!(code(&o), 2, "{extra:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(says), "{extra:?}: {}", stderr(&o));
    }
    assert!(sb.request_log().is_empty(), "nothing sent");
}

/// One export of a Parquet file or dataset at a time: a second one (an
/// overlapping cron run) is refused before it sends anything or touches
/// the first one's pages; once the first ends, no lock file is left.
#[test]
fn a_second_export_to_the_same_parquet_output_is_refused_while_one_runs() {
    let sb = sandbox();
    for dataset in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let (out, lock, mut extra) = if dataset {
            let out = dir.path().join("calls");
            std::fs::create_dir(&out).unwrap();
            let lock = out.join(".velip-export.lock");
            (out, lock, vec!["--partition-by", "date"])
        } else {
            let out = dir.path().join("calls.parquet");
            let lock = dir.path().join("calls.parquet.lock");
            (out, lock, vec![])
        };
        extra.push("--resume");
        // What a running export holds: the lock on its lock file.
        let held = File::create(&lock).unwrap();
        held.lock().unwrap();
        let before = sb.request_log().len();
        let o = run(&sb, dir.path(), &export_args(out.to_str().unwrap(), &extra));
        assert_eq!(code(&o), 2, "dataset {dataset}: {}", stderr(&o));
        assert!(stderr(&o).contains("another export to"), "{}", stderr(&o));
        assert_eq!(sb.request_log().len(), before, "nothing sent");
        drop(held);
        let o = run(&sb, dir.path(), &export_args(out.to_str().unwrap(), &extra));
        assert_eq!(code(&o), 0, "dataset {dataset}: {}", stderr(&o));
        assert_exactly_the_selection(&out, "after the first ended");
        assert!(
            !lock.exists(),
            "dataset {dataset}: the lock file is removed"
        );
        assert_clean(if dataset { &out } else { dir.path() }, "after the export");
    }
}
