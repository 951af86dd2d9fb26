//! What the export job tests share: a sandbox of [`CALLS`] calls, the
//! `velip` command against it (no retries, its own state folder), the
//! export of every call, and the parts of an outcome.

use std::path::Path;
use std::process::{Command, Output};

use velip_sandbox::{Sandbox, SandboxConfig};

/// The `velip` binary under test.
pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_velip");
/// Calls in the sandbox.
pub(crate) const CALLS: usize = 1_200;

pub(crate) fn sandbox() -> Sandbox {
    Sandbox::start(SandboxConfig {
        calls: CALLS,
        ..SandboxConfig::default()
    })
    .expect("sandbox starts")
}

pub(crate) fn command(sb: &Sandbox, state: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args(["--base-url", sb.url(), "--retries", "0", "--timeout", "10"])
        .args(args)
        .env("VELIP_TOKEN", sb.token())
        .env("VELIP_STATE_DIR", state)
        .env_remove("VELIP_BASE_URL");
    c
}

pub(crate) fn run(sb: &Sandbox, state: &Path, args: &[&str]) -> Output {
    command(sb, state, args).output().expect("velip runs")
}

pub(crate) fn export_args<'a>(out: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec![
        "calls",
        "export",
        "--date-start",
        "2000-01-01",
        "--date-end",
        "2100-12-31",
        "--page-size",
        "100",
        "--out",
        out,
    ];
    a.extend_from_slice(extra);
    a
}

pub(crate) fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

pub(crate) fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
