use std::fmt;

use serde::Serialize;

/// A pagination cursor: the `next_id` of one page, sent back verbatim as
/// `last_id` to get the next one. Opaque: no arithmetic is ever done on it.
///
/// The service sends it as an integer or a digit string (`9876544`); an
/// empty string means "no next page" and never becomes a cursor.
///
/// ```
/// use velip_core::Cursor;
/// let c = Cursor::parse("9876544").unwrap();
/// assert_eq!(c.as_str(), "9876544");
/// assert!(Cursor::parse("").is_none());
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Cursor(String);

impl Cursor {
    /// Accepts one or more ASCII digits (spaces around are trimmed); anything
    /// else is `None`.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        (!s.is_empty() && s.len() <= 30 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| Self(s.to_owned()))
    }

    /// The cursor text, as it goes on the wire as `last_id`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cursor({})", self.0)
    }
}
