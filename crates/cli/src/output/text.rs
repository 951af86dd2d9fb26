//! One record, human-readable.

use std::io::Write;

use velip_core::phone::Destination;
use velip_core::{CallRecord, CallStatus};

fn status_words(s: &CallStatus) -> &'static str {
    match s {
        CallStatus::Answered => "answered",
        CallStatus::Busy => "busy",
        CallStatus::NoAnswer => "no answer",
        CallStatus::Cancel => "cancelled",
        CallStatus::Congestion => "network congestion",
        CallStatus::ChanUnavail => "channel unavailable",
        _ => "other",
    }
}

pub(crate) fn record(out: &mut impl Write, r: &CallRecord) -> std::io::Result<()> {
    let mut line = |k: &str, v: String| writeln!(out, "{k:<18}{v}");
    line("call id", r.call_id.to_string())?;
    if let Some(s) = &r.status {
        line("status", format!("{s} ({})", status_words(s)))?;
    }
    if let Some(a) = &r.amd {
        line("amd", a.to_string())?;
    }
    if let Some(d) = &r.destination {
        let v = match d {
            Destination::Phone(p) => {
                format!("{} ({}, {:?})", p.national(), p.e164(), p.kind()).to_lowercase()
            }
            Destination::Masked(m) => format!("{m} (masked)"),
            Destination::Raw(t) => t.clone(),
        };
        line("destination", v)?;
    }
    if let Some(v) = r.campaign_id {
        line("campaign id", v.to_string())?;
    }
    if let Some(v) = &r.campaign_ref {
        line("campaign ref", v.clone())?;
    }
    if let Some(v) = &r.correlation_id {
        line("correlation id", v.clone())?;
    }
    if let Some(v) = &r.origin {
        line("origin", v.clone())?;
    }
    if let Some(v) = r.date {
        line("date", v.to_string())?;
    }
    let t = |v: Option<chrono::NaiveTime>| v.map_or_else(|| "-".to_owned(), |t| t.to_string());
    line(
        "dial/answer/end",
        format!(
            "{} / {} / {}",
            t(r.dial_time),
            t(r.answer_time),
            t(r.hangup_time)
        ),
    )?;
    if let Some(v) = r.duration_seconds {
        line("duration", format!("{v} s"))?;
    }
    if !r.dtmf.is_empty() {
        line(
            "dtmf",
            r.dtmf
                .iter()
                .map(|d| if d.is_empty() { "-" } else { d })
                .collect::<Vec<_>>()
                .join(" | "),
        )?;
    }
    if let Some(v) = &r.route {
        line("route", v.clone())?;
    }
    if let Some(v) = r.rate {
        line("rate", format!("{v} BRL"))?;
    }
    if let Some(v) = r.value {
        line("value", format!("{v} BRL"))?;
    }
    if let Some(v) = &r.recording_url {
        let secs = r
            .recording_seconds
            .map(|s| format!(" ({s} s)"))
            .unwrap_or_default();
        line("recording", format!("{v}{secs}"))?;
    }
    for (k, v) in &r.extra {
        let v = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
        line(k, v)?;
    }
    Ok(())
}
