//! `velip completions SHELL`: a completion script from the argument
//! definitions (`clap_complete`).

use std::io::Write as _;

use clap::CommandFactory as _;

use crate::args::Cli;
use crate::args::completions::CompletionsArgs;
use crate::exit::Failure;

pub(crate) fn run(a: &CompletionsArgs) -> Result<(), Failure> {
    let mut script = Vec::new();
    clap_complete::generate(a.shell, &mut Cli::command(), "velip", &mut script);
    std::io::stdout()
        .write_all(&script)
        .map_err(|e| Failure::stdout(&e))
}
