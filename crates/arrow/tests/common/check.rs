//! Reads a batch back column by column and compares every cell with the
//! record it came from, computing the expected values independently of the
//! builder (chrono for dates and instants, `Decimal` for money).

#![allow(dead_code)]

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Decimal128Type, Int32Type, Int64Type, Time32SecondType, TimestampSecondType,
};
use arrow_array::{Array, ArrayAccessor, RecordBatch, StringArray};
use chrono::{NaiveDate, Timelike};
use velip_arrow::columns as c;
use velip_core::{CallRecord, Decimal};

/// The row's problems as (field, raw, rule).
pub(crate) fn problems(batch: &RecordBatch, row: usize) -> Vec<(String, String, String)> {
    let list = batch.column_by_name(c::PROBLEMS).unwrap().as_list::<i32>();
    let items = list.value(row);
    let s = items.as_struct();
    let col = |i: usize| s.column(i).as_string::<i32>().clone();
    let (f, raw, rule) = (col(0), col(1), col(2));
    (0..s.len())
        .map(|i| {
            (
                f.value(i).to_owned(),
                raw.value(i).to_owned(),
                rule.value(i).to_owned(),
            )
        })
        .collect()
}

fn text(batch: &RecordBatch, name: &str, row: usize) -> Option<String> {
    let a = batch.column_by_name(name).unwrap().as_string::<i32>();
    a.is_valid(row).then(|| a.value(row).to_owned())
}

fn dict(batch: &RecordBatch, name: &str, row: usize) -> Option<String> {
    let d = batch
        .column_by_name(name)
        .unwrap()
        .as_dictionary::<Int32Type>();
    let values = d.downcast_dict::<StringArray>().unwrap();
    values.is_valid(row).then(|| values.value(row).to_owned())
}

fn prim<T: arrow_array::ArrowPrimitiveType>(
    batch: &RecordBatch,
    name: &str,
    row: usize,
) -> Option<T::Native> {
    let a = batch.column_by_name(name).unwrap().as_primitive::<T>();
    a.is_valid(row).then(|| a.value(row))
}

fn has_problem(batch: &RecordBatch, row: usize, field: &str) -> bool {
    problems(batch, row).iter().any(|(f, _, _)| f == field)
}

/// Every cell of `batch` against `records`; panics with the row and column
/// on the first difference.
pub(crate) fn assert_batch_matches(records: &[CallRecord], batch: &RecordBatch) {
    assert_eq!(batch.schema(), velip_arrow::schema(), "schema changed");
    assert_eq!(batch.num_rows(), records.len());
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
    for (i, r) in records.iter().enumerate() {
        let ctx = format!("row {i} ({})", r.call_id);
        assert_eq!(
            text(batch, c::CALL_ID, i),
            Some(r.call_id.to_string()),
            "{ctx}"
        );
        let number = prim::<Int64Type>(batch, c::CALL_NUMBER, i).unwrap();
        match i64::try_from(r.call_id.number()) {
            Ok(n) => assert_eq!(number, n, "{ctx}"),
            Err(_) => assert!(number == 0 && has_problem(batch, i, "cd_id"), "{ctx}"),
        }
        assert_eq!(
            dict(batch, c::STATUS, i).as_deref(),
            r.status.as_ref().map(velip_core::CallStatus::as_wire),
            "{ctx} status"
        );
        assert_eq!(
            dict(batch, c::AMD, i).as_deref(),
            r.amd.as_ref().map(velip_core::AmdResult::as_wire),
            "{ctx} amd"
        );
        let campaign = prim::<Int64Type>(batch, c::CAMPAIGN_ID, i);
        match r.campaign_id.map(i64::try_from) {
            None => assert_eq!(campaign, None, "{ctx}"),
            Some(Ok(v)) => assert_eq!(campaign, Some(v), "{ctx}"),
            Some(Err(_)) => assert!(campaign.is_none() && has_problem(batch, i, "cp_id")),
        }
        for (name, v) in [
            (c::CAMPAIGN_REF, &r.campaign_ref),
            (c::CORRELATION_ID, &r.correlation_id),
            (c::ORIGIN, &r.origin),
            (c::ROUTE, &r.route),
            (c::RECORDING_URL, &r.recording_url),
        ] {
            assert_eq!(text(batch, name, i).as_ref(), v.as_ref(), "{ctx} {name}");
        }
        assert_eq!(
            text(batch, c::DESTINATION, i),
            r.destination.as_ref().map(ToString::to_string),
            "{ctx} destination"
        );
        let masked = batch
            .column_by_name(c::DESTINATION_MASKED)
            .unwrap()
            .as_boolean();
        assert_eq!(
            masked.is_valid(i).then(|| masked.value(i)),
            r.destination
                .as_ref()
                .map(velip_core::Destination::is_masked),
            "{ctx}"
        );
        assert_eq!(
            prim::<Date32Type>(batch, c::DATE, i),
            r.date
                .map(|d| i32::try_from((d - epoch).num_days()).unwrap()),
            "{ctx} date"
        );
        for (name, t) in [
            (c::DIAL_TIME, r.dial_time),
            (c::ANSWER_TIME, r.answer_time),
            (c::HANGUP_TIME, r.hangup_time),
        ] {
            assert_eq!(
                prim::<Time32SecondType>(batch, name, i),
                t.map(|t| i32::try_from(t.num_seconds_from_midnight()).unwrap()),
                "{ctx} {name}"
            );
        }
        for (name, t) in [
            (c::DIALED_AT, r.dialed_at()),
            (c::ANSWERED_AT, r.answered_at()),
            (c::HUNG_UP_AT, r.hung_up_at()),
        ] {
            assert_eq!(
                prim::<TimestampSecondType>(batch, name, i),
                t.map(|t| t.timestamp()),
                "{ctx} {name}"
            );
        }
        for (name, wire, v) in [
            (c::DURATION_SECONDS, "dur", r.duration_seconds),
            (c::RECORDING_SECONDS, "cdr_sec", r.recording_seconds),
        ] {
            let got = prim::<Int32Type>(batch, name, i);
            match v.map(i32::try_from) {
                None => assert_eq!(got, None, "{ctx} {name}"),
                Some(Ok(v)) => assert_eq!(got, Some(v), "{ctx} {name}"),
                Some(Err(_)) => assert!(got.is_none() && has_problem(batch, i, wire), "{ctx}"),
            }
        }
        let dtmf = batch.column_by_name(c::DTMF).unwrap().as_list::<i32>();
        assert!(dtmf.is_valid(i));
        let items = dtmf.value(i);
        let items = items.as_string::<i32>();
        let got: Vec<&str> = (0..items.len()).map(|k| items.value(k)).collect();
        assert_eq!(got, r.dtmf, "{ctx} dtmf");
        for (name, v) in [(c::RATE, r.rate), (c::VALUE, r.value)] {
            let got = prim::<Decimal128Type>(batch, name, i);
            match (v, got) {
                (None, None) => {}
                (Some(want), Some(got)) => {
                    assert_eq!(Decimal::from_i128_with_scale(got, 3), want, "{ctx} {name}");
                }
                (Some(want), None) => {
                    let p = problems(batch, i);
                    let p = p.iter().find(|(f, _, _)| f == name).unwrap_or_else(|| {
                        panic!("{ctx} {name}: {want} became null without a problem")
                    });
                    assert_eq!(p.1, format!("\"{want}\""), "{ctx}");
                }
                (None, Some(_)) => panic!("{ctx} {name}: a value from nothing"),
            }
        }
        let extra = batch.column_by_name(c::EXTRA).unwrap().as_map();
        assert!(extra.is_valid(i));
        let entries = extra.value(i);
        let keys = entries.column(0).as_string::<i32>();
        let values = entries.column(1).as_string::<i32>();
        let got: Vec<(&str, Option<&str>)> = (0..entries.len())
            .map(|k| (keys.value(k), values.is_valid(k).then(|| values.value(k))))
            .collect();
        let want: Vec<(&str, Option<String>)> = r
            .extra
            .iter()
            .map(|(k, v)| {
                let v = match v {
                    serde_json::Value::Null => None,
                    serde_json::Value::String(s) => Some(s.clone()),
                    other => Some(other.to_string()),
                };
                (k.as_str(), v)
            })
            .collect();
        assert_eq!(
            got,
            want.iter()
                .map(|(k, v)| (*k, v.as_deref()))
                .collect::<Vec<_>>(),
            "{ctx} extra"
        );
        let got = problems(batch, i);
        assert!(got.len() >= r.problems.len(), "{ctx} problems lost");
        for (g, p) in got.iter().zip(&r.problems) {
            assert_eq!(
                (g.0.as_str(), g.1.as_str(), g.2.as_str()),
                (p.field.as_str(), p.raw.as_str(), p.rule.as_str()),
                "{ctx} problems"
            );
        }
        // Each added problem names a column that is null here.
        for (field, _, _) in &got[r.problems.len()..] {
            assert!(
                ["cd_id", "cp_id", "dur", "cdr_sec", "rate", "value"].contains(&field.as_str()),
                "{ctx}: unexpected problem on {field}"
            );
        }
    }
}
