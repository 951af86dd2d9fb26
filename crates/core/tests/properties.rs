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
        let _ = velip_core::decode::decode_response(200, None, &body);
        let _ = velip_core::decode::classify_error(401, None, &body);
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
