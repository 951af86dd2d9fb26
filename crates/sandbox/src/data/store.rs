//! Compact in-memory call store: fixed-size rows plus one string arena.

use chrono::{Datelike, NaiveDate};

/// Sentinel for "no time" (unanswered calls).
pub(crate) const NO_TIME: u32 = u32::MAX;

/// A string stored in the [`Arena`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct StrRef {
    off: u32,
    len: u32,
}

impl StrRef {
    pub(crate) const EMPTY: StrRef = StrRef { off: 0, len: 0 };

    pub(crate) fn is_empty(self) -> bool {
        self.len == 0
    }
}

/// Append-only string storage.
#[derive(Debug, Default)]
pub(crate) struct Arena {
    buf: String,
}

impl Arena {
    pub(crate) fn push(&mut self, s: &str) -> StrRef {
        if s.is_empty() {
            return StrRef::EMPTY;
        }
        let off = u32::try_from(self.buf.len()).expect("string arena over 4 GiB");
        self.buf.push_str(s);
        StrRef {
            off,
            len: u32::try_from(s.len()).expect("string over 4 GiB"),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.buf.len()
    }

    pub(crate) fn push_char(&mut self, c: char) {
        self.buf.push(c);
    }

    pub(crate) fn push_fmt(&mut self, args: std::fmt::Arguments<'_>) {
        use std::fmt::Write as _;
        let _ = self.buf.write_fmt(args);
    }

    /// The string written since `start`.
    pub(crate) fn span(&self, start: usize) -> StrRef {
        let off = u32::try_from(start).expect("string arena over 4 GiB");
        let len = u32::try_from(self.buf.len() - start).expect("string over 4 GiB");
        if len == 0 {
            StrRef::EMPTY
        } else {
            StrRef { off, len }
        }
    }

    pub(crate) fn get(&self, r: StrRef) -> &str {
        &self.buf[r.off as usize..(r.off + r.len) as usize]
    }
}

/// Separator between DTMF answers and between extra fields in the arena.
pub(crate) const FIELD_SEP: char = '\u{1f}';
/// Separator between an extra field's key and value.
pub(crate) const KV_SEP: char = '\u{1e}';

/// Call status codes (index into [`STATUSES`] for the well-known ones).
pub(crate) const STATUSES: [&str; 7] = [
    "OK",
    "BUSY",
    "NOANSWER",
    "CANCEL",
    "CONGESTION",
    "CHANUNAVAIL",
    "FAILED",
];
/// AMD answers; index 0 = AMD off.
pub(crate) const AMDS: [&str; 4] = ["", "MA", "HM", "ND"];

/// One campaign.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Campaign {
    pub(crate) cp_id: u64,
    pub(crate) cpid: String,
}

/// One call, stored compactly.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Row {
    pub(crate) id: u64,
    /// Destination with country code (`5511999999999`), or 0 when unknown.
    pub(crate) dest: u64,
    /// Days since 1970-01-01.
    pub(crate) date: i32,
    /// Seconds of day.
    pub(crate) time_dial: u32,
    pub(crate) time_start: u32,
    pub(crate) time_end: u32,
    pub(crate) dur: u32,
    pub(crate) cdr_sec: u32,
    /// Thousandths of a real.
    pub(crate) rate: u32,
    pub(crate) value: u32,
    pub(crate) campaign: u32,
    pub(crate) status: u16,
    pub(crate) route: u16,
    pub(crate) amd: u8,
    pub(crate) resp_count: u8,
    /// At least one DTMF answer is non-empty.
    pub(crate) has_dtmf: bool,
    /// `cdr_url` is derived from the id (generated recordings).
    pub(crate) cdr_derived: bool,
    /// The call has not ended yet: listed with an empty `cd_status` and
    /// without `time_start`, `time_end`, `dur`, DTMF answers or recording;
    /// the other fields already hold the values it will end with.
    pub(crate) in_progress: bool,
    pub(crate) ctid: StrRef,
    pub(crate) resp: StrRef,
    pub(crate) extras: StrRef,
    pub(crate) cdr_url: StrRef,
}

/// The call store: rows ascending by id (so newest = last).
#[derive(Debug, Default)]
pub(crate) struct Store {
    pub(crate) rows: Vec<Row>,
    pub(crate) arena: Arena,
    pub(crate) campaigns: Vec<Campaign>,
    /// Interned route names and extra status names.
    pub(crate) routes: Vec<String>,
    pub(crate) statuses: Vec<String>,
    /// Per-campaign knobs used when generating more calls.
    pub(crate) generator_state: Option<crate::data::generator::GenState>,
}

impl Store {
    pub(crate) fn new() -> Self {
        Self {
            statuses: STATUSES.iter().map(|s| (*s).to_owned()).collect(),
            ..Self::default()
        }
    }

    pub(crate) fn arena_len(&self) -> usize {
        self.arena.len()
    }

    pub(crate) fn arena_push_char(&mut self, c: char) {
        self.arena.push_char(c);
    }

    pub(crate) fn arena_push_fmt(&mut self, args: std::fmt::Arguments<'_>) {
        self.arena.push_fmt(args);
    }

    pub(crate) fn arena_span(&self, start: usize) -> StrRef {
        self.arena.span(start)
    }

    pub(crate) fn str(&self, r: StrRef) -> &str {
        self.arena.get(r)
    }

    pub(crate) fn intern_route(&mut self, route: &str) -> u16 {
        intern(&mut self.routes, route)
    }

    pub(crate) fn intern_status(&mut self, status: &str) -> u16 {
        intern(&mut self.statuses, status)
    }

    /// Index of the campaign, created when new.
    pub(crate) fn campaign_index(&mut self, cp_id: u64, customer_id: &str) -> u32 {
        if let Some(i) = self
            .campaigns
            .iter()
            .rposition(|c| c.cp_id == cp_id && c.cpid == customer_id)
        {
            return u32::try_from(i).unwrap_or(u32::MAX);
        }
        self.campaigns.push(Campaign {
            cp_id,
            cpid: customer_id.to_owned(),
        });
        u32::try_from(self.campaigns.len() - 1).unwrap_or(u32::MAX)
    }

    /// Position of the call with this id.
    pub(crate) fn position(&self, id: u64) -> Option<usize> {
        self.rows.binary_search_by_key(&id, |r| r.id).ok()
    }

    /// Number of rows with `id <= max_id` (the exclusive end of a backwards scan).
    pub(crate) fn end_at(&self, max_id: u64) -> usize {
        self.rows.partition_point(|r| r.id <= max_id)
    }

    pub(crate) fn max_id(&self) -> u64 {
        self.rows.last().map_or(0, |r| r.id)
    }

    /// DTMF answers of a row.
    pub(crate) fn resp<'a>(&'a self, row: &Row) -> impl Iterator<Item = &'a str> + 'a {
        let n = row.resp_count as usize;
        let s = self.str(row.resp);
        let mut it = s.split(FIELD_SEP);
        (0..n).map(move |_| it.next().unwrap_or(""))
    }

    /// Extra fields (`cdc_extra*` and unknown keys) of a row.
    pub(crate) fn extras<'a>(&'a self, row: &Row) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        let s = self.str(row.extras);
        s.split(FIELD_SEP)
            .filter(|kv| !kv.is_empty())
            .map(|kv| kv.split_once(KV_SEP).unwrap_or((kv, "")))
    }

    /// The spec's daily lookup cap, computed from the data:
    /// `500 + 40 × (average calls per day over the 30 days before the last day + calls on the last day)`.
    pub(crate) fn daily_lookup_cap(&self) -> u32 {
        let Some(today) = self.rows.iter().map(|r| r.date).max() else {
            return 500;
        };
        let mut last30 = 0u64;
        let mut on_today = 0u64;
        for r in &self.rows {
            if r.date == today {
                on_today += 1;
            } else if r.date >= today - 30 {
                last30 += 1;
            }
        }
        let cap = 500 + 40 * (last30 / 30 + on_today);
        u32::try_from(cap).unwrap_or(u32::MAX)
    }

    /// Latest `cp_id` for a customer-side campaign id.
    pub(crate) fn resolve_cpid(&self, cpid: &str) -> Option<u64> {
        self.campaigns
            .iter()
            .filter(|c| c.cpid == cpid)
            .map(|c| c.cp_id)
            .max()
    }

    /// Row indices by ctid (built lazily by callers that need it).
    pub(crate) fn rows_with_ctid(&self, ctid: &str) -> Vec<usize> {
        let bytes = ctid.len();
        self.rows
            .iter()
            .enumerate()
            .rev()
            .filter(|(_, r)| r.ctid.len as usize == bytes && self.str(r.ctid) == ctid)
            .map(|(i, _)| i)
            .collect()
    }
}

fn intern(table: &mut Vec<String>, s: &str) -> u16 {
    if let Some(i) = table.iter().position(|x| x == s) {
        return u16::try_from(i).unwrap_or(u16::MAX);
    }
    table.push(s.to_owned());
    u16::try_from(table.len() - 1).unwrap_or(u16::MAX)
}

const UNIX_EPOCH_CE_DAYS: i32 = 719_163;

/// Days since 1970-01-01 of a date.
pub(crate) fn days_of(date: NaiveDate) -> i32 {
    date.num_days_from_ce() - UNIX_EPOCH_CE_DAYS
}

/// Date of a day number.
pub(crate) fn date_of(days: i32) -> NaiveDate {
    NaiveDate::from_num_days_from_ce_opt(days + UNIX_EPOCH_CE_DAYS).unwrap_or_default()
}

/// Parses `YYYY-MM-DD`.
pub(crate) fn parse_date(s: &str) -> Option<i32> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .ok()
        .map(days_of)
}

/// Parses `HH:MM:SS` into seconds of day.
pub(crate) fn parse_time(s: &str) -> Option<u32> {
    let mut it = s.trim().split(':');
    let h: u32 = it.next()?.parse().ok()?;
    let m: u32 = it.next()?.parse().ok()?;
    let sec: u32 = it.next().unwrap_or("0").parse().ok()?;
    (h < 24 && m < 60 && sec < 60).then_some(h * 3600 + m * 60 + sec)
}

/// Parses a Brazilian decimal (`0,050`, `1.234,56`, `0.05`) into thousandths.
pub(crate) fn parse_milli(s: &str) -> Option<u32> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let normalized: String = if s.contains(',') {
        s.replace('.', "").replace(',', ".")
    } else {
        s.to_owned()
    };
    let (int, frac) = normalized.split_once('.').unwrap_or((&normalized, ""));
    let int: u32 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let mut milli = 0u32;
    for (i, c) in frac.chars().chain("000".chars()).take(3).enumerate() {
        let d = c.to_digit(10)?;
        milli += d * 10u32.pow(2 - u32::try_from(i).unwrap_or(0));
    }
    int.checked_mul(1000)?.checked_add(milli)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn milli_parsing() {
        assert_eq!(parse_milli("0,050"), Some(50));
        assert_eq!(parse_milli("1.234,56"), Some(1_234_560));
        assert_eq!(parse_milli("0.05"), Some(50));
        assert_eq!(parse_milli("12"), Some(12_000));
        assert_eq!(parse_milli("x"), None);
    }

    #[test]
    fn dates_round_trip() {
        let d = parse_date("2026-11-20").unwrap();
        assert_eq!(date_of(d).to_string(), "2026-11-20");
        assert_eq!(parse_time("08:00:01"), Some(8 * 3600 + 1));
        assert_eq!(parse_time("25:00:00"), None);
    }
}
