//! Deterministic wire encodings of a [`Query`]: ordered form pairs, a form
//! body, a JSON object, and a redacted view for logs.

use serde_json::{Map, Value};

use super::{Correlation, Query};

/// The wire parameters that page a selection rather than select calls:
/// the page size (`maxreg`) and the cursor (`last_id`).
pub const PAGING_PARAMS: [&str; 2] = ["maxreg", "last_id"];

impl Query {
    /// The wire parameters in a fixed order (`cd_id`, `ctid`, `cp_id`,
    /// `cpid`, `date_start`, `date_end`, `maxreg`, `last_id`, `onlydtmf`,
    /// `numtype`, `origin`, `rurl`, `rurl_method`, `rurl_type`,
    /// `rurl_headers`, `rurl_user`, `rurl_password`), only those set.
    ///
    /// Holds the webhook password in clear: send it, never log it (use
    /// [`Query::to_redacted_pairs`]).
    pub fn to_form_pairs(&self) -> Vec<(&'static str, String)> {
        self.pairs(false)
    }

    /// Like [`Query::to_form_pairs`], with `rurl_password`, the values of
    /// `rurl_headers` and the query values of `rurl` replaced by `***`: for
    /// logs and `Debug`.
    pub fn to_redacted_pairs(&self) -> Vec<(&'static str, String)> {
        self.pairs(true)
    }

    /// What the query selects: [`Query::to_redacted_pairs`] without the
    /// paging parameters ([`PAGING_PARAMS`]: the page size and the cursor
    /// say how the calls are paged, not which). Two queries with the same
    /// selection walk the same calls: an export's checkpoint and a sync's
    /// state are keyed by it, so a resume may change the page size.
    ///
    /// ```
    /// use velip_core::Query;
    /// let q = Query::builder().campaign_id(555).page_size(100).build()?;
    /// assert_eq!(q.to_selection_pairs(), [("cp_id", "555".to_owned())]);
    /// # Ok::<(), velip_core::ValidationError>(())
    /// ```
    pub fn to_selection_pairs(&self) -> Vec<(&'static str, String)> {
        let mut p = self.pairs(true);
        p.retain(|(k, _)| !PAGING_PARAMS.contains(k));
        p
    }

    /// `application/x-www-form-urlencoded` body of [`Query::to_form_pairs`].
    pub fn to_form_body(&self) -> String {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in self.pairs(false) {
            s.append_pair(k, &v);
        }
        s.finish()
    }

    /// `application/json` body: the same keys as the form, with `cp_id`,
    /// `maxreg`, `last_id` and `onlydtmf` as JSON numbers.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        for (k, v) in self.pairs(false) {
            let numeric = matches!(k, "cp_id" | "maxreg" | "last_id" | "onlydtmf");
            let value = match v.parse::<u64>() {
                Ok(n) if numeric => Value::from(n),
                _ => Value::String(v),
            };
            m.insert(k.to_owned(), value);
        }
        Value::Object(m)
    }

    fn pairs(&self, redact: bool) -> Vec<(&'static str, String)> {
        let mut p: Vec<(&'static str, String)> = Vec::with_capacity(8);
        if let Some(id) = &self.call_id {
            p.push(("cd_id", id.to_string()));
        }
        match &self.correlation {
            Some(Correlation::Id(c)) => p.push(("ctid", c.clone())),
            Some(Correlation::Empty) => p.push(("ctid", "null".to_owned())),
            None => {}
        }
        if let Some(id) = self.campaign_id {
            p.push(("cp_id", id.to_string()));
        }
        if let Some(r) = &self.campaign_ref {
            p.push(("cpid", r.clone()));
        }
        if let Some(d) = self.date_start {
            p.push(("date_start", d.format("%Y-%m-%d").to_string()));
        }
        if let Some(d) = self.date_end {
            p.push(("date_end", d.format("%Y-%m-%d").to_string()));
        }
        if let Some(s) = self.page_size {
            p.push(("maxreg", s.get().to_string()));
        }
        if let Some(c) = &self.cursor {
            p.push(("last_id", c.as_str().to_owned()));
        }
        if self.only_dtmf {
            p.push(("onlydtmf", "1".to_owned()));
        }
        if let Some(f) = self.number_format {
            p.push(("numtype", f.as_wire().to_owned()));
        }
        if let Some(o) = &self.origin {
            p.push(("origin", o.clone()));
        }
        if let Some(w) = &self.webhook {
            p.push((
                "rurl",
                if redact {
                    crate::scrub::redact_url(&w.url)
                } else {
                    w.url.clone()
                },
            ));
            if let Some(m) = w.method {
                p.push(("rurl_method", m.as_wire().to_owned()));
            }
            if let Some(f) = w.format {
                p.push(("rurl_type", f.as_wire().to_owned()));
            }
            if !w.headers.is_empty() {
                let headers = if redact {
                    w.headers
                        .iter()
                        .map(|(n, _)| format!("{n}: ***"))
                        .collect::<Vec<_>>()
                        .join("\n")
                } else {
                    w.headers_wire()
                };
                p.push(("rurl_headers", headers));
            }
            if let Some(u) = &w.user {
                p.push(("rurl_user", u.clone()));
            }
            if let Some(pw) = &w.password {
                let v = if redact {
                    "***".to_owned()
                } else {
                    pw.expose().to_owned()
                };
                p.push(("rurl_password", v));
            }
        }
        p
    }
}
