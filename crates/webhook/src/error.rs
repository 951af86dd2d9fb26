//! Errors of the receiver: a bad configuration, I/O while starting, TLS
//! files, and sink failures.

use std::fmt;
use std::io;

/// A configuration rule that does not hold, naming the field
/// (`path`, `basic_auth`, `require_header`, `body_limit`, ...). Never
/// quotes a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    field: &'static str,
    message: String,
}

impl ConfigError {
    pub(crate) fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }

    /// The configuration field (`path`, `basic_auth`, `require_header`,
    /// `body_limit`, `max_batch`, `queue`).
    pub fn field(&self) -> &'static str {
        self.field
    }

    /// What is wrong.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid receiver setting `{}`: {}",
            self.field, self.message
        )
    }
}

impl std::error::Error for ConfigError {}

/// Why a sink could not make a batch durable: any error of the sink's own
/// (I/O, database). Boxed so that every sink crate can return its errors
/// with `?`.
pub type SinkError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What can go wrong starting, running or stopping a receiver.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A configuration rule does not hold.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// An I/O failure: binding the address, opening the rejected log, or a
    /// sink's file; `what` names it.
    #[error("{what}: {source}")]
    Io {
        /// What was being done (`bind 127.0.0.1:8080`, `open deliveries.jsonl`).
        what: String,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// The TLS certificate or key cannot be used.
    #[error("TLS: {0}")]
    Tls(String),
    /// The sink failed; the deliveries of the failed batch were answered
    /// 503 (not acknowledged), so their senders retry them.
    #[error("sink: {0}")]
    Sink(#[source] SinkError),
}

impl Error {
    pub(crate) fn io(what: impl Into<String>, source: io::Error) -> Self {
        Self::Io {
            what: what.into(),
            source,
        }
    }
}
