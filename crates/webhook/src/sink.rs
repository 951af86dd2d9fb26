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
}

impl<S: Sink + ?Sized> Sink for Box<S> {
    fn commit(&mut self, batch: &[Delivery]) -> Result<(), SinkError> {
        (**self).commit(batch)
    }

    fn close(&mut self) -> Result<(), SinkError> {
        (**self).close()
    }
}
