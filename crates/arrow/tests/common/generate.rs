//! Deterministic realistic call records for tests, benches and the Parquet
//! measurements (also included by `velip-store`'s tests and examples).
//!
//! Newest first (descending call number), spread over days and campaigns,
//! a status and AMD mix, 0 to 5 DTMF answers, valid Brazilian mobile and
//! landline numbers (some masked), exact rates and values at scale 3,
//! recordings on some, customer extra fields, and calls still in progress.

#![allow(dead_code)]

use chrono::{NaiveDate, NaiveTime};
use velip_core::{AmdResult, CallId, CallRecord, CallStatus, Decimal, Destination};

const STATUSES: [&str; 7] = [
    "OK",
    "OK",
    "OK",
    "NOANSWER",
    "BUSY",
    "CANCEL",
    "CHANUNAVAIL",
];
const DDDS: [u8; 12] = [11, 21, 31, 41, 51, 61, 71, 81, 85, 91, 19, 47];

/// `n` records whose call numbers descend from `first_number`, spread over
/// `days` days ending 2026-11-20.
pub(crate) fn records(n: usize, seed: u64, first_number: u64, days: u32) -> Vec<CallRecord> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let last = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
    (0..n)
        .map(|i| {
            let number = first_number - i as u64;
            // Newest first: the date steps back as ids go down.
            let day_back = i as u64 * u64::from(days.max(1)) / n.max(1) as u64;
            let date = last - chrono::Days::new(day_back);
            record(&mut rng, number, date, i)
        })
        .collect()
}

fn record(rng: &mut fastrand::Rng, number: u64, date: NaiveDate, i: usize) -> CallRecord {
    let id = if i.is_multiple_of(3) {
        CallId::with_alias("42", number).unwrap()
    } else {
        CallId::new(number)
    };
    let mut r = CallRecord::new(id);
    let campaign = 555 + (i / 700) as u64;
    r.campaign_id = Some(campaign);
    r.campaign_ref = match campaign % 4 {
        0 => Some(format!("lote-{date}")),
        1 => Some("aviso-semanal".to_owned()),
        2 => None,
        _ => Some(format!("cobranca-{campaign}")),
    };
    r.correlation_id = (!i.is_multiple_of(5)).then(|| format!("row-{}", rng.u32(0..1_000_000)));
    r.origin = Some("api".to_owned());
    let ddd = DDDS[rng.usize(..DDDS.len())];
    let mobile = rng.u8(0..10) < 7;
    let dest = if mobile {
        format!("55{ddd}9{:08}", rng.u32(0..100_000_000))
    } else {
        format!("55{ddd}3{:07}", rng.u32(0..10_000_000))
    };
    r.destination = Some(if i.is_multiple_of(11) {
        Destination::from_wire(&format!("xxxxxxxxxx{}", &dest[dest.len() - 3..]))
    } else {
        Destination::from_wire(&dest)
    });
    r.date = Some(date);
    let dial = 8 * 3600 + rng.u32(0..13 * 3600);
    r.dial_time = NaiveTime::from_num_seconds_from_midnight_opt(dial, 0);
    r.route = Some(if mobile { "Mobile BR" } else { "Fixo BR" }.to_owned());
    let rate = if mobile { 50 } else { 120 };
    r.rate = Some(Decimal::new(rate, 3));
    if i % 97 == 5 {
        // Still in progress: no status and no end yet.
        return r;
    }
    let status = STATUSES[rng.usize(..STATUSES.len())];
    r.status = Some(CallStatus::from_wire(status));
    r.amd = match rng.u8(0..10) {
        0..=2 => None,
        3..=6 => Some(AmdResult::from_wire("HM")),
        7 | 8 => Some(AmdResult::from_wire("MA")),
        _ => Some(AmdResult::from_wire("ND")),
    };
    if status == "OK" {
        let ringing = rng.u32(3..25);
        let dur = rng.u32(5..600);
        // Calls late in the evening may cross midnight (times wrap).
        let start = (dial + ringing) % 86_400;
        let end = (dial + ringing + dur) % 86_400;
        r.answer_time = NaiveTime::from_num_seconds_from_midnight_opt(start, 0);
        r.hangup_time = NaiveTime::from_num_seconds_from_midnight_opt(end, 0);
        r.duration_seconds = Some(u64::from(dur));
        let minutes = i64::from(dur.div_ceil(60));
        r.value = Some(Decimal::new(rate * minutes, 3));
        let prompts = rng.usize(0..6);
        r.dtmf = (0..prompts)
            .map(|_| {
                if rng.u8(0..5) == 0 {
                    String::new()
                } else {
                    rng.u32(0..10).to_string()
                }
            })
            .collect();
        if campaign.is_multiple_of(2) {
            r.recording_url = Some(format!("https://example.invalid/rec/{number}.mp3"));
            r.recording_seconds = Some(u64::from(dur));
        }
    } else {
        r.value = Some(Decimal::new(0, 3));
    }
    if i.is_multiple_of(4) {
        r.extra.insert(
            "cdc_extra1".to_owned(),
            serde_json::json!(format!("pedido {}", i * 7)),
        );
    }
    if i.is_multiple_of(50) {
        r.extra
            .insert("cdc_extra2".to_owned(), serde_json::json!(i));
    }
    r
}
