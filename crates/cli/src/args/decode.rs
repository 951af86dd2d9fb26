//! `velip decode`.

use std::path::PathBuf;

use clap::Args;

#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  velip decode tests/fixtures/list_all_strings.json
  velip decode --form tests/fixtures/webhook_form.txt
  curl -s ... | velip decode - | jq .call_id")]
pub(crate) struct DecodeArgs {
    /// The saved body; `-` or nothing for stdin.
    pub(crate) file: Option<PathBuf>,
    /// The body is a form-encoded webhook delivery (one call per line).
    #[arg(long)]
    pub(crate) form: bool,
}
