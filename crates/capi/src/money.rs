//! Brazilian decimals (`"1.234,56"`) as exact decimal text.

use std::ffi::c_char;

use velip_core::money::parse_brl_decimal;

use crate::boundary::{copy_text, ffi_panic_boundary, try_str};
use crate::error::Error;
use crate::status::{VELIP_INVALID_DECIMAL, velip_status};

/// Parses a decimal written the Brazilian way or the dot way (`"0,050"`,
/// `"1.234,56"`, `"R$ 1,00"`, `"0.050"`) and copies it as exact decimal
/// text with a dot, keeping the scale (`"0.050"`, `"1234.56"`), into `buf`
/// (`len` bytes), NUL-terminated. `VELIP_INVALID_DECIMAL` when it is not a
/// number. `needed` (may be NULL) always receives the size needed, NUL
/// included (0 when `input` is not a number); `buf` NULL with `len` 0 asks
/// for the size only (`VELIP_OK`); `VELIP_BUFFER_TOO_SMALL` when `len` is
/// smaller.
///
/// # Safety
/// `input` must be a NUL-terminated UTF-8 string; `buf` NULL or valid for
/// writing `len` bytes; `needed` NULL or valid for writing. The caller owns
/// all of them.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_brl_decimal_parse(
    input: *const c_char,
    buf: *mut c_char,
    len: usize,
    needed: *mut usize,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        unsafe {
            copy_text(buf, len, needed, || {
                let d = parse_brl_decimal(try_str(input, "input")?)
                    .map_err(|e| Error::new(VELIP_INVALID_DECIMAL, e.to_string()))?;
                Ok(d.to_string())
            })
        }
    }
}
