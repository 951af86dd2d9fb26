//! Turning a response body into text the JSON parser can read, the way the
//! PHP service produces it: an optional UTF-8 byte-order mark, legacy fields
//! in ISO-8859-1 inside otherwise UTF-8 text, and PHP notices printed before
//! the JSON.

use std::borrow::Cow;

/// The body as UTF-8 text: a BOM is dropped; bytes that are not valid UTF-8
/// are read as ISO-8859-1 (each byte is the code point of the same value), so
/// `Jo\xe3o` becomes `João` and nothing is lost.
pub(crate) fn body_text(body: &[u8]) -> Cow<'_, str> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    if let Ok(s) = std::str::from_utf8(body) {
        Cow::Borrowed(s)
    } else {
        let mut out = String::with_capacity(body.len() + 16);
        for chunk in body.utf8_chunks() {
            out.push_str(chunk.valid());
            out.extend(chunk.invalid().iter().map(|&b| char::from(b)));
        }
        Cow::Owned(out)
    }
}

/// Splits off a PHP notice or warning printed before the JSON document
/// (`<br />\n<b>Warning</b>: ... {"return": ...}`): returns the preamble, if
/// any, and the JSON text.
pub(crate) fn split_preamble(text: &str) -> (Option<&str>, &str) {
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') || trimmed.is_empty() {
        return (None, trimmed);
    }
    // Only a body that clearly holds a GetCallStatus document later on: a
    // `{` followed (after optional whitespace) by the `"return"` key.
    let start = trimmed
        .match_indices('{')
        .map(|(i, _)| i)
        .find(|&i| trimmed[i + 1..].trim_start().starts_with("\"return\""));
    match start {
        Some(at) if at > 0 => (Some(trimmed[..at].trim()), &trimmed[at..]),
        _ => (None, trimmed),
    }
}

/// At most `max` characters of `text` around byte `at`, whitespace runs
/// folded, for error messages.
pub(crate) fn snippet_around(text: &str, at: usize, max: usize) -> String {
    let at = at.min(text.len());
    let mut start = at.saturating_sub(max / 2);
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let folded: String = fold_ws(&text[start..]).chars().take(max).collect();
    folded
}

/// Whitespace runs folded to one space, and other control characters
/// escaped (`\u{1b}`), so that a hostile body quoted in a message cannot
/// drive the terminal that prints it.
pub(crate) fn fold_ws(s: &str) -> String {
    let mut out = String::with_capacity(s.len().min(512));
    let mut space = false;
    for c in s.chars() {
        if c.is_whitespace() {
            if !space && !out.is_empty() {
                out.push(' ');
            }
            space = true;
        } else if c.is_control() {
            out.extend(c.escape_default());
            space = false;
        } else {
            out.push(c);
            space = false;
        }
        if out.len() > 4096 {
            break;
        }
    }
    out
}

#[cfg(test)]
mod control_tests {
    #[test]
    fn control_characters_are_escaped_in_snippets() {
        assert_eq!(
            super::fold_ws("\u{1b}]0;pwned\u{7}\u{1b}[31mRED \n\t x\u{85}"),
            "\\u{1b}]0;pwned\\u{7}\\u{1b}[31mRED x "
        );
    }
}

/// Byte offset of a 1-based line and column in `text`.
pub(crate) fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let mut off = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            return (off + column.saturating_sub(1)).min(text.len());
        }
        off += l.len();
    }
    text.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin1_bytes_are_kept() {
        assert_eq!(body_text(b"Jo\xe3o"), "João");
        assert_eq!(body_text("João".as_bytes()), "João");
        assert_eq!(body_text(b"\xEF\xBB\xBF{}"), "{}");
    }

    #[test]
    fn php_notice_is_split_off() {
        let (pre, json) = split_preamble("<br />\n<b>Notice</b>: x<br />\n{\"return\":{}}");
        assert_eq!(pre, Some("<br />\n<b>Notice</b>: x<br />"));
        assert_eq!(json, "{\"return\":{}}");
        assert_eq!(split_preamble("<html>").0, None);
        let (pre, json) = split_preamble("Notice: x on line 8\n{\n  \"return\": {}}");
        assert_eq!(pre, Some("Notice: x on line 8"));
        assert!(json.starts_with('{'));
    }
}
