//! XLSX exports: typed cells read back by headless LibreOffice (converted to
//! CSV in a pt-BR and an en-US profile, and to flat ODS for the cell
//! types), resumable like the CSV export.
//!
//! The LibreOffice test is `#[ignore]`d in the plain `cargo test` (a
//! conversion takes seconds); `scripts/test-xlsx` installs LibreOffice when
//! it is missing and runs it with `VELIP_REQUIRE_LIBREOFFICE=1`.

use std::path::{Path, PathBuf};
use std::process::Command;

use velip_blocking::WalkCheckpoint;
use velip_store::Sink;
use velip_store::files::{FileExport, FileFormat, ResumeMode};

/// A page with what spreadsheets get wrong: E.164 numbers, a DTMF answer
/// with a leading zero, amounts of scale 2 and 3 and above a thousand,
/// accents, a formula-looking correlation id, masked and raw destinations,
/// a call that crossed midnight, one in progress, a field that cannot be
/// read.
const BODY: &str = r#"{
  "return": {"status": "OK", "status_code": "0", "pagination": {"has_more": false, "next_id": ""}},
  "calls": [
    {"cd_id": 1000003, "cd_status": "OK", "cd_amdasw": "HM", "cp_id": 1007, "cpid": "Pesquisa São João",
     "ctid": "=1+1", "origin": "api", "dest": "5596957438897", "date": "2026-11-20",
     "time_dial": "23:59:50", "time_start": "23:59:58", "time_end": "00:01:05", "dur": 67,
     "resp_1": "08031953", "resp_2": "", "resp_3": "9", "route": "Mobile BR",
     "rate": "0,080", "value": "1.234,560", "cdr_url": "https://example.invalid/r/1.mp3", "cdr_sec": 67,
     "cdc_extra1": "ação"},
    {"cd_id": 1000002, "cd_status": "BUSY", "cp_id": 1007, "dest": "xxxxx877", "date": "2026-11-19",
     "time_dial": "08:00:00", "dur": 0, "route": "Fixo BR", "rate": "0,05", "value": "0,00"},
    {"cd_id": 1000001, "cd_status": "", "dest": "0800 123", "date": "2026-11-19", "time_dial": "07:30:00",
     "dur": "abc", "resp_1": "0"}
  ]
}"#;

/// A walk checkpoint at `cursor` (`None`: the walk is over).
fn at(cursor: Option<&str>) -> WalkCheckpoint {
    serde_json::from_value(serde_json::json!({
        "cursor": cursor, "finished": cursor.is_none(), "lowest_call_id": null,
        "recent_call_ids": [], "pages": 1, "records": 1
    }))
    .unwrap()
}

fn page() -> velip_core::Page {
    velip_core::decode::decode_page(BODY.as_bytes()).expect("the test body decodes")
}

fn export(out: &Path) {
    let (mut sink, start) = FileExport::open(out, FileFormat::Xlsx, Vec::new(), ResumeMode::Fresh)
        .expect("export opens");
    assert_eq!(start, WalkCheckpoint::start());
    sink.write_page(&page(), &at(None)).expect("page written");
    let summary = sink.finish().expect("workbook built");
    assert_eq!(summary.records, 3);
}

#[test]
fn an_xlsx_export_is_a_workbook_and_leaves_no_side_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("calls.xlsx");
    export(&out);
    let bytes = std::fs::read(&out).unwrap();
    assert_eq!(&bytes[..2], b"PK", "a zip archive");
    let left: Vec<PathBuf> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(left, vec![out], "no staging, checkpoint or temporary file");
}

#[test]
fn an_interrupted_xlsx_export_resumes_from_its_staging_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("calls.xlsx");
    let p = page();
    let (first, second) = p.records.split_at(1);
    let mut a = p.clone();
    a.records = first.to_vec();
    let mut b = p.clone();
    b.records = second.to_vec();
    let (mut sink, _) =
        FileExport::open(&out, FileFormat::Xlsx, Vec::new(), ResumeMode::Fresh).unwrap();
    sink.write_page(&a, &at(Some("1000002"))).unwrap();
    drop(sink); // the process dies here
    assert!(!out.exists());
    // Another format of the same output is refused, naming it.
    let err = FileExport::open(
        &out,
        FileFormat::Jsonl,
        Vec::new(),
        ResumeMode::ResumeOrStart,
    )
    .unwrap_err();
    assert!(err.to_string().contains("format jsonl"), "{err}");
    let (mut sink, start) = FileExport::open(
        &out,
        FileFormat::Xlsx,
        Vec::new(),
        ResumeMode::ResumeOrStart,
    )
    .unwrap();
    assert_eq!(start.cursor().unwrap().as_str(), "1000002");
    sink.write_page(&b, &at(None)).unwrap();
    assert_eq!(sink.finish().unwrap().records, 3);
    assert!(out.exists());
}

/// `soffice`, when installed.
fn soffice() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|d| ["soffice", "libreoffice"].map(|n| d.join(n)))
        .find(|p| p.is_file())
}

/// Converts `xlsx` with headless LibreOffice in a fresh profile of `locale`
/// to `filter` (`csv:...` or `fods`); returns the output's text.
fn convert(soffice: &Path, xlsx: &Path, locale: &str, filter: &str, ext: &str) -> String {
    let work = tempfile::tempdir().unwrap();
    let profile = work.path().join("profile");
    let outdir = work.path().join("out");
    let lang = format!("{}.UTF-8", locale.replace('-', "_"));
    let status = Command::new(soffice)
        .arg(format!(
            "-env:UserInstallation=file://{}",
            profile.display()
        ))
        .args(["--headless", "--norestore", "--nolockcheck", "--convert-to"])
        .arg(filter)
        .arg("--outdir")
        .arg(&outdir)
        .arg(xlsx)
        .env("LANG", &lang)
        .env("LC_ALL", &lang)
        .env("LANGUAGE", locale)
        .env("HOME", work.path())
        .output()
        .expect("soffice runs");
    assert!(
        status.status.success(),
        "soffice failed: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    let stem = xlsx.file_stem().unwrap().to_str().unwrap();
    std::fs::read_to_string(outdir.join(format!("{stem}.{ext}"))).expect("converted file")
}

fn rows(csv_text: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(csv_text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

#[test]
#[ignore = "needs LibreOffice (slow): scripts/test-xlsx runs it"]
fn libreoffice_reads_every_value_right_in_pt_br_and_en_us() {
    let Some(soffice) = soffice() else {
        assert!(
            std::env::var_os("VELIP_REQUIRE_LIBREOFFICE").is_none(),
            "LibreOffice is required (VELIP_REQUIRE_LIBREOFFICE) but soffice is not on PATH"
        );
        println!("skipped: soffice (LibreOffice) is not installed");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("calls.xlsx");
    export(&out);

    // Cells as shown: UTF-8, comma separated, every text cell quoted.
    let filter = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,true,true,true";
    let mut seen = Vec::new();
    for (locale, money, big, rate2) in [
        ("pt-BR", "R$ 0,080", "R$ 1.234,560", "R$ 0,05"),
        ("en-US", "R$ 0.080", "R$ 1,234.560", "R$ 0.05"),
    ] {
        let text = convert(&soffice, &out, locale, filter, "csv");
        let t = rows(&text);
        let col = |name: &str| t[0].iter().position(|c| c == name).unwrap();
        let cell = |row: usize, name: &str| t[row][col(name)].as_str();
        assert_eq!(t.len(), 4, "{locale}: header and 3 records:\n{text}");
        assert_eq!(cell(1, "call_id"), "1000003");
        assert_eq!(cell(1, "destination"), "+5596957438897", "{locale}");
        assert_eq!(cell(2, "destination"), "xxxxx877");
        assert_eq!(cell(3, "destination"), "0800 123");
        assert_eq!(cell(1, "dtmf"), "08031953||9");
        assert_eq!(cell(1, "dtmf_1"), "08031953", "{locale}: the zero is kept");
        assert_eq!(cell(1, "dtmf_2"), "");
        assert_eq!(cell(1, "dtmf_3"), "9");
        assert_eq!(cell(3, "dtmf_1"), "0");
        assert_eq!(cell(1, "campaign_id"), "1007");
        assert_eq!(cell(1, "campaign_ref"), "Pesquisa São João");
        assert_eq!(cell(1, "correlation_id"), "=1+1", "{locale}: text, not run");
        assert_eq!(cell(1, "rate"), money, "{locale}");
        assert_eq!(cell(1, "value"), big, "{locale}");
        assert_eq!(cell(2, "rate"), rate2, "{locale}: the record's own scale");
        assert_eq!(cell(1, "date"), "2026-11-20");
        assert_eq!(cell(1, "dial_time"), "23:59:50");
        assert_eq!(cell(1, "hangup_time"), "00:01:05");
        assert_eq!(cell(1, "duration_seconds"), "67");
        assert_eq!(cell(3, "duration_seconds"), "", "unreadable: empty");
        assert!(
            cell(3, "problems").contains("dur"),
            "{}",
            cell(3, "problems")
        );
        assert_eq!(cell(3, "status"), "", "in progress");
        assert!(cell(1, "extra").contains("ação"));
        seen.push(text);
    }
    // The cell types LibreOffice sees: dates, times and currency numbers,
    // text for the rest.
    let fods = convert(&soffice, &out, "pt-BR", "fods", "fods");
    for needle in [
        r#"office:value-type="date" office:date-value="2026-11-20""#,
        r#"office:value-type="time" office:time-value="PT23H59M50S""#,
        r#"office:value="1234.56""#,
        r#"office:value-type="float" office:value="67""#,
    ] {
        assert!(fods.contains(needle), "{needle} not in the flat ODS");
    }
    for text in ["+5596957438897", "08031953", "=1+1"] {
        assert!(
            fods.contains(&format!("<text:p>{text}</text:p>")),
            "{text} is a text cell"
        );
    }
    assert!(
        !fods.contains("office:value=\"5596957438897\""),
        "the phone number is no number"
    );
}
