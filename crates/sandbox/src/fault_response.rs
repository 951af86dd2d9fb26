//! The answers of transport faults: proxy-style HTML error pages, a reset
//! connection, a trickled or truncated body, a broken JSON body, and the
//! `Retry-After` header of an injected `429`; plus the byte-level rewrite of
//! the `badrecord` fault.

use std::io;
use std::time::{Duration, SystemTime};

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

use crate::faults::RetryAfter;

/// The body of the `badjson` fault: cut in the middle of the first record.
pub(crate) const INVALID_JSON: &[u8] =
    br#"{"return":{"status":"OK","status_code":"0"},"calls":[{"cd_id":1,"#;

/// An nginx-style HTML error page with this status.
pub(crate) fn html_page(status: u16) -> Response {
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

/// A response whose body fails at once: the connection is closed without an answer.
pub(crate) fn reset_response() -> Response {
    let stream = futures_util::stream::once(async {
        Err::<Bytes, io::Error>(io::Error::new(
            io::ErrorKind::ConnectionReset,
            "injected connection reset",
        ))
    });
    Response::new(Body::from_stream(stream))
}

/// The full body in `chunk`-byte pieces, `interval` apart.
pub(crate) fn trickle_response(
    status: u16,
    body: Vec<u8>,
    chunk: usize,
    interval: Duration,
) -> Response {
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
    json_stream_response(status, Body::from_stream(stream), len)
}

/// The full `Content-Length`, half the body, then the connection closes.
pub(crate) fn truncated_response(status: u16, body: Vec<u8>) -> Response {
    let len = body.len();
    let half = Bytes::from(body).slice(..len / 2);
    let stream = futures_util::stream::iter(vec![
        Ok::<Bytes, io::Error>(half),
        Err(io::Error::new(
            io::ErrorKind::ConnectionAborted,
            "injected truncation",
        )),
    ]);
    json_stream_response(status, Body::from_stream(stream), len)
}

fn json_stream_response(status: u16, body: Body, len: usize) -> Response {
    let mut r = Response::new(body);
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    r.headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    r
}

/// The `Retry-After` header value of an injected `429`.
pub(crate) fn retry_after_value(ra: &RetryAfter) -> Option<HeaderValue> {
    match ra {
        RetryAfter::Absent => None,
        RetryAfter::Seconds(s) => Some(HeaderValue::from(*s)),
        RetryAfter::HttpDate(d) => {
            HeaderValue::from_str(&httpdate::fmt_http_date(SystemTime::now() + *d)).ok()
        }
        RetryAfter::Raw(t) => HeaderValue::from_str(t).ok(),
    }
}

/// `body` with the last record's `date` made unreadable (`2026-02-30`),
/// everything else byte for byte (key order included); unchanged when no
/// record has a date.
pub(crate) fn with_bad_record(mut body: Vec<u8>) -> Vec<u8> {
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
