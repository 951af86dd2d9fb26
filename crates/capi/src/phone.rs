//! Brazilian phone numbers (`velip_phone_number`): parse any common
//! writing, format in every style.

use std::ffi::c_char;

use velip_core::{NumberFormat, PhoneNumber};

use crate::boundary::{
    Handle, copy_text, ffi_panic_boundary, free, into_raw, try_out, try_ref, try_str,
};
use crate::error::Error;
use crate::status::{VELIP_INVALID_PHONE_NUMBER, velip_status};

/// A valid Brazilian phone number (opaque). Immutable: may be shared across
/// threads.
pub struct velip_phone_number {
    _private: [u8; 0],
}

impl Handle for velip_phone_number {
    type Rust = PhoneNumber;
}

/// How to write a phone number: one of the `VELIP_PHONE_*` values (a
/// `uint32_t`); an unknown value is an error (`VELIP_INVALID_ARGUMENT`),
/// never undefined.
pub type velip_phone_style = u32;

/// Country code + DDD + number, `5511999999999` (`numtype` empty).
pub const VELIP_PHONE_INTERNATIONAL: velip_phone_style = 0;
/// Trunk `0` + DDD + number, `011999999999` (`numtype=0DDD`).
pub const VELIP_PHONE_TRUNK_PREFIXED: velip_phone_style = 1;
/// DDD + number, `11999999999` (`numtype=DDD`).
pub const VELIP_PHONE_DDD: velip_phone_style = 2;
/// E.164, `+5511999999999`.
pub const VELIP_PHONE_E164: velip_phone_style = 3;
/// National display, `(11) 99999-9999`.
pub const VELIP_PHONE_NATIONAL: velip_phone_style = 4;

fn format(p: &PhoneNumber, style: velip_phone_style) -> Result<String, Error> {
    Ok(match style {
        VELIP_PHONE_INTERNATIONAL => p.format(NumberFormat::International),
        VELIP_PHONE_TRUNK_PREFIXED => p.format(NumberFormat::TrunkPrefixed),
        VELIP_PHONE_DDD => p.format(NumberFormat::Ddd),
        VELIP_PHONE_E164 => p.e164(),
        VELIP_PHONE_NATIONAL => p.national(),
        other => {
            return Err(Error::invalid(format!(
                "{other} is not a velip_phone_style (0-4)"
            )));
        }
    })
}

fn parse(input: &str) -> Result<PhoneNumber, Error> {
    PhoneNumber::parse(input).map_err(|e| Error::new(VELIP_INVALID_PHONE_NUMBER, e.to_string()))
}

/// Parses a Brazilian phone number written any common way
/// (`+55 (11) 99999-9999`, `011 99999-9999`, `(11) 9999-9999`,
/// `5511999999999`, `11999999999`). `VELIP_INVALID_PHONE_NUMBER` (with the
/// reason as last error message) when it is not one.
///
/// On `VELIP_OK`, `*out` is a new number owned by the caller: free it with
/// `velip_phone_number_free`.
///
/// # Safety
/// `input` must be a NUL-terminated UTF-8 string (owned by the caller);
/// `out` valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_phone_number_parse(
    input: *const c_char,
    out: *mut *mut velip_phone_number,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        let (input, out) = unsafe { (try_str(input, "input")?, try_out(out, "out")?) };
        out.write(into_raw(parse(input)?));
        Ok(())
    }
}

/// Copies the number written in `style` (a `velip_phone_style`) into `buf`
/// (`len` bytes), NUL-terminated. `needed` (may be NULL) always receives the
/// size needed, NUL included (0 on an error before the text: NULL number,
/// unknown style); `buf` NULL with `len` 0 asks for the size only
/// (`VELIP_OK`); `VELIP_BUFFER_TOO_SMALL`
/// when `len` is smaller (16 bytes always suffice).
///
/// # Safety
/// `number` must be a live `velip_phone_number` (owned by the caller or
/// borrowed from a record); `buf` NULL or valid for writing `len` bytes;
/// `needed` NULL or valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_phone_number_format(
    number: *const velip_phone_number,
    style: velip_phone_style,
    buf: *mut c_char,
    len: usize,
    needed: *mut usize,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        unsafe { copy_text(buf, len, needed, || format(try_ref(number, "number")?, style)) }
    }
}

/// The area code (DDD), e.g. 11, and whether the number is a mobile
/// (9 digits starting with 9) rather than a landline.
///
/// # Safety
/// `number` must be a live `velip_phone_number`; `ddd` and `is_mobile`
/// valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_phone_number_info(
    number: *const velip_phone_number,
    ddd: *mut u8,
    is_mobile: *mut bool,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        let (p, ddd, mobile) = unsafe {
            (try_ref(number, "number")?, try_out(ddd, "ddd")?, try_out(is_mobile, "is_mobile")?)
        };
        ddd.write(p.ddd());
        mobile.write(p.kind() == velip_core::phone::PhoneKind::Mobile);
        Ok(())
    }
}

/// Copies a number, e.g. one borrowed from a record, so it can outlive the
/// record. On `VELIP_OK`, `*out` is a new number owned by the caller: free
/// it with `velip_phone_number_free`.
///
/// # Safety
/// `number` must be a live `velip_phone_number`; `out` valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_phone_number_clone(
    number: *const velip_phone_number,
    out: *mut *mut velip_phone_number,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        let (p, out) = unsafe { (try_ref(number, "number")?, try_out(out, "out")?) };
        out.write(into_raw(p.clone()));
        Ok(())
    }
}

/// Frees a number from `velip_phone_number_parse` or
/// `velip_phone_number_clone`. NULL is a no-op. Never
/// free a number borrowed from a record.
///
/// # Safety
/// `number` must be NULL or a number owned by the caller, not freed before.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_phone_number_free(number: *mut velip_phone_number) {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        unsafe { free(number) }
    }
}

/// Parses `input` and copies it written in `style` into `buf` in one call
/// (`velip_phone_number_parse` + `velip_phone_number_format`; `needed` as
/// there, 0 when `input` is not a phone number).
///
/// # Safety
/// `input` must be a NUL-terminated UTF-8 string; `buf` NULL or valid for
/// writing `len` bytes; `needed` NULL or valid for writing. The caller owns
/// all of them.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_phone_format(
    input: *const c_char,
    style: velip_phone_style,
    buf: *mut c_char,
    len: usize,
    needed: *mut usize,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        unsafe { copy_text(buf, len, needed, || format(&parse(try_str(input, "input")?)?, style)) }
    }
}
