//! Group commit: one thread owns the sink, takes every delivery waiting in
//! the queue as one batch, makes the batch durable with one
//! [`Sink::commit`], then acknowledges each delivery of it.
//!
//! There is no waiting for a batch to fill: while one batch is being
//! synced, the deliveries that arrive queue up and form the next batch, so
//! under load the batches grow by themselves and under light load a
//! delivery waits for one sync at most.

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
use crate::sink::Sink;

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

fn run<S: Sink>(
    mut sink: S,
    mut rx: mpsc::Receiver<Job>,
    max_batch: usize,
    metrics: &Metrics,
    healthy: &AtomicBool,
) -> Result<(), SinkError> {
    let mut batch: Vec<Delivery> = Vec::with_capacity(max_batch.min(4096));
    let mut acks: Vec<oneshot::Sender<Result<u64, ()>>> = Vec::with_capacity(batch.capacity());
    let mut sequence = 0u64;
    let mut broken = false;
    while let Some(first) = rx.blocking_recv() {
        let mut bytes = 0;
        let mut job = Some(first);
        while let Some(Job { mut delivery, ack }) = job.take() {
            sequence += 1;
            delivery.sequence = sequence;
            bytes += delivery.raw.len();
            batch.push(delivery);
            acks.push(ack);
            if batch.len() < max_batch && bytes < MAX_BATCH_BYTES {
                job = rx.try_recv().ok();
            }
        }
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
}
