//! The date-partitioned dataset: Hive layout, one part per date and
//! export, part numbers that never collide, crashes and resumes.

mod parquet_common;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use arrow_array::RecordBatch;
use parquet_common::{
    assert_same_in_parquet_units, assert_same_schema, assert_zstd, batch, copy_tree, ids, names,
    pages, read, schema_of,
};
use velip_core::CallRecord;
use velip_store::parquet::{NULL_PARTITION, ParquetDataset, ParquetError, file_schema};

/// Every `part-*.parquet` under `root`, by partition folder: the ids in it.
fn dataset_ids(root: &Path) -> BTreeMap<String, Vec<(String, Vec<String>)>> {
    let mut out = BTreeMap::new();
    for folder in names(root).into_iter().filter(|n| n.starts_with("date=")) {
        let mut parts = Vec::new();
        for file in names(&root.join(&folder)) {
            assert!(
                file.starts_with("part-") && file.ends_with(".parquet"),
                "stray file {folder}/{file}"
            );
            let (batches, meta) = read(&root.join(&folder).join(&file));
            assert_zstd(&meta);
            parts.push((file, ids(&batches)));
        }
        out.insert(folder, parts);
    }
    out
}

/// What the dataset must hold: ids per partition folder, in page order.
fn expected(pages: &[Vec<CallRecord>]) -> BTreeMap<String, Vec<String>> {
    let mut want: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in pages.iter().flatten() {
        let folder = match r.date {
            Some(d) => format!("date={d}"),
            None => format!("date={NULL_PARTITION}"),
        };
        want.entry(folder).or_default().push(r.call_id.to_string());
    }
    want
}

/// Generated pages spanning three days, with records without a date and
/// a page whose dates are not in runs.
fn mixed_pages() -> Vec<Vec<CallRecord>> {
    let mut pages = pages(9_000, 2_000, 3);
    for (i, r) in pages[1].iter_mut().enumerate() {
        if i % 100 == 7 {
            r.date = None;
        }
    }
    // Interleave two dates within one page.
    let (a, b) = (pages[4][0].date, pages[0][0].date);
    for (i, r) in pages[4].iter_mut().enumerate() {
        r.date = if i % 2 == 0 { a } else { b };
    }
    pages
}

#[test]
fn hive_layout_one_part_per_date_every_record_once() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("calls");
    let pages = mixed_pages();
    let mut ds = ParquetDataset::create(&root).unwrap();
    for p in &pages {
        ds.write_page(&batch(p)).unwrap();
    }
    assert!(
        dataset_ids(&root).is_empty(),
        "nothing visible before finish"
    );
    let stats = ds.finish().unwrap();
    assert_eq!(stats.rows, 9_000);
    assert_eq!(stats.part, 0);

    let want = expected(&pages);
    assert_eq!(
        names(&root),
        want.keys().cloned().collect::<Vec<_>>(),
        "only partition folders are left"
    );
    assert!(want.contains_key("date=2026-11-20"));
    assert!(want.contains_key(&format!("date={NULL_PARTITION}")));
    let got = dataset_ids(&root);
    for (folder, ids) in &want {
        assert_eq!(got[folder].len(), 1, "{folder}: one part");
        assert_eq!(got[folder][0].0, "part-00000.parquet");
        assert_eq!(&got[folder][0].1, ids, "{folder}: ids in page order");
    }
    assert_eq!(stats.files.len(), want.len());

    // The files hold every column but `date`, which is in the folder name.
    let file = root.join("date=2026-11-20").join("part-00000.parquet");
    let schema = velip_arrow::schema();
    let without_date: Vec<usize> = (0..schema.fields().len())
        .filter(|&i| schema.field(i).name() != "date")
        .collect();
    assert_same_schema(
        &schema_of(&file),
        &file_schema().project(&without_date).unwrap(),
    );

    // Cells come back as written (the date column aside).
    let (back, _) = read(&file);
    let day: Vec<CallRecord> = pages
        .iter()
        .flatten()
        .filter(|r| r.date.is_some_and(|d| d.to_string() == "2026-11-20"))
        .cloned()
        .collect();
    let written = batch(&day).project(&without_date).unwrap();
    let read_back = arrow_select::concat::concat_batches(&back[0].schema(), &back).unwrap();
    assert_same_in_parquet_units(&written, &read_back);
}

#[test]
fn a_second_export_adds_parts_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let first = pages(1_000, 500, 2);
    let mut ds = ParquetDataset::create(&root).unwrap();
    for p in &first {
        ds.write_page(&batch(p)).unwrap();
    }
    ds.finish().unwrap();
    let before = fs::read(root.join("date=2026-11-20/part-00000.parquet")).unwrap();

    let second = pages(600, 300, 1);
    let mut ds = ParquetDataset::create(&root).unwrap();
    assert_eq!(ds.part(), 1);
    for p in &second {
        ds.write_page(&batch(p)).unwrap();
    }
    let stats = ds.finish().unwrap();
    assert_eq!(stats.part, 1);
    assert_eq!(
        names(&root.join("date=2026-11-20")),
        ["part-00000.parquet", "part-00001.parquet"]
    );
    assert_eq!(
        fs::read(root.join("date=2026-11-20/part-00000.parquet")).unwrap(),
        before
    );
    let total: usize = dataset_ids(&root)
        .values()
        .flatten()
        .map(|(_, ids)| ids.len())
        .sum();
    assert_eq!(total, 1_600);
}

#[test]
fn crash_resume_and_a_crash_during_finish_never_duplicate() {
    let pages = mixed_pages();
    let batches: Vec<RecordBatch> = pages.iter().map(|p| batch(p)).collect();
    let want = expected(&pages);
    for crash_after in [0, 2, 5] {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        let mut checkpoint = 0;
        let mut ds = ParquetDataset::create(&root).unwrap();
        for b in &batches[..crash_after] {
            checkpoint = ds.write_page(b).unwrap().count();
        }
        if crash_after < batches.len() {
            ds.write_page(&batches[crash_after]).unwrap(); // durable, not counted
        }
        drop(ds);

        let mut ds = ParquetDataset::resume(&root, checkpoint).unwrap();
        assert_eq!(ds.part(), 0);
        for b in &batches[usize::try_from(checkpoint).unwrap()..] {
            ds.write_page(b).unwrap();
        }
        // Crash during finish: some parts renamed in, the side folder kept.
        let kept = dir.path().join("kept");
        copy_tree(&root.join(".velip-pages"), &kept);
        let first = ds.finish().unwrap();
        fs::rename(&kept, root.join(".velip-pages")).unwrap();
        fs::write(
            root.join("date=2026-11-20/.part-00000.parquet.tmp"),
            b"half",
        )
        .unwrap();

        let ds = ParquetDataset::resume(&root, 5).unwrap();
        assert!(!ds.is_finished());
        let again = ds.finish().unwrap();
        assert_eq!(again, first);
        let got = dataset_ids(&root);
        for (folder, ids) in &want {
            assert_eq!(got[folder].len(), 1, "crash after {crash_after}: {folder}");
            assert_eq!(
                &got[folder][0].1, ids,
                "crash after {crash_after}: {folder}"
            );
        }
        assert_eq!(got.len(), want.len());

        // Finished, but the checkpoint not yet removed.
        let ds = ParquetDataset::resume(&root, 5).unwrap();
        assert!(ds.is_finished());
        assert_eq!(ds.finish().unwrap().rows, 9_000);
    }
}

#[test]
fn resume_without_the_side_folder_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut ds = ParquetDataset::create(dir.path()).unwrap();
    ds.write_page(&batch(&pages(10, 10, 1)[0])).unwrap();
    drop(ds);
    fs::remove_dir_all(dir.path().join(".velip-pages")).unwrap();
    let err = ParquetDataset::resume(dir.path(), 1).unwrap_err();
    assert!(matches!(err, ParquetError::MissingSegments { .. }), "{err}");
}

#[test]
fn starting_over_after_a_crash_during_finish_removes_that_exports_parts() {
    let pages = mixed_pages();
    let batches: Vec<RecordBatch> = pages.iter().map(|p| batch(p)).collect();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let mut ds = ParquetDataset::create(&root).unwrap();
    for b in &batches {
        ds.write_page(b).unwrap();
    }
    // Crash during finish: the parts are in place, the side folder kept.
    let kept = dir.path().join("kept");
    copy_tree(&root.join(".velip-pages"), &kept);
    ds.finish().unwrap();
    fs::rename(&kept, root.join(".velip-pages")).unwrap();

    // `--restart` instead of `--resume`: a new export, and the parts of the
    // unfinished one go (they would otherwise hold its records a second
    // time under part 0 beside the new part).
    let mut ds = ParquetDataset::create(&root).unwrap();
    assert_eq!(ds.part(), 0);
    for b in &batches {
        ds.write_page(b).unwrap();
    }
    ds.finish().unwrap();
    let got = dataset_ids(&root);
    for (folder, ids) in expected(&pages) {
        assert_eq!(got[&folder].len(), 1, "{folder}");
        assert_eq!(got[&folder][0].1, ids, "{folder}");
    }
}
