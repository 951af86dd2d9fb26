//! A 5000-record page (the service's largest) into one `RecordBatch`, with
//! one builder kept across pages as a walk does, and with a fresh builder
//! per page. Reported as records per second; figures in BENCHMARKS.md.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

#[path = "../tests/common/generate.rs"]
mod generate;

const RECORDS: usize = 5000;

fn bench(c: &mut Criterion) {
    let page = generate::records(RECORDS, 7, 9_000_000, 2);
    let mut g = c.benchmark_group("page_to_batch_5000");
    g.throughput(Throughput::Elements(RECORDS as u64));
    let mut builder = velip_arrow::CallBatchBuilder::new();
    g.bench_with_input(
        BenchmarkId::new("kept_builder", RECORDS),
        &page,
        |b, page| {
            b.iter(|| builder.build(std::hint::black_box(page)).unwrap());
        },
    );
    g.bench_with_input(
        BenchmarkId::new("fresh_builder", RECORDS),
        &page,
        |b, page| {
            b.iter(|| velip_arrow::to_record_batch(std::hint::black_box(page)).unwrap());
        },
    );
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
