//! Property tests: format/parse round trips, and no input panics a decoder.

use proptest::prelude::*;
use velip_core::Decimal;
use velip_core::money::{format_brl_decimal, parse_brl_decimal};
use velip_core::phone::{NumberFormat, PhoneNumber, is_assigned_ddd};

fn ddd() -> impl Strategy<Value = u8> {
    (11u8..=99).prop_filter("assigned", |d| is_assigned_ddd(*d))
}

fn subscriber() -> impl Strategy<Value = String> {
    prop_oneof!["9[0-9]{8}".prop_map(|s| s), "[2-5][0-9]{7}".prop_map(|s| s),]
}

proptest! {
    #[test]
    fn phone_round_trips_in_every_style(d in ddd(), sub in subscriber()) {
        let n = PhoneNumber::from_parts(d, &sub).unwrap();
        for f in [NumberFormat::International, NumberFormat::TrunkPrefixed, NumberFormat::Ddd] {
            prop_assert_eq!(&PhoneNumber::parse(&n.format(f)).unwrap(), &n);
        }
        prop_assert_eq!(&PhoneNumber::parse(&n.e164()).unwrap(), &n);
        prop_assert_eq!(&PhoneNumber::parse(&n.national()).unwrap(), &n);
    }

    #[test]
    fn phone_parse_never_panics(s in "\\PC{0,30}") {
        let _ = PhoneNumber::parse(&s);
    }

    #[test]
    fn decimal_round_trips(units in -10_000_000_000i64..10_000_000_000, scale in 0u32..6) {
        let d = Decimal::new(units, scale);
        let text = format_brl_decimal(d, scale);
        prop_assert_eq!(parse_brl_decimal(&text).unwrap(), d);
    }

    #[test]
    fn decimal_parse_never_panics(s in "[0-9.,+-R$ ]{0,30}") {
        let _ = parse_brl_decimal(&s);
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_decoders(body in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = velip_core::decode::decode_page(&body);
        for status in [0, 200, 401, 429, 502] {
            let _ = velip_core::decode::classify_answer(&velip_core::decode::HttpAnswer::new(status, &body).retry_after("5"));
            let _ = velip_core::decode::classify_head(&velip_core::decode::HttpAnswer::new(status, &body));
        }
        let _ = velip_core::decode::decode_webhook(&body, "");
        let _ = velip_core::decode::decode_webhook(&body, "application/x-www-form-urlencoded");
        let _ = velip_core::decode::peek_head(&body);
    }

    /// The head read alone agrees with the full decode whenever both read.
    #[test]
    fn head_agrees_with_the_full_decode(
        has_more in prop_oneof![Just("true"), Just("false"), Just("\"1\""), Just("0"), Just("null"), Just("\"x\"")],
        next_id in prop_oneof![Just("551"), Just("\"551\""), Just("\"\""), Just("null"), Just("[]"), Just("\"a\""), Just("5.0")],
        code in prop_oneof![Just("0"), Just("\"0\""), Just("\"429\""), Just("\"\""), Just("[]")],
        calls in prop_oneof![Just("[]"), Just("[{\"cd_id\":1}]"), Just("[{\"cd_id\":\"x\"}]"), Just("null")],
    ) {
        let body = format!(
            "{{\"return\":{{\"status_code\":{code},\"pagination\":{{\"has_more\":{has_more},\"next_id\":{next_id}}}}},\"calls\":{calls}}}"
        );
        let head = velip_core::decode::peek_head(body.as_bytes());
        if let Ok(page) = velip_core::decode::decode_page(body.as_bytes()) {
            let head = head.expect("a decodable page has a readable head");
            prop_assert_eq!(&head.status_code, &page.status_code);
            prop_assert_eq!(&head.pagination, &page.pagination);
        }
    }

    #[test]
    fn json_shaped_noise_never_panics(
        keys in proptest::collection::vec(prop_oneof![
            Just("cd_id"), Just("dur"), Just("date"), Just("rate"), Just("resp_3"),
            Just("resp_1000"), Just("dest"), Just("time_dial"), Just("zzz")], 0..8),
        vals in proptest::collection::vec(prop_oneof![
            Just("1"), Just("\"\""), Just("null"), Just("[]"), Just("{}"), Just("-1"),
            Just("1.5e300"), Just("\"0,05\""), Just("true"), Just("\"x\""), Just("[1]")], 0..8),
    ) {
        let rec: Vec<String> = keys.iter().zip(vals.iter()).map(|(k, v)| format!("\"{k}\":{v}")).collect();
        let body = format!(
            "{{\"return\":{{\"status\":\"OK\",\"status_code\":\"0\"}},\"calls\":[{{{}}}]}}",
            rec.join(",")
        );
        let _ = velip_core::decode::decode_page(body.as_bytes());
    }
}

mod wire_form {
    use chrono::{NaiveDate, NaiveTime};
    use proptest::prelude::*;
    use velip_core::phone::{Destination, MaskedNumber, PhoneNumber};
    use velip_core::{AmdResult, CallId, CallRecord, CallStatus, Decimal};

    fn text() -> impl Strategy<Value = Option<String>> {
        proptest::option::of("[A-Za-z0-9_][A-Za-z0-9 _.-]{0,12}")
    }

    fn record() -> impl Strategy<Value = CallRecord> {
        let ids = (proptest::option::of("[a-z0-9]{1,4}"), 1u64..10_000_000_000);
        let status = proptest::option::of(prop_oneof![
            (0usize..6).prop_map(|i| CallStatus::KNOWN[i].clone()),
            "[A-Z]{2,10}".prop_map(|s| CallStatus::from_wire(&s)),
        ]);
        let amd = proptest::option::of((0usize..3).prop_map(|i| AmdResult::KNOWN[i].clone()));
        let dest = proptest::option::of(prop_oneof![
            "9[0-9]{8}".prop_map(|s| Destination::Phone(PhoneNumber::from_parts(11, &s).unwrap())),
            "x{5}[0-9]{3}".prop_map(|s| Destination::Masked(MaskedNumber::parse(&s).unwrap())),
        ]);
        let date = proptest::option::of(
            (2020i32..2030, 1u32..13, 1u32..29)
                .prop_map(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).unwrap()),
        );
        let time = || {
            proptest::option::of(
                (0u32..24, 0u32..60, 0u32..60)
                    .prop_map(|(h, m, s)| NaiveTime::from_hms_opt(h, m, s).unwrap()),
            )
        };
        let money = || {
            proptest::option::of(
                (-1_000_000i64..1_000_000, 0u32..5).prop_map(|(u, s)| Decimal::new(u, s)),
            )
        };
        let dtmf = proptest::collection::vec("[0-9#*]{0,4}", 0..6);
        let extra = proptest::collection::btree_map("cdc_extra[0-9]", "[a-z0-9 ]{1,8}", 0..3);
        (
            (
                ids,
                status,
                amd,
                proptest::option::of(0u64..100_000),
                text(),
                text(),
                text(),
            ),
            (
                dest,
                date,
                time(),
                time(),
                time(),
                proptest::option::of(0u64..100_000),
            ),
            (
                dtmf,
                text(),
                money(),
                money(),
                text(),
                proptest::option::of(0u64..10_000),
                extra,
            ),
        )
            .prop_map(
                |(
                    (ids, status, amd, cp, cpid, ctid, origin),
                    (dest, date, dial, start, end, dur),
                    (dtmf, route, rate, value, url, sec, extra),
                )| {
                    let call_id = match ids.0 {
                        Some(a) => CallId::with_alias(&a, ids.1).unwrap(),
                        None => CallId::new(ids.1),
                    };
                    let mut r = CallRecord::new(call_id);
                    r.status = status;
                    r.amd = amd;
                    r.campaign_id = cp;
                    r.campaign_ref = cpid;
                    r.correlation_id = ctid;
                    r.origin = origin;
                    r.destination = dest;
                    r.date = date;
                    r.dial_time = dial;
                    r.answer_time = start;
                    r.hangup_time = end;
                    r.duration_seconds = dur;
                    r.dtmf = dtmf;
                    r.route = route;
                    r.rate = rate;
                    r.value = value;
                    r.recording_url = url;
                    r.recording_seconds = sec;
                    r.extra = extra
                        .into_iter()
                        .map(|(k, v)| (k, serde_json::Value::String(v)))
                        .collect();
                    r
                },
            )
    }

    proptest! {
        /// `decode(to_wire(r)) == r`: the wire form loses nothing.
        #[test]
        fn wire_form_round_trips(r in record()) {
            let wire = serde_json::to_vec(&r.to_wire()).unwrap();
            let back = velip_core::decode::decode_record(&wire).unwrap();
            prop_assert_eq!(back, r);
        }
    }

    #[test]
    fn a_record_with_problems_gives_back_what_it_was_read_from() {
        let body = br#"{"cd_id":7,"date":"2026-02-30","dur":"27"}"#;
        let r = velip_core::decode::decode_record(body).unwrap();
        assert_eq!(r.problems.len(), 1);
        let wire = serde_json::to_vec(&r.to_wire()).unwrap();
        let back = velip_core::decode::decode_record(&wire).unwrap();
        assert_eq!(back.problems, r.problems);
        assert_eq!(back.duration_seconds, Some(27));
    }
}
