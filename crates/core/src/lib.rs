//! `velip-core`: the pure heart of the Velip SDK.
//!
//! Models, validation, number formatting and decoding for the Velip voice
//! platform's `GetCallStatus` operation (API v2). No I/O: the HTTP client is
//! `velip-blocking`, and the Python and C bindings build on both.
//!
//! - [`query`]: build and validate a request ([`Query::builder`]), classify
//!   it (point lookup or list request) and encode it.
//! - [`model`]: the typed answer: [`CallRecord`], [`Page`], [`CallId`],
//!   [`CallStatus`], [`AmdResult`], [`Cursor`].
//! - [`decode`]: lenient decoding of pages, error bodies and webhook
//!   deliveries.
//! - [`phone`]: Brazilian phone numbers (DDD, mobile/landline, `numtype`
//!   styles, E.164) and masked numbers.
//! - [`money`]: decimal-comma amounts (`"0,050"`) as exact decimals.
//! - [`scrub`]: masking secrets in logs, errors and `Debug`.
//!
//! ```
//! use velip_core::{decode::decode_page, query::Query};
//!
//! let query = Query::builder().call_id("42_9876545").build()?;
//! assert_eq!(query.to_form_body(), "cd_id=42_9876545");
//!
//! let page = decode_page(br#"{"return":{"status":"OK","status_code":"0"},"calls":[
//!     {"cd_id":9876545,"cd_status":"OK","dest":"5511999999999","value":"0,050"}]}"#)?;
//! let call = &page.records[0];
//! assert!(call.status.as_ref().is_some_and(|s| s.is_answered()));
//! assert_eq!(call.destination.as_ref().unwrap().to_string(), "+5511999999999");
//! assert_eq!(call.value.unwrap().to_string(), "0.050");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod decode;
pub mod model;
pub mod money;
pub mod phone;
pub mod query;
pub mod scrub;
mod secret;

pub use decode::DecodeOptions;
pub use decode::{ApiError, ApiErrorKind, DecodeError, RateLimitScope, ResponseError};
pub use model::{
    AmdResult, CallId, CallRecord, CallStatus, Cursor, Page, Pagination, Problem, RejectedRecord,
};
pub use phone::{Destination, MaskedNumber, NumberFormat, PhoneNumber};
pub use query::{Query, QueryBuilder, RequestKind, ValidationError};
pub use rust_decimal::Decimal;
pub use secret::Secret;

/// This crate's version, `0.1.0`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
