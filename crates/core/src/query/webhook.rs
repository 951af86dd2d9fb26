use std::fmt;

use super::validate::{ValidationError, ViolationCode, quote};
use crate::secret::Secret;

/// HTTP method of a webhook delivery (`rurl_method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WebhookMethod {
    /// `POST`.
    Post,
    /// `GET` (the records go in the query string).
    Get,
}

impl WebhookMethod {
    /// Every method, in wire order.
    pub const ALL: [Self; 2] = [Self::Post, Self::Get];

    /// Reads `POST`/`GET` (any case, surrounding spaces ignored).
    ///
    /// # Errors
    /// A [`ValidationError`] naming `webhook_method` (`rurl_method`).
    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        match text.trim().to_ascii_uppercase().as_str() {
            "POST" => Ok(Self::Post),
            "GET" => Ok(Self::Get),
            _ => Err(ValidationError::single(
                "webhook_method",
                "rurl_method",
                ViolationCode::WebhookMethod,
                format!("must be \"POST\" or \"GET\", got {}", quote(text)),
            )),
        }
    }

    /// `"POST"` or `"GET"`.
    pub fn as_wire(self) -> &'static str {
        match self {
            Self::Post => "POST",
            Self::Get => "GET",
        }
    }
}

/// Body format of a webhook delivery (`rurl_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WebhookFormat {
    /// `json`: one JSON body holding the calls (and `pagination` when the
    /// page was truncated).
    Json,
    /// `form`: URL-encoded form parameters, one delivery per call.
    Form,
}

impl WebhookFormat {
    /// Every format, in wire order.
    pub const ALL: [Self; 2] = [Self::Json, Self::Form];

    /// Reads `json`/`form` (any case, surrounding spaces ignored).
    ///
    /// # Errors
    /// A [`ValidationError`] naming `webhook_format` (`rurl_type`).
    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        match text.trim().to_ascii_lowercase().as_str() {
            "json" => Ok(Self::Json),
            "form" => Ok(Self::Form),
            _ => Err(ValidationError::single(
                "webhook_format",
                "rurl_type",
                ViolationCode::WebhookFormat,
                format!("must be \"json\" or \"form\", got {}", quote(text)),
            )),
        }
    }

    /// `"json"` or `"form"`.
    pub fn as_wire(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Form => "form",
        }
    }
}

/// Where and how the service delivers the results instead of answering
/// inline (`rurl` and its options). Validated when the query is built.
///
/// ```
/// use velip_core::query::{Webhook, WebhookFormat};
/// let w = Webhook::new("https://hooks.example.com/velip")
///     .format(WebhookFormat::Json)
///     .header("X-Api-Key", "abc")
///     .basic_auth("hook", "s3cret");
/// assert!(!format!("{w:?}").contains("s3cret"));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Webhook {
    pub(crate) url: String,
    pub(crate) method: Option<WebhookMethod>,
    pub(crate) format: Option<WebhookFormat>,
    pub(crate) headers: Vec<(String, String)>,
    /// `header_line` inputs without a `:`, reported by validation.
    pub(crate) malformed_lines: Vec<String>,
    pub(crate) user: Option<String>,
    pub(crate) password: Option<Secret>,
}

impl Webhook {
    /// A delivery to `url` (`rurl`): absolute `http`/`https`.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            method: None,
            format: None,
            headers: Vec::new(),
            malformed_lines: Vec::new(),
            user: None,
            password: None,
        }
    }

    /// `rurl_method`; default: the account's setting.
    #[must_use]
    pub fn method(mut self, method: WebhookMethod) -> Self {
        self.method = Some(method);
        self
    }

    /// `rurl_type`; default: form.
    #[must_use]
    pub fn format(mut self, format: WebhookFormat) -> Self {
        self.format = Some(format);
        self
    }

    /// One extra header for the delivery (`rurl_headers`, one `Name: value`
    /// line each). Names must be HTTP tokens; values must not hold CR, LF or
    /// other control characters.
    #[must_use]
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// One extra header given as a `Name: value` line (as on a command
    /// line). A line without `:` is reported by validation.
    #[must_use]
    pub fn header_line(mut self, line: &str) -> Self {
        if let Some((n, v)) = line.split_once(':') {
            self.header(n.trim(), v.trim())
        } else {
            self.malformed_lines.push(line.to_owned());
            self
        }
    }

    /// HTTP Basic credentials for the delivery (`rurl_user`,
    /// `rurl_password`). The password is redacted everywhere but the wire.
    #[must_use]
    pub fn basic_auth(mut self, user: impl Into<String>, password: impl Into<Secret>) -> Self {
        self.user = Some(user.into());
        self.password = Some(password.into());
        self
    }

    /// HTTP Basic credentials from optional parts, as a command line or a
    /// keyword argument gives them: both or neither.
    ///
    /// # Errors
    /// A [`ValidationError`] naming `webhook_user` when only one is given.
    pub fn basic_auth_parts(
        self,
        user: Option<String>,
        password: Option<Secret>,
    ) -> Result<Self, ValidationError> {
        match (user, password) {
            (Some(u), Some(p)) => Ok(self.basic_auth(u, p)),
            (None, None) => Ok(self),
            _ => Err(ValidationError::single(
                "webhook_user",
                "rurl_user",
                ViolationCode::WebhookAuthIncomplete,
                "give both the webhook's Basic user and password, or neither",
            )),
        }
    }

    /// The target URL (`rurl`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The method, when set.
    pub fn get_method(&self) -> Option<WebhookMethod> {
        self.method
    }

    /// The format, when set.
    pub fn get_format(&self) -> Option<WebhookFormat> {
        self.format
    }

    /// The extra headers, in order.
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// The Basic user, when set.
    pub fn user(&self) -> Option<&str> {
        self.user.as_deref()
    }

    /// The Basic password, when set (a [`Secret`]).
    pub fn password(&self) -> Option<&Secret> {
        self.password.as_ref()
    }

    pub(crate) fn headers_wire(&self) -> String {
        self.headers
            .iter()
            .map(|(n, v)| format!("{n}: {v}"))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl fmt::Debug for Webhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Webhook")
            .field("url", &crate::scrub::redact_url(&self.url))
            .field("method", &self.method)
            .field("format", &self.format)
            .field(
                "headers",
                &self.headers.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            )
            .field("malformed_lines", &self.malformed_lines.len())
            .field("user", &self.user)
            .field("password", &self.password)
            .finish()
    }
}
