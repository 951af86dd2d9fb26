//! `velip quota` and `velip auth reset`: the quota ledger for the current
//! credentials.

use crate::args::output::RecordFormat;
use crate::context::Context;
use crate::quota::local;

pub(crate) fn show(ctx: &Context, format: RecordFormat) {
    let Some(r) = ctx.client.quota_report() else {
        say!("the quota ledger is off (VELIP_STATE_DIR=off): nothing is counted");
        return;
    };
    match format {
        RecordFormat::Json => {
            let v = r.to_json();
            say!("{v:#}");
        }
        RecordFormat::Text => {
            say!("service       {}", r.host);
            say!("credentials   {} {}", r.mode.as_str(), r.fingerprint);
            let oldest = r
                .list
                .oldest_expires_at
                .map(|t| format!(" (a slot frees at {})", local(t)))
                .unwrap_or_default();
            say!(
                "list quota    {} of {} in {} s{oldest}",
                r.list.used,
                r.list.limit,
                r.list.window.as_secs()
            );
            say!(
                "lookups       {} today ({}), cap {}",
                r.lookups.used,
                r.lookups.day,
                r.lookups.limit.map_or_else(
                    || "unknown until the first daily 429".to_owned(),
                    |c| c.to_string()
                )
            );
            for (scope, until) in &r.retry_after {
                say!("retry-after   {} until {}", scope.as_str(), local(*until));
            }
            if let Some(l) = &r.lockout {
                say!(
                    "locked out    since {} (code {}: {}); clear it with `velip auth reset` once the credentials are fixed",
                    local(l.since),
                    l.code,
                    l.message
                );
            } else {
                say!("locked out    no");
            }
        }
    }
}

pub(crate) fn reset(ctx: &Context) {
    if ctx.client.reset_lockout() {
        say!(
            "lock-out cleared: these credentials may send again (one more failure counts towards a permanent IP ban)"
        );
    } else {
        say!("these credentials are not locked out");
    }
}
