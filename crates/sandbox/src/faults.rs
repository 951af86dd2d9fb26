//! Fault injection: a plan that picks faults per request number, either
//! scripted (request `n`, requests `a..=b`, every request from `n` on, every
//! request) or by a seeded probability.
//!
//! Request numbers count calls to the API endpoint from 1, restarting when a
//! plan is installed ([`Sandbox::set_faults`](crate::Sandbox::set_faults)) or
//! the sandbox is [reset](crate::Sandbox::reset). Probabilistic rules are
//! deterministic: the same seed and request number give the same decision.
//!
//! Faults come in two groups ([`Fault::is_content`]):
//!
//! - **transport faults** decide how the answer travels, or replace it
//!   (`5xx`, `503`, `reset`, `delay`, `trickle`, `truncate`, `badjson`,
//!   `429`): a request gets at most one, the first rule that fires;
//! - **content faults** change what a normal answer says (`stuck`,
//!   `badrecord`, `badfield`, `nocdid`, `freshcursor`, `nopagination`,
//!   `nohasmore`, `nonextid`): every rule that fires applies, together with
//!   the transport fault if any. So `*=badfield:...` (a persistent bad
//!   record) and `3=503` combine: request 3 is a `503`, every other answer
//!   carries the bad field.
//!
//! Plans can also be written as text (the binary's `--fault` flag), one rule
//! per string: `TRIGGER=KIND`, where `TRIGGER` is `N`, `N-M`, `N-` (request
//! N and every later one), `*` (every request) or `pP` (a probability such as
//! `p0.05`), and `KIND` is one of `500`, `502`, `504`, `5xx:CODE`, `503`,
//! `reset`, `delay:MS`, `trickle:BYTES:MS`, `truncate`, `badjson`, `429` (no
//! `Retry-After`), `429:SECS`, `429-date:SECS`, `429-raw:TEXT`, `stuck`,
//! `badrecord`, `badfield:REC:FIELD=JSON`, `nocdid:REC`, `freshcursor`,
//! `nopagination`, `nohasmore`, `nonextid`. `REC` names a record: a call id
//! (`1000123` or `42_1000123`) or `#N`, the Nth record of a page (from 1).
//!
//! ```
//! use velip_sandbox::{Fault, FaultRule, RecordRef, Trigger};
//!
//! let rule: FaultRule = r#"*=badfield:1000123:date="2026-02-30""#.parse()?;
//! assert_eq!(rule.when, Trigger::Always);
//! assert_eq!(
//!     rule.fault,
//!     Fault::BadField {
//!         record: RecordRef::Id(1_000_123),
//!         field: "date".into(),
//!         json: r#""2026-02-30""#.into(),
//!     }
//! );
//! assert_eq!(rule.to_string(), r#"*=badfield:1000123:date="2026-02-30""#);
//! let rule: FaultRule = "2-=nocdid:#1".parse()?;
//! assert_eq!(rule.when, Trigger::From(2));
//! # Ok::<(), velip_sandbox::ParseFaultError>(())
//! ```

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// The `Retry-After` header of an injected `429`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RetryAfter {
    /// No header.
    Absent,
    /// `Retry-After: <seconds>`.
    Seconds(u64),
    /// `Retry-After: <HTTP-date>`, this far in the future.
    HttpDate(Duration),
    /// Any raw text, e.g. garbage a client must survive.
    Raw(String),
}

/// Which record of an answer a record fault changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RecordRef {
    /// The record of this call id, in every answer (list, lookup, webhook
    /// delivery) that contains it. Text: the id, bare (`1000123`) or with a
    /// database alias (`42_1000123`, the alias is ignored).
    Id(u64),
    /// The Nth record (from 1) of every answer that has that many. Text: `#N`.
    Position(usize),
}

impl fmt::Display for RecordRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordRef::Id(id) => write!(f, "{id}"),
            RecordRef::Position(n) => write!(f, "#{n}"),
        }
    }
}

impl FromStr for RecordRef {
    type Err = ParseFaultError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ParseFaultError(s.to_owned());
        if let Some(n) = s.strip_prefix('#') {
            let n: usize = n.parse().map_err(|_| err())?;
            return if n == 0 {
                Err(err())
            } else {
                Ok(RecordRef::Position(n))
            };
        }
        let digits = s.rsplit_once('_').map_or(s, |(_, d)| d);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err());
        }
        digits.parse().map(RecordRef::Id).map_err(|_| err())
    }
}

/// One injected fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// A 5xx status (500, 502, 504, ...) with an HTML page, as a proxy sends it.
    ServerError(u16),
    /// `503 Service Unavailable` with an HTML page.
    ServiceUnavailable,
    /// The connection is closed without any response.
    ConnectionReset,
    /// Wait this long before sending the headers (then answer normally).
    DelayHeaders(Duration),
    /// Send the normal body in `chunk`-byte pieces, `interval` apart.
    Trickle {
        /// Bytes per piece.
        chunk: usize,
        /// Pause between pieces.
        interval: Duration,
    },
    /// Announce the full `Content-Length`, send half the body, close.
    TruncatedBody,
    /// `200` with a body that is not valid JSON.
    InvalidJson,
    /// `429` with the given `Retry-After`.
    RateLimited(RetryAfter),
    /// Answer normally but with a cursor that does not advance:
    /// `has_more: true` and `next_id` = the first record of this same page.
    StuckCursor,
    /// Answer normally, but the last record's `date` is `2026-02-30`: a
    /// page whose head (status, pagination) reads fine and whose records
    /// do not decode.
    BadRecord,
    /// The record carries `field` with this raw JSON text as its value
    /// (replacing the field in place, or added last when the record has no
    /// such key), e.g. `date` = `"2026-02-30"` or `dur` = `27.5`. With
    /// [`Trigger::Always`] the record is bad on every request, so a client
    /// can never retry past it. Applies to inline answers and webhook
    /// deliveries (form deliveries send a JSON string's text, `null` as
    /// empty, anything else as written). Text that is not valid JSON is
    /// sent as a JSON string. Text: `badfield:REC:FIELD=JSON`.
    BadField {
        /// Which record.
        record: RecordRef,
        /// The wire key (e.g. `date`, `dur`, `cd_status`).
        field: String,
        /// The value, as raw JSON text (e.g. `"2026-02-30"`, `27.5`, `null`).
        json: String,
    },
    /// The record comes without its `cd_id` key (every other key kept).
    /// Text: `nocdid:REC`.
    NoCallId(RecordRef),
    /// The server ignores `last_id` and answers the first page, with
    /// `has_more: true` and a new `next_id` each time (the real next cursor
    /// of the first page minus the request number: never seen before, and
    /// decreasing like a real cursor), so a walk loops over the same
    /// records without ever repeating a cursor. Text: `freshcursor`.
    FreshCursor,
    /// The answer has no `pagination` object even though `maxreg` was sent
    /// (the page is full whenever more records exist). Text: `nopagination`.
    NoPagination,
    /// `pagination` without `has_more` (`next_id` kept). Text: `nohasmore`.
    NoHasMore,
    /// `pagination` says `has_more: true` with `next_id: ""` (a next page
    /// without a cursor). Text: `nonextid`. (`stuck` is different: a
    /// cursor that does not advance.)
    EmptyNextId,
}

impl Fault {
    /// A [`Fault::BadField`] whose `json` is checked to be valid JSON text.
    pub fn bad_field(
        record: RecordRef,
        field: impl Into<String>,
        json: impl Into<String>,
    ) -> Result<Self, ParseFaultError> {
        let (field, json) = (field.into(), json.into());
        if field.is_empty() || serde_json::from_str::<serde::de::IgnoredAny>(&json).is_err() {
            return Err(ParseFaultError(format!("badfield:{record}:{field}={json}")));
        }
        Ok(Fault::BadField {
            record,
            field,
            json,
        })
    }

    /// True for a content fault (it changes what a normal answer says and
    /// combines with other faults); false for a transport fault (it decides
    /// how the answer travels or replaces it; at most one per request).
    pub fn is_content(&self) -> bool {
        matches!(
            self,
            Fault::StuckCursor
                | Fault::BadRecord
                | Fault::BadField { .. }
                | Fault::NoCallId(_)
                | Fault::FreshCursor
                | Fault::NoPagination
                | Fault::NoHasMore
                | Fault::EmptyNextId
        )
    }
}

/// When a rule fires.
#[derive(Clone, Debug, PartialEq)]
pub enum Trigger {
    /// Exactly request `n` (1-based).
    Request(u64),
    /// Requests `from..=to`.
    Requests(u64, u64),
    /// Request `n` and every later one. Text: `N-`.
    From(u64),
    /// Every request (a persistent fault). Text: `*`.
    Always,
    /// Each request with this probability (seeded, deterministic).
    Probability(f64),
}

/// A fault and when it fires.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultRule {
    /// When.
    pub when: Trigger,
    /// What.
    pub fault: Fault,
}

/// An ordered list of rules: per request, the first transport fault that
/// fires and every content fault that fires (see [`Fault::is_content`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FaultPlan {
    /// The rules, in priority order.
    pub rules: Vec<FaultRule>,
    /// Seed of probabilistic rules.
    pub seed: u64,
}

impl FaultPlan {
    /// An empty plan (no faults).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a fault on request `n` (1-based).
    #[must_use]
    pub fn on_request(mut self, n: u64, fault: Fault) -> Self {
        self.rules.push(FaultRule {
            when: Trigger::Request(n),
            fault,
        });
        self
    }

    /// Adds a fault on requests `range` (inclusive), e.g. a burst of `429`.
    #[must_use]
    pub fn on_requests(mut self, range: std::ops::RangeInclusive<u64>, fault: Fault) -> Self {
        self.rules.push(FaultRule {
            when: Trigger::Requests(*range.start(), *range.end()),
            fault,
        });
        self
    }

    /// Adds a fault on request `n` and every later one.
    #[must_use]
    pub fn from_request(mut self, n: u64, fault: Fault) -> Self {
        self.rules.push(FaultRule {
            when: Trigger::From(n),
            fault,
        });
        self
    }

    /// Adds a fault on every request (persistent), e.g. a record that is
    /// always bad.
    #[must_use]
    pub fn always(mut self, fault: Fault) -> Self {
        self.rules.push(FaultRule {
            when: Trigger::Always,
            fault,
        });
        self
    }

    /// Adds a fault that hits each request with probability `p`.
    #[must_use]
    pub fn with_probability(mut self, p: f64, fault: Fault) -> Self {
        self.rules.push(FaultRule {
            when: Trigger::Probability(p),
            fault,
        });
        self
    }

    /// Sets the seed of probabilistic rules.
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// True when the plan has no rules.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The first rule's fault that fires on request `n` (1-based), if any.
    pub fn fault_for(&self, n: u64) -> Option<&Fault> {
        self.firing(n).next()
    }

    /// The faults applied to request `n` (1-based), in plan order: the first
    /// transport fault that fires (if any) and every content fault that fires.
    pub fn faults_for(&self, n: u64) -> Vec<&Fault> {
        let mut transport = false;
        self.firing(n)
            .filter(|f| f.is_content() || !std::mem::replace(&mut transport, true))
            .collect()
    }

    fn firing(&self, n: u64) -> impl Iterator<Item = &Fault> + '_ {
        self.rules.iter().enumerate().filter_map(move |(i, r)| {
            let fires = match r.when {
                Trigger::Request(k) => k == n,
                Trigger::Requests(a, b) => (a..=b).contains(&n),
                Trigger::From(a) => n >= a,
                Trigger::Always => true,
                Trigger::Probability(p) => {
                    unit(splitmix(self.seed ^ splitmix(n ^ ((i as u64) << 48)))) < p
                }
            };
            fires.then_some(&r.fault)
        })
    }
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

#[allow(clippy::cast_precision_loss)]
fn unit(x: u64) -> f64 {
    (x >> 11) as f64 / (1u64 << 53) as f64
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::ServerError(code) => write!(f, "5xx:{code}"),
            Fault::ServiceUnavailable => f.write_str("503"),
            Fault::ConnectionReset => f.write_str("reset"),
            Fault::DelayHeaders(d) => write!(f, "delay:{}", d.as_millis()),
            Fault::Trickle { chunk, interval } => {
                write!(f, "trickle:{chunk}:{}", interval.as_millis())
            }
            Fault::TruncatedBody => f.write_str("truncate"),
            Fault::InvalidJson => f.write_str("badjson"),
            Fault::RateLimited(RetryAfter::Absent) => f.write_str("429"),
            Fault::RateLimited(RetryAfter::Seconds(s)) => write!(f, "429:{s}"),
            Fault::RateLimited(RetryAfter::HttpDate(d)) => write!(f, "429-date:{}", d.as_secs()),
            Fault::RateLimited(RetryAfter::Raw(t)) => write!(f, "429-raw:{t}"),
            Fault::StuckCursor => f.write_str("stuck"),
            Fault::BadRecord => f.write_str("badrecord"),
            Fault::BadField {
                record,
                field,
                json,
            } => write!(f, "badfield:{record}:{field}={json}"),
            Fault::NoCallId(record) => write!(f, "nocdid:{record}"),
            Fault::FreshCursor => f.write_str("freshcursor"),
            Fault::NoPagination => f.write_str("nopagination"),
            Fault::NoHasMore => f.write_str("nohasmore"),
            Fault::EmptyNextId => f.write_str("nonextid"),
        }
    }
}

impl fmt::Display for Trigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Trigger::Request(n) => write!(f, "{n}"),
            Trigger::Requests(a, b) => write!(f, "{a}-{b}"),
            Trigger::From(a) => write!(f, "{a}-"),
            Trigger::Always => f.write_str("*"),
            Trigger::Probability(p) => write!(f, "p{p}"),
        }
    }
}

impl fmt::Display for FaultRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.when, self.fault)
    }
}

/// A fault rule that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseFaultError(pub String);

impl fmt::Display for ParseFaultError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid fault rule: {}", self.0)
    }
}

impl std::error::Error for ParseFaultError {}

impl FromStr for Fault {
    type Err = ParseFaultError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ParseFaultError(s.to_owned());
        let num = |t: &str| t.parse::<u64>().map_err(|_| err());
        let (kind, arg) = s.split_once(':').unwrap_or((s, ""));
        Ok(match (kind, arg) {
            ("500" | "502" | "504", "") => Fault::ServerError(kind.parse().map_err(|_| err())?),
            ("5xx", code) => {
                let code = u16::try_from(num(code)?).map_err(|_| err())?;
                if !(500..600).contains(&code) {
                    return Err(err());
                }
                Fault::ServerError(code)
            }
            ("503", "") => Fault::ServiceUnavailable,
            ("reset", "") => Fault::ConnectionReset,
            ("delay", ms) => Fault::DelayHeaders(Duration::from_millis(num(ms)?)),
            ("trickle", rest) => {
                let (chunk, ms) = rest.split_once(':').ok_or_else(err)?;
                Fault::Trickle {
                    chunk: usize::try_from(num(chunk)?).map_err(|_| err())?.max(1),
                    interval: Duration::from_millis(num(ms)?),
                }
            }
            ("truncate", "") => Fault::TruncatedBody,
            ("badjson", "") => Fault::InvalidJson,
            ("429", "") => Fault::RateLimited(RetryAfter::Absent),
            ("429", secs) => Fault::RateLimited(RetryAfter::Seconds(num(secs)?)),
            ("429-date", secs) => {
                Fault::RateLimited(RetryAfter::HttpDate(Duration::from_secs(num(secs)?)))
            }
            ("429-raw", text) => Fault::RateLimited(RetryAfter::Raw(text.to_owned())),
            ("stuck", "") => Fault::StuckCursor,
            ("badrecord", "") => Fault::BadRecord,
            ("badfield", rest) => {
                let (record, assignment) = rest.split_once(':').ok_or_else(err)?;
                let (field, json) = assignment.split_once('=').ok_or_else(err)?;
                Fault::bad_field(record.parse().map_err(|_| err())?, field, json)
                    .map_err(|_| err())?
            }
            ("nocdid", record) => Fault::NoCallId(record.parse().map_err(|_| err())?),
            ("freshcursor", "") => Fault::FreshCursor,
            ("nopagination", "") => Fault::NoPagination,
            ("nohasmore", "") => Fault::NoHasMore,
            ("nonextid", "") => Fault::EmptyNextId,
            _ => return Err(err()),
        })
    }
}

impl FromStr for FaultRule {
    type Err = ParseFaultError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ParseFaultError(s.to_owned());
        let (trigger, kind) = s.split_once('=').ok_or_else(err)?;
        let trigger = trigger.trim();
        let when = if trigger == "*" {
            Trigger::Always
        } else if let Some(p) = trigger.strip_prefix('p') {
            let p: f64 = p.parse().map_err(|_| err())?;
            if !(0.0..=1.0).contains(&p) {
                return Err(err());
            }
            Trigger::Probability(p)
        } else if let Some(a) = trigger.strip_suffix('-') {
            Trigger::From(a.parse().map_err(|_| err())?)
        } else if let Some((a, b)) = trigger.split_once('-') {
            let a = a.parse().map_err(|_| err())?;
            let b = b.parse().map_err(|_| err())?;
            Trigger::Requests(a, b)
        } else {
            Trigger::Request(trigger.parse().map_err(|_| err())?)
        };
        Ok(FaultRule {
            when,
            fault: kind.trim().parse()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripted_and_probabilistic() {
        let plan = FaultPlan::new()
            .on_request(2, Fault::ServiceUnavailable)
            .on_requests(4..=5, Fault::RateLimited(RetryAfter::Seconds(1)));
        assert_eq!(plan.fault_for(1), None);
        assert_eq!(plan.fault_for(2), Some(&Fault::ServiceUnavailable));
        assert!(plan.fault_for(5).is_some());
        assert!(plan.fault_for(6).is_none());
        let p = FaultPlan::new()
            .with_probability(0.5, Fault::InvalidJson)
            .seed(9);
        let hits = (1..=1000).filter(|&n| p.fault_for(n).is_some()).count();
        assert!((400..600).contains(&hits), "{hits}");
        let again = (1..=1000).filter(|&n| p.fault_for(n).is_some()).count();
        assert_eq!(hits, again);
    }

    #[test]
    fn parse_round_trip() {
        for s in [
            "5xx:500",
            "503",
            "reset",
            "delay:250",
            "trickle:64:10",
            "truncate",
            "badjson",
            "429",
            "429:3",
            "429-date:5",
            "429-raw:soon",
            "stuck",
            "badrecord",
            r#"badfield:1000123:date="2026-02-30""#,
            "badfield:#3:dur=27.5",
            "badfield:1000123:cd_status=null",
            "nocdid:1000123",
            "nocdid:#2",
            "freshcursor",
            "nopagination",
            "nohasmore",
            "nonextid",
        ] {
            let f: Fault = s.parse().unwrap();
            assert_eq!(f.to_string(), s);
        }
        let r: FaultRule = "3-5=429:2".parse().unwrap();
        assert_eq!(r.when, Trigger::Requests(3, 5));
        let r: FaultRule = "p0.1=reset".parse().unwrap();
        assert_eq!(r.when, Trigger::Probability(0.1));
        assert!("x=503".parse::<FaultRule>().is_err());
        let r: FaultRule = "*=nonextid".parse().unwrap();
        assert_eq!(r.when, Trigger::Always);
        assert_eq!(r.to_string(), "*=nonextid");
        let r: FaultRule = "4-=freshcursor".parse().unwrap();
        assert_eq!(r.when, Trigger::From(4));
        assert_eq!(r.to_string(), "4-=freshcursor");
        let r: FaultRule = "1=badfield:42_1000123:dur=27.5".parse().unwrap();
        assert_eq!(
            r.fault,
            Fault::BadField {
                record: RecordRef::Id(1_000_123),
                field: "dur".into(),
                json: "27.5".into()
            }
        );
        // The value may itself hold `=` and `:`.
        let f: Fault = r#"badfield:#1:cdr_url="https://x.invalid/a?b=c""#.parse().unwrap();
        assert!(
            matches!(f, Fault::BadField { ref json, .. } if json == r#""https://x.invalid/a?b=c""#)
        );
        for bad in [
            "badfield:1000123:date=2026-02-30", // not JSON
            "badfield:1000123:=1",
            "badfield:1000123",
            "badfield:#0:dur=1",
            "nocdid:",
            "nocdid:abc",
            "nocdid:#x",
            "freshcursor:1",
        ] {
            assert!(bad.parse::<Fault>().is_err(), "{bad}");
        }
    }

    #[test]
    fn content_faults_combine_with_one_transport_fault() {
        let plan = FaultPlan::new()
            .always(Fault::NoCallId(RecordRef::Position(1)))
            .on_request(2, Fault::ServiceUnavailable)
            .on_request(2, Fault::ConnectionReset)
            .from_request(2, Fault::EmptyNextId);
        assert_eq!(
            plan.faults_for(1),
            [&Fault::NoCallId(RecordRef::Position(1))]
        );
        assert_eq!(
            plan.faults_for(2),
            [
                &Fault::NoCallId(RecordRef::Position(1)),
                &Fault::ServiceUnavailable,
                &Fault::EmptyNextId
            ]
        );
        assert_eq!(
            plan.fault_for(2),
            Some(&Fault::NoCallId(RecordRef::Position(1)))
        );
        assert_eq!(plan.faults_for(9).len(), 2);
    }
}
