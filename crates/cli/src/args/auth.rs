//! `velip auth ...`.

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub(crate) enum AuthCommand {
    /// Clear the lock-out of these credentials (after fixing them): every
    /// process of yours refuses to send with credentials that failed
    /// authentication, since repeated failures get the IP banned for good.
    Reset,
}
