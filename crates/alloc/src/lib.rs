//! The allocator of velip's programs (`velip`, the webhook receiver) and of
//! the Python extension: [mimalloc](https://github.com/microsoft/mimalloc),
//! with option defaults tuned for streaming walks.
//!
//! Why: a walk decodes records on a helper thread and its consumer frees
//! them on another, which glibc's malloc serves with arena-lock contention
//! (malloc and free were 40% of a CSV export's CPU time; BENCHMARKS.md
//! sections 10 and 11 have the before/after). The C library keeps the
//! host's allocator: a library does not choose one for its host.
//!
//! ```no_run
//! #[global_allocator]
//! static ALLOCATOR: velip_alloc::MiMalloc = velip_alloc::MiMalloc;
//!
//! fn main() {
//!     velip_alloc::tune();
//!     // ...
//! }
//! ```

// The one call into mimalloc's C options API.
#![allow(unsafe_code)]

pub use mimalloc::MiMalloc;

/// Sets mimalloc's options for a long-lived process that streams pages:
/// give freed memory back to the OS after 10 ms (`purge_delay`) and commit
/// arenas on demand (`arena_eager_commit` off, arenas reserved 4 MiB at a
/// time), so the peak RSS of a walk does not grow with its length (a
/// 1,000,000-call Parquet export stays near its 10,000-call RSS). An option
/// given in the environment (`MIMALLOC_PURGE_DELAY`,
/// `MIMALLOC_ARENA_EAGER_COMMIT`, `MIMALLOC_ARENA_RESERVE`) is left as
/// given. Call it once, early (at the start of `main`, or when a module is
/// imported); calling it again is harmless. Without mimalloc as the global
/// allocator it changes nothing that is used.
pub fn tune() {
    use libmimalloc_sys::{mi_option_set, mi_option_t};
    // mimalloc's `mi_option_e` values, which it never renumbers, and the
    // environment variable that sets each.
    const OPTIONS: [(mi_option_t, &str, std::ffi::c_long); 3] = [
        (4, "MIMALLOC_ARENA_EAGER_COMMIT", 0),
        (15, "MIMALLOC_PURGE_DELAY", 10),
        (23, "MIMALLOC_ARENA_RESERVE", 4096),
    ];
    for (option, env, value) in OPTIONS {
        if std::env::var_os(env).is_none() {
            // SAFETY: mimalloc's setter of a global option, with a valid
            // option number; mimalloc reads options atomically. (Setting
            // the default instead would be ignored: mimalloc has read its
            // options when the runtime's first allocation started it.)
            unsafe { mi_option_set(option, value) };
        }
    }
}
