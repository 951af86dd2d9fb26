//! Call records (`velip_record`) with an accessor for every field. Lists
//! are in `list.rs`, pages in `page.rs`.
//!
//! Text outputs are borrowed `const char*` owned by the record: valid until
//! the record is freed (or, for a record borrowed from a list or page, until
//! that list or page is freed). A record never changes: every getter takes
//! a `const velip_record*` and may run on several threads at once.

use std::ffi::{CString, c_char};
use std::fmt::Display;

use velip_core::{CallRecord, Destination, PhoneNumber};

use crate::boundary::{
    Handle, borrow_handle, c_display, c_string, copy_text, ffi_panic_boundary, free, into_raw,
    try_out, try_ref, try_str,
};
use crate::error::{Error, set_opt_number};
use crate::lazy::{LazyBox, LazyTexts};
use crate::phone::velip_phone_number;
use crate::status::velip_status;

/// One call record (opaque). Records handed out by `velip_client_get_call`,
/// `velip_call_iter_next` and `velip_record_clone` are owned by the caller
/// (free each with `velip_record_free`); records of a `velip_record_list`
/// or `velip_page` are owned by it. Immutable: may be read from several
/// threads at once.
pub struct velip_record {
    _private: [u8; 0],
}

/// What a record's destination (`dest`) is: one of the
/// `VELIP_DESTINATION_*` values (a `uint32_t`; more may be added).
pub type velip_destination_kind = u32;

/// No destination in the record.
pub const VELIP_DESTINATION_NONE: velip_destination_kind = 0;
/// A valid Brazilian phone number.
pub const VELIP_DESTINATION_PHONE: velip_destination_kind = 1;
/// A masked number such as `xxxxx877`.
pub const VELIP_DESTINATION_MASKED: velip_destination_kind = 2;
/// Other text, kept verbatim.
pub const VELIP_DESTINATION_RAW: velip_destination_kind = 3;

/// The text fields, in slot order.
#[derive(Clone, Copy)]
pub(crate) enum Text {
    CallId,
    Status,
    Amd,
    CampaignRef,
    CorrelationId,
    Origin,
    Destination,
    Date,
    DialTime,
    AnswerTime,
    HangupTime,
    Route,
    Rate,
    Value,
    RecordingUrl,
}

const TEXT_FIELDS: usize = Text::RecordingUrl as usize + 1;

/// The texts of a record's lists, built together on first access.
struct Lists {
    dtmf: Box<[CString]>,
    extra: Box<[(CString, CString)]>,
    problems: Box<[[CString; 3]]>,
}

/// A record: the Rust record and its C texts, each made on first access by
/// any thread (see `lazy.rs`), so a caller pays only for the fields it
/// reads and an unread field costs 8 bytes; short texts share one block.
pub(crate) struct Record {
    pub(crate) inner: CallRecord,
    texts: LazyTexts<TEXT_FIELDS>,
    lists: LazyBox<Lists>,
}

impl Handle for velip_record {
    type Rust = Record;
}

impl Record {
    pub(crate) fn new(inner: CallRecord) -> Self {
        Self {
            inner,
            texts: LazyTexts::new(),
            lists: LazyBox::new(),
        }
    }

    /// A text field: NULL when the record has no value.
    pub(crate) fn text(&self, field: Text) -> *const c_char {
        let r = &self.inner;
        let value: Option<&dyn Display> = match field {
            Text::CallId => Some(&r.call_id),
            Text::Status => r.status.as_ref().map(|v| v as &dyn Display),
            Text::Amd => r.amd.as_ref().map(|v| v as &dyn Display),
            Text::CampaignRef => r.campaign_ref.as_ref().map(|v| v as &dyn Display),
            Text::CorrelationId => r.correlation_id.as_ref().map(|v| v as &dyn Display),
            Text::Origin => r.origin.as_ref().map(|v| v as &dyn Display),
            Text::Destination => r.destination.as_ref().map(|v| v as &dyn Display),
            Text::Date => r.date.as_ref().map(|v| v as &dyn Display),
            Text::DialTime => r.dial_time.as_ref().map(|v| v as &dyn Display),
            Text::AnswerTime => r.answer_time.as_ref().map(|v| v as &dyn Display),
            Text::HangupTime => r.hangup_time.as_ref().map(|v| v as &dyn Display),
            Text::Route => r.route.as_ref().map(|v| v as &dyn Display),
            Text::Rate => r.rate.as_ref().map(|v| v as &dyn Display),
            Text::Value => r.value.as_ref().map(|v| v as &dyn Display),
            Text::RecordingUrl => r.recording_url.as_ref().map(|v| v as &dyn Display),
        };
        value.map_or(std::ptr::null(), |v| {
            self.texts.get_or_init(field as usize, v)
        })
    }

    fn lists(&self) -> &Lists {
        self.lists.get_or_init(|| {
            let r = &self.inner;
            Lists {
                dtmf: r.dtmf.iter().map(|d| c_string(d)).collect(),
                extra: r
                    .extra
                    .iter()
                    .map(|(k, v)| {
                        let value = match v {
                            serde_json::Value::String(s) => c_string(s),
                            other => c_display(other),
                        };
                        (c_string(k), value)
                    })
                    .collect(),
                problems: r
                    .problems
                    .iter()
                    .map(|p| [c_string(&p.field), c_string(&p.raw), c_string(&p.rule)])
                    .collect(),
            }
        })
    }
}

/// The call id (`cd_id`), `42_123456` or bare digits; never NULL.
///
/// # Safety
/// `record` must be a live `velip_record` (NULL gives
/// `VELIP_NULL_PARAMETER`); `out` must be valid for writing. The text is
/// owned by the record: valid until the record is freed (or the list or
/// page it is borrowed from); do not free it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_record_call_id(
    record: *const velip_record,
    out: *mut *const c_char,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        let (r, out) = unsafe { (try_ref(record, "record")?, try_out(out, "out")?) };
        out.write(r.text(Text::CallId));
        Ok(())
    }
}

/// Body of the text accessors.
///
/// # Safety
/// `record` NULL or live; `out` NULL or valid for writing.
unsafe fn text_field(
    record: *const velip_record,
    out: *mut *const c_char,
    field: Text,
) -> Result<(), Error> {
    // SAFETY: per this function's contract.
    let (r, out) = unsafe { (try_ref(record, "record")?, try_out(out, "out")?) };
    out.write(r.text(field));
    Ok(())
}

/// Body of the optional-number accessors.
///
/// # Safety
/// `record` NULL or live; `out` and `present` NULL or valid for writing.
unsafe fn number_field(
    record: *const velip_record,
    out: *mut u64,
    present: *mut bool,
    field: impl FnOnce(&Record) -> Option<u64>,
) -> Result<(), Error> {
    // SAFETY: per this function's contract.
    let r = unsafe { try_ref(record, "record")? };
    // SAFETY: per this function's contract.
    unsafe { set_opt_number(out, present, field(r)) }
}

/// The final status (`cd_status`): `OK` (answered), `BUSY`, `NOANSWER`,
/// `CANCEL`, `CONGESTION`, `CHANUNAVAIL` or another text kept verbatim.
///
/// On `VELIP_OK`, `*out` is the text, or NULL when the record has no value
/// (absent, `null` or `""` on the wire).
///
/// # Safety
/// `record` must be a live `velip_record` (NULL gives
/// `VELIP_NULL_PARAMETER`); `out` must be valid for writing. The text is
/// owned by the record: valid until the record is freed (or the list or
/// page it is borrowed from); do not free it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_record_status(
    record: *const velip_record,
    out: *mut *const c_char,
) -> velip_status {
    // SAFETY: per this function's contract.
    ffi_panic_boundary! { unsafe { text_field(record, out, Text::Status) } }
}

/// Answering-machine detection (`cd_amdasw`): `MA`, `HM`, `ND` or other
/// text; NULL when AMD was off.
///
/// On `VELIP_OK`, `*out` is the text, or NULL when the record has no value
/// (absent, `null` or `""` on the wire).
///
/// # Safety
/// `record` must be a live `velip_record` (NULL gives
/// `VELIP_NULL_PARAMETER`); `out` must be valid for writing. The text is
/// owned by the record: valid until the record is freed (or the list or
/// page it is borrowed from); do not free it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_record_amd(
    record: *const velip_record,
    out: *mut *const c_char,
) -> velip_status {
    // SAFETY: per this function's contract.
    ffi_panic_boundary! { unsafe { text_field(record, out, Text::Amd) } }
}

/// The customer-side campaign ref (`cpid`).
///
/// On `VELIP_OK`, `*out` is the text, or NULL when the record has no value
/// (absent, `null` or `""` on the wire).
///
/// # Safety
/// `record` must be a live `velip_record` (NULL gives
/// `VELIP_NULL_PARAMETER`); `out` must be valid for writing. The text is
/// owned by the record: valid until the record is freed (or the list or
/// page it is borrowed from); do not free it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_record_campaign_ref(
    record: *const velip_record,
    out: *mut *const c_char,
) -> velip_status {
    // SAFETY: per this function's contract.
    ffi_panic_boundary! { unsafe { text_field(record, out, Text::CampaignRef) } }
}

/// The customer correlation id (`ctid`).
///
/// On `VELIP_OK`, `*out` is the text, or NULL when the record has no value
/// (absent, `null` or `""` on the wire).
///
/// # Safety
/// `record` must be a live `velip_record` (NULL gives
/// `VELIP_NULL_PARAMETER`); `out` must be valid for writing. The text is
/// owned by the record: valid until the record is freed (or the list or
/// page it is borrowed from); do not free it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_record_correlation_id(
    record: *const velip_record,
    out: *mut *const c_char,
) -> velip_status {
    // SAFETY: per this function's contract.
    ffi_panic_boundary! { unsafe { text_field(record, out, Text::CorrelationId) } }
}

/// The request's origin marker (`origin`).
///
/// On `VELIP_OK`, `*out` is the text, or NULL when the record has no value
/// (absent, `null` or `""` on the wire).
///
/// # Safety
/// `record` must be a live `velip_record` (NULL gives
/// `VELIP_NULL_PARAMETER`); `out` must be valid for writing. The text is
/// owned by the record: valid until the record is freed (or the list or
/// page it is borrowed from); do not free it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_record_origin(
    record: *const velip_record,
    out: *mut *const c_char,
) -> velip_status {
    // SAFETY: per this function's contract.
    ffi_panic_boundary! { unsafe { text_field(record, out, Text::Origin) } }
}

/// The destination (`dest`): E.164 (`+5511999999999`) for valid numbers,
/// masked (`xxxxx877`) and other text verbatim. See
/// `velip_record_destination_kind` and `velip_record_destination_phone`.
///
/// On `VELIP_OK`, `*out` is the text, or NULL when the record has no value
/// (absent, `null` or `""` on the wire).
///
/// # Safety
/// `record` must be a live `velip_record` (NULL gives
/// `VELIP_NULL_PARAMETER`); `out` must be valid for writing. The text is
/// owned by the record: valid until the record is freed (or the list or
/// page it is borrowed from); do not free it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_record_destination(
    record: *const velip_record,
    out: *mut *const c_char,
) -> velip_status {
    // SAFETY: per this function's contract.
    ffi_panic_boundary! { unsafe { text_field(record, out, Text::Destination) } }
}

/// The call date (`date`), `YYYY-MM-DD`, platform local time
/// (America/Sao_Paulo).
///
/// On `VELIP_OK`, `*out` is the text, or NULL when the record has no value
/// (absent, `null` or `""` on the wire).
///
/// # Safety
/// `record` must be a live `velip_record` (NULL gives
/// `VELIP_NULL_PARAMETER`); `out` must be valid for writing. The text is
/// owned by the record: valid until the record is freed (or the list or
/// page it is borrowed from); do not free it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_record_date(
    record: *const velip_record,
    out: *mut *const c_char,
) -> velip_status {
    // SAFETY: per this function's contract.
    ffi_panic_boundary! { unsafe { text_field(record, out, Text::Date) } }
}

/// When dialling started (`time_dial`), `HH:MM:SS` local time.
///
/// On `VELIP_OK`, `*out` is the text, or NULL when the record has no value
/// (absent, `null` or `""` on the wire).
///
/// # Safety
/// `record` must be a live `velip_record` (NULL gives
/// `VELIP_NULL_PARAMETER`); `out` must be valid for writing. The text is
/// owned by the record: valid until the record is freed (or the list or
/// page it is borrowed from); do not free it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_record_dial_time(
    record: *const velip_record,
    out: *mut *const c_char,
) -> velip_status {
    // SAFETY: per this function's contract.
    ffi_panic_boundary! { unsafe { text_field(record, out, Text::DialTime) } }
}

/// When the call was answered (`time_start`), `HH:MM:SS`; NULL when
/// unanswered.
///
/// On `VELIP_OK`, `*out` is the text, or NULL when the record has no value
/// (absent, `null` or `""` on the wire).
///
/// # Safety
/// `record` must be a live `velip_record` (NULL gives
/// `VELIP_NULL_PARAMETER`); `out` must be valid for writing. The text is
/// owned by the record: valid until the record is freed (or the list or
/// page it is borrowed from); do not free it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_record_answer_time(
    record: *const velip_record,
    out: *mut *const c_char,
) -> velip_status {
    // SAFETY: per this function's contract.
    ffi_panic_boundary! { unsafe { text_field(record, out, Text::AnswerTime) } }
}

/// When the call was hung up (`time_end`), `HH:MM:SS`.
///
/// On `VELIP_OK`, `*out` is the text, or NULL when the record has no value
/// (absent, `null` or `""` on the wire).
///
/// # Safety
/// `record` must be a live `velip_record` (NULL gives
/// `VELIP_NULL_PARAMETER`); `out` must be valid for writing. The text is
/// owned by the record: valid until the record is freed (or the list or
/// page it is borrowed from); do not free it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_record_hangup_time(
    record: *const velip_record,
    out: *mut *const c_char,
) -> velip_status {
    // SAFETY: per this function's contract.
    ffi_panic_boundary! { unsafe { text_field(record, out, Text::HangupTime) } }
}

/// The route name (`route`), e.g. `Mobile BR`.
///
/// On `VELIP_OK`, `*out` is the text, or NULL when the record has no value
/// (absent, `null` or `""` on the wire).
///
/// # Safety
/// `record` must be a live `velip_record` (NULL gives
/// `VELIP_NULL_PARAMETER`); `out` must be valid for writing. The text is
/// owned by the record: valid until the record is freed (or the list or
/// page it is borrowed from); do not free it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_record_route(
    record: *const velip_record,
    out: *mut *const c_char,
) -> velip_status {
    // SAFETY: per this function's contract.
    ffi_panic_boundary! { unsafe { text_field(record, out, Text::Route) } }
}

/// The tariff (`rate`) as an exact decimal with a dot, e.g. `"0.050"`.
///
/// On `VELIP_OK`, `*out` is the text, or NULL when the record has no value
/// (absent, `null` or `""` on the wire).
///
/// # Safety
/// `record` must be a live `velip_record` (NULL gives
/// `VELIP_NULL_PARAMETER`); `out` must be valid for writing. The text is
/// owned by the record: valid until the record is freed (or the list or
/// page it is borrowed from); do not free it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_record_rate(
    record: *const velip_record,
    out: *mut *const c_char,
) -> velip_status {
    // SAFETY: per this function's contract.
    ffi_panic_boundary! { unsafe { text_field(record, out, Text::Rate) } }
}

/// The amount charged in BRL (`value`) as an exact decimal with a dot,
/// e.g. `"0.050"` (the service's `"0,050"`).
///
/// On `VELIP_OK`, `*out` is the text, or NULL when the record has no value
/// (absent, `null` or `""` on the wire).
///
/// # Safety
/// `record` must be a live `velip_record` (NULL gives
/// `VELIP_NULL_PARAMETER`); `out` must be valid for writing. The text is
/// owned by the record: valid until the record is freed (or the list or
/// page it is borrowed from); do not free it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_record_value(
    record: *const velip_record,
    out: *mut *const c_char,
) -> velip_status {
    // SAFETY: per this function's contract.
    ffi_panic_boundary! { unsafe { text_field(record, out, Text::Value) } }
}

/// The recording URL (`cdr_url`), when recording was on.
///
/// On `VELIP_OK`, `*out` is the text, or NULL when the record has no value
/// (absent, `null` or `""` on the wire).
///
/// # Safety
/// `record` must be a live `velip_record` (NULL gives
/// `VELIP_NULL_PARAMETER`); `out` must be valid for writing. The text is
/// owned by the record: valid until the record is freed (or the list or
/// page it is borrowed from); do not free it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_record_recording_url(
    record: *const velip_record,
    out: *mut *const c_char,
) -> velip_status {
    // SAFETY: per this function's contract.
    ffi_panic_boundary! { unsafe { text_field(record, out, Text::RecordingUrl) } }
}

/// The campaign id (`cp_id`).
///
/// On `VELIP_OK`, `*present` says whether the record has a value and `*out`
/// receives it (0 when absent: check `*present`, absent is not 0).
///
/// # Safety
/// `record` must be a live `velip_record`; `out` and `present` must be
/// valid for writing (owned by the caller). NULL gives
/// `VELIP_NULL_PARAMETER`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_record_campaign_id(
    record: *const velip_record,
    out: *mut u64,
    present: *mut bool,
) -> velip_status {
    // SAFETY: per this function's contract.
    ffi_panic_boundary! { unsafe { number_field(record, out, present, |r| r.inner.campaign_id) } }
}

/// The talk duration in seconds (`dur`).
///
/// On `VELIP_OK`, `*present` says whether the record has a value and `*out`
/// receives it (0 when absent: check `*present`, absent is not 0).
///
/// # Safety
/// `record` must be a live `velip_record`; `out` and `present` must be
/// valid for writing (owned by the caller). NULL gives
/// `VELIP_NULL_PARAMETER`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_record_duration_seconds(
    record: *const velip_record,
    out: *mut u64,
    present: *mut bool,
) -> velip_status {
    // SAFETY: per this function's contract.
    ffi_panic_boundary! { unsafe { number_field(record, out, present, |r| r.inner.duration_seconds) } }
}

/// The recording length in seconds (`cdr_sec`).
///
/// On `VELIP_OK`, `*present` says whether the record has a value and `*out`
/// receives it (0 when absent: check `*present`, absent is not 0).
///
/// # Safety
/// `record` must be a live `velip_record`; `out` and `present` must be
/// valid for writing (owned by the caller). NULL gives
/// `VELIP_NULL_PARAMETER`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_record_recording_seconds(
    record: *const velip_record,
    out: *mut u64,
    present: *mut bool,
) -> velip_status {
    // SAFETY: per this function's contract.
    ffi_panic_boundary! { unsafe { number_field(record, out, present, |r| r.inner.recording_seconds) } }
}

/// What the destination is: none, a phone number, a masked number or raw
/// text.
///
/// # Safety
/// `record` must be a live `velip_record`; `out` valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_record_destination_kind(
    record: *const velip_record,
    out: *mut velip_destination_kind,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        let (r, out) = unsafe { (try_ref(record, "record")?, try_out(out, "out")?) };
        out.write(match &r.inner.destination {
            None => VELIP_DESTINATION_NONE,
            Some(Destination::Phone(_)) => VELIP_DESTINATION_PHONE,
            Some(Destination::Masked(_)) => VELIP_DESTINATION_MASKED,
            Some(_) => VELIP_DESTINATION_RAW,
        });
        Ok(())
    }
}

/// The destination as a phone number, for formatting in any style with
/// `velip_phone_number_format`.
///
/// On `VELIP_OK`, `*out` is the number, or NULL when the destination is
/// absent, masked or not a valid Brazilian number.
///
/// # Safety
/// `record` must be a live `velip_record`; `out` valid for writing. The
/// number is owned by the record (do not free it; valid until the record's
/// owner is freed).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_record_destination_phone(
    record: *const velip_record,
    out: *mut *const velip_phone_number,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        let (r, out) = unsafe { (try_ref(record, "record")?, try_out(out, "out")?) };
        let phone: Option<&PhoneNumber> = r.inner.destination.as_ref().and_then(Destination::phone);
        out.write(phone.map_or(std::ptr::null(), borrow_handle::<velip_phone_number>));
        Ok(())
    }
}

/// The number of DTMF answers (`resp_1` ... `resp_N`); varies per record,
/// 0 when there were no prompts.
///
/// # Safety
/// `record` must be a live `velip_record`; `out` valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_record_dtmf_count(
    record: *const velip_record,
    out: *mut usize,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        let (r, out) = unsafe { (try_ref(record, "record")?, try_out(out, "out")?) };
        out.write(r.inner.dtmf.len());
        Ok(())
    }
}

/// The DTMF answer at `index` (0 = `resp_1`); `""` for a prompt without an
/// answer. `VELIP_INVALID_ARGUMENT` when `index` is not below
/// `velip_record_dtmf_count`.
///
/// # Safety
/// `record` must be a live `velip_record`; `out` valid for writing. The
/// text is owned by the record.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_record_dtmf_at(
    record: *const velip_record,
    index: usize,
    out: *mut *const c_char,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        let (r, out) = unsafe { (try_ref(record, "record")?, try_out(out, "out")?) };
        let d = r.lists().dtmf.get(index).ok_or_else(|| {
            Error::invalid(format!("DTMF index {index} out of range (count {})", r.inner.dtmf.len()))
        })?;
        out.write(d.as_ptr());
        Ok(())
    }
}

/// The number of extra keys (`cdc_extra*` customer fields and any key the
/// model does not know), in key order.
///
/// # Safety
/// `record` must be a live `velip_record`; `out` valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_record_extra_count(
    record: *const velip_record,
    out: *mut usize,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        let (r, out) = unsafe { (try_ref(record, "record")?, try_out(out, "out")?) };
        out.write(r.inner.extra.len());
        Ok(())
    }
}

/// The extra key and value at `index` (keys sorted). String values are
/// given verbatim; other JSON values as JSON text (`12`, `true`).
/// `VELIP_INVALID_ARGUMENT` when `index` is not below the count.
///
/// # Safety
/// `record` must be a live `velip_record`; `key` and `value` valid for
/// writing. The texts are owned by the record.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_record_extra_at(
    record: *const velip_record,
    index: usize,
    key: *mut *const c_char,
    value: *mut *const c_char,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        let (r, key, value) = unsafe {
            (try_ref(record, "record")?, try_out(key, "key")?, try_out(value, "value")?)
        };
        let (k, v) = r.lists().extra.get(index).ok_or_else(|| {
            Error::invalid(format!("extra index {index} out of range (count {})", r.inner.extra.len()))
        })?;
        key.write(k.as_ptr());
        value.write(v.as_ptr());
        Ok(())
    }
}

/// How many fields of the record could not be read (each is then absent:
/// NULL or not present), with their problems available through
/// `velip_record_problem_at`; 0 for a clean record.
///
/// # Safety
/// `record` must be a live `velip_record`; `out` valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_record_problem_count(
    record: *const velip_record,
    out: *mut usize,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        let (r, out) = unsafe { (try_ref(record, "record")?, try_out(out, "out")?) };
        out.write(r.inner.problems.len());
        Ok(())
    }
}

/// The problem at `index`: `*field` the wire key (`"date"`), `*raw` the
/// value as received (JSON text, `"\"2026-02-30\""`), `*rule` what it
/// broke. `VELIP_INVALID_ARGUMENT` when `index` is not below the count.
///
/// # Safety
/// `record` must be a live `velip_record`; `field`, `raw` and `rule` valid
/// for writing. The texts are owned by the record.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_record_problem_at(
    record: *const velip_record,
    index: usize,
    field: *mut *const c_char,
    raw: *mut *const c_char,
    rule: *mut *const c_char,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        let (r, field, raw, rule) = unsafe {
            (
                try_ref(record, "record")?,
                try_out(field, "field")?,
                try_out(raw, "raw")?,
                try_out(rule, "rule")?,
            )
        };
        let [f, v, x] = r.lists().problems.get(index).ok_or_else(|| {
            Error::invalid(format!(
                "problem index {index} out of range (count {})",
                r.inner.problems.len()
            ))
        })?;
        field.write(f.as_ptr());
        raw.write(v.as_ptr());
        rule.write(x.as_ptr());
        Ok(())
    }
}

/// The value of the extra key `key` (e.g. `"cdc_extra1"`); on `VELIP_OK`
/// `*out` is NULL when the record has no such key.
///
/// # Safety
/// `record` must be a live `velip_record`; `key` a NUL-terminated UTF-8
/// string (owned by the caller); `out` valid for writing. The text is owned
/// by the record.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_record_extra_get(
    record: *const velip_record,
    key: *const c_char,
    out: *mut *const c_char,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        let (r, key, out) = unsafe {
            (try_ref(record, "record")?, try_str(key, "key")?, try_out(out, "out")?)
        };
        let found = r.inner.extra.keys().position(|k| k == key);
        out.write(found.map_or(std::ptr::null(), |i| r.lists().extra[i].1.as_ptr()));
        Ok(())
    }
}

/// Copies the record as one line of normalized JSON (the same shape as the
/// Rust and Python SDKs) into `buf` (`len` bytes), NUL-terminated.
///
/// `needed` (may be NULL) always receives the size needed, NUL included (0
/// when the function fails before it has a text, e.g. `record` NULL). Pass
/// `buf` NULL and `len` 0 to ask for the size only: `VELIP_OK` with
/// `*needed` set, the last error untouched. `VELIP_BUFFER_TOO_SMALL` (and
/// nothing written to `buf`) when `len` is smaller.
///
/// # Safety
/// `record` must be a live `velip_record`; `buf` NULL or valid for writing
/// `len` bytes; `needed` NULL or valid for writing. The caller owns `buf`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_record_to_json(
    record: *const velip_record,
    buf: *mut c_char,
    len: usize,
    needed: *mut usize,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        unsafe {
            copy_text(buf, len, needed, || {
                let r = try_ref(record, "record")?;
                serde_json::to_string(&r.inner)
                    .map_err(|e| Error::invalid(format!("cannot serialize record: {e}")))
            })
        }
    }
}

/// Whether the call is over: it has a final status (`cd_status` set; an
/// empty one means the call is still in progress). On `VELIP_OK`, `*out`
/// receives the answer.
///
/// # Safety
/// `record` must be a live `velip_record`; `out` valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_record_is_final(
    record: *const velip_record,
    out: *mut bool,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        let (r, out) = unsafe { (try_ref(record, "record")?, try_out(out, "out")?) };
        out.write(r.inner.is_final());
        Ok(())
    }
}

/// Copies a record, so it can outlive the list or page it is borrowed
/// from. On `VELIP_OK`, `*out` is a new record owned by the caller: free it
/// with `velip_record_free`.
///
/// # Safety
/// `record` must be a live `velip_record`; `out` valid for writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_record_clone(
    record: *const velip_record,
    out: *mut *mut velip_record,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        let (r, out) = unsafe { (try_ref(record, "record")?, try_out(out, "out")?) };
        out.write(into_raw(Record::new(r.inner.clone())));
        Ok(())
    }
}

/// Frees a record the caller owns: from `velip_client_get_call`,
/// `velip_call_iter_next` or `velip_record_clone`. Its texts and phone
/// number go with it. NULL is a no-op. Never free a record borrowed from a
/// list or page.
///
/// # Safety
/// `record` must be NULL or a record owned by the caller, not freed before,
/// and no other thread may be reading it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_record_free(record: *mut velip_record) {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        unsafe { free(record) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_is_shareable() {
        fn check<T: Send + Sync>() {}
        check::<Record>();
    }
}
