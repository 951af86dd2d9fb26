//! `velip calls push`.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::args::heading;
use crate::args::selection::Filters;

pub(crate) const EXAMPLES: &str = "\
Examples:
  velip calls push --campaign-id 1007 --rurl https://hooks.example.com/velip --rurl-type json
  velip calls push --date yesterday --rurl https://hooks.example.com/velip \\
      --rurl-header 'X-Api-Key: k-1' --rurl-user hook --resume";

#[derive(Debug, Args)]
#[allow(clippy::doc_markdown)] // the doc comments are `--help` text, not rustdoc
pub(crate) struct PushArgs {
    #[command(flatten)]
    pub(crate) filters: Filters,
    /// Webhook URL (absolute http/https).
    #[arg(long, value_name = "URL", help_heading = heading::WEBHOOK)]
    pub(crate) rurl: String,
    /// Delivery method [default: the account's setting].
    #[arg(long, value_enum, help_heading = heading::WEBHOOK)]
    pub(crate) rurl_method: Option<HttpMethod>,
    /// `json`: one JSON body; `form`: one form-encoded delivery per call.
    #[arg(long, value_enum, help_heading = heading::WEBHOOK)]
    pub(crate) rurl_type: Option<WebhookType>,
    /// Extra header for the deliveries, `Name: value` (repeatable).
    #[arg(long = "rurl-header", value_name = "HEADER", help_heading = heading::WEBHOOK)]
    pub(crate) rurl_headers: Vec<String>,
    /// HTTP Basic user for the deliveries.
    #[arg(long, value_name = "USER", help_heading = heading::WEBHOOK)]
    pub(crate) rurl_user: Option<String>,
    /// HTTP Basic password for the deliveries [default:
    /// $VELIP_RURL_PASSWORD].
    #[arg(long, env = "VELIP_RURL_PASSWORD", hide_env = true, value_name = "PASSWORD",
          help_heading = heading::WEBHOOK)]
    pub(crate) rurl_password: Option<String>,
    /// Continue an interrupted push of the same selection (or start one).
    #[arg(long, conflicts_with = "restart", help_heading = heading::JOB)]
    pub(crate) resume: bool,
    /// Discard an interrupted push of this selection and start over.
    #[arg(long, help_heading = heading::JOB)]
    pub(crate) restart: bool,
    /// Where the push's checkpoint is kept [default: the state folder,
    /// $VELIP_STATE_DIR or ~/.local/state/velip].
    #[arg(long, value_name = "FILE", help_heading = heading::JOB)]
    pub(crate) checkpoint: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum HttpMethod {
    /// POST.
    #[value(name = "POST", alias = "post")]
    Post,
    /// GET.
    #[value(name = "GET", alias = "get")]
    Get,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum WebhookType {
    /// One JSON body.
    Json,
    /// One form-encoded delivery per call.
    Form,
}
