//! The walk's page pipeline: a fetching thread and a decoding thread, so
//! the service works on page N+2 while page N+1 is decoded and page N
//! consumed.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use velip_core::{Cursor, Page, Query};

use crate::Error;
use crate::answer::Fetched;
use crate::retry::InterruptCheck;
use crate::sender::Sender;

/// The walk's page pipeline: two helper threads per walk (so the allocator
/// keeps one arena for each), one fetching, one decoding.
///
/// The fetcher sends a request, reads the answer's head
/// ([`peek_head`](velip_core::decode::peek_head)) and hands the body to the
/// decoder; as soon as the decoder takes it, the fetcher requests the page
/// the head points to, so the service works on page N+2 while page N+1 is
/// decoded and page N consumed. Both hand-overs are rendezvous channels: the
/// decoder starts on a page only once the walk has taken the previous one,
/// so at most one decoded page and two page-sized body buffers (one read
/// or waiting, one spare for the next read) are held beside the page being
/// consumed. The fetcher follows cursors on its own only while they
/// are new to its chain; the walk checks every delivery against the query it
/// wants and starts a new pipeline when they differ.
///
/// The speculation never outruns the walk's progress check: the fetcher
/// follows the chain's k-th cursor only once the walk has allowed it
/// ([`Gate`]), which the walk does one page ahead of the pages it has
/// checked, and two ahead only after a page that brought new calls. A
/// service that does not advance thus costs no request beyond those the
/// walk's check needs.
///
/// Dropping the pipeline tells both threads to stop and returns at once
/// (it may run where waiting is not allowed, e.g. under Python's GIL, which
/// a helper thread logging through Python needs); [`Prefetcher::close`]
/// also waits for them, so nothing is sent once it returns. The fetcher
/// checks a stop flag before each request and polls it (every 100 ms) while
/// a request is in flight or waits to be retried, so the threads end within
/// about 100 ms (plus the decoding of a page already handed over); a
/// request abandoned in flight was sent before and its answer is dropped.
pub(super) struct Prefetcher {
    /// Starts a new chain at this query (only while the pipeline is idle).
    pub(super) requests: SyncSender<Query>,
    pub(super) answers: Receiver<Delivery>,
    /// How far the fetcher may follow the current chain on its own.
    pub(super) gate: Arc<Gate>,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl Prefetcher {
    /// Stops both threads and waits for them.
    pub(super) fn close(mut self) {
        let threads = std::mem::take(&mut self.threads);
        // Sets the stop flag, then drops the channels, which unblocks both
        // threads.
        drop(self);
        for t in threads {
            let _ = t.join();
        }
    }
}

impl Drop for Prefetcher {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.gate.close();
    }
}

/// How many cursors of the current chain the fetcher may follow on its own
/// (the walk raises it as it checks pages); closed when the walk drops the
/// pipeline, so a waiting fetcher ends.
#[derive(Default)]
pub(super) struct Gate {
    allowed: Mutex<u64>,
    changed: Condvar,
    closed: AtomicBool,
}

impl Gate {
    /// Allows following up to `n` cursors of the current chain (never
    /// lowers it).
    pub(super) fn allow(&self, n: u64) {
        let mut a = self.allowed.lock().unwrap_or_else(PoisonError::into_inner);
        if n > *a {
            *a = n;
            self.changed.notify_all();
        }
    }

    /// A new chain starts: one cursor may be followed (the next page, which
    /// the walk asks for anyway when the first page says there is one).
    fn restart(&self) {
        *self.allowed.lock().unwrap_or_else(PoisonError::into_inner) = 1;
    }

    fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.changed.notify_all();
    }

    fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    /// Waits until the `k`-th cursor of the chain may be followed; `false`
    /// when the pipeline was closed.
    fn wait_for(&self, k: u64) -> bool {
        let mut a = self.allowed.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if self.closed.load(Ordering::SeqCst) {
                return false;
            }
            if *a >= k {
                return true;
            }
            a = self
                .changed
                .wait_timeout(a, Duration::from_millis(100))
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }
}

/// One page out of the pipeline.
pub(super) struct Delivery {
    pub(super) answer: Result<Page, Error>,
    /// The query the fetcher has already sent (or is about to send) after
    /// this one, when the answer pointed to a next page.
    pub(super) following: Option<Query>,
}

impl Prefetcher {
    /// `follow`: the fetcher requests the page a head points to on its
    /// own (two pages ahead); without it, only what the walk asks for.
    pub(super) fn start(sender: &Arc<Sender>, follow: bool) -> Option<Self> {
        let (requests, chain_starts) = std::sync::mpsc::sync_channel::<Query>(1);
        let (to_decoder, bodies) = std::sync::mpsc::sync_channel::<(Fetch, Option<Query>)>(0);
        let (to_walk, answers) = std::sync::mpsc::sync_channel::<Delivery>(0);
        // Bodies decoded, handed back to the fetcher to read the next ones
        // into (at most one spare waits).
        let (spare_tx, spares) = std::sync::mpsc::sync_channel::<Vec<u8>>(1);
        let worker = Arc::clone(sender);
        let stop = Arc::new(AtomicBool::new(false));
        let fetcher_stop = Arc::clone(&stop);
        let decoder_stop = Arc::clone(&stop);
        let gate = Arc::new(Gate::default());
        let fetch_gate = Arc::clone(&gate);
        // Waits in the fetcher (backoff, the quota) end when the walk drops
        // the pipeline or is interrupted: an abandoned walk sends nothing
        // more after them.
        let stopped: InterruptCheck = {
            let s = Arc::clone(&stop);
            let gate = Arc::clone(&gate);
            let interrupt = sender.interrupt.clone();
            Arc::new(move || {
                s.load(Ordering::SeqCst)
                    || gate.is_closed()
                    || interrupt.as_ref().is_some_and(|f| f())
            })
        };
        // Both threads end when the pipeline is dropped or closed (see
        // `Prefetcher`). The waiting walk polls the client's interrupt check,
        // not these threads.
        let fetcher = std::thread::Builder::new()
            .name("velip-fetch".to_owned())
            .spawn(move || {
                let mut seen: HashSet<Cursor> = HashSet::new();
                let mut next: Option<Query> = None;
                // Cursors of the current chain followed so far.
                let mut followed = 0u64;
                loop {
                    let query = match next.take() {
                        Some(q) => {
                            followed += 1;
                            if !fetch_gate.wait_for(followed) {
                                break;
                            }
                            q
                        }
                        None => match chain_starts.recv() {
                            Ok(q) => {
                                seen.clear();
                                followed = 0;
                                fetch_gate.restart();
                                q
                            }
                            Err(_) => break,
                        },
                    };
                    if fetcher_stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let buffer = spares.try_recv().unwrap_or_default();
                    let fetched = worker.fetch_undecoded(&query, buffer, &stopped);
                    if let Some(c) = query.cursor() {
                        seen.insert(c.clone());
                    }
                    let following = fetched
                        .as_ref()
                        .ok()
                        .filter(|_| follow)
                        .and_then(Fetched::next_cursor)
                        .filter(|c| !seen.contains(*c))
                        .map(|c| query.with_cursor(Some(c.clone())));
                    if to_decoder.send((fetched, following.clone())).is_err() {
                        break;
                    }
                    next = following;
                }
            })
            .ok()?;
        let decoder = std::thread::Builder::new()
            .name("velip-decode".to_owned())
            .spawn(move || {
                while let Ok((fetched, following)) = bodies.recv() {
                    if decoder_stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let answer = match fetched {
                        Ok(Fetched::Undecoded(u)) => {
                            let (answer, body) = u.decode_keeping_body();
                            // Full or gone: then the buffer is just freed.
                            let _ = spare_tx.try_send(body);
                            answer
                        }
                        other => other.and_then(Fetched::decode),
                    };
                    // After an error the pipeline ends: the walk starts a new
                    // one at the page it retries, and the fetcher stops at
                    // the page it already requested (this thread's channel
                    // ends with it) instead of following its chain.
                    let failed = answer.is_err();
                    let following = following.filter(|_| !failed);
                    if to_walk.send(Delivery { answer, following }).is_err() || failed {
                        break;
                    }
                }
            })
            .ok()?;
        Some(Self {
            requests,
            answers,
            gate,
            stop,
            threads: vec![fetcher, decoder],
        })
    }
}

type Fetch = Result<Fetched, Error>;
