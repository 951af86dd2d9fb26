//! A [`CallRecord`] as the column values of one `calls` row (the Arrow
//! schema's column names), the content hash that detects a change, and the
//! way back from stored values to a record.
//!
//! The rules both backends share live here: money must fit NUMERIC(18,3)
//! exactly and is stored at scale 3; durations must fit int32; a value that
//! does not fit is stored as NULL with a [`Problem`] naming it (never
//! rounded, never fatal); a NUL character, which neither database can store
//! in text, becomes U+FFFD with a problem.

use std::borrow::Cow;
use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use velip_core::{AmdResult, CallId, CallRecord, CallStatus, Decimal, Destination, Problem};
use xxhash_rust::xxh3::xxh3_64;

use super::error::{DbError, DbErrorKind};
use super::meta::Source;

/// The record columns of `calls`, in the order [`Row`] holds them (the
/// key's `account` and the bookkeeping columns come separately).
pub(crate) const RECORD_COLUMNS: [&str; 27] = [
    "call_id",
    "call_number",
    "status",
    "amd",
    "campaign_id",
    "campaign_ref",
    "correlation_id",
    "origin",
    "destination",
    "destination_masked",
    "date",
    "dial_time",
    "answer_time",
    "hangup_time",
    "dialed_at",
    "answered_at",
    "hung_up_at",
    "duration_seconds",
    "dtmf",
    "route",
    "rate",
    "value",
    "recording_url",
    "recording_seconds",
    "extra",
    "problems",
    "raw_json",
];

/// Bumped when the hashed form changes: every row then counts as changed
/// once and is rewritten by its next upsert.
const HASH_FORM: u8 = 1;

/// 10^15: money must be smaller in magnitude to fit NUMERIC(18,3).
const MONEY_LIMIT: i64 = 1_000_000_000_000_000;

/// One record as column values.
#[derive(Debug)]
pub(crate) struct Row<'r> {
    pub(crate) call_id: String,
    pub(crate) call_number: Option<i64>,
    pub(crate) status: Option<Cow<'r, str>>,
    pub(crate) amd: Option<Cow<'r, str>>,
    pub(crate) campaign_id: Option<i64>,
    pub(crate) campaign_ref: Option<Cow<'r, str>>,
    pub(crate) correlation_id: Option<Cow<'r, str>>,
    pub(crate) origin: Option<Cow<'r, str>>,
    pub(crate) destination: Option<String>,
    pub(crate) destination_masked: Option<bool>,
    pub(crate) date: Option<NaiveDate>,
    pub(crate) dial_time: Option<NaiveTime>,
    pub(crate) answer_time: Option<NaiveTime>,
    pub(crate) hangup_time: Option<NaiveTime>,
    pub(crate) dialed_at: Option<DateTime<Tz>>,
    pub(crate) answered_at: Option<DateTime<Tz>>,
    pub(crate) hung_up_at: Option<DateTime<Tz>>,
    pub(crate) duration_seconds: Option<i32>,
    /// JSON array text.
    pub(crate) dtmf: String,
    pub(crate) route: Option<Cow<'r, str>>,
    /// At scale 3.
    pub(crate) rate: Option<Decimal>,
    /// At scale 3.
    pub(crate) value: Option<Decimal>,
    pub(crate) recording_url: Option<Cow<'r, str>>,
    pub(crate) recording_seconds: Option<i32>,
    /// JSON object text.
    pub(crate) extra: String,
    /// JSON array text of `{field, raw, rule}`.
    pub(crate) problems: String,
    pub(crate) raw_json: Option<&'r str>,
    pub(crate) content_hash: i64,
}

const NUL_RULE: &str = "NUL character replaced by U+FFFD (databases cannot store it)";

/// Builds the problems a row adds to its record's own.
struct Fixes<'r> {
    record: &'r CallRecord,
    added: Vec<Problem>,
}

impl<'r> Fixes<'r> {
    fn text(&mut self, field: &str, value: Option<&'r str>) -> Option<Cow<'r, str>> {
        let value = value?;
        if value.contains('\0') {
            self.added.push(Problem::new(field, quote(value), NUL_RULE));
            Some(Cow::Owned(value.replace('\0', "\u{fffd}")))
        } else {
            Some(Cow::Borrowed(value))
        }
    }

    fn owned_text(&mut self, field: &str, value: Option<String>) -> Option<String> {
        let value = value?;
        if value.contains('\0') {
            self.added
                .push(Problem::new(field, quote(&value), NUL_RULE));
            Some(value.replace('\0', "\u{fffd}"))
        } else {
            Some(value)
        }
    }

    fn int64(&mut self, field: &str, value: Option<u64>) -> Option<i64> {
        let value = value?;
        i64::try_from(value).ok().or_else(|| {
            self.added.push(Problem::new(
                field,
                value.to_string(),
                "does not fit the database column (64-bit signed integer)",
            ));
            None
        })
    }

    fn int32(&mut self, field: &str, value: Option<u64>) -> Option<i32> {
        let value = value?;
        i32::try_from(value).ok().or_else(|| {
            self.added.push(Problem::new(
                field,
                value.to_string(),
                "does not fit the database column (32-bit signed integer seconds)",
            ));
            None
        })
    }

    fn money(&mut self, field: &str, value: Option<Decimal>) -> Option<Decimal> {
        let value = value?;
        let exact = value.normalize();
        if exact.scale() <= 3 && exact.abs() < Decimal::from(MONEY_LIMIT) {
            let mut at3 = exact;
            at3.rescale(3);
            Some(at3)
        } else {
            self.added.push(Problem::new(
                field,
                quote(&value.to_string()),
                "does not fit NUMERIC(18,3) exactly (at most 15 digits before the point and 3 after); not rounded",
            ));
            None
        }
    }

    fn json(&mut self, field: &str, text: String) -> String {
        // serde_json writes a NUL as the escape \u0000, which jsonb refuses.
        if !text.contains("\\u0000") {
            return text;
        }
        let Ok(mut value) = serde_json::from_str::<serde_json::Value>(&text) else {
            return text;
        };
        if !replace_nul(&mut value) {
            return text;
        }
        self.added
            .push(Problem::new(field, String::new(), NUL_RULE));
        serde_json::to_string(&value).unwrap_or(text)
    }
}

/// Replaces NUL in every string and key; whether anything changed.
fn replace_nul(value: &mut serde_json::Value) -> bool {
    match value {
        serde_json::Value::String(s) if s.contains('\0') => {
            *s = s.replace('\0', "\u{fffd}");
            true
        }
        serde_json::Value::Array(items) => items
            .iter_mut()
            .map(replace_nul)
            .fold(false, |acc, changed| acc | changed),
        serde_json::Value::Object(map) => {
            let mut changed = false;
            let entries: Vec<(String, serde_json::Value)> =
                std::mem::take(map).into_iter().collect();
            for (k, mut v) in entries {
                changed |= replace_nul(&mut v);
                let k = if k.contains('\0') {
                    changed = true;
                    k.replace('\0', "\u{fffd}")
                } else {
                    k
                };
                map.insert(k, v);
            }
            changed
        }
        _ => false,
    }
}

/// A text as JSON, cut to 200 characters (as [`Problem::raw`] is).
fn quote(text: &str) -> String {
    let quoted = serde_json::Value::from(text).to_string();
    if quoted.chars().count() <= 200 {
        quoted
    } else {
        quoted.chars().take(200).collect()
    }
}

fn to_json<T: serde::Serialize + ?Sized>(value: &T) -> String {
    // Serializing strings, maps of strings to values and problems cannot
    // fail; an empty JSON value is the (unreachable) fallback.
    serde_json::to_string(value).unwrap_or_default()
}

impl<'r> Row<'r> {
    /// The column values of `record`.
    pub(crate) fn new(record: &'r CallRecord) -> Self {
        let mut fx = Fixes {
            record,
            added: Vec::new(),
        };
        let call_number = fx.int64("cd_id", Some(record.call_id.number()));
        let status = fx.text("cd_status", record.status.as_ref().map(CallStatus::as_wire));
        let amd = fx.text("cd_amdasw", record.amd.as_ref().map(AmdResult::as_wire));
        let campaign_id = fx.int64("cp_id", record.campaign_id);
        let campaign_ref = fx.text("cpid", record.campaign_ref.as_deref());
        let correlation_id = fx.text("ctid", record.correlation_id.as_deref());
        let origin = fx.text("origin", record.origin.as_deref());
        let destination =
            fx.owned_text("dest", record.destination.as_ref().map(ToString::to_string));
        let duration_seconds = fx.int32("dur", record.duration_seconds);
        let dtmf = fx.json("resp_*", to_json(&record.dtmf));
        let route = fx.text("route", record.route.as_deref());
        let rate = fx.money("rate", record.rate);
        let value = fx.money("value", record.value);
        let recording_url = fx.text("cdr_url", record.recording_url.as_deref());
        let recording_seconds = fx.int32("cdr_sec", record.recording_seconds);
        let extra = fx.json("extra", to_json(&record.extra));
        let problems = if fx.added.is_empty() {
            fx.json("problems", to_json(&record.problems))
        } else {
            let mut all = fx.record.problems.clone();
            all.append(&mut fx.added);
            fx.json("problems", to_json(&all))
        };
        let mut row = Row {
            call_id: record.call_id.to_string(),
            call_number,
            status,
            amd,
            campaign_id,
            campaign_ref,
            correlation_id,
            origin,
            destination_masked: record.destination.as_ref().map(Destination::is_masked),
            destination,
            date: record.date,
            dial_time: record.dial_time,
            answer_time: record.answer_time,
            hangup_time: record.hangup_time,
            dialed_at: record.dialed_at(),
            answered_at: record.answered_at(),
            hung_up_at: record.hung_up_at(),
            duration_seconds,
            dtmf,
            route,
            rate,
            value,
            recording_url,
            recording_seconds,
            extra,
            problems,
            raw_json: record.raw_json.as_deref(),
            content_hash: 0,
        };
        row.content_hash = row.hash();
        row
    }

    /// The content hash (xxh3, 64 bits) of every stored value: equal
    /// hashes mean "unchanged, nothing to write". The instants are derived
    /// from date and times, so they are not hashed again.
    fn hash(&self) -> i64 {
        let mut h = Hasher(Vec::with_capacity(512));
        h.0.push(HASH_FORM);
        h.text(Some(&self.call_id));
        h.int(self.call_number);
        h.text(self.status.as_deref());
        h.text(self.amd.as_deref());
        h.int(self.campaign_id);
        h.text(self.campaign_ref.as_deref());
        h.text(self.correlation_id.as_deref());
        h.text(self.origin.as_deref());
        h.text(self.destination.as_deref());
        h.int(
            self.date
                .map(|d| i64::from(chrono::Datelike::num_days_from_ce(&d))),
        );
        for t in [self.dial_time, self.answer_time, self.hangup_time] {
            h.int(t.map(|t| i64::from(chrono::Timelike::num_seconds_from_midnight(&t))));
        }
        h.int(self.duration_seconds.map(i64::from));
        h.text(Some(&self.dtmf));
        h.text(self.route.as_deref());
        h.text(self.rate.map(|d| d.to_string()).as_deref());
        h.text(self.value.map(|d| d.to_string()).as_deref());
        h.text(self.recording_url.as_deref());
        h.int(self.recording_seconds.map(i64::from));
        h.text(Some(&self.extra));
        h.text(Some(&self.problems));
        h.text(self.raw_json);
        // The hash is stored in a signed 64-bit column: keep the bits.
        i64::from_ne_bytes(xxh3_64(&h.0).to_ne_bytes())
    }
}

/// The hashed form: each value tagged (absent / present), texts with
/// their length, so no two different rows share a form. Hashed in one go
/// (cheaper than streaming many small pieces).
struct Hasher(Vec<u8>);

impl Hasher {
    fn text(&mut self, value: Option<&str>) {
        match value {
            None => self.0.push(0),
            Some(s) => {
                self.0.push(1);
                self.0.extend_from_slice(&(s.len() as u64).to_le_bytes());
                self.0.extend_from_slice(s.as_bytes());
            }
        }
    }

    fn int(&mut self, value: Option<i64>) {
        match value {
            None => self.0.push(0),
            Some(v) => {
                self.0.push(1);
                self.0.extend_from_slice(&v.to_le_bytes());
            }
        }
    }
}

/// The values of one `calls` row as read back, typed as each backend gives
/// them; [`ReadRow::into_stored`] builds the record.
#[derive(Debug, Default)]
pub(crate) struct ReadRow {
    pub(crate) account: String,
    pub(crate) call_id: String,
    pub(crate) status: Option<String>,
    pub(crate) amd: Option<String>,
    pub(crate) campaign_id: Option<i64>,
    pub(crate) campaign_ref: Option<String>,
    pub(crate) correlation_id: Option<String>,
    pub(crate) origin: Option<String>,
    pub(crate) destination: Option<String>,
    pub(crate) date: Option<NaiveDate>,
    pub(crate) dial_time: Option<NaiveTime>,
    pub(crate) answer_time: Option<NaiveTime>,
    pub(crate) hangup_time: Option<NaiveTime>,
    pub(crate) duration_seconds: Option<i64>,
    pub(crate) dtmf: String,
    pub(crate) route: Option<String>,
    pub(crate) rate: Option<String>,
    pub(crate) value: Option<String>,
    pub(crate) recording_url: Option<String>,
    pub(crate) recording_seconds: Option<i64>,
    pub(crate) extra: String,
    pub(crate) problems: String,
    pub(crate) raw_json: Option<String>,
    pub(crate) first_seen_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
    pub(crate) source: String,
    pub(crate) content_hash: i64,
}

/// The columns [`ReadRow`] reads, in order, for a `SELECT`.
pub(crate) const READ_COLUMNS: [&str; 27] = [
    "account",
    "call_id",
    "status",
    "amd",
    "campaign_id",
    "campaign_ref",
    "correlation_id",
    "origin",
    "destination",
    "date",
    "dial_time",
    "answer_time",
    "hangup_time",
    "duration_seconds",
    "dtmf",
    "route",
    "rate",
    "value",
    "recording_url",
    "recording_seconds",
    "extra",
    "problems",
    "raw_json",
    "first_seen_at",
    "updated_at",
    "source",
    "content_hash",
];

/// A stored call: the record as read back from its row, with the row's
/// bookkeeping.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoredCall {
    /// The account the call came from (part of the key).
    pub account: String,
    /// The record. Its [`problems`](CallRecord::problems) include those the
    /// store added (a value that did not fit a column, stored as NULL).
    pub record: CallRecord,
    /// How the content last written arrived.
    pub source: Source,
    /// When the call was first stored (UTC).
    pub first_seen_at: DateTime<Utc>,
    /// When the call's content last changed (UTC).
    pub updated_at: DateTime<Utc>,
    /// The content hash compared by upserts.
    pub content_hash: i64,
}

#[derive(serde::Deserialize)]
struct ProblemRow {
    field: String,
    raw: String,
    rule: String,
}

impl ReadRow {
    /// The stored call; an unreadable value (a row edited by hand) is a
    /// [`DbErrorKind::SchemaMismatch`] naming the row and column.
    pub(crate) fn into_stored(self, db: &str) -> Result<StoredCall, DbError> {
        let bad = |column: &str, why: &dyn std::fmt::Display| {
            DbError::new(
                DbErrorKind::SchemaMismatch,
                format!(
                    "database {db}: calls row ({}, {}) has an unreadable {column}: {why}",
                    self.account, self.call_id
                ),
            )
        };
        let call_id = CallId::parse(&self.call_id).map_err(|e| bad("call_id", &e))?;
        let mut r = CallRecord::new(call_id);
        r.status = self.status.as_deref().map(CallStatus::from_wire);
        r.amd = self.amd.as_deref().map(AmdResult::from_wire);
        r.campaign_id = self.campaign_id.and_then(|v| u64::try_from(v).ok());
        r.campaign_ref.clone_from(&self.campaign_ref);
        r.correlation_id.clone_from(&self.correlation_id);
        r.origin.clone_from(&self.origin);
        r.destination = self.destination.as_deref().map(Destination::from_wire);
        r.date = self.date;
        r.dial_time = self.dial_time;
        r.answer_time = self.answer_time;
        r.hangup_time = self.hangup_time;
        r.duration_seconds = self.duration_seconds.and_then(|v| u64::try_from(v).ok());
        r.dtmf = serde_json::from_str(&self.dtmf).map_err(|e| bad("dtmf", &e))?;
        r.route.clone_from(&self.route);
        let money = |column: &str, text: &Option<String>| {
            text.as_deref()
                .map(|t| t.parse::<Decimal>().map_err(|e| bad(column, &e)))
                .transpose()
        };
        r.rate = money("rate", &self.rate)?;
        r.value = money("value", &self.value)?;
        r.recording_url.clone_from(&self.recording_url);
        r.recording_seconds = self.recording_seconds.and_then(|v| u64::try_from(v).ok());
        r.extra = serde_json::from_str::<BTreeMap<String, serde_json::Value>>(&self.extra)
            .map_err(|e| bad("extra", &e))?;
        r.problems = serde_json::from_str::<Vec<ProblemRow>>(&self.problems)
            .map_err(|e| bad("problems", &e))?
            .into_iter()
            .map(|p| Problem::new(p.field, p.raw, p.rule))
            .collect();
        r.raw_json.clone_from(&self.raw_json);
        let source =
            Source::parse(&self.source).ok_or_else(|| bad("source", &"not pull or push"))?;
        Ok(StoredCall {
            account: self.account,
            record: r,
            source,
            first_seen_at: self.first_seen_at,
            updated_at: self.updated_at,
            content_hash: self.content_hash,
        })
    }
}

/// Keeps the last record of each call id (a batch may repeat one); the
/// kept records in their order and how many were dropped.
pub(crate) fn last_per_call(records: &[CallRecord]) -> (Vec<&CallRecord>, u64) {
    let mut seen = std::collections::HashSet::with_capacity(records.len());
    let mut kept: Vec<&CallRecord> = Vec::with_capacity(records.len());
    for r in records.iter().rev() {
        if seen.insert(&r.call_id) {
            kept.push(r);
        }
    }
    kept.reverse();
    let dropped = (records.len() - kept.len()) as u64;
    (kept, dropped)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> CallRecord {
        let mut r = CallRecord::new(CallId::parse("42_123456").unwrap());
        r.campaign_ref = Some("camp".into());
        r.rate = Some("0.050".parse().unwrap());
        r
    }

    #[test]
    fn hash_sees_every_change_and_only_changes() {
        let base = record();
        let hash = |r: &CallRecord| Row::new(r).content_hash;
        let h = hash(&base);
        assert_eq!(hash(&base.clone()), h);
        let mut finished = base.clone();
        finished.status = Some(CallStatus::Answered);
        assert_ne!(hash(&finished), h);
        let mut delivered = base.clone();
        delivered
            .extra
            .insert("cd_returl".into(), serde_json::json!(1));
        assert_ne!(hash(&delivered), h);
        // Same amount at another scale: same stored value, same hash.
        let mut rescaled = base.clone();
        rescaled.rate = Some("0.05".parse().unwrap());
        assert_eq!(hash(&rescaled), h);
        // A value moving between neighbouring text columns changes the hash.
        let mut moved = base.clone();
        moved.campaign_ref = None;
        moved.correlation_id = Some("camp".into());
        assert_ne!(hash(&moved), h);
    }

    #[test]
    fn values_that_do_not_fit_become_null_with_a_problem() {
        let mut r = record();
        r.rate = Some("0.0505".parse().unwrap());
        r.value = Some("1234567890123456".parse().unwrap());
        r.duration_seconds = Some(u64::from(u32::MAX));
        r.campaign_ref = Some("a\0b".into());
        r.extra
            .insert("cdc_extra1".into(), serde_json::json!("x\u{0}y"));
        let row = Row::new(&r);
        assert_eq!(
            (row.rate, row.value, row.duration_seconds),
            (None, None, None)
        );
        assert_eq!(row.campaign_ref.as_deref(), Some("a\u{fffd}b"));
        assert!(!row.extra.contains("\\u0000"), "{}", row.extra);
        let problems: Vec<serde_json::Value> = serde_json::from_str(&row.problems).unwrap();
        let fields: Vec<&str> = problems
            .iter()
            .map(|p| p["field"].as_str().unwrap())
            .collect();
        assert_eq!(fields, ["cpid", "dur", "rate", "value", "extra"]);
        assert_eq!(problems[2]["raw"], "\"0.0505\"");
    }

    #[test]
    fn money_is_stored_at_scale_three() {
        let mut r = record();
        r.value = Some("1.5".parse().unwrap());
        assert_eq!(Row::new(&r).value.unwrap().to_string(), "1.500");
        r.value = Some("-999999999999999.999".parse().unwrap());
        assert_eq!(
            Row::new(&r).value.unwrap().to_string(),
            "-999999999999999.999"
        );
    }

    #[test]
    fn repeated_ids_keep_the_last() {
        let mut a2 = record();
        a2.route = Some("second".into());
        let b = CallRecord::new(CallId::new(7));
        let batch = [record(), b, a2];
        let (kept, dropped) = last_per_call(&batch);
        assert_eq!(dropped, 1);
        assert_eq!(kept.len(), 2);
        assert_eq!(kept[0].call_id, CallId::new(7));
        assert_eq!(kept[1].route.as_deref(), Some("second"));
    }
}
