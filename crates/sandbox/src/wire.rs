//! Rendering answers: the JSON envelope and records (key order as in the
//! fixtures), error bodies, and form fields for webhook deliveries.
//!
//! Records are serialized straight from the compact rows with serde (no
//! intermediate `Value`), so a 5000-record page is cheap. Calls still in
//! progress are written the way the service lists them (empty `cd_status`,
//! no `time_start`, `time_end`, `dur`, `cdr_url`, `cdr_sec`); a call's
//! webhook outcome `cd_returl` appears once the sandbox has one; record
//! faults (`badfield`, `nocdid`) are applied while writing.

use std::collections::HashMap;
use std::fmt::{self, Display};

use serde::Serialize;
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde_json::value::RawValue;

use crate::config::WireStyle;
use crate::data::store::{AMDS, NO_TIME, Row, Store, date_of};
use crate::faults::RecordRef;
use crate::rules::masking::{has_long_digit_run, mask_dest, mask_text};

/// How `dest` is written (`numtype`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(crate) enum NumType {
    /// `5511999999999`.
    #[default]
    Full,
    /// `011999999999`.
    ZeroDdd,
    /// `11999999999`.
    Ddd,
}

impl NumType {
    pub(crate) fn parse(v: Option<&str>) -> Self {
        match v.map(str::trim) {
            Some("0DDD") => NumType::ZeroDdd,
            Some("DDD") => NumType::Ddd,
            _ => NumType::Full,
        }
    }
}

/// Validates `origin`: `[a-zA-Z0-9_-]{1,32}`, otherwise `api`.
pub(crate) fn origin_of(v: Option<&str>) -> String {
    match v {
        Some(o)
            if (1..=32).contains(&o.len())
                && o.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') =>
        {
            o.to_owned()
        }
        _ => "api".to_owned(),
    }
}

/// A change a record fault makes to the records it names.
#[derive(Clone, Debug)]
pub(crate) struct RecordEdit {
    pub(crate) record: RecordRef,
    pub(crate) change: RecordChange,
}

/// What a [`RecordEdit`] does.
#[derive(Clone, Debug)]
pub(crate) enum RecordChange {
    /// The key carries this raw JSON value (in place, or added last).
    Set { field: String, value: Box<RawValue> },
    /// The record has no `cd_id` key.
    DropCallId,
}

impl RecordEdit {
    /// `field` = `json` (raw JSON text; text that is not JSON is sent as a JSON string).
    pub(crate) fn set(record: RecordRef, field: &str, json: &str) -> Self {
        let value = RawValue::from_string(json.to_owned())
            .or_else(|_| RawValue::from_string(serde_json::Value::from(json).to_string()))
            .unwrap_or_else(|_| RawValue::NULL.to_owned());
        Self {
            record,
            change: RecordChange::Set {
                field: field.to_owned(),
                value,
            },
        }
    }

    fn applies_to(&self, id: u64, position: usize) -> bool {
        match self.record {
            RecordRef::Id(want) => want == id,
            RecordRef::Position(want) => want == position,
        }
    }
}

/// Everything needed to render records.
pub(crate) struct Render<'a> {
    pub(crate) store: &'a Store,
    pub(crate) wire: &'a WireStyle,
    pub(crate) origin: &'a str,
    pub(crate) numtype: NumType,
    pub(crate) masked: bool,
    /// Record faults of this request.
    pub(crate) edits: &'a [RecordEdit],
    /// Webhook outcomes by call id (`cd_returl`), when any is known.
    pub(crate) returl: Option<&'a HashMap<u64, i32>>,
}

struct HhMmSs(u32);

impl Display for HhMmSs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:02}:{:02}:{:02}",
            self.0 / 3600,
            self.0 / 60 % 60,
            self.0 % 60
        )
    }
}

struct Ymd(i32);

impl Display for Ymd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use chrono::Datelike;
        let d = date_of(self.0);
        write!(f, "{:04}-{:02}-{:02}", d.year(), d.month(), d.day())
    }
}

/// Thousandths as a Brazilian decimal with 3 places: `0,050`.
struct Milli(u32);

impl Display for Milli {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{},{:03}", self.0 / 1000, self.0 % 1000)
    }
}

struct CallId<'a>(u64, Option<&'a str>);

impl Display for CallId<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.1 {
            Some(alias) => write!(f, "{alias}_{}", self.0),
            None => write!(f, "{}", self.0),
        }
    }
}

const RESP_KEYS: [&str; 10] = [
    "resp_1", "resp_2", "resp_3", "resp_4", "resp_5", "resp_6", "resp_7", "resp_8", "resp_9",
    "resp_10",
];

/// Receives a record's fields in wire order.
trait Sink {
    fn text(&mut self, key: &str, v: &str);
    fn display(&mut self, key: &str, v: &dyn Display);
    /// An integer (a number, or a string in the strings style).
    fn int(&mut self, key: &str, v: u64);
    /// A signed integer (a number, or a string in the strings style).
    fn signed(&mut self, key: &str, v: i64);
    /// An empty value (`""`, or `null` with `empty_as_null`).
    fn empty(&mut self, key: &str);
    /// A raw JSON value, written as it is (record faults).
    fn raw(&mut self, key: &str, v: &RawValue);
}

/// Applies the record faults that name one record while it is written.
struct EditSink<'s, 'e> {
    inner: &'s mut dyn Sink,
    edits: Vec<&'e RecordEdit>,
    used: Vec<bool>,
}

impl EditSink<'_, '_> {
    /// True when the key is replaced or dropped here (the first edit of a key wins).
    fn handled(&mut self, key: &str) -> bool {
        let mut hit = false;
        for (i, e) in self.edits.iter().enumerate() {
            match &e.change {
                RecordChange::DropCallId if key == "cd_id" => hit = true,
                RecordChange::Set { field, value } if field == key => {
                    if !hit {
                        self.inner.raw(key, value);
                    }
                    self.used[i] = true;
                    hit = true;
                }
                _ => {}
            }
        }
        hit
    }

    /// Adds the fields the record did not have, once each, in plan order.
    fn finish(mut self) {
        for i in 0..self.edits.len() {
            if let RecordChange::Set { field, value } = &self.edits[i].change
                && !self.used[i]
            {
                let field = field.clone();
                self.inner.raw(&field, value);
                for (j, e) in self.edits.iter().enumerate() {
                    if matches!(&e.change, RecordChange::Set { field: f, .. } if *f == field) {
                        self.used[j] = true;
                    }
                }
            }
        }
    }
}

impl Sink for EditSink<'_, '_> {
    fn text(&mut self, key: &str, v: &str) {
        if !self.handled(key) {
            self.inner.text(key, v);
        }
    }
    fn display(&mut self, key: &str, v: &dyn Display) {
        if !self.handled(key) {
            self.inner.display(key, v);
        }
    }
    fn int(&mut self, key: &str, v: u64) {
        if !self.handled(key) {
            self.inner.int(key, v);
        }
    }
    fn signed(&mut self, key: &str, v: i64) {
        if !self.handled(key) {
            self.inner.signed(key, v);
        }
    }
    fn empty(&mut self, key: &str) {
        if !self.handled(key) {
            self.inner.empty(key);
        }
    }
    fn raw(&mut self, key: &str, v: &RawValue) {
        if !self.handled(key) {
            self.inner.raw(key, v);
        }
    }
}

impl Render<'_> {
    fn dest_text(&self, row: &Row, out: &mut String) {
        if row.dest == 0 {
            return;
        }
        let full = row.dest.to_string();
        let national = full.strip_prefix("55").filter(|_| full.len() >= 12);
        let written = match (self.numtype, national) {
            (NumType::ZeroDdd, Some(n)) => format!("0{n}"),
            (NumType::Ddd, Some(n)) => n.to_owned(),
            _ => full,
        };
        if self.masked {
            mask_dest(&written, out);
        } else {
            out.push_str(&written);
        }
    }

    fn opt_text(&self, s: &mut dyn Sink, key: &str, v: &str) {
        if v.is_empty() && self.wire.empty_as_null {
            s.empty(key);
        } else {
            s.text(key, v);
        }
    }

    fn time(&self, s: &mut dyn Sink, key: &str, t: u32) {
        if t == NO_TIME {
            self.opt_text(s, key, "");
        } else {
            s.display(key, &HhMmSs(t));
        }
    }

    /// Visits the record at `position` (from 1) of its answer, with the
    /// record faults that name it. `form` adds `cd_dest` and `conf` after
    /// `dest` (webhook form deliveries).
    fn visit(&self, row: &Row, position: usize, s: &mut dyn Sink, form: bool) {
        if self.edits.is_empty() {
            return self.visit_fields(row, s, form);
        }
        let edits: Vec<&RecordEdit> = self
            .edits
            .iter()
            .filter(|e| e.applies_to(row.id, position))
            .collect();
        if edits.is_empty() {
            return self.visit_fields(row, s, form);
        }
        let used = vec![false; edits.len()];
        let mut sink = EditSink {
            inner: s,
            edits,
            used,
        };
        self.visit_fields(row, &mut sink, form);
        sink.finish();
    }

    /// Visits the record's fields in the fixtures' key order.
    fn visit_fields(&self, row: &Row, s: &mut dyn Sink, form: bool) {
        let store = self.store;
        let campaign = &store.campaigns[row.campaign as usize];
        let final_ = !row.in_progress;
        match (&self.wire.id_alias, self.wire.numbers_as_strings) {
            (Some(alias), _) => s.display("cd_id", &CallId(row.id, Some(alias))),
            (None, _) => s.int("cd_id", row.id),
        }
        let status = if final_ {
            store
                .statuses
                .get(row.status as usize)
                .map_or("", String::as_str)
        } else {
            ""
        };
        s.text("cd_status", status);
        let amd = if final_ {
            AMDS[row.amd as usize % AMDS.len()]
        } else {
            ""
        };
        s.text("cd_amdasw", amd);
        s.int("cp_id", campaign.cp_id);
        s.text("cpid", &campaign.cpid);
        self.opt_text(s, "ctid", store.str(row.ctid));
        s.text("origin", self.origin);
        let mut dest = String::with_capacity(16);
        self.dest_text(row, &mut dest);
        s.text("dest", &dest);
        if form {
            s.text("cd_dest", &dest);
            s.text("conf", "");
        }
        s.display("date", &Ymd(row.date));
        s.display("time_dial", &HhMmSs(row.time_dial));
        if final_ {
            self.time(s, "time_start", row.time_start);
            self.time(s, "time_end", row.time_end);
            s.int("dur", u64::from(row.dur));
            for (n, answer) in store.resp(row).enumerate() {
                match RESP_KEYS.get(n) {
                    Some(k) => s.text(k, answer),
                    None => s.text(&format!("resp_{}", n + 1), answer),
                }
            }
        }
        s.text(
            "route",
            store
                .routes
                .get(row.route as usize)
                .map_or("", String::as_str),
        );
        s.display("rate", &Milli(row.rate));
        s.display("value", &Milli(if final_ { row.value } else { 0 }));
        if final_ {
            if row.cdr_derived {
                s.display(
                    "cdr_url",
                    &format_args!("https://recordings.sandbox.invalid/rec/{}.mp3", row.id),
                );
            } else {
                self.opt_text(s, "cdr_url", store.str(row.cdr_url));
            }
            s.int("cdr_sec", u64::from(row.cdr_sec));
        }
        if let Some(outcome) = self.returl.and_then(|m| m.get(&row.id)) {
            s.signed("cd_returl", i64::from(*outcome));
        }
        for (k, v) in store.extras(row) {
            if self.masked && has_long_digit_run(v) {
                let mut out = String::with_capacity(v.len());
                mask_text(v, &mut out);
                s.text(k, &out);
            } else {
                s.text(k, v);
            }
        }
    }

    /// A record as form fields (webhook form deliveries): every value a
    /// string. `position` is the record's place in the page (from 1).
    pub(crate) fn form_fields(&self, row: &Row, position: usize) -> Vec<(String, String)> {
        struct FormSink(Vec<(String, String)>);
        impl Sink for FormSink {
            fn text(&mut self, key: &str, v: &str) {
                self.0.push((key.to_owned(), v.to_owned()));
            }
            fn display(&mut self, key: &str, v: &dyn Display) {
                self.0.push((key.to_owned(), v.to_string()));
            }
            fn int(&mut self, key: &str, v: u64) {
                self.0.push((key.to_owned(), v.to_string()));
            }
            fn signed(&mut self, key: &str, v: i64) {
                self.0.push((key.to_owned(), v.to_string()));
            }
            fn empty(&mut self, key: &str) {
                self.0.push((key.to_owned(), String::new()));
            }
            fn raw(&mut self, key: &str, v: &RawValue) {
                let text = match serde_json::from_str::<Option<String>>(v.get()) {
                    Ok(s) => s.unwrap_or_default(),
                    Err(_) => v.get().to_owned(),
                };
                self.0.push((key.to_owned(), text));
            }
        }
        let mut sink = FormSink(Vec::with_capacity(24));
        self.visit(row, position, &mut sink, true);
        sink.0
    }
}

struct JsonSink<'m, M: SerializeMap> {
    map: &'m mut M,
    strings: bool,
    err: Option<M::Error>,
}

impl<M: SerializeMap> JsonSink<'_, M> {
    fn put<V: Serialize + ?Sized>(&mut self, key: &str, v: &V) {
        if self.err.is_none()
            && let Err(e) = self.map.serialize_entry(key, v)
        {
            self.err = Some(e);
        }
    }
}

/// Serializes a `Display` as a JSON string without allocating.
struct AsStr<'a>(&'a dyn Display);

impl Serialize for AsStr<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self.0)
    }
}

impl<M: SerializeMap> Sink for JsonSink<'_, M> {
    fn text(&mut self, key: &str, v: &str) {
        self.put(key, v);
    }
    fn display(&mut self, key: &str, v: &dyn Display) {
        self.put(key, &AsStr(v));
    }
    fn int(&mut self, key: &str, v: u64) {
        if self.strings {
            self.put(key, &AsStr(&v));
        } else {
            self.put(key, &v);
        }
    }
    fn signed(&mut self, key: &str, v: i64) {
        if self.strings {
            self.put(key, &AsStr(&v));
        } else {
            self.put(key, &v);
        }
    }
    fn empty(&mut self, key: &str) {
        self.put(key, &());
    }
    fn raw(&mut self, key: &str, v: &RawValue) {
        self.put(key, v);
    }
}

/// One record, serializable.
pub(crate) struct RecordSer<'a> {
    pub(crate) render: &'a Render<'a>,
    pub(crate) row: &'a Row,
    /// Place in the answer, from 1.
    pub(crate) position: usize,
}

impl Serialize for RecordSer<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        let mut sink = JsonSink {
            map: &mut map,
            strings: self.render.wire.numbers_as_strings,
            err: None,
        };
        self.render.visit(self.row, self.position, &mut sink, false);
        if let Some(e) = sink.err {
            return Err(e);
        }
        map.end()
    }
}

/// The page's records, serializable as a JSON array.
pub(crate) struct CallsSer<'a> {
    pub(crate) render: &'a Render<'a>,
    pub(crate) rows: &'a [usize],
}

impl Serialize for CallsSer<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.rows.len()))?;
        for (n, &i) in self.rows.iter().enumerate() {
            seq.serialize_element(&RecordSer {
                render: self.render,
                row: &self.render.store.rows[i],
                position: n + 1,
            })?;
        }
        seq.end()
    }
}

/// `next_id`: a number (or digit string), `""` when there is no next page.
pub(crate) struct NextId {
    pub(crate) id: Option<u64>,
    pub(crate) strings: bool,
}

impl Serialize for NextId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match (self.id, self.strings) {
            (Some(id), false) => s.serialize_u64(id),
            (Some(id), true) => s.collect_str(&id),
            (None, _) => s.serialize_str(""),
        }
    }
}

/// `return.pagination`.
#[derive(Serialize)]
pub(crate) struct Pagination {
    /// `None` only under the `nohasmore` fault.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) has_more: Option<bool>,
    pub(crate) next_id: NextId,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) maxreg_capped: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) maxreg_applied: Option<u32>,
}

/// `return` of a successful answer.
#[derive(Serialize)]
pub(crate) struct ReturnOk {
    pub(crate) status: &'static str,
    pub(crate) status_code: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) numbers_masked: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) warning: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) pagination: Option<Pagination>,
}

/// A successful answer.
#[derive(Serialize)]
pub(crate) struct Envelope<'a> {
    #[serde(rename = "return")]
    pub(crate) ret: ReturnOk,
    pub(crate) calls: CallsSer<'a>,
}

/// An error body: `{"return":{"status":..,"status_code":..,"cd_id":"0"}}`.
pub(crate) fn error_body(message: &str, code: &str) -> Vec<u8> {
    #[derive(Serialize)]
    struct Ret<'a> {
        status: &'a str,
        status_code: &'a str,
        cd_id: &'a str,
    }
    #[derive(Serialize)]
    struct Body<'a> {
        #[serde(rename = "return")]
        ret: Ret<'a>,
    }
    serde_json::to_vec(&Body {
        ret: Ret {
            status: message,
            status_code: code,
            cd_id: "0",
        },
    })
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(Milli(50).to_string(), "0,050");
        assert_eq!(Milli(1_234_560).to_string(), "1234,560");
        assert_eq!(HhMmSs(8 * 3600 + 61).to_string(), "08:01:01");
        assert_eq!(origin_of(Some("crm_sync")), "crm_sync");
        assert_eq!(origin_of(Some("bad origin")), "api");
        assert_eq!(origin_of(Some("")), "api");
        assert_eq!(origin_of(None), "api");
    }
}
