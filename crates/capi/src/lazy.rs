//! Values built on first use and safe to share between threads: a record's
//! C strings are made when a getter first asks for them, from any thread
//! holding a `const` handle.
//!
//! Each slot is one atomic pointer, NULL until filled. A reader that finds
//! it empty builds the value and installs it with a compare-and-swap; when
//! another thread won the race, the loser frees its copy and uses the
//! installed one. So the value never changes once a pointer to it was
//! handed out, no lock is taken, and an unread slot costs 8 bytes.

use std::ffi::{CString, c_char};
use std::marker::PhantomData;
use std::sync::atomic::{AtomicPtr, Ordering};

/// A C string built on first use.
pub(crate) struct LazyCStr(AtomicPtr<c_char>);

impl LazyCStr {
    pub(crate) const fn new() -> Self {
        Self(AtomicPtr::new(std::ptr::null_mut()))
    }

    /// The string, built by `make` if no thread did yet. The pointer stays
    /// valid until `self` is dropped.
    pub(crate) fn get_or_init(&self, make: impl FnOnce() -> CString) -> *const c_char {
        let p = self.0.load(Ordering::Acquire);
        if !p.is_null() {
            return p;
        }
        let fresh = make().into_raw();
        match self.0.compare_exchange(
            std::ptr::null_mut(),
            fresh,
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            Ok(_) => fresh,
            Err(installed) => {
                // SAFETY: `fresh` came from `into_raw` just above and was
                // never shared.
                drop(unsafe { CString::from_raw(fresh) });
                installed
            }
        }
    }
}

impl Drop for LazyCStr {
    fn drop(&mut self) {
        let p = *self.0.get_mut();
        if !p.is_null() {
            // SAFETY: a non-NULL pointer was installed from `into_raw` and
            // is dropped once, here.
            drop(unsafe { CString::from_raw(p) });
        }
    }
}

/// A boxed value built on first use.
pub(crate) struct LazyBox<T> {
    ptr: AtomicPtr<T>,
    /// Owns a `T` (for `Send`/`Sync` and drop checking).
    _owns: PhantomData<Box<T>>,
}

impl<T> LazyBox<T> {
    pub(crate) const fn new() -> Self {
        Self {
            ptr: AtomicPtr::new(std::ptr::null_mut()),
            _owns: PhantomData,
        }
    }

    /// The value, built by `make` if no thread did yet.
    pub(crate) fn get_or_init(&self, make: impl FnOnce() -> T) -> &T {
        let mut p = self.ptr.load(Ordering::Acquire);
        if p.is_null() {
            let fresh = Box::into_raw(Box::new(make()));
            p = match self.ptr.compare_exchange(
                std::ptr::null_mut(),
                fresh,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => fresh,
                Err(installed) => {
                    // SAFETY: `fresh` came from `Box::into_raw` just above
                    // and was never shared.
                    drop(unsafe { Box::from_raw(fresh) });
                    installed
                }
            };
        }
        // SAFETY: `p` is the installed value, never replaced nor freed
        // before `self` is dropped; only shared references are handed out.
        unsafe { &*p }
    }
}

impl<T> Drop for LazyBox<T> {
    fn drop(&mut self) {
        let p = *self.ptr.get_mut();
        if !p.is_null() {
            // SAFETY: installed from `Box::into_raw`, dropped once, here.
            drop(unsafe { Box::from_raw(p) });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[test]
    fn one_value_for_all_threads() {
        let slot = LazyCStr::new();
        let built = AtomicUsize::new(0);
        let ptrs: Vec<usize> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    s.spawn(|| {
                        slot.get_or_init(|| {
                            built.fetch_add(1, Ordering::SeqCst);
                            CString::new("x").unwrap()
                        }) as usize
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(ptrs.windows(2).all(|w| w[0] == w[1]));
        assert!(built.load(Ordering::SeqCst) >= 1);
        let boxed = LazyBox::<Vec<u8>>::new();
        let a: *const Vec<u8> = boxed.get_or_init(|| vec![1]);
        let b: *const Vec<u8> = boxed.get_or_init(|| vec![2]);
        assert_eq!(a, b);
    }
}
