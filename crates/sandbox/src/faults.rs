//! Fault injection: a plan that picks a fault per request number, either
//! scripted (request `n`, requests `a..=b`) or by a seeded probability.
//!
//! Request numbers count calls to the API endpoint from 1, restarting when a
//! plan is installed ([`Sandbox::set_faults`](crate::Sandbox::set_faults)) or
//! the sandbox is [reset](crate::Sandbox::reset). Probabilistic rules are
//! deterministic: the same seed and request number give the same decision.
//!
//! Plans can also be written as text (the binary's `--fault` flag), one rule
//! per string: `TRIGGER=KIND`, where `TRIGGER` is `N`, `N-M` or `pP` (a
//! probability such as `p0.05`), and `KIND` is one of `500`, `502`, `5xx:CODE`,
//! `503`, `reset`, `delay:MS`, `trickle:BYTES:MS`, `truncate`, `badjson`,
//! `429` (no `Retry-After`), `429:SECS`, `429-date:SECS`, `429-raw:TEXT`,
//! `stuck`, `badrecord`.

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
}

/// When a rule fires.
#[derive(Clone, Debug, PartialEq)]
pub enum Trigger {
    /// Exactly request `n` (1-based).
    Request(u64),
    /// Requests `from..=to`.
    Requests(u64, u64),
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

/// An ordered list of rules; the first that fires wins.
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

    /// The fault for request `n` (1-based), if any.
    pub fn fault_for(&self, n: u64) -> Option<&Fault> {
        self.rules.iter().enumerate().find_map(|(i, r)| {
            let fires = match r.when {
                Trigger::Request(k) => k == n,
                Trigger::Requests(a, b) => (a..=b).contains(&n),
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
        }
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
        let when = if let Some(p) = trigger.strip_prefix('p') {
            let p: f64 = p.parse().map_err(|_| err())?;
            if !(0.0..=1.0).contains(&p) {
                return Err(err());
            }
            Trigger::Probability(p)
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
        ] {
            let f: Fault = s.parse().unwrap();
            assert_eq!(f.to_string(), s);
        }
        let r: FaultRule = "3-5=429:2".parse().unwrap();
        assert_eq!(r.when, Trigger::Requests(3, 5));
        let r: FaultRule = "p0.1=reset".parse().unwrap();
        assert_eq!(r.when, Trigger::Probability(0.1));
        assert!("x=503".parse::<FaultRule>().is_err());
    }
}
