//! Aligned columns for `calls list --format table`.

use std::fmt::Write as _;
use std::io::Write;

use velip_core::CallRecord;

const HEADERS: [&str; 9] = [
    "CALL ID",
    "DATE",
    "DIALED",
    "STATUS",
    "AMD",
    "DUR",
    "DESTINATION",
    "VALUE",
    "DTMF",
];
const WIDTHS: [usize; 9] = [14, 10, 8, 11, 3, 5, 15, 7, 0];

fn row(out: &mut impl Write, cells: &[String; 9]) -> std::io::Result<()> {
    let mut line = String::new();
    for (i, c) in cells.iter().enumerate() {
        if WIDTHS[i] == 0 {
            line.push_str(c);
        } else {
            let _ = write!(line, "{c:<w$}  ", w = WIDTHS[i]);
        }
    }
    writeln!(out, "{}", line.trim_end())
}

pub(crate) fn header(out: &mut impl Write) -> std::io::Result<()> {
    row(out, &HEADERS.map(str::to_owned))
}

pub(crate) fn record(out: &mut impl Write, r: &CallRecord) -> std::io::Result<()> {
    let o = |v: Option<String>| v.unwrap_or_else(|| "-".to_owned());
    row(
        out,
        &[
            r.call_id.to_string(),
            o(r.date.map(|d| d.to_string())),
            o(r.dial_time.map(|t| t.to_string())),
            o(r.status.as_ref().map(ToString::to_string)),
            o(r.amd.as_ref().map(ToString::to_string)),
            o(r.duration_seconds.map(|d| d.to_string())),
            o(r.destination.as_ref().map(ToString::to_string)),
            o(r.value.map(|v| v.to_string())),
            r.dtmf.join("|"),
        ],
    )
}
