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

mod args;
mod commands;
mod context;
mod exit;
mod filters;
mod output;
mod progress;
mod quota;

use std::process::ExitCode;

use clap::Parser;

use args::{AuthCommand, CallCommand, CallsCommand, Cli, Command};
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
    if let Command::Decode(a) = &cli.command {
        return commands::decode::run(a);
    }
    let waits = matches!(
        cli.command,
        Command::Calls(CallsCommand::Export { .. } | CallsCommand::Push { .. })
    );
    let ctx = context::Context::new(&cli.global, waits)?;
    match &cli.command {
        Command::Call(CallCommand::Get { call_id, format }) => {
            commands::call::get(&ctx, call_id, *format)
        }
        Command::Call(CallCommand::Find { ctid, format }) => {
            commands::call::find(&ctx, ctid, *format)
        }
        Command::Calls(CallsCommand::List {
            filters,
            format,
            limit,
            csv,
        }) => commands::list::run(&ctx, filters, *format, *limit, *csv),
        Command::Calls(CallsCommand::Export {
            filters,
            out,
            format,
            partition_by,
            resume,
            restart,
            csv,
        }) => commands::export::run(
            &ctx,
            filters,
            &commands::export::ExportArgs {
                out,
                format: *format,
                partition_by: *partition_by,
                resume: *resume,
                restart: *restart,
                csv: *csv,
            },
        ),
        Command::Calls(CallsCommand::Push {
            filters,
            rurl,
            rurl_method,
            rurl_type,
            rurl_headers,
            rurl_user,
            rurl_password,
            resume,
            restart,
            checkpoint,
        }) => commands::push::run(
            &ctx,
            filters,
            &commands::push::PushArgs {
                rurl,
                method: *rurl_method,
                kind: *rurl_type,
                headers: rurl_headers,
                user: rurl_user.as_deref(),
                password: rurl_password.as_deref(),
                resume: *resume,
                restart: *restart,
                checkpoint: checkpoint.as_deref(),
            },
        ),
        Command::Quota { format } => {
            commands::quota::show(&ctx, *format);
            Ok(())
        }
        Command::Auth(AuthCommand::Reset) => {
            commands::quota::reset(&ctx);
            Ok(())
        }
        Command::Decode(_) => Ok(()),
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
