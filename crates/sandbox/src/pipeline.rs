//! The request pipeline: bans, authentication, selection, IP policy, rate
//! limits, rendering, and the webhook jobs of a `rurl` request.

use std::net::IpAddr;
use std::sync::atomic::Ordering;

use crate::config::{IpPolicy, WebhookMethod};
use crate::content_fault::ContentFaults;
use crate::params::param_lookup;
use crate::rules::ApiError;
use crate::rules::auth::{AuthMode, authenticate};
use crate::rules::masking::must_mask;
use crate::rules::paging::PageRequest;
use crate::rules::selection::{RequestKind, select};
use crate::state::{AppState, lock, read};
use crate::webhook::{self, Job, Payload};
use crate::wire::{
    CallsSer, Envelope, NextId, NumType, Pagination, Render, ReturnOk, error_body, origin_of,
};

/// What the pipeline produced.
pub(crate) struct Outcome {
    pub(crate) status: u16,
    pub(crate) code: String,
    pub(crate) retry_after: Option<u64>,
    pub(crate) body: Vec<u8>,
    pub(crate) auth: AuthMode,
    pub(crate) kind: Option<RequestKind>,
    pub(crate) jobs: Vec<Job>,
}

impl Outcome {
    fn error(e: &ApiError, auth: AuthMode, kind: Option<RequestKind>) -> Self {
        Self {
            status: e.http,
            code: e.code.to_owned(),
            retry_after: e.retry_after,
            body: error_body(&e.message, e.code),
            auth,
            kind,
            jobs: Vec::new(),
        }
    }
}

impl AppState {
    /// The request pipeline: bans, authentication, selection, IP policy,
    /// rate limits, rendering, webhook jobs.
    #[allow(clippy::too_many_lines)]
    pub(crate) fn process(
        &self,
        ip: IpAddr,
        authorization: Option<&str>,
        query: &[(String, String)],
        body: &[(String, String)],
        faults: &ContentFaults,
    ) -> Outcome {
        let lookup = param_lookup(query, body);
        let param = |key: &str| {
            if key == "last_id" && faults.ignores_cursor() {
                None
            } else {
                lookup(key)
            }
        };
        let cfg = read(&self.cfg);
        let now = self.clock.now();

        let auth = authenticate(&cfg, authorization, &param);
        {
            let mut guard = lock(&self.guard);
            if let Err(e) = guard.check_client(ip, now, &cfg.bans) {
                return Outcome::error(&e, auth.mode, None);
            }
            if let Some(user) = &auth.user
                && let Err(e) = guard.check_user(user, now, &cfg.bans)
            {
                return Outcome::error(&e, auth.mode, None);
            }
            if let Err((e, failure)) = &auth.result {
                guard.record(ip, failure, now, &cfg.bans);
                return Outcome::error(e, auth.mode, None);
            }
        }
        let Ok(principal) = &auth.result else {
            return Outcome::error(&ApiError::auth("100"), auth.mode, None);
        };

        let rurl = param("rurl").filter(|u| !u.trim().is_empty());
        if let Some(u) = &rurl
            && !(u.starts_with("http://") || u.starts_with("https://"))
        {
            return Outcome::error(&ApiError::new(400, "400", "Invalid rurl"), auth.mode, None);
        }

        let store = read(&self.store);
        let page_req = PageRequest::parse(param("maxreg").as_deref());
        let sel = select(&store, &param, page_req);
        let kind = Some(sel.kind);

        let mut warning = None;
        if sel.kind == RequestKind::List {
            match cfg.ip_policy {
                IpPolicy::Allow => {}
                IpPolicy::Warn => {
                    warning = Some(format!(
                        "IP {ip} is not registered under Integrations > IPs; list requests from it will be blocked soon"
                    ));
                }
                IpPolicy::Block => {
                    return Outcome::error(
                        &ApiError::new(403, "105", "IP not authorized for list requests"),
                        auth.mode,
                        kind,
                    );
                }
            }
        }

        {
            let mut limiter = lock(&self.limiter);
            let r = match sel.kind {
                RequestKind::List => limiter.list(ip, now, &cfg.limits),
                RequestKind::PointLookup => limiter.lookup(
                    ip,
                    self.clock.wall(),
                    self.daily_cap.load(Ordering::Relaxed),
                ),
            };
            if let Err(e) = r {
                return Outcome::error(&e, auth.mode, kind);
            }
        }

        let masked = must_mask(principal, sel.kind, sel.by_single_ctid);
        let origin = origin_of(param("origin").as_deref());
        let returl = read(&self.returl);
        let render = Render {
            store: &store,
            wire: &cfg.wire,
            origin: &origin,
            numtype: NumType::parse(param("numtype").as_deref()),
            masked,
            edits: &faults.edits,
            returl: (!returl.is_empty()).then_some(&*returl),
        };
        let mut page = sel.page;
        faults.shape_page(&mut page, &store);
        let strings = cfg.wire.numbers_as_strings;
        let pagination = |force: bool| {
            faults.shape_pagination((page_req.maxreg_sent || force).then(|| {
                Pagination {
                    has_more: Some(page.has_more),
                    next_id: NextId {
                        id: page.next_id,
                        strings,
                    },
                    maxreg_capped: page_req.capped.then_some(true),
                    maxreg_applied: page_req
                        .capped
                        .then(|| u32::try_from(page_req.size).unwrap_or(5000)),
                }
            }))
        };
        let ret = |force: bool| ReturnOk {
            status: "OK",
            status_code: "0",
            numbers_masked: masked.then_some(true),
            warning: warning.clone(),
            pagination: pagination(force),
        };

        let mut jobs = Vec::new();
        let inline_rows: &[usize] = if let Some(url) = rurl {
            let method = match param("rurl_method")
                .map(|m| m.trim().to_ascii_uppercase())
                .as_deref()
            {
                Some("GET") => WebhookMethod::Get,
                Some("POST") => WebhookMethod::Post,
                _ => cfg.webhook.default_method,
            };
            let headers = param("rurl_headers")
                .map(|h| webhook::parse_headers(&h))
                .unwrap_or_default();
            let basic = param("rurl_user")
                .filter(|u| !u.is_empty())
                .map(|u| (u, param("rurl_password").unwrap_or_default()));
            let json = param("rurl_type").is_some_and(|t| t.trim().eq_ignore_ascii_case("json"));
            if json && !page.rows.is_empty() {
                let env = Envelope {
                    ret: ReturnOk {
                        numbers_masked: masked.then_some(true),
                        warning: None,
                        pagination: if page.has_more {
                            pagination(true)
                        } else {
                            None
                        },
                        status: "OK",
                        status_code: "0",
                    },
                    calls: CallsSer {
                        render: &render,
                        rows: &page.rows,
                    },
                };
                jobs.push(Job {
                    url: url.clone(),
                    method,
                    payload: Payload::Json(serde_json::to_string(&env).unwrap_or_default()),
                    headers: headers.clone(),
                    basic: basic.clone(),
                    call_ids: page.rows.iter().map(|&i| store.rows[i].id).collect(),
                });
            } else if !json {
                for (n, &i) in page.rows.iter().enumerate() {
                    jobs.push(Job {
                        url: url.clone(),
                        method,
                        payload: Payload::Form(render.form_fields(&store.rows[i], n + 1)),
                        headers: headers.clone(),
                        basic: basic.clone(),
                        call_ids: vec![store.rows[i].id],
                    });
                }
            }
            &[]
        } else {
            &page.rows
        };

        let env = Envelope {
            ret: ret(false),
            calls: CallsSer {
                render: &render,
                rows: inline_rows,
            },
        };
        let mut out = Vec::with_capacity(64 + inline_rows.len() * 450);
        if let Err(e) = serde_json::to_writer(&mut out, &env) {
            return Outcome::error(
                &ApiError::new(500, "500", format!("render error: {e}")),
                auth.mode,
                kind,
            );
        }
        Outcome {
            status: 200,
            code: "0".to_owned(),
            retry_after: None,
            body: out,
            auth: auth.mode,
            kind,
            jobs,
        }
    }
}
