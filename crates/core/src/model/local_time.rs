//! The platform's local time: dates and times in records are America/Sao_Paulo
//! wall-clock values; these helpers turn them into instants.

use chrono::{DateTime, Days, NaiveDate, NaiveTime, TimeZone};
use chrono_tz::America::Sao_Paulo;
use chrono_tz::Tz;

/// The platform's time zone, America/Sao_Paulo.
pub const PLATFORM_TZ: Tz = Sao_Paulo;

/// `date` at `time` in America/Sao_Paulo. São Paulo has had no daylight
/// saving time since 2019; for older dates an ambiguous wall time takes
/// the earlier instant and a skipped one (a DST gap) is `None`.
///
/// ```
/// use chrono::{NaiveDate, NaiveTime};
/// let at = velip_core::model::local_time::at(
///     NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
///     NaiveTime::from_hms_opt(20, 58, 42).unwrap(),
/// ).unwrap();
/// assert_eq!(at.to_rfc3339(), "2026-11-20T20:58:42-03:00");
/// assert_eq!(at.timestamp(), 1_795_219_122);
/// ```
pub fn at(date: NaiveDate, time: NaiveTime) -> Option<DateTime<Tz>> {
    Sao_Paulo
        .from_local_datetime(&date.and_time(time))
        .earliest()
}

/// A time of the call (`time_start`, `time_end`) on the call's `date`, or on
/// the next day when it is earlier than the dial time (the call crossed
/// midnight).
pub fn after_dial(
    date: NaiveDate,
    dial: Option<NaiveTime>,
    time: NaiveTime,
) -> Option<DateTime<Tz>> {
    let day = match dial {
        Some(d) if time < d => date.checked_add_days(Days::new(1))?,
        _ => date,
    };
    at(day, time)
}

/// Today's date in America/Sao_Paulo (what "today" and the daily lookup cap
/// mean on the platform).
pub fn today() -> NaiveDate {
    chrono::Utc::now().with_timezone(&Sao_Paulo).date_naive()
}

/// The date `days` days before today in America/Sao_Paulo (`--since 30d`:
/// calls dated from that day on).
///
/// ```
/// use velip_core::model::local_time::{days_ago, today};
/// assert_eq!(days_ago(0), today());
/// assert_eq!((today() - days_ago(30)).num_days(), 30);
/// ```
pub fn days_ago(days: u32) -> NaiveDate {
    today()
        .checked_sub_days(Days::new(u64::from(days)))
        .unwrap_or(NaiveDate::MIN)
}
