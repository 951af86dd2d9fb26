//! Bytes per record: a C record (`velip_record`) against the Rust
//! `CallRecord` it wraps, unread, after the four fields the benchmark walk
//! reads, and after every field. Run with `--nocapture` to see the figures.
//!
//! Live bytes are counted by a global allocator (requested sizes; malloc's
//! own per-block overhead, about 8-16 bytes, comes on top of each block).

use std::alloc::{GlobalAlloc, Layout, System};
use std::ffi::c_char;
use std::sync::atomic::{AtomicIsize, Ordering};

use velip::list::velip_record_list;
use velip::page::velip_page;
use velip::record::{self as rec, velip_record};

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);
static BLOCKS: AtomicIsize = AtomicIsize::new(0);

#[allow(unsafe_code)]
// SAFETY: forwards to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size().cast_signed(), Ordering::Relaxed);
        BLOCKS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: as the caller promised.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size().cast_signed(), Ordering::Relaxed);
        BLOCKS.fetch_sub(1, Ordering::Relaxed);
        // SAFETY: as the caller promised.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(
            new_size.cast_signed() - layout.size().cast_signed(),
            Ordering::Relaxed,
        );
        // SAFETY: as the caller promised.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

const N: usize = 2000;

fn live() -> (isize, isize) {
    (LIVE.load(Ordering::SeqCst), BLOCKS.load(Ordering::SeqCst))
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

    let (b0, n0) = live();
    let page = velip_core::decode::decode_page(&body).expect("decodes");
    let (b1, n1) = live();
    assert_eq!(page.records.len(), N);
    // The Rust records as a tight `Vec` would hold them: the struct and
    // its heap blocks (the decoder's `Vec` has spare capacity).
    let slot = std::mem::size_of::<velip_core::CallRecord>();
    let spare = (page.records.capacity() - N) * slot;
    let rust = (b1 - b0 - spare.cast_signed()) as f64 / N as f64;
    let rust_blocks = (n1 - n0 - 1) as f64 / N as f64;
    drop(page);

    let mut p: *mut velip_page = std::ptr::null_mut();
    let (b2, n2) = live();
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
    let (b3, n3) = live();
    let c = (b3 - b2) as f64 / N as f64;
    let c_blocks = (n3 - n2) as f64 / N as f64;

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
    let (b4, _) = live();
    let c_bench = (b4 - b2) as f64 / N as f64;
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
    let (b5, _) = live();
    let c_all = (b5 - b2) as f64 / N as f64;
    // SAFETY: `p` is owned here.
    unsafe { velip::page::velip_page_free(p) };

    println!(
        "bytes per record (requested sizes): Rust CallRecord {rust:.0} ({slot} inline, \
         {rust_blocks:.1} heap blocks); C record unread {c:.0} ({c_blocks:.1} blocks), \
         after call_id/status/value/date {c_bench:.0}, after every field {c_all:.0}"
    );
    // A C record is the Rust record plus one 8-byte slot per text (15) and
    // one for its lists, until a text is read.
    assert!(c <= rust + 16.0 * 8.0 + 8.0, "{c} vs {rust}");
    assert!(c_bench <= c + 64.0, "{c_bench} vs {c}");
}
