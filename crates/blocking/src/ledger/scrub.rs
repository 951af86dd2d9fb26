//! Scrubbing a service message of secrets before the ledger stores it: the
//! secret itself, and its first 10 characters (the prefix that identifies a
//! token in the platform's logs, which a message may quote).

use velip_core::Secret;

/// The longest message kept, in characters.
const MAX_MESSAGE_CHARS: usize = 300;
/// The prefix the platform shows of a token.
const PREFIX_CHARS: usize = 10;
/// Shorter secrets are not searched for (ordinary words would be masked).
const MIN_SECRET_CHARS: usize = 4;

/// `text` with every secret and secret prefix replaced by `***`, cut to
/// 300 characters.
pub(crate) fn scrub(text: &str, secrets: &[Secret]) -> String {
    let mut out = text.to_owned();
    for s in secrets {
        let s = s.expose();
        if s.chars().count() < MIN_SECRET_CHARS {
            continue;
        }
        out = out.replace(s, "***");
        if let Some((cut, _)) = s.char_indices().nth(PREFIX_CHARS) {
            out = out.replace(&s[..cut], "***");
        }
    }
    match out.char_indices().nth(MAX_MESSAGE_CHARS) {
        Some((cut, _)) => {
            out.truncate(cut);
            out.push('…');
            out
        }
        None => out,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_and_prefix_are_masked() {
        let s = [Secret::new("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123")];
        assert_eq!(
            scrub(
                "token ABCDEFGHIJKLMNOPQRSTUVWXYZ0123 or ABCDEFGHIJ... refused",
                &s
            ),
            "token *** or ***... refused"
        );
        assert_eq!(scrub("fine", &[Secret::new("abc")]), "fine");
        assert_eq!(scrub(&"x".repeat(400), &[]).chars().count(), 301);
    }
}
