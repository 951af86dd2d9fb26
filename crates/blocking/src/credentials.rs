//! [`Credentials`]: what a client authenticates with, checked and
//! normalized once.

use std::fmt;

use base64::Engine as _;
use velip_core::Secret;
use velip_core::scrub::Scrubber;

use crate::Error;

/// Longest token, Basic user or password accepted (Velip tokens are 30
/// characters).
pub(crate) const MAX_TOKEN_LEN: usize = 512;

/// The account credentials a client sends. `Debug` never shows the token or
/// the password.
///
/// ```
/// use velip_blocking::Credentials;
/// let c = Credentials::token("SBXFULL000sandbox0full0numbers");
/// assert_eq!(format!("{c:?}"), "Token { token: Secret(***), in_body: false }");
/// ```
#[derive(Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Credentials {
    /// No credentials (every request will fail authentication).
    #[default]
    None,
    /// An API token: sent as `Authorization: Bearer <token>`, or as the
    /// `tsid` form field when `in_body` is true. Never in a URL.
    Token {
        /// The token.
        token: Secret,
        /// Send it as the `tsid` body field instead of the header.
        in_body: bool,
    },
    /// HTTP Basic (`Authorization: Basic ...`); answers always carry full
    /// numbers.
    Basic {
        /// User name.
        user: String,
        /// Password.
        password: Secret,
    },
}

impl Credentials {
    /// A token sent as `Authorization: Bearer`.
    pub fn token(token: impl Into<Secret>) -> Self {
        Self::Token {
            token: token.into(),
            in_body: false,
        }
    }

    /// HTTP Basic credentials.
    pub fn basic(user: impl Into<String>, password: impl Into<Secret>) -> Self {
        Self::Basic {
            user: user.into(),
            password: password.into(),
        }
    }

    /// `bearer`, `tsid`, `basic` or `none`.
    pub fn mode(&self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Token { in_body: false, .. } => "bearer",
            Self::Token { in_body: true, .. } => "tsid",
            Self::Basic { .. } => "basic",
        }
    }

    /// Checks and normalizes the credentials.
    ///
    /// Tokens: surrounding whitespace (a copy-paste accident) is **trimmed**;
    /// an empty token, or one with whitespace, control or non-ASCII
    /// characters inside, is **rejected** with [`Error::Config`] (the message
    /// never quotes the token). Basic: the user must be non-empty, without `:` or control
    /// characters; the password without control characters.
    pub(crate) fn normalized(self) -> Result<Self, Error> {
        match self {
            Self::None => Ok(Self::None),
            Self::Token { token, in_body } => {
                let raw = token.expose();
                let trimmed = raw.trim();
                if trimmed.is_empty() {
                    return Err(Error::config("token", "the token is empty"));
                }
                if trimmed.chars().any(|c| c.is_whitespace() || c.is_control()) {
                    return Err(Error::config(
                        "token",
                        "the token contains whitespace or control characters inside it (not shown); \
                         surrounding whitespace is trimmed, inner whitespace is refused",
                    ));
                }
                // It travels in an HTTP header: visible ASCII only.
                if !trimmed.bytes().all(|b| b.is_ascii_graphic()) {
                    return Err(Error::config(
                        "token",
                        "the token contains non-ASCII characters (not shown); Velip tokens are ASCII",
                    ));
                }
                if trimmed.len() > MAX_TOKEN_LEN {
                    return Err(Error::config(
                        "token",
                        format!(
                            "the token is {} bytes long (not shown); Velip tokens are 30 characters, at most {MAX_TOKEN_LEN} are accepted",
                            trimmed.len()
                        ),
                    ));
                }
                if trimmed.len() != raw.len() {
                    log::debug!(target: "velip", "token had surrounding whitespace; trimmed");
                }
                Ok(Self::Token {
                    token: Secret::new(trimmed),
                    in_body,
                })
            }
            Self::Basic { user, password } => {
                if user.is_empty() || user.contains(':') || user.chars().any(char::is_control) {
                    return Err(Error::config(
                        "basic_auth",
                        "the Basic user must be non-empty, without ':' or control characters",
                    ));
                }
                if password.expose().chars().any(char::is_control) {
                    return Err(Error::config(
                        "basic_auth",
                        "the Basic password contains control characters (not shown)",
                    ));
                }
                if user.len() > MAX_TOKEN_LEN || password.expose().len() > MAX_TOKEN_LEN {
                    return Err(Error::config(
                        "basic_auth",
                        format!(
                            "the Basic user and password may be at most {MAX_TOKEN_LEN} bytes each"
                        ),
                    ));
                }
                Ok(Self::Basic { user, password })
            }
        }
    }

    /// The `Authorization` header value, if any.
    pub(crate) fn authorization(&self) -> Option<String> {
        match self {
            Self::Token {
                token,
                in_body: false,
            } => Some(format!("Bearer {}", token.expose())),
            Self::Basic { user, password } => {
                let raw = format!("{user}:{}", password.expose());
                Some(format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(raw)
                ))
            }
            _ => None,
        }
    }

    /// The secrets to scrub from anything a server sends back or a log
    /// line shows.
    pub(crate) fn scrubber(&self) -> Scrubber {
        match self {
            Self::None => Scrubber::default(),
            Self::Token { token, .. } => Scrubber::new([token.clone()]),
            Self::Basic { password, .. } => Scrubber::new([password.clone()]),
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::None => f.write_str("None"),
            Self::Token { token, in_body } => f
                .debug_struct("Token")
                .field("token", token)
                .field("in_body", in_body)
                .finish(),
            Self::Basic { user, password } => f
                .debug_struct("Basic")
                .field("user", user)
                .field("password", password)
                .finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_hygiene() {
        let t = Credentials::token(" abc123456789\r\n")
            .normalized()
            .unwrap();
        assert_eq!(t.authorization().unwrap(), "Bearer abc123456789");
        let e = Credentials::token("abc 123456789SECRET")
            .normalized()
            .unwrap_err();
        assert!(!e.to_string().contains("SECRET"));
        assert!(!format!("{e:?}").contains("SECRET"));
        assert!(matches!(
            Credentials::token("  \n").normalized(),
            Err(Error::Config(_))
        ));
        assert!(matches!(
            Credentials::token("abc\u{7}def").normalized(),
            Err(Error::Config(_))
        ));
    }

    #[test]
    fn basic_header() {
        let b = Credentials::basic("sandbox", "sandbox-password");
        assert_eq!(
            b.authorization().unwrap(),
            "Basic c2FuZGJveDpzYW5kYm94LXBhc3N3b3Jk"
        );
        assert!(!format!("{b:?}").contains("sandbox-password"));
        assert!(Credentials::basic("a:b", "x").normalized().is_err());
    }
}
