//! Call data: the deterministic generator, the file loader and the compact store.

pub(crate) mod generator;
pub(crate) mod loader;
pub(crate) mod store;

pub use loader::LoadError;

use crate::config::SandboxConfig;
use store::Store;

/// Builds the store the configuration asks for (loaded or generated).
pub(crate) fn build_store(cfg: &SandboxConfig) -> Result<Store, LoadError> {
    match &cfg.data_file {
        Some(path) => loader::load_file(path),
        None => Ok(generator::generate(cfg)),
    }
}
