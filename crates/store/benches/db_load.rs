//! Initial load into the database store: N generated calls (default
//! 1,000,000) in pages of 5,000, each page's rows and sync state in one
//! transaction, as `velip sync` writes them; then the same pages again
//! (every record unchanged: the cost of a re-read). Prints records/s and
//! the process's peak RSS.
//!
//!   cargo bench -p velip-store --bench db_load                 SQLite (+ PostgreSQL when
//!                                                              VELIP_TEST_POSTGRES_URL is set)
//!   scripts/with-postgres cargo bench -p velip-store --bench db_load
//!   VELIP_BENCH_RECORDS=200000 cargo bench -p velip-store --bench db_load
//!
//! Each backend runs in a process of its own (the bench re-runs itself), so
//! each peak RSS is its own.
#![allow(clippy::doc_markdown)]
// Generated values and rates: small counts, approximate figures.
#![allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]

use std::process::Command;
use std::time::{Duration, Instant};

use velip_core::{AmdResult, CallId, CallRecord, CallStatus, Destination};
use velip_store::db::{Source, StateKey, Store, SyncState, WriteMeta};

const PAGE: u64 = 5000;

fn records() -> u64 {
    std::env::var("VELIP_BENCH_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000)
}

/// Page `p` (0-based) of the walk, newest first, like the sandbox's calls:
/// about one in ten still in progress, DTMF on some, extra fields on all.
fn page(p: u64, total: u64, dests: &[Destination]) -> Vec<CallRecord> {
    let top = 10_000_000 + total;
    let first = top - p * PAGE;
    let last = first.saturating_sub(PAGE).max(top - total);
    (last + 1..=first)
        .rev()
        .map(|n| {
            let mut r = CallRecord::new(CallId::with_alias("42", n).unwrap());
            let final_ = n % 10 != 0;
            r.status = final_.then_some(match n % 5 {
                0 => CallStatus::Busy,
                1 => CallStatus::NoAnswer,
                _ => CallStatus::Answered,
            });
            r.amd = final_.then_some(AmdResult::Human);
            r.campaign_id = Some(1000 + n % 50);
            r.campaign_ref = Some(format!("camp-{}", n % 50));
            r.correlation_id = Some(format!("order-{n}"));
            r.origin = Some("api".to_owned());
            r.destination = Some(dests[(n % dests.len() as u64) as usize].clone());
            r.date = chrono::NaiveDate::from_ymd_opt(2026, 5, 1 + (n % 28) as u32);
            r.dial_time =
                chrono::NaiveTime::from_num_seconds_from_midnight_opt((n % 86_000) as u32, 0);
            if final_ {
                r.answer_time = chrono::NaiveTime::from_num_seconds_from_midnight_opt(
                    (n % 86_000) as u32 + 5,
                    0,
                );
                r.hangup_time = chrono::NaiveTime::from_num_seconds_from_midnight_opt(
                    (n % 86_000) as u32 + 60,
                    0,
                );
                r.duration_seconds = Some(55);
                r.rate = Some(velip_core::Decimal::new(50, 3));
                r.value = Some(velip_core::Decimal::new(100, 3));
            }
            if n % 3 == 0 {
                r.dtmf = vec!["1".to_owned(), String::new(), (n % 10).to_string()];
            }
            r.route = Some("Mobile BR".to_owned());
            r.extra.insert(
                "cdc_extra1".to_owned(),
                serde_json::json!(format!("cliente {}", n % 997)),
            );
            r
        })
        .collect()
}

/// CPU seconds (user + system) of a process, from `/proc/PID/stat`
/// (clock ticks of 1/100 s).
fn cpu_seconds(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name in parentheses: utime is the 14th field
    // of the line, stime the 15th.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

/// CPU seconds of the PostgreSQL cluster serving `port`: its postmaster
/// (started by scripts/with-postgres with `-c port=PORT`) and the processes
/// it forked (our backend, WAL writer, checkpointer, autovacuum). Other
/// clusters on the machine are not counted.
fn postgres_cpu_seconds(port: &str) -> f64 {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0.0;
    };
    let pids: Vec<String> = dir
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|pid| pid.bytes().all(|b| b.is_ascii_digit()))
        .collect();
    let needle = format!("port={port}");
    let Some(postmaster) = pids.iter().find(|pid| {
        std::fs::read(format!("/proc/{pid}/cmdline"))
            .is_ok_and(|c| String::from_utf8_lossy(&c).split('\0').any(|a| a == needle))
    }) else {
        return 0.0;
    };
    let parent = |pid: &str| -> Option<String> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        stat.rsplit_once(')')?
            .1
            .split_whitespace()
            .nth(1)
            .map(str::to_owned)
    };
    pids.iter()
        .filter(|pid| *pid == postmaster || parent(pid).as_deref() == Some(postmaster.as_str()))
        .map(|pid| cpu_seconds(pid))
        .sum()
}

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}

/// Loads every page; the time spent in the store and the counts.
fn load(
    store: &mut Store,
    total: u64,
    dests: &[Destination],
) -> (Duration, velip_store::db::UpsertCounts) {
    let meta = WriteMeta::new("bench", Source::Pull).unwrap();
    let key = StateKey::new("bench", "all").unwrap();
    let mut spent = Duration::ZERO;
    let mut counts = velip_store::db::UpsertCounts::default();
    for p in 0..total.div_ceil(PAGE) {
        let records = page(p, total, dests);
        let mut state = SyncState::new(
            serde_json::json!({"cursor": records.last().map(|r| r.call_id.number())}),
        );
        state.newest_call_id = Some(CallId::with_alias("42", 10_000_000 + total).unwrap());
        let start = Instant::now();
        counts += store
            .transaction(|tx| {
                let c = tx.upsert(&records, &meta)?;
                tx.save_state(&key, &state)?;
                Ok::<_, velip_store::db::DbError>(c)
            })
            .unwrap();
        spent += start.elapsed();
    }
    (spent, counts)
}

fn run(backend: &str, url: &str) {
    let total = records();
    let dests: Vec<Destination> = (0..100)
        .map(|i| Destination::from_wire(&format!("55119{:08}", 10_000_000 + i * 7919)))
        .collect();
    let mut store = Store::open(url).unwrap_or_else(|e| panic!("{e}"));
    // The server's port, from `...@127.0.0.1:PORT/db`.
    let port = url
        .rsplit_once(':')
        .and_then(|(_, rest)| rest.split('/').next())
        .unwrap_or_default()
        .to_owned();
    let cpu = || {
        cpu_seconds("self")
            + if backend == "postgres" {
                postgres_cpu_seconds(&port)
            } else {
                0.0
            }
    };
    for (what, expect_inserted) in [("initial load", true), ("re-read, same", false)] {
        let (cpu0, wall) = (cpu(), Instant::now());
        let (spent, counts) = load(&mut store, total, &dests);
        let (cpu_spent, wall) = (cpu() - cpu0, wall.elapsed());
        if expect_inserted {
            assert_eq!(counts.inserted, total);
        } else {
            assert_eq!(counts.unchanged, total);
        }
        println!(
            "{backend:<9} {what:<14} {total:>8} records  {:>6.2} s in the store ({:>6.2} s wall)  {:>7.0} records/s  \
             CPU {cpu_spent:>5.2} s (client{}) = {:>7.0} records per CPU-second",
            spent.as_secs_f64(),
            wall.as_secs_f64(),
            total as f64 / spent.as_secs_f64(),
            if backend == "postgres" {
                " + server"
            } else {
                ""
            },
            total as f64 / cpu_spent.max(0.01),
        );
    }
    println!(
        "{backend:<9} peak RSS {:.1} MiB (client process)",
        peak_rss_mib()
    );
    println!(
        "{backend:<9} load average during the run: {}",
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    match args.first().map(String::as_str) {
        Some("sqlite") => {
            let dir = tempfile::tempdir().unwrap();
            run(
                "sqlite",
                &format!("sqlite://{}", dir.path().join("bench.db").display()),
            );
        }
        Some("postgres") => {
            let url = std::env::var("VELIP_TEST_POSTGRES_URL").unwrap();
            let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
            c.batch_execute("DROP SCHEMA IF EXISTS velip_bench CASCADE; CREATE SCHEMA velip_bench")
                .unwrap();
            let sep = if url.contains('?') { '&' } else { '?' };
            run(
                "postgres",
                &format!("{url}{sep}options=-csearch_path%3Dvelip_bench"),
            );
            c.batch_execute("DROP SCHEMA velip_bench CASCADE").unwrap();
        }
        _ => {
            let me = std::env::current_exe().unwrap();
            let mut backends = vec!["sqlite"];
            if std::env::var_os("VELIP_TEST_POSTGRES_URL").is_some() {
                backends.push("postgres");
            } else {
                println!("postgres   skipped: set VELIP_TEST_POSTGRES_URL (scripts/with-postgres)");
            }
            for b in backends {
                let status = Command::new(&me).arg(b).status().unwrap();
                assert!(status.success(), "{b} bench failed");
            }
        }
    }
}
