//! The database store's cases, run against SQLite (a real file) and
//! PostgreSQL (a real server: set `VELIP_TEST_POSTGRES_URL`, as
//! `scripts/with-postgres cargo test -p velip-store` does; each case gets a
//! schema of its own). Both backends run the same case functions.
#![allow(clippy::doc_markdown)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use serde_json::json;
use velip_core::{AmdResult, CallId, CallRecord, CallStatus, Decimal, Destination, Problem};
use velip_store::db::{
    Backend, DbError, DbErrorKind, OpenOptions, SCHEMA_VERSION, Source, StateKey, Store, SyncState,
    WriteMeta,
};

const PG_ENV: &str = "VELIP_TEST_POSTGRES_URL";
const CHILD_ENV: &str = "VELIP_STORE_TEST_CHILD";
const CHILD_URL_ENV: &str = "VELIP_STORE_TEST_URL";
/// Records per page in the kill -9 case.
const PAGE: u64 = 200;

/// A database for one case: a SQLite file in a temp folder, or a fresh
/// schema in the test PostgreSQL database (dropped afterwards).
struct TestDb {
    backend: Backend,
    url: String,
    dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>, // (base URL, schema)
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
            "t{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        let mut admin = ::postgres::Client::connect(&base, ::postgres::NoTls)
            .expect("connect to VELIP_TEST_POSTGRES_URL");
        admin
            .batch_execute(&format!("CREATE SCHEMA {schema}"))
            .unwrap();
        let sep = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{sep}options=-csearch_path%3D{schema}");
        Some(Self {
            backend: Backend::Postgres,
            url,
            dir: None,
            pg: Some((base, schema)),
        })
    }

    fn open(&self) -> Store {
        Store::open(&self.url).unwrap_or_else(|e| panic!("open {}: {e}", self.url))
    }

    /// Runs SQL with the driver directly (to shape a database as another
    /// version or a hand edit would).
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

fn id(n: u64) -> CallId {
    CallId::with_alias("42", n).unwrap()
}

/// A final call with every field set.
fn call(n: u64) -> CallRecord {
    let mut r = CallRecord::new(id(n));
    r.status = Some(CallStatus::Answered);
    r.amd = Some(AmdResult::Human);
    r.campaign_id = Some(77);
    r.campaign_ref = Some("spring".into());
    r.correlation_id = Some(format!("order-{n}"));
    r.origin = Some("api".into());
    r.destination = Some(Destination::from_wire("5511999990000"));
    r.date = chrono::NaiveDate::from_ymd_opt(2026, 5, 6);
    r.dial_time = chrono::NaiveTime::from_hms_opt(23, 59, 40);
    r.answer_time = chrono::NaiveTime::from_hms_opt(23, 59, 50);
    r.hangup_time = chrono::NaiveTime::from_hms_opt(0, 0, 27);
    r.duration_seconds = Some(37);
    r.dtmf = vec!["1".into(), String::new(), "3".into()];
    r.route = Some("Mobile BR".into());
    r.rate = Some("0.050".parse().unwrap());
    r.value = Some("0.100".parse().unwrap());
    r.recording_url = Some(format!("https://rec.example/{n}.mp3"));
    r.recording_seconds = Some(37);
    r.extra.insert("cdc_extra1".into(), json!("vip"));
    r.extra.insert("cd_returl".into(), json!(1));
    r
}

/// The same call still in progress: no status, no answer or hang-up,
/// no duration, no recording.
fn in_progress(n: u64) -> CallRecord {
    let mut r = call(n);
    r.status = None;
    r.amd = None;
    r.answer_time = None;
    r.hangup_time = None;
    r.duration_seconds = None;
    r.recording_url = None;
    r.recording_seconds = None;
    r.dtmf.clear();
    r.extra.remove("cd_returl");
    r
}

fn pull(account: &str) -> WriteMeta {
    WriteMeta::new(account, Source::Pull).unwrap()
}

fn upsert(
    store: &mut Store,
    records: &[CallRecord],
    meta: &WriteMeta,
) -> velip_store::db::UpsertCounts {
    store.transaction(|tx| tx.upsert(records, meta)).unwrap()
}

// ---------------------------------------------------------------- cases

fn migrations_from_empty(db: &TestDb) {
    let store = db.open();
    assert_eq!(store.schema_version(), SCHEMA_VERSION);
    assert_eq!(store.migrated_from(), Some(0));
    drop(store);
    let store = db.open();
    assert_eq!(
        store.migrated_from(),
        None,
        "a current database is not migrated again"
    );
    assert_eq!(store.backend(), db.backend);
}

/// Several processes opening a fresh database at once (two syncs started
/// together): one migrates, the others wait for it and find the schema
/// current.
fn first_opens_at_once_migrate_once(db: &TestDb) {
    let barrier = Arc::new(Barrier::new(4));
    let openers: Vec<_> = (0..4)
        .map(|_| {
            let (url, barrier) = (db.url.clone(), Arc::clone(&barrier));
            std::thread::spawn(move || {
                barrier.wait();
                Store::open(&url).map(|s| s.migrated_from())
            })
        })
        .collect();
    let mut migrated = Vec::new();
    for o in openers {
        let from = o.join().unwrap().unwrap_or_else(|e| panic!("open: {e}"));
        migrated.extend(from);
    }
    assert_eq!(migrated, [0], "one open migrated, from version 0");
    assert_eq!(db.open().schema_version(), SCHEMA_VERSION);
}

fn migrations_from_an_older_version(db: &TestDb) {
    let mut old = Store::open_with(&db.url, &OpenOptions::new().target_version(1)).unwrap();
    assert_eq!(old.schema_version(), 1);
    upsert(&mut old, &[call(1)], &pull("acme"));
    drop(old);
    let mut store = db.open();
    assert_eq!(store.migrated_from(), Some(1));
    assert_eq!(store.schema_version(), SCHEMA_VERSION);
    assert_eq!(
        store.count(Some("acme")).unwrap(),
        1,
        "rows survive the migration"
    );
    let key = StateKey::new("acme", "").unwrap();
    store
        .transaction(|tx| tx.save_state(&key, &SyncState::new(json!({"v": 2}))))
        .unwrap();
    assert!(store.load_state(&key).unwrap().is_some());
}

fn newer_schema_is_refused(db: &TestDb) {
    let mut store = db.open();
    upsert(&mut store, &[call(1)], &pull("acme"));
    drop(store);
    db.exec("INSERT INTO velip_schema (version, applied_at, velip_version) VALUES (99, '2099-01-01T00:00:00Z', '9.0.0')");
    let err = Store::open(&db.url).unwrap_err();
    assert_eq!(err.kind(), DbErrorKind::SchemaTooNew, "{err}");
    let text = err.to_string();
    assert!(
        text.contains("version 99") && text.contains("upgrade velip"),
        "{text}"
    );
    let name = match db.backend {
        Backend::Postgres => "postgres://",
        _ => "calls.db",
    };
    assert!(text.contains(name), "names the database: {text}");
}

fn read_only_database_is_refused(db: &TestDb) {
    use std::os::unix::fs::PermissionsExt;
    db.open();
    if db.backend == Backend::Postgres {
        let url = format!("{}%20-cdefault_transaction_read_only%3Don", db.url);
        let err = Store::open(&url).unwrap_err();
        assert_eq!(err.kind(), DbErrorKind::ReadOnly, "{err}");
        assert!(err.to_string().contains("read-only"), "{err}");
        return;
    }
    let dir = db.dir.as_ref().unwrap().path();
    let file = dir.join("calls.db");
    // The checkpointed file alone, read-only, in a folder only its owner writes.
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o444)).unwrap();
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let (kind, message) = open_in_unprivileged_child(&db.url);
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    assert_eq!(kind, "ReadOnly", "{message}");
    assert!(
        message.contains("calls.db") && message.contains("read-only"),
        "{message}"
    );
}

fn unreachable_database_is_refused(db: &TestDb) {
    let url = match db.backend {
        // Port 1 on loopback: nothing listens there.
        Backend::Postgres => "postgres://velip@127.0.0.1:1/velip_test?connect_timeout=5".to_owned(),
        _ => format!(
            "sqlite://{}/no-such-folder/calls.db",
            db.dir.as_ref().unwrap().path().display()
        ),
    };
    let started = Instant::now();
    let err = Store::open(&url).unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(err.kind(), DbErrorKind::Unreachable, "{err}");
    let text = err.to_string();
    match db.backend {
        Backend::Postgres => assert!(
            text.contains("127.0.0.1:1") && text.contains("check that the server runs"),
            "{text}"
        ),
        _ => assert!(
            text.contains("no-such-folder") && text.contains("does not exist"),
            "{text}"
        ),
    }
}

fn upsert_counts_inserted_updated_unchanged(db: &TestDb) {
    let mut store = db.open();
    let meta = pull("acme");
    let page: Vec<CallRecord> = (1..=3).map(call).collect();
    let c = upsert(&mut store, &page, &meta);
    assert_eq!(
        (c.inserted, c.updated, c.unchanged, c.superseded),
        (3, 0, 0, 0)
    );
    let before = store.get("acme", &[id(1), id(2)]).unwrap();

    let c = upsert(
        &mut store,
        &page,
        &WriteMeta::new("acme", Source::Push).unwrap(),
    );
    assert_eq!((c.inserted, c.updated, c.unchanged), (0, 0, 3));
    let same = store.get("acme", &[id(1), id(2)]).unwrap();
    assert_eq!(
        same, before,
        "an unchanged record is not written (updated_at and source kept)"
    );

    let mut changed = call(2);
    changed.extra.insert("cd_returl".into(), json!(-3));
    let batch = vec![call(1), changed.clone(), call(3), call(4), call(4)];
    let c = upsert(
        &mut store,
        &batch,
        &WriteMeta::new("acme", Source::Push).unwrap(),
    );
    assert_eq!(
        (c.inserted, c.updated, c.unchanged, c.superseded),
        (1, 1, 2, 1)
    );
    assert_eq!(c.total(), 5);
    let after = store.get("acme", &[id(2)]).unwrap().remove(0);
    assert_eq!(after.record, changed);
    assert_eq!(after.source, Source::Push);
    assert_eq!(after.first_seen_at, before[1].first_seen_at);
    assert!(after.updated_at >= before[1].updated_at);
    assert_ne!(after.content_hash, before[1].content_hash);

    // Two batches with changes in one transaction (one page read in parts).
    let (mut a, mut b) = (call(1), call(3));
    a.route = Some("Fixo BR".into());
    b.route = Some("Fixo BR".into());
    let (c1, c2) = store
        .transaction(|tx| {
            Ok::<_, DbError>((
                tx.upsert(&[a.clone()], &meta)?,
                tx.upsert(&[b.clone(), a.clone()], &meta)?,
            ))
        })
        .unwrap();
    assert_eq!((c1.updated, c2.updated, c2.unchanged), (1, 1, 1));
    assert_eq!(store.get("acme", &[id(3)]).unwrap()[0].record, b);

    // The account is part of the key.
    let c = upsert(&mut store, &page, &pull("other"));
    assert_eq!(c.inserted, 3);
    assert_eq!(store.count(Some("acme")).unwrap(), 4);
    assert_eq!(store.count(None).unwrap(), 7);
    // Reading back: in the order asked, missing ids left out.
    let got = store.get("acme", &[id(4), id(999), id(1)]).unwrap();
    let ids: Vec<_> = got.iter().map(|s| s.record.call_id.clone()).collect();
    assert_eq!(ids, [id(4), id(1)]);
}

fn in_progress_call_becomes_final(db: &TestDb) {
    let mut store = db.open();
    let meta = pull("acme");
    let c = upsert(&mut store, &[in_progress(5)], &meta);
    assert_eq!(c.inserted, 1);
    let first = store.get("acme", &[id(5)]).unwrap().remove(0);
    assert_eq!(first.record.status, None);
    assert!(!first.record.is_final());
    assert_eq!(first.record.answer_time, None);
    std::thread::sleep(Duration::from_millis(5));
    let c = upsert(&mut store, &[call(5)], &meta);
    assert_eq!((c.inserted, c.updated), (0, 1));
    let last = store.get("acme", &[id(5)]).unwrap().remove(0);
    assert_eq!(last.record, call(5));
    assert!(last.record.is_final());
    assert_eq!(last.first_seen_at, first.first_seen_at);
    assert!(last.updated_at > first.updated_at);
    // Final and unchanged from now on.
    assert_eq!(upsert(&mut store, &[call(5)], &meta).unchanged, 1);
}

fn problems_extra_and_raw_json_are_stored(db: &TestDb) {
    let mut store = db.open();
    let mut r = call(6);
    r.date = None;
    r.problems = vec![Problem::new(
        "date",
        "\"2026-02-30\"",
        "expected a date YYYY-MM-DD",
    )];
    r.raw_json = Some(r#"{"cd_id":"42_6","date":"2026-02-30","cdc_extra9":{"a":[1,2]}}"#.into());
    r.extra.insert(
        "cdc_extra9".into(),
        json!({"a": [1, 2], "b": null, "c": "ç"}),
    );
    r.extra.insert("unknown_key".into(), json!(12.5));
    upsert(&mut store, &[r.clone()], &pull("acme"));
    let got = store.get("acme", &[id(6)]).unwrap().remove(0);
    assert_eq!(got.record, r);

    // A value no column can hold: NULL plus a problem, never rounded, never fatal.
    let mut odd = call(7);
    odd.value = Some("0.0505".parse().unwrap());
    odd.route = Some("a\0b".into());
    let c = upsert(&mut store, &[odd], &pull("acme"));
    assert_eq!(c.inserted, 1);
    let got = store.get("acme", &[id(7)]).unwrap().remove(0).record;
    assert_eq!(got.value, None);
    assert_eq!(got.route.as_deref(), Some("a\u{fffd}b"));
    let fields: Vec<&str> = got.problems.iter().map(|p| p.field.as_str()).collect();
    assert_eq!(fields, ["route", "value"]);
    assert_eq!(got.problems[1].raw, "\"0.0505\"");
}

fn money_round_trips_exactly(db: &TestDb) {
    let mut store = db.open();
    let amounts = [
        "0.050",
        "1234567.891",
        "-0.001",
        "999999999999999.999",
        "0.000",
        "12",
    ];
    let records: Vec<CallRecord> = amounts
        .iter()
        .zip(10..)
        .map(|(a, n)| {
            let mut r = call(n);
            r.value = Some(a.parse().unwrap());
            r.rate = Some(Decimal::new(5, 2)); // 0.05, scale 2
            r
        })
        .collect();
    upsert(&mut store, &records, &pull("acme"));
    let ids: Vec<CallId> = (10..10 + amounts.len() as u64).map(id).collect();
    let got = store.get("acme", &ids).unwrap();
    for (stored, text) in got.iter().zip(amounts) {
        let value = stored.record.value.unwrap();
        assert_eq!(value, text.parse::<Decimal>().unwrap());
        assert_eq!(value.scale(), 3, "stored at scale 3: {value}");
        assert_eq!(stored.record.rate.unwrap().to_string(), "0.050");
    }
    assert_eq!(got[1].record.value.unwrap().to_string(), "1234567.891");
    assert_eq!(got[5].record.value.unwrap().to_string(), "12.000");
}

fn transaction_is_atomic(db: &TestDb) {
    let mut store = db.open();
    let key = StateKey::new("acme", "all").unwrap();
    let meta = pull("acme");
    let page: Vec<CallRecord> = (1..=50).map(call).collect();
    // The caller's own error type works too (anything `From<DbError>`).
    let result: Result<(), Box<dyn std::error::Error + Send + Sync>> = store.transaction(|tx| {
        tx.upsert(&page, &meta)?;
        tx.save_state(&key, &SyncState::new(json!({"cursor": 1})))?;
        assert_eq!(
            tx.count(Some("acme"))?,
            50,
            "the transaction sees its own rows"
        );
        Err("the next page failed".into())
    });
    assert!(result.is_err());
    assert_eq!(store.count(None).unwrap(), 0);
    assert!(store.load_state(&key).unwrap().is_none());

    // A panic mid-page too leaves nothing.
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _: Result<(), DbError> = store.transaction(|tx| {
            tx.upsert(&page, &meta)?;
            panic!("crash between upsert and state");
        });
    }));
    assert!(caught.is_err());
    assert_eq!(store.count(None).unwrap(), 0);

    // And the store goes on working.
    store
        .transaction(|tx| {
            tx.upsert(&page, &meta)?;
            tx.save_state(&key, &SyncState::new(json!({"cursor": 2})))
        })
        .unwrap();
    assert_eq!(store.count(None).unwrap(), 50);
    assert_eq!(
        store.load_state(&key).unwrap().unwrap().state.state,
        json!({"cursor": 2})
    );
}

fn sync_state_round_trips(db: &TestDb) {
    let mut store = db.open();
    let key = StateKey::new("acme", "cp_id=77").unwrap();
    assert!(store.load_state(&key).unwrap().is_none());
    let mut state = SyncState::new(json!({"pending": ["42_5", "42_9"], "cursor": null}));
    state.newest_call_id = Some(id(9));
    state.pending_count = 2;
    store.transaction(|tx| tx.save_state(&key, &state)).unwrap();
    let first = store.load_state(&key).unwrap().unwrap();
    assert_eq!(first.state, state);
    state.last_run = Some(json!({"inserted": 3, "requests": 1}));
    state.pending_count = 0;
    std::thread::sleep(Duration::from_millis(5));
    store.transaction(|tx| tx.save_state(&key, &state)).unwrap();
    let second = store.load_state(&key).unwrap().unwrap();
    assert_eq!(second.state, state);
    assert_eq!(second.created_at, first.created_at);
    assert!(second.updated_at > first.updated_at);
    let other = StateKey::new("acme", "cp_id=78").unwrap();
    assert!(store.load_state(&other).unwrap().is_none());
}

fn two_writers_are_serialised(db: &TestDb) {
    let url = Arc::new(db.url.clone());
    let key = StateKey::new("acme", "all").unwrap();
    db.open()
        .transaction(|tx| tx.save_state(&key, &SyncState::new(json!({"n": 0}))))
        .unwrap();
    let barrier = Arc::new(Barrier::new(2));
    let writers: Vec<_> = (0..2)
        .map(|w| {
            let (url, key, barrier) = (Arc::clone(&url), key.clone(), Arc::clone(&barrier));
            std::thread::spawn(move || {
                let mut store = Store::open(&url).unwrap();
                if w == 1 {
                    barrier.wait(); // the first writer holds the lock now
                }
                let waited = store.lock_account("acme", Duration::from_secs(20)).unwrap();
                if w == 0 {
                    barrier.wait();
                }
                // Read-modify-write of the state, page by page: a lost update
                // would show if both ran at once.
                for page in 0..5u64 {
                    let n = store.load_state(&key).unwrap().unwrap().state.state["n"]
                        .as_u64()
                        .unwrap();
                    std::thread::sleep(Duration::from_millis(40));
                    let records = vec![call(w * 100 + page)];
                    store
                        .transaction(|tx| {
                            tx.upsert(&records, &pull("acme"))?;
                            tx.save_state(&key, &SyncState::new(json!({"n": n + 1})))
                        })
                        .unwrap();
                }
                store.unlock_account("acme").unwrap();
                waited
            })
        })
        .collect();
    let waits: Vec<Duration> = writers.into_iter().map(|w| w.join().unwrap()).collect();
    assert_eq!(waits[0], Duration::ZERO, "the first writer did not wait");
    assert!(
        waits[1] >= Duration::from_millis(100),
        "the second writer says it waited: {waits:?}"
    );
    let mut store = db.open();
    assert_eq!(
        store.load_state(&key).unwrap().unwrap().state.state["n"],
        10,
        "no lost update"
    );
    assert_eq!(store.count(Some("acme")).unwrap(), 10);

    // A holder that does not let go: the wait ends with Busy, naming the account.
    let mut holder = db.open();
    assert_eq!(
        holder.lock_account("acme", Duration::from_secs(5)).unwrap(),
        Duration::ZERO
    );
    let err = store
        .lock_account("acme", Duration::from_millis(150))
        .unwrap_err();
    assert_eq!(err.kind(), DbErrorKind::Busy, "{err}");
    assert!(err.to_string().contains("\"acme\""), "{err}");
    // Another account is not blocked.
    assert_eq!(
        store
            .lock_account("other", Duration::from_millis(150))
            .unwrap(),
        Duration::ZERO
    );
    drop(holder); // dropping the store (or dying) releases its locks
    store.lock_account("acme", Duration::from_secs(5)).unwrap();

    // Writes are serialised per transaction too (SQLite's write lock, a
    // per-account advisory lock in PostgreSQL): the second says it waited.
    {
        let barrier = Arc::new(Barrier::new(2));
        let b = Arc::clone(&barrier);
        let u = Arc::clone(&url);
        let long = std::thread::spawn(move || {
            let mut s = Store::open(&u).unwrap();
            s.transaction(|tx| {
                tx.upsert(&[call(500)], &pull("acme"))?;
                b.wait();
                std::thread::sleep(Duration::from_millis(300));
                Ok::<_, DbError>(())
            })
            .unwrap();
        });
        barrier.wait();
        let waited = store
            .transaction(|tx| {
                tx.upsert(&[call(501)], &pull("acme"))?;
                Ok::<_, DbError>(tx.waited())
            })
            .unwrap();
        long.join().unwrap();
        assert!(waited >= Duration::from_millis(150), "{waited:?}");
    }
}

fn kill_9_mid_write_loses_nothing(db: &TestDb) {
    let key = StateKey::new("acme", "kill").unwrap();
    let mut last_pages = 0;
    for round in 0..3u64 {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "child_process",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, "writer")
            .env(CHILD_URL_ENV, &db.url)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Wait until the child has committed two more pages, then kill it
        // wherever it is (mid-COPY, mid-merge, mid-commit...).
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut seen = 0;
        for line in lines.by_ref() {
            if line.unwrap().contains("committed ") {
                seen += 1;
                if seen == 2 + round {
                    break;
                }
            }
        }
        assert_eq!(seen, 2 + round, "the child wrote pages");
        std::thread::sleep(Duration::from_millis(3 * round));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();

        let mut store = db.open();
        let state = store
            .load_state(&key)
            .unwrap()
            .expect("a state was committed");
        let pages = state.state.state["pages"].as_u64().unwrap();
        assert!(
            pages > last_pages,
            "round {round}: the writer resumed and went on"
        );
        let rows = store.count(Some("acme")).unwrap();
        assert_eq!(
            rows,
            pages * PAGE,
            "round {round}: whole pages only, exactly those the state counts"
        );
        assert_eq!(state.state.newest_call_id, Some(id(pages * PAGE)));
        let edge = store
            .get(
                "acme",
                &[
                    id((pages - 1) * PAGE + 1),
                    id(pages * PAGE),
                    id(pages * PAGE + 1),
                ],
            )
            .unwrap();
        assert_eq!(
            edge.len(),
            2,
            "the last counted page is whole, the next absent"
        );
        last_pages = pages;
    }
}

/// Runs `Store::open(url)` in a child process as an unprivileged user (as
/// root, file permissions do not apply); the error kind and message.
fn open_in_unprivileged_child(url: &str) -> (String, String) {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    let me = std::env::current_exe().unwrap();
    // As root, run a copy of this test binary that `nobody` may execute
    // (the build folder may be private to root).
    let copy_dir = tempfile::tempdir().unwrap();
    let exe = if running_as_root() {
        let exe = copy_dir.path().join("child");
        std::fs::copy(&me, &exe).unwrap();
        std::fs::set_permissions(copy_dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
        exe
    } else {
        me
    };
    let mut cmd = Command::new(&exe);
    cmd.args([
        "child_process",
        "--exact",
        "--nocapture",
        "--test-threads=1",
    ])
    .env(CHILD_ENV, "open")
    .env(CHILD_URL_ENV, url);
    if running_as_root() {
        cmd.uid(65534).gid(65534); // nobody
    }
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.split_once("result ").map(|(_, r)| r))
        .unwrap_or_else(|| {
            panic!(
                "child printed no result: {stdout} {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
    let (kind, message) = line.split_once(' ').unwrap_or((line, ""));
    (kind.to_owned(), message.to_owned())
}

fn running_as_root() -> bool {
    // The owner of /proc/self is this process's effective user.
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// The child side of the process cases; does nothing in a normal run.
#[test]
fn child_process() {
    let Ok(mode) = std::env::var(CHILD_ENV) else {
        return;
    };
    let url = std::env::var(CHILD_URL_ENV).unwrap();
    match mode.as_str() {
        "open" => match Store::open(&url) {
            Ok(_) => println!("result Ok opened"),
            Err(e) => println!("result {:?} {e}", e.kind()),
        },
        "writer" => {
            let mut store = Store::open(&url).unwrap();
            let key = StateKey::new("acme", "kill").unwrap();
            let meta = pull("acme");
            // Resume from the committed state; bounded in pages and time.
            let mut pages = store
                .load_state(&key)
                .unwrap()
                .map_or(0, |s| s.state.state["pages"].as_u64().unwrap());
            let started = Instant::now();
            while pages < 1000 && started.elapsed() < Duration::from_secs(60) {
                let page: Vec<CallRecord> =
                    (pages * PAGE + 1..=(pages + 1) * PAGE).map(call).collect();
                let mut state = SyncState::new(json!({"pages": pages + 1}));
                state.newest_call_id = Some(id((pages + 1) * PAGE));
                store
                    .transaction(|tx| {
                        tx.upsert(&page, &meta)?;
                        tx.save_state(&key, &state)
                    })
                    .unwrap();
                pages += 1;
                println!("committed {pages}");
            }
        }
        other => panic!("unknown child mode {other}"),
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
    migrations_from_empty,
    first_opens_at_once_migrate_once,
    migrations_from_an_older_version,
    newer_schema_is_refused,
    read_only_database_is_refused,
    unreachable_database_is_refused,
    upsert_counts_inserted_updated_unchanged,
    in_progress_call_becomes_final,
    problems_extra_and_raw_json_are_stored,
    money_round_trips_exactly,
    transaction_is_atomic,
    sync_state_round_trips,
    two_writers_are_serialised,
    kill_9_mid_write_loses_nothing,
);
