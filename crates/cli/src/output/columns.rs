//! The documented, stable CSV columns: one per field of a record.

use velip_core::money::to_brl_string;
use velip_core::{CallRecord, Decimal};

/// Column names, in order. Never reordered; new columns go at the end.
///
/// - `dtmf`: the DTMF answers joined with `|` in prompt order (`1|12345|0`;
///   an unanswered prompt is an empty slot, `2||9`), so the columns stay the
///   same whatever the number of prompts and an export streams in constant
///   memory. `dtmf_count` is the number of prompts.
/// - `destination`: E.164 (`+5511999999999`) for valid numbers, else the
///   text as sent (masked `xxxxx877`).
/// - `rate`, `value`: exact decimals as sent, dot or comma per locale.
/// - `extra`: the other keys of the record (`cdc_extra*`, ...) as a JSON
///   object, `{}` when none.
pub(crate) const COLUMNS: &[&str] = &[
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
    "dtmf_count",
    "route",
    "rate",
    "value",
    "recording_url",
    "recording_seconds",
    "extra",
];

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

fn dec(v: Option<Decimal>, comma: bool) -> String {
    match v {
        Some(d) if comma => to_brl_string(d),
        Some(d) => d.to_string(),
        None => String::new(),
    }
}

/// The cells of one record, in [`COLUMNS`] order.
pub(crate) fn cells(r: &CallRecord, decimal_comma: bool) -> Vec<String> {
    vec![
        r.call_id.to_string(),
        opt(r.status.as_ref()),
        opt(r.amd.as_ref()),
        opt(r.campaign_id),
        r.campaign_ref.clone().unwrap_or_default(),
        r.correlation_id.clone().unwrap_or_default(),
        r.origin.clone().unwrap_or_default(),
        opt(r.destination.as_ref()),
        opt(r.date),
        opt(r.dial_time),
        opt(r.answer_time),
        opt(r.hangup_time),
        opt(r.duration_seconds),
        r.dtmf.join("|"),
        r.dtmf.len().to_string(),
        r.route.clone().unwrap_or_default(),
        dec(r.rate, decimal_comma),
        dec(r.value, decimal_comma),
        r.recording_url.clone().unwrap_or_default(),
        opt(r.recording_seconds),
        serde_json::to_string(&r.extra).unwrap_or_else(|_| "{}".to_owned()),
    ]
}
