//! [`SyncJob`]: one sync of a selection into a [`Store`], run by run.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use velip_blocking::{CallIter, Client, Error};
use velip_core::{CallId, CallRecord, Page, Query};

use crate::db::{DbErrorKind, Source, StateKey, Store, UpsertCounts, WriteMeta};

use super::SyncError;
use super::event::{EventCallback, SyncEvent};
use super::plan::{self, Costs, Leg};
use super::report::{RunKind, SyncReport};
use super::selection;
use super::state::{EngineState, MAX_REJECTED_KEPT, Phase, Rejected, RunState};

/// Days a sync of every call reads back on its first run when no `since`
/// is given.
pub const DEFAULT_SINCE_DAYS: u32 = 30;

/// Default of [`SyncJob::lookups_per_list_request`].
pub const DEFAULT_LOOKUPS_PER_LIST_REQUEST: u32 = 10;

/// Default of [`SyncJob::max_lookups`].
pub const DEFAULT_MAX_LOOKUPS: u32 = 1000;

/// `only_dtmf` selections: a call dialed this long before a run began is
/// taken to be over (final) when that run reads it.
const SETTLE: Duration = Duration::from_secs(2 * 3600);

/// Lookups committed together (rows and state in one transaction).
const LOOKUP_BATCH: usize = 50;

/// How often a wait for the sync lock checks for an interrupt.
const LOCK_POLL: Duration = Duration::from_millis(250);

/// A sync of one selection of one account into a database: the first run
/// backfills the selection, each later run reads only what is new or may
/// still change (see the [module docs](super) for what is read again and
/// why). Build it once, [`run`](Self::run) it as often as you like (a cron
/// job, a Celery task): the state lives in the database.
///
/// ```no_run
/// use velip_blocking::Client;
/// use velip_core::Query;
/// use velip_store::sync::SyncJob;
///
/// let client = Client::builder().token("your-30-character-token-here00").build()?;
/// let mut store = velip_store::db::open("sqlite:calls.db")?; // fails here, before any request
/// let job = SyncJob::new("acme")?.selection(Query::builder().campaign_id(555).build()?);
/// let report = job.run(&client, &mut store)?;
/// println!("{report}"); // incremental: 12 inserted, 3 updated, 4985 unchanged; ...
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct SyncJob {
    account: String,
    selection: Option<Query>,
    since: Option<NaiveDate>,
    page_size: Option<u32>,
    lock_timeout: Duration,
    costs: Costs,
    on_event: Option<EventCallback>,
    interrupt: Option<Arc<dyn Fn() -> bool + Send + Sync>>,
}

impl std::fmt::Debug for SyncJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncJob")
            .field("account", &self.account)
            .field("selection", &self.selection)
            .field("since", &self.since)
            .field("lock_timeout", &self.lock_timeout)
            .finish_non_exhaustive()
    }
}

impl SyncJob {
    /// A sync of every call of `account` (a short non-secret label, 1 to
    /// 128 characters, stored in the `account` column; never the token):
    /// narrow it with [`selection`](Self::selection).
    ///
    /// # Errors
    /// [`SyncError::Database`] ([`DbErrorKind::InvalidInput`]) naming the
    /// rule the label breaks.
    pub fn new(account: &str) -> Result<Self, SyncError> {
        StateKey::new(account, "")?;
        Ok(Self {
            account: account.to_owned(),
            selection: None,
            since: None,
            page_size: None,
            lock_timeout: Duration::from_secs(3600),
            costs: Costs {
                lookups_per_list_request: DEFAULT_LOOKUPS_PER_LIST_REQUEST,
                max_lookups: DEFAULT_MAX_LOOKUPS,
            },
            on_event: None,
            interrupt: None,
        })
    }

    /// Which calls: a list query (campaign, campaign ref, dates, correlation
    /// id, DTMF only, number format, origin; its page size is used, its
    /// cursor ignored). Each selection has a state of its own, keyed by its
    /// parameters ([`selection_key`](Self::selection_key)). Without one,
    /// every call from the first run's [`since`](Self::since) on.
    #[must_use]
    pub fn selection(mut self, query: Query) -> Self {
        self.selection = Some(query);
        self
    }

    /// The first run reads calls dated from `date` on (America/Sao_Paulo
    /// dates, wire `date_start`), and every later run keeps to that first
    /// day; ignored once the selection has a state. Without it the first run
    /// reads the whole selection, or, for a sync of every call, the last
    /// [`DEFAULT_SINCE_DAYS`] days
    /// ([`days_ago`](velip_core::model::local_time::days_ago)).
    #[must_use]
    pub fn since(mut self, date: NaiveDate) -> Self {
        self.since = Some(date);
        self
    }

    /// Records per list request (wire `maxreg`, 1 to 5000; checked by
    /// [`run`](Self::run)), over the selection's own; default 5000, the
    /// fewest requests. Not part of the selection key.
    #[must_use]
    pub fn page_size(mut self, records: u32) -> Self {
        self.page_size = Some(records);
        self
    }

    /// How long a run waits for another sync of the same account and
    /// database to finish before failing with [`DbErrorKind::Busy`]
    /// (default one hour). Nothing is sent while it waits.
    #[must_use]
    pub fn lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout;
        self
    }

    /// How many point lookups (`cd_id`, the daily lookup cap) are worth one
    /// list request (the 200-per-hour list quota) when choosing how to read
    /// calls still in progress below the newest stored one (default
    /// [`DEFAULT_LOOKUPS_PER_LIST_REQUEST`]; 0: always look up).
    #[must_use]
    pub fn lookups_per_list_request(mut self, n: u32) -> Self {
        self.costs.lookups_per_list_request = n;
        self
    }

    /// The most point lookups one run spends (default
    /// [`DEFAULT_MAX_LOOKUPS`]); beyond, the walk reads further down
    /// instead. 0: never look up (walk down to the oldest call in
    /// progress).
    #[must_use]
    pub fn max_lookups(mut self, n: u32) -> Self {
        self.costs.max_lookups = n;
        self
    }

    /// Called with each [`SyncEvent`] (progress, a wait for the lock), on
    /// the thread that runs the sync.
    #[must_use]
    pub fn on_event(mut self, callback: EventCallback) -> Self {
        self.on_event = Some(callback);
        self
    }

    /// Polled while the run waits for the sync lock (and between pages):
    /// `true` stops the run with [`Error::Interrupted`]. The client's own
    /// interrupt check covers requests and quota waits.
    #[must_use]
    pub fn interrupt_check(mut self, check: Arc<dyn Fn() -> bool + Send + Sync>) -> Self {
        self.interrupt = Some(check);
        self
    }

    /// The account label.
    pub fn account(&self) -> &str {
        &self.account
    }

    /// The key of this selection's state (`velip_sync_state.selection_key`):
    /// its wire parameters form-encoded, without page size and cursor
    /// (`cp_id=555&onlydtmf=1`); empty for every call.
    pub fn selection_key(&self) -> String {
        selection::key(self.selection.as_ref())
    }

    fn emit(&self, event: &SyncEvent<'_>) {
        if let Some(cb) = &self.on_event {
            cb(event);
        }
    }

    fn check_interrupt(&self) -> Result<(), SyncError> {
        if self.interrupt.as_ref().is_some_and(|f| f()) {
            return Err(Error::Interrupted.into());
        }
        Ok(())
    }

    /// One run: takes the account's sync lock (waiting for another sync,
    /// which it reports as [`SyncEvent::WaitingForLock`] and in
    /// [`SyncReport::lock_waited`]), then backfills (first run), resumes an
    /// interrupted run, or reads what is new and what may still have
    /// changed. Each page's rows commit together with the sync state (walk
    /// checkpoint included): a crash at any point loses nothing, and the
    /// next run resumes there.
    ///
    /// The selection is checked, and the store was opened (which checks the
    /// database is reachable, writable, not full and not of a newer
    /// schema), before any request is sent.
    ///
    /// # Errors
    /// [`SyncError::Client`]: an invalid selection (nothing sent), a
    /// request that failed (rate limited beyond the client's wait,
    /// authentication, transport, ...), an interrupt.
    /// [`SyncError::Database`]: a write that failed, the lock still held
    /// by another sync after [`lock_timeout`](Self::lock_timeout)
    /// ([`DbErrorKind::Busy`]), a state written by a newer velip.
    /// Whatever was committed stays.
    pub fn run(&self, client: &Client, store: &mut Store) -> Result<SyncReport, SyncError> {
        let started = Instant::now();
        if let Some(q) = &self.selection {
            selection::check(q)?;
        }
        if let Some(n) = self.page_size
            && !(1..=velip_core::query::MAX_PAGE_SIZE).contains(&n)
        {
            return Err(velip_core::ValidationError::single(
                "page_size",
                "maxreg",
                velip_core::query::ViolationCode::PageSizeRange,
                format!("must be 1 to 5000 (got {n})"),
            )
            .into());
        }
        let key = StateKey::new(&self.account, &self.selection_key())?;
        let waited = self.lock(store)?;
        let result = Run::new(self, client, store, key, started, waited).and_then(Run::go);
        // Released on drop or crash too; an error releasing it changes nothing.
        let _ = store.unlock_account(&self.account);
        result
    }

    /// Takes the account's sync lock: at once, or after telling the caller
    /// it waits; polls the interrupt check while waiting.
    fn lock(&self, store: &mut Store) -> Result<Duration, SyncError> {
        match store.lock_account(&self.account, Duration::ZERO) {
            Ok(_) => return Ok(Duration::ZERO),
            Err(e) if e.kind() == DbErrorKind::Busy => {}
            Err(e) => return Err(e.into()),
        }
        let database = store.name().to_owned();
        self.emit(&SyncEvent::WaitingForLock {
            database: &database,
            account: &self.account,
        });
        log::info!(target: "velip", "another sync of account {:?} into {database} runs: waiting for it", self.account);
        let start = Instant::now();
        loop {
            self.check_interrupt()?;
            let left = self.lock_timeout.saturating_sub(start.elapsed());
            match store.lock_account(&self.account, left.min(LOCK_POLL)) {
                Ok(_) => return Ok(start.elapsed()),
                Err(e) if e.kind() == DbErrorKind::Busy && !left.is_zero() && left > LOCK_POLL => {}
                Err(e) if e.kind() == DbErrorKind::Busy => {
                    return Err(crate::db::DbError::new(
                        DbErrorKind::Busy,
                        format!(
                            "another sync of account {:?} into {database} still runs after waiting {:.0} s; try again later, or stop the other sync",
                            self.account,
                            self.lock_timeout.as_secs_f64()
                        ),
                    )
                    .into());
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
}

/// One run in progress.
struct Run<'a> {
    job: &'a SyncJob,
    client: &'a Client,
    store: &'a mut Store,
    key: StateKey,
    meta: WriteMeta,
    state: EngineState,
    /// The last finished run's summary (kept in its column while this run goes).
    previous_summary: Option<serde_json::Value>,
    query: Query,
    page_size: u32,
    resumed: bool,
    started: Instant,
    requests_before: u64,
    lock_waited: Duration,
}

impl<'a> Run<'a> {
    fn new(
        job: &'a SyncJob,
        client: &'a Client,
        store: &'a mut Store,
        key: StateKey,
        started: Instant,
        lock_waited: Duration,
    ) -> Result<Self, SyncError> {
        let stored = store.load_state(&key)?;
        let (mut state, last_run) = match stored {
            Some(s) => (
                EngineState::from_json(store.name(), &key, &s.state.state)?,
                s.state.last_run,
            ),
            None => (EngineState::new(), None),
        };
        let resumed = state.run.is_some();
        if let Some(run) = &mut state.run {
            run.resumptions += 1;
        } else {
            let first = state.runs == 0 && state.newest.is_none();
            if first {
                state.floor_date = job.since.or_else(|| {
                    job.selection
                        .is_none()
                        .then(|| velip_core::model::local_time::days_ago(DEFAULT_SINCE_DAYS))
                });
            }
            let only_dtmf = job.selection.as_ref().is_some_and(Query::only_dtmf);
            let (kind, stop_at) = if first {
                (RunKind::Backfill, None)
            } else if only_dtmf {
                // Calls in progress are not listed at all: read again down
                // to the newest call known to have been final when read.
                (RunKind::Incremental, state.settled.map(|n| n + 1))
            } else {
                (RunKind::Incremental, state.newest_number().map(|n| n + 1))
            };
            state.run = Some(RunState::new(kind, stop_at));
        }
        let mut query = selection::walk_query(job.selection.as_ref(), state.floor_date)?;
        if let Some(n) = job.page_size {
            query = query.with_page_size(Some(velip_core::query::PageSize::Records(n)));
        }
        let page_size = query.page_size().map_or(
            velip_core::query::MAX_PAGE_SIZE,
            velip_core::query::PageSize::get,
        );
        Ok(Self {
            meta: WriteMeta::new(&job.account, Source::Pull)?,
            job,
            requests_before: client.requests_sent(),
            client,
            store,
            key,
            state,
            previous_summary: last_run,
            query,
            page_size,
            resumed,
            started,
            lock_waited,
        })
    }

    fn run_state(&mut self) -> &mut RunState {
        self.state
            .run
            .get_or_insert_with(|| RunState::new(RunKind::Incremental, None))
    }

    fn go(mut self) -> Result<SyncReport, SyncError> {
        let (kind, resumed) = (self.run_state().kind, self.resumed);
        self.job.emit(&SyncEvent::Started {
            kind,
            resumed,
            since: self.state.floor_date,
        });
        loop {
            self.job.check_interrupt()?;
            match self.run_state().phase {
                Phase::Walk { stop_at, extension } => self.walk(stop_at, extension)?,
                Phase::Lookups => {
                    self.lookups()?;
                    return self.finish();
                }
            }
        }
    }

    /// Commits the state alone (a phase change).
    fn save(&mut self) -> Result<(), SyncError> {
        let state = self.state.to_sync_state(self.previous_summary.as_ref());
        let key = &self.key;
        self.store.transaction(|tx| tx.save_state(key, &state))?;
        Ok(())
    }

    /// Walks from the run's checkpoint, committing each page with the state,
    /// until the walk ends (the selection's end, or `stop_at`); then picks
    /// the next phase (committed with the last page).
    fn walk(&mut self, stop_at: Option<u64>, extension: bool) -> Result<(), SyncError> {
        let checkpoint = self.run_state().walk.clone();
        let mut walk: CallIter = self.client.resume_calls(self.query.clone(), &checkpoint);
        if let Some(n) = stop_at {
            walk = walk.stop_at(n);
        }
        loop {
            self.job.check_interrupt()?;
            let page = match walk.next_page() {
                None => {
                    // Nothing more (a resumed walk that had ended).
                    self.end_walk(&walk, extension);
                    self.save()?;
                    return Ok(());
                }
                Some(Err(e)) => return Err(e.into()),
                Some(Ok(page)) => page,
            };
            self.absorb(&page, extension);
            let run = self.run_state();
            run.walk = walk.checkpoint();
            run.masked |= walk.numbers_masked();
            for w in walk.warnings() {
                if !run.warnings.contains(w) {
                    run.warnings.push(w.clone());
                }
            }
            let done = walk.is_finished();
            if done {
                self.end_walk(&walk, extension);
            }
            self.commit_page(&page.records)?;
            let run = self.run_state();
            let (records, pages, counts) =
                (run.counts.records, run.walk.pages(), run.counts.upserts());
            self.job.emit(&SyncEvent::Page {
                records,
                pages,
                counts,
            });
            if done {
                return Ok(());
            }
        }
    }

    /// Upserts `records` and saves the state, in one transaction.
    fn commit_page(&mut self, records: &[CallRecord]) -> Result<UpsertCounts, SyncError> {
        let (key, meta) = (&self.key, &self.meta);
        let last_run = self.previous_summary.as_ref();
        let state = &mut self.state;
        let counts = self.store.transaction(|tx| {
            let counts = tx.upsert(records, meta)?;
            if let Some(run) = &mut state.run {
                run.counts.add(counts);
            }
            tx.save_state(key, &state.to_sync_state(last_run))?;
            Ok::<_, SyncError>(counts)
        });
        // On an error nothing of the page was committed; the run ends, and
        // the next one starts again from the state in the database.
        counts
    }

    /// Takes a page into the state: the calls in progress it holds, those
    /// it passed over (no longer in the selection: looked up later), the
    /// walk's reach and top, rejected entries.
    fn absorb(&mut self, page: &Page, extension: bool) {
        let run_started = self.run_state().started_at;
        let settle_before = run_started - chrono::Duration::from_std(SETTLE).unwrap_or_default();
        let only_dtmf = self.job.selection.as_ref().is_some_and(Query::only_dtmf);
        let state = &mut self.state;
        let Some(run) = state.run.as_mut() else {
            return;
        };
        run.counts.records += page.records.len() as u64;
        if !extension {
            run.counts.first_leg_records += page.records.len() as u64;
        }
        for r in &page.rejected {
            run.counts.rejected += 1;
            if run.rejected.len() < MAX_REJECTED_KEPT {
                run.rejected.push(Rejected {
                    raw: r.raw.chars().take(2000).collect(),
                    problem: r.problem.to_string(),
                });
            }
        }
        let Some(low) = page.records.iter().map(|r| r.call_id.number()).min() else {
            return;
        };
        if run.top.is_none()
            && let Some(first) = page.records.iter().max_by_key(|r| r.call_id.number())
        {
            run.top = Some(first.call_id.to_string());
        }
        let above = run.reach.unwrap_or(u64::MAX);
        // Calls in progress this page's range covers but does not hold have
        // left the selection (or its order): look them up.
        let on_page: std::collections::HashSet<u64> =
            page.records.iter().map(|r| r.call_id.number()).collect();
        let passed: Vec<u64> = state
            .pending
            .range(low..above)
            .map(|(n, _)| *n)
            .filter(|n| !on_page.contains(n))
            .collect();
        for n in passed {
            if let Some(id) = state.pending.remove(&n) {
                run.lookups.push(id);
            }
        }
        for r in &page.records {
            let n = r.call_id.number();
            if r.is_final() {
                state.pending.remove(&n);
            } else {
                state.pending.insert(n, r.call_id.to_string());
            }
            if only_dtmf
                && r.is_final()
                && r.dialed_at()
                    .is_some_and(|t| t.with_timezone(&chrono::Utc) <= settle_before)
            {
                run.marker = Some(run.marker.map_or(n, |m| m.max(n)));
            }
        }
        run.reach = Some(above.min(low));
    }

    /// The walk ended: at the selection's end (everything below is read),
    /// or at its stop bound. Picks the next phase: for the first leg of an
    /// incremental run, perhaps walking on to calls in progress below.
    fn end_walk(&mut self, walk: &CallIter, extension: bool) {
        let page_size = self.page_size;
        let costs = self.job.costs;
        let state = &mut self.state;
        let Some(run) = state.run.as_mut() else {
            return;
        };
        if !walk.stopped() {
            run.reach = Some(0);
        }
        let reach = run.reach.unwrap_or(0);
        let below: Vec<u64> = state
            .pending
            .range(..reach)
            .rev()
            .map(|(n, _)| *n)
            .collect();
        let next = if run.kind == RunKind::Incremental && !extension && !below.is_empty() {
            let top = run
                .top
                .as_deref()
                .and_then(|t| CallId::parse(t).ok())
                .map_or(reach, |id| id.number());
            let leg = Leg {
                reach,
                top,
                records: run.counts.first_leg_records,
                page_size,
            };
            plan::extension(leg, &below, costs)
        } else {
            None
        };
        run.phase = match next {
            Some(stop_at) => Phase::Walk {
                stop_at: Some(stop_at),
                extension: true,
            },
            None => Phase::Lookups,
        };
    }

    /// Looks up, in batches committed with the state, the calls in progress
    /// the walk did not read (newest first).
    fn lookups(&mut self) -> Result<(), SyncError> {
        {
            let state = &mut self.state;
            let Some(run) = state.run.as_mut() else {
                return Ok(());
            };
            let reach = run.reach.unwrap_or(0);
            // Moved from the pending set into the run's list (saved with the
            // first batch): a resumed run goes on with what is left.
            let below: Vec<u64> = state.pending.range(..reach).map(|(n, _)| *n).collect();
            for n in below {
                if let Some(id) = state.pending.remove(&n) {
                    run.lookups.push(id);
                }
            }
            run.lookups
                .sort_by_key(|t| std::cmp::Reverse(CallId::parse(t).map_or(0, |id| id.number())));
            run.lookups.dedup();
        }
        let total = self.run_state().lookups.len();
        if total == 0 {
            return Ok(());
        }
        self.job.emit(&SyncEvent::LookingUp { calls: total });
        log::info!(target: "velip", "looking up {total} calls in progress that the walk did not reach");
        loop {
            let batch: Vec<String> = self
                .run_state()
                .lookups
                .iter()
                .take(LOOKUP_BATCH)
                .cloned()
                .collect();
            if batch.is_empty() {
                return Ok(());
            }
            let mut records = Vec::with_capacity(batch.len());
            let mut done = 0;
            let mut failure = None;
            for id in &batch {
                if let Err(e) = self.job.check_interrupt() {
                    failure = Some(e);
                    break;
                }
                match self.client.get_call(id) {
                    Ok(r) => records.push(r),
                    Err(Error::NotFound { .. }) => self.run_state().counts.vanished += 1,
                    Err(e) => {
                        failure = Some(e.into());
                        break;
                    }
                }
                done += 1;
            }
            let run = self.run_state();
            run.counts.lookups += done as u64;
            run.lookups.drain(..done);
            for r in &records {
                if !r.is_final() {
                    self.state
                        .pending
                        .insert(r.call_id.number(), r.call_id.to_string());
                }
            }
            // What was looked up is committed even when the batch stopped.
            self.commit_page(&records)?;
            if let Some(e) = failure {
                return Err(e);
            }
        }
    }

    /// Ends the run: the watermark moves up to the walk's top, the summary
    /// is saved.
    fn finish(mut self) -> Result<SyncReport, SyncError> {
        let run = self
            .state
            .run
            .take()
            .unwrap_or_else(|| RunState::new(RunKind::Incremental, None));
        let top = run.top.as_deref().and_then(|t| CallId::parse(t).ok());
        if let Some(top) = top
            && self.state.newest_number().is_none_or(|n| top.number() > n)
        {
            self.state.newest = Some(top.to_string());
        }
        if let Some(m) = run.marker {
            self.state.settled = Some(self.state.settled.map_or(m, |s| s.max(m)));
        }
        self.state.runs += 1;
        let report = SyncReport {
            account: self.job.account.clone(),
            selection: self.key.selection().to_owned(),
            database: self.store.name().to_owned(),
            kind: run.kind,
            resumed: self.resumed,
            since: self.state.floor_date,
            counts: run.counts.upserts(),
            records_read: run.counts.records,
            list_requests: run.walk.pages(),
            lookups: run.counts.lookups,
            requests_sent: self
                .client
                .requests_sent()
                .saturating_sub(self.requests_before),
            pending: self.state.pending.len() as u64,
            vanished: run.counts.vanished,
            rejected: run.counts.rejected,
            newest_call_id: self
                .state
                .newest
                .as_deref()
                .and_then(|t| CallId::parse(t).ok()),
            lock_waited: self.lock_waited,
            elapsed: self.started.elapsed(),
            numbers_masked: run.masked,
            warnings: run.warnings.clone(),
            quota: self.client.quota_report(),
        };
        self.previous_summary = Some(report.to_json(&run.rejected));
        self.save()?;
        log::info!(target: "velip", "sync of account {:?} into {}: {report}", self.job.account, report.database);
        Ok(report)
    }
}
