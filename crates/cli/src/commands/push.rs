//! `velip calls push`: have the service deliver the calls to a webhook.

use velip_core::query::{Webhook, WebhookFormat, WebhookMethod};

use crate::args::{Filters, HttpMethod, WebhookType};
use crate::context::Context;
use crate::exit::Failure;

/// The webhook options of `calls push`.
pub(crate) struct PushArgs<'a> {
    pub(crate) rurl: &'a str,
    pub(crate) method: Option<HttpMethod>,
    pub(crate) kind: Option<WebhookType>,
    pub(crate) headers: &'a [String],
    pub(crate) user: Option<&'a str>,
    pub(crate) password: Option<&'a str>,
}

pub(crate) fn run(ctx: &Context, filters: &Filters, a: &PushArgs<'_>) -> Result<(), Failure> {
    let mut w = Webhook::new(a.rurl);
    if let Some(m) = a.method {
        w = w.method(match m {
            HttpMethod::Post => WebhookMethod::Post,
            HttpMethod::Get => WebhookMethod::Get,
        });
    }
    if let Some(t) = a.kind {
        w = w.format(match t {
            WebhookType::Json => WebhookFormat::Json,
            WebhookType::Form => WebhookFormat::Form,
        });
    }
    for h in a.headers {
        w = w.header_line(h);
    }
    w = w.basic_auth_parts(
        a.user.map(str::to_owned),
        a.password.map(velip_core::Secret::from),
    )?;
    let query = filters.builder(1000).webhook(w).build()?;
    let page = ctx.client.push_to_webhook(&query)?;
    let more = page
        .next_cursor()
        .map(|c| format!("; more calls remain: run again with --cursor {c}"))
        .unwrap_or_default();
    println!(
        "accepted: {} ({}){more}",
        page.status,
        if page.records.is_empty() {
            "delivery requested".to_owned()
        } else {
            format!("{} records in the answer", page.records.len())
        }
    );
    Ok(())
}
