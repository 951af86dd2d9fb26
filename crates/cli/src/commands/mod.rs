//! One module per subcommand.

pub(crate) mod call;
pub(crate) mod decode;
pub(crate) mod export;
pub(crate) mod list;
pub(crate) mod push;
pub(crate) mod quota;
pub(crate) mod webhook;
