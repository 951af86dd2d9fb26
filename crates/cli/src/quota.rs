//! How the quota ledger is shown: the wait line, the end-of-job summary.

use std::fmt::Write as _;
use std::time::{Duration, SystemTime};

use velip_blocking::WaitNotice;
use velip_blocking::ledger::AccountReport;

/// `12:07` style.
fn clock(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

/// A moment in the local time of this machine, `15:02`.
pub(crate) fn local(t: SystemTime) -> String {
    chrono::DateTime::<chrono::Local>::from(t)
        .format("%H:%M")
        .to_string()
}

/// The line printed when a quota wait starts:
/// `quota of list requests used (200/200): waiting 41:07, until 15:02;
/// Ctrl-C stops, --resume continues`.
pub(crate) fn wait_line(n: &WaitNotice) -> String {
    let why = n.reason.split("; ").next().unwrap_or(&n.reason);
    format!(
        "{why}: waiting {}, until {}; Ctrl-C stops, --resume continues",
        clock(n.remaining),
        local(n.until)
    )
}

/// `27 list requests; 127 of 200 used this hour` (the window's length in
/// words when it is not an hour).
pub(crate) fn summary(sent: u64, report: Option<&AccountReport>) -> String {
    let mut s = format!("{sent} request{}", if sent == 1 { "" } else { "s" });
    if let Some(r) = report {
        let window = if r.list.window == Duration::from_secs(3600) {
            "this hour".to_owned()
        } else {
            format!("in the last {} s", r.list.window.as_secs())
        };
        let _ = write!(
            s,
            "; {} of {} list requests used {window}",
            r.list.used, r.list.limit
        );
    }
    s
}
