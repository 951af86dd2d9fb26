//! Loads call records from a JSON array, a JSON-lines file, or a saved
//! response body (`{"return": ..., "calls": [...]}`).
//!
//! Values are read leniently, the way the wire shows them: numbers or digit
//! strings, `null`/empty/absent as "no value", prefixed call ids (`42_123`),
//! decimal-comma amounts. Unknown keys are kept as extra fields.

use std::path::Path;

use serde_json::{Map, Value};

use super::store::{
    FIELD_SEP, KV_SEP, NO_TIME, Row, Store, StrRef, parse_date, parse_milli, parse_time,
};

/// Error while loading a data file.
#[derive(Debug)]
pub struct LoadError(pub String);

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot load call records: {}", self.0)
    }
}

impl std::error::Error for LoadError {}

/// Reads the file and builds a store.
pub(crate) fn load_file(path: &Path) -> Result<Store, LoadError> {
    let text =
        std::fs::read_to_string(path).map_err(|e| LoadError(format!("{}: {e}", path.display())))?;
    load_str(&text)
}

/// Builds a store from JSON text (array, object with `calls`, or JSON lines).
pub(crate) fn load_str(text: &str) -> Result<Store, LoadError> {
    let trimmed = text.trim_start();
    let records: Vec<Map<String, Value>> = if trimmed.starts_with('[')
        || trimmed.starts_with('{') && is_single_document(trimmed)
    {
        match serde_json::from_str::<Value>(trimmed).map_err(|e| LoadError(e.to_string()))? {
            Value::Array(items) => items.into_iter().filter_map(into_object).collect(),
            Value::Object(mut obj) => match obj.remove("calls") {
                Some(Value::Array(items)) => items.into_iter().filter_map(into_object).collect(),
                _ => vec![obj],
            },
            _ => return Err(LoadError("expected a JSON array or object".into())),
        }
    } else {
        let mut out = Vec::new();
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let v: Value = serde_json::from_str(line)
                .map_err(|e| LoadError(format!("line {}: {e}", n + 1)))?;
            out.extend(into_object(v));
        }
        out
    };
    let mut store = Store::new();
    for (i, rec) in records.iter().enumerate() {
        push_record(&mut store, rec).map_err(|e| LoadError(format!("record {}: {e}", i + 1)))?;
    }
    store.rows.sort_by_key(|r| r.id);
    store.rows.dedup_by_key(|r| r.id);
    Ok(store)
}

fn is_single_document(text: &str) -> bool {
    serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok()
}

fn into_object(v: Value) -> Option<Map<String, Value>> {
    match v {
        Value::Object(m) => Some(m),
        _ => None,
    }
}

/// The text of a value: strings as-is, numbers printed, null/absent empty.
fn text(rec: &Map<String, Value>, key: &str) -> String {
    match rec.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => if *b { "1" } else { "0" }.to_owned(),
        _ => String::new(),
    }
}

fn int(rec: &Map<String, Value>, key: &str) -> u64 {
    text(rec, key).trim().parse().unwrap_or(0)
}

const KNOWN: [&str; 19] = [
    "cd_id",
    "cd_status",
    "cd_amdasw",
    "cp_id",
    "cpid",
    "ctid",
    "origin",
    "dest",
    "date",
    "time_dial",
    "time_start",
    "time_end",
    "dur",
    "route",
    "rate",
    "value",
    "cdr_url",
    "cdr_sec",
    "cd_returl",
];

fn push_record(store: &mut Store, rec: &Map<String, Value>) -> Result<(), String> {
    let raw_id = text(rec, "cd_id");
    let digits = raw_id.rsplit('_').next().unwrap_or("");
    let id: u64 = digits
        .trim()
        .parse()
        .map_err(|_| format!("bad cd_id {raw_id:?}"))?;
    let status = store.intern_status(&text(rec, "cd_status"));
    let amd = match text(rec, "cd_amdasw").as_str() {
        "MA" => 1,
        "HM" => 2,
        "ND" => 3,
        _ => 0,
    };
    let campaign = store.campaign_index(int(rec, "cp_id"), &text(rec, "cpid"));
    let dest_text: String = text(rec, "dest")
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    let dest = dest_text.parse().unwrap_or(0);
    let date = parse_date(&text(rec, "date")).unwrap_or(0);
    let time_dial = parse_time(&text(rec, "time_dial")).unwrap_or(0);
    let time_start = parse_time(&text(rec, "time_start")).unwrap_or(NO_TIME);
    let time_end = parse_time(&text(rec, "time_end")).unwrap_or(NO_TIME);
    let dur = u32::try_from(int(rec, "dur")).unwrap_or(u32::MAX);
    let cdr_sec = u32::try_from(int(rec, "cdr_sec")).unwrap_or(u32::MAX);
    let route = store.intern_route(&text(rec, "route"));
    let rate = parse_milli(&text(rec, "rate")).unwrap_or(0);
    let value = parse_milli(&text(rec, "value")).unwrap_or(0);
    let ctid = store.arena.push(&text(rec, "ctid"));
    let cdr_url = store.arena.push(&text(rec, "cdr_url"));

    // DTMF answers resp_1..resp_N, in numeric order.
    let mut resp_keys: Vec<usize> = rec
        .keys()
        .filter_map(|k| k.strip_prefix("resp_").and_then(|n| n.parse().ok()))
        .collect();
    resp_keys.sort_unstable();
    let resp_count = resp_keys.last().copied().unwrap_or(0);
    let start = store.arena_len();
    let mut has_dtmf = false;
    for n in 1..=resp_count {
        if n > 1 {
            store.arena_push_char(FIELD_SEP);
        }
        let v = text(rec, &format!("resp_{n}"));
        has_dtmf |= !v.is_empty();
        store.arena_push_fmt(format_args!("{v}"));
    }
    let resp = store.arena_span(start);

    // Extras: cdc_extra* and unknown keys, in document order.
    let start = store.arena_len();
    for (k, _) in rec {
        if KNOWN.contains(&k.as_str()) || k.starts_with("resp_") {
            continue;
        }
        if store.arena_len() > start {
            store.arena_push_char(FIELD_SEP);
        }
        store.arena_push_fmt(format_args!("{k}{KV_SEP}{}", text(rec, k)));
    }
    let extras = store.arena_span(start);

    store.rows.push(Row {
        id,
        dest,
        date,
        time_dial,
        time_start,
        time_end,
        dur,
        cdr_sec,
        rate,
        value,
        campaign,
        status,
        route,
        amd,
        resp_count: u8::try_from(resp_count)
            .map_err(|_| "more than 255 DTMF answers".to_owned())?,
        has_dtmf,
        cdr_derived: false,
        in_progress: false,
        ctid,
        resp: if resp_count == 0 { StrRef::EMPTY } else { resp },
        extras,
        cdr_url,
    });
    Ok(())
}
