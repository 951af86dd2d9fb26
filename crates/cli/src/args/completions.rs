//! `velip completions`.

use clap::Args;

#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  velip completions bash > ~/.local/share/bash-completion/completions/velip
  velip completions zsh > \"${fpath[1]}/_velip\"
  velip completions fish > ~/.config/fish/completions/velip.fish
  velip completions powershell >> $PROFILE")]
pub(crate) struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub(crate) shell: clap_complete::Shell,
}
