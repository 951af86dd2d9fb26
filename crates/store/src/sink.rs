//! [`Sink`]: where the pages of a walk land, each committed together with
//! the walk's checkpoint.

use velip_blocking::WalkCheckpoint;
use velip_core::Page;

use crate::StoreError;

/// Takes pages, not single records, and commits `walk` (where the walk
/// continues) together with the data it wrote: the checkpoint never
/// promises data that is not there, and a resume never writes a record
/// twice. File sinks flush and sync the data before they replace the
/// checkpoint file; database sinks hold both in one transaction.
pub trait Sink {
    /// Writes a page's records (and its rejected entries) and commits
    /// `walk` with them. When it returns `Ok`, both are durable.
    ///
    /// # Errors
    /// The sink's error; the last committed checkpoint still holds.
    fn write_page(&mut self, page: &Page, walk: &WalkCheckpoint) -> Result<(), StoreError>;
}
