//! Values built on first use and safe to share between threads: a record's
//! C strings are made when a getter first asks for them, from any thread
//! holding a `const` handle.
//!
//! Each slot is one atomic pointer, NULL until filled. A reader that finds
//! it empty builds the value and installs it with a compare-and-swap; when
//! another thread won the race, the loser drops its copy and uses the
//! installed one. So a value never changes once a pointer to it was handed
//! out, no lock is taken, and an unread slot costs 8 bytes.

use std::cell::UnsafeCell;
use std::ffi::{CString, c_char};
use std::fmt::{Display, Write as _};
use std::marker::PhantomData;
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};

use crate::boundary::{StackText, c_display};

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

    /// The value, if a thread built it.
    pub(crate) fn get(&self) -> Option<&T> {
        let p = self.ptr.load(Ordering::Acquire);
        // SAFETY: a non-NULL pointer is the installed value, never replaced
        // nor freed before `self` is dropped.
        (!p.is_null()).then(|| unsafe { &*p })
    }

    /// The value, built by `make` if no thread did yet.
    pub(crate) fn get_or_init(&self, make: impl FnOnce() -> T) -> &T {
        if let Some(v) = self.get() {
            return v;
        }
        let fresh = Box::into_raw(Box::new(make()));
        let p = match self.ptr.compare_exchange(
            std::ptr::null_mut(),
            fresh,
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            Ok(_) => fresh,
            Err(installed) => {
                // SAFETY: `fresh` came from `Box::into_raw` just above and
                // was never shared.
                drop(unsafe { Box::from_raw(fresh) });
                installed
            }
        };
        // SAFETY: as in `get`.
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

/// Bytes of short texts packed together.
const BLOCK: usize = 64;

/// One allocation holding several short C strings (a record's id, status,
/// date and amount fit), so reading them costs one allocation, not one each.
struct Block {
    used: AtomicUsize,
    bytes: UnsafeCell<[u8; BLOCK]>,
}

// SAFETY: `bytes` is written only in ranges reserved exclusively through
// `used` (a compare-and-swap), before a pointer to them is published;
// published ranges are never written again.
unsafe impl Sync for Block {}

impl Block {
    fn new() -> Self {
        Self {
            used: AtomicUsize::new(0),
            bytes: UnsafeCell::new([0; BLOCK]),
        }
    }

    /// Copies `text` and a NUL into a free range; `None` when it does not
    /// fit.
    fn place(&self, text: &[u8]) -> Option<*mut c_char> {
        let need = text.len() + 1;
        let mut start = self.used.load(Ordering::Relaxed);
        loop {
            let end = start.checked_add(need).filter(|e| *e <= BLOCK)?;
            match self
                .used
                .compare_exchange_weak(start, end, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => break,
                Err(now) => start = now,
            }
        }
        // SAFETY: `start..start + need` lies within `bytes` and was reserved
        // for this call alone.
        unsafe {
            let dst = self.bytes.get().cast::<u8>().add(start);
            std::ptr::copy_nonoverlapping(text.as_ptr(), dst, text.len());
            dst.add(text.len()).write(0);
            Some(dst.cast())
        }
    }

    fn holds(&self, p: *const c_char) -> bool {
        let start = self.bytes.get() as usize;
        (start..start + BLOCK).contains(&(p as usize))
    }
}

/// `N` C strings, each made on first access from a value's `Display` text:
/// short ones in a shared [`Block`], longer ones (or texts with a NUL, which
/// is replaced) in their own allocation.
pub(crate) struct LazyTexts<const N: usize> {
    slots: [AtomicPtr<c_char>; N],
    block: LazyBox<Block>,
}

impl<const N: usize> LazyTexts<N> {
    pub(crate) const fn new() -> Self {
        Self {
            slots: [const { AtomicPtr::new(std::ptr::null_mut()) }; N],
            block: LazyBox::new(),
        }
    }

    /// Text `i`, made from `value` if no thread did yet. The pointer stays
    /// valid, and the text unchanged, until `self` is dropped.
    pub(crate) fn get_or_init(&self, i: usize, value: &dyn Display) -> *const c_char {
        let slot = &self.slots[i];
        let p = slot.load(Ordering::Acquire);
        if !p.is_null() {
            return p;
        }
        let mut small = StackText::default();
        let placed = if write!(small, "{value}").is_ok() && !small.text().contains(&0) {
            self.block.get_or_init(Block::new).place(small.text())
        } else {
            None
        };
        let fresh = placed.unwrap_or_else(|| c_display(value).into_raw());
        match slot.compare_exchange(
            std::ptr::null_mut(),
            fresh,
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            Ok(_) => fresh,
            Err(installed) => {
                if !self.in_block(fresh) {
                    // SAFETY: `fresh` came from `into_raw` just above and was
                    // never shared.
                    drop(unsafe { CString::from_raw(fresh) });
                }
                installed
            }
        }
    }

    fn in_block(&self, p: *const c_char) -> bool {
        self.block.get().is_some_and(|b| b.holds(p))
    }
}

impl<const N: usize> Drop for LazyTexts<N> {
    fn drop(&mut self) {
        for i in 0..N {
            let p = *self.slots[i].get_mut();
            if !p.is_null() && !self.in_block(p) {
                // SAFETY: a pointer outside the block was installed from
                // `CString::into_raw` and is dropped once, here.
                drop(unsafe { CString::from_raw(p) });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    #[test]
    fn one_text_per_slot_for_all_threads() {
        let texts = LazyTexts::<4>::new();
        let ptrs: Vec<[usize; 4]> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    s.spawn(|| {
                        [
                            texts.get_or_init(0, &"short") as usize,
                            texts.get_or_init(1, &"x".repeat(100)) as usize,
                            texts.get_or_init(2, &"nul\0inside") as usize,
                            texts.get_or_init(3, &12_345) as usize,
                        ]
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(ptrs.windows(2).all(|w| w[0] == w[1]));
        let text = |i: usize| {
            // SAFETY: installed C strings, alive while `texts` is.
            unsafe { CStr::from_ptr(texts.get_or_init(i, &"unused")) }
                .to_str()
                .unwrap()
                .to_owned()
        };
        assert_eq!(text(0), "short");
        assert_eq!(text(1), "x".repeat(100));
        assert_eq!(text(2), "nul\u{FFFD}inside");
        assert_eq!(text(3), "12345");
        assert!(texts.in_block(texts.get_or_init(0, &"")));
        assert!(!texts.in_block(texts.get_or_init(1, &"")));
    }

    #[test]
    fn a_full_block_spills_to_own_allocations() {
        let texts = LazyTexts::<8>::new();
        for i in 0..8 {
            texts.get_or_init(i, &format!("{i}-0123456789"));
        }
        let in_block = (0..8)
            .filter(|i| texts.in_block(texts.get_or_init(*i, &"")))
            .count();
        assert_eq!(in_block, BLOCK / 13);
        let boxed = LazyBox::<Vec<u8>>::new();
        assert!(boxed.get().is_none());
        let a: *const Vec<u8> = boxed.get_or_init(|| vec![1]);
        let b: *const Vec<u8> = boxed.get_or_init(|| vec![2]);
        assert_eq!(a, b);
    }
}
