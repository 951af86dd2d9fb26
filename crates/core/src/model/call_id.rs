use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

/// A call id (`cd_id` on the wire): `<db alias>_<digits>` as MakeTTSCall
/// returns it (`42_123456`, `abc_1234567`), or bare digits as list responses
/// show it (`9876545`).
///
/// ```
/// use velip_core::CallId;
/// let id: CallId = "42_123456".parse().unwrap();
/// assert_eq!(id.alias(), Some("42"));
/// assert_eq!(id.number(), 123_456);
/// assert_eq!(id.to_string(), "42_123456");
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CallId {
    alias: Option<Box<str>>,
    number: u64,
}

/// Why a text is not a call id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be <alias>_<digits> such as 42_123456, or digits only")]
pub struct CallIdError;

impl CallId {
    /// A bare call id (no alias).
    pub fn new(number: u64) -> Self {
        Self {
            alias: None,
            number,
        }
    }

    /// A call id with a database alias (letters and digits).
    pub fn with_alias(alias: &str, number: u64) -> Result<Self, CallIdError> {
        if alias.is_empty() || !alias.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(CallIdError);
        }
        Ok(Self {
            alias: Some(alias.into()),
            number,
        })
    }

    /// Parses `42_123456`, `abc_1234567` or `123456` (surrounding spaces
    /// trimmed).
    pub fn parse(s: &str) -> Result<Self, CallIdError> {
        let s = s.trim();
        let (alias, digits) = match s.rsplit_once('_') {
            Some((a, d)) => (Some(a), d),
            None => (None, s),
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CallIdError);
        }
        let number = digits.parse().map_err(|_| CallIdError)?;
        match alias {
            Some(a) => Self::with_alias(a, number),
            None => Ok(Self::new(number)),
        }
    }

    /// The database alias, `42` in `42_123456`; `None` for bare ids.
    pub fn alias(&self) -> Option<&str> {
        self.alias.as_deref()
    }

    /// The numeric part, `123456` in `42_123456`. Records are ordered by it,
    /// newest first.
    pub fn number(&self) -> u64 {
        self.number
    }
}

/// `42_123456` or `123456`, as the service writes it.
impl fmt::Display for CallId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.alias {
            Some(a) => write!(f, "{a}_{}", self.number),
            None => write!(f, "{}", self.number),
        }
    }
}

impl fmt::Debug for CallId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CallId({self})")
    }
}

impl FromStr for CallId {
    type Err = CallIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// Serialized as its text, `"42_123456"`.
impl Serialize for CallId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}
