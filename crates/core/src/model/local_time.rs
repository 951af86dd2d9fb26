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

/// Today's date in America/Sao_Paulo at the instant `now`.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use velip_core::model::local_time::today_at;
/// // 02:00 UTC is still the previous evening in São Paulo (UTC-3).
/// let now = Utc.with_ymd_and_hms(2026, 11, 21, 2, 0, 0).unwrap();
/// assert_eq!(today_at(now).to_string(), "2026-11-20");
/// ```
pub fn today_at(now: DateTime<chrono::Utc>) -> NaiveDate {
    now.with_timezone(&Sao_Paulo).date_naive()
}

/// A day as people give it on a command line, relative to today in
/// America/Sao_Paulo (the platform's days, whatever the machine's time
/// zone): `today`, `yesterday`, a date `YYYY-MM-DD`, or a span back from
/// now, `7d` (days), `24h` (hours), `2w` (weeks), which names the day of
/// that instant (the service selects whole days).
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use velip_core::model::local_time::DaySpec;
/// let now = Utc.with_ymd_and_hms(2026, 11, 21, 2, 0, 0).unwrap(); // 23:00 on the 20th in São Paulo
/// let day = |s: &str| s.parse::<DaySpec>().unwrap().resolve_at(now).to_string();
/// assert_eq!(day("today"), "2026-11-20");
/// assert_eq!(day("yesterday"), "2026-11-19");
/// assert_eq!(day("7d"), "2026-11-13");
/// assert_eq!(day("24h"), "2026-11-19");
/// assert_eq!(day("2026-05-06"), "2026-05-06");
/// assert!("2026-02-30".parse::<DaySpec>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DaySpec {
    /// Today in America/Sao_Paulo.
    Today,
    /// The day before today in America/Sao_Paulo.
    Yesterday,
    /// This date.
    Date(NaiveDate),
    /// The day (America/Sao_Paulo) of the instant this long before now.
    Ago(chrono::TimeDelta),
}

/// The longest span back accepted by [`DaySpec`] (100 years).
const MAX_AGO_DAYS: i64 = 36_525;

/// Why a text is not a [`DaySpec`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DaySpecError(String);

impl std::str::FromStr for DaySpec {
    type Err = DaySpecError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        match t.to_ascii_lowercase().as_str() {
            "today" => return Ok(Self::Today),
            "yesterday" => return Ok(Self::Yesterday),
            _ => {}
        }
        let expected = || {
            DaySpecError(format!(
                "{t:?} is not a day: give today, yesterday, a date YYYY-MM-DD, or a span back such as 7d, 24h or 2w"
            ))
        };
        if t.len() == 10 && t.as_bytes()[4] == b'-' && t.as_bytes()[7] == b'-' {
            return NaiveDate::parse_from_str(t, "%Y-%m-%d")
                .map(Self::Date)
                .map_err(|_| DaySpecError(format!("{t:?} is not a date in the calendar")));
        }
        let unit_at = t.len().checked_sub(1).ok_or_else(expected)?;
        let (n, unit) = t.split_at(unit_at);
        if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
            return Err(expected());
        }
        let n: i64 = n.parse().map_err(|_| expected())?;
        let span = match unit {
            "d" | "D" => chrono::TimeDelta::try_days(n),
            "h" | "H" => chrono::TimeDelta::try_hours(n),
            "w" | "W" => n.checked_mul(7).and_then(chrono::TimeDelta::try_days),
            _ => return Err(expected()),
        }
        .filter(|d| d.num_days() <= MAX_AGO_DAYS)
        .ok_or_else(|| DaySpecError(format!("{t:?} reaches back more than 100 years")))?;
        Ok(Self::Ago(span))
    }
}

impl DaySpec {
    /// The day it names, with today taken at the instant `now`.
    pub fn resolve_at(self, now: DateTime<chrono::Utc>) -> NaiveDate {
        let today = today_at(now);
        match self {
            Self::Today => today,
            Self::Yesterday => today.pred_opt().unwrap_or(today),
            Self::Date(d) => d,
            Self::Ago(span) => now
                .checked_sub_signed(span)
                .map_or(NaiveDate::MIN, today_at),
        }
    }

    /// The day it names, today being now's in America/Sao_Paulo.
    pub fn resolve(self) -> NaiveDate {
        self.resolve_at(chrono::Utc::now())
    }
}
