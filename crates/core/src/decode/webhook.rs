use serde::de::DeserializeSeed;
use serde_json::{Map, Value};

use super::DecodeError;
use super::record::{Context, RecordOutcome, RecordSeed};
use crate::model::{CallRecord, Pagination};

/// What a webhook (`rurl`) delivery carries: the records, and in JSON mode
/// the `pagination` object when the page was truncated.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WebhookPayload {
    /// The calls delivered (one in form mode).
    pub records: Vec<CallRecord>,
    /// `return.pagination` of a JSON delivery, when present.
    pub pagination: Option<Pagination>,
}

/// Decodes a webhook delivery by its `Content-Type`: `application/json`
/// (page-shaped body) or `application/x-www-form-urlencoded` (one call; also
/// what a GET delivery carries in its query string). Another or empty
/// content type is sniffed ([`sniff_body`](super::sniff_body)).
///
/// ```
/// use velip_core::decode::decode_webhook;
/// let p = decode_webhook(b"cd_id=30003&cd_status=OK&dest=xxxxx001&value=0%2C100",
///     "application/x-www-form-urlencoded").unwrap();
/// assert_eq!(p.records[0].value.unwrap().to_string(), "0.100");
/// ```
///
/// # Errors
/// [`DecodeError`] naming the field and value that cannot be read.
pub fn decode_webhook(body: &[u8], content_type: &str) -> Result<WebhookPayload, DecodeError> {
    let ct = content_type.to_ascii_lowercase();
    let json = if ct.contains("json") {
        true
    } else if ct.contains("x-www-form-urlencoded") {
        false
    } else {
        super::sniff_body(body) == super::BodyKind::Json
    };
    if json {
        let raw = super::decode_raw(body, None, super::DecodeOptions::LENIENT)?;
        Ok(WebhookPayload {
            records: raw.records,
            pagination: raw.pagination,
        })
    } else {
        decode_webhook_form(body).map(|r| WebhookPayload {
            records: vec![r],
            pagination: None,
        })
    }
}

/// One `application/x-www-form-urlencoded` component: `+` is a space,
/// `%XX` escapes are bytes, and the bytes are UTF-8 or else ISO-8859-1.
fn form_component(raw: &[u8]) -> String {
    let spaced: Vec<u8> = raw
        .iter()
        .map(|&b| if b == b'+' { b' ' } else { b })
        .collect();
    let bytes: Vec<u8> = percent_encoding::percent_decode(&spaced).collect();
    super::text::body_text(&bytes).into_owned()
}

/// Decodes one form-encoded call (`cd_id=...&cd_status=...`), the body of a
/// form POST delivery or the query string of a GET delivery. `cd_dest` fills
/// the destination when `dest` is absent; `cd_dest` and `conf` are also kept
/// in `extra`.
///
/// # Errors
/// [`DecodeError`] naming the field and value that cannot be read.
pub fn decode_webhook_form(body: &[u8]) -> Result<CallRecord, DecodeError> {
    let body = body.strip_prefix(b"?").unwrap_or(body);
    let mut map = Map::new();
    for (k, v) in form_urlencoded::parse(body) {
        map.insert(k.into_owned(), Value::String(v.into_owned()));
    }
    // `form_urlencoded` reads escapes as UTF-8; a legacy field escaped as
    // ISO-8859-1 (`Cobran%E7a`) would come out with U+FFFD. Re-read those
    // values from their bytes, the same way answer bodies are read.
    if map
        .values()
        .any(|v| v.as_str().is_some_and(|s| s.contains('\u{fffd}')))
    {
        map = Map::new();
        for pair in body.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
            let (k, v) = match pair.iter().position(|&b| b == b'=') {
                Some(eq) => (&pair[..eq], &pair[eq + 1..]),
                None => (pair, &[][..]),
            };
            map.insert(form_component(k), Value::String(form_component(v)));
        }
    }
    let ctx = Context::default();
    ctx.set_record(Some(0));
    let text = String::from_utf8_lossy(body);
    let outcome = RecordSeed {
        ctx: &ctx,
        strict: false,
    }
    .deserialize(Value::Object(map))
    .map_err(|e| DecodeError::from_serde(&e, &text, &ctx, None))?;
    match outcome {
        RecordOutcome::Record(mut r) => {
            if !r.problems.is_empty() {
                r.raw_json = Some(text.into_owned());
            }
            Ok(r)
        }
        RecordOutcome::Rejected(p) => Err(DecodeError::rejected(&p, &text)),
    }
}
