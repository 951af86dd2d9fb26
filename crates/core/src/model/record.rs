use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveTime};
use rust_decimal::Decimal;
use serde::{Serialize, Serializer};

use super::{AmdResult, CallId, CallStatus, Problem};
use crate::phone::Destination;

/// One call record, typed. Every field but the call id is optional: the
/// service's "absent", `null` and `""` all decode to `None` (never 0).
///
/// Serializes (serde) to normalized JSON with these field names, decimals as
/// strings with a dot (`"0.050"`), dates `"2026-05-06"`, times `"10:00:01"`
/// and the destination as text (E.164 for valid numbers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct CallRecord {
    /// `cd_id`: the call id, `42_123456` or bare `123456`.
    pub call_id: CallId,
    /// `cd_status`: final status (`OK` = answered, `BUSY`, ...).
    pub status: Option<CallStatus>,
    /// `cd_amdasw`: answering-machine detection; `None` when AMD was off.
    pub amd: Option<AmdResult>,
    /// `cp_id`: the campaign id.
    pub campaign_id: Option<u64>,
    /// `cpid`: the customer-side campaign ref.
    pub campaign_ref: Option<String>,
    /// `ctid`: the customer correlation id.
    pub correlation_id: Option<String>,
    /// `origin`: the request's origin marker, echoed back.
    pub origin: Option<String>,
    /// `dest` (or, in form webhooks, `cd_dest`): the destination, written
    /// per `numtype`; a valid phone number, a masked one, or raw text.
    #[serde(serialize_with = "ser_destination")]
    pub destination: Option<Destination>,
    /// `date`: call date, platform local time (America/Sao_Paulo).
    pub date: Option<NaiveDate>,
    /// `time_dial`: when dialling started (local time).
    pub dial_time: Option<NaiveTime>,
    /// `time_start`: when the call was answered; `None` when unanswered.
    pub answer_time: Option<NaiveTime>,
    /// `time_end`: when the call was hung up; `None` when unanswered.
    pub hangup_time: Option<NaiveTime>,
    /// `dur`: talk duration, seconds.
    pub duration_seconds: Option<u64>,
    /// `resp_1` … `resp_N`: DTMF digits collected, one entry per prompt in
    /// prompt order (`resp_1` first). A prompt with no answer is `""`; the
    /// count varies per record (0 when there were no prompts).
    pub dtmf: Vec<String>,
    /// `route`: route name, e.g. `Mobile BR`.
    pub route: Option<String>,
    /// `rate`: tariff, exact decimal (`"0,050"` → `0.050`), BRL.
    #[serde(with = "rust_decimal::serde::str_option")]
    pub rate: Option<Decimal>,
    /// `value`: amount charged, exact decimal (`"0,050"` → `0.050`), BRL.
    #[serde(with = "rust_decimal::serde::str_option")]
    pub value: Option<Decimal>,
    /// `cdr_url`: recording URL, when recording was on.
    pub recording_url: Option<String>,
    /// `cdr_sec`: recording length, seconds.
    pub recording_seconds: Option<u64>,
    /// Every other key, verbatim: `cdc_extra*` customer fields, form
    /// webhooks' `cd_dest`/`conf`, and whatever the service adds later.
    pub extra: BTreeMap<String, serde_json::Value>,
    /// Fields that could not be read (each left `None` above), with the
    /// raw value and the rule; empty for a clean record. See [`Problem`].
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<Problem>,
    /// The record's JSON text as received, kept only when it has
    /// [`problems`](Self::problems) (at most 64 KiB), so that what could
    /// not be read is never lost.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raw_json: Option<String>,
}

#[allow(clippy::ref_option)] // serde's serialize_with hands us &Option<T>
fn ser_destination<S: Serializer>(d: &Option<Destination>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.collect_str(d),
        None => s.serialize_none(),
    }
}

impl CallRecord {
    /// A record with only its id; every other field empty. Useful to build
    /// records in tests.
    pub fn new(call_id: CallId) -> Self {
        Self {
            call_id,
            status: None,
            amd: None,
            campaign_id: None,
            campaign_ref: None,
            correlation_id: None,
            origin: None,
            destination: None,
            date: None,
            dial_time: None,
            answer_time: None,
            hangup_time: None,
            duration_seconds: None,
            dtmf: Vec::new(),
            route: None,
            rate: None,
            value: None,
            recording_url: None,
            recording_seconds: None,
            extra: BTreeMap::new(),
            problems: Vec::new(),
            raw_json: None,
        }
    }

    /// Whether the call has ended: its status (`cd_status`) is set. A call
    /// still in progress is listed with an empty status and without answer
    /// and hang-up times, duration or recording; the same call id comes
    /// later with its final values (see the spec, "Calls still in
    /// progress"). Copies of the records re-read a call until it is final.
    pub fn is_final(&self) -> bool {
        self.status.is_some()
    }

    /// When dialling started (`date` + `time_dial`) as an instant in
    /// America/Sao_Paulo; `None` when either is missing.
    pub fn dialed_at(&self) -> Option<chrono::DateTime<chrono_tz::Tz>> {
        super::local_time::at(self.date?, self.dial_time?)
    }

    /// When the call was answered (`date` + `time_start`, America/Sao_Paulo).
    /// A time earlier than the dial time is on the next day (a call that
    /// crossed midnight).
    pub fn answered_at(&self) -> Option<chrono::DateTime<chrono_tz::Tz>> {
        super::local_time::after_dial(self.date?, self.dial_time, self.answer_time?)
    }

    /// When the call was hung up (`date` + `time_end`, America/Sao_Paulo),
    /// on the next day when earlier than the dial time.
    pub fn hung_up_at(&self) -> Option<chrono::DateTime<chrono_tz::Tz>> {
        super::local_time::after_dial(self.date?, self.dial_time, self.hangup_time?)
    }

    /// Whether at least one DTMF answer is non-empty (what `onlydtmf=1`
    /// selects).
    pub fn has_dtmf(&self) -> bool {
        self.dtmf.iter().any(|d| !d.is_empty())
    }
}
