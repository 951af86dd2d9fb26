//! Credential fingerprints: a keyed hash (HMAC-SHA256) that tells two
//! credentials apart without holding either. The key is random per user
//! ([`super::key`]), so a fingerprint in a state file cannot be checked
//! against a guessed token without that key.

use std::fmt;

use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use velip_core::Secret;

use super::key::Key;

/// Domain separation for the fingerprint's input (bumped if its layout
/// changes, which makes every fingerprint new).
const CONTEXT: &[u8] = b"velip-credential-fingerprint-v1";

/// The credentials a request is sent with, as the ledger sees them: only to
/// compute a fingerprint and to scrub the service's messages; never stored.
///
/// A token is one credential however it travels (`Authorization: Bearer` or
/// the `tsid` field): a lock-out of a bad token holds both ways.
///
/// ```
/// use velip_blocking::ledger::{Credential, CredentialMode};
/// use velip_core::Secret;
/// let token = Secret::new("SBXFULL000sandbox0full0numbers");
/// let c = Credential::Token(&token);
/// assert_eq!(c.mode(), CredentialMode::Token);
/// assert!(!format!("{c:?}").contains("SBXFULL"));
/// ```
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Credential<'a> {
    /// No credentials (every request fails authentication; a lock-out then
    /// stops a job that forgot its token after one request).
    None,
    /// An API token (`tsid` or `Authorization: Bearer`).
    Token(&'a Secret),
    /// HTTP Basic user and password.
    Basic {
        /// The user name.
        user: &'a str,
        /// The password.
        password: &'a Secret,
    },
}

impl Credential<'_> {
    /// The kind of credential.
    pub fn mode(&self) -> CredentialMode {
        match self {
            Self::None => CredentialMode::None,
            Self::Token(_) => CredentialMode::Token,
            Self::Basic { .. } => CredentialMode::Basic,
        }
    }

    /// The secrets to scrub from a message the service sent back.
    pub(crate) fn secrets(&self) -> Vec<Secret> {
        match self {
            Self::None => Vec::new(),
            Self::Token(t) => vec![(*t).clone()],
            Self::Basic { password, .. } => vec![(*password).clone()],
        }
    }
}

/// The kind of credential a fingerprint was made from (stored and reported;
/// it holds nothing secret).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum CredentialMode {
    /// No credentials.
    None,
    /// An API token.
    Token,
    /// HTTP Basic.
    Basic,
}

impl CredentialMode {
    /// `none`, `token` or `basic`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Token => "token",
            Self::Basic => "basic",
        }
    }
}

impl fmt::Display for CredentialMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A credential's fingerprint for one service host:
/// HMAC-SHA256(per-user key, host and port, mode, secret), as 64 lowercase
/// hex digits. `Display` shows the first 12 (enough to tell accounts apart
/// in `velip quota`; safe to show, as it is a keyed hash).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint(String);

impl Fingerprint {
    /// The full fingerprint, 64 hex digits.
    pub fn as_hex(&self) -> &str {
        &self.0
    }

    /// The first 12 hex digits.
    pub fn short(&self) -> &str {
        &self.0[..12]
    }

    /// Reads a stored fingerprint (64 lowercase hex digits).
    pub(crate) fn from_hex(text: &str) -> Option<Self> {
        (text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
            .then(|| Self(text.to_owned()))
    }

    /// The fingerprint of `credential` for `host` (`host:port`) under `key`.
    pub(crate) fn of(key: &Key, host: &str, credential: &Credential<'_>) -> Self {
        let mut mac = Hmac::<Sha256>::new_from_slice(key.bytes())
            .expect("HMAC-SHA256 takes a key of any length");
        // Each field length-prefixed, so no two inputs share an encoding.
        let mut field = |bytes: &[u8]| {
            mac.update(&(bytes.len() as u64).to_be_bytes());
            mac.update(bytes);
        };
        field(CONTEXT);
        field(host.as_bytes());
        field(credential.mode().as_str().as_bytes());
        match credential {
            Credential::None => {}
            Credential::Token(token) => field(token.expose().as_bytes()),
            Credential::Basic { user, password } => {
                field(user.as_bytes());
                field(password.expose().as_bytes());
            }
        }
        let digest = mac.finalize().into_bytes();
        let mut hex = String::with_capacity(64);
        for b in digest {
            use fmt::Write as _;
            let _ = write!(hex, "{b:02x}");
        }
        Self(hex)
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.short())
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({})", self.short())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_host_bound_and_mode_bound() {
        let k1 = Key::from_bytes([1; 32]);
        let k2 = Key::from_bytes([2; 32]);
        let t = Secret::new("SBXFULL000sandbox0full0numbers");
        let tok = Credential::Token(&t);
        let a = Fingerprint::of(&k1, "vox.velip.com.br:443", &tok);
        assert_eq!(a, Fingerprint::of(&k1, "vox.velip.com.br:443", &tok));
        assert_ne!(a, Fingerprint::of(&k2, "vox.velip.com.br:443", &tok));
        assert_ne!(a, Fingerprint::of(&k1, "vox.velip.com.br:8443", &tok));
        let basic = Credential::Basic {
            user: "SBXFULL000sandbox0full0numbers",
            password: &Secret::new(""),
        };
        assert_ne!(a, Fingerprint::of(&k1, "vox.velip.com.br:443", &basic));
        assert_eq!(a.as_hex().len(), 64);
        assert_eq!(Fingerprint::from_hex(a.as_hex()), Some(a.clone()));
        assert_eq!(Fingerprint::from_hex("xyz"), None);
        assert_eq!(format!("{a}").len(), 12);
    }
}
