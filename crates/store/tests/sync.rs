//! The sync engine against the sandbox, into SQLite (a real file) and
//! PostgreSQL (a real server: set `VELIP_TEST_POSTGRES_URL`, as
//! `scripts/with-postgres cargo test -p velip-store` does; each case gets a
//! schema of its own). Both backends run the same case functions: the
//! first run backfills, a later run reads the minimum after new and
//! finalised calls, calls far below are looked up or walked to, kill -9
//! mid-sync, two syncs at once, databases that fail before any request.
#![allow(clippy::doc_markdown)]

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use velip_blocking::{Client, RetryPolicy};
use velip_core::{CallId, Query};
use velip_sandbox::{Fault, FaultPlan, LiveConfig, RequestKind, Sandbox, SandboxConfig};
use velip_store::db::{Backend, DbErrorKind, StateKey, Store};
use velip_store::sync::{RunKind, SyncError, SyncEvent, SyncJob};

const PG_ENV: &str = "VELIP_TEST_POSTGRES_URL";
const CHILD_ENV: &str = "VELIP_SYNC_TEST_CHILD";

// ------------------------------------------------------------- helpers

/// A database for one case: a SQLite file in a temp folder, or a fresh
/// schema in the test PostgreSQL database (dropped afterwards).
struct TestDb {
    backend: Backend,
    url: String,
    dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

impl TestDb {
    fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("calls.db").display());
        Self {
            backend: Backend::Sqlite,
            url,
            dir: Some(dir),
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
            "s{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        let mut admin = ::postgres::Client::connect(&base, ::postgres::NoTls).unwrap();
        admin
            .batch_execute(&format!("CREATE SCHEMA {schema}"))
            .unwrap();
        let sep = if base.contains('?') { '&' } else { '?' };
        Some(Self {
            backend: Backend::Postgres,
            url: format!("{base}{sep}options=-csearch_path%3D{schema}"),
            dir: None,
            pg: Some((base, schema)),
        })
    }

    fn open(&self) -> Store {
        Store::open(&self.url).unwrap_or_else(|e| panic!("open {}: {e}", self.url))
    }

    fn exec(&self, sql: &str) {
        match (&self.dir, &self.pg) {
            (Some(dir), _) => ::rusqlite::Connection::open(dir.path().join("calls.db"))
                .unwrap()
                .execute_batch(sql)
                .unwrap(),
            (_, Some((base, schema))) => {
                let mut c = ::postgres::Client::connect(base, ::postgres::NoTls).unwrap();
                c.batch_execute(&format!("SET search_path TO {schema}; {sql}"))
                    .unwrap();
            }
            _ => unreachable!(),
        }
    }

    /// Every stored call of `account`: (call number, final?).
    fn rows(&self, account: &str) -> Vec<(u64, bool)> {
        let sql = "SELECT call_number, status IS NOT NULL FROM calls WHERE account = ";
        match (&self.dir, &self.pg) {
            (Some(dir), _) => {
                let c = ::rusqlite::Connection::open(dir.path().join("calls.db")).unwrap();
                let mut s = c.prepare(&format!("{sql}?1")).unwrap();
                s.query_map([account], |r| {
                    Ok((r.get::<_, i64>(0)?.cast_unsigned(), r.get::<_, bool>(1)?))
                })
                .unwrap()
                .map(Result::unwrap)
                .collect()
            }
            (_, Some((base, schema))) => {
                let mut c = ::postgres::Client::connect(base, ::postgres::NoTls).unwrap();
                c.batch_execute(&format!("SET search_path TO {schema}"))
                    .unwrap();
                c.query(&format!("{sql}$1"), &[&account])
                    .unwrap()
                    .iter()
                    .map(|r| (r.get::<_, i64>(0).cast_unsigned(), r.get::<_, bool>(1)))
                    .collect()
            }
            _ => unreachable!(),
        }
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

/// A sandbox of `calls` generated (final) calls whose live mode moves only
/// with the test: calls inserted in progress stay so until finalised.
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

fn client_for(url: &str, token: &str) -> Client {
    Client::builder()
        .ledger(velip_blocking::ledger::Ledger::in_memory())
        .base_url(url)
        .token(token)
        .no_proxy()
        .retry_policy(
            RetryPolicy::default()
                .with_backoff(Duration::from_millis(10), Duration::from_millis(40)),
        )
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

fn client(sb: &Sandbox) -> Client {
    client_for(sb.url(), sb.token())
}

/// Every call of the sandbox, in pages of `page_size`.
fn selection(page_size: i64) -> Query {
    Query::builder()
        .date_range("2000-01-01", "2100-12-31")
        .page_size(page_size)
        .build()
        .unwrap()
}

fn job(page_size: i64) -> SyncJob {
    SyncJob::new("acme")
        .unwrap()
        .selection(selection(page_size))
}

fn list_requests(sb: &Sandbox) -> usize {
    sb.request_log()
        .iter()
        .filter(|r| r.kind == Some(RequestKind::List))
        .count()
}

fn lookups(sb: &Sandbox) -> usize {
    sb.request_log()
        .iter()
        .filter(|r| r.kind == Some(RequestKind::PointLookup))
        .count()
}

/// The table holds every call of the sandbox exactly once, and a call is
/// final in the table exactly when it is final in the sandbox.
fn assert_mirrors(db: &TestDb, sb: &Sandbox, expected_calls: usize) {
    let rows = db.rows("acme");
    let numbers: HashSet<u64> = rows.iter().map(|r| r.0).collect();
    assert_eq!(numbers.len(), rows.len(), "each call once");
    assert_eq!(rows.len(), expected_calls, "every call");
    let in_progress: HashSet<u64> = sb.in_progress_call_ids().into_iter().collect();
    for (n, final_) in rows {
        assert_eq!(
            final_,
            !in_progress.contains(&n),
            "call {n}: final in the table as in the service"
        );
    }
}

// ---------------------------------------------------------------- cases

fn first_run_backfills_then_a_quiet_run_costs_one_request(db: &TestDb) {
    let sb = sandbox(2_400);
    let c = client(&sb);
    let mut store = db.open();
    let r = job(500).run(&c, &mut store).unwrap();
    assert_eq!(r.kind, RunKind::Backfill);
    assert!(!r.resumed);
    assert_eq!((r.counts.inserted, r.counts.updated), (2_400, 0));
    assert_eq!((r.records_read, r.list_requests, r.lookups), (2_400, 5, 0));
    assert_eq!(r.requests_sent, 5);
    assert_eq!(list_requests(&sb), 5);
    assert_eq!(
        r.newest_call_id.as_ref().map(CallId::number),
        Some(sb.newest_call_id())
    );
    assert_eq!(r.pending, 0);
    assert_eq!(r.lock_waited, Duration::ZERO);
    assert_mirrors(db, &sb, 2_400);
    let text = r.to_string();
    assert!(
        text.starts_with(
            "backfill: 2400 inserted, 0 updated, 0 unchanged; 2400 records in 5 list requests"
        ),
        "{text}"
    );

    // Nothing new: one request (the newest page), nothing written.
    sb.clear_request_log();
    let r = job(500).run(&c, &mut store).unwrap();
    assert_eq!(r.kind, RunKind::Incremental);
    assert_eq!(
        (r.counts.inserted, r.counts.updated, r.counts.unchanged),
        (0, 0, 500)
    );
    assert_eq!((r.list_requests, r.lookups), (1, 0));
    assert_eq!(sb.request_log().len(), 1);

    // The state row: typed copies and the last run's summary.
    let state = store
        .load_state(&StateKey::new("acme", &job(500).selection_key()).unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(
        state.state.newest_call_id.as_ref().map(CallId::number),
        Some(sb.newest_call_id())
    );
    assert_eq!(state.state.pending_count, 0);
    let last = state.state.last_run.unwrap();
    assert_eq!(last["kind"], "incremental");
    assert_eq!(last["list_requests"], 1);
    assert!(state.state.state["run"].is_null(), "no run under way");
}

fn incremental_run_reads_the_new_and_the_finalised_only(db: &TestDb) {
    let sb = sandbox(3_000);
    let c = client(&sb);
    let mut store = db.open();
    // 40 calls in progress at the head when the backfill runs.
    let in_progress = sb.insert_in_progress_calls(40);
    let r = job(500).run(&c, &mut store).unwrap();
    assert_eq!((r.counts.inserted, r.pending), (3_040, 40));
    assert_mirrors(db, &sb, 3_040);

    // 700 new calls (some still in progress), and the 40 end.
    sb.insert_calls(690);
    let still = sb.insert_in_progress_calls(10);
    assert_eq!(sb.finalize_calls(&in_progress), 40);
    sb.clear_request_log();
    let r = job(500).run(&c, &mut store).unwrap();
    assert_eq!(r.kind, RunKind::Incremental);
    // Pages of 500: 500 new, then 200 new and 300 stored (the 40 among them).
    assert_eq!((r.records_read, r.list_requests, r.lookups), (1_000, 2, 0));
    assert_eq!(list_requests(&sb), 2, "ceil(records read / page size)");
    assert_eq!(
        (r.counts.inserted, r.counts.updated, r.counts.unchanged),
        (700, 40, 260)
    );
    assert_eq!(r.pending, 10);
    assert_mirrors(db, &sb, 3_740);

    // Live mode: calls arrive and finish over the sandbox clock (one a
    // second, each in progress for 30 s).
    sb.finalize_calls(&still);
    sb.set_live(LiveConfig::new(60.0, Duration::from_secs(30)).manual_clock());
    sb.advance_clock(Duration::from_secs(120));
    let r = job(500).run(&c, &mut store).unwrap();
    assert_eq!(r.counts.inserted, 120);
    assert_eq!(r.counts.updated, 10);
    assert!((29..=31).contains(&r.pending), "{r:?}");
    assert_eq!(r.list_requests, 1);
    assert_mirrors(db, &sb, 3_860);
    sb.advance_clock(Duration::from_secs(60));
    sb.set_live(LiveConfig::new(0.0, Duration::from_secs(30)).manual_clock());
    sb.advance_clock(Duration::from_secs(60));
    let r = job(500).run(&c, &mut store).unwrap();
    assert_eq!(r.counts.inserted, 60);
    assert_eq!(r.pending, 0, "every call ended");
    assert_mirrors(db, &sb, 3_920);
}

fn calls_in_progress_far_below_are_looked_up_or_walked_to(db: &TestDb) {
    let sb = sandbox(1_000);
    let c = client(&sb);
    let mut store = db.open();
    // 3 calls in progress, then 2,000 newer (final) ones above them.
    let stragglers = sb.insert_in_progress_calls(3);
    sb.insert_calls(2_000);
    job(500).run(&c, &mut store).unwrap();
    sb.insert_calls(100);
    sb.finalize_calls(&stragglers);
    sb.clear_request_log();
    // The first leg reads one page (100 new, 400 stored); the 3 are 1,600
    // calls further down: 4 pages, or 3 lookups. Lookups win.
    let r = job(500).run(&c, &mut store).unwrap();
    assert_eq!((r.list_requests, r.lookups), (1, 3));
    assert_eq!((list_requests(&sb), lookups(&sb)), (1, 3));
    assert_eq!((r.counts.inserted, r.counts.updated), (100, 3));
    assert_eq!(r.pending, 0);
    assert_mirrors(db, &sb, 3_103);

    // Without lookups the walk goes on down to the oldest call in progress.
    let more = sb.insert_in_progress_calls(2);
    sb.insert_calls(1_500);
    job(500).max_lookups(0).run(&c, &mut store).unwrap();
    sb.finalize_calls(&more);
    sb.clear_request_log();
    let r = job(500).max_lookups(0).run(&c, &mut store).unwrap();
    assert_eq!(r.lookups, 0);
    assert_eq!(lookups(&sb), 0);
    // One page reaches the watermark, three more reach the two calls.
    assert_eq!(r.list_requests, 4);
    assert_eq!(r.counts.updated, 2);
    assert_mirrors(db, &sb, 4_605);
}

fn a_sync_killed_mid_way_resumes_and_loses_nothing(db: &TestDb) {
    let sb = sandbox(6_000);
    // Slow answers, so that the child is killed mid-walk.
    sb.set_faults(FaultPlan::new().always(Fault::DelayHeaders(Duration::from_millis(40))));
    let in_progress = sb.insert_in_progress_calls(25);
    let mut last_read = 0;
    for round in 0..3u64 {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "child_process",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, "sync")
            .env("VELIP_SYNC_TEST_URL", &db.url)
            .env("VELIP_SYNC_TEST_SANDBOX", sb.url())
            .env("VELIP_SYNC_TEST_TOKEN", sb.token())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Kill it once it has committed a few more pages, wherever it is.
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut seen = 0;
        for line in lines.by_ref() {
            if line.unwrap().starts_with("page ") {
                seen += 1;
                if seen == 2 + round {
                    break;
                }
            }
        }
        assert_eq!(seen, 2 + round, "the child synced pages");
        std::thread::sleep(Duration::from_millis(7 * round));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let rows = db.rows("acme");
        assert!(
            rows.len() as u64 > last_read,
            "round {round}: went on from where it was"
        );
        assert_eq!(rows.len() % 200, 0, "whole pages only: {}", rows.len());
        last_read = rows.len() as u64;
    }
    sb.set_faults(FaultPlan::new());
    // This run takes up the interrupted backfill.
    let c = client(&sb);
    let mut store = db.open();
    let r = job(200).run(&c, &mut store).unwrap();
    assert!(r.resumed);
    assert_eq!(r.kind, RunKind::Backfill);
    assert_eq!(
        r.counts.inserted, 6_025,
        "the run's counts include the killed processes'"
    );
    assert_eq!(
        r.records_read, 6_025,
        "no record read twice across the kills"
    );
    assert_eq!(r.pending, 25);
    assert_mirrors(db, &sb, 6_025);
    // And the calls in progress become final by the next run.
    sb.finalize_calls(&in_progress);
    let r = job(200).run(&c, &mut store).unwrap();
    assert_eq!(r.counts.updated, 25);
    assert_eq!(r.pending, 0);
    assert_mirrors(db, &sb, 6_025);
}

fn two_syncs_at_once_are_serialised_and_the_second_says_it_waited(db: &TestDb) {
    let sb = sandbox(4_000);
    sb.set_faults(FaultPlan::new().always(Fault::DelayHeaders(Duration::from_millis(30))));
    let (started_tx, started_rx) = mpsc::channel();
    let first = {
        let (url, sb_url, token) = (db.url.clone(), sb.url().to_owned(), sb.token().to_owned());
        let started_tx = Mutex::new(Some(started_tx));
        std::thread::spawn(move || {
            let mut store = Store::open(&url).unwrap();
            let c = client_for(&sb_url, &token);
            job(200)
                .on_event(Arc::new(move |e| {
                    if matches!(e, SyncEvent::Page { .. })
                        && let Some(tx) = started_tx.lock().unwrap().take()
                    {
                        let _ = tx.send(());
                    }
                }))
                .run(&c, &mut store)
                .unwrap()
        })
    };
    started_rx.recv_timeout(Duration::from_secs(30)).unwrap();
    let waits = Arc::new(Mutex::new(Vec::new()));
    let mut store = db.open();
    let c = client(&sb);
    let w = Arc::clone(&waits);
    let second = job(200)
        .on_event(Arc::new(move |e| {
            if let SyncEvent::WaitingForLock { account, .. } = e {
                w.lock().unwrap().push((*account).to_owned());
            }
        }))
        .run(&c, &mut store)
        .unwrap();
    let first = first.join().unwrap();
    assert_eq!(first.kind, RunKind::Backfill);
    assert_eq!(first.lock_waited, Duration::ZERO);
    assert_eq!(*waits.lock().unwrap(), ["acme"], "the second said it waits");
    assert!(
        second.lock_waited >= Duration::from_millis(100),
        "{:?}",
        second.lock_waited
    );
    // It ran after the first: an incremental run of one page.
    assert_eq!(second.kind, RunKind::Incremental);
    assert_eq!((second.list_requests, second.counts.inserted), (1, 0));
    assert_mirrors(db, &sb, 4_000);

    // A holder that does not let go: the wait ends, nothing is sent.
    let mut holder = db.open();
    holder.lock_account("acme", Duration::from_secs(5)).unwrap();
    sb.clear_request_log();
    let err = job(200)
        .lock_timeout(Duration::from_millis(300))
        .run(&c, &mut store)
        .unwrap_err();
    match &err {
        SyncError::Database(e) => assert_eq!(e.kind(), DbErrorKind::Busy, "{e}"),
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("\"acme\""), "{err}");
    assert!(sb.request_log().is_empty());
    // Another account is not held up.
    SyncJob::new("other")
        .unwrap()
        .selection(selection(5000))
        .run(&c, &mut store)
        .unwrap();
}

fn databases_that_cannot_be_written_fail_before_any_request(db: &TestDb) {
    let sb = sandbox(100);
    // Unreachable: the store does not open, so nothing can be sent.
    let url = match db.backend {
        Backend::Postgres => "postgres://velip@127.0.0.1:1/velip_test?connect_timeout=5".to_owned(),
        _ => format!(
            "sqlite://{}/missing/calls.db",
            db.dir.as_ref().unwrap().path().display()
        ),
    };
    assert_eq!(
        Store::open(&url).unwrap_err().kind(),
        DbErrorKind::Unreachable
    );
    if db.backend == Backend::Postgres {
        let ro = format!("{}%20-cdefault_transaction_read_only%3Don", db.url);
        assert_eq!(Store::open(&ro).unwrap_err().kind(), DbErrorKind::ReadOnly);
    }
    // A newer schema is refused at open; a state written by a newer velip
    // at the first read, before any request.
    let c = client(&sb);
    let mut store = db.open();
    job(50).run(&c, &mut store).unwrap();
    sb.clear_request_log();
    db.exec("UPDATE velip_sync_state SET state = '{\"version\": 7}'");
    let err = job(50).run(&c, &mut store).unwrap_err();
    match &err {
        SyncError::Database(e) => assert_eq!(e.kind(), DbErrorKind::SchemaTooNew, "{e}"),
        other => panic!("{other:?}"),
    }
    db.exec("INSERT INTO velip_schema (version, applied_at, velip_version) VALUES (99, '2099-01-01T00:00:00Z', '9.0.0')");
    assert_eq!(
        Store::open(&db.url).unwrap_err().kind(),
        DbErrorKind::SchemaTooNew
    );
    // A selection a sync cannot keep: refused before anything is sent.
    let err = SyncJob::new("acme")
        .unwrap()
        .selection(Query::builder().call_id("42_1").build().unwrap())
        .run(&c, &mut store)
        .unwrap_err();
    assert!(
        matches!(err, SyncError::Client(velip_blocking::Error::Validation(_))),
        "{err}"
    );
    assert!(sb.request_log().is_empty(), "nothing was sent");
}

fn since_bounds_the_first_run_and_keys_stay_apart(db: &TestDb) {
    let sb = sandbox(3_000);
    let c = client(&sb);
    let mut store = db.open();
    let last_day = chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
    let since = last_day - chrono::Days::new(2);
    // Every call from `since` on (no other filter): three of the 30 days.
    let r = SyncJob::new("acme")
        .unwrap()
        .since(since)
        .run(&c, &mut store)
        .unwrap();
    assert_eq!(r.since, Some(since));
    assert!(r.counts.inserted > 0 && r.counts.inserted < 1_000, "{r:?}");
    let first = r.counts.inserted;
    // Later runs keep that first day, whatever they are given.
    sb.insert_calls(10);
    let r = SyncJob::new("acme")
        .unwrap()
        .since(since - chrono::Days::new(20))
        .run(&c, &mut store)
        .unwrap();
    assert_eq!(
        (r.kind, r.since, r.counts.inserted),
        (RunKind::Incremental, Some(since), 10)
    );
    assert_eq!(store.count(Some("acme")).unwrap(), first + 10);
    // Another selection, another state: a campaign's own backfill.
    let q = Query::builder().campaign_id(1).build().unwrap();
    let by_campaign = SyncJob::new("acme").unwrap().selection(q);
    assert_eq!(by_campaign.selection_key(), "cp_id=1");
    let r = by_campaign.run(&c, &mut store).unwrap();
    assert_eq!(r.kind, RunKind::Backfill);
}

/// The child side of the kill -9 case; does nothing in a normal run.
#[test]
fn child_process() {
    let Ok(mode) = std::env::var(CHILD_ENV) else {
        return;
    };
    assert_eq!(mode, "sync");
    let var = |k: &str| std::env::var(k).unwrap();
    let mut store = Store::open(&var("VELIP_SYNC_TEST_URL")).unwrap();
    let c = client_for(
        &var("VELIP_SYNC_TEST_SANDBOX"),
        &var("VELIP_SYNC_TEST_TOKEN"),
    );
    let started = Instant::now();
    let _ = job(200)
        .on_event(Arc::new(move |e| {
            if let SyncEvent::Page { records, .. } = e {
                println!("page {records}");
                assert!(started.elapsed() < Duration::from_secs(60));
            }
        }))
        .run(&c, &mut store);
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
    first_run_backfills_then_a_quiet_run_costs_one_request,
    incremental_run_reads_the_new_and_the_finalised_only,
    calls_in_progress_far_below_are_looked_up_or_walked_to,
    a_sync_killed_mid_way_resumes_and_loses_nothing,
    two_syncs_at_once_are_serialised_and_the_second_says_it_waited,
    databases_that_cannot_be_written_fail_before_any_request,
    since_bounds_the_first_run_and_keys_stay_apart,
);
