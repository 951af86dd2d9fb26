//! Brazilian phone numbers: parsing every way people and the service write
//! them, validation of the area code (DDD) and subscriber part, and
//! formatting in the three `numtype` styles, E.164 and national display.
//!
//! Masked numbers as the service sends them to tokens without the "full
//! numbers" option (`xxxxx877`) are a type of their own: [`MaskedNumber`].

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The Brazilian country code (DDI), `55`.
pub const COUNTRY_CODE: &str = "55";

/// Area codes (DDD) assigned by Anatel. Anything else is rejected.
const ASSIGNED_DDDS: &[u8] = &[
    11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 22, 24, 27, 28, 31, 32, 33, 34, 35, 37, 38, 41, 42, 43,
    44, 45, 46, 47, 48, 49, 51, 53, 54, 55, 61, 62, 63, 64, 65, 66, 67, 68, 69, 71, 73, 74, 75, 77,
    79, 81, 82, 83, 84, 85, 86, 87, 88, 89, 91, 92, 93, 94, 95, 96, 97, 98, 99,
];

/// Whether `ddd` is an assigned Brazilian area code (`11`–`99`, with gaps).
pub fn is_assigned_ddd(ddd: u8) -> bool {
    ASSIGNED_DDDS.binary_search(&ddd).is_ok()
}

/// How the service writes `dest` in its answer: the request parameter
/// `numtype`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NumberFormat {
    /// `numtype=""` (the service default): country code + DDD + number,
    /// `5511999999999`.
    #[default]
    International,
    /// `numtype=0DDD`: trunk prefix `0` + DDD + number, `011999999999`.
    TrunkPrefixed,
    /// `numtype=DDD`: DDD + number, `11999999999`.
    Ddd,
}

impl NumberFormat {
    /// The value of the wire parameter `numtype`: `""`, `"0DDD"` or `"DDD"`.
    pub fn as_wire(self) -> &'static str {
        match self {
            Self::International => "",
            Self::TrunkPrefixed => "0DDD",
            Self::Ddd => "DDD",
        }
    }

    /// Every style, in the spec's order.
    pub const ALL: [Self; 3] = [Self::International, Self::TrunkPrefixed, Self::Ddd];

    /// The readable name bindings show: `international`, `0ddd`, `ddd`.
    pub fn name(self) -> &'static str {
        match self {
            Self::International => "international",
            Self::TrunkPrefixed => "0ddd",
            Self::Ddd => "ddd",
        }
    }

    /// [`NumberFormat::parse`], or a [`ValidationError`](crate::ValidationError)
    /// naming `numtype` and the accepted names.
    ///
    /// # Errors
    /// When `s` is none of the accepted names.
    pub fn parse_arg(s: &str) -> Result<Self, crate::ValidationError> {
        Self::parse(s).ok_or_else(|| {
            crate::ValidationError::single(
                "numtype",
                "numtype",
                crate::query::ViolationCode::NumberFormat,
                format!(
                    "must be \"international\" (5511999999999), \"0ddd\" (011999999999) or \"ddd\" (11999999999), got {:?}",
                    s.chars().take(40).collect::<String>()
                ),
            )
        })
    }

    /// Parses the wire value (`""`, `"0DDD"`, `"DDD"`, case-insensitive) or
    /// the readable names `international`, `trunk_prefixed` (or `0ddd`),
    /// `ddd`.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "" | "international" | "ddi" => Some(Self::International),
            "0ddd" | "trunk_prefixed" | "trunk-prefixed" | "trunk" => Some(Self::TrunkPrefixed),
            "ddd" => Some(Self::Ddd),
            _ => None,
        }
    }
}

/// Mobile or landline, from the subscriber part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhoneKind {
    /// 9-digit subscriber number starting with `9`.
    Mobile,
    /// 8-digit subscriber number starting with `2`–`5`.
    Landline,
}

/// Why a text is not a valid Brazilian phone number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PhoneError {
    /// Empty input.
    #[error("empty phone number")]
    Empty,
    /// A character other than digits and the usual punctuation
    /// (`+ ( ) - . /` and spaces).
    #[error("unexpected character {0:?} in phone number")]
    InvalidCharacter(char),
    /// `+` followed by a country code other than `55`.
    #[error("country code must be +55 (Brazil)")]
    ForeignCountryCode,
    /// Not a length any Brazilian writing style produces.
    #[error("wrong number of digits ({0}) for a Brazilian phone number")]
    WrongLength(usize),
    /// The area code is not assigned.
    #[error("DDD {0:02} is not an assigned Brazilian area code")]
    UnassignedDdd(u8),
    /// The subscriber part is neither a mobile (9 digits starting with 9)
    /// nor a landline (8 digits starting with 2-5).
    #[error(
        "subscriber number {0:?} is neither a mobile (9 digits, starting with 9) nor a landline (8 digits, starting with 2-5)"
    )]
    InvalidSubscriber(String),
}

/// A valid Brazilian phone number: an assigned DDD plus a mobile or landline
/// subscriber number.
///
/// ```
/// use velip_core::phone::{NumberFormat, PhoneNumber};
/// let n: PhoneNumber = "+55 (11) 99999-9999".parse().unwrap();
/// assert_eq!(n.e164(), "+5511999999999");
/// assert_eq!(n.format(NumberFormat::TrunkPrefixed), "011999999999");
/// assert_eq!(n.national(), "(11) 99999-9999");
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PhoneNumber {
    ddd: u8,
    /// 8 or 9 ASCII digits.
    subscriber: String,
}

impl PhoneNumber {
    /// Parses any common writing of a Brazilian number:
    /// `+55 (11) 99999-9999`, `011 99999-9999`, `(11) 9999-9999`,
    /// `5511999999999`, `11999999999`, `011999999999`.
    ///
    /// Punctuation (`+ ( ) - . /`, spaces) and the trunk `0` are stripped; an
    /// 8-digit subscriber number starting with `6`–`9` is an old-style mobile
    /// and gets the leading `9` the platform adds.
    ///
    /// # Errors
    /// [`PhoneError`] naming what is wrong: foreign country code, wrong
    /// length, unassigned DDD, invalid subscriber number.
    pub fn parse(input: &str) -> Result<Self, PhoneError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(PhoneError::Empty);
        }
        let mut digits = String::with_capacity(16);
        let mut plus = false;
        for (i, c) in trimmed.char_indices() {
            match c {
                '0'..='9' => digits.push(c),
                '+' if i == 0 => plus = true,
                ' ' | '(' | ')' | '-' | '.' | '/' | '\u{a0}' => {}
                other => return Err(PhoneError::InvalidCharacter(other)),
            }
        }
        // `00` is the international call prefix: `0055...` is `+55...`.
        let (plus, digits) = match digits.strip_prefix("00") {
            Some(rest) if !plus => (true, rest.to_owned()),
            _ => (plus, digits),
        };
        let national: &str = if plus {
            let rest = digits
                .strip_prefix(COUNTRY_CODE)
                .ok_or(PhoneError::ForeignCountryCode)?;
            // `+55 (011) ...`: a trunk 0 kept after the country code.
            match rest.strip_prefix('0') {
                Some(r) if r.len() == 10 || r.len() == 11 => r,
                _ => rest,
            }
        } else if let Some(rest) = digits.strip_prefix('0') {
            rest
        } else if (digits.len() == 12 || digits.len() == 13) && digits.starts_with(COUNTRY_CODE) {
            &digits[2..]
        } else {
            &digits
        };
        if national.len() != 10 && national.len() != 11 {
            return Err(PhoneError::WrongLength(digits.len()));
        }
        let ddd: u8 = national[..2]
            .parse()
            .map_err(|_| PhoneError::WrongLength(digits.len()))?;
        if !is_assigned_ddd(ddd) {
            return Err(PhoneError::UnassignedDdd(ddd));
        }
        Self::from_parts(ddd, &national[2..])
    }

    /// Builds a number from its DDD and subscriber digits, with the same
    /// rules as [`PhoneNumber::parse`].
    pub fn from_parts(ddd: u8, subscriber: &str) -> Result<Self, PhoneError> {
        if !is_assigned_ddd(ddd) {
            return Err(PhoneError::UnassignedDdd(ddd));
        }
        let bytes = subscriber.as_bytes();
        if !bytes.iter().all(u8::is_ascii_digit) {
            return Err(PhoneError::InvalidSubscriber(subscriber.to_owned()));
        }
        let subscriber = match (bytes.len(), bytes.first()) {
            (9, Some(b'9')) | (8, Some(b'2'..=b'5')) => subscriber.to_owned(),
            // Old 8-digit mobile: the platform adds the leading 9.
            (8, Some(b'6'..=b'9')) => format!("9{subscriber}"),
            _ => return Err(PhoneError::InvalidSubscriber(subscriber.to_owned())),
        };
        Ok(Self { ddd, subscriber })
    }

    /// The area code (DDD), `11`–`99`.
    pub fn ddd(&self) -> u8 {
        self.ddd
    }

    /// The subscriber digits: 9 for a mobile, 8 for a landline.
    pub fn subscriber(&self) -> &str {
        &self.subscriber
    }

    /// Mobile or landline.
    pub fn kind(&self) -> PhoneKind {
        if self.subscriber.len() == 9 {
            PhoneKind::Mobile
        } else {
            PhoneKind::Landline
        }
    }

    /// Digits as the service writes them for a `numtype`:
    /// `5511999999999`, `011999999999` or `11999999999`.
    pub fn format(&self, format: NumberFormat) -> String {
        match format {
            NumberFormat::International => {
                format!("{COUNTRY_CODE}{:02}{}", self.ddd, self.subscriber)
            }
            NumberFormat::TrunkPrefixed => format!("0{:02}{}", self.ddd, self.subscriber),
            NumberFormat::Ddd => format!("{:02}{}", self.ddd, self.subscriber),
        }
    }

    /// E.164: `+5511999999999`.
    pub fn e164(&self) -> String {
        self.to_string()
    }

    /// National display: `(11) 99999-9999` (mobile) or `(11) 3333-4444`
    /// (landline).
    pub fn national(&self) -> String {
        let split = self.subscriber.len() - 4;
        format!(
            "({:02}) {}-{}",
            self.ddd,
            &self.subscriber[..split],
            &self.subscriber[split..]
        )
    }
}

impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PhoneNumber({})", self.e164())
    }
}

/// Displays in E.164 (`+5511999999999`).
impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Written in place (no intermediate `String`): columnar and CSV
        // writers format millions of these.
        write!(f, "+{COUNTRY_CODE}{:02}{}", self.ddd, self.subscriber)
    }
}

impl FromStr for PhoneNumber {
    type Err = PhoneError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// Serialized as E.164 text.
impl Serialize for PhoneNumber {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.e164())
    }
}

impl<'de> Deserialize<'de> for PhoneNumber {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A number the service masked (`xxxxx877`): some leading `x`s, then the
/// digits it kept visible. Not a valid phone number, and never an error.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MaskedNumber(String);

impl MaskedNumber {
    /// Recognises the masked shape: one or more `x`/`X`, then zero or more
    /// digits, nothing else.
    ///
    /// ```
    /// use velip_core::phone::MaskedNumber;
    /// let m = MaskedNumber::parse("xxxxx877").unwrap();
    /// assert_eq!(m.visible_digits(), "877");
    /// assert!(MaskedNumber::parse("5511999999999").is_none());
    /// ```
    pub fn parse(s: &str) -> Option<Self> {
        let t = s.trim();
        let digits_at = t.find(|c: char| c != 'x' && c != 'X').unwrap_or(t.len());
        if digits_at == 0 || !t[digits_at..].bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(Self(t.to_owned()))
    }

    /// The text as the service sent it, `xxxxx877`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The trailing digits left visible, `877`.
    pub fn visible_digits(&self) -> &str {
        self.0.trim_start_matches(['x', 'X'])
    }
}

impl fmt::Display for MaskedNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A record's destination (`dest` on the wire): a valid phone number, a
/// masked number, or the raw text when it is neither (never a decode error).
#[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Destination {
    /// A valid Brazilian number.
    Phone(PhoneNumber),
    /// A masked number, `xxxxx877`.
    Masked(MaskedNumber),
    /// Anything else, kept verbatim (a foreign number, a SIP URI, ...).
    Raw(String),
}

impl Destination {
    /// Classifies wire text: masked first, then phone, else raw.
    pub fn from_wire(s: &str) -> Self {
        if let Some(m) = MaskedNumber::parse(s) {
            Self::Masked(m)
        } else if let Ok(p) = PhoneNumber::parse(s) {
            Self::Phone(p)
        } else {
            Self::Raw(s.to_owned())
        }
    }

    /// The text the service writes by default (`numtype` empty): country
    /// code + area code + number for phone numbers (`5511999999999`),
    /// masked and raw texts verbatim.
    pub fn to_wire(&self) -> String {
        match self {
            Self::Phone(p) => p.format(NumberFormat::International),
            Self::Masked(m) => m.as_str().to_owned(),
            Self::Raw(r) => r.clone(),
        }
    }

    /// The phone number, when it is one.
    pub fn phone(&self) -> Option<&PhoneNumber> {
        match self {
            Self::Phone(p) => Some(p),
            _ => None,
        }
    }

    /// Whether the service masked it.
    pub fn is_masked(&self) -> bool {
        matches!(self, Self::Masked(_))
    }
}

/// Phone numbers display in E.164, masked and raw ones verbatim.
impl fmt::Display for Destination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Phone(p) => fmt::Display::fmt(p, f),
            Self::Masked(m) => fmt::Display::fmt(m, f),
            Self::Raw(r) => f.write_str(r),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_common_form() {
        for s in [
            "+55 (11) 99999-9999",
            "011 99999-9999",
            "5511999999999",
            "11999999999",
            "011999999999",
            "(11) 9999-9999",
            "11 9999.9999",
            "0055 11 99999 9999",
            "+55 (011) 99999-9999",
        ] {
            let n = PhoneNumber::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
            assert_eq!(n.e164(), "+5511999999999", "{s}");
        }
        let land = PhoneNumber::parse("551133334444").unwrap();
        assert_eq!(land.kind(), PhoneKind::Landline);
        assert_eq!(land.national(), "(11) 3333-4444");
        assert_eq!(land.format(NumberFormat::Ddd), "1133334444");
    }

    #[test]
    fn rejects_with_reasons() {
        insta::assert_snapshot!(
            [
                "",
                "+1 415 555 0100",
                "(20) 99999-9999",
                "11 1234-5678",
                "123",
                "11 99999-999a",
                "00 1 415 555 0100"
            ]
            .iter()
            .map(|s| format!("{s:?} -> {}", PhoneNumber::parse(s).unwrap_err()))
            .collect::<Vec<_>>()
            .join("\n")
        );
    }

    #[test]
    fn destination_classification() {
        assert!(Destination::from_wire("xxxxx877").is_masked());
        assert!(Destination::from_wire("5521987650001").phone().is_some());
        assert_eq!(
            Destination::from_wire("sip:foo@bar"),
            Destination::Raw("sip:foo@bar".into())
        );
        assert_eq!(
            Destination::from_wire("x1").to_string(),
            "x1",
            "short masks are masks too"
        );
    }

    #[test]
    fn number_format_names() {
        for f in [
            NumberFormat::International,
            NumberFormat::TrunkPrefixed,
            NumberFormat::Ddd,
        ] {
            assert_eq!(NumberFormat::parse(f.as_wire()), Some(f));
        }
    }
}
