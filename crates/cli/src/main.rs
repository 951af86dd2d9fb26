//! `velip`: look up and export Velip call records from the command line.
//!
//! Run `velip --help`; `--sandbox` makes every command work offline against
//! the embedded simulator.

/// Writes one line to stderr, ignoring failures (a closed stderr must not
/// turn into a panic).
macro_rules! note {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// Writes one line to stdout, ignoring failures (a closed stdout must not
/// turn into a panic), for short reports; record output handles a closed
/// stdout itself (`Failure::stdout`).
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

mod args;
mod commands;
mod context;
mod exit;
mod filters;
mod output;
mod profile;
mod progress;
mod quota;

use std::process::ExitCode;

use clap::Parser;

use args::auth::AuthCommand;
use args::call::CallCommand;
use args::calls::CallsCommand;
use args::{Cli, Command};
use exit::Failure;

fn init_logging(g: &args::Global) {
    // Errors are reported once by `main`; library log lines only on request.
    let level = match (g.quiet, g.verbose) {
        (true, _) | (false, 0) => log::LevelFilter::Off,
        (false, 1) => log::LevelFilter::Info,
        (false, _) => log::LevelFilter::Debug,
    };
    env_logger::Builder::new()
        .filter_level(log::LevelFilter::Off)
        .filter_module("velip", level)
        .filter_module("velip_blocking", level)
        .filter_module("velip_cli", level)
        .parse_env("VELIP_LOG")
        .format_timestamp(None)
        .init();
}

fn run(cli: &Cli) -> Result<(), Failure> {
    // Commands without a client.
    match &cli.command {
        Command::Decode(a) => return commands::decode::run(a),
        Command::Completions(a) => return commands::completions::run(a),
        _ => {}
    }
    commands::check(&cli.command)?;
    let ctx = context::Context::new(&cli.global, cli.command.waits_for_quota())?;
    match &cli.command {
        Command::Call(CallCommand::Get(a)) => commands::call::get(&ctx, a),
        Command::Call(CallCommand::Find(a)) => commands::call::find(&ctx, a),
        Command::Calls(CallsCommand::List(a)) => commands::list::run(&ctx, a),
        Command::Calls(CallsCommand::Export(a)) => commands::export::run(&ctx, a),
        Command::Calls(CallsCommand::Stats(a)) => commands::stats::run(&ctx, a),
        Command::Calls(CallsCommand::Push(a)) => commands::push::run(&ctx, a),
        Command::Quota(a) => {
            commands::quota::show(&ctx, a.format);
            Ok(())
        }
        Command::Auth(AuthCommand::Reset) => {
            commands::quota::reset(&ctx);
            Ok(())
        }
        Command::Decode(_) | Command::Completions(_) => Ok(()),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(&cli.global);
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => f.report(),
    }
}
