//! The shared state of a running sandbox (configuration, data, clock,
//! counters, logs), the lock helpers, and the webhook delivery spawner.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::config::SandboxConfig;
use crate::data::store::Store;
use crate::faults::{Fault, FaultPlan};
use crate::live::Live;
use crate::request_log::RequestLog;
use crate::rules::Clock;
use crate::rules::auth::Guard;
use crate::rules::limits::Limiter;
use crate::webhook::{self, Delivery, Job};

/// The installed fault plan and the request counter it numbers requests with.
pub(crate) struct FaultState {
    pub(crate) plan: FaultPlan,
    pub(crate) counter: u64,
}

/// Shared state of a running sandbox.
pub(crate) struct AppState {
    pub(crate) cfg: RwLock<SandboxConfig>,
    pub(crate) store: RwLock<Store>,
    pub(crate) daily_cap: AtomicU32,
    pub(crate) clock: Clock,
    pub(crate) guard: Mutex<Guard>,
    pub(crate) limiter: Mutex<Limiter>,
    pub(crate) faults: Mutex<FaultState>,
    pub(crate) log: RequestLog,
    pub(crate) deliveries: Mutex<Vec<Delivery>>,
    pub(crate) pending_deliveries: AtomicUsize,
    /// Live mode (arrivals and finalizations).
    pub(crate) live: Live,
    /// Webhook outcome per call (`cd_returl`), rendered in its records.
    pub(crate) returl: RwLock<HashMap<u64, i32>>,
}

/// Locks a mutex, recovering the data of a poisoned one.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Write-locks an `RwLock`, recovering the data of a poisoned one.
pub(crate) fn write<T>(m: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    m.write().unwrap_or_else(PoisonError::into_inner)
}

/// Read-locks an `RwLock`, recovering the data of a poisoned one.
pub(crate) fn read<T>(m: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    m.read().unwrap_or_else(PoisonError::into_inner)
}

impl AppState {
    pub(crate) fn new(cfg: SandboxConfig, store: Store) -> Self {
        let cap = cfg
            .limits
            .daily_lookups
            .unwrap_or_else(|| store.daily_lookup_cap());
        let plan = cfg.faults.clone();
        let live = Live::new(cfg.live.clone());
        Self {
            cfg: RwLock::new(cfg),
            store: RwLock::new(store),
            daily_cap: AtomicU32::new(cap),
            clock: Clock::default(),
            guard: Mutex::new(Guard::default()),
            limiter: Mutex::new(Limiter::default()),
            faults: Mutex::new(FaultState { plan, counter: 0 }),
            log: RequestLog::default(),
            deliveries: Mutex::new(Vec::new()),
            pending_deliveries: AtomicUsize::new(0),
            returl: RwLock::new(HashMap::new()),
            live,
        }
    }

    /// Numbers the request; returns its number and the faults the plan
    /// applies to it (see [`FaultPlan::faults_for`]).
    pub(crate) fn next_faults(&self) -> (u64, Vec<Fault>) {
        let mut f = lock(&self.faults);
        f.counter += 1;
        let n = f.counter;
        (n, f.plan.faults_for(n).into_iter().cloned().collect())
    }

    /// Runs the deliveries on the blocking pool and records their outcomes.
    pub(crate) fn spawn_deliveries(self: &Arc<Self>, jobs: Vec<Job>) {
        if jobs.is_empty() {
            return;
        }
        self.pending_deliveries
            .fetch_add(jobs.len(), Ordering::SeqCst);
        let st = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let cfg = read(&st.cfg).webhook.clone();
            for job in jobs {
                let d = webhook::deliver(&job, &cfg);
                {
                    let mut returl = write(&st.returl);
                    for id in &d.call_ids {
                        returl.insert(*id, d.cd_returl());
                    }
                }
                lock(&st.deliveries).push(d);
                st.pending_deliveries.fetch_sub(1, Ordering::SeqCst);
            }
        });
    }
}
