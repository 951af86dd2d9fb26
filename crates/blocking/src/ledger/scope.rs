//! [`Scope`]: which quota a request counts against, and [`Permit`]: a
//! request the ledger let through and counted.

use std::time::SystemTime;

use chrono::NaiveDate;
use velip_core::{RateLimitScope, RequestKind};

use super::clock;

/// Which quota a request counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// List requests: the sliding-window quota (200 per hour by default).
    List,
    /// Point lookups (`cd_id`, or a `ctid` matching one call): the daily cap
    /// per America/Sao_Paulo day.
    Lookup,
}

impl Scope {
    /// The scope to ask for before sending a request of this kind. A
    /// correlation-id lookup is a point lookup only when one call matches,
    /// which is known after the answer: it is asked as a [`Scope::List`]
    /// (the scarcer quota; never sends what the service would refuse) and
    /// moved with [`Permit::reclassify`] once the match count is known.
    ///
    /// ```
    /// use velip_blocking::ledger::Scope;
    /// use velip_core::RequestKind;
    /// assert_eq!(Scope::for_request(RequestKind::PointLookup), Scope::Lookup);
    /// assert_eq!(Scope::for_request(RequestKind::CorrelationLookup), Scope::List);
    /// assert_eq!(Scope::for_request(RequestKind::CorrelationLookup.for_match_count(1)), Scope::Lookup);
    /// ```
    pub fn for_request(kind: RequestKind) -> Self {
        match kind {
            RequestKind::PointLookup => Self::Lookup,
            RequestKind::CorrelationLookup | RequestKind::List => Self::List,
        }
    }

    /// The scope of a `429` as core classified it (`None` for a message
    /// that names neither quota).
    pub fn of_rate_limit(scope: RateLimitScope) -> Option<Self> {
        match scope {
            RateLimitScope::List => Some(Self::List),
            RateLimitScope::DailyLookup => Some(Self::Lookup),
            RateLimitScope::Unknown => None,
        }
    }

    /// `list` or `lookup`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::List => "list",
            Self::Lookup => "lookup",
        }
    }
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::List => "list requests",
            Self::Lookup => "daily point lookups",
        })
    }
}

/// Leave to send one request, already counted in the ledger. Hand it back
/// with [`Account::tell`](super::Account::tell) once the answer (or the
/// failure) is known; a permit that is dropped instead stays counted as
/// sent at the time it was given.
#[derive(Debug)]
#[must_use = "send the request, then hand the permit to Account::tell"]
pub struct Permit {
    /// The scope the request turned out to be (see [`Permit::reclassify`]).
    pub(crate) scope: Scope,
    /// What the ledger counted (`None` when the ledger is disabled).
    pub(crate) counted: Option<Counted>,
}

/// One counted request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Counted {
    pub(crate) scope: Scope,
    pub(crate) at_ms: u64,
    /// The São Paulo day it was counted on (for lookups).
    pub(crate) day: NaiveDate,
}

impl Permit {
    /// The request's scope.
    pub fn scope(&self) -> Scope {
        self.scope
    }

    /// When the ledger counted it (`None` when the ledger is disabled).
    pub fn counted_at(&self) -> Option<SystemTime> {
        self.counted.map(|c| clock::from_ms(c.at_ms))
    }

    /// Says which quota the request really counted against, when the
    /// answer showed it (a `ctid` lookup matching one call is a point
    /// lookup: `Scope::for_request(kind.for_match_count(n))`). The count
    /// moves when the permit is told.
    pub fn reclassify(&mut self, scope: Scope) {
        self.scope = scope;
    }
}
