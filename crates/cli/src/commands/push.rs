//! `velip calls push`: have the service deliver every call of a selection
//! to a webhook, page by page, resumable.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use sha2::Digest as _;
use velip_blocking::WalkCheckpoint;
use velip_core::query::{Webhook, WebhookFormat, WebhookMethod};

use crate::args::calls::push::{HttpMethod, PushArgs, WebhookType};
use crate::context::Context;
use crate::exit::Failure;

/// A status line on stdout; a closed stdout does not stop the push (its
/// checkpoint says where it is).
macro_rules! status {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// What a push's checkpoint file holds (never a secret: the webhook
/// password and header values are masked in `selection`).
#[derive(Debug, Serialize, Deserialize)]
struct PushCheckpoint {
    version: u32,
    selection: Vec<(String, String)>,
    walk: WalkCheckpoint,
}

/// The default checkpoint file of a push: in the state folder, named by a
/// hash of the service and the selection.
fn default_checkpoint(base_url: &str, selection: &[(String, String)]) -> Option<PathBuf> {
    let velip_blocking::ledger::StateLocation::Folder(dir) =
        velip_blocking::ledger::StateLocation::from_env()
    else {
        return None;
    };
    let mut h = sha2::Sha256::new();
    h.update(base_url.as_bytes());
    for (k, v) in selection {
        h.update(b"\0");
        h.update(k.as_bytes());
        h.update(b"=");
        h.update(v.as_bytes());
    }
    let digest = h.finalize();
    let name = digest.iter().take(8).fold(String::new(), |mut s, b| {
        use std::fmt::Write as _;
        let _ = write!(s, "{b:02x}");
        s
    });
    Some(dir.join("push").join(format!("{name}.json")))
}

/// The selection with its webhook, validated.
fn query(a: &PushArgs) -> Result<velip_core::Query, Failure> {
    let mut w = Webhook::new(a.rurl.as_str());
    if let Some(m) = a.rurl_method {
        w = w.method(match m {
            HttpMethod::Post => WebhookMethod::Post,
            HttpMethod::Get => WebhookMethod::Get,
        });
    }
    if let Some(t) = a.rurl_type {
        w = w.format(match t {
            WebhookType::Json => WebhookFormat::Json,
            WebhookType::Form => WebhookFormat::Form,
        });
    }
    for h in &a.rurl_headers {
        w = w.header_line(h);
    }
    w = w.basic_auth_parts(
        a.rurl_user.clone(),
        a.rurl_password.as_deref().map(velip_core::Secret::from),
    )?;
    a.filters.query_with(5000, |b| b.webhook(w))
}

/// The checks made before anything starts (see [`super::check`]).
pub(crate) fn check(a: &PushArgs) -> Result<(), Failure> {
    query(a).map(drop)
}

pub(crate) fn run(ctx: &Context, a: &PushArgs) -> Result<(), Failure> {
    let query = query(a)?;
    crate::output::notes::resolved_days(ctx, &a.filters, &query);
    let selection: Vec<(String, String)> = query
        .with_cursor(None)
        .to_redacted_pairs()
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    let cp_path = a
        .checkpoint
        .clone()
        .or_else(|| default_checkpoint(ctx.client.base_url(), &selection));
    let existing: Option<PushCheckpoint> = match (&cp_path, a.restart) {
        (Some(p), false) => velip_store::files::load_json(p)?,
        _ => None,
    };
    if a.resume && cp_path.is_none() {
        return Err(Failure::Usage(
            "--resume needs a place for the checkpoint: give --checkpoint FILE (the state folder is off)".to_owned(),
        ));
    }
    let start = match existing {
        Some(cp) if !a.resume => {
            let _ = cp;
            return Err(Failure::Usage(format!(
                "an interrupted push of this selection exists ({}): continue it with --resume, or start over with --restart",
                cp_path
                    .as_ref()
                    .map_or(String::new(), |p| p.display().to_string())
            )));
        }
        Some(cp) if cp.selection != selection => {
            return Err(Failure::Usage(
                "the push checkpoint belongs to another selection; start over with --restart"
                    .to_owned(),
            ));
        }
        Some(cp) => {
            if !ctx.quiet {
                note!("resuming the push after {} pages", cp.walk.pages());
            }
            cp.walk
        }
        None => WalkCheckpoint::start(),
    };
    let mut walk = ctx.client.resume_push(query, &start)?;
    let save = |walk: &velip_blocking::PushWalk| -> Result<(), Failure> {
        if let Some(p) = &cp_path {
            velip_store::files::save_json(
                p,
                &PushCheckpoint {
                    version: 1,
                    selection: selection.clone(),
                    walk: walk.checkpoint(),
                },
            )?;
        }
        Ok(())
    };
    let result = loop {
        if ctx.is_interrupted() {
            break Err(Failure::from(velip_blocking::Error::Interrupted));
        }
        match walk.next() {
            None => break Ok(()),
            Some(Err(e)) => break Err(Failure::from(e)),
            Some(Ok(p)) => {
                save(&walk)?;
                let at = p
                    .cursor
                    .as_ref()
                    .map_or_else(|| "first page".to_owned(), |c| format!("last_id {c}"));
                status!(
                    "page {}: accepted ({}: {}){}",
                    walk.pages_pushed(),
                    at,
                    p.answer.status,
                    p.answer
                        .next_cursor()
                        .map(|c| format!(", next cursor {c}"))
                        .unwrap_or_default()
                );
            }
        }
    };
    if !ctx.quiet {
        note!(
            "{}",
            crate::quota::summary(
                ctx.client.requests_sent(),
                ctx.client.quota_report().as_ref()
            )
        );
    }
    match result {
        Ok(()) => {
            if let Some(p) = &cp_path {
                let _ = std::fs::remove_file(p);
            }
            status!(
                "pushed {} pages: the service delivers the calls to {}",
                walk.pages_pushed(),
                velip_core::scrub::redact_url(&a.rurl)
            );
            Ok(())
        }
        Err(f) => {
            if !ctx.quiet {
                note!(
                    "push stopped after {} pages; run the same command with --resume to continue",
                    walk.pages_pushed()
                );
            }
            Err(f)
        }
    }
}
