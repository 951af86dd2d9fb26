//! One Parquet file: written page by page, crashed at every point, resumed,
//! finished, and read back with the parquet crate's reader: every record
//! exactly once, every cell as written, zstd, a row group per page.

mod parquet_common;

use std::fs;

use arrow_array::RecordBatch;
use parquet_common::{
    PAGE, append_garbage, assert_same_in_parquet_units, assert_same_schema, assert_zstd, batch,
    ids, names, pages, read, record_ids, schema_of, spool_of,
};
use velip_store::parquet::{ParquetError, ParquetFile, ParquetOptions, file_schema};

#[test]
fn pages_round_trip_exactly_with_a_row_group_each() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("calls.parquet");
    let pages = pages(23_000, PAGE, 3);
    let batches: Vec<RecordBatch> = pages.iter().map(|p| batch(p)).collect();
    let mut file = ParquetFile::create(&out).unwrap();
    for (i, b) in batches.iter().enumerate() {
        let id = file.write_page(b).unwrap();
        assert_eq!(id.count(), i as u64 + 1);
        assert_eq!(file.segments(), i as u64 + 1);
    }
    assert!(!out.exists(), "readers never see a partial file");
    let stats = file.finish().unwrap();
    assert_eq!(
        (stats.rows, stats.row_groups, stats.segments),
        (23_000, 5, 5)
    );
    assert_eq!(stats.bytes, fs::metadata(&out).unwrap().len());
    // Only the output is left.
    assert_eq!(names(dir.path()), ["calls.parquet"]);

    let (back, meta) = read(&out);
    assert_zstd(&meta);
    // A row group per page, in page order.
    let groups: Vec<i64> = meta
        .row_groups()
        .iter()
        .map(parquet::file::metadata::RowGroupMetaData::num_rows)
        .collect();
    assert_eq!(groups, [5000, 5000, 5000, 5000, 3000]);
    // The Arrow schema comes back (dictionaries, time zone, decimals, field
    // metadata), instants and times in milliseconds.
    assert_same_schema(&schema_of(&out), &file_schema());
    // Every cell as written.
    let written = arrow_select::concat::concat_batches(&velip_arrow::schema(), &batches).unwrap();
    let read_back = arrow_select::concat::concat_batches(&file_schema(), &back).unwrap();
    assert_same_in_parquet_units(&written, &read_back);
}

#[test]
fn a_crash_at_any_page_loses_nothing_and_writes_nothing_twice() {
    let pages = pages(3_500, 500, 2);
    let batches: Vec<RecordBatch> = pages.iter().map(|p| batch(p)).collect();
    let want = record_ids(&pages);
    for crash_after in 0..=batches.len() {
        for durable_but_uncommitted in [false, true] {
            let dir = tempfile::tempdir().unwrap();
            let out = dir.path().join("calls.parquet");
            // Run 1: pages up to the crash, each committed after it is durable.
            let mut checkpoint = 0;
            let mut file = ParquetFile::create(&out).unwrap();
            for b in &batches[..crash_after] {
                checkpoint = file.write_page(b).unwrap().count();
            }
            if durable_but_uncommitted && crash_after < batches.len() {
                // The next page's segment is durable, but the process dies
                // before the checkpoint counts it.
                file.write_page(&batches[crash_after]).unwrap();
            }
            // A page being appended when the process died.
            append_garbage(
                &spool_of(&out),
                b"VSEG\x07\0\0\0\0\0\0\0\xff\xff\0\0\0\0\0\0PAR1",
            );
            drop(file);

            // Run 2: resume from the checkpoint, as the walk does.
            let mut file = ParquetFile::resume(&out, checkpoint).unwrap();
            assert_eq!(file.segments(), checkpoint);
            for b in &batches[usize::try_from(checkpoint).unwrap()..] {
                file.write_page(b).unwrap();
            }
            let stats = file.finish().unwrap();
            let (back, meta) = read(&out);
            assert_eq!(ids(&back), want, "crash after {crash_after}");
            assert_eq!(stats.rows, want.len() as u64);
            assert_eq!(meta.num_row_groups(), batches.len());
            assert_eq!(names(dir.path()), ["calls.parquet"]);
        }
    }
}

#[test]
fn a_crash_during_or_after_finish_is_repaired_by_resume() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("calls.parquet");
    let pages = pages(1_200, 400, 1);
    let mut file = ParquetFile::create(&out).unwrap();
    for p in &pages {
        file.write_page(&batch(p)).unwrap();
    }
    // Keep the spool as a crash between the rename and its removal would
    // leave it, and a temporary output as a crash before the rename.
    let spool = spool_of(&out);
    let kept = dir.path().join("kept");
    fs::copy(&spool, &kept).unwrap();
    let first = file.finish().unwrap();
    let bytes = fs::read(&out).unwrap();

    // Crash after the rename, before the spool was removed.
    fs::rename(&kept, &spool).unwrap();
    fs::write(dir.path().join(".calls.parquet.velip-tmp"), b"half").unwrap();
    let file = ParquetFile::resume(&out, 3).unwrap();
    assert!(!file.is_finished());
    let again = file.finish().unwrap();
    assert_eq!(again, first);
    assert_eq!(fs::read(&out).unwrap(), bytes, "the same file again");
    assert_eq!(names(dir.path()), ["calls.parquet"]);

    // Finished and cleaned up, but the checkpoint was not yet removed.
    let file = ParquetFile::resume(&out, 3).unwrap();
    assert!(file.is_finished());
    assert_eq!(file.finish().unwrap(), first);
    assert_eq!(ids(&read(&out).0), record_ids(&pages));
}

#[test]
fn resume_refuses_to_lose_counted_pages() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("calls.parquet");
    let pages = pages(300, 100, 1);
    let mut file = ParquetFile::create(&out).unwrap();
    for p in &pages {
        file.write_page(&batch(p)).unwrap();
    }
    drop(file);
    // The checkpoint counts more pages than are there.
    let err = ParquetFile::resume(&out, 5).unwrap_err();
    assert!(
        matches!(
            err,
            ParquetError::MissingSegments {
                committed: 5,
                found: 3,
                ..
            }
        ),
        "{err}"
    );
    // The spool was deleted by hand.
    fs::remove_file(spool_of(&out)).unwrap();
    let err = ParquetFile::resume(&out, 3).unwrap_err();
    assert!(matches!(err, ParquetError::MissingSegments { .. }), "{err}");
    assert!(err.to_string().contains("counts 3 written pages"), "{err}");
    // Nothing counted: a fresh start.
    let file = ParquetFile::resume(&out, 0).unwrap();
    assert_eq!(file.segments(), 0);
}

#[test]
fn an_empty_export_is_a_valid_file_with_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("none.parquet");
    let stats = ParquetFile::create(&out).unwrap().finish().unwrap();
    assert_eq!((stats.rows, stats.row_groups, stats.segments), (0, 0, 0));
    assert_same_schema(&schema_of(&out), &file_schema());
    assert!(read(&out).0.is_empty());
}

#[test]
fn other_schemas_and_finished_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("calls.parquet");
    let mut file =
        ParquetFile::create_with(&out, ParquetOptions::default().with_zstd_level(1).unwrap())
            .unwrap();
    let other = RecordBatch::try_from_iter([(
        "x",
        std::sync::Arc::new(arrow_array::Int32Array::from(vec![1])) as arrow_array::ArrayRef,
    )])
    .unwrap();
    assert!(matches!(
        file.write_page(&other),
        Err(ParquetError::SchemaMismatch)
    ));
    file.write_page(&batch(&pages(10, 10, 1)[0])).unwrap();
    file.finish().unwrap();
    let mut file = ParquetFile::resume(&out, 1).unwrap();
    let err = file.write_page(&batch(&[])).unwrap_err();
    assert!(matches!(err, ParquetError::Finished { .. }), "{err}");
}

/// Memory stays at one page: when `write_page` returns, the page is in the
/// spool on disk (nothing is buffered in the writer; a copy of the spool
/// taken at that moment finishes into exactly the pages so far), and
/// finish splices row groups without decoding, one per page.
#[test]
fn every_page_is_on_disk_when_write_page_returns() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("calls.parquet");
    let pages = pages(2_000, 250, 1);
    let mut file = ParquetFile::create(&out).unwrap();
    for (i, p) in pages.iter().enumerate() {
        let id = file.write_page(&batch(p)).unwrap();
        let copy = dir.path().join(format!("copy{i}.parquet"));
        fs::copy(spool_of(&out), spool_of(&copy)).unwrap();
        let stats = ParquetFile::resume(&copy, id.count())
            .unwrap()
            .finish()
            .unwrap();
        assert_eq!(stats.row_groups, id.count());
        assert_eq!(ids(&read(&copy).0), record_ids(&pages[..=i]));
    }
    let stats = file.finish().unwrap();
    assert_eq!(stats.row_groups, 8);
}
