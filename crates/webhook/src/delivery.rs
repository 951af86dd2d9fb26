//! [`Delivery`]: one webhook request as received and decoded, the unit the
//! receiver acknowledges and a [`Sink`](crate::Sink) stores.

use std::net::SocketAddr;

use axum::body::Bytes;
use chrono::{DateTime, Utc};
use velip_core::decode::{DecodeError, WebhookPayload, decode_webhook};
use velip_core::query::{WebhookFormat, WebhookMethod};
use velip_core::{CallId, CallRecord};

/// One delivery the receiver took: metadata, the raw bytes, and the calls
/// decoded by `velip-core` (the same records a walk or `velip decode`
/// gives).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Delivery {
    /// Arrival order in this receiver process, from 1.
    pub sequence: u64,
    /// When the request was read (UTC).
    pub received_at: DateTime<Utc>,
    /// `POST` or `GET` (`rurl_method`).
    pub method: WebhookMethod,
    /// The `Content-Type` header, when sent.
    pub content_type: Option<String>,
    /// The sender's address, when the server knows it.
    pub remote_addr: Option<SocketAddr>,
    /// What was delivered, as received: the body of a POST, the query
    /// string of a GET.
    pub raw: Bytes,
    /// The decoded calls (and `pagination`, and unreadable entries of a
    /// JSON delivery).
    pub payload: WebhookPayload,
}

impl Delivery {
    /// Decodes a delivery from what arrived: for `POST`, the body and its
    /// `Content-Type` (see [`decode_webhook`]); for `GET`, the query string
    /// (see [`WebhookPayload::from_query`]). This is the one place the
    /// receiver decodes; embedders with their own HTTP stack can call it
    /// directly.
    ///
    /// ```
    /// use velip_core::query::{WebhookFormat, WebhookMethod};
    /// use velip_webhook::Delivery;
    /// let d = Delivery::decode(WebhookMethod::Post, Some("application/x-www-form-urlencoded"),
    ///     "cd_id=42_7&cd_status=OK".into()).unwrap();
    /// assert_eq!(d.format(), WebhookFormat::Form);
    /// assert_eq!(d.call_ids().next().unwrap().to_string(), "42_7");
    /// ```
    ///
    /// # Errors
    /// [`DecodeError`] when the delivery cannot be read (not JSON, no
    /// readable `cd_id` in a form delivery, an empty body or query).
    pub fn decode(
        method: WebhookMethod,
        content_type: Option<&str>,
        raw: Bytes,
    ) -> Result<Self, DecodeError> {
        let payload = match method {
            WebhookMethod::Post => decode_webhook(&raw, content_type.unwrap_or("")),
            WebhookMethod::Get => WebhookPayload::from_query(&raw),
        }?;
        Ok(Self {
            sequence: 0,
            received_at: Utc::now(),
            method,
            content_type: content_type.map(str::to_owned),
            remote_addr: None,
            raw,
            payload,
        })
    }

    /// JSON (one page-shaped body) or form (one call) (`rurl_type`), as
    /// the decoder read it.
    pub fn format(&self) -> WebhookFormat {
        self.payload.format
    }

    /// The calls delivered.
    pub fn records(&self) -> &[CallRecord] {
        &self.payload.records
    }

    /// The call ids delivered, in delivery order.
    pub fn call_ids(&self) -> impl Iterator<Item = &CallId> {
        self.payload.records.iter().map(|r| &r.call_id)
    }
}
