//! `velip decode`.

use std::path::PathBuf;

use clap::Args;

#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  velip decode tests/fixtures/list_all_strings.json
  velip decode --form tests/fixtures/webhook_form.txt
  curl -s ... | velip decode - | jq .call_id
  velip decode --http-status 429 --retry-after 5 --content-type text/html page.html")]
pub(crate) struct DecodeArgs {
    /// The saved body; `-` or nothing for stdin.
    pub(crate) file: Option<PathBuf>,
    /// The body is a form-encoded webhook delivery (one call per line).
    #[arg(long, conflicts_with_all = ["http_status", "retry_after", "content_type"])]
    pub(crate) form: bool,
    /// The HTTP status the body came with (default: unknown, read as a
    /// successful answer). A non-JSON body is classified by it, as the
    /// client does: a 429 HTML page is a rate limit, a 502 a server error.
    #[arg(long, value_name = "CODE", value_parser = clap::value_parser!(u16).range(100..=599))]
    pub(crate) http_status: Option<u16>,
    /// The `Retry-After` header it came with (seconds or an HTTP-date).
    #[arg(long, value_name = "VALUE")]
    pub(crate) retry_after: Option<String>,
    /// The `Content-Type` header it came with.
    #[arg(long, value_name = "TYPE")]
    pub(crate) content_type: Option<String>,
}
