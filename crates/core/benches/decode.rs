//! Typed decode of a 5000-record page into `CallRecord`s vs an untyped
//! `serde_json::Value` parse of the same bytes, in the documented shape and
//! in the all-strings shape. Reported as throughput; the ratio is in
//! BENCHMARKS.md.

use std::fmt::Write as _;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

const RECORDS: usize = 5000;

/// A page like `list_documented.json` (numbers as numbers) or like
/// `list_all_strings.json` (every number a string, prefixed call ids).
fn page(all_strings: bool) -> Vec<u8> {
    let mut s = String::with_capacity(RECORDS * 420);
    s.push_str(
        r#"{"return":{"status":"OK","status_code":"0","pagination":{"has_more":true,"next_id":"#,
    );
    s.push_str(if all_strings {
        "\"1000000\""
    } else {
        "1000000"
    });
    s.push_str(r#"}},"calls":["#);
    for i in 0..RECORDS {
        let id = 1_005_000 - i;
        let q = if all_strings { "\"" } else { "" };
        let cd = if all_strings {
            format!("\"42_{id}\"")
        } else {
            id.to_string()
        };
        let mut dtmf = String::new();
        for k in 1..=(i % 4) {
            let _ = write!(dtmf, r#","resp_{k}":"{}""#, (i + k) % 10);
        }
        let _ = write!(
            s,
            r#"{}{{"cd_id":{cd},"cd_status":"OK","cd_amdasw":"HM","cp_id":{q}{cp}{q},"cpid":"lote-2026-05-06","ctid":"row-{i}","origin":"api","dest":"55119{sub:08}","date":"2026-05-06","time_dial":"10:00:01","time_start":"10:00:08","time_end":"10:00:35","dur":{q}27{q}{dtmf},"route":"Mobile BR","rate":"0,050","value":"0,050","cdr_url":"https://example.invalid/rec/{id}.mp3","cdr_sec":{q}27{q}}}"#,
            if i == 0 { "" } else { "," },
            cp = 555 + i % 7,
            sub = 10_000_000 + i,
        );
    }
    s.push_str("]}");
    s.into_bytes()
}

fn bench(c: &mut Criterion) {
    for (name, all_strings) in [("documented", false), ("all_strings", true)] {
        let body = page(all_strings);
        assert_eq!(
            velip_core::decode::decode_page(&body)
                .unwrap()
                .records
                .len(),
            RECORDS
        );
        let mut g = c.benchmark_group(format!("decode_5000_{name}"));
        g.throughput(Throughput::Elements(RECORDS as u64));
        g.bench_with_input(
            BenchmarkId::new("typed_call_records", name),
            &body,
            |b, body| {
                b.iter(|| velip_core::decode::decode_page(std::hint::black_box(body)).unwrap());
            },
        );
        g.bench_with_input(
            BenchmarkId::new("serde_json_value", name),
            &body,
            |b, body| {
                b.iter(|| {
                    serde_json::from_slice::<serde_json::Value>(std::hint::black_box(body)).unwrap()
                });
            },
        );
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
