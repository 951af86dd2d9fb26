//! Notes on stderr shared by the walking commands (never with `--quiet`).

use crate::args::selection::Filters;
use crate::context::Context;

/// The days a relative selection resolved to (`--date yesterday`), so a
/// cron job's log says which day it exported.
pub(crate) fn resolved_days(ctx: &Context, filters: &Filters, q: &velip_core::Query) {
    if !ctx.quiet
        && let Some(days) = filters.resolved_days(q)
    {
        note!("{days}");
    }
}

/// An empty result, said so: the service answers filters that match
/// nothing (also mistyped ones) with an empty list, never an error.
pub(crate) fn empty_result(ctx: &Context) {
    if !ctx.quiet {
        note!("note: no calls match this selection");
        note!(
            "hint: the service answers a filter that matches nothing (an unknown --campaign-id or --campaign-ref, a mistyped --ctid, days without calls) with an empty list, not an error: check the filters"
        );
    }
}

/// The walk's warnings and whether numbers came masked.
pub(crate) fn walk_notes(ctx: &Context, warnings: &[String], masked: bool) {
    if ctx.quiet {
        return;
    }
    for w in warnings {
        note!("warning: {w}");
    }
    if masked {
        note!("note: phone numbers are masked for this token");
    }
}
