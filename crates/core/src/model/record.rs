use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveTime};
use rust_decimal::Decimal;
use serde::{Serialize, Serializer};

use super::{AmdResult, CallId, CallStatus};
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
        }
    }

    /// Whether at least one DTMF answer is non-empty (what `onlydtmf=1`
    /// selects).
    pub fn has_dtmf(&self) -> bool {
        self.dtmf.iter().any(|d| !d.is_empty())
    }
}
