//! Live mode: calls that arrive over (sandbox) time, listed in progress
//! first and final later. Nothing runs in the background: every request and
//! hook first brings the data up to the current live time (a *tick*), so
//! [`Sandbox::advance_clock`](crate::Sandbox::advance_clock) makes arrivals
//! and finalizations exact.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::config::LiveConfig;
use crate::data::store::Store;
use crate::rules::Clock;
use crate::state::{AppState, lock, read, write};

/// The store never grows past this many calls by arrivals (the `--calls` cap).
const MAX_CALLS: usize = 20_000_000;

/// The configuration [`AppState::insert_rows`] reads.
#[derive(Clone, Copy, Debug)]
pub(crate) struct InsertSettings {
    seed: u64,
    formula_cap: bool,
}

/// Live-mode state of a sandbox.
#[derive(Debug)]
pub(crate) struct Live {
    state: Mutex<LiveState>,
    /// Fast path: false while nothing arrives or finalizes by itself.
    active: AtomicBool,
}

#[derive(Debug)]
struct LiveState {
    cfg: LiveConfig,
    /// Origin of real time.
    started: Instant,
    /// The last clock reading (offset, plus real time when followed).
    last_reading: Duration,
    /// Live time: the sum of the forward moves of the reading (a clock
    /// reset never moves it back).
    now: Duration,
    /// Live time the current rate counts arrivals from.
    anchor: Duration,
    /// Scheduled arrivals since `anchor`.
    arrived: u64,
    /// Calls in progress and when each becomes final.
    pending: HashMap<u64, Option<Duration>>,
    deadlines: BTreeSet<(Duration, u64)>,
}

fn rate(cfg: &LiveConfig) -> f64 {
    if cfg.calls_per_minute.is_finite() && cfg.calls_per_minute > 0.0 {
        cfg.calls_per_minute
    } else {
        0.0
    }
}

impl LiveState {
    fn reading(&self, clock: &Clock) -> Duration {
        let real = if self.cfg.real_time {
            self.started.elapsed()
        } else {
            Duration::ZERO
        };
        clock.offset() + real
    }

    fn advance(&mut self, clock: &Clock) {
        let r = self.reading(clock);
        self.now += r.saturating_sub(self.last_reading);
        self.last_reading = r;
    }

    /// Arrival times of the scheduled calls due by now and not inserted yet.
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    fn due_arrivals(&mut self) -> Vec<Duration> {
        let rate = rate(&self.cfg);
        if rate == 0.0 {
            return Vec::new();
        }
        let period = 60.0 / rate;
        let due = (self.now.saturating_sub(self.anchor).as_secs_f64() / period).floor() as u64;
        let times = (self.arrived + 1..=due)
            .map(|k| self.anchor + Duration::from_secs_f64(k as f64 * period))
            .collect();
        self.arrived = self.arrived.max(due);
        times
    }

    fn is_active(&self) -> bool {
        rate(&self.cfg) > 0.0 || !self.deadlines.is_empty()
    }

    fn track(&mut self, id: u64, arrival: Duration) {
        let deadline = self.cfg.finalize_after.map(|d| arrival.saturating_add(d));
        self.pending.insert(id, deadline);
        if let Some(d) = deadline {
            self.deadlines.insert((d, id));
        }
    }

    fn untrack(&mut self, id: u64) -> bool {
        match self.pending.remove(&id) {
            Some(deadline) => {
                if let Some(d) = deadline {
                    self.deadlines.remove(&(d, id));
                }
                true
            }
            None => false,
        }
    }
}

impl Live {
    pub(crate) fn new(cfg: LiveConfig) -> Self {
        let state = LiveState {
            cfg,
            started: Instant::now(),
            last_reading: Duration::ZERO,
            now: Duration::ZERO,
            anchor: Duration::ZERO,
            arrived: 0,
            pending: HashMap::new(),
            deadlines: BTreeSet::new(),
        };
        let active = AtomicBool::new(state.is_active());
        Self {
            state: Mutex::new(state),
            active,
        }
    }
}

fn set_in_progress(store: &mut Store, id: u64, in_progress: bool) {
    if let Some(i) = store.position(id) {
        store.rows[i].in_progress = in_progress;
    }
}

impl AppState {
    /// Brings the data up to the current live time: inserts the calls that
    /// arrived, finalizes the calls whose time came.
    pub(crate) fn live_tick(&self) {
        if !self.live.active.load(Ordering::Relaxed) {
            return;
        }
        let mut live = lock(&self.live.state);
        self.tick_locked(&mut live);
    }

    fn tick_locked(&self, live: &mut LiveState) {
        live.advance(&self.clock);
        let arrivals = live.due_arrivals();
        let now = live.now;
        let finals_due = live.deadlines.first().is_some_and(|(d, _)| *d <= now);
        if !arrivals.is_empty() || finals_due {
            let settings = self.insert_settings();
            let mut store = write(&self.store);
            let room = MAX_CALLS.saturating_sub(store.rows.len());
            let n = arrivals.len().min(room);
            let ids = self.insert_rows(&mut store, n, true, settings);
            for (id, at) in ids.into_iter().zip(arrivals) {
                live.track(id, at);
            }
            // Includes arrivals whose deadline already passed: final at once.
            let due: Vec<u64> = live
                .deadlines
                .iter()
                .take_while(|(d, _)| *d <= now)
                .map(|&(_, id)| id)
                .collect();
            for id in due {
                live.untrack(id);
                set_in_progress(&mut store, id, false);
            }
        }
        self.live.active.store(live.is_active(), Ordering::Relaxed);
    }

    /// What [`insert_rows`](Self::insert_rows) needs from the configuration,
    /// read before the store is locked for writing (the request pipeline
    /// locks the configuration first, then the store).
    pub(crate) fn insert_settings(&self) -> InsertSettings {
        let cfg = read(&self.cfg);
        InsertSettings {
            seed: cfg.seed,
            formula_cap: cfg.limits.daily_lookups.is_none(),
        }
    }

    /// Appends `n` generated calls at the head (in progress or final) and
    /// keeps the formula-based daily cap current. Returns their ids, ascending.
    pub(crate) fn insert_rows(
        &self,
        store: &mut Store,
        n: usize,
        in_progress: bool,
        settings: InsertSettings,
    ) -> Vec<u64> {
        let InsertSettings { seed, formula_cap } = settings;
        let ids = crate::data::generator::insert(store, n, seed);
        if in_progress {
            let from = store.rows.len() - ids.len();
            for row in &mut store.rows[from..] {
                row.in_progress = true;
            }
        }
        if formula_cap && n > 0 {
            self.daily_cap
                .store(store.daily_lookup_cap(), Ordering::Relaxed);
        }
        ids
    }

    /// Inserts `n` calls in progress now (final after the configured delay).
    pub(crate) fn insert_in_progress(&self, n: usize) -> Vec<u64> {
        let mut live = lock(&self.live.state);
        self.tick_locked(&mut live);
        let settings = self.insert_settings();
        let ids = {
            let mut store = write(&self.store);
            self.insert_rows(&mut store, n, true, settings)
        };
        let now = live.now;
        for &id in &ids {
            live.track(id, now);
        }
        self.live.active.store(live.is_active(), Ordering::Relaxed);
        ids
    }

    /// Makes these calls final now; returns how many were in progress.
    pub(crate) fn finalize(&self, ids: &[u64]) -> usize {
        let mut live = lock(&self.live.state);
        self.tick_locked(&mut live);
        let mut store = write(&self.store);
        let mut n = 0;
        for &id in ids {
            if live.untrack(id) {
                set_in_progress(&mut store, id, false);
                n += 1;
            }
        }
        drop(store);
        self.live.active.store(live.is_active(), Ordering::Relaxed);
        n
    }

    /// Ids of the calls in progress, ascending.
    pub(crate) fn in_progress_ids(&self) -> Vec<u64> {
        let mut live = lock(&self.live.state);
        self.tick_locked(&mut live);
        let mut ids: Vec<u64> = live.pending.keys().copied().collect();
        ids.sort_unstable();
        ids
    }

    /// Replaces the live settings; arrivals at the new rate count from now.
    /// Calls already in progress keep their deadlines.
    pub(crate) fn set_live(&self, cfg: LiveConfig) {
        let mut live = lock(&self.live.state);
        self.tick_locked(&mut live);
        live.cfg = cfg.clone();
        live.last_reading = live.reading(&self.clock);
        live.anchor = live.now;
        live.arrived = 0;
        self.live.active.store(live.is_active(), Ordering::Relaxed);
        drop(live);
        write(&self.cfg).live = cfg;
    }
}
