//! The HTTP front: the router, the endpoint handler (request parsing, fault
//! selection, logging, the answer) and the 404 fallback.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::Response;
use axum::routing::any;

use crate::content_fault::ContentFaults;
use crate::fault_response::{
    INVALID_JSON, html_page, reset_response, retry_after_value, trickle_response,
    truncated_response, with_bad_record,
};
use crate::faults::Fault;
use crate::params::{parse_body, parse_query};
use crate::request_log::{LoggedRequest, masked_pairs};
use crate::rules::auth::AuthMode;
use crate::state::AppState;
use crate::wire::error_body;

/// The endpoint path.
pub const ENDPOINT_PATH: &str = "/api/v2/GetCallStatus.php";

/// A JSON answer with `Content-Length` and an optional `Retry-After`.
pub(crate) fn json_response(
    status: u16,
    body: Vec<u8>,
    retry_after: Option<HeaderValue>,
) -> Response {
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

async fn get_call_status(
    State(st): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (request_no, faults) = st.next_faults();
    let fault = faults.iter().find(|f| !f.is_content()).cloned();
    let content = ContentFaults::new(&faults, request_no);
    let fault_texts: Vec<String> = faults.iter().map(ToString::to_string).collect();
    let query = parse_query(uri.query());
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
        fault: fault_texts.first().cloned(),
        faults: fault_texts,
        client: peer.ip(),
    };

    if method != Method::GET && method != Method::POST {
        entry.status = 405;
        st.log.push(entry);
        return html_page(405);
    }

    // Faults that replace the answer entirely.
    match &fault {
        Some(Fault::ServerError(code)) => {
            entry.status = *code;
            st.log.push(entry);
            return html_page(*code);
        }
        Some(Fault::ServiceUnavailable) => {
            entry.status = 503;
            st.log.push(entry);
            return html_page(503);
        }
        Some(Fault::ConnectionReset) => {
            st.log.push(entry);
            return reset_response();
        }
        Some(Fault::RateLimited(ra)) => {
            entry.status = 429;
            "429".clone_into(&mut entry.status_code);
            st.log.push(entry);
            let body = error_body("Rate limit exceeded: 200 list requests per hour", "429");
            return json_response(429, body, retry_after_value(ra));
        }
        Some(Fault::DelayHeaders(d)) => tokio::time::sleep(*d).await,
        _ => {}
    }

    let authorization = header_text(header::AUTHORIZATION);
    st.live_tick();
    let out = st.process(
        peer.ip(),
        authorization.as_deref(),
        &query,
        &body_pairs,
        &content,
    );
    entry.status = out.status;
    entry.status_code.clone_from(&out.code);
    entry.auth = out.auth;
    entry.kind = out.kind;
    st.log.push(entry);
    st.spawn_deliveries(out.jobs);

    let retry_after = out.retry_after.map(HeaderValue::from);
    let body = if content.bad_record && out.status == 200 {
        with_bad_record(out.body)
    } else {
        out.body
    };
    match fault {
        Some(Fault::Trickle { chunk, interval }) => {
            trickle_response(out.status, body, chunk, interval)
        }
        Some(Fault::TruncatedBody) => truncated_response(out.status, body),
        Some(Fault::InvalidJson) => json_response(out.status, INVALID_JSON.to_vec(), None),
        _ => json_response(out.status, body, retry_after),
    }
}

async fn not_found(
    State(st): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    uri: Uri,
) -> Response {
    st.log.push(LoggedRequest {
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
        faults: Vec::new(),
        client: peer.ip(),
    });
    json_response(404, error_body("Not found", "404"), None)
}

/// The sandbox's router.
pub(crate) fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route(ENDPOINT_PATH, any(get_call_status))
        .fallback(not_found)
        .with_state(state)
}
