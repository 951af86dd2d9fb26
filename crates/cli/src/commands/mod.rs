//! One module per subcommand.

pub(crate) mod call;
pub(crate) mod completions;
pub(crate) mod decode;
pub(crate) mod export;
pub(crate) mod list;
pub(crate) mod push;
pub(crate) mod quota;
pub(crate) mod stats;
pub(crate) mod sync;
pub(crate) mod webhook;

use crate::args::Command;
use crate::args::call::CallCommand;
use crate::args::calls::CallsCommand;
use crate::args::output::CsvOptions;
use crate::exit::Failure;

/// Checks made before the client is built (and an embedded sandbox
/// started): usage rules and the selection's validation, so that a mistake
/// costs nothing and is reported in the words of the command line.
pub(crate) fn check(cmd: &Command) -> Result<(), Failure> {
    match cmd {
        Command::Call(CallCommand::Get(a)) => call::check(a),
        Command::Calls(CallsCommand::List(a)) => list::check(a),
        Command::Calls(CallsCommand::Export(a)) => export::check(a),
        Command::Calls(CallsCommand::Stats(a)) => stats::check(a),
        Command::Calls(CallsCommand::Push(a)) => push::check(a),
        Command::Sync(a) => sync::check(a),
        _ => Ok(()),
    }
}

/// `--csv-locale` with another format than CSV is a usage error (exit 2),
/// not silently ignored.
fn csv_locale_only_for_csv(csv: CsvOptions, is_csv: bool) -> Result<(), Failure> {
    if csv.csv_locale.is_some() && !is_csv {
        return Err(Failure::Usage(
            "--csv-locale applies to CSV output only: add --format csv, or leave it out".to_owned(),
        ));
    }
    Ok(())
}
