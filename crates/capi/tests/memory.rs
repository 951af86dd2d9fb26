//! Bytes per record: a C record (`velip_record`) against the Rust
//! `CallRecord` it wraps, unread, after the four fields the benchmark walk
//! reads, and after every field. Run with `--nocapture` to see the figures.
//!
//! Live bytes are counted by a global allocator, twice: as requested, and
//! as glibc's malloc spends them (a block's size plus its 8-byte header,
//! rounded up to 16, at least 32).

use std::alloc::{GlobalAlloc, Layout, System};
use std::ffi::c_char;
use std::sync::atomic::{AtomicIsize, Ordering};

use velip::list::velip_record_list;
use velip::page::velip_page;
use velip::record::{self as rec, velip_record};

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);
static CHUNKS: AtomicIsize = AtomicIsize::new(0);
static BLOCKS: AtomicIsize = AtomicIsize::new(0);

/// What glibc's malloc uses for a block of `size` bytes.
fn chunk(size: usize) -> isize {
    ((size + 8).div_ceil(16) * 16).max(32).cast_signed()
}

#[allow(unsafe_code)]
// SAFETY: forwards to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size().cast_signed(), Ordering::Relaxed);
        CHUNKS.fetch_add(chunk(layout.size()), Ordering::Relaxed);
        BLOCKS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: as the caller promised.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size().cast_signed(), Ordering::Relaxed);
        CHUNKS.fetch_sub(chunk(layout.size()), Ordering::Relaxed);
        BLOCKS.fetch_sub(1, Ordering::Relaxed);
        // SAFETY: as the caller promised.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(
            new_size.cast_signed() - layout.size().cast_signed(),
            Ordering::Relaxed,
        );
        CHUNKS.fetch_add(chunk(new_size) - chunk(layout.size()), Ordering::Relaxed);
        // SAFETY: as the caller promised.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

const N: usize = 2000;

/// Live bytes requested, live bytes in malloc chunks, live blocks.
fn live() -> (isize, isize, isize) {
    (
        LIVE.load(Ordering::SeqCst),
        CHUNKS.load(Ordering::SeqCst),
        BLOCKS.load(Ordering::SeqCst),
    )
}

/// Per record, from two readings.
#[allow(clippy::cast_precision_loss)]
fn per(before: (isize, isize, isize), after: (isize, isize, isize)) -> (f64, f64, f64) {
    let n = N as f64;
    (
        (after.0 - before.0) as f64 / n,
        (after.1 - before.1) as f64 / n,
        (after.2 - before.2) as f64 / n,
    )
}

/// A page of `N` records shaped like the documented one (17 fields, three
/// DTMF answers), each with its own id and correlation id.
fn body() -> Vec<u8> {
    let fixture = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/list_documented.json"
    ))
    .expect("fixture");
    let mut page: serde_json::Value = serde_json::from_slice(&fixture).expect("JSON");
    let template = page["calls"][0].clone();
    let calls: Vec<serde_json::Value> = (0..N)
        .map(|i| {
            let mut c = template.clone();
            c["cd_id"] = serde_json::json!(9_000_000 + i);
            c["ctid"] = serde_json::json!(format!("row-{i}"));
            c
        })
        .collect();
    page["calls"] = serde_json::Value::Array(calls);
    serde_json::to_vec(&page).expect("JSON")
}

type Text = fn(*const velip_record, *mut *const c_char) -> u32;

#[allow(unsafe_code, clippy::cast_precision_loss)]
#[test]
fn bytes_per_record() {
    let body = body();

    let before = live();
    let page = velip_core::decode::decode_page(&body).expect("decodes");
    assert_eq!(page.records.len(), N);
    // The Rust records as a tight `Vec` would hold them: the struct and
    // its heap blocks (the decoder's `Vec` has spare capacity).
    let slot = std::mem::size_of::<velip_core::CallRecord>();
    let (spare, tight) = (
        (page.records.capacity() * slot).cast_signed(),
        (N * slot).cast_signed(),
    );
    let after = live();
    let rust = per(
        before,
        (
            after.0 - spare + tight,
            after.1 - chunk(page.records.capacity() * slot) + chunk(N * slot),
            after.2,
        ),
    );
    drop(page);

    let mut p: *mut velip_page = std::ptr::null_mut();
    let before = live();
    // SAFETY: valid inputs; `p` is freed below.
    let st = unsafe {
        velip::decode::velip_parse_response(
            200,
            std::ptr::null(),
            std::ptr::null(),
            body.as_ptr(),
            body.len(),
            &raw mut p,
        )
    };
    assert_eq!(st, 0);
    let unread = per(before, live());

    let mut list: *const velip_record_list = std::ptr::null();
    // SAFETY: `p` is a live page.
    unsafe { velip::page::velip_page_records(p, &raw mut list) };
    let record = |i: usize| {
        let mut r: *const velip_record = std::ptr::null();
        // SAFETY: `list` is live; `i` is in range.
        unsafe { velip::list::velip_record_list_get(list, i, &raw mut r) };
        r
    };
    let read = |fields: &[Text]| {
        for i in 0..N {
            let r = record(i);
            for f in fields {
                let mut s: *const c_char = std::ptr::null();
                // SAFETY: live record, valid out-parameter.
                f(r, &raw mut s);
            }
        }
    };
    let bench_fields: [Text; 4] = [
        |r, o| unsafe { rec::velip_record_call_id(r, o) },
        |r, o| unsafe { rec::velip_record_status(r, o) },
        |r, o| unsafe { rec::velip_record_value(r, o) },
        |r, o| unsafe { rec::velip_record_date(r, o) },
    ];
    read(&bench_fields);
    let bench = per(before, live());
    let other_fields: [Text; 11] = [
        |r, o| unsafe { rec::velip_record_amd(r, o) },
        |r, o| unsafe { rec::velip_record_campaign_ref(r, o) },
        |r, o| unsafe { rec::velip_record_correlation_id(r, o) },
        |r, o| unsafe { rec::velip_record_origin(r, o) },
        |r, o| unsafe { rec::velip_record_destination(r, o) },
        |r, o| unsafe { rec::velip_record_dial_time(r, o) },
        |r, o| unsafe { rec::velip_record_answer_time(r, o) },
        |r, o| unsafe { rec::velip_record_hangup_time(r, o) },
        |r, o| unsafe { rec::velip_record_route(r, o) },
        |r, o| unsafe { rec::velip_record_rate(r, o) },
        |r, o| unsafe { rec::velip_record_recording_url(r, o) },
    ];
    read(&other_fields);
    for i in 0..N {
        let mut s: *const c_char = std::ptr::null();
        let mut n = 0usize;
        // SAFETY: live record, valid out-parameters.
        unsafe {
            rec::velip_record_dtmf_at(record(i), 0, &raw mut s);
            rec::velip_record_extra_count(record(i), &raw mut n);
            rec::velip_record_problem_count(record(i), &raw mut n);
        }
    }
    let all = per(before, live());
    // SAFETY: `p` is owned here.
    unsafe { velip::page::velip_page_free(p) };

    println!(
        "bytes per record, requested / in malloc chunks / blocks:\n  \
         Rust CallRecord          {:.0} / {:.0} / {:.1}\n  \
         C record, unread         {:.0} / {:.0} / {:.1}\n  \
         C, call_id/status/value/date read {:.0} / {:.0} / {:.1}\n  \
         C, every field read      {:.0} / {:.0} / {:.1}",
        rust.0,
        rust.1,
        rust.2,
        unread.0,
        unread.1,
        unread.2,
        bench.0,
        bench.1,
        bench.2,
        all.0,
        all.1,
        all.2
    );
    // A C record is the Rust record plus one 8-byte slot per text (15), one
    // for the block of short texts and one for the lists, until read; the
    // four texts of the benchmark walk then share one block.
    assert!(
        unread.0 <= rust.0 + 17.0 * 8.0 + 1.0,
        "{unread:?} vs {rust:?}"
    );
    assert!(bench.1 <= unread.1 + 96.0, "{bench:?} vs {unread:?}");
}
