//! The stats report (`velip_store::stats::StatsReport`) as a table for
//! people or as CSV rows (`section,key,value,share`).

use std::io::Write;

use velip_store::rows::csv::CsvDialect;
use velip_store::stats::{CountRow, StatsReport};

fn percent(share: Option<f64>) -> String {
    share.map_or_else(|| "-".to_owned(), |s| format!("{:.1}%", s * 100.0))
}

fn count_key(r: &CountRow, none: &str) -> String {
    r.key.clone().unwrap_or_else(|| format!("({none})"))
}

/// The table: the totals, then calls by status, by AMD, and per DTMF
/// prompt (at most `top` answers each, the rest summed).
pub(crate) fn table(out: &mut impl Write, r: &StatsReport, top: usize) -> std::io::Result<()> {
    writeln!(
        out,
        "records       {} ({} final, {} in progress)",
        r.records, r.final_calls, r.in_progress
    )?;
    writeln!(
        out,
        "answer rate   {} ({} of {} final calls answered)",
        percent(r.answer_rate),
        r.answered,
        r.final_calls
    )?;
    writeln!(
        out,
        "talk time     {} s in all, {} per answered call",
        r.duration.total_seconds,
        r.duration
            .mean_seconds
            .map_or_else(|| "-".to_owned(), |m| format!("{m:.1} s"))
    )?;
    writeln!(
        out,
        "value         {} BRL in all ({} calls with a value)",
        r.value
            .total
            .map_or_else(|| "overflow".to_owned(), |v| v.to_string()),
        r.value.calls
    )?;
    if let (Some(f), Some(l)) = (r.first_date, r.last_date) {
        writeln!(out, "days          {f} to {l} (America/Sao_Paulo)")?;
    }
    if r.records_with_problems > 0 || r.rejected > 0 {
        writeln!(
            out,
            "unreadable    {} records with a field that could not be read, {} entries without a call id",
            r.records_with_problems, r.rejected
        )?;
    }
    let row = |out: &mut dyn Write, k: &str, calls: u64, share: String, name: &str| {
        let line = format!("{k:<14}{calls:>8}  {share:>6}  {name}");
        writeln!(out, "{}", line.trim_end())
    };
    writeln!(out)?;
    writeln!(out, "{:<14}{:>8}  {:>6}", "STATUS", "CALLS", "SHARE")?;
    for s in &r.status {
        let name = if s.key.is_some() { s.name } else { "" };
        row(
            out,
            &count_key(s, "in progress"),
            s.calls,
            percent(s.share),
            name,
        )?;
    }
    writeln!(out)?;
    writeln!(out, "{:<14}{:>8}  {:>6}", "AMD", "CALLS", "SHARE")?;
    for a in &r.amd {
        let name = if a.key.is_some() { a.name } else { "" };
        row(out, &count_key(a, "off"), a.calls, percent(a.share), name)?;
    }
    for p in &r.dtmf {
        writeln!(out)?;
        writeln!(
            out,
            "{:<14}{:>8}  {:>6}  ({} calls with this prompt, {} answered)",
            format!("DTMF {}", p.prompt),
            "CALLS",
            "SHARE",
            p.calls,
            p.answered
        )?;
        for a in p.answers.iter().take(top) {
            row(out, &a.answer, a.calls, percent(a.share), "")?;
        }
        let rest: Vec<_> = p.answers.iter().skip(top).collect();
        let rest_calls: u64 = rest.iter().map(|a| a.calls).sum::<u64>() + p.other_answers;
        if rest_calls > 0 {
            #[allow(clippy::cast_precision_loss)] // a share for people
            let share = (p.calls > 0).then(|| rest_calls as f64 / p.calls as f64);
            let what = if p.other_answers > 0 {
                format!(
                    "{}+ other answers (free entry: only the first {} different ones are counted one by one)",
                    rest.len() + 1,
                    p.answers.len()
                )
            } else {
                format!("{} other answers", rest.len())
            };
            row(out, "(others)", rest_calls, percent(share), &what)?;
        }
        if p.unanswered > 0 {
            #[allow(clippy::cast_precision_loss)] // a share for people
            let share = (p.calls > 0).then(|| p.unanswered as f64 / p.calls as f64);
            row(out, "(no answer)", p.unanswered, percent(share), "")?;
        }
    }
    if r.prompts_capped {
        writeln!(
            out,
            "\nnote: some records have more than {} prompts; the rest are not counted",
            velip_store::stats::MAX_PROMPTS
        )?;
    }
    Ok(())
}

/// The report as CSV rows `section,key,value,share`: `records`,
/// `duration`, `value`, then `status`, `amd` and `dtmf_N` rows (keys in
/// parentheses are not wire texts: `(in progress)`, `(off)`, `(no
/// answer)`, `(other answers)`).
pub(crate) fn csv(out: impl Write, r: &StatsReport, dialect: CsvDialect) -> std::io::Result<()> {
    let comma = dialect == CsvDialect::PtBr;
    let mut w = csv::WriterBuilder::new()
        .delimiter(if comma { b';' } else { b',' })
        .terminator(csv::Terminator::CRLF)
        .from_writer(out);
    let num = |s: String| if comma { s.replace('.', ",") } else { s };
    let share = |s: Option<f64>| s.map(|v| num(format!("{v:.4}"))).unwrap_or_default();
    let mut rows: Vec<[String; 4]> = vec![
        [
            "records".into(),
            "all".into(),
            r.records.to_string(),
            String::new(),
        ],
        [
            "records".into(),
            "final".into(),
            r.final_calls.to_string(),
            String::new(),
        ],
        [
            "records".into(),
            "in_progress".into(),
            r.in_progress.to_string(),
            String::new(),
        ],
        [
            "records".into(),
            "answered".into(),
            r.answered.to_string(),
            share(r.answer_rate),
        ],
        [
            "duration".into(),
            "total_seconds".into(),
            r.duration.total_seconds.to_string(),
            String::new(),
        ],
        [
            "duration".into(),
            "mean_seconds".into(),
            r.duration
                .mean_seconds
                .map(|m| num(format!("{m:.1}")))
                .unwrap_or_default(),
            String::new(),
        ],
        [
            "value".into(),
            "total_brl".into(),
            r.value
                .total
                .map(|v| num(v.to_string()))
                .unwrap_or_default(),
            String::new(),
        ],
    ];
    for s in &r.status {
        rows.push([
            "status".into(),
            count_key(s, "in progress"),
            s.calls.to_string(),
            share(s.share),
        ]);
    }
    for a in &r.amd {
        rows.push([
            "amd".into(),
            count_key(a, "off"),
            a.calls.to_string(),
            share(a.share),
        ]);
    }
    for p in &r.dtmf {
        let section = format!("dtmf_{}", p.prompt);
        for a in &p.answers {
            rows.push([
                section.clone(),
                a.answer.clone(),
                a.calls.to_string(),
                share(a.share),
            ]);
        }
        if p.other_answers > 0 {
            rows.push([
                section.clone(),
                "(other answers)".into(),
                p.other_answers.to_string(),
                String::new(),
            ]);
        }
        #[allow(clippy::cast_precision_loss)] // a share
        let unanswered = (p.calls > 0).then(|| p.unanswered as f64 / p.calls as f64);
        rows.push([
            section,
            "(no answer)".into(),
            p.unanswered.to_string(),
            share(unanswered),
        ]);
    }
    let header: [&str; 4] = ["section", "key", "value", "share"];
    w.write_record(header).map_err(std::io::Error::from)?;
    for row in rows {
        w.write_record(&row).map_err(std::io::Error::from)?;
    }
    w.flush()
}
