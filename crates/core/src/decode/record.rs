//! Decoding one call record (a JSON object or a form webhook's fields) into
//! a [`CallRecord`], leniently, with the failing field written to the
//! [`Context`] so the error can name it.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};

use super::lenient::{Misfit, Scalar};
use crate::model::{AmdResult, CallRecord, CallStatus};
use crate::phone::Destination;

/// Highest `resp_N` index decoded as a DTMF answer; beyond it the key is kept
/// in `extra` (guards against a hostile `resp_999999999`).
const MAX_DTMF_PROMPTS: usize = 1000;

/// Where decoding was when it failed.
#[derive(Debug, Default)]
pub(crate) struct Context {
    pub(crate) inner: RefCell<Position>,
}

#[derive(Debug, Default, Clone)]
pub(crate) struct Position {
    /// 0-based index in `calls`.
    pub(crate) record: Option<usize>,
    /// The record's call id, when already read.
    pub(crate) call_id: Option<String>,
    /// The wire key being decoded.
    pub(crate) field: Option<String>,
    /// The offending value, quoted.
    pub(crate) snippet: Option<String>,
}

impl Context {
    pub(crate) fn set_record(&self, index: Option<usize>) {
        let mut p = self.inner.borrow_mut();
        p.record = index;
        p.call_id = None;
        p.field = None;
        p.snippet = None;
    }

    fn fail<E: de::Error>(&self, field: &str, misfit: Misfit) -> E {
        let mut p = self.inner.borrow_mut();
        p.field = Some(field.to_owned());
        p.snippet = Some(misfit.snippet);
        E::custom(misfit.rule)
    }
}

enum Key<'a> {
    CdId,
    Status,
    Amd,
    CpId,
    Cpid,
    Ctid,
    Origin,
    Dest,
    Date,
    TimeDial,
    TimeStart,
    TimeEnd,
    Dur,
    Route,
    Rate,
    Value,
    CdrUrl,
    CdrSec,
    Resp(usize),
    Other(&'a str),
}

fn classify(key: &str) -> Key<'_> {
    match key {
        "cd_id" => Key::CdId,
        "cd_status" => Key::Status,
        "cd_amdasw" => Key::Amd,
        "cp_id" => Key::CpId,
        "cpid" => Key::Cpid,
        "ctid" => Key::Ctid,
        "origin" => Key::Origin,
        "dest" => Key::Dest,
        "date" => Key::Date,
        "time_dial" => Key::TimeDial,
        "time_start" => Key::TimeStart,
        "time_end" => Key::TimeEnd,
        "dur" => Key::Dur,
        "route" => Key::Route,
        "rate" => Key::Rate,
        "value" => Key::Value,
        "cdr_url" => Key::CdrUrl,
        "cdr_sec" => Key::CdrSec,
        other => match other.strip_prefix("resp_").map(str::parse::<usize>) {
            Some(Ok(n)) if (1..=MAX_DTMF_PROMPTS).contains(&n) => Key::Resp(n),
            _ => Key::Other(other),
        },
    }
}

/// Decodes one record object, reporting into `ctx`.
pub(crate) struct RecordSeed<'c> {
    pub(crate) ctx: &'c Context,
}

impl<'de> DeserializeSeed<'de> for RecordSeed<'_> {
    type Value = CallRecord;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<CallRecord, D::Error> {
        d.deserialize_map(RecordVisitor { ctx: self.ctx })
    }
}

struct RecordVisitor<'c> {
    ctx: &'c Context,
}

impl<'de> Visitor<'de> for RecordVisitor<'_> {
    type Value = CallRecord;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a call record object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<CallRecord, A::Error> {
        let ctx = self.ctx;
        let mut rec = CallRecord::new(crate::model::CallId::new(0));
        let mut call_id_seen = false;
        let mut dtmf: Vec<Option<String>> = Vec::new();
        let mut extra = BTreeMap::new();

        let read = read_fields(
            &mut map,
            ctx,
            &mut rec,
            &mut call_id_seen,
            &mut dtmf,
            &mut extra,
        );
        if let Err(e) = read {
            // The error names the call when its id was already read.
            if call_id_seen {
                ctx.inner.borrow_mut().call_id = Some(rec.call_id.to_string());
            }
            return Err(e);
        }
        if !call_id_seen {
            let mut p = ctx.inner.borrow_mut();
            p.field = Some("cd_id".to_owned());
            p.snippet = Some(String::new());
            return Err(de::Error::custom("missing call id"));
        }
        // A prompt missing between two answered ones keeps its place as "".
        rec.dtmf = dtmf.into_iter().map(Option::unwrap_or_default).collect();
        // Form webhooks may carry the destination only as `cd_dest`.
        if rec.destination.is_none()
            && let Some(serde_json::Value::String(d)) = extra.get("cd_dest")
            && !d.trim().is_empty()
        {
            rec.destination = Some(Destination::from_wire(d));
        }
        rec.extra = extra;
        Ok(rec)
    }
}

/// Reads a record's keys into `rec`, `dtmf` and `extra`; a field that does
/// not fit is named in `ctx`.
fn read_fields<'de, A: MapAccess<'de>>(
    map: &mut A,
    ctx: &Context,
    rec: &mut CallRecord,
    call_id_seen: &mut bool,
    dtmf: &mut Vec<Option<String>>,
    extra: &mut BTreeMap<String, serde_json::Value>,
) -> Result<(), A::Error> {
    while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
        let k = classify(&key);
        if let Key::Other(name) = k {
            let v: serde_json::Value = map.next_value()?;
            extra.insert(name.to_owned(), v);
            continue;
        }
        let v: Scalar<'de> = map.next_value()?;
        let fail = |m: Misfit| ctx.fail::<A::Error>(&key, m);
        match k {
            Key::CdId => {
                if let Some(id) = v.call_id().map_err(fail)? {
                    rec.call_id = id;
                    *call_id_seen = true;
                }
            }
            // Known values need no copy of the text.
            Key::Status => {
                rec.status = match v.as_str() {
                    Some(s) if !s.trim().is_empty() => Some(CallStatus::from_wire(s)),
                    _ => v.text().map_err(fail)?.map(|s| CallStatus::from_wire(&s)),
                };
            }
            Key::Amd => {
                rec.amd = match v.as_str() {
                    Some(s) if !s.trim().is_empty() => Some(AmdResult::from_wire(s)),
                    _ => v.text().map_err(fail)?.map(|s| AmdResult::from_wire(&s)),
                };
            }
            Key::CpId => rec.campaign_id = v.uint().map_err(fail)?,
            Key::Cpid => rec.campaign_ref = v.text().map_err(fail)?,
            Key::Ctid => rec.correlation_id = v.text().map_err(fail)?,
            Key::Origin => rec.origin = v.text().map_err(fail)?,
            Key::Dest => {
                rec.destination = match v.as_str() {
                    Some(s) if !s.trim().is_empty() => Some(Destination::from_wire(s)),
                    _ => v.text().map_err(fail)?.map(|s| Destination::from_wire(&s)),
                };
            }
            Key::Date => rec.date = v.date().map_err(fail)?,
            Key::TimeDial => rec.dial_time = v.time().map_err(fail)?,
            Key::TimeStart => rec.answer_time = v.time().map_err(fail)?,
            Key::TimeEnd => rec.hangup_time = v.time().map_err(fail)?,
            Key::Dur => rec.duration_seconds = v.uint().map_err(fail)?,
            Key::Route => rec.route = v.text().map_err(fail)?,
            Key::Rate => rec.rate = v.decimal().map_err(fail)?,
            Key::Value => rec.value = v.decimal().map_err(fail)?,
            Key::CdrUrl => rec.recording_url = v.text().map_err(fail)?,
            Key::CdrSec => rec.recording_seconds = v.uint().map_err(fail)?,
            Key::Resp(n) => {
                let answer = v.text_or_empty().map_err(fail)?;
                if dtmf.len() < n {
                    dtmf.resize(n, None);
                }
                dtmf[n - 1] = Some(answer);
            }
            Key::Other(_) => {} // kept in `extra` above
        }
    }
    Ok(())
}
