//! The rejected log: deliveries answered 400 because they cannot be
//! decoded, appended as JSON lines for the user to inspect.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use axum::http::{HeaderMap, HeaderName, header};
use base64::Engine as _;
use chrono::{SecondsFormat, Utc};
use serde::Serialize;

use crate::error::Error;

/// An open rejected log.
#[derive(Debug)]
pub(crate) struct RejectedLog {
    path: PathBuf,
    file: Mutex<File>,
    /// Header names whose values are secrets.
    secret_headers: Vec<HeaderName>,
}

/// What one line says.
pub(crate) struct Rejection<'a> {
    pub(crate) method: &'a str,
    pub(crate) path: &'a str,
    pub(crate) remote_addr: Option<SocketAddr>,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) error: &'a str,
    pub(crate) body: &'a [u8],
}

#[derive(Serialize)]
struct Line<'a> {
    time: String,
    method: &'a str,
    path: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    remote_addr: Option<SocketAddr>,
    headers: BTreeMap<String, String>,
    error: &'a str,
    body_bytes: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body_base64: Option<String>,
}

impl RejectedLog {
    pub(crate) fn open(path: &Path, secret_headers: Vec<HeaderName>) -> Result<Self, Error> {
        let file = OpenOptions::new()
            .append(true)
            .create(true)
            .open(path)
            .map_err(|e| Error::io(format!("open the rejected log {}", path.display()), e))?;
        Ok(Self {
            path: path.to_path_buf(),
            file: Mutex::new(file),
            secret_headers,
        })
    }

    /// Appends one line (blocking; call it off the async workers). A
    /// failure is logged, never fatal: the delivery was refused anyway.
    pub(crate) fn append(&self, r: &Rejection<'_>) {
        let mut headers = BTreeMap::new();
        for (name, value) in r.headers {
            let secret = name == header::AUTHORIZATION
                || name == header::PROXY_AUTHORIZATION
                || name == header::COOKIE
                || self.secret_headers.contains(name);
            let text = if secret {
                "***".to_owned()
            } else {
                String::from_utf8_lossy(value.as_bytes()).into_owned()
            };
            headers
                .entry(name.as_str().to_owned())
                .and_modify(|v: &mut String| {
                    v.push_str(", ");
                    v.push_str(&text);
                })
                .or_insert(text);
        }
        let text = std::str::from_utf8(r.body).ok();
        let line = Line {
            time: Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true),
            method: r.method,
            path: r.path,
            remote_addr: r.remote_addr,
            headers,
            error: r.error,
            body_bytes: r.body.len(),
            body: text,
            body_base64: text
                .is_none()
                .then(|| base64::engine::general_purpose::STANDARD.encode(r.body)),
        };
        let mut bytes = match serde_json::to_vec(&line) {
            Ok(b) => b,
            Err(e) => {
                log::error!("rejected log {}: {e}", self.path.display());
                return;
            }
        };
        bytes.push(b'\n');
        let mut file = self
            .file
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Err(e) = file.write_all(&bytes) {
            log::error!("rejected log {}: {e}", self.path.display());
        }
    }
}
