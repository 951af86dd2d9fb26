//! Telling what a saved body or a delivery holds when nothing says so: the
//! one rule used by `decode_webhook` (no `Content-Type`) and `velip decode`.

/// What a body holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BodyKind {
    /// JSON (an answer page or a JSON delivery); also a body that starts
    /// with a PHP notice before its JSON.
    Json,
    /// A form-encoded delivery (`cd_id=...&cd_status=...`), one per line.
    Form,
}

/// Sniffs a body: JSON when its first visible byte is `{` or `[` (or a
/// UTF-8 byte-order mark), or when it holds a GetCallStatus document after
/// a notice; a form when it starts like `key=value` with a key of letters,
/// digits, `_`, `.` or `%`; otherwise JSON (whose decoder then says what is
/// wrong).
///
/// ```
/// use velip_core::decode::{sniff_body, BodyKind};
/// assert_eq!(sniff_body(b" {\"return\":{}}"), BodyKind::Json);
/// assert_eq!(sniff_body(b"cd_id=1&cd_status=OK"), BodyKind::Form);
/// assert_eq!(sniff_body(b"?cd_id=1&cd_status=OK"), BodyKind::Form);
/// assert_eq!(sniff_body(b"<br>Notice: x\n{\"return\":{}}"), BodyKind::Json);
/// ```
pub fn sniff_body(body: &[u8]) -> BodyKind {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    // A GET delivery's query string, `?` included.
    let body = body.strip_prefix(b"?").unwrap_or(body);
    let Some(&first) = body.iter().find(|b| !b.is_ascii_whitespace()) else {
        return BodyKind::Json;
    };
    if first == b'{' || first == b'[' {
        return BodyKind::Json;
    }
    let start = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(0);
    let first_pair = body[start..]
        .split(|&b| b == b'&')
        .next()
        .unwrap_or_default();
    match first_pair.iter().position(|&b| b == b'=') {
        Some(eq)
            if eq > 0
                && first_pair[..eq]
                    .iter()
                    .all(|&b| b.is_ascii_alphanumeric() || b == b'_' || b == b'%' || b == b'.') =>
        {
            BodyKind::Form
        }
        _ => BodyKind::Json,
    }
}
