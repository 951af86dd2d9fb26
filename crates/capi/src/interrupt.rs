//! Cancellation: a client's interrupt flag (`velip_client_interrupt`, an
//! atomic store, safe from a signal handler) and its per-call deadline.
//!
//! Both reach the blocking client through its interrupt check
//! (`ClientBuilder::interrupt_check`), which it polls on the calling thread
//! at least every 100 ms: while a request is in flight, between attempts,
//! during a `Retry-After` wait and while a walk waits for its next page. A
//! call that sees it stops with `VELIP_INTERRUPTED`.

use std::cell::Cell;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use velip_blocking::ErrorKind;

use crate::error::Error;
use crate::status::VELIP_INTERRUPTED;

thread_local! {
    /// When the call running on this thread must end (set by
    /// [`Cancel::run`]).
    static DEADLINE: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// A client's cancellation state, shared with its iterators.
#[derive(Debug)]
pub(crate) struct Cancel {
    interrupted: AtomicBool,
    deadline: Option<Duration>,
}

impl Cancel {
    /// `deadline`: the longest a call may take (`None`: no limit).
    pub(crate) fn new(deadline: Option<Duration>) -> Arc<Self> {
        Arc::new(Self {
            interrupted: AtomicBool::new(false),
            deadline,
        })
    }

    /// The check given to the client builder.
    pub(crate) fn check(self: &Arc<Self>) -> Arc<dyn Fn() -> bool + Send + Sync> {
        let me = Arc::clone(self);
        Arc::new(move || {
            me.is_interrupted() || DEADLINE.with(|d| d.get().is_some_and(|t| Instant::now() >= t))
        })
    }

    /// Interrupts every call, running or to come, until [`Cancel::clear`].
    /// One atomic store: async-signal-safe.
    pub(crate) fn interrupt(&self) {
        self.interrupted.store(true, Ordering::SeqCst);
    }

    /// Ends the interruption.
    pub(crate) fn clear(&self) {
        self.interrupted.store(false, Ordering::SeqCst);
    }

    pub(crate) fn is_interrupted(&self) -> bool {
        self.interrupted.load(Ordering::SeqCst)
    }

    /// Runs one call under the deadline; an interruption becomes
    /// `VELIP_INTERRUPTED` with a message saying why.
    pub(crate) fn run<T>(
        &self,
        call: impl FnOnce() -> Result<T, velip_blocking::Error>,
    ) -> Result<T, Error> {
        let until = self.deadline.map(|d| Instant::now() + d);
        let outer = DEADLINE.with(|d| d.replace(until));
        let result = call();
        DEADLINE.with(|d| d.set(outer));
        result.map_err(|e| {
            if e.kind() != ErrorKind::Interrupted {
                return Error::from(e);
            }
            let why = if self.is_interrupted() {
                "velip_client_interrupt() was called (the client refuses to work until velip_client_clear_interrupt())".to_owned()
            } else if let Some(d) = self.deadline.filter(|_| until.is_some_and(|t| Instant::now() >= t)) {
                format!(
                    "the call's deadline of {} ms passed (velip_client_config_set_deadline_ms)",
                    d.as_millis()
                )
            } else {
                "the call was stopped".to_owned()
            };
            Error::new(VELIP_INTERRUPTED, format!("interrupted: {why}"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deadline_is_per_call() {
        let c = Cancel::new(Some(Duration::from_millis(50)));
        let check = c.check();
        assert!(!check(), "outside a call there is no deadline");
        let e = c
            .run(|| {
                std::thread::sleep(Duration::from_millis(80));
                if check() {
                    Err::<(), _>(velip_blocking::Error::Interrupted)
                } else {
                    Ok(())
                }
            })
            .unwrap_err();
        assert_eq!(e.status, VELIP_INTERRUPTED);
        assert!(e.message.contains("deadline of 50 ms"), "{}", e.message);
        assert!(!check());
        c.interrupt();
        assert!(check());
        let e = c
            .run(|| Err::<(), _>(velip_blocking::Error::Interrupted))
            .unwrap_err();
        assert!(
            e.message.contains("velip_client_interrupt"),
            "{}",
            e.message
        );
        c.clear();
        assert!(!check());
    }
}
