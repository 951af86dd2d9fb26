//! Reading request parameters: the query string, a form or JSON body, and
//! the lookup rule (the query string wins over the body).

use axum::http::{HeaderMap, header};

/// The query-string pairs, in order.
pub(crate) fn parse_query(query: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

/// The body pairs: a JSON object when the `Content-Type` says JSON (values
/// as text, `null` dropped, booleans `1`/`0`), else a URL-encoded form.
pub(crate) fn parse_body(headers: &HeaderMap, body: &[u8]) -> Vec<(String, String)> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if ct.to_ascii_lowercase().contains("json") {
        let Ok(serde_json::Value::Object(map)) = serde_json::from_slice::<serde_json::Value>(body)
        else {
            return Vec::new();
        };
        map.into_iter()
            .filter_map(|(k, v)| {
                let v = match v {
                    serde_json::Value::Null => return None,
                    serde_json::Value::String(s) => s,
                    serde_json::Value::Bool(b) => if b { "1" } else { "0" }.to_owned(),
                    other => other.to_string(),
                };
                Some((k, v))
            })
            .collect()
    } else {
        form_urlencoded::parse(body).into_owned().collect()
    }
}

/// A parameter lookup: the first pair of that name in the query string, else
/// in the body.
pub(crate) fn param_lookup<'a>(
    query: &'a [(String, String)],
    body: &'a [(String, String)],
) -> impl Fn(&str) -> Option<String> + 'a {
    move |key: &str| {
        query
            .iter()
            .find(|(k, _)| k == key)
            .or_else(|| body.iter().find(|(k, _)| k == key))
            .map(|(_, v)| v.clone())
    }
}
