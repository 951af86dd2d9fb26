use serde::de::DeserializeSeed;
use serde_json::{Map, Value};

use super::DecodeError;
use super::record::{Context, RecordOutcome, RecordSeed};
use crate::model::{CallRecord, Pagination, RejectedRecord};
use crate::query::WebhookFormat;

/// What a webhook (`rurl`) delivery carries: the records, and in JSON mode
/// the `pagination` object when the page was truncated.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WebhookPayload {
    /// The calls delivered (one in form mode).
    pub records: Vec<CallRecord>,
    /// `return.pagination` of a JSON delivery, when present.
    pub pagination: Option<Pagination>,
    /// Entries of a JSON delivery's `calls` that cannot be read as calls (no
    /// readable `cd_id`, or not an object), kept with their raw JSON text so
    /// that a receiver stores them too. Always empty for a form delivery,
    /// which fails as a whole instead.
    pub rejected: Vec<RejectedRecord>,
    /// How the delivery was written: [`WebhookFormat::Json`] (a page-shaped
    /// body, or a GET `json` parameter) or [`WebhookFormat::Form`] (one
    /// call), as the decoder read it (`Content-Type`, else the body's
    /// first character).
    pub format: WebhookFormat,
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
            rejected: raw.rejected,
            format: WebhookFormat::Json,
        })
    } else {
        decode_webhook_form(body).map(|r| WebhookPayload {
            records: vec![r],
            pagination: None,
            rejected: Vec::new(),
            format: WebhookFormat::Form,
        })
    }
}

impl WebhookPayload {
    /// Decodes a GET delivery (`rurl_method=GET`) from its query string,
    /// which carries what a POST delivery carries in its body (spec, "What
    /// a client cannot see": GET deliveries): a JSON delivery puts the JSON
    /// text in the single query parameter `json`; a form delivery puts the
    /// record's keys there, one call per request.
    ///
    /// A leading `?` is ignored. A query with a `json` parameter and no
    /// `cd_id` is a JSON delivery (other parameters, such as ones written
    /// into the `rurl` itself, are ignored); any other query is one form
    /// call, decoded as [`decode_webhook_form`] does (unknown parameters are
    /// kept in [`CallRecord::extra`]).
    ///
    /// ```
    /// use velip_core::decode::WebhookPayload;
    /// let form = WebhookPayload::from_query(b"cd_id=42_7&cd_status=OK&value=0%2C050").unwrap();
    /// assert_eq!(form.records[0].call_id.to_string(), "42_7");
    ///
    /// let json = WebhookPayload::from_query(
    ///     b"json=%7B%22return%22%3A%7B%22status_code%22%3A%220%22%7D%2C%22calls%22%3A%5B%7B%22cd_id%22%3A9%7D%5D%7D",
    /// ).unwrap();
    /// assert_eq!(json.records[0].call_id.number(), 9);
    /// ```
    ///
    /// # Errors
    /// [`DecodeError`] as [`decode_webhook`]: an empty query or one without
    /// a readable `cd_id` (form), or a `json` value that is not a delivery.
    pub fn from_query(query: &[u8]) -> Result<Self, DecodeError> {
        let query = query.strip_prefix(b"?").unwrap_or(query);
        let mut json = None;
        let mut has_call_id = false;
        for (key, value) in form_pairs(query) {
            let key = form_bytes(key);
            if key == b"cd_id" {
                has_call_id = true;
            } else if key == b"json" && json.is_none() {
                json = Some(value);
            }
        }
        match json {
            Some(value) if !has_call_id => decode_webhook(&form_bytes(value), "application/json"),
            _ => decode_webhook_form(query).map(|r| Self {
                records: vec![r],
                pagination: None,
                rejected: Vec::new(),
                format: WebhookFormat::Form,
            }),
        }
    }

    /// Reads a text holding several form deliveries, one per line (as saved
    /// by a receiver or a log, and read by `velip decode --form`): each
    /// non-blank line is one call, decoded as [`decode_webhook_form`] does.
    /// Lines end with `\n` or `\r\n`; blank lines are skipped. Yields the
    /// 1-based line number with each line's outcome, so that a line that
    /// cannot be read is reported by its number and the others still come
    /// through.
    ///
    /// ```
    /// use velip_core::decode::WebhookPayload;
    /// let body = b"cd_id=1&cd_status=OK\ncd_id=2&cd_status=BUSY\n\nroute=x\n";
    /// let lines: Vec<_> = WebhookPayload::from_form_lines(body).collect();
    /// assert_eq!(lines.len(), 3);
    /// assert_eq!(lines[1].0, 2);
    /// assert_eq!(lines[1].1.as_ref().unwrap().call_id.number(), 2);
    /// assert_eq!(lines[2].0, 4); // no cd_id: an error, with its line number
    /// assert!(lines[2].1.is_err());
    /// ```
    pub fn from_form_lines(
        body: &[u8],
    ) -> impl Iterator<Item = (usize, Result<CallRecord, DecodeError>)> + '_ {
        body.split(|&b| b == b'\n')
            .enumerate()
            .filter_map(|(i, line)| {
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                let blank = line.iter().all(u8::is_ascii_whitespace);
                (!blank).then(|| (i + 1, decode_webhook_form(line.trim_ascii())))
            })
    }
}

/// The `key=value` pairs of a form text, still encoded.
fn form_pairs(body: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    body.split(|&b| b == b'&')
        .filter(|p| !p.is_empty())
        .map(|pair| match pair.iter().position(|&b| b == b'=') {
            Some(eq) => (&pair[..eq], &pair[eq + 1..]),
            None => (pair, &[][..]),
        })
}

/// The bytes of one `application/x-www-form-urlencoded` component: `+` is
/// a space, `%XX` escapes are bytes.
fn form_bytes(raw: &[u8]) -> Vec<u8> {
    let spaced: Vec<u8> = raw
        .iter()
        .map(|&b| if b == b'+' { b' ' } else { b })
        .collect();
    percent_encoding::percent_decode(&spaced).collect()
}

/// One form component as text: its bytes are UTF-8 or else ISO-8859-1.
fn form_component(raw: &[u8]) -> String {
    super::text::body_text(&form_bytes(raw)).into_owned()
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
        for (k, v) in form_pairs(body) {
            map.insert(form_component(k), Value::String(form_component(v)));
        }
    }
    let ctx = Context::default();
    ctx.set_record(Some(0));
    // The body as text only when something must quote it.
    let text = || String::from_utf8_lossy(body);
    let outcome = RecordSeed {
        ctx: &ctx,
        strict: false,
    }
    .deserialize(Value::Object(map))
    .map_err(|e| DecodeError::from_serde(&e, &text(), &ctx, None))?;
    match outcome {
        RecordOutcome::Record(mut r) => {
            if !r.problems.is_empty() {
                r.raw_json = Some(text().into_owned());
            }
            Ok(r)
        }
        RecordOutcome::Rejected(p) => Err(DecodeError::rejected(&p, &text())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form_encode(pairs: &[(&str, &str)]) -> String {
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish()
    }

    const PAGE: &str = r#"{"return":{"status":"OK","status_code":"0","pagination":{"has_more":true,"next_id":"7"}},"calls":[{"cd_id":"42_9","cd_status":"OK","route":"São Paulo"},{"cd_id":8,"cd_status":"BUSY"}]}"#;

    #[test]
    fn query_with_json_parameter_is_a_json_delivery() {
        let q = form_encode(&[("json", PAGE)]);
        let p = WebhookPayload::from_query(q.as_bytes()).unwrap();
        assert_eq!(p.records.len(), 2);
        assert_eq!(p.format, WebhookFormat::Json);
        assert_eq!(p.records[0].call_id.to_string(), "42_9");
        assert_eq!(p.records[0].route.as_deref(), Some("São Paulo"));
        assert_eq!(p.pagination.unwrap().next_cursor.unwrap().as_str(), "7");
        // The same as the POST body.
        assert_eq!(
            decode_webhook(PAGE.as_bytes(), "application/json")
                .unwrap()
                .records,
            WebhookPayload::from_query(format!("?{q}").as_bytes())
                .unwrap()
                .records
        );
    }

    #[test]
    fn unreadable_entries_of_a_json_delivery_are_kept() {
        let body = br#"{"return":{"status_code":"0"},"calls":[{"cd_id":1},{"cd_status":"OK"},7]}"#;
        let p = decode_webhook(body, "application/json").unwrap();
        assert_eq!(p.records.len(), 1);
        let idx: Vec<usize> = p.rejected.iter().map(|r| r.index).collect();
        assert_eq!(idx, [1, 2]);
        assert_eq!(p.rejected[0].raw, r#"{"cd_status":"OK"}"#);
    }

    #[test]
    fn rurl_parameters_next_to_json_are_ignored() {
        let q = format!("src=velip&{}", form_encode(&[("json", PAGE)]));
        let p = WebhookPayload::from_query(q.as_bytes()).unwrap();
        assert_eq!(p.records.len(), 2);
    }

    #[test]
    fn query_with_form_keys_is_one_call() {
        let q = form_encode(&[
            ("cd_id", "30003"),
            ("cd_status", "NOANSWER"),
            ("cd_dest", "xxxxx001"),
            ("value", "0,100"),
        ]);
        let p = WebhookPayload::from_query(q.as_bytes()).unwrap();
        assert_eq!(p.records.len(), 1);
        assert_eq!(p.format, WebhookFormat::Form);
        assert!(p.pagination.is_none());
        let r = &p.records[0];
        assert_eq!(r.call_id.number(), 30003);
        assert_eq!(r.value.unwrap().to_string(), "0.100");
        assert_eq!(r, &decode_webhook_form(q.as_bytes()).unwrap());
    }

    #[test]
    fn form_query_with_a_json_key_stays_a_form_call() {
        let p = WebhookPayload::from_query(b"cd_id=5&json=x").unwrap();
        assert_eq!(p.records[0].call_id.number(), 5);
        assert_eq!(p.records[0].extra["json"], "x");
    }

    #[test]
    fn latin1_json_parameter_is_read() {
        let q = "json=%7B%22return%22%3A%7B%22status_code%22%3A%220%22%7D%2C%22calls%22%3A%5B%7B%22cd_id%22%3A1%2C%22cpid%22%3A%22Cobran%E7a%22%7D%5D%7D";
        let p = WebhookPayload::from_query(q.as_bytes()).unwrap();
        assert_eq!(p.records[0].campaign_ref.as_deref(), Some("Cobrança"));
    }

    #[test]
    fn empty_or_bad_queries_are_errors() {
        assert!(WebhookPayload::from_query(b"").is_err());
        assert!(WebhookPayload::from_query(b"?").is_err());
        assert!(WebhookPayload::from_query(b"json=%7Bnope").is_err());
        assert!(WebhookPayload::from_query(b"cd_status=OK").is_err());
    }

    #[test]
    fn form_lines_are_separate_calls() {
        let body = b"cd_id=1&cd_status=OK\r\ncd_id=2&cd_status=BUSY\n";
        let got: Vec<_> = WebhookPayload::from_form_lines(body).collect();
        assert_eq!(got.len(), 2);
        let first = got[0].1.as_ref().unwrap();
        assert_eq!(first.call_id.number(), 1);
        assert_eq!(first.status.as_ref().unwrap().to_string(), "OK");
        assert!(
            first.extra.is_empty(),
            "no line leaks into another: {first:?}"
        );
        assert_eq!(got[1].1.as_ref().unwrap().call_id.number(), 2);
    }

    #[test]
    fn form_lines_keep_going_past_a_bad_line() {
        let body = b"\n  \ncd_status=OK\ncd_id=3&date=2026-02-30\ncd_id=4";
        let got: Vec<_> = WebhookPayload::from_form_lines(body).collect();
        let numbers: Vec<usize> = got.iter().map(|(n, _)| *n).collect();
        assert_eq!(numbers, [3, 4, 5]);
        assert!(got[0].1.is_err());
        let lenient = got[1].1.as_ref().unwrap();
        assert_eq!(lenient.problems[0].field, "date");
        assert_eq!(got[2].1.as_ref().unwrap().call_id.number(), 4);
    }

    #[test]
    fn one_line_is_what_decode_webhook_form_reads() {
        let line = b"cd_id=42_7&cd_status=OK&resp_1=1";
        let got: Vec<_> = WebhookPayload::from_form_lines(line).collect();
        assert_eq!(got.len(), 1);
        assert_eq!(
            got[0].1.as_ref().unwrap(),
            &decode_webhook_form(line).unwrap()
        );
        assert_eq!(WebhookPayload::from_form_lines(b"").count(), 0);
    }
}
