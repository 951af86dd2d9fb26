//! Lenient scalar decoding, per the spec's "Tolerate" notes: numbers sent as
//! strings and strings as numbers; `null`, `""`, `false` and PHP's empty
//! array `[]` as "no value" (never 0); integral floats as integers.

use std::borrow::Cow;
use std::fmt;

use chrono::{NaiveDate, NaiveTime};
use rust_decimal::Decimal;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::model::{CallId, Cursor};
use crate::money::parse_brl_decimal;

/// Any JSON value, reduced to what a scalar field needs. Strings are borrowed
/// from the body when they hold no escapes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Scalar<'a> {
    Null,
    Bool(bool),
    U64(u64),
    I64(i64),
    F64(f64),
    Str(Cow<'a, str>),
    /// An array or object with this many entries (0 = PHP's empty array).
    Nested(&'static str, usize),
}

impl<'de> de::Deserialize<'de> for Scalar<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Scalar::Null)
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(Scalar::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Scalar::Bool(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Scalar::U64(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Scalar::I64(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Scalar::F64(v))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Scalar::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Scalar::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Scalar::Str(Cow::Owned(v)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut n = 0;
        while seq.next_element::<IgnoredAny>()?.is_some() {
            n += 1;
        }
        Ok(Scalar::Nested("array", n))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut n = 0;
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {
            n += 1;
        }
        Ok(Scalar::Nested("object", n))
    }
}

/// Why a scalar does not fit its field; `snippet` quotes the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Misfit {
    pub(crate) rule: &'static str,
    pub(crate) snippet: String,
}

pub(crate) type Fit<T> = Result<Option<T>, Misfit>;

impl Scalar<'_> {
    fn misfit(&self, rule: &'static str) -> Misfit {
        Misfit {
            rule,
            snippet: self.snippet(),
        }
    }

    /// The value quoted for messages (at most 60 characters).
    pub(crate) fn snippet(&self) -> String {
        match self {
            Self::Null => "null".into(),
            Self::Bool(b) => b.to_string(),
            Self::U64(v) => v.to_string(),
            Self::I64(v) => v.to_string(),
            Self::F64(v) => v.to_string(),
            Self::Str(s) => {
                let mut t: String = s.chars().take(60).collect();
                if s.chars().count() > 60 {
                    t.push('…');
                }
                format!("{t:?}")
            }
            Self::Nested(kind, n) => format!("an {kind} of {n} entries"),
        }
    }

    /// "No value": `null`, `""` (or only spaces), `false`, empty `[]`/`{}`.
    fn is_absent(&self) -> bool {
        match self {
            Self::Null | Self::Bool(false) | Self::Nested(_, 0) => true,
            // Most values start with a visible character: no trim needed.
            Self::Str(s) => match s.as_bytes().first() {
                None => true,
                Some(b) if b.is_ascii_graphic() => false,
                Some(_) => s.trim().is_empty(),
            },
            _ => false,
        }
    }

    /// Text; numbers become their decimal text, `true` becomes `"1"`.
    pub(crate) fn text(self) -> Fit<String> {
        if self.is_absent() {
            return Ok(None);
        }
        match self {
            Self::Str(s) => Ok(Some(s.into_owned())),
            Self::U64(v) => Ok(Some(v.to_string())),
            Self::I64(v) => Ok(Some(v.to_string())),
            Self::F64(v) => Ok(Some(v.to_string())),
            Self::Bool(_) => Ok(Some("1".to_owned())),
            other => Err(other.misfit("expected text")),
        }
    }

    /// Text where `""` is a value of its own (DTMF answers: an empty answer
    /// keeps its prompt's place); `null`/absent is `""` too.
    pub(crate) fn text_or_empty(self) -> Result<String, Misfit> {
        match self {
            Self::Str(s) => Ok(s.into_owned()),
            other => other.text().map(Option::unwrap_or_default),
        }
    }

    /// A non-negative integer: `27`, `"27"`, `27.0`, `"27.0"`.
    pub(crate) fn uint(self) -> Fit<u64> {
        const RULE: &str = "expected a non-negative whole number";
        if self.is_absent() {
            return Ok(None);
        }
        match &self {
            Self::U64(v) => Ok(Some(*v)),
            Self::I64(v) => u64::try_from(*v).map(Some).map_err(|_| self.misfit(RULE)),
            Self::F64(v) => float_to_u64(*v).map(Some).ok_or_else(|| self.misfit(RULE)),
            Self::Str(s) => {
                let t = s.trim();
                if let Ok(v) = t.parse::<u64>() {
                    return Ok(Some(v));
                }
                // `27.0` is 27; `1.000` is ambiguous (one thousand in
                // Brazilian notation, or one): reported, never guessed.
                if let Some((_, frac)) = t.split_once('.')
                    && frac.len() == 3
                {
                    return Err(self.misfit(
                        "ambiguous whole number: a dot before three digits may be a thousands separator",
                    ));
                }
                t.parse::<f64>()
                    .ok()
                    .filter(|_| t.bytes().all(|b| b.is_ascii_digit() || b == b'.'))
                    .and_then(float_to_u64)
                    .map(Some)
                    .ok_or_else(|| self.misfit(RULE))
            }
            _ => Err(self.misfit(RULE)),
        }
    }

    /// A flag: `true`/`false`, `1`/`0`, `"1"`/`"0"`, `"true"`/`"false"`;
    /// absent is `false`.
    pub(crate) fn flag(self) -> Result<bool, Misfit> {
        const RULE: &str = "expected a boolean (true/false, 1/0)";
        if self.is_absent() {
            return Ok(false);
        }
        match &self {
            Self::Bool(b) => Ok(*b),
            Self::U64(v) => Ok(*v != 0),
            Self::I64(v) => Ok(*v != 0),
            Self::Str(s) => match s.trim().to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "on" => Ok(true),
                "0" | "false" | "no" | "off" => Ok(false),
                _ => Err(self.misfit(RULE)),
            },
            _ => Err(self.misfit(RULE)),
        }
    }

    /// The text of a string value without copying it (`None` for other
    /// kinds).
    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Self::Str(s) => Some(s),
            _ => None,
        }
    }

    /// `YYYY-MM-DD` (a trailing time, `YYYY-MM-DD HH:MM:SS`, is ignored);
    /// MySQL's zero date `0000-00-00` is no value.
    pub(crate) fn date(self) -> Fit<NaiveDate> {
        const RULE: &str = "expected a date YYYY-MM-DD";
        if self.is_absent() {
            return Ok(None);
        }
        let Some(t) = self.as_str().map(str::trim) else {
            return Err(self.misfit(RULE));
        };
        let day = match t.as_bytes().get(10) {
            Some(b' ' | b'T') => &t[..10],
            _ => t,
        };
        if day == "0000-00-00" {
            return Ok(None);
        }
        if day.len() != 10 {
            return Err(self.misfit(RULE));
        }
        // chrono's ISO parser (FromStr) with no format string to interpret.
        day.parse::<NaiveDate>()
            .map(Some)
            .map_err(|_| self.misfit(RULE))
    }

    /// `HH:MM:SS` or `HH:MM`.
    pub(crate) fn time(self) -> Fit<NaiveTime> {
        const RULE: &str = "expected a time HH:MM:SS";
        if self.is_absent() {
            return Ok(None);
        }
        let Some(t) = self.as_str().map(str::trim) else {
            return Err(self.misfit(RULE));
        };
        if !(t.len() == 8 || t.len() == 5) {
            return Err(self.misfit(RULE));
        }
        t.parse::<NaiveTime>()
            .map(Some)
            .map_err(|_| self.misfit(RULE))
    }

    /// An exact decimal: `"0,050"`, `"1.234,56"`, `"0.050"`, `0.05`, `3`.
    pub(crate) fn decimal(self) -> Fit<Decimal> {
        const RULE: &str = "expected a decimal number such as 0,050";
        if self.is_absent() {
            return Ok(None);
        }
        match &self {
            Self::Str(s) => parse_brl_decimal(s)
                .map(Some)
                .map_err(|_| self.misfit(RULE)),
            Self::U64(v) => Ok(Some(Decimal::from(*v))),
            Self::I64(v) => Ok(Some(Decimal::from(*v))),
            // Shortest round-trip text of the float, parsed exactly.
            Self::F64(v) => v
                .to_string()
                .parse::<Decimal>()
                .map(Some)
                .map_err(|_| self.misfit(RULE)),
            _ => Err(self.misfit(RULE)),
        }
    }

    /// A call id: `9876545`, `"9876545"`, `"42_123456"`.
    pub(crate) fn call_id(self) -> Fit<CallId> {
        const RULE: &str = "expected a call id (digits, or <alias>_<digits>)";
        if self.is_absent() {
            return Ok(None);
        }
        match &self {
            Self::U64(v) => Ok(Some(CallId::new(*v))),
            Self::Str(s) => CallId::parse(s).map(Some).map_err(|_| self.misfit(RULE)),
            Self::F64(v) => float_to_u64(*v)
                .map(|n| Some(CallId::new(n)))
                .ok_or_else(|| self.misfit(RULE)),
            _ => Err(self.misfit(RULE)),
        }
    }

    /// A cursor (`next_id`): an integer or a digit string; `""` is none.
    pub(crate) fn cursor(self) -> Fit<Cursor> {
        const RULE: &str = "expected a cursor (digits) or \"\"";
        if self.is_absent() {
            return Ok(None);
        }
        match &self {
            Self::U64(v) => Ok(Cursor::parse(&v.to_string())),
            Self::F64(v) => float_to_u64(*v)
                .map(|n| Cursor::parse(&n.to_string()))
                .ok_or_else(|| self.misfit(RULE)),
            Self::Str(s) => Cursor::parse(s).map(Some).ok_or_else(|| self.misfit(RULE)),
            _ => Err(self.misfit(RULE)),
        }
    }
}

#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn float_to_u64(v: f64) -> Option<u64> {
    // 2^53: beyond it floats are not exact integers.
    (v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v <= 9_007_199_254_740_992.0)
        .then_some(v as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Scalar<'_> {
        Scalar::Str(Cow::Borrowed(v))
    }

    #[test]
    fn absent_is_none_never_zero() {
        for v in [
            Scalar::Null,
            s(""),
            s("  "),
            Scalar::Bool(false),
            Scalar::Nested("array", 0),
        ] {
            assert_eq!(v.clone().uint(), Ok(None));
            assert_eq!(v.clone().text(), Ok(None));
            assert_eq!(v.clone().decimal(), Ok(None));
            assert_eq!(v.clone().date(), Ok(None));
        }
        assert_eq!(s("0").uint(), Ok(Some(0)));
        assert_eq!(Scalar::U64(0).text(), Ok(Some("0".into())));
    }

    #[test]
    fn numbers_as_strings_and_back() {
        assert_eq!(s("27").uint(), Ok(Some(27)));
        assert_eq!(s("27.0").uint(), Ok(Some(27)));
        assert_eq!(Scalar::F64(27.0).uint(), Ok(Some(27)));
        assert!(s("27.5").uint().is_err());
        assert!(Scalar::I64(-1).uint().is_err());
        assert_eq!(Scalar::F64(0.05).decimal(), Ok(Some(Decimal::new(5, 2))));
        assert_eq!(s("1").flag(), Ok(true));
        assert_eq!(Scalar::U64(0).flag(), Ok(false));
        assert_eq!(s("0000-00-00").date(), Ok(None));
        assert_eq!(
            s("2026-05-06 10:00:00").date(),
            Ok(NaiveDate::from_ymd_opt(2026, 5, 6))
        );
    }
}
