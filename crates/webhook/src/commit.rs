//! Group commit: one thread owns the sink, takes every delivery waiting in
//! the queue as one batch, makes the batch durable with one
//! [`Sink::commit`], then acknowledges each delivery of it.
//!
//! There is no waiting for a batch to fill: while one batch is being
//! synced, the deliveries that arrive queue up and form the next batch, so
//! under load the batches grow by themselves and under light load a
//! delivery waits for one sync at most.
//!
//! A sink with a [`Syncer`] (the JSON-lines file) is pipelined: the commit
//! thread only writes batches, and a sync thread runs one `fdatasync` after
//! another, each acknowledging every batch written before it began. The
//! rendering and writing of a batch then overlap the previous sync instead
//! of adding to it, and a sync starts the moment the previous one ends.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;
#[cfg(test)]
use std::time::Duration;
use std::time::Instant;

use tokio::sync::{mpsc, oneshot};

use crate::delivery::Delivery;
use crate::error::{Error, SinkError};
use crate::metrics::Metrics;
use crate::sink::{Sink, Syncer};

/// Most raw bytes in one batch (a batch also stops at `max_batch`).
const MAX_BATCH_BYTES: usize = 32 * 1024 * 1024;

/// A delivery waiting to be made durable, and where to say so.
struct Job {
    delivery: Delivery,
    ack: oneshot::Sender<Result<u64, ()>>,
}

/// Why a delivery was not made durable (answered 503).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Unavailable;

/// The handle the request handlers submit to.
pub(crate) struct Committer {
    tx: RwLock<Option<mpsc::Sender<Job>>>,
    thread: Mutex<Option<JoinHandle<Result<(), SinkError>>>>,
    healthy: Arc<AtomicBool>,
}

impl std::fmt::Debug for Committer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Committer")
            .field("healthy", &self.is_healthy())
            .finish_non_exhaustive()
    }
}

impl Committer {
    /// Starts the commit thread, which owns `sink` from now on.
    pub(crate) fn start<S: Sink>(
        sink: S,
        max_batch: usize,
        queue: usize,
        metrics: Arc<Metrics>,
    ) -> Result<Self, Error> {
        let (tx, rx) = mpsc::channel(queue);
        let healthy = Arc::new(AtomicBool::new(true));
        let h = Arc::clone(&healthy);
        let thread = std::thread::Builder::new()
            .name("velip-webhook-commit".to_owned())
            .spawn(move || run(sink, rx, max_batch, &metrics, &h))
            .map_err(|e| Error::io("start the commit thread", e))?;
        Ok(Self {
            tx: RwLock::new(Some(tx)),
            thread: Mutex::new(Some(thread)),
            healthy,
        })
    }

    /// Queues a delivery and waits until it is durable; returns its
    /// sequence number.
    pub(crate) async fn submit(&self, delivery: Delivery) -> Result<u64, Unavailable> {
        let tx = self
            .tx
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
            .ok_or(Unavailable)?;
        let (ack, done) = oneshot::channel();
        tx.send(Job { delivery, ack })
            .await
            .map_err(|_| Unavailable)?;
        drop(tx);
        done.await
            .map_err(|_| Unavailable)?
            .map_err(|()| Unavailable)
    }

    /// Whether the last batch was committed and the thread is running.
    pub(crate) fn is_healthy(&self) -> bool {
        self.healthy.load(Ordering::Relaxed)
            && self
                .tx
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .is_some()
    }

    /// Stops taking deliveries, commits every one already queued, closes
    /// the sink and waits for the thread (blocking). Idempotent: later
    /// calls return `Ok`.
    pub(crate) fn close(&self) -> Result<(), Error> {
        drop(
            self.tx
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take(),
        );
        let thread = self
            .thread
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        match thread.map(JoinHandle::join) {
            None | Some(Ok(Ok(()))) => Ok(()),
            Some(Ok(Err(e))) => Err(Error::Sink(e)),
            Some(Err(_)) => Err(Error::Sink("the sink panicked while closing".into())),
        }
    }
}

/// An acknowledgement to send once the delivery is durable.
type Ack = oneshot::Sender<Result<u64, ()>>;

fn run<S: Sink>(
    mut sink: S,
    rx: mpsc::Receiver<Job>,
    max_batch: usize,
    metrics: &Arc<Metrics>,
    healthy: &Arc<AtomicBool>,
) -> Result<(), SinkError> {
    match std::panic::catch_unwind(AssertUnwindSafe(|| sink.syncer())) {
        Ok(Some(syncer)) => run_pipelined(sink, syncer, rx, max_batch, metrics, healthy),
        Ok(None) => run_serial(sink, rx, max_batch, metrics, healthy),
        Err(_) => {
            log::error!("sink panicked while starting; every delivery is refused");
            healthy.store(false, Ordering::Relaxed);
            refuse_all(rx);
            Err("the sink panicked".into())
        }
    }
}

/// Answers 503 to every delivery until the receiver closes.
fn refuse_all(mut rx: mpsc::Receiver<Job>) {
    while let Some(job) = rx.blocking_recv() {
        let _ = job.ack.send(Err(()));
    }
}

/// Takes the next batch: the first job, then every job already waiting (up
/// to `max_batch` or [`MAX_BATCH_BYTES`]); numbers the deliveries.
fn next_batch(
    rx: &mut mpsc::Receiver<Job>,
    first: Job,
    max_batch: usize,
    sequence: &mut u64,
    batch: &mut Vec<Delivery>,
    acks: &mut Vec<Ack>,
) {
    let mut bytes = 0;
    let mut job = Some(first);
    while let Some(Job { mut delivery, ack }) = job.take() {
        *sequence += 1;
        delivery.sequence = *sequence;
        bytes += delivery.raw.len();
        batch.push(delivery);
        acks.push(ack);
        if batch.len() < max_batch && bytes < MAX_BATCH_BYTES {
            job = rx.try_recv().ok();
        }
    }
}

/// One thread: each batch written and made durable by one
/// [`Sink::commit`], then acknowledged.
fn run_serial<S: Sink>(
    mut sink: S,
    mut rx: mpsc::Receiver<Job>,
    max_batch: usize,
    metrics: &Metrics,
    healthy: &AtomicBool,
) -> Result<(), SinkError> {
    let mut batch: Vec<Delivery> = Vec::with_capacity(max_batch.min(4096));
    let mut acks: Vec<Ack> = Vec::with_capacity(batch.capacity());
    let mut sequence = 0u64;
    let mut broken = false;
    while let Some(first) = rx.blocking_recv() {
        next_batch(
            &mut rx,
            first,
            max_batch,
            &mut sequence,
            &mut batch,
            &mut acks,
        );
        let outcome = if broken {
            Err(())
        } else {
            let started = Instant::now();
            match std::panic::catch_unwind(AssertUnwindSafe(|| sink.commit(&batch))) {
                Ok(Ok(())) => {
                    metrics.batch(batch.len(), started.elapsed());
                    Ok(())
                }
                Ok(Err(e)) => {
                    log::error!(
                        "sink: {e}; {} deliveries not stored (answered 503, the senders retry)",
                        batch.len()
                    );
                    Err(())
                }
                Err(_) => {
                    log::error!(
                        "sink panicked; {} deliveries not stored (answered 503); every later delivery is refused",
                        batch.len()
                    );
                    broken = true;
                    Err(())
                }
            }
        };
        healthy.store(outcome.is_ok(), Ordering::Relaxed);
        for (ack, d) in acks.drain(..).zip(&batch) {
            // A sender that went away gets no answer; its delivery is
            // stored all the same (a later retry is a repeat).
            let _ = ack.send(outcome.map(|()| d.sequence));
        }
        batch.clear();
        if batch.capacity() > 65_536 {
            batch.shrink_to(4096);
        }
    }
    if broken {
        return Err("the sink panicked".into());
    }
    sink.close()
}

/// A batch written, waiting for the sync that makes it durable.
struct Written {
    acks: Vec<(Ack, u64)>,
}

/// Two threads: this one writes batch after batch ([`Sink::write`]); the
/// sync thread runs [`Syncer::sync`] as soon as anything was written and
/// then acknowledges every batch written before the sync began. A delivery
/// waits for the sync in progress and the next one at most, never for the
/// rendering and writing of its batch on top.
fn run_pipelined<S: Sink>(
    mut sink: S,
    mut syncer: Box<dyn Syncer>,
    mut rx: mpsc::Receiver<Job>,
    max_batch: usize,
    metrics: &Arc<Metrics>,
    healthy: &Arc<AtomicBool>,
) -> Result<(), SinkError> {
    let (written_tx, written_rx) = std::sync::mpsc::channel::<Written>();
    // Set once a sync failed (or panicked): nothing is acknowledged any more.
    let failed = Arc::new(AtomicBool::new(false));
    let sync_thread = {
        let (failed, metrics, healthy) = (
            Arc::clone(&failed),
            Arc::clone(metrics),
            Arc::clone(healthy),
        );
        std::thread::Builder::new()
            .name("velip-webhook-sync".to_owned())
            .spawn(move || {
                let mut group: Vec<Written> = Vec::new();
                while let Ok(first) = written_rx.recv() {
                    group.push(first);
                    group.extend(written_rx.try_iter());
                    let started = Instant::now();
                    let outcome = if failed.load(Ordering::Relaxed) {
                        Err(())
                    } else {
                        match std::panic::catch_unwind(AssertUnwindSafe(|| syncer.sync())) {
                            Ok(Ok(())) => Ok(()),
                            Ok(Err(e)) => {
                                log::error!(
                                    "sink: sync failed: {e}; nothing more is acknowledged (answered 503): restart the receiver"
                                );
                                Err(())
                            }
                            Err(_) => {
                                log::error!(
                                    "sink panicked while syncing; nothing more is acknowledged (answered 503)"
                                );
                                Err(())
                            }
                        }
                    };
                    let deliveries: usize = group.iter().map(|w| w.acks.len()).sum();
                    if outcome.is_ok() {
                        metrics.batch(deliveries, started.elapsed());
                    } else {
                        failed.store(true, Ordering::Relaxed);
                    }
                    healthy.store(outcome.is_ok(), Ordering::Relaxed);
                    for w in group.drain(..) {
                        for (ack, sequence) in w.acks {
                            let _ = ack.send(outcome.map(|()| sequence));
                        }
                    }
                }
            })
    };
    let sync_thread = match sync_thread {
        Ok(t) => t,
        Err(e) => {
            log::error!("cannot start the sync thread: {e}; every delivery is refused");
            healthy.store(false, Ordering::Relaxed);
            refuse_all(rx);
            return Err(e.into());
        }
    };
    let mut batch: Vec<Delivery> = Vec::with_capacity(max_batch.min(4096));
    let mut acks: Vec<Ack> = Vec::with_capacity(batch.capacity());
    let mut sequence = 0u64;
    let mut broken = false;
    while let Some(first) = rx.blocking_recv() {
        next_batch(
            &mut rx,
            first,
            max_batch,
            &mut sequence,
            &mut batch,
            &mut acks,
        );
        let written = if broken || failed.load(Ordering::Relaxed) {
            false
        } else {
            match std::panic::catch_unwind(AssertUnwindSafe(|| sink.write(&batch))) {
                Ok(Ok(())) => true,
                Ok(Err(e)) => {
                    log::error!(
                        "sink: {e}; {} deliveries not stored (answered 503, the senders retry)",
                        batch.len()
                    );
                    healthy.store(false, Ordering::Relaxed);
                    false
                }
                Err(_) => {
                    log::error!(
                        "sink panicked; {} deliveries not stored (answered 503); every later delivery is refused",
                        batch.len()
                    );
                    broken = true;
                    healthy.store(false, Ordering::Relaxed);
                    false
                }
            }
        };
        let numbered = acks.drain(..).zip(batch.iter().map(|d| d.sequence));
        if written {
            let w = Written {
                acks: numbered.collect(),
            };
            if let Err(std::sync::mpsc::SendError(w)) = written_tx.send(w) {
                // The sync thread is gone (it panicked): not durable.
                broken = true;
                for (ack, _) in w.acks {
                    let _ = ack.send(Err(()));
                }
            }
        } else {
            for (ack, _) in numbered {
                let _ = ack.send(Err(()));
            }
        }
        batch.clear();
        if batch.capacity() > 65_536 {
            batch.shrink_to(4096);
        }
    }
    // The last written batches are synced and acknowledged, then the sink
    // closes.
    drop(written_tx);
    let joined = sync_thread.join();
    if broken || joined.is_err() {
        return Err("the sink panicked".into());
    }
    if failed.load(Ordering::Relaxed) {
        let _ = sink.close();
        return Err("a sync failed; the deliveries after it were not acknowledged".into());
    }
    sink.close()
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc as std_mpsc;

    use velip_core::query::WebhookMethod;

    use super::*;

    /// Reports each batch's size; the first commit waits for a go.
    struct Gate {
        entered: std_mpsc::Sender<usize>,
        go: std_mpsc::Receiver<()>,
        first: bool,
    }

    impl Sink for Gate {
        fn commit(&mut self, batch: &[Delivery]) -> Result<(), SinkError> {
            let _ = self.entered.send(batch.len());
            if std::mem::take(&mut self.first) {
                let _ = self.go.recv();
            }
            Ok(())
        }
    }

    fn delivery(n: u64) -> Delivery {
        Delivery::decode(WebhookMethod::Post, None, format!("cd_id={n}").into()).unwrap()
    }

    #[test]
    fn deliveries_that_wait_are_committed_as_one_batch() {
        let (entered_tx, entered) = std_mpsc::channel();
        let (go, go_rx) = std_mpsc::channel();
        let sink = Gate {
            entered: entered_tx,
            go: go_rx,
            first: true,
        };
        let metrics = Arc::new(Metrics::new());
        let committer = Arc::new(Committer::start(sink, 4096, 64, Arc::clone(&metrics)).unwrap());
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let c = Arc::clone(&committer);
            let first = tokio::spawn(async move { c.submit(delivery(0)).await });
            // The first batch is in the sink; ten more arrive meanwhile.
            let first_size = tokio::task::spawn_blocking(move || {
                let n = entered.recv().unwrap();
                (n, entered)
            });
            let (n, entered) = first_size.await.unwrap();
            assert_eq!(n, 1);
            let waiting: Vec<_> = (1..=10)
                .map(|i| {
                    let c = Arc::clone(&committer);
                    tokio::spawn(async move { c.submit(delivery(i)).await })
                })
                .collect();
            // Let all ten reach the queue, then release the first batch.
            tokio::time::sleep(Duration::from_millis(100)).await;
            go.send(()).unwrap();
            assert_eq!(first.await.unwrap(), Ok(1));
            let mut sequences = Vec::new();
            for w in waiting {
                sequences.push(w.await.unwrap().unwrap());
            }
            sequences.sort_unstable();
            assert_eq!(sequences, (2..=11).collect::<Vec<u64>>());
            assert_eq!(entered.recv().unwrap(), 10, "one batch for the ten");
        });
        committer.close().unwrap();
        assert_eq!(metrics.snapshot().durable_writes, 2);
        // Closed: later deliveries are refused.
        assert_eq!(
            rt.block_on(committer.submit(delivery(99))),
            Err(Unavailable)
        );
        assert!(!committer.is_healthy());
    }

    /// A pipelined sink: records what was written; its syncer reports each
    /// sync and waits for a go (or fails when told).
    struct Piped {
        written: Arc<Mutex<Vec<u64>>>,
        syncs: std_mpsc::Sender<usize>,
        go: Arc<Mutex<std_mpsc::Receiver<bool>>>,
    }

    struct PipedSyncer {
        written: Arc<Mutex<Vec<u64>>>,
        syncs: std_mpsc::Sender<usize>,
        go: Arc<Mutex<std_mpsc::Receiver<bool>>>,
    }

    impl Sink for Piped {
        fn commit(&mut self, _: &[Delivery]) -> Result<(), SinkError> {
            unreachable!("a pipelined sink gets write, not commit")
        }

        fn syncer(&mut self) -> Option<Box<dyn Syncer>> {
            Some(Box::new(PipedSyncer {
                written: Arc::clone(&self.written),
                syncs: self.syncs.clone(),
                go: Arc::clone(&self.go),
            }))
        }

        fn write(&mut self, batch: &[Delivery]) -> Result<(), SinkError> {
            self.written
                .lock()
                .unwrap()
                .extend(batch.iter().map(|d| d.sequence));
            Ok(())
        }
    }

    impl Syncer for PipedSyncer {
        fn sync(&mut self) -> Result<(), SinkError> {
            let _ = self.syncs.send(self.written.lock().unwrap().len());
            if self.go.lock().unwrap().recv().unwrap_or(true) {
                Ok(())
            } else {
                Err("disk failed".into())
            }
        }
    }

    #[test]
    fn pipelined_writes_go_on_while_a_sync_runs_and_a_failed_sync_stops_all_acks() {
        let written = Arc::new(Mutex::new(Vec::new()));
        let (syncs_tx, syncs) = std_mpsc::channel();
        let (go, go_rx) = std_mpsc::channel();
        let sink = Piped {
            written: Arc::clone(&written),
            syncs: syncs_tx,
            go: Arc::new(Mutex::new(go_rx)),
        };
        let metrics = Arc::new(Metrics::new());
        let committer = Arc::new(Committer::start(sink, 4096, 64, Arc::clone(&metrics)).unwrap());
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let submit = |n: u64| {
            let c = Arc::clone(&committer);
            rt.spawn(async move { c.submit(delivery(n)).await })
        };
        let first = submit(0);
        // The first sync covers the first delivery and is held.
        assert_eq!(syncs.recv_timeout(Duration::from_secs(10)).unwrap(), 1);
        // Meanwhile ten more are written (not acknowledged yet).
        let waiting: Vec<_> = (1..=10).map(submit).collect();
        let deadline = Instant::now() + Duration::from_secs(10);
        while written.lock().unwrap().len() < 11 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(written.lock().unwrap().len(), 11, "written during the sync");
        assert!(waiting.iter().all(|w| !w.is_finished()));
        go.send(true).unwrap();
        assert_eq!(rt.block_on(first).unwrap(), Ok(1));
        // One sync for the ten written meanwhile.
        assert_eq!(syncs.recv_timeout(Duration::from_secs(10)).unwrap(), 11);
        go.send(true).unwrap();
        let mut sequences: Vec<u64> = waiting
            .into_iter()
            .map(|w| rt.block_on(w).unwrap().unwrap())
            .collect();
        sequences.sort_unstable();
        assert_eq!(sequences, (2..=11).collect::<Vec<u64>>());
        assert_eq!(metrics.snapshot().durable_writes, 2);
        assert!(committer.is_healthy());

        // A failed sync: that delivery and every later one get 503.
        let failing = submit(20);
        assert_eq!(syncs.recv_timeout(Duration::from_secs(10)).unwrap(), 12);
        go.send(false).unwrap();
        assert_eq!(rt.block_on(failing).unwrap(), Err(Unavailable));
        assert!(!committer.is_healthy());
        assert_eq!(rt.block_on(submit(21)).unwrap(), Err(Unavailable));
        assert_eq!(
            written.lock().unwrap().len(),
            12,
            "nothing written after the failure"
        );
        assert!(
            committer.close().is_err(),
            "the close reports the failed sync"
        );
    }
}
