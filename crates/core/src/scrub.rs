//! Masking secrets in text meant for people: logs, errors, `Debug`.
//!
//! The one place where secrets are removed from what is shown: the
//! [`Scrubber`] replaces every occurrence of the secrets it holds (token,
//! Basic password, webhook password) with `***`, in text or bytes a server
//! sent back; [`redact_url`] masks the user info and query values of a URL
//! (`https://hooks.example.com/velip?token=***`). [`Secret`]'s own `Debug`
//! never shows it.

use std::borrow::Cow;

use crate::Secret;

/// Secrets shorter than this are not searched for (ordinary words would
/// be masked).
const MIN_SECRET_LEN: usize = 4;

/// The secrets to mask in anything shown.
///
/// ```
/// use velip_core::{Secret, scrub::Scrubber};
/// let s = Scrubber::new([Secret::new("TOKEN123456")]);
/// assert_eq!(s.text("bad tsid=TOKEN123456"), "bad tsid=***");
/// assert_eq!(&*s.bytes(b"x TOKEN123456 \xff"), b"x *** \xff");
/// ```
#[derive(Clone, Default)]
pub struct Scrubber {
    secrets: Vec<Secret>,
}

impl std::fmt::Debug for Scrubber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Scrubber({} secrets)", self.secrets.len())
    }
}

impl Scrubber {
    /// A scrubber for these secrets (empty and very short ones are ignored).
    pub fn new(secrets: impl IntoIterator<Item = Secret>) -> Self {
        let mut s = Self::default();
        for x in secrets {
            s.push(x);
        }
        s
    }

    /// Adds a secret.
    pub fn push(&mut self, secret: Secret) {
        if secret.expose().len() >= MIN_SECRET_LEN && !self.secrets.contains(&secret) {
            self.secrets.push(secret);
        }
    }

    /// Whether there is nothing to mask.
    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    /// `text` with every secret replaced by `***` (borrowed when clean).
    pub fn text<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut out = Cow::Borrowed(text);
        for s in &self.secrets {
            if out.contains(s.expose()) {
                out = Cow::Owned(out.replace(s.expose(), "***"));
            }
        }
        out
    }

    /// `body` with every secret replaced by `***` (borrowed when clean).
    pub fn bytes<'a>(&self, body: &'a [u8]) -> Cow<'a, [u8]> {
        let mut out = Cow::Borrowed(body);
        for s in &self.secrets {
            let needle = s.expose().as_bytes();
            let finder = memchr::memmem::Finder::new(needle);
            if finder.find(&out).is_none() {
                continue;
            }
            let mut replaced = Vec::with_capacity(out.len());
            let mut rest: &[u8] = &out;
            while let Some(i) = finder.find(rest) {
                replaced.extend_from_slice(&rest[..i]);
                replaced.extend_from_slice(b"***");
                rest = &rest[i + needle.len()..];
            }
            replaced.extend_from_slice(rest);
            out = Cow::Owned(replaced);
        }
        out
    }
}

/// A URL for display: user info replaced by `***`, every query value and
/// the fragment masked (`?token=***&page=***`), so a webhook or proxy URL
/// can be logged. Text that is not a URL is shown as `<unparsable URL>`.
///
/// ```
/// use velip_core::scrub::redact_url;
/// assert_eq!(
///     redact_url("https://u:pw@hooks.example.com/velip?token=abc#x"),
///     "https://***@hooks.example.com/velip?token=***#***"
/// );
/// assert_eq!(redact_url("http://127.0.0.1:8080/velip"), "http://127.0.0.1:8080/velip");
/// ```
pub fn redact_url(u: &str) -> String {
    let Ok(mut parsed) = url::Url::parse(u) else {
        return "<unparsable URL>".to_owned();
    };
    if !parsed.username().is_empty() || parsed.password().is_some() {
        let _ = parsed.set_username("***");
        let _ = parsed.set_password(None);
    }
    if parsed.query().is_some() {
        let keys: Vec<String> = parsed.query_pairs().map(|(k, _)| k.into_owned()).collect();
        if keys.is_empty() {
            parsed.set_query(Some("***"));
        } else {
            let masked: Vec<String> = keys.iter().map(|k| format!("{k}=***")).collect();
            parsed.set_query(Some(&masked.join("&")));
        }
    }
    if parsed.fragment().is_some() {
        parsed.set_fragment(Some("***"));
    }
    parsed.to_string()
}
