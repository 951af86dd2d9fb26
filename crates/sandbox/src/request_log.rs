//! The request log: one entry per request answered, secrets masked, bounded.

use std::net::IpAddr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::rules::auth::AuthMode;
use crate::rules::selection::RequestKind;
use crate::state::lock;

/// The request log keeps at most this many entries (the oldest tenth is dropped).
const MAX_LOG: usize = 200_000;

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
    /// The first injected fault, if any (its text form, e.g. `429:3`); the
    /// same as the first entry of [`faults`](Self::faults).
    pub fault: Option<String>,
    /// Every injected fault, in plan order (text forms): at most one
    /// transport fault plus any number of content faults
    /// ([`Fault::is_content`](crate::Fault::is_content)).
    pub faults: Vec<String>,
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

/// The pairs with their secrets masked, for the log.
pub(crate) fn masked_pairs(pairs: &[(String, String)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.clone(), mask_secret(k, v)))
        .collect()
}

/// The bounded, numbered log.
#[derive(Debug, Default)]
pub(crate) struct RequestLog {
    entries: Mutex<Vec<LoggedRequest>>,
    seq: AtomicU64,
}

impl RequestLog {
    /// Numbers and appends an entry (dropping the oldest tenth when full).
    pub(crate) fn push(&self, mut entry: LoggedRequest) {
        entry.seq = self.seq.fetch_add(1, Ordering::Relaxed) + 1;
        let mut log = lock(&self.entries);
        if log.len() >= MAX_LOG {
            log.drain(..MAX_LOG / 10);
        }
        log.push(entry);
    }

    /// A copy of every entry, oldest first.
    pub(crate) fn snapshot(&self) -> Vec<LoggedRequest> {
        lock(&self.entries).clone()
    }

    /// Forgets every entry; numbering restarts at 1.
    pub(crate) fn clear(&self) {
        lock(&self.entries).clear();
        self.seq.store(0, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_masked() {
        assert_eq!(
            mask_secret("tsid", "SBXFULL000sandbox0full0numbers"),
            "SBXFULL000********"
        );
        assert_eq!(mask_secret("sid", "short"), "********");
        assert_eq!(mask_secret("rurl_password", "x"), "********");
        assert_eq!(mask_secret("maxreg", "10"), "10");
    }
}
