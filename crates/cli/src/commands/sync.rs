//! `velip sync`: keep a table of calls current in SQLite or PostgreSQL (the
//! engine is `velip_store::sync::SyncJob`; this file only translates the
//! arguments and prints).

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use chrono::NaiveDate;
use clap::Args;
use velip_store::db::{OpenOptions, Store};
use velip_store::sync::{SyncEvent, SyncJob};

use crate::args::Filters;
use crate::context::Context;
use crate::exit::Failure;
use crate::progress::Progress;

/// `velip sync` arguments.
#[derive(Debug, Args)]
#[allow(clippy::doc_markdown)] // the doc comments are `--help` text, not rustdoc
pub(crate) struct SyncArgs {
    #[command(flatten)]
    pub(crate) filters: Filters,
    /// The database: `sqlite:FILE` (embedded, nothing to install; relative
    /// to the current folder, `sqlite:///abs/path.db` absolute) or
    /// `postgres://user[:password]@host[:port]/db`.
    #[arg(
        long,
        env = "VELIP_DB",
        default_value = "sqlite:calls.db",
        hide_env_values = true,
        value_name = "URL"
    )]
    pub(crate) db: String,
    /// The label the calls are stored under (the `account` column); give
    /// each account its own when several share a database.
    #[arg(long, default_value = "default", value_name = "LABEL")]
    pub(crate) account: String,
    /// First run only: read calls from this day on: `30d` (30 days ago,
    /// America/Sao_Paulo) or `YYYY-MM-DD`. Later runs keep that first day.
    /// Default: the whole selection; every call: the last 30 days.
    #[arg(long, value_name = "30d|DATE", value_parser = parse_since)]
    pub(crate) since: Option<NaiveDate>,
    /// How long to wait for another sync of the same account and database,
    /// in seconds (nothing is sent meanwhile).
    #[arg(long, default_value = "3600", value_parser = parse_secs, value_name = "SECONDS")]
    pub(crate) lock_timeout: Duration,
    /// The most single-call lookups of calls in progress per run (beyond,
    /// the walk reads further down instead); 0: never look up.
    #[arg(long, value_name = "N")]
    pub(crate) max_lookups: Option<u32>,
}

/// `30d` or `YYYY-MM-DD`.
fn parse_since(s: &str) -> Result<NaiveDate, String> {
    let s = s.trim();
    if let Some(days) = s.strip_suffix(['d', 'D']) {
        return days
            .parse::<u32>()
            .map(velip_core::model::local_time::days_ago)
            .map_err(|_| format!("{s:?}: expected a number of days such as 30d, or YYYY-MM-DD"));
    }
    s.parse::<NaiveDate>()
        .map_err(|_| format!("{s:?}: expected a number of days such as 30d, or YYYY-MM-DD"))
}

fn parse_secs(s: &str) -> Result<Duration, String> {
    s.trim()
        .parse::<f64>()
        .ok()
        .and_then(|v| Duration::try_from_secs_f64(v).ok())
        .ok_or_else(|| format!("{s:?} is not a number of seconds"))
}

/// Whether any filter that selects calls was given.
fn selects(f: &Filters) -> bool {
    f.campaign_id.is_some()
        || f.campaign_ref.is_some()
        || f.date_start.is_some()
        || f.date_end.is_some()
        || f.ctid.is_some()
        || f.empty_ctid
}

/// Opens the database (before any request: it fails here when it is
/// unreachable, read-only, full or of a newer schema).
pub(crate) fn open(a: &SyncArgs) -> Result<Store, Failure> {
    Store::open_with(&a.db, &OpenOptions::new()).map_err(Failure::from)
}

pub(crate) fn run(ctx: &Context, a: &SyncArgs, mut store: Store) -> Result<(), Failure> {
    let f = &a.filters;
    if f.cursor.is_some() {
        return Err(Failure::Usage(
            "--cursor does not apply to sync: each run starts at the newest call".to_owned(),
        ));
    }
    let mut job = SyncJob::new(&a.account)?;
    if selects(f) {
        job = job.selection(f.builder(5000).build()?);
    } else if f.only_dtmf || f.numtype.is_some() || f.origin.is_some() {
        return Err(Failure::Usage(
            "--only-dtmf, --numtype and --origin need a selection: --campaign-id, --campaign-ref, --date-start/--date-end, --ctid or --empty-ctid".to_owned(),
        ));
    } else if let Some(n) = f.page_size {
        job = job.page_size(u32::try_from(n).unwrap_or(0));
    }
    if let Some(d) = a.since {
        job = job.since(d);
    }
    if let Some(n) = a.max_lookups {
        job = job.max_lookups(n);
    }
    let quiet = ctx.quiet;
    let database = store.name().to_owned();
    let db_name = database.clone();
    let progress = Arc::new(std::sync::Mutex::new(Progress::new(quiet)));
    let p = Arc::clone(&progress);
    let flag = Arc::clone(&ctx.interrupted);
    job = job
        .lock_timeout(a.lock_timeout)
        .interrupt_check(Arc::new(move || flag.load(Ordering::SeqCst)))
        .on_event(Arc::new(move |e| {
            let mut progress = p.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            match e {
                SyncEvent::WaitingForLock { database, account } if !quiet => note!(
                    "another sync of account {account:?} into {database} is running: waiting for it to finish"
                ),
                SyncEvent::Started { kind, resumed, since } if !quiet => {
                    let from = since.map(|d| format!(" from {d}")).unwrap_or_default();
                    note!(
                        "sync: {}{kind}{from} into {db_name}",
                        if *resumed { "resuming the interrupted " } else { "" },
                    );
                }
                SyncEvent::Page { records, pages, .. } => progress.update(*records, *pages, 0),
                SyncEvent::LookingUp { calls } if !quiet => {
                    note!("looking up {calls} calls in progress that the walk did not reach");
                }
                _ => {}
            }
        }));
    let result = job.run(&ctx.client, &mut store);
    progress
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .finish();
    match result {
        Ok(r) => {
            if !quiet {
                for w in &r.warnings {
                    note!("warning: {w}");
                }
                if r.lock_waited > Duration::ZERO {
                    note!(
                        "waited {:.1} s for another sync of account {:?}",
                        r.lock_waited.as_secs_f64(),
                        r.account
                    );
                }
                if r.rejected > 0 {
                    note!(
                        "note: {} entries without a readable call id were not stored; velip_sync_state.last_run lists them",
                        r.rejected
                    );
                }
                note!(
                    "synced account {:?} into {database}{}",
                    r.account,
                    if r.numbers_masked {
                        " (phone numbers are masked for this token)"
                    } else {
                        ""
                    }
                );
                note!(
                    "{r}; {}",
                    crate::quota::summary(r.requests_sent, r.quota.as_ref())
                );
            }
            Ok(())
        }
        Err(e) => {
            if !quiet {
                note!(
                    "sync stopped; what it wrote is committed, and the next `velip sync` resumes there"
                );
                note!(
                    "{}",
                    crate::quota::summary(
                        ctx.client.requests_sent(),
                        ctx.client.quota_report().as_ref()
                    )
                );
            }
            Err(e.into())
        }
    }
}
