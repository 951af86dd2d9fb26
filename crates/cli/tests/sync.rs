//! `velip sync` end to end: the built binary against a sandbox over real
//! HTTP, into SQLite (a file) and PostgreSQL (set `VELIP_TEST_POSTGRES_URL`,
//! as `scripts/with-postgres` does; a schema per case). Both backends run
//! the same cases.

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use velip_sandbox::{Fault, FaultPlan, LiveConfig, Sandbox, SandboxConfig};

const BIN: &str = env!("CARGO_BIN_EXE_velip");
const PG_ENV: &str = "VELIP_TEST_POSTGRES_URL";

struct TestDb {
    url: String,
    dir: tempfile::TempDir,
    pg: Option<(String, String)>,
}

impl TestDb {
    fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        Self {
            url: format!("sqlite://{}", dir.path().join("calls.db").display()),
            dir,
            pg: None,
        }
    }

    fn postgres() -> Option<Self> {
        static N: AtomicU32 = AtomicU32::new(0);
        let Ok(base) = std::env::var(PG_ENV) else {
            eprintln!("skipped: set {PG_ENV} (scripts/with-postgres)");
            return None;
        };
        let schema = format!(
            "c{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        ::postgres::Client::connect(&base, ::postgres::NoTls)
            .unwrap()
            .batch_execute(&format!("CREATE SCHEMA {schema}"))
            .unwrap();
        let sep = if base.contains('?') { '&' } else { '?' };
        Some(Self {
            url: format!("{base}{sep}options=-csearch_path%3D{schema}"),
            dir: tempfile::tempdir().unwrap(),
            pg: Some((base, schema)),
        })
    }

    fn is_postgres(&self) -> bool {
        self.pg.is_some()
    }

    fn count(&self) -> u64 {
        velip_store::db::open(&self.url)
            .unwrap()
            .count(Some("acme"))
            .unwrap()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((base, schema)) = &self.pg
            && let Ok(mut c) = ::postgres::Client::connect(base, ::postgres::NoTls)
        {
            let _ = c.batch_execute(&format!("DROP SCHEMA {schema} CASCADE"));
        }
    }
}

fn sandbox(calls: usize) -> Sandbox {
    Sandbox::start(SandboxConfig {
        calls,
        live: LiveConfig {
            calls_per_minute: 0.0,
            finalize_after: None,
            real_time: false,
        },
        ..SandboxConfig::default()
    })
    .expect("sandbox starts")
}

fn command(sb: &Sandbox, db: &TestDb, extra: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args(["--base-url", sb.url(), "--retries", "0", "--timeout", "20"])
        .args([
            "sync",
            "--db",
            &db.url,
            "--account",
            "acme",
            "--date-start",
            "2000-01-01",
            "--date-end",
            "2100-12-31",
            "--page-size",
            "100",
        ])
        .args(extra)
        .env("VELIP_TOKEN", sb.token())
        .env("VELIP_STATE_DIR", db.dir.path())
        .env_remove("VELIP_BASE_URL")
        .env_remove("VELIP_DB");
    c
}

fn sync(sb: &Sandbox, db: &TestDb, extra: &[&str]) -> Output {
    let out = command(sb, db, extra).output().expect("velip runs");
    let all = format!("{}{}", stdout(&out), stderr(&out));
    assert!(!all.contains(sb.token()), "the token leaked:\n{all}");
    out
}

fn spawn(sb: &Sandbox, db: &TestDb) -> Child {
    command(sb, db, &[])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn last_line(o: &Output) -> String {
    stderr(o).lines().last().unwrap_or_default().to_owned()
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

/// Polls until the table holds at least `n` calls (bounded: 30 s); shows
/// what `child` said when it does not.
fn wait_for_rows(db: &TestDb, n: u64, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut store = velip_store::db::open(&db.url).unwrap();
    while Instant::now() < deadline {
        if store.count(Some("acme")).unwrap_or(0) >= n {
            return;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    let _ = child.kill();
    let mut text = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = std::io::Read::read_to_string(&mut e, &mut text);
    }
    panic!("the sync wrote fewer than {n} rows in 30 s: {text}");
}

// ---------------------------------------------------------------- cases

fn backfill_then_only_the_new_with_a_summary_line(db: &TestDb) {
    let sb = sandbox(1_200);
    let out = sync(&sb, db, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        last_line(&out),
        "backfill: 1200 inserted, 0 updated, 0 unchanged; 1200 records in 12 list requests, 0 lookups; 0 still in progress; 12 requests; 12 of 200 list requests used this hour"
    );
    assert!(
        stderr(&out).contains("synced account \"acme\" into "),
        "{}",
        stderr(&out)
    );
    assert_eq!(db.count(), 1_200);

    let running = sb.insert_in_progress_calls(20);
    sb.insert_calls(130);
    sb.clear_request_log();
    let out = sync(&sb, db, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        last_line(&out).starts_with("incremental: 150 inserted, 0 updated, 50 unchanged; 200 records in 2 list requests, 0 lookups; 20 still in progress; 2 requests"),
        "{}",
        last_line(&out)
    );
    assert_eq!(sb.request_log().len(), 2, "ceil(records read / page size)");
    // The 20 now end, 130 calls below the newest: the first page reaches
    // the newest stored call, one more page (cheaper than 20 lookups)
    // reaches them.
    sb.finalize_calls(&running);
    let out = sync(&sb, db, &[]);
    assert!(
        last_line(&out).starts_with("incremental: 0 inserted, 20 updated, 180 unchanged; 200 records in 2 list requests, 0 lookups; 0 still in progress"),
        "{}",
        last_line(&out)
    );
}

fn a_database_that_cannot_be_used_fails_before_any_request(db: &TestDb) {
    let sb = sandbox(100);
    let unreachable = if db.is_postgres() {
        "postgres://velip@127.0.0.1:1/velip_test?connect_timeout=5".to_owned()
    } else {
        format!("sqlite://{}/missing/calls.db", db.dir.path().display())
    };
    let mut cases = vec![(unreachable, 14, "")];
    if db.is_postgres() {
        cases.push((
            format!("{}%20-cdefault_transaction_read_only%3Don", db.url),
            14,
            "read-only",
        ));
    }
    cases.push(("mysql://u@h/db".to_owned(), 3, "unknown scheme"));
    for (url, expected, needle) in cases {
        let out = Command::new(BIN)
            .args([
                "--base-url",
                sb.url(),
                "sync",
                "--db",
                &url,
                "--since",
                "30d",
            ])
            .env("VELIP_TOKEN", sb.token())
            .env("VELIP_STATE_DIR", db.dir.path())
            .output()
            .unwrap();
        assert_eq!(code(&out), expected, "{url}: {}", stderr(&out));
        assert!(stderr(&out).contains(needle), "{url}: {}", stderr(&out));
        assert!(sb.request_log().is_empty(), "{url}: nothing sent");
    }
    // A read-only SQLite file, for a user who may not write it.
    if !db.is_postgres() {
        assert_eq!(code(&sync(&sb, db, &[])), 0);
        sb.clear_request_log();
        let (status, err) = sync_as_unprivileged_user(&sb, db);
        assert_eq!(status, 14, "{err}");
        assert!(err.contains("read-only"), "{err}");
        assert!(sb.request_log().is_empty(), "nothing sent");
    }
}

/// `velip sync` on a SQLite file the user may read but not write: as root,
/// a copy of the binary runs as `nobody`; otherwise the file is made
/// read-only for this user.
fn sync_as_unprivileged_user(sb: &Sandbox, db: &TestDb) -> (i32, String) {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    let root = std::fs::metadata("/proc/self").is_ok_and(|m| {
        use std::os::unix::fs::MetadataExt;
        m.uid() == 0
    });
    let dir = db.dir.path();
    for f in std::fs::read_dir(dir).unwrap() {
        let f = f.unwrap().path();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o444)).unwrap();
    }
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o555)).unwrap();
    let copy = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    let exe = if root {
        let exe = copy.path().join("velip");
        std::fs::copy(BIN, &exe).unwrap();
        for p in [copy.path(), state.path()] {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o777)).unwrap();
        }
        exe
    } else {
        Path::new(BIN).to_owned()
    };
    let mut c = Command::new(exe);
    c.args([
        "--base-url",
        sb.url(),
        "sync",
        "--db",
        &db.url,
        "--since",
        "30d",
    ])
    .env("VELIP_TOKEN", sb.token())
    .env("VELIP_STATE_DIR", state.path())
    .current_dir(state.path());
    if root {
        c.uid(65534).gid(65534);
    }
    let out = c.output().unwrap();
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    (code(&out), stderr(&out))
}

fn kill_9_mid_sync_then_the_next_run_resumes(db: &TestDb) {
    let sb = sandbox(3_000);
    sb.set_faults(FaultPlan::new().always(Fault::DelayHeaders(Duration::from_millis(40))));
    let mut child = spawn(&sb, db);
    wait_for_rows(db, 500, &mut child);
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let before = db.count();
    assert!(
        before < 3_000 && before.is_multiple_of(100),
        "whole pages only: {before}"
    );
    sb.set_faults(FaultPlan::new());
    let out = sync(&sb, db, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("resuming the interrupted backfill"),
        "{}",
        stderr(&out)
    );
    assert!(
        last_line(&out).starts_with("backfill (resumed): 3000 inserted"),
        "{}",
        last_line(&out)
    );
    assert_eq!(db.count(), 3_000);
}

fn two_syncs_at_once_the_second_waits_and_says_so(db: &TestDb) {
    let sb = sandbox(3_000);
    sb.set_faults(FaultPlan::new().always(Fault::DelayHeaders(Duration::from_millis(30))));
    let mut first = spawn(&sb, db);
    wait_for_rows(db, 100, &mut first);
    let second = spawn(&sb, db);
    let first = first.wait_with_output().unwrap();
    let second = second.wait_with_output().unwrap();
    assert_eq!(code(&first), 0, "{}", stderr(&first));
    assert_eq!(code(&second), 0, "{}", stderr(&second));
    assert!(!stderr(&first).contains("waiting"), "{}", stderr(&first));
    let text = stderr(&second);
    assert!(
        text.contains("another sync of account \"acme\" into ")
            && text.contains("is running: waiting for it to finish"),
        "{text}"
    );
    assert!(text.contains("waited "), "{text}");
    assert!(
        last_line(&second).starts_with("incremental: 0 inserted"),
        "{text}"
    );
    assert_eq!(db.count(), 3_000);
}

#[test]
fn the_embedded_sandbox_syncs_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args([
            "--sandbox",
            "--sandbox-calls",
            "5000",
            "sync",
            "--db",
            "sqlite:calls.db",
            "--since",
            "2026-01-01",
        ])
        .current_dir(dir.path())
        .env("VELIP_STATE_DIR", dir.path())
        .env_remove("VELIP_TOKEN")
        .env_remove("VELIP_BASE_URL")
        .env_remove("VELIP_DB")
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        last_line(&out).starts_with(
            "backfill: 5000 inserted, 0 updated, 0 unchanged; 5000 records in 1 list request"
        ),
        "{}",
        stderr(&out)
    );
    assert!(dir.path().join("calls.db").is_file());
}

#[test]
fn bad_arguments_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    for (args, needle) in [
        (vec!["--since", "soon"], "is not a day"),
        (
            vec!["--date", "yesterday"],
            "takes a date YYYY-MM-DD in a sync",
        ),
        (vec!["--cursor", "5"], "--cursor does not apply"),
        (vec!["--only-dtmf"], "need a selection"),
    ] {
        let out = Command::new(BIN)
            .args([
                "--sandbox",
                "--sandbox-calls",
                "10",
                "sync",
                "--db",
                "sqlite:calls.db",
            ])
            .args(&args)
            .current_dir(dir.path())
            .env("VELIP_STATE_DIR", dir.path())
            .output()
            .unwrap();
        assert_eq!(code(&out), 2, "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(needle), "{args:?}: {}", stderr(&out));
    }
}

macro_rules! both_backends {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $case() { super::$case(&super::TestDb::sqlite()); } )*
        }
        mod postgres {
            $( #[test] fn $case() { if let Some(db) = super::TestDb::postgres() { super::$case(&db); } } )*
        }
    };
}

both_backends!(
    backfill_then_only_the_new_with_a_summary_line,
    a_database_that_cannot_be_used_fails_before_any_request,
    kill_9_mid_sync_then_the_next_run_resumes,
    two_syncs_at_once_the_second_waits_and_says_so,
);
