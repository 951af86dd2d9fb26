use std::fmt;

use super::record::Context;
use super::text;

/// Longest snippet of the body quoted in an error.
pub(crate) const SNIPPET_MAX: usize = 200;

/// A body that cannot be decoded: where (record, call id, field) and a
/// short snippet (at most 200 characters) of what was there.
///
/// `Display` reads like: `cannot decode answer (HTTP 200): record 2 (cd_id
/// 42_1000201), field "date": expected a date YYYY-MM-DD, got "2026-13-01"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    http_status: Option<u16>,
    record: Option<usize>,
    call_id: Option<String>,
    field: Option<String>,
    message: String,
    snippet: String,
}

impl DecodeError {
    pub(crate) fn from_serde(
        e: &serde_json::Error,
        body: &str,
        ctx: &Context,
        http_status: Option<u16>,
    ) -> Self {
        let pos = ctx.inner.borrow().clone();
        let syntax = !matches!(e.classify(), serde_json::error::Category::Data);
        let (message, snippet) = if body.trim().is_empty() {
            ("empty body".to_owned(), String::new())
        } else if syntax {
            let what = match e.classify() {
                serde_json::error::Category::Eof => "body cut short",
                serde_json::error::Category::Io => "cannot read body",
                _ => "not valid JSON",
            };
            let at = text::offset_of(body, e.line(), e.column());
            (
                format!("{what} at line {} column {}", e.line(), e.column()),
                text::snippet_around(body, at, SNIPPET_MAX),
            )
        } else {
            let msg = e.to_string();
            // serde_json appends " at line L column C"; keep the rule only.
            let rule = msg
                .rsplit_once(" at line ")
                .map_or(msg.as_str(), |(r, _)| r);
            if let Some(s) = &pos.snippet {
                (rule.to_owned(), s.clone())
            } else {
                let at = text::offset_of(body, e.line(), e.column());
                (rule.to_owned(), text::snippet_around(body, at, SNIPPET_MAX))
            }
        };
        Self {
            http_status,
            record: pos.record,
            call_id: pos.call_id,
            field: if syntax { None } else { pos.field },
            message,
            snippet: truncate(&snippet),
        }
    }

    /// A record that cannot be read as a call (a webhook delivery without a
    /// readable call id).
    pub(crate) fn rejected(p: &crate::model::Problem, body: &str) -> Self {
        Self {
            http_status: None,
            record: Some(0),
            call_id: None,
            field: (!p.field.is_empty()).then(|| p.field.clone()),
            message: p.rule.clone(),
            snippet: truncate(if p.raw.is_empty() { body } else { &p.raw }),
        }
    }

    pub(crate) fn shape(http_status: Option<u16>, message: &str, body: &str) -> Self {
        Self {
            http_status,
            record: None,
            call_id: None,
            field: None,
            message: message.to_owned(),
            snippet: truncate(&text::fold_ws(body)),
        }
    }

    /// The same error noting the answer's `Content-Type` (a body that is not
    /// JSON: an HTML page from a proxy, say).
    #[must_use]
    pub(crate) fn with_content_type(mut self, content_type: &str) -> Self {
        let ct: String = content_type.chars().take(60).collect();
        self.message = format!("{} (Content-Type: {})", self.message, ct.trim());
        self
    }

    /// The HTTP status of the answer, when known.
    pub fn http_status(&self) -> Option<u16> {
        self.http_status
    }
    /// 0-based index of the record in `calls`, when the error is inside one.
    pub fn record_index(&self) -> Option<usize> {
        self.record
    }
    /// The call id of that record, when it was read before the error.
    pub fn call_id(&self) -> Option<&str> {
        self.call_id.as_deref()
    }
    /// The wire field that failed (`date`, `pagination.next_id`, ...).
    pub fn field(&self) -> Option<&str> {
        self.field.as_deref()
    }
    /// What is wrong.
    pub fn message(&self) -> &str {
        &self.message
    }
    /// At most 200 characters of the offending value or body.
    pub fn snippet(&self) -> &str {
        &self.snippet
    }
}

fn truncate(s: &str) -> String {
    if s.chars().count() <= SNIPPET_MAX {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(SNIPPET_MAX - 1).collect();
        t.push('…');
        t
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("cannot decode answer")?;
        if let Some(s) = self.http_status {
            write!(f, " (HTTP {s})")?;
        }
        f.write_str(": ")?;
        if let Some(r) = self.record {
            write!(f, "record {r}")?;
            if let Some(id) = &self.call_id {
                write!(f, " (cd_id {id})")?;
            }
            f.write_str(", ")?;
        }
        if let Some(field) = &self.field {
            write!(f, "field {field:?}: ")?;
        }
        write!(f, "{}", self.message)?;
        if !self.snippet.is_empty() {
            let lead = if self.field.is_some() { "got" } else { "near" };
            write!(f, ", {lead}: {}", self.snippet)?;
        }
        Ok(())
    }
}

impl std::error::Error for DecodeError {}
