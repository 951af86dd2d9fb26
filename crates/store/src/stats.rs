//! [`Stats`]: what a selection of calls adds up to (counts by status and
//! AMD, answer rate, durations, the amount charged, and each DTMF prompt's
//! answers), accumulated page by page in bounded memory.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use serde::Serialize;
use velip_core::{CallRecord, Decimal, Page};

/// DTMF prompts tallied (`resp_1` … `resp_100`); further prompts of a
/// record are not counted ([`StatsReport::prompts_capped`]).
pub const MAX_PROMPTS: usize = 100;

/// Different answers tallied per prompt by default: a prompt with more (a
/// birth date or a document number typed on the keypad) counts the first
/// ones seen and sums the rest as [`PromptReport::other_answers`].
pub const DEFAULT_ANSWER_LIMIT: usize = 200;

#[derive(Debug, Clone, Default)]
struct PromptTally {
    /// Records that had this prompt.
    calls: u64,
    /// Of which with no answer (`""`).
    unanswered: u64,
    answers: HashMap<String, u64>,
    /// Answers not tallied one by one (past the answer limit).
    other: u64,
}

/// The accumulator: feed it pages ([`add_page`](Self::add_page)) or
/// records ([`add`](Self::add)), then read the [`report`](Self::report).
///
/// Memory stays bounded whatever the selection: counts per status and AMD
/// text, and per prompt at most `answer_limit` different answers.
///
/// ```
/// use velip_store::stats::Stats;
/// let body = std::fs::read("../../tests/fixtures/list_documented.json")?;
/// let page = velip_core::decode::decode_page(&body)?;
/// let mut stats = Stats::new();
/// stats.add_page(&page);
/// let report = stats.report();
/// assert_eq!(report.records, page.records.len() as u64);
/// assert!(report.answer_rate.is_some());
/// println!("{}", serde_json::to_string_pretty(&report)?);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Stats {
    records: u64,
    in_progress: u64,
    answered: u64,
    by_status: BTreeMap<String, (u64, &'static str)>,
    by_amd: BTreeMap<String, (u64, &'static str)>,
    amd_off: u64,
    duration_total: u64,
    duration_calls: u64,
    value_total: Option<Decimal>,
    value_calls: u64,
    first_date: Option<NaiveDate>,
    last_date: Option<NaiveDate>,
    prompts: Vec<PromptTally>,
    prompts_capped: bool,
    with_problems: u64,
    rejected: u64,
    answer_limit: usize,
}

impl Default for Stats {
    fn default() -> Self {
        Self::new()
    }
}

impl Stats {
    /// An empty accumulator, tallying up to [`DEFAULT_ANSWER_LIMIT`]
    /// different answers per prompt.
    pub fn new() -> Self {
        Self {
            records: 0,
            in_progress: 0,
            answered: 0,
            by_status: BTreeMap::new(),
            by_amd: BTreeMap::new(),
            amd_off: 0,
            duration_total: 0,
            duration_calls: 0,
            value_total: Some(Decimal::ZERO),
            value_calls: 0,
            first_date: None,
            last_date: None,
            prompts: Vec::new(),
            prompts_capped: false,
            with_problems: 0,
            rejected: 0,
            answer_limit: DEFAULT_ANSWER_LIMIT,
        }
    }

    /// Tally at most `n` different answers per prompt (the rest are summed
    /// as other answers).
    #[must_use]
    pub fn with_answer_limit(mut self, n: usize) -> Self {
        self.answer_limit = n;
        self
    }

    /// Records added so far.
    pub fn records(&self) -> u64 {
        self.records
    }

    /// Adds a page's records and counts its rejected entries.
    pub fn add_page(&mut self, page: &Page) {
        for r in &page.records {
            self.add(r);
        }
        self.rejected += page.rejected.len() as u64;
    }

    /// Adds one record.
    pub fn add(&mut self, r: &CallRecord) {
        self.records += 1;
        if !r.problems.is_empty() {
            self.with_problems += 1;
        }
        match &r.status {
            None => self.in_progress += 1,
            Some(s) => {
                let e = self
                    .by_status
                    .entry(s.as_wire().to_owned())
                    .or_insert((0, s.name()));
                e.0 += 1;
                if s.is_answered() {
                    self.answered += 1;
                    if let Some(d) = r.duration_seconds {
                        self.duration_total = self.duration_total.saturating_add(d);
                        self.duration_calls += 1;
                    }
                }
            }
        }
        match &r.amd {
            None => self.amd_off += 1,
            Some(a) => {
                let e = self
                    .by_amd
                    .entry(a.as_wire().to_owned())
                    .or_insert((0, a.name()));
                e.0 += 1;
            }
        }
        if let Some(v) = r.value {
            self.value_calls += 1;
            self.value_total = self.value_total.and_then(|t| t.checked_add(v));
        }
        if let Some(d) = r.date {
            self.first_date = Some(self.first_date.map_or(d, |f| f.min(d)));
            self.last_date = Some(self.last_date.map_or(d, |l| l.max(d)));
        }
        if r.dtmf.len() > MAX_PROMPTS {
            self.prompts_capped = true;
        }
        let n = r.dtmf.len().min(MAX_PROMPTS);
        if self.prompts.len() < n {
            self.prompts.resize_with(n, PromptTally::default);
        }
        for (answer, t) in r.dtmf.iter().zip(self.prompts.iter_mut()) {
            t.calls += 1;
            if answer.is_empty() {
                t.unanswered += 1;
            } else if let Some(c) = t.answers.get_mut(answer.as_str()) {
                *c += 1;
            } else if t.answers.len() < self.answer_limit {
                t.answers.insert(answer.clone(), 1);
            } else {
                t.other += 1;
            }
        }
    }

    /// What the records add up to so far.
    pub fn report(&self) -> StatsReport {
        let share = |n: u64, of: u64| {
            #[allow(clippy::cast_precision_loss)] // a ratio for people
            (of > 0).then(|| n as f64 / of as f64)
        };
        let final_calls = self.records - self.in_progress;
        let mut status: Vec<CountRow> = self
            .by_status
            .iter()
            .map(|(wire, (n, name))| CountRow {
                key: Some(wire.clone()),
                name,
                calls: *n,
                share: share(*n, self.records),
            })
            .collect();
        if self.in_progress > 0 {
            status.push(CountRow {
                key: None,
                name: "in_progress",
                calls: self.in_progress,
                share: share(self.in_progress, self.records),
            });
        }
        sort_rows(&mut status);
        let mut amd: Vec<CountRow> = self
            .by_amd
            .iter()
            .map(|(wire, (n, name))| CountRow {
                key: Some(wire.clone()),
                name,
                calls: *n,
                share: share(*n, self.records),
            })
            .collect();
        if self.amd_off > 0 {
            amd.push(CountRow {
                key: None,
                name: "off",
                calls: self.amd_off,
                share: share(self.amd_off, self.records),
            });
        }
        sort_rows(&mut amd);
        let dtmf = self
            .prompts
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let mut answers: Vec<AnswerRow> = t
                    .answers
                    .iter()
                    .map(|(a, n)| AnswerRow {
                        answer: a.clone(),
                        calls: *n,
                        share: share(*n, t.calls),
                    })
                    .collect();
                answers.sort_by(|a, b| b.calls.cmp(&a.calls).then_with(|| a.answer.cmp(&b.answer)));
                PromptReport {
                    prompt: i + 1,
                    calls: t.calls,
                    answered: t.calls - t.unanswered,
                    unanswered: t.unanswered,
                    answers,
                    other_answers: t.other,
                }
            })
            .collect();
        #[allow(clippy::cast_precision_loss)] // a mean for people
        let mean = (self.duration_calls > 0)
            .then(|| self.duration_total as f64 / self.duration_calls as f64);
        StatsReport {
            records: self.records,
            final_calls,
            in_progress: self.in_progress,
            answered: self.answered,
            answer_rate: share(self.answered, final_calls),
            status,
            amd,
            duration: DurationReport {
                total_seconds: self.duration_total,
                mean_seconds: mean,
                calls: self.duration_calls,
            },
            value: ValueReport {
                total: self.value_total,
                currency: "BRL",
                calls: self.value_calls,
            },
            first_date: self.first_date,
            last_date: self.last_date,
            dtmf,
            prompts_capped: self.prompts_capped,
            records_with_problems: self.with_problems,
            rejected: self.rejected,
        }
    }
}

fn sort_rows(rows: &mut [CountRow]) {
    rows.sort_by(|a, b| b.calls.cmp(&a.calls).then_with(|| a.key.cmp(&b.key)));
}

/// The totals of a selection (serializes to the JSON of `velip calls stats
/// --format json`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct StatsReport {
    /// Records.
    pub records: u64,
    /// Records with a final status (`cd_status` set).
    pub final_calls: u64,
    /// Records of calls still in progress (empty `cd_status`).
    pub in_progress: u64,
    /// Answered calls (`OK`).
    pub answered: u64,
    /// `answered / final_calls` (calls in progress left out); `None`
    /// without final calls.
    pub answer_rate: Option<f64>,
    /// Calls per status (wire text in `key`, `None` for in progress), most
    /// first; `share` of all records.
    pub status: Vec<CountRow>,
    /// Calls per AMD result (`MA`, `HM`, `ND`; `None` for AMD off), most
    /// first; `share` of all records.
    pub amd: Vec<CountRow>,
    /// Talk time of the answered calls.
    pub duration: DurationReport,
    /// The amount charged (`value`).
    pub value: ValueReport,
    /// The first call date (America/Sao_Paulo).
    pub first_date: Option<NaiveDate>,
    /// The last call date (America/Sao_Paulo).
    pub last_date: Option<NaiveDate>,
    /// Each DTMF prompt's answers, `resp_1` first.
    pub dtmf: Vec<PromptReport>,
    /// Whether some record had more than [`MAX_PROMPTS`] prompts (the rest
    /// are not counted).
    pub prompts_capped: bool,
    /// Records with a field that could not be read.
    pub records_with_problems: u64,
    /// Entries without a readable call id (not counted above).
    pub rejected: u64,
}

/// Calls with one status or AMD result.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct CountRow {
    /// The wire text (`OK`, `HM`, ...); `None` for "in progress" (status) or
    /// "AMD off".
    pub key: Option<String>,
    /// A readable name (`answered`, `human`, `in_progress`, `off`, ...).
    pub name: &'static str,
    /// Calls.
    pub calls: u64,
    /// `calls / records`.
    pub share: Option<f64>,
}

/// Talk time of answered calls (`dur`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct DurationReport {
    /// Seconds, summed.
    pub total_seconds: u64,
    /// Seconds per answered call with a duration.
    pub mean_seconds: Option<f64>,
    /// Answered calls with a duration.
    pub calls: u64,
}

/// The amount charged (`value`), exact.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct ValueReport {
    /// The sum, exact (`"123.450"`); `None` if it overflowed a decimal.
    #[serde(with = "rust_decimal::serde::str_option")]
    pub total: Option<Decimal>,
    /// Always `BRL`.
    pub currency: &'static str,
    /// Calls with a value.
    pub calls: u64,
}

/// One DTMF prompt (`resp_N`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct PromptReport {
    /// The prompt's number, 1 for `resp_1`.
    pub prompt: usize,
    /// Calls that had this prompt.
    pub calls: u64,
    /// Of which answered.
    pub answered: u64,
    /// Of which not answered.
    pub unanswered: u64,
    /// Answers, most first; `share` of `calls`.
    pub answers: Vec<AnswerRow>,
    /// Answers not tallied one by one (a prompt with more different
    /// answers than the limit: free entry such as a birth date).
    pub other_answers: u64,
}

/// Calls with one answer to a prompt.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct AnswerRow {
    /// The digits, as typed (`08031953` keeps its zero).
    pub answer: String,
    /// Calls.
    pub calls: u64,
    /// `calls / prompt calls`.
    pub share: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(json: &str) -> CallRecord {
        velip_core::decode::decode_record(json.as_bytes()).unwrap()
    }

    #[test]
    fn counts_rates_and_answers() {
        let mut s = Stats::new().with_answer_limit(2);
        for j in [
            r#"{"cd_id":1,"cd_status":"OK","cd_amdasw":"HM","dur":30,"value":"0,050","date":"2026-11-19","resp_1":"1","resp_2":"08031953"}"#,
            r#"{"cd_id":2,"cd_status":"OK","cd_amdasw":"MA","dur":10,"value":"0,025","date":"2026-11-20","resp_1":"1","resp_2":""}"#,
            r#"{"cd_id":3,"cd_status":"BUSY","value":"0,000","date":"2026-11-20","resp_1":"2","resp_2":"1"}"#,
            r#"{"cd_id":4,"cd_status":"","resp_1":"3"}"#,
        ] {
            s.add(&record(j));
        }
        let r = s.report();
        assert_eq!(
            (r.records, r.final_calls, r.in_progress, r.answered),
            (4, 3, 1, 2)
        );
        assert_eq!(r.answer_rate, Some(2.0 / 3.0));
        assert_eq!(r.status[0].key.as_deref(), Some("OK"));
        assert_eq!(r.status[0].calls, 2);
        assert_eq!(r.duration.total_seconds, 40);
        assert_eq!(r.duration.mean_seconds, Some(20.0));
        assert_eq!(r.value.total.unwrap().to_string(), "0.075");
        assert_eq!(r.first_date.unwrap().to_string(), "2026-11-19");
        assert_eq!(r.dtmf.len(), 2);
        assert_eq!(r.dtmf[0].answers[0].answer, "1");
        assert_eq!(r.dtmf[0].answers[0].calls, 2);
        // The third different answer of prompt 1 is past the limit of 2.
        assert_eq!(r.dtmf[0].other_answers, 1);
        assert_eq!(r.dtmf[1].unanswered, 1);
        assert!(r.dtmf[1].answers.iter().any(|a| a.answer == "08031953"));
    }

    #[test]
    fn an_empty_selection_has_no_rates() {
        let r = Stats::new().report();
        assert_eq!(r.records, 0);
        assert_eq!(r.answer_rate, None);
        assert_eq!(r.duration.mean_seconds, None);
        assert_eq!(r.value.total, Some(Decimal::ZERO));
    }
}
