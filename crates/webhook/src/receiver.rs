//! [`Receiver`]: the request handling, as an axum [`Router`] to mount.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use chrono::Utc;
use http_body_util::BodyExt as _;
use tokio::sync::Semaphore;
use velip_core::query::WebhookMethod;

use crate::auth::Authenticator;
use crate::commit::Committer;
use crate::config::{HEALTH_PATH, METRICS_PATH, ReceiverConfig, WWW_AUTHENTICATE};
use crate::delivery::Delivery;
use crate::error::Error;
use crate::metrics::{Metrics, MetricsSnapshot, RejectReason};
use crate::rejected::{RejectedLog, Rejection};
use crate::sink::Sink;

/// Bodies up to this size are decoded on the async worker; larger ones
/// (JSON pages) on the blocking pool.
const INLINE_DECODE: usize = 64 * 1024;

/// The webhook receiver: checks, decodes, stores durably (group commit) and
/// only then answers 2xx. Mount [`router`](Self::router) in any axum app,
/// or let [`Server`](crate::Server) run it.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use velip_webhook::{JsonLinesSink, Receiver, ReceiverConfig};
/// let receiver = Receiver::new(
///     ReceiverConfig::new().basic_auth("hook", "s3cret"),
///     JsonLinesSink::open("deliveries.jsonl")?,
/// )?;
/// let app = axum::Router::new()
///     .route("/", axum::routing::get(|| async { "my app" }))
///     .merge(receiver.router());
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
/// axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>())
///     .with_graceful_shutdown(velip_webhook::shutdown_signal())
///     .await?;
/// receiver.shutdown().await?; // what was acknowledged is durable; close the sink
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Receiver {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: ReceiverConfig,
    auth: Authenticator,
    committer: Committer,
    metrics: Arc<Metrics>,
    rejected_log: Option<RejectedLog>,
    /// Bytes of deliveries being read, decoded or stored, in KiB permits.
    budget: Semaphore,
    budget_kib: u32,
}

impl Receiver {
    /// Checks `config`, opens the rejected log and starts the commit thread,
    /// which owns `sink` from now on.
    ///
    /// # Errors
    /// [`Error::Config`] naming the field that breaks a rule;
    /// [`Error::Io`] when the rejected log cannot be opened.
    pub fn new(config: ReceiverConfig, sink: impl Sink) -> Result<Self, Error> {
        config.validate()?;
        let auth = Authenticator::new(&config);
        let rejected_log = match &config.rejected_log {
            Some(p) => Some(RejectedLog::open(
                p,
                config
                    .required_headers
                    .iter()
                    .map(|h| h.name.clone())
                    .collect(),
            )?),
            None => None,
        };
        let metrics = Arc::new(Metrics::new());
        let committer =
            Committer::start(sink, config.max_batch, config.queue, Arc::clone(&metrics))?;
        let budget_kib = u32::try_from(kib(config.in_flight_bytes.max(config.body_limit)))
            .unwrap_or(u32::MAX)
            .min(u32::try_from(Semaphore::MAX_PERMITS).unwrap_or(u32::MAX));
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                auth,
                committer,
                metrics,
                rejected_log,
                budget: Semaphore::new(budget_kib as usize),
                budget_kib,
            }),
        })
    }

    /// The routes: the webhook path (POST and GET; other methods 405),
    /// `/healthz` (200 `ok`, or 503 once the sink fails) and `/metrics`
    /// (unless turned off). No fallback, so that it merges into an app
    /// that has its own; [`Server`](crate::Server) adds a counted 404.
    ///
    /// Serve it with `into_make_service_with_connect_info::<SocketAddr>()`
    /// to have the sender's address in logs and in each
    /// [`Delivery::remote_addr`].
    pub fn router(&self) -> Router {
        let mut router = Router::new()
            .route(&self.inner.config.path, any(deliver))
            .route(HEALTH_PATH, get(healthz));
        if self.inner.config.metrics {
            router = router.route(METRICS_PATH, get(metrics));
        }
        router.with_state(Arc::clone(&self.inner))
    }

    /// [`router`](Self::router) with a fallback that answers 404 and counts
    /// it (`rejected{reason="not_found"}`).
    pub(crate) fn router_with_fallback(&self) -> Router {
        let inner = Arc::clone(&self.inner);
        self.router()
            .fallback(move |method: Method, uri: axum::http::Uri| {
                let inner = Arc::clone(&inner);
                async move {
                    inner.metrics.rejected(RejectReason::NotFound);
                    log::warn!("refused {method} {}: 404 not found", uri.path());
                    (StatusCode::NOT_FOUND, "not found\n").into_response()
                }
            })
    }

    /// The configuration.
    pub fn config(&self) -> &ReceiverConfig {
        &self.inner.config
    }

    /// The counters now.
    pub fn metrics(&self) -> MetricsSnapshot {
        self.inner.metrics.snapshot()
    }

    /// The counters in `OpenMetrics` text, as `/metrics` serves them.
    pub fn metrics_text(&self) -> String {
        self.inner.metrics.render()
    }

    /// Whether the sink is working (what `/healthz` says).
    pub fn is_healthy(&self) -> bool {
        self.inner.committer.is_healthy()
    }

    /// Stops taking deliveries (later ones are answered 503), makes every
    /// queued one durable and acknowledges it, closes the sink and returns
    /// the counters. Blocks: call it from synchronous code or
    /// `spawn_blocking`, or use [`shutdown`](Self::shutdown). Stop the HTTP
    /// server first (graceful shutdown) so that no delivery is cut off.
    /// Later calls return the counters again.
    ///
    /// # Errors
    /// [`Error::Sink`] when the sink fails to close.
    pub fn close(&self) -> Result<MetricsSnapshot, Error> {
        self.inner.committer.close()?;
        Ok(self.metrics())
    }

    /// [`close`](Self::close) from async code.
    ///
    /// # Errors
    /// As [`close`](Self::close).
    pub async fn shutdown(&self) -> Result<MetricsSnapshot, Error> {
        let me = self.clone();
        match tokio::task::spawn_blocking(move || me.close()).await {
            Ok(r) => r,
            Err(_) => Err(Error::Sink("closing the sink panicked".into())),
        }
    }
}

/// Bytes → KiB permits, at least 1.
fn kib(bytes: usize) -> usize {
    bytes.div_ceil(1024).max(1)
}

async fn healthz(State(inner): State<Arc<Inner>>) -> Response {
    if inner.committer.is_healthy() {
        (StatusCode::OK, "ok\n").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "sink failing\n").into_response()
    }
}

async fn metrics(State(inner): State<Arc<Inner>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        inner.metrics.render(),
    )
        .into_response()
}

/// What the log line says about a request.
struct Seen {
    method: Method,
    path: String,
    remote: Option<SocketAddr>,
    started: Instant,
}

impl Seen {
    fn from(method: &Method, path: &str, remote: Option<SocketAddr>) -> Self {
        Self {
            method: method.clone(),
            path: path.to_owned(),
            remote,
            started: Instant::now(),
        }
    }

    fn addr_note(&self) -> String {
        self.remote
            .map(|a| format!(" from {a}"))
            .unwrap_or_default()
    }
}

impl Inner {
    fn refuse(&self, seen: &Seen, reason: RejectReason, detail: &str) -> Response {
        self.metrics.rejected(reason);
        let status = match reason {
            RejectReason::Unauthorized => StatusCode::UNAUTHORIZED,
            RejectReason::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            RejectReason::Method => StatusCode::METHOD_NOT_ALLOWED,
            RejectReason::NotFound => StatusCode::NOT_FOUND,
            RejectReason::Undecodable => StatusCode::BAD_REQUEST,
            RejectReason::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        };
        log::warn!(
            "refused {} {}{}: {} {reason}{}{detail}",
            seen.method,
            seen.path,
            seen.addr_note(),
            status.as_u16(),
            if detail.is_empty() { "" } else { ": " },
        );
        let mut response = match reason {
            // No detail for a credentials mismatch.
            RejectReason::Unauthorized => (status, "unauthorized\n").into_response(),
            RejectReason::Undecodable => {
                (status, format!("cannot decode: {detail}\n")).into_response()
            }
            _ => (
                status,
                format!("{}\n", status.canonical_reason().unwrap_or("")),
            )
                .into_response(),
        };
        let headers = response.headers_mut();
        match reason {
            RejectReason::Unauthorized if self.auth.wants_basic() => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static(WWW_AUTHENTICATE),
                );
            }
            RejectReason::Method => {
                headers.insert(header::ALLOW, HeaderValue::from_static("GET, POST"));
            }
            RejectReason::Unavailable => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            _ => {}
        }
        response
    }
}

fn content_length(headers: &HeaderMap) -> Option<usize> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// `42_1, 42_2, 42_3 +4997 more`
fn summarize_ids(d: &Delivery) -> String {
    let mut s = String::new();
    let n = d.records().len();
    for (i, id) in d.call_ids().take(3).enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        let _ = write!(s, "{id}");
    }
    if n > 3 {
        let _ = write!(s, " +{} more", n - 3);
    }
    s
}

async fn deliver(State(inner): State<Arc<Inner>>, req: Request) -> Response {
    let received_at = Utc::now();
    let (parts, body) = req.into_parts();
    let remote = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let seen = Seen::from(&parts.method, parts.uri.path(), remote);
    let method = match parts.method {
        Method::POST => WebhookMethod::Post,
        Method::GET => WebhookMethod::Get,
        _ => return inner.refuse(&seen, RejectReason::Method, ""),
    };
    if !inner.auth.allows(&parts.headers) {
        return inner.refuse(&seen, RejectReason::Unauthorized, "");
    }
    let limit = inner.config.body_limit;
    let query = parts.uri.query().unwrap_or("");
    let expected = match method {
        WebhookMethod::Get => query.len(),
        WebhookMethod::Post => content_length(&parts.headers).unwrap_or(limit),
    };
    if expected > limit {
        return inner.refuse(
            &seen,
            RejectReason::TooLarge,
            &format!("{expected} bytes, the limit is {limit}"),
        );
    }
    let permits = u32::try_from(kib(expected))
        .unwrap_or(u32::MAX)
        .min(inner.budget_kib);
    // The semaphore is never closed.
    let Ok(_permit) = inner.budget.acquire_many(permits).await else {
        return inner.refuse(&seen, RejectReason::Unavailable, "stopping");
    };
    let raw = match method {
        WebhookMethod::Get => Bytes::copy_from_slice(query.as_bytes()),
        WebhookMethod::Post => match read_body(body, limit).await {
            Ok(b) => b,
            Err(BodyError::TooLarge) => {
                return inner.refuse(
                    &seen,
                    RejectReason::TooLarge,
                    &format!("over the limit of {limit} bytes"),
                );
            }
            Err(BodyError::Read(e)) => {
                return inner.refuse(&seen, RejectReason::Undecodable, &format!("body: {e}"));
            }
        },
    };
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let decoded = if raw.len() <= INLINE_DECODE {
        Delivery::decode(method, content_type.as_deref(), raw.clone())
    } else {
        let (r, ct) = (raw.clone(), content_type.clone());
        match tokio::task::spawn_blocking(move || Delivery::decode(method, ct.as_deref(), r)).await
        {
            Ok(d) => d,
            Err(_) => {
                return inner.refuse(&seen, RejectReason::Unavailable, "the decoder panicked");
            }
        }
    };
    let mut delivery = match decoded {
        Ok(d) => d,
        Err(e) => {
            let error = e.to_string();
            keep_rejected(&inner, &seen, parts.headers, &error, raw).await;
            return inner.refuse(&seen, RejectReason::Undecodable, &error);
        }
    };
    delivery.received_at = received_at;
    delivery.remote_addr = remote;
    let calls = delivery.records().len();
    let unreadable = delivery.payload.rejected.len();
    let ids = if log::log_enabled!(log::Level::Info) {
        summarize_ids(&delivery)
    } else {
        String::new()
    };
    let format = delivery.format();
    let size = delivery.raw.len();
    match inner.committer.submit(delivery).await {
        Ok(sequence) => {
            inner.metrics.stored(calls, size);
            log::info!(
                "delivery #{sequence} {} {}{}: {calls} call(s) [{ids}]{}, {size} B, stored in {:.1} ms",
                seen.method,
                format.as_wire(),
                seen.addr_note(),
                if unreadable > 0 {
                    format!(" and {unreadable} unreadable entries")
                } else {
                    String::new()
                },
                seen.started.elapsed().as_secs_f64() * 1000.0,
            );
            (StatusCode::OK, "ok\n").into_response()
        }
        Err(_) => inner.refuse(
            &seen,
            RejectReason::Unavailable,
            &format!("{calls} call(s) not stored"),
        ),
    }
}

async fn keep_rejected(
    inner: &Arc<Inner>,
    seen: &Seen,
    headers: HeaderMap,
    error: &str,
    raw: Bytes,
) {
    if inner.rejected_log.is_none() {
        return;
    }
    let inner = Arc::clone(inner);
    let method = seen.method.to_string();
    let path = seen.path.clone();
    let remote = seen.remote;
    let error = error.to_owned();
    let _ = tokio::task::spawn_blocking(move || {
        if let Some(log) = &inner.rejected_log {
            log.append(&Rejection {
                method: &method,
                path: &path,
                remote_addr: remote,
                headers: &headers,
                error: &error,
                body: &raw,
            });
        }
    })
    .await;
}

enum BodyError {
    TooLarge,
    Read(String),
}

async fn read_body(body: Body, limit: usize) -> Result<Bytes, BodyError> {
    match http_body_util::Limited::new(body, limit).collect().await {
        Ok(c) => Ok(c.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(BodyError::TooLarge),
        Err(e) => Err(BodyError::Read(e.to_string())),
    }
}
