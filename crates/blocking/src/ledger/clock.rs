//! The wall clock the ledger reads, and the platform's day.
//!
//! The ledger is shared by processes, so its times are wall-clock instants
//! ([`SystemTime`]), stored as milliseconds since the Unix epoch; a monotonic
//! `Instant` means nothing to another process.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use velip_core::model::local_time;

/// Where the ledger reads the time, and how a wait sleeps. Tests inject their
/// own; everything else uses [`SystemClock`].
///
/// `sleep` must let the clock advance by about `duration` (a test clock moves
/// its time forward), or a wait never ends.
///
/// ```
/// use std::sync::Mutex;
/// use std::time::{Duration, SystemTime};
/// use velip_blocking::ledger::Clock;
///
/// #[derive(Debug)]
/// struct Manual(Mutex<SystemTime>);
/// impl Clock for Manual {
///     fn now(&self) -> SystemTime { *self.0.lock().unwrap() }
///     fn sleep(&self, d: Duration) { *self.0.lock().unwrap() += d; }
/// }
/// let c = Manual(Mutex::new(SystemTime::UNIX_EPOCH));
/// c.sleep(Duration::from_secs(5));
/// assert_eq!(c.now(), SystemTime::UNIX_EPOCH + Duration::from_secs(5));
/// ```
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current wall-clock time.
    fn now(&self) -> SystemTime;

    /// Blocks the calling thread for `duration` (the real clock sleeps).
    fn sleep(&self, duration: Duration) {
        std::thread::sleep(duration);
    }
}

/// The operating system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// Milliseconds since the Unix epoch (0 before it, saturating far after).
pub(crate) fn to_ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// The instant `ms` milliseconds after the Unix epoch.
pub(crate) fn from_ms(ms: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms)
}

/// Milliseconds in `d`, saturating.
pub(crate) fn duration_ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// The America/Sao_Paulo date at `t` (the day of the daily lookup cap).
pub(crate) fn platform_day(t: SystemTime) -> NaiveDate {
    DateTime::<Utc>::from(t)
        .with_timezone(&local_time::PLATFORM_TZ)
        .date_naive()
}

/// The first instant of the America/Sao_Paulo day after `day` (when the daily
/// lookup cap resets).
pub(crate) fn next_platform_midnight(day: NaiveDate) -> SystemTime {
    day.succ_opt()
        .and_then(|next| local_time::at(next, NaiveTime::MIN))
        .map_or_else(
            // Out of chrono's range, or a midnight skipped by old DST rules.
            || from_ms(to_ms(SystemTime::now()).saturating_add(86_400_000)),
            SystemTime::from,
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sao_paulo_day_and_midnight() {
        // 2026-11-21T02:30:00Z is 2026-11-20 23:30 in São Paulo (UTC-3).
        let t = from_ms(1_795_228_200_000);
        let day = platform_day(t);
        assert_eq!(day, NaiveDate::from_ymd_opt(2026, 11, 20).unwrap());
        let midnight = next_platform_midnight(day);
        assert_eq!(
            midnight.duration_since(t).unwrap(),
            Duration::from_secs(1800)
        );
    }

    #[test]
    fn millisecond_round_trip() {
        let t = from_ms(1_795_228_200_123);
        assert_eq!(to_ms(t), 1_795_228_200_123);
        assert_eq!(to_ms(UNIX_EPOCH - Duration::from_secs(1)), 0);
    }
}
