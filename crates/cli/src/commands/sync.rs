//! `velip sync`: keep a table of calls current in SQLite or PostgreSQL (the
//! engine is `velip_store::sync::SyncJob`; this file only translates the
//! arguments and prints).

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use velip_core::model::local_time::DaySpec;
use velip_store::db::{OpenOptions, Store};
use velip_store::sync::{SyncEvent, SyncJob};

use crate::args::selection::Filters;
use crate::args::sync::SyncArgs;
use crate::context::Context;
use crate::exit::Failure;
use crate::progress::Progress;

/// Whether any filter that selects calls was given (`--since` aside: it is
/// the first run's first day, not part of the selection).
fn selects(f: &Filters) -> bool {
    f.campaign_id.is_some()
        || f.campaign_ref.is_some()
        || f.date.is_some()
        || f.until.is_some()
        || f.date_start.is_some()
        || f.date_end.is_some()
        || f.ctid.is_some()
        || f.empty_ctid
}

/// The checks made before anything starts (see [`super::check`]): usage
/// rules and the selection's validation.
pub(crate) fn check(a: &SyncArgs) -> Result<(), Failure> {
    job(a).map(|_| ())
}

/// The job the arguments describe (nothing sent, nothing opened).
fn job(a: &SyncArgs) -> Result<SyncJob, Failure> {
    let f = &a.filters;
    if f.cursor.is_some() {
        return Err(Failure::Usage(
            "--cursor does not apply to sync: each run starts at the newest call".to_owned(),
        ));
    }
    // A selection is the key of its sync state: a day relative to today
    // would name a new selection, and a new backfill, every day.
    for (flag, day) in [("--date", f.date), ("--until", f.until)] {
        if matches!(
            day,
            Some(DaySpec::Today | DaySpec::Yesterday | DaySpec::Ago(_))
        ) {
            return Err(Failure::Usage(format!(
                "{flag} takes a date YYYY-MM-DD in a sync (a day relative to today would make a new selection, and a new backfill, every day); for the first run's first day use --since"
            )));
        }
    }
    let mut job = SyncJob::new(&a.account).map_err(Failure::from)?;
    if selects(f) {
        let selection = Filters {
            since: None,
            ..f.clone()
        };
        job = job.selection(selection.query(5000)?);
    } else if f.only_dtmf || f.numtype.is_some() || f.origin.is_some() {
        return Err(Failure::Usage(
            "--only-dtmf, --numtype and --origin need a selection: --campaign-id, --campaign-ref, --date, --date-start/--date-end, --ctid or --empty-ctid".to_owned(),
        ));
    } else if let Some(n) = f.page_size {
        job = job.page_size(u32::try_from(n).unwrap_or(0));
    }
    if let Some(d) = f.since {
        job = job.since(d.resolve());
    }
    if let Some(n) = a.max_lookups {
        job = job.max_lookups(n);
    }
    Ok(job.lock_timeout(a.lock_timeout))
}

/// Opens the database (before any request: it fails here when it is
/// unreachable, read-only, full or of a newer schema).
pub(crate) fn open(a: &SyncArgs) -> Result<Store, Failure> {
    Store::open_with(&a.db, &OpenOptions::new()).map_err(Failure::from)
}

pub(crate) fn run(ctx: &Context, a: &SyncArgs, mut store: Store) -> Result<(), Failure> {
    let mut job = job(a)?;
    let quiet = ctx.quiet;
    let database = store.name().to_owned();
    let db_name = database.clone();
    let progress = Arc::new(std::sync::Mutex::new(Progress::new(quiet)));
    let p = Arc::clone(&progress);
    let flag = Arc::clone(&ctx.interrupted);
    job = job
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
