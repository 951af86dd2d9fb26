//! The typed response model: [`CallRecord`], [`Page`] and their parts.

mod call_id;
mod cursor;
pub mod local_time;
pub(crate) mod page;
mod problem;
mod record;
mod status;
mod wire;

pub use call_id::{CallId, CallIdError};
pub use cursor::Cursor;
pub use page::{Continuation, Page, Pagination};
pub use problem::{Problem, RejectedRecord};
pub use record::CallRecord;
pub use status::{AmdResult, CallStatus};
