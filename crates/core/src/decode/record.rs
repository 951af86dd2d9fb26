//! Decoding one call record (a JSON object or a form webhook's fields) into
//! a [`CallRecord`], leniently, with the failing field written to the
//! [`Context`] so the error can name it.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};

use super::lenient::{Misfit, Scalar};
use crate::model::{AmdResult, CallRecord, CallStatus, Problem};
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

/// What one entry of `calls` decodes to.
#[allow(clippy::large_enum_variant)] // a record is the common case; boxing it costs an allocation each
pub(crate) enum RecordOutcome {
    /// A call (possibly with [`Problem`]s on some fields).
    Record(CallRecord),
    /// Not readable as a call: no readable call id, or not an object.
    Rejected(Problem),
}

/// Decodes one record object, reporting into `ctx`.
///
/// Lenient (the default): a field whose value does not fit is left empty
/// and noted as a [`Problem`] on the record; a record without a readable
/// call id, or an entry that is not an object, is [`RecordOutcome::Rejected`].
/// Strict: the first field that does not fit is an error naming it (the
/// whole body then fails to decode).
pub(crate) struct RecordSeed<'c> {
    pub(crate) ctx: &'c Context,
    pub(crate) strict: bool,
}

impl<'de> DeserializeSeed<'de> for RecordSeed<'_> {
    type Value = RecordOutcome;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<RecordOutcome, D::Error> {
        if self.strict {
            d.deserialize_map(RecordVisitor {
                ctx: self.ctx,
                strict: true,
            })
        } else {
            d.deserialize_any(RecordVisitor {
                ctx: self.ctx,
                strict: false,
            })
        }
    }
}

struct RecordVisitor<'c> {
    ctx: &'c Context,
    strict: bool,
}

/// The problem of an entry of `calls` that is not an object.
fn not_an_object(raw: String) -> RecordOutcome {
    RecordOutcome::Rejected(Problem::new("", raw, "expected a call record object"))
}

impl<'de> Visitor<'de> for RecordVisitor<'_> {
    type Value = RecordOutcome;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a call record object")
    }

    // Lenient mode only (strict asks for a map): entries that are not
    // objects are rejected, not fatal.
    fn visit_unit<E>(self) -> Result<RecordOutcome, E> {
        Ok(not_an_object("null".to_owned()))
    }
    fn visit_none<E>(self) -> Result<RecordOutcome, E> {
        Ok(not_an_object("null".to_owned()))
    }
    fn visit_bool<E>(self, v: bool) -> Result<RecordOutcome, E> {
        Ok(not_an_object(v.to_string()))
    }
    fn visit_i64<E>(self, v: i64) -> Result<RecordOutcome, E> {
        Ok(not_an_object(v.to_string()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<RecordOutcome, E> {
        Ok(not_an_object(v.to_string()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<RecordOutcome, E> {
        Ok(not_an_object(v.to_string()))
    }
    fn visit_str<E>(self, v: &str) -> Result<RecordOutcome, E> {
        Ok(not_an_object(Scalar::Str(v.into()).snippet()))
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<RecordOutcome, A::Error> {
        let mut n = 0usize;
        while seq.next_element::<de::IgnoredAny>()?.is_some() {
            n += 1;
        }
        Ok(not_an_object(Scalar::Nested("array", n).snippet()))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RecordOutcome, A::Error> {
        let ctx = self.ctx;
        let mut rec = CallRecord::new(crate::model::CallId::new(0));
        let mut fields = Fields {
            call_id_seen: false,
            call_id_problem: None,
            dtmf: Vec::new(),
            extra: BTreeMap::new(),
        };

        let read = read_fields(&mut map, ctx, self.strict, &mut rec, &mut fields);
        if let Err(e) = read {
            // The error names the call when its id was already read.
            if fields.call_id_seen {
                ctx.inner.borrow_mut().call_id = Some(rec.call_id.to_string());
            }
            return Err(e);
        }
        if let Some(p) = fields.call_id_problem {
            return Ok(RecordOutcome::Rejected(p));
        }
        if !fields.call_id_seen {
            if self.strict {
                let mut p = ctx.inner.borrow_mut();
                p.field = Some("cd_id".to_owned());
                p.snippet = Some(String::new());
                return Err(de::Error::custom("missing call id"));
            }
            return Ok(RecordOutcome::Rejected(Problem::new(
                "cd_id",
                "",
                "missing call id",
            )));
        }
        // A prompt missing between two answered ones keeps its place as "".
        rec.dtmf = fields
            .dtmf
            .into_iter()
            .map(Option::unwrap_or_default)
            .collect();
        // Form webhooks may carry the destination only as `cd_dest`.
        if rec.destination.is_none()
            && let Some(serde_json::Value::String(d)) = fields.extra.get("cd_dest")
            && !d.trim().is_empty()
        {
            rec.destination = Some(Destination::from_wire(d));
        }
        rec.extra = fields.extra;
        Ok(RecordOutcome::Record(rec))
    }
}

/// What a record's keys fill besides the record itself.
struct Fields {
    call_id_seen: bool,
    /// Lenient mode: the call id was present but unreadable.
    call_id_problem: Option<Problem>,
    dtmf: Vec<Option<String>>,
    extra: BTreeMap<String, serde_json::Value>,
}

/// Reads a record's keys into `rec` and `fields`. A field that does not
/// fit is named in `ctx` (strict) or noted as a problem on `rec`.
fn read_fields<'de, A: MapAccess<'de>>(
    map: &mut A,
    ctx: &Context,
    strict: bool,
    rec: &mut CallRecord,
    fields: &mut Fields,
) -> Result<(), A::Error> {
    while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
        let k = classify(&key);
        if let Key::Other(name) = k {
            let v: serde_json::Value = map.next_value()?;
            fields.extra.insert(name.to_owned(), v);
            continue;
        }
        let v: Scalar<'de> = map.next_value()?;
        // Lenient: the field stays empty and the misfit becomes a problem.
        let mut problems: Vec<Problem> = Vec::new();
        macro_rules! fit {
            ($e:expr) => {
                match $e {
                    Ok(v) => v,
                    Err(m) if strict => return Err(ctx.fail::<A::Error>(&key, m)),
                    Err(m) => {
                        problems.push(Problem::new(key.as_ref(), m.snippet, m.rule));
                        None
                    }
                }
            };
        }
        match k {
            Key::CdId => match v.call_id() {
                Ok(Some(id)) => {
                    rec.call_id = id;
                    fields.call_id_seen = true;
                }
                Ok(None) => {}
                Err(m) if strict => return Err(ctx.fail::<A::Error>(&key, m)),
                Err(m) => fields.call_id_problem = Some(Problem::new("cd_id", m.snippet, m.rule)),
            },
            // Known values need no copy of the text.
            Key::Status => {
                rec.status = match v.as_str() {
                    Some(s) if !s.trim().is_empty() => Some(CallStatus::from_wire(s)),
                    _ => fit!(v.text()).map(|s| CallStatus::from_wire(&s)),
                };
            }
            Key::Amd => {
                rec.amd = match v.as_str() {
                    Some(s) if !s.trim().is_empty() => Some(AmdResult::from_wire(s)),
                    _ => fit!(v.text()).map(|s| AmdResult::from_wire(&s)),
                };
            }
            Key::CpId => rec.campaign_id = fit!(v.uint()),
            Key::Cpid => rec.campaign_ref = fit!(v.text()),
            Key::Ctid => rec.correlation_id = fit!(v.text()),
            Key::Origin => rec.origin = fit!(v.text()),
            Key::Dest => {
                rec.destination = match v.as_str() {
                    Some(s) if !s.trim().is_empty() => Some(Destination::from_wire(s)),
                    _ => fit!(v.text()).map(|s| Destination::from_wire(&s)),
                };
            }
            Key::Date => rec.date = fit!(v.date()),
            Key::TimeDial => rec.dial_time = fit!(v.time()),
            Key::TimeStart => rec.answer_time = fit!(v.time()),
            Key::TimeEnd => rec.hangup_time = fit!(v.time()),
            Key::Dur => rec.duration_seconds = fit!(v.uint()),
            Key::Route => rec.route = fit!(v.text()),
            Key::Rate => rec.rate = fit!(v.decimal()),
            Key::Value => rec.value = fit!(v.decimal()),
            Key::CdrUrl => rec.recording_url = fit!(v.text()),
            Key::CdrSec => rec.recording_seconds = fit!(v.uint()),
            Key::Resp(n) => {
                let answer = fit!(v.text_or_empty().map(Some)).unwrap_or_default();
                if fields.dtmf.len() < n {
                    fields.dtmf.resize(n, None);
                }
                fields.dtmf[n - 1] = Some(answer);
            }
            Key::Other(_) => {} // kept in `extra` above
        }
        rec.problems.append(&mut problems);
    }
    Ok(())
}
