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

/// mimalloc, tuned for streaming (`velip_alloc`), as the Python extension
/// uses: a walk decodes records on a helper thread and the export frees
/// them on the main one, which glibc's malloc serves with arena-lock
/// contention.
#[global_allocator]
static ALLOCATOR: velip_alloc::MiMalloc = velip_alloc::MiMalloc;

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

fn init_logging(g: &args::Global, receiving: bool) {
    // Errors are reported once by `main`; library log lines only on request.
    let level = match (g.quiet, g.verbose) {
        (true, _) | (false, 0) => log::LevelFilter::Off,
        (false, 1) => log::LevelFilter::Info,
        (false, _) => log::LevelFilter::Debug,
    };
    let mut b = env_logger::Builder::new();
    b.filter_level(log::LevelFilter::Off)
        .filter_module("velip", level)
        .filter_module("velip_blocking", level)
        .filter_module("velip_cli", level);
    if receiving {
        // `webhook listen`: one timestamped line per delivery by default.
        b.filter_module(
            "velip_webhook",
            match (g.quiet, g.verbose) {
                (true, _) => log::LevelFilter::Error,
                (false, 0 | 1) => log::LevelFilter::Info,
                (false, _) => log::LevelFilter::Debug,
            },
        )
        .format_timestamp_millis();
    } else {
        b.format_timestamp(None);
    }
    b.parse_env("VELIP_LOG").init();
}

fn run(cli: &Cli) -> Result<(), Failure> {
    // Commands without a client.
    match &cli.command {
        Command::Decode(a) => return commands::decode::run(a),
        Command::Completions(a) => return commands::completions::run(a),
        Command::Webhook(w) => return commands::webhook::run(&cli.global, w),
        _ => {}
    }
    commands::check(&cli.command)?;
    if let Command::Sync(a) = &cli.command {
        // The database first: one that cannot be used fails before anything
        // is sent (and before an embedded sandbox starts).
        let store = commands::sync::open(a)?;
        let ctx = context::Context::new(&cli.global, cli.command.waits_for_quota())?;
        return commands::sync::run(&ctx, a, store);
    }
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
        Command::Decode(_) | Command::Completions(_) | Command::Sync(_) | Command::Webhook(_) => {
            Ok(())
        }
    }
}

fn main() -> ExitCode {
    velip_alloc::tune();
    let cli = Cli::parse();
    init_logging(&cli.global, matches!(cli.command, Command::Webhook(_)));
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => f.report(),
    }
}
