//! The HTTP server: one endpoint, its request pipeline, fault injection, and
//! the background thread that owns the tokio runtime.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::Response;
use axum::routing::any;

use crate::config::{IpPolicy, SandboxConfig, WebhookMethod};
use crate::data::store::Store;
use crate::faults::{Fault, FaultPlan, RetryAfter};
use crate::rules::auth::{AuthMode, Guard, authenticate};
use crate::rules::limits::Limiter;
use crate::rules::masking::must_mask;
use crate::rules::paging::PageRequest;
use crate::rules::selection::{RequestKind, select};
use crate::rules::{ApiError, Clock};
use crate::webhook::{self, Delivery, Job, Payload};
use crate::wire::{
    CallsSer, Envelope, NextId, NumType, Pagination, Render, ReturnOk, error_body, origin_of,
};

/// The request log keeps at most this many entries (the oldest tenth is dropped).
const MAX_LOG: usize = 200_000;

/// The endpoint path.
pub const ENDPOINT_PATH: &str = "/api/v2/GetCallStatus.php";

/// One request the sandbox answered, as recorded in the request log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoggedRequest {
    /// Position in the log (1-based, restarts on reset).
    pub seq: u64,
    /// HTTP method.
    pub method: String,
    /// Request path.
    pub path: String,
    /// Query-string parameters, secrets masked (`tsid`/`sid`: first 10
    /// characters kept; `rurl_password`: fully masked).
    pub query: Vec<(String, String)>,
    /// Body parameters (form or JSON), secrets masked the same way.
    pub body: Vec<(String, String)>,
    /// The `Content-Type` header.
    pub content_type: Option<String>,
    /// The `User-Agent` header.
    pub user_agent: Option<String>,
    /// How the request authenticated (or tried to).
    pub auth: AuthMode,
    /// Point lookup or list request, once selection ran.
    pub kind: Option<RequestKind>,
    /// HTTP status answered (`0` for an injected connection reset).
    pub status: u16,
    /// `return.status_code` answered (empty for fault pages).
    pub status_code: String,
    /// The injected fault, if any (its text form, e.g. `429:3`).
    pub fault: Option<String>,
    /// The client address.
    pub client: IpAddr,
}

impl LoggedRequest {
    /// A parameter as the server read it: the query string wins over the body.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .chain(self.body.iter())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// True when the parameter was sent in the query string.
    pub fn in_query(&self, name: &str) -> bool {
        self.query.iter().any(|(k, _)| k == name)
    }
}

fn mask_secret(key: &str, value: &str) -> String {
    match key {
        "tsid" | "sid" => {
            let keep: String = value.chars().take(10).collect();
            if value.chars().count() > 10 {
                format!("{keep}********")
            } else {
                "********".to_owned()
            }
        }
        "rurl_password" | "password" => "********".to_owned(),
        _ => value.to_owned(),
    }
}

fn masked_pairs(pairs: &[(String, String)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.clone(), mask_secret(k, v)))
        .collect()
}

pub(crate) struct FaultState {
    pub(crate) plan: FaultPlan,
    pub(crate) counter: u64,
}

/// Shared state of a running sandbox.
pub(crate) struct AppState {
    pub(crate) cfg: RwLock<SandboxConfig>,
    pub(crate) store: RwLock<Store>,
    pub(crate) daily_cap: AtomicU32,
    pub(crate) clock: Clock,
    pub(crate) guard: Mutex<Guard>,
    pub(crate) limiter: Mutex<Limiter>,
    pub(crate) faults: Mutex<FaultState>,
    pub(crate) log: Mutex<Vec<LoggedRequest>>,
    pub(crate) log_seq: AtomicU64,
    pub(crate) deliveries: Mutex<Vec<Delivery>>,
    pub(crate) pending_deliveries: AtomicUsize,
    pub(crate) returl: Mutex<HashMap<u64, i32>>,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

pub(crate) fn read<T>(m: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    m.read().unwrap_or_else(PoisonError::into_inner)
}

impl AppState {
    pub(crate) fn new(cfg: SandboxConfig, store: Store) -> Self {
        let cap = cfg
            .limits
            .daily_lookups
            .unwrap_or_else(|| store.daily_lookup_cap());
        let plan = cfg.faults.clone();
        Self {
            cfg: RwLock::new(cfg),
            store: RwLock::new(store),
            daily_cap: AtomicU32::new(cap),
            clock: Clock::default(),
            guard: Mutex::new(Guard::default()),
            limiter: Mutex::new(Limiter::default()),
            faults: Mutex::new(FaultState { plan, counter: 0 }),
            log: Mutex::new(Vec::new()),
            log_seq: AtomicU64::new(0),
            deliveries: Mutex::new(Vec::new()),
            pending_deliveries: AtomicUsize::new(0),
            returl: Mutex::new(HashMap::new()),
        }
    }

    fn next_fault(&self) -> Option<Fault> {
        let mut f = lock(&self.faults);
        f.counter += 1;
        let n = f.counter;
        f.plan.fault_for(n).cloned()
    }

    fn push_log(&self, mut entry: LoggedRequest) {
        entry.seq = self.log_seq.fetch_add(1, Ordering::Relaxed) + 1;
        let mut log = lock(&self.log);
        if log.len() >= MAX_LOG {
            log.drain(..MAX_LOG / 10);
        }
        log.push(entry);
    }
}

/// What the pipeline produced.
struct Outcome {
    status: u16,
    code: String,
    retry_after: Option<u64>,
    body: Vec<u8>,
    auth: AuthMode,
    kind: Option<RequestKind>,
    jobs: Vec<Job>,
}

impl Outcome {
    fn error(e: &ApiError, auth: AuthMode, kind: Option<RequestKind>) -> Self {
        Self {
            status: e.http,
            code: e.code.to_owned(),
            retry_after: e.retry_after,
            body: error_body(&e.message, e.code),
            auth,
            kind,
            jobs: Vec::new(),
        }
    }
}

fn param_lookup<'a>(
    query: &'a [(String, String)],
    body: &'a [(String, String)],
) -> impl Fn(&str) -> Option<String> + 'a {
    move |key: &str| {
        query
            .iter()
            .find(|(k, _)| k == key)
            .or_else(|| body.iter().find(|(k, _)| k == key))
            .map(|(_, v)| v.clone())
    }
}

fn parse_body(headers: &HeaderMap, body: &[u8]) -> Vec<(String, String)> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if ct.to_ascii_lowercase().contains("json") {
        let Ok(serde_json::Value::Object(map)) = serde_json::from_slice::<serde_json::Value>(body)
        else {
            return Vec::new();
        };
        map.into_iter()
            .filter_map(|(k, v)| {
                let v = match v {
                    serde_json::Value::Null => return None,
                    serde_json::Value::String(s) => s,
                    serde_json::Value::Bool(b) => if b { "1" } else { "0" }.to_owned(),
                    other => other.to_string(),
                };
                Some((k, v))
            })
            .collect()
    } else {
        form_urlencoded::parse(body).into_owned().collect()
    }
}

impl AppState {
    /// The request pipeline: bans, authentication, selection, IP policy,
    /// rate limits, rendering, webhook jobs.
    #[allow(clippy::too_many_lines)]
    fn process(
        &self,
        ip: IpAddr,
        authorization: Option<&str>,
        query: &[(String, String)],
        body: &[(String, String)],
        stuck: bool,
    ) -> Outcome {
        let param = param_lookup(query, body);
        let cfg = read(&self.cfg);
        let now = self.clock.now();

        let auth = authenticate(&cfg, authorization, &param);
        {
            let mut guard = lock(&self.guard);
            if let Err(e) = guard.check_client(ip, now, &cfg.bans) {
                return Outcome::error(&e, auth.mode, None);
            }
            if let Some(user) = &auth.user
                && let Err(e) = guard.check_user(user, now, &cfg.bans)
            {
                return Outcome::error(&e, auth.mode, None);
            }
            if let Err((e, failure)) = &auth.result {
                guard.record(ip, failure, now, &cfg.bans);
                return Outcome::error(e, auth.mode, None);
            }
        }
        let Ok(principal) = &auth.result else {
            return Outcome::error(&ApiError::auth("100"), auth.mode, None);
        };

        let rurl = param("rurl").filter(|u| !u.trim().is_empty());
        if let Some(u) = &rurl
            && !(u.starts_with("http://") || u.starts_with("https://"))
        {
            return Outcome::error(&ApiError::new(400, "400", "Invalid rurl"), auth.mode, None);
        }

        let store = read(&self.store);
        let page_req = PageRequest::parse(param("maxreg").as_deref());
        let sel = select(&store, &param, page_req);
        let kind = Some(sel.kind);

        let mut warning = None;
        if sel.kind == RequestKind::List {
            match cfg.ip_policy {
                IpPolicy::Allow => {}
                IpPolicy::Warn => {
                    warning = Some(format!(
                        "IP {ip} is not registered under Integrations > IPs; list requests from it will be blocked soon"
                    ));
                }
                IpPolicy::Block => {
                    return Outcome::error(
                        &ApiError::new(403, "105", "IP not authorized for list requests"),
                        auth.mode,
                        kind,
                    );
                }
            }
        }

        {
            let mut limiter = lock(&self.limiter);
            let r = match sel.kind {
                RequestKind::List => limiter.list(ip, now, &cfg.limits),
                RequestKind::PointLookup => limiter.lookup(
                    ip,
                    self.clock.wall(),
                    self.daily_cap.load(Ordering::Relaxed),
                ),
            };
            if let Err(e) = r {
                return Outcome::error(&e, auth.mode, kind);
            }
        }

        let masked = must_mask(principal, sel.kind, sel.by_single_ctid);
        let origin = origin_of(param("origin").as_deref());
        let render = Render {
            store: &store,
            wire: &cfg.wire,
            origin: &origin,
            numtype: NumType::parse(param("numtype").as_deref()),
            masked,
        };
        let mut page = sel.page;
        if stuck && let Some(&first) = page.rows.first() {
            page.has_more = true;
            page.next_id = Some(store.rows[first].id);
        }
        let strings = cfg.wire.numbers_as_strings;
        let pagination = |force: bool| {
            (page_req.maxreg_sent || force).then(|| Pagination {
                has_more: page.has_more,
                next_id: NextId {
                    id: page.next_id,
                    strings,
                },
                maxreg_capped: page_req.capped.then_some(true),
                maxreg_applied: page_req
                    .capped
                    .then(|| u32::try_from(page_req.size).unwrap_or(5000)),
            })
        };
        let ret = |force: bool| ReturnOk {
            status: "OK",
            status_code: "0",
            numbers_masked: masked.then_some(true),
            warning: warning.clone(),
            pagination: pagination(force),
        };

        let mut jobs = Vec::new();
        let inline_rows: &[usize] = if let Some(url) = rurl {
            let method = match param("rurl_method")
                .map(|m| m.trim().to_ascii_uppercase())
                .as_deref()
            {
                Some("GET") => WebhookMethod::Get,
                Some("POST") => WebhookMethod::Post,
                _ => cfg.webhook.default_method,
            };
            let headers = param("rurl_headers")
                .map(|h| webhook::parse_headers(&h))
                .unwrap_or_default();
            let basic = param("rurl_user")
                .filter(|u| !u.is_empty())
                .map(|u| (u, param("rurl_password").unwrap_or_default()));
            let json = param("rurl_type").is_some_and(|t| t.trim().eq_ignore_ascii_case("json"));
            if json && !page.rows.is_empty() {
                let env = Envelope {
                    ret: ReturnOk {
                        numbers_masked: masked.then_some(true),
                        warning: None,
                        pagination: if page.has_more {
                            pagination(true)
                        } else {
                            None
                        },
                        status: "OK",
                        status_code: "0",
                    },
                    calls: CallsSer {
                        render: &render,
                        rows: &page.rows,
                    },
                };
                jobs.push(Job {
                    url: url.clone(),
                    method,
                    payload: Payload::Json(serde_json::to_string(&env).unwrap_or_default()),
                    headers: headers.clone(),
                    basic: basic.clone(),
                    call_ids: page.rows.iter().map(|&i| store.rows[i].id).collect(),
                });
            } else if !json {
                for &i in &page.rows {
                    jobs.push(Job {
                        url: url.clone(),
                        method,
                        payload: Payload::Form(render.form_fields(&store.rows[i])),
                        headers: headers.clone(),
                        basic: basic.clone(),
                        call_ids: vec![store.rows[i].id],
                    });
                }
            }
            &[]
        } else {
            &page.rows
        };

        let env = Envelope {
            ret: ret(false),
            calls: CallsSer {
                render: &render,
                rows: inline_rows,
            },
        };
        let mut out = Vec::with_capacity(64 + inline_rows.len() * 450);
        if let Err(e) = serde_json::to_writer(&mut out, &env) {
            return Outcome::error(
                &ApiError::new(500, "500", format!("render error: {e}")),
                auth.mode,
                kind,
            );
        }
        Outcome {
            status: 200,
            code: "0".to_owned(),
            retry_after: None,
            body: out,
            auth: auth.mode,
            kind,
            jobs,
        }
    }

    fn spawn_deliveries(self: &Arc<Self>, jobs: Vec<Job>) {
        if jobs.is_empty() {
            return;
        }
        self.pending_deliveries
            .fetch_add(jobs.len(), Ordering::SeqCst);
        let st = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let cfg = read(&st.cfg).webhook.clone();
            for job in jobs {
                let d = webhook::deliver(&job, &cfg);
                {
                    let mut returl = lock(&st.returl);
                    for id in &d.call_ids {
                        returl.insert(*id, d.cd_returl());
                    }
                }
                lock(&st.deliveries).push(d);
                st.pending_deliveries.fetch_sub(1, Ordering::SeqCst);
            }
        });
    }
}

fn html_page(status: u16) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let reason = code.canonical_reason().unwrap_or("Error");
    let page = format!(
        "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    );
    let mut r = Response::new(Body::from(page));
    *r.status_mut() = code;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    r
}

fn json_response(status: u16, body: Vec<u8>, retry_after: Option<HeaderValue>) -> Response {
    let len = body.len();
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    if let Some(v) = retry_after {
        h.insert(header::RETRY_AFTER, v);
    }
    r
}

fn reset_response() -> Response {
    let stream = futures_util::stream::once(async {
        Err::<Bytes, io::Error>(io::Error::new(
            io::ErrorKind::ConnectionReset,
            "injected connection reset",
        ))
    });
    Response::new(Body::from_stream(stream))
}

fn trickle_response(status: u16, body: Vec<u8>, chunk: usize, interval: Duration) -> Response {
    let len = body.len();
    let body = Bytes::from(body);
    let stream = futures_util::stream::unfold(0usize, move |pos| {
        let body = body.clone();
        async move {
            if pos >= body.len() {
                return None;
            }
            if pos > 0 {
                tokio::time::sleep(interval).await;
            }
            let end = (pos + chunk).min(body.len());
            Some((Ok::<Bytes, io::Error>(body.slice(pos..end)), end))
        }
    });
    let mut r = Response::new(Body::from_stream(stream));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    r.headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    r
}

fn truncated_response(status: u16, body: Vec<u8>) -> Response {
    let len = body.len();
    let half = Bytes::from(body).slice(..len / 2);
    let stream = futures_util::stream::iter(vec![
        Ok::<Bytes, io::Error>(half),
        Err(io::Error::new(
            io::ErrorKind::ConnectionAborted,
            "injected truncation",
        )),
    ]);
    let mut r = Response::new(Body::from_stream(stream));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    r.headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    r
}

fn retry_after_value(ra: &RetryAfter) -> Option<HeaderValue> {
    match ra {
        RetryAfter::Absent => None,
        RetryAfter::Seconds(s) => Some(HeaderValue::from(*s)),
        RetryAfter::HttpDate(d) => {
            HeaderValue::from_str(&httpdate::fmt_http_date(SystemTime::now() + *d)).ok()
        }
        RetryAfter::Raw(t) => HeaderValue::from_str(t).ok(),
    }
}

async fn get_call_status(
    State(st): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let fault = st.next_fault();
    let query: Vec<(String, String)> = form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .into_owned()
        .collect();
    let body_pairs = parse_body(&headers, &body);
    let header_text = |h: header::HeaderName| {
        headers
            .get(h)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let mut entry = LoggedRequest {
        seq: 0,
        method: method.as_str().to_owned(),
        path: uri.path().to_owned(),
        query: masked_pairs(&query),
        body: masked_pairs(&body_pairs),
        content_type: header_text(header::CONTENT_TYPE),
        user_agent: header_text(header::USER_AGENT),
        auth: AuthMode::None,
        kind: None,
        status: 0,
        status_code: String::new(),
        fault: fault.as_ref().map(ToString::to_string),
        client: peer.ip(),
    };

    if method != Method::GET && method != Method::POST {
        entry.status = 405;
        st.push_log(entry);
        return html_page(405);
    }

    // Faults that replace the answer entirely.
    match &fault {
        Some(Fault::ServerError(code)) => {
            entry.status = *code;
            st.push_log(entry);
            return html_page(*code);
        }
        Some(Fault::ServiceUnavailable) => {
            entry.status = 503;
            st.push_log(entry);
            return html_page(503);
        }
        Some(Fault::ConnectionReset) => {
            st.push_log(entry);
            return reset_response();
        }
        Some(Fault::RateLimited(ra)) => {
            entry.status = 429;
            "429".clone_into(&mut entry.status_code);
            st.push_log(entry);
            let body = error_body("Rate limit exceeded: 200 list requests per hour", "429");
            return json_response(429, body, retry_after_value(ra));
        }
        Some(Fault::DelayHeaders(d)) => tokio::time::sleep(*d).await,
        _ => {}
    }

    let authorization = header_text(header::AUTHORIZATION);
    let stuck = matches!(fault, Some(Fault::StuckCursor));
    let out = st.process(
        peer.ip(),
        authorization.as_deref(),
        &query,
        &body_pairs,
        stuck,
    );
    entry.status = out.status;
    entry.status_code.clone_from(&out.code);
    entry.auth = out.auth;
    entry.kind = out.kind;
    st.push_log(entry);
    st.spawn_deliveries(out.jobs);

    let retry_after = out.retry_after.map(HeaderValue::from);
    match fault {
        Some(Fault::Trickle { chunk, interval }) => {
            trickle_response(out.status, out.body, chunk, interval)
        }
        Some(Fault::TruncatedBody) => truncated_response(out.status, out.body),
        Some(Fault::InvalidJson) => json_response(
            out.status,
            br#"{"return":{"status":"OK","status_code":"0"},"calls":[{"cd_id":1,"#.to_vec(),
            None,
        ),
        Some(Fault::BadRecord) => json_response(out.status, with_bad_record(out.body), retry_after),
        _ => json_response(out.status, out.body, retry_after),
    }
}

async fn not_found(
    State(st): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    uri: Uri,
) -> Response {
    st.push_log(LoggedRequest {
        seq: 0,
        method: method.as_str().to_owned(),
        path: uri.path().to_owned(),
        query: Vec::new(),
        body: Vec::new(),
        content_type: None,
        user_agent: None,
        auth: AuthMode::None,
        kind: None,
        status: 404,
        status_code: "404".to_owned(),
        fault: None,
        client: peer.ip(),
    });
    json_response(404, error_body("Not found", "404"), None)
}

/// `body` with the last record's `date` made unreadable (`2026-02-30`),
/// everything else byte for byte (key order included); unchanged when no
/// record has a date.
fn with_bad_record(mut body: Vec<u8>) -> Vec<u8> {
    const KEY: &[u8] = br#""date":""#;
    let at = body
        .windows(KEY.len())
        .rposition(|w| w == KEY)
        .map(|i| i + KEY.len());
    // Only over a value shaped like `YYYY-MM-DD` (not `""`).
    let is_date = |v: &[u8]| {
        v.iter().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                *b == b'-'
            } else {
                b.is_ascii_digit()
            }
        })
    };
    if let Some(value) = at
        .and_then(|i| body.get_mut(i..i + 10))
        .filter(|v| is_date(v))
    {
        value.copy_from_slice(b"2026-02-30");
    }
    body
}

/// The sandbox's router.
pub(crate) fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route(ENDPOINT_PATH, any(get_call_status))
        .fallback(not_found)
        .with_state(state)
}

/// A server running on its own thread with its own tokio runtime; stops on drop.
pub(crate) struct ServerThread {
    addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl ServerThread {
    /// Binds `addr` and serves `router` on a background thread.
    pub(crate) fn spawn(addr: SocketAddr, router: Router) -> io::Result<Self> {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<io::Result<SocketAddr>>();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name(format!("velip-sandbox-{}", addr.port()))
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_name("velip-sandbox-worker")
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                rt.block_on(async move {
                    let listener = match tokio::net::TcpListener::bind(addr).await {
                        Ok(l) => l,
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                            return;
                        }
                    };
                    let local = match listener.local_addr() {
                        Ok(a) => a,
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                            return;
                        }
                    };
                    let _ = ready_tx.send(Ok(local));
                    let serve = axum::serve(
                        listener,
                        router.into_make_service_with_connect_info::<SocketAddr>(),
                    );
                    tokio::select! {
                        _ = serve => {}
                        _ = stop_rx => {}
                    }
                });
                rt.shutdown_timeout(Duration::from_secs(1));
            })?;
        let addr = ready_rx
            .recv()
            .map_err(|_| io::Error::other("sandbox server thread died during start-up"))??;
        Ok(Self {
            addr,
            shutdown: Some(stop_tx),
            thread: Some(thread),
        })
    }

    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for ServerThread {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
