use serde::Serialize;

/// Why one field of a record could not be read. The record is still
/// yielded: the field is left empty (`None`) and the problem says what was
/// there, so nothing is silently lost.
///
/// ```
/// use velip_core::decode::decode_page;
/// let page = decode_page(br#"{"return":{"status":"OK","status_code":"0"},
///   "calls":[{"cd_id":7,"date":"2026-02-30","dur":"27"}]}"#).unwrap();
/// let r = &page.records[0];
/// assert_eq!(r.date, None);
/// assert_eq!(r.duration_seconds, Some(27));
/// assert_eq!(r.problems[0].field, "date");
/// assert_eq!(r.problems[0].raw, "\"2026-02-30\"");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[non_exhaustive]
pub struct Problem {
    /// The wire key that failed (`date`, `dur`, `resp_2`, `cd_id`, ...).
    pub field: String,
    /// The value as received, quoted as JSON text (`"2026-02-30"`, `27.5`),
    /// at most 200 characters.
    pub raw: String,
    /// The rule it broke, in words (`expected a date YYYY-MM-DD`).
    pub rule: String,
}

impl Problem {
    /// A problem on `field` with the raw value and the rule.
    pub fn new(field: impl Into<String>, raw: impl Into<String>, rule: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            raw: raw.into(),
            rule: rule.into(),
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.field.is_empty() {
            f.write_str(&self.rule)?;
        } else {
            write!(f, "field {:?}: {}", self.field, self.rule)?;
        }
        if !self.raw.is_empty() {
            write!(f, ", got {}", self.raw)?;
        }
        Ok(())
    }
}

/// A record that could not be read as a call at all (no readable call id,
/// or not an object): kept with its raw JSON text so that nothing is lost.
/// Exports write these to `FILE.rejected.jsonl`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct RejectedRecord {
    /// 0-based position of the record in the answer's `calls`.
    pub index: usize,
    /// The record's JSON text as received (at most 64 KiB).
    pub raw: String,
    /// Why it was rejected.
    pub problem: Problem,
}

impl RejectedRecord {
    /// A rejected record.
    pub fn new(index: usize, raw: impl Into<String>, problem: Problem) -> Self {
        Self {
            index,
            raw: raw.into(),
            problem,
        }
    }
}
