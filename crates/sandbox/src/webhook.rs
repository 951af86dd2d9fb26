//! Webhook delivery (`rurl`) and a small recording receiver for tests.
//!
//! Deliveries run on the blocking pool (`ureq`), never on the async workers,
//! and only ever go to the URL the request's `rurl` names.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::IntoResponse;
use base64::Engine as _;

use crate::config::{WebhookConfig, WebhookMethod};
use crate::runtime::ServerThread;

/// What a delivery carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Payload {
    /// One JSON body (`rurl_type=json`).
    Json(String),
    /// URL-encoded fields of one call.
    Form(Vec<(String, String)>),
}

/// A delivery to make.
#[derive(Clone, Debug)]
pub(crate) struct Job {
    pub(crate) url: String,
    pub(crate) method: WebhookMethod,
    pub(crate) payload: Payload,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) basic: Option<(String, String)>,
    pub(crate) call_ids: Vec<u64>,
}

/// One delivery the sandbox made (or tried to), as recorded in the delivery log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    /// The target URL (the request's `rurl`).
    pub url: String,
    /// `POST` or `GET`.
    pub method: String,
    /// `application/json` or `application/x-www-form-urlencoded`.
    pub content_type: String,
    /// The body sent (for `GET`, the query string sent).
    pub body: String,
    /// Extra headers sent (from `rurl_headers`).
    pub headers: Vec<(String, String)>,
    /// Whether Basic credentials were sent.
    pub basic_auth: bool,
    /// The calls this delivery carried.
    pub call_ids: Vec<u64>,
    /// Attempts made.
    pub attempts: u32,
    /// HTTP status of the last attempt, if any answer came.
    pub status: Option<u16>,
    /// Transport error of the last attempt, if any.
    pub error: Option<String>,
    /// Delivered (a 2xx answer).
    pub delivered: bool,
}

impl Delivery {
    /// The platform's per-call outcome: positive = delivered (the number of
    /// attempts it took), negative = all attempts failed (minus their number).
    pub fn cd_returl(&self) -> i32 {
        let n = i32::try_from(self.attempts).unwrap_or(i32::MAX);
        if self.delivered { n } else { -n }
    }
}

/// Parses `rurl_headers`: one `Name: value` per line.
pub(crate) fn parse_headers(raw: &str) -> Vec<(String, String)> {
    raw.lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .filter(|(k, _)| !k.is_empty())
        .collect()
}

fn form_encode(fields: &[(String, String)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish()
}

/// Makes one delivery, with retries (blocking).
pub(crate) fn deliver(job: &Job, cfg: &WebhookConfig) -> Delivery {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(cfg.timeout))
        .proxy(None)
        .build()
        .into();
    let (content_type, body) = match &job.payload {
        Payload::Json(s) => ("application/json", s.clone()),
        Payload::Form(f) => ("application/x-www-form-urlencoded", form_encode(f)),
    };
    let body = match (job.method, &job.payload) {
        (WebhookMethod::Get, Payload::Json(s)) => form_encode(&[("json".to_owned(), s.clone())]),
        _ => body,
    };
    let mut d = Delivery {
        url: job.url.clone(),
        method: match job.method {
            WebhookMethod::Post => "POST",
            WebhookMethod::Get => "GET",
        }
        .to_owned(),
        content_type: content_type.to_owned(),
        body,
        headers: job.headers.clone(),
        basic_auth: job.basic.is_some(),
        call_ids: job.call_ids.clone(),
        attempts: 0,
        status: None,
        error: None,
        delivered: false,
    };
    for attempt in 0..=cfg.retries {
        if attempt > 0 {
            std::thread::sleep(Duration::from_millis(50));
        }
        d.attempts += 1;
        let result = match job.method {
            WebhookMethod::Post => {
                let mut req = agent.post(&job.url).header("Content-Type", content_type);
                for (k, v) in &job.headers {
                    req = req.header(k.as_str(), v.as_str());
                }
                if let Some((u, p)) = &job.basic {
                    req = req.header("Authorization", basic_header(u, p));
                }
                req.send(d.body.as_bytes())
            }
            WebhookMethod::Get => {
                let sep = if job.url.contains('?') { '&' } else { '?' };
                let url = format!("{}{sep}{}", job.url, d.body);
                let mut req = agent.get(&url);
                for (k, v) in &job.headers {
                    req = req.header(k.as_str(), v.as_str());
                }
                if let Some((u, p)) = &job.basic {
                    req = req.header("Authorization", basic_header(u, p));
                }
                req.call()
            }
        };
        match result {
            Ok(resp) => {
                let status = resp.status().as_u16();
                d.status = Some(status);
                d.error = None;
                if (200..300).contains(&status) {
                    d.delivered = true;
                    break;
                }
            }
            Err(e) => {
                d.status = None;
                d.error = Some(e.to_string());
            }
        }
    }
    d
}

fn basic_header(user: &str, password: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

/// One request a [`WebhookReceiver`] got.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceivedRequest {
    /// HTTP method.
    pub method: String,
    /// Path (without the query string).
    pub path: String,
    /// Raw query string (empty when none).
    pub query: String,
    /// Headers, names lower-case.
    pub headers: Vec<(String, String)>,
    /// Raw body.
    pub body: Vec<u8>,
}

impl ReceivedRequest {
    /// First header with this (case-insensitive) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as text (lossy).
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body parsed as JSON (for `GET`, the `json` query parameter).
    pub fn json(&self) -> Option<serde_json::Value> {
        if self.method == "GET" {
            let (_, v) =
                form_urlencoded::parse(self.query.as_bytes()).find(|(k, _)| k == "json")?;
            return serde_json::from_str(&v).ok();
        }
        serde_json::from_slice(&self.body).ok()
    }

    /// Form fields, in order: from the body for `POST`, the query string for `GET`.
    pub fn form(&self) -> Vec<(String, String)> {
        let raw: &[u8] = if self.method == "GET" {
            self.query.as_bytes()
        } else {
            &self.body
        };
        form_urlencoded::parse(raw).into_owned().collect()
    }
}

struct ReceiverState {
    requests: Mutex<Vec<ReceivedRequest>>,
    status: AtomicU16,
}

/// A tiny HTTP server on `127.0.0.1` that records every request it gets and
/// answers a configurable status (200 by default). Point `rurl` at
/// [`url`](Self::url). Stops on drop.
pub struct WebhookReceiver {
    state: Arc<ReceiverState>,
    server: ServerThread,
    url: String,
}

impl std::fmt::Debug for WebhookReceiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookReceiver")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

async fn receive(
    State(st): State<Arc<ReceiverState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> impl IntoResponse {
    let req = ReceivedRequest {
        method: method.as_str().to_owned(),
        path: uri.path().to_owned(),
        query: uri.query().unwrap_or("").to_owned(),
        headers: headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: body.to_vec(),
    };
    st.requests
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push(req);
    let status = StatusCode::from_u16(st.status.load(Ordering::Relaxed)).unwrap_or(StatusCode::OK);
    (status, "ok")
}

impl WebhookReceiver {
    /// Starts a receiver on a free port of `127.0.0.1`.
    pub fn start() -> std::io::Result<Self> {
        let state = Arc::new(ReceiverState {
            requests: Mutex::new(Vec::new()),
            status: AtomicU16::new(200),
        });
        let router = Router::new()
            .fallback(receive)
            .with_state(Arc::clone(&state));
        let server = ServerThread::spawn(SocketAddr::from(([127, 0, 0, 1], 0)), router)?;
        let url = format!("http://{}/hook", server.addr());
        Ok(Self { state, server, url })
    }

    /// A URL on this receiver (`http://127.0.0.1:PORT/hook`); any path is accepted.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// The status answered from now on (e.g. 500 to make deliveries fail).
    pub fn set_status(&self, status: u16) {
        self.state.status.store(status, Ordering::Relaxed);
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<ReceivedRequest> {
        self.state
            .requests
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Waits until at least `n` requests arrived (or `timeout` passed), then returns them all.
    pub fn wait_for(&self, n: usize, timeout: Duration) -> Vec<ReceivedRequest> {
        let deadline = Instant::now() + timeout;
        loop {
            let got = self.requests();
            if got.len() >= n || Instant::now() >= deadline {
                return got;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Forgets the requests received so far.
    pub fn clear(&self) {
        self.state
            .requests
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clear();
    }
}
