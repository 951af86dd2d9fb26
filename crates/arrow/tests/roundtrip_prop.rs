//! Property: every record survives into the batch: its id, its lists and
//! maps item for item, money exactly (or null plus a problem, never
//! rounded), and its problems.

mod common;

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveTime};
use common::check::{assert_batch_matches, problems};
use proptest::prelude::*;
use velip_arrow::CallBatchBuilder;
use velip_core::{AmdResult, CallId, CallRecord, CallStatus, Decimal, Destination, Problem};

fn call_id() -> impl Strategy<Value = CallId> {
    prop_oneof![
        any::<u64>().prop_map(CallId::new),
        ("[a-z0-9]{1,4}", 0u64..10_000_000_000)
            .prop_map(|(a, n)| CallId::with_alias(&a, n).unwrap()),
    ]
}

fn decimal() -> impl Strategy<Value = Decimal> {
    prop_oneof![
        // The service's own scale: always fits.
        (-9_999_999i64..9_999_999).prop_map(|m| Decimal::new(m, 3)),
        // Any scale and magnitude Decimal can hold.
        (any::<i64>(), 0u32..=28).prop_map(|(m, s)| Decimal::new(m, s)),
        (any::<[u32; 3]>(), any::<bool>(), 0u32..=28)
            .prop_map(|([lo, mid, hi], neg, s)| Decimal::from_parts(lo, mid, hi, neg, s)),
    ]
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    prop_oneof![
        ".{0,12}".prop_map(serde_json::Value::String),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<bool>().prop_map(serde_json::Value::Bool),
        Just(serde_json::Value::Null),
        proptest::collection::vec(any::<u8>(), 0..3).prop_map(|v| serde_json::json!(v)),
    ]
}

fn text() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(".{0,16}")
}

fn record() -> impl Strategy<Value = CallRecord> {
    let ids = (
        call_id(),
        proptest::option::of("OK|BUSY|NOANSWER|CANCEL|CONGESTION|CHANUNAVAIL|[A-Z]{1,6}"),
        proptest::option::of("MA|HM|ND|[A-Z?]{1,3}"),
        proptest::option::of(any::<u64>()),
        text(),
        text(),
        text(),
        proptest::option::of("55119[0-9]{8}|x{3,8}[0-9]{0,4}|.{0,12}"),
    );
    let times = (
        proptest::option::of((1900i32..2100, 1u32..=12, 1u32..=28)),
        proptest::option::of(0u32..86_400),
        proptest::option::of(0u32..86_400),
        proptest::option::of(0u32..86_400),
        proptest::option::of(prop_oneof![0u64..100_000, any::<u64>()]),
        proptest::option::of(prop_oneof![0u64..100_000, any::<u64>()]),
    );
    let rest = (
        proptest::collection::vec("[0-9#*]{0,3}", 0..6),
        text(),
        proptest::option::of(decimal()),
        proptest::option::of(decimal()),
        text(),
        proptest::collection::btree_map("[a-z_0-9]{1,10}", json_value(), 0..4),
        proptest::collection::vec(
            ("[a-z_]{1,8}", ".{0,10}", ".{0,20}").prop_map(|(f, r, u)| Problem::new(f, r, u)),
            0..3,
        ),
    );
    (ids, times, rest).prop_map(|(ids, times, rest)| {
        let (id, status, amd, campaign, campaign_ref, correlation, origin, dest) = ids;
        let (date, dial, answer, hangup, dur, cdr_sec) = times;
        let (dtmf, route, rate, value, url, extra, problems) = rest;
        let mut r = CallRecord::new(id);
        r.status = status.map(|s| CallStatus::from_wire(&s));
        r.amd = amd.map(|s| AmdResult::from_wire(&s));
        r.campaign_id = campaign;
        r.campaign_ref = campaign_ref;
        r.correlation_id = correlation;
        r.origin = origin;
        r.destination = dest.map(|d| Destination::from_wire(&d));
        r.date = date.and_then(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d));
        let t = |s: u32| NaiveTime::from_num_seconds_from_midnight_opt(s, 0);
        r.dial_time = dial.and_then(t);
        r.answer_time = answer.and_then(t);
        r.hangup_time = hangup.and_then(t);
        r.duration_seconds = dur;
        r.recording_seconds = cdr_sec;
        r.dtmf = dtmf;
        r.route = route;
        r.rate = rate;
        r.value = value;
        r.recording_url = url;
        r.extra = extra.into_iter().collect::<BTreeMap<_, _>>();
        r.problems = problems;
        r
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn every_record_survives(records in proptest::collection::vec(record(), 0..40)) {
        let mut builder = CallBatchBuilder::new();
        let batch = builder.build(&records).unwrap();
        // Every cell, including ids, list and map items and money exactly.
        assert_batch_matches(&records, &batch);
        // Counts: one row per record, every decoder problem kept.
        prop_assert_eq!(batch.num_rows(), records.len());
        for (i, r) in records.iter().enumerate() {
            let got = problems(&batch, i);
            prop_assert!(got.len() >= r.problems.len());
        }
        // The builder is ready for the next page, with the same result.
        let again = builder.build(&records).unwrap();
        prop_assert_eq!(again, batch);
    }
}
