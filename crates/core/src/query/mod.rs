//! The GetCallStatus request: a [`QueryBuilder`] covering every parameter of
//! the spec, validated into a [`Query`] before anything is sent, classified
//! ([`RequestKind`]) and encoded to ordered form pairs or JSON.
//!
//! ```
//! use velip_core::query::{Query, RequestKind};
//! let q = Query::builder()
//!     .campaign_id(555)
//!     .date_range("2026-05-01", "2026-05-31")
//!     .page_size(5000)
//!     .only_dtmf(true)
//!     .build()
//!     .unwrap();
//! assert_eq!(q.request_kind(), RequestKind::List);
//! assert_eq!(
//!     q.to_form_body(),
//!     "cp_id=555&date_start=2026-05-01&date_end=2026-05-31&maxreg=5000&onlydtmf=1"
//! );
//! ```
//!
//! Account credentials (`tsid`, Basic) are not part of a query; the client
//! adds them. Webhook credentials are, and are redacted in `Debug` and in
//! [`Query::to_redacted_pairs`].

mod builder;
mod encode;
mod validate;
mod webhook;

pub use builder::{DateArg, Query, QueryBuilder};
pub use encode::PAGING_PARAMS;
pub use validate::{ValidationError, Violation, ViolationCode};
pub use webhook::{Webhook, WebhookFormat, WebhookMethod};

/// Largest page size the service serves (`maxreg` cap).
pub const MAX_PAGE_SIZE: u32 = 5000;

/// Page size the service uses when none is sent.
pub const DEFAULT_PAGE_SIZE: u32 = 1000;

/// The page size (`maxreg`): an explicit number of records, or the server's
/// maximum (sent as `5000`; the legacy `-1` is never sent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PageSize {
    /// `1..=5000` records per page.
    Records(u32),
    /// The server maximum, 5000.
    ServerMax,
}

impl PageSize {
    /// The number sent as `maxreg`.
    pub fn get(self) -> u32 {
        match self {
            Self::Records(n) => n,
            Self::ServerMax => MAX_PAGE_SIZE,
        }
    }
}

/// Selection by correlation id (`ctid`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Correlation {
    /// Calls whose `ctid` equals this text.
    Id(String),
    /// Calls whose `ctid` is empty (sent as the literal `ctid=null`).
    Empty,
}

/// Point lookup or list request, as the spec defines them: it drives rate
/// limits (daily cap vs hourly quota), masking and IP rules on the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestKind {
    /// `cd_id` without `ctid`.
    PointLookup,
    /// By correlation id alone: a point lookup when the `ctid` matches
    /// exactly one call, a list request when several share it. See
    /// [`RequestKind::for_match_count`].
    CorrelationLookup,
    /// By period, campaign, cursor, or `ctid=null`.
    List,
}

impl RequestKind {
    /// Resolves [`RequestKind::CorrelationLookup`] once the number of
    /// matching calls is known: exactly one is a point lookup, any other
    /// count a list request. The other kinds are returned unchanged.
    #[must_use]
    pub fn for_match_count(self, matches: usize) -> Self {
        match self {
            Self::CorrelationLookup if matches == 1 => Self::PointLookup,
            Self::CorrelationLookup => Self::List,
            other => other,
        }
    }
}
