//! Counters of a receiver, served at `/metrics` (`OpenMetrics` text, which
//! Prometheus scrapes) and readable as a [`MetricsSnapshot`].

use std::fmt;

use std::sync::atomic::{AtomicU64, Ordering};

use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// Why a request was refused, the `reason` label of
/// `velip_webhook_rejected_total`.
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq)]
#[non_exhaustive]
pub enum RejectReason {
    /// 401: credentials or required headers missing or wrong.
    Unauthorized,
    /// 413: body (or GET query) over the limit.
    TooLarge,
    /// 405: a method other than POST and GET.
    Method,
    /// 404: another path.
    NotFound,
    /// 400: the delivery cannot be decoded (kept in the rejected log).
    Undecodable,
    /// 503: the sink failed or the receiver is stopping (not acknowledged;
    /// the sender retries).
    Unavailable,
}

impl RejectReason {
    /// Every reason, in label order.
    pub const ALL: [Self; 6] = [
        Self::Unauthorized,
        Self::TooLarge,
        Self::Method,
        Self::NotFound,
        Self::Undecodable,
        Self::Unavailable,
    ];

    /// The label value (`unauthorized`, `too_large`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unauthorized => "unauthorized",
            Self::TooLarge => "too_large",
            Self::Method => "method",
            Self::NotFound => "not_found",
            Self::Undecodable => "undecodable",
            Self::Unavailable => "unavailable",
        }
    }
}

impl EncodeLabelValue for RejectReason {
    fn encode(&self, encoder: &mut LabelValueEncoder<'_>) -> fmt::Result {
        use fmt::Write as _;
        encoder.write_str(self.as_str())
    }
}

impl fmt::Display for RejectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabel {
    reason: RejectReason,
}

/// The receiver's counters.
pub(crate) struct Metrics {
    registry: Registry,
    deliveries: Counter,
    calls: Counter,
    bytes: Counter,
    rejected: Family<ReasonLabel, Counter>,
    durable_write: Histogram,
    batch_deliveries: Histogram,
    /// Batches and their total time, for the snapshot (the histogram has
    /// no getters).
    batches: AtomicU64,
    batch_nanos: AtomicU64,
}

impl fmt::Debug for Metrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Metrics")
            .field("snapshot", &self.snapshot())
            .finish()
    }
}

impl Metrics {
    pub(crate) fn new() -> Self {
        let mut registry = Registry::with_prefix("velip_webhook");
        let deliveries = Counter::default();
        let calls = Counter::default();
        let bytes = Counter::default();
        let rejected = Family::<ReasonLabel, Counter>::default();
        // 50 µs .. ~1.6 s
        let durable_write = Histogram::new(exponential_buckets(0.000_05, 2.0, 16));
        let batch_deliveries = Histogram::new(exponential_buckets(1.0, 2.0, 14));
        registry.register(
            "deliveries",
            "Deliveries stored durably and acknowledged (2xx)",
            deliveries.clone(),
        );
        registry.register("calls", "Calls in acknowledged deliveries", calls.clone());
        registry.register(
            "received_bytes",
            "Bytes of acknowledged deliveries (POST bodies, GET query strings)",
            bytes.clone(),
        );
        registry.register("rejected", "Requests refused, by reason", rejected.clone());
        registry.register(
            "durable_write_seconds",
            "Time to write and sync (or commit) one batch of deliveries",
            durable_write.clone(),
        );
        registry.register(
            "batch_deliveries",
            "Deliveries per durable write (group commit)",
            batch_deliveries.clone(),
        );
        for reason in RejectReason::ALL {
            let _ = rejected.get_or_create(&ReasonLabel { reason });
        }
        Self {
            registry,
            deliveries,
            calls,
            bytes,
            rejected,
            durable_write,
            batch_deliveries,
            batches: AtomicU64::new(0),
            batch_nanos: AtomicU64::new(0),
        }
    }

    pub(crate) fn stored(&self, calls: usize, bytes: usize) {
        self.deliveries.inc();
        self.calls.inc_by(calls as u64);
        self.bytes.inc_by(bytes as u64);
    }

    pub(crate) fn rejected(&self, reason: RejectReason) {
        self.rejected.get_or_create(&ReasonLabel { reason }).inc();
    }

    pub(crate) fn batch(&self, deliveries: usize, took: std::time::Duration) {
        self.durable_write.observe(took.as_secs_f64());
        self.batches.fetch_add(1, Ordering::Relaxed);
        self.batch_nanos.fetch_add(
            u64::try_from(took.as_nanos()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
        #[allow(clippy::cast_precision_loss)] // batch sizes are far below 2^52
        self.batch_deliveries.observe(deliveries as f64);
    }

    /// The `OpenMetrics` text of every counter.
    pub(crate) fn render(&self) -> String {
        let mut out = String::with_capacity(4096);
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }

    pub(crate) fn snapshot(&self) -> MetricsSnapshot {
        let mut rejected = [0u64; RejectReason::ALL.len()];
        for (slot, reason) in rejected.iter_mut().zip(RejectReason::ALL) {
            *slot = self.rejected.get_or_create(&ReasonLabel { reason }).get();
        }
        MetricsSnapshot {
            deliveries: self.deliveries.get(),
            calls: self.calls.get(),
            received_bytes: self.bytes.get(),
            rejected,
            durable_writes: self.batches.load(Ordering::Relaxed),
            durable_write_time: std::time::Duration::from_nanos(
                self.batch_nanos.load(Ordering::Relaxed),
            ),
        }
    }
}

/// The counters at one moment (for a summary at the end, or tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct MetricsSnapshot {
    /// Deliveries stored and acknowledged.
    pub deliveries: u64,
    /// Calls in those deliveries.
    pub calls: u64,
    /// Bytes of those deliveries.
    pub received_bytes: u64,
    rejected: [u64; RejectReason::ALL.len()],
    /// Durable writes (batches) made.
    pub durable_writes: u64,
    /// Time spent in them, summed.
    pub durable_write_time: std::time::Duration,
}

impl MetricsSnapshot {
    /// Requests refused for this reason.
    pub fn rejected(&self, reason: RejectReason) -> u64 {
        RejectReason::ALL
            .iter()
            .position(|r| *r == reason)
            .map_or(0, |i| self.rejected[i])
    }

    /// Requests refused, all reasons.
    pub fn rejected_total(&self) -> u64 {
        self.rejected.iter().sum()
    }
}

impl fmt::Display for MetricsSnapshot {
    /// `1200 deliveries (1200 calls, 612 KiB) stored in 87 durable writes; rejected: 3 unauthorized`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} deliveries ({} calls, {} bytes) stored in {} durable writes",
            self.deliveries, self.calls, self.received_bytes, self.durable_writes
        )?;
        let refused: Vec<String> = RejectReason::ALL
            .iter()
            .zip(self.rejected)
            .filter(|(_, n)| *n > 0)
            .map(|(r, n)| format!("{n} {r}"))
            .collect();
        if !refused.is_empty() {
            write!(f, "; rejected: {}", refused.join(", "))?;
        }
        Ok(())
    }
}
