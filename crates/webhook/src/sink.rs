//! [`Sink`]: where acknowledged deliveries become durable.
//!
//! The receiver hands a sink whole batches (group commit): every delivery
//! that arrived while the previous batch was being written goes into the
//! next one, the sink makes the batch durable once (one `fsync`, one
//! transaction), and only then is every delivery of the batch answered
//! 2xx. Throughput does not pay one sync per request, and latency is one
//! sync at most, plus the batch in front.

use crate::delivery::Delivery;
use crate::error::SinkError;

/// Stores batches of deliveries durably.
///
/// The receiver calls [`commit`](Self::commit) from one dedicated thread
/// (blocking I/O is fine there), one batch at a time, deliveries in arrival
/// order. Each [`Delivery`] carries its decoded page of records
/// ([`Delivery::records`], `payload.rejected` for unreadable entries) and the
/// raw bytes as received.
///
/// The contract: when `commit` returns `Ok`, everything in the batch
/// survives a crash of the process or the machine (flushed and synced, or
/// committed); the receiver then answers 2xx to each delivery. On `Err`
/// none of the batch is acknowledged (the senders get 503 and retry), and
/// the sink must be left so that a later batch can be committed (roll back
/// the transaction; truncate a partly written file) or keep failing.
///
/// The same call may arrive more than once (platform retries, a re-push).
/// A database sink upserts by call id (`velip-store`); the JSON-lines sink
/// appends and marks repeats.
///
/// ```
/// use velip_webhook::{Delivery, Sink, SinkError};
///
/// /// Counts calls; "durable" in memory only, for the example.
/// #[derive(Default)]
/// struct Count(usize);
///
/// impl Sink for Count {
///     fn commit(&mut self, batch: &[Delivery]) -> Result<(), SinkError> {
///         self.0 += batch.iter().map(|d| d.records().len()).sum::<usize>();
///         Ok(())
///     }
/// }
/// ```
pub trait Sink: Send + 'static {
    /// Writes `batch` and makes it durable before returning `Ok`.
    ///
    /// # Errors
    /// Any error of the sink; the batch is then answered 503.
    fn commit(&mut self, batch: &[Delivery]) -> Result<(), SinkError>;

    /// Called once when the receiver stops, after the last batch.
    ///
    /// # Errors
    /// Any error of the sink while closing.
    fn close(&mut self) -> Result<(), SinkError> {
        Ok(())
    }

    /// Pipelined group commit, for sinks whose durability step is a sync
    /// that another thread can run while the next batch is written (a
    /// file's `fdatasync`). Called once, before the first batch. A sink
    /// that returns a [`Syncer`] gets [`write`](Self::write) calls instead
    /// of [`commit`](Self::commit), one batch at a time on the commit
    /// thread, while a second thread calls [`Syncer::sync`] and
    /// acknowledges every batch written before that sync began. So the
    /// next batch is rendered and written while the disk syncs the
    /// previous one, and syncs follow each other with no gap.
    ///
    /// Default: `None` (every batch goes through `commit`).
    fn syncer(&mut self) -> Option<Box<dyn Syncer>> {
        None
    }

    /// Writes `batch` without making it durable (only called once
    /// [`syncer`](Self::syncer) returned a syncer). On `Err` the batch is
    /// answered 503; the sink must leave no partial record of it that a
    /// later sync would make durable (cut a partly written file back).
    ///
    /// # Errors
    /// Any error of the sink; the batch is then answered 503.
    fn write(&mut self, batch: &[Delivery]) -> Result<(), SinkError> {
        self.commit(batch)
    }
}

/// The durability half of a pipelined [`Sink`] (see [`Sink::syncer`]),
/// run on its own thread.
pub trait Syncer: Send + 'static {
    /// Makes everything [`Sink::write`] wrote before this call durable.
    /// After an `Err` the receiver acknowledges nothing more (a failed
    /// `fsync` may have dropped written pages: restart the receiver); the
    /// batches not yet acknowledged are answered 503.
    ///
    /// # Errors
    /// Any error of the sync.
    fn sync(&mut self) -> Result<(), SinkError>;
}

impl<S: Sink + ?Sized> Sink for Box<S> {
    fn commit(&mut self, batch: &[Delivery]) -> Result<(), SinkError> {
        (**self).commit(batch)
    }

    fn close(&mut self) -> Result<(), SinkError> {
        (**self).close()
    }

    fn syncer(&mut self) -> Option<Box<dyn Syncer>> {
        (**self).syncer()
    }

    fn write(&mut self, batch: &[Delivery]) -> Result<(), SinkError> {
        (**self).write(batch)
    }
}
