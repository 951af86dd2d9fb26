//! Call records (`velip_record`) with an accessor for every field. Lists
//! are in `list.rs`, pages in `page.rs`.
//!
//! Text outputs are borrowed `const char*` owned by the record: valid until
//! the record (or the list, page or iterator step that owns it) is freed.

use std::cell::OnceCell;
use std::ffi::{CString, c_char};

use velip_core::{CallRecord, Destination, PhoneNumber};

use crate::boundary::{
    Handle, borrow_handle, c_string, copy_out, ffi_panic_boundary, free, into_raw, opt_ptr,
    try_out, try_ref, try_str,
};
use crate::error::{Error, set_opt_number};
use crate::phone::velip_phone_number;
use crate::status::velip_status;

/// One call record (opaque). Owned by a `velip_record_list`, a `velip_page`
/// or a `velip_call_iter`, or by the caller after `velip_record_clone`.
/// Single-threaded: do not use one record from two threads at once.
pub struct velip_record {
    _private: [u8; 0],
}

/// What a record's destination (`dest`) is.
#[repr(C)]
#[allow(non_camel_case_types)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum velip_destination_kind {
    /// No destination in the record.
    VELIP_DESTINATION_NONE = 0,
    /// A valid Brazilian phone number.
    VELIP_DESTINATION_PHONE = 1,
    /// A masked number such as `xxxxx877`.
    VELIP_DESTINATION_MASKED = 2,
    /// Other text, kept verbatim.
    VELIP_DESTINATION_RAW = 3,
}

/// A record; its texts become C strings on first access (and stay until
/// the record is freed), so a caller pays only for the fields it reads.
pub(crate) struct Record {
    pub(crate) inner: CallRecord,
    call_id: OnceCell<CString>,
    status: OnceCell<Option<CString>>,
    amd: OnceCell<Option<CString>>,
    campaign_ref: OnceCell<Option<CString>>,
    correlation_id: OnceCell<Option<CString>>,
    origin: OnceCell<Option<CString>>,
    destination: OnceCell<Option<CString>>,
    date: OnceCell<Option<CString>>,
    dial_time: OnceCell<Option<CString>>,
    answer_time: OnceCell<Option<CString>>,
    hangup_time: OnceCell<Option<CString>>,
    route: OnceCell<Option<CString>>,
    rate: OnceCell<Option<CString>>,
    value: OnceCell<Option<CString>>,
    recording_url: OnceCell<Option<CString>>,
    dtmf: OnceCell<Vec<CString>>,
    extra: OnceCell<Vec<(CString, CString)>>,
    problems: OnceCell<Vec<[CString; 3]>>,
}

impl Handle for velip_record {
    type Rust = Record;
}

fn opt_c<T: ToString>(v: Option<&T>) -> Option<CString> {
    v.map(|v| c_string(&v.to_string()))
}

impl Record {
    pub(crate) fn new(inner: CallRecord) -> Self {
        Self {
            inner,
            call_id: OnceCell::new(),
            status: OnceCell::new(),
            amd: OnceCell::new(),
            campaign_ref: OnceCell::new(),
            correlation_id: OnceCell::new(),
            origin: OnceCell::new(),
            destination: OnceCell::new(),
            date: OnceCell::new(),
            dial_time: OnceCell::new(),
            answer_time: OnceCell::new(),
            hangup_time: OnceCell::new(),
            route: OnceCell::new(),
            rate: OnceCell::new(),
            value: OnceCell::new(),
            recording_url: OnceCell::new(),
            dtmf: OnceCell::new(),
            extra: OnceCell::new(),
            problems: OnceCell::new(),
        }
    }

    pub(crate) fn call_id(&self) -> &CString {
        self.call_id
            .get_or_init(|| c_string(&self.inner.call_id.to_string()))
    }

    pub(crate) fn status(&self) -> Option<&CString> {
        self.status
            .get_or_init(|| opt_c(self.inner.status.as_ref()))
            .as_ref()
    }

    pub(crate) fn amd(&self) -> Option<&CString> {
        self.amd
            .get_or_init(|| opt_c(self.inner.amd.as_ref()))
            .as_ref()
    }

    pub(crate) fn campaign_ref(&self) -> Option<&CString> {
        self.campaign_ref
            .get_or_init(|| opt_c(self.inner.campaign_ref.as_ref()))
            .as_ref()
    }

    pub(crate) fn correlation_id(&self) -> Option<&CString> {
        self.correlation_id
            .get_or_init(|| opt_c(self.inner.correlation_id.as_ref()))
            .as_ref()
    }

    pub(crate) fn origin(&self) -> Option<&CString> {
        self.origin
            .get_or_init(|| opt_c(self.inner.origin.as_ref()))
            .as_ref()
    }

    pub(crate) fn destination(&self) -> Option<&CString> {
        self.destination
            .get_or_init(|| opt_c(self.inner.destination.as_ref()))
            .as_ref()
    }

    pub(crate) fn date(&self) -> Option<&CString> {
        self.date
            .get_or_init(|| opt_c(self.inner.date.as_ref()))
            .as_ref()
    }

    pub(crate) fn dial_time(&self) -> Option<&CString> {
        self.dial_time
            .get_or_init(|| opt_c(self.inner.dial_time.as_ref()))
            .as_ref()
    }

    pub(crate) fn answer_time(&self) -> Option<&CString> {
        self.answer_time
            .get_or_init(|| opt_c(self.inner.answer_time.as_ref()))
            .as_ref()
    }

    pub(crate) fn hangup_time(&self) -> Option<&CString> {
        self.hangup_time
            .get_or_init(|| opt_c(self.inner.hangup_time.as_ref()))
            .as_ref()
    }

    pub(crate) fn route(&self) -> Option<&CString> {
        self.route
            .get_or_init(|| opt_c(self.inner.route.as_ref()))
            .as_ref()
    }

    pub(crate) fn rate(&self) -> Option<&CString> {
        self.rate
            .get_or_init(|| opt_c(self.inner.rate.as_ref()))
            .as_ref()
    }

    pub(crate) fn value(&self) -> Option<&CString> {
        self.value
            .get_or_init(|| opt_c(self.inner.value.as_ref()))
            .as_ref()
    }

    pub(crate) fn recording_url(&self) -> Option<&CString> {
        self.recording_url
            .get_or_init(|| opt_c(self.inner.recording_url.as_ref()))
            .as_ref()
    }

    pub(crate) fn dtmf(&self) -> &[CString] {
        self.dtmf
            .get_or_init(|| self.inner.dtmf.iter().map(|d| c_string(d)).collect())
    }

    pub(crate) fn extra(&self) -> &[(CString, CString)] {
        self.extra.get_or_init(|| {
            self.inner
                .extra
                .iter()
                .map(|(k, v)| {
                    let text = match v {
                        serde_json::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    (c_string(k), c_string(&text))
                })
                .collect()
        })
    }

    pub(crate) fn problems(&self) -> &[[CString; 3]] {
        self.problems.get_or_init(|| {
            self.inner
                .problems
                .iter()
                .map(|p| [c_string(&p.field), c_string(&p.raw), c_string(&p.rule)])
                .collect()
        })
    }
}

/// The call id (`cd_id`), `42_123456` or bare digits; never NULL.
///
/// # Safety
/// `record` must be a live `velip_record` (NULL gives
/// `VELIP_NULL_PARAMETER`); `out` must be valid for writing. The text is
/// owned by the record: valid until the record's owner is freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_record_call_id(
    record: *const velip_record,
    out: *mut *const c_char,
) -> velip_status {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        let (r, out) = unsafe { (try_ref(record, "record")?, try_out(out, "out")?) };
        out.write(r.call_id().as_ptr());
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
    field: impl FnOnce(&Record) -> Option<&CString>,
) -> Result<(), Error> {
    // SAFETY: per this function's contract.
    let (r, out) = unsafe { (try_ref(record, "record")?, try_out(out, "out")?) };
    out.write(opt_ptr(field(r)));
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
/// owned by the record: valid until the record's owner is freed; do not
/// free it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_record_status(
    record: *const velip_record,
    out: *mut *const c_char,
) -> velip_status {
    // SAFETY: per this function's contract.
    ffi_panic_boundary! { unsafe { text_field(record, out, Record::status) } }
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
/// owned by the record: valid until the record's owner is freed; do not
/// free it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_record_amd(
    record: *const velip_record,
    out: *mut *const c_char,
) -> velip_status {
    // SAFETY: per this function's contract.
    ffi_panic_boundary! { unsafe { text_field(record, out, Record::amd) } }
}

/// The customer-side campaign ref (`cpid`).
///
/// On `VELIP_OK`, `*out` is the text, or NULL when the record has no value
/// (absent, `null` or `""` on the wire).
///
/// # Safety
/// `record` must be a live `velip_record` (NULL gives
/// `VELIP_NULL_PARAMETER`); `out` must be valid for writing. The text is
/// owned by the record: valid until the record's owner is freed; do not
/// free it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_record_campaign_ref(
    record: *const velip_record,
    out: *mut *const c_char,
) -> velip_status {
    // SAFETY: per this function's contract.
    ffi_panic_boundary! { unsafe { text_field(record, out, Record::campaign_ref) } }
}

/// The customer correlation id (`ctid`).
///
/// On `VELIP_OK`, `*out` is the text, or NULL when the record has no value
/// (absent, `null` or `""` on the wire).
///
/// # Safety
/// `record` must be a live `velip_record` (NULL gives
/// `VELIP_NULL_PARAMETER`); `out` must be valid for writing. The text is
/// owned by the record: valid until the record's owner is freed; do not
/// free it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_record_correlation_id(
    record: *const velip_record,
    out: *mut *const c_char,
) -> velip_status {
    // SAFETY: per this function's contract.
    ffi_panic_boundary! { unsafe { text_field(record, out, Record::correlation_id) } }
}

/// The request's origin marker (`origin`).
///
/// On `VELIP_OK`, `*out` is the text, or NULL when the record has no value
/// (absent, `null` or `""` on the wire).
///
/// # Safety
/// `record` must be a live `velip_record` (NULL gives
/// `VELIP_NULL_PARAMETER`); `out` must be valid for writing. The text is
/// owned by the record: valid until the record's owner is freed; do not
/// free it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_record_origin(
    record: *const velip_record,
    out: *mut *const c_char,
) -> velip_status {
    // SAFETY: per this function's contract.
    ffi_panic_boundary! { unsafe { text_field(record, out, Record::origin) } }
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
/// owned by the record: valid until the record's owner is freed; do not
/// free it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_record_destination(
    record: *const velip_record,
    out: *mut *const c_char,
) -> velip_status {
    // SAFETY: per this function's contract.
    ffi_panic_boundary! { unsafe { text_field(record, out, Record::destination) } }
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
/// owned by the record: valid until the record's owner is freed; do not
/// free it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_record_date(
    record: *const velip_record,
    out: *mut *const c_char,
) -> velip_status {
    // SAFETY: per this function's contract.
    ffi_panic_boundary! { unsafe { text_field(record, out, Record::date) } }
}

/// When dialling started (`time_dial`), `HH:MM:SS` local time.
///
/// On `VELIP_OK`, `*out` is the text, or NULL when the record has no value
/// (absent, `null` or `""` on the wire).
///
/// # Safety
/// `record` must be a live `velip_record` (NULL gives
/// `VELIP_NULL_PARAMETER`); `out` must be valid for writing. The text is
/// owned by the record: valid until the record's owner is freed; do not
/// free it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_record_dial_time(
    record: *const velip_record,
    out: *mut *const c_char,
) -> velip_status {
    // SAFETY: per this function's contract.
    ffi_panic_boundary! { unsafe { text_field(record, out, Record::dial_time) } }
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
/// owned by the record: valid until the record's owner is freed; do not
/// free it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_record_answer_time(
    record: *const velip_record,
    out: *mut *const c_char,
) -> velip_status {
    // SAFETY: per this function's contract.
    ffi_panic_boundary! { unsafe { text_field(record, out, Record::answer_time) } }
}

/// When the call was hung up (`time_end`), `HH:MM:SS`.
///
/// On `VELIP_OK`, `*out` is the text, or NULL when the record has no value
/// (absent, `null` or `""` on the wire).
///
/// # Safety
/// `record` must be a live `velip_record` (NULL gives
/// `VELIP_NULL_PARAMETER`); `out` must be valid for writing. The text is
/// owned by the record: valid until the record's owner is freed; do not
/// free it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_record_hangup_time(
    record: *const velip_record,
    out: *mut *const c_char,
) -> velip_status {
    // SAFETY: per this function's contract.
    ffi_panic_boundary! { unsafe { text_field(record, out, Record::hangup_time) } }
}

/// The route name (`route`), e.g. `Mobile BR`.
///
/// On `VELIP_OK`, `*out` is the text, or NULL when the record has no value
/// (absent, `null` or `""` on the wire).
///
/// # Safety
/// `record` must be a live `velip_record` (NULL gives
/// `VELIP_NULL_PARAMETER`); `out` must be valid for writing. The text is
/// owned by the record: valid until the record's owner is freed; do not
/// free it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_record_route(
    record: *const velip_record,
    out: *mut *const c_char,
) -> velip_status {
    // SAFETY: per this function's contract.
    ffi_panic_boundary! { unsafe { text_field(record, out, Record::route) } }
}

/// The tariff (`rate`) as an exact decimal with a dot, e.g. `"0.050"`.
///
/// On `VELIP_OK`, `*out` is the text, or NULL when the record has no value
/// (absent, `null` or `""` on the wire).
///
/// # Safety
/// `record` must be a live `velip_record` (NULL gives
/// `VELIP_NULL_PARAMETER`); `out` must be valid for writing. The text is
/// owned by the record: valid until the record's owner is freed; do not
/// free it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_record_rate(
    record: *const velip_record,
    out: *mut *const c_char,
) -> velip_status {
    // SAFETY: per this function's contract.
    ffi_panic_boundary! { unsafe { text_field(record, out, Record::rate) } }
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
/// owned by the record: valid until the record's owner is freed; do not
/// free it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_record_value(
    record: *const velip_record,
    out: *mut *const c_char,
) -> velip_status {
    // SAFETY: per this function's contract.
    ffi_panic_boundary! { unsafe { text_field(record, out, Record::value) } }
}

/// The recording URL (`cdr_url`), when recording was on.
///
/// On `VELIP_OK`, `*out` is the text, or NULL when the record has no value
/// (absent, `null` or `""` on the wire).
///
/// # Safety
/// `record` must be a live `velip_record` (NULL gives
/// `VELIP_NULL_PARAMETER`); `out` must be valid for writing. The text is
/// owned by the record: valid until the record's owner is freed; do not
/// free it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_record_recording_url(
    record: *const velip_record,
    out: *mut *const c_char,
) -> velip_status {
    // SAFETY: per this function's contract.
    ffi_panic_boundary! { unsafe { text_field(record, out, Record::recording_url) } }
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
            None => velip_destination_kind::VELIP_DESTINATION_NONE,
            Some(Destination::Phone(_)) => velip_destination_kind::VELIP_DESTINATION_PHONE,
            Some(Destination::Masked(_)) => velip_destination_kind::VELIP_DESTINATION_MASKED,
            Some(_) => velip_destination_kind::VELIP_DESTINATION_RAW,
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
        out.write(r.dtmf().len());
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
        let d = r.dtmf().get(index).ok_or_else(|| {
            Error::invalid(format!("DTMF index {index} out of range (count {})", r.dtmf().len()))
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
        out.write(r.extra().len());
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
        let (k, v) = r.extra().get(index).ok_or_else(|| {
            Error::invalid(format!("extra index {index} out of range (count {})", r.extra().len()))
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
        out.write(r.problems().len());
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
        let [f, v, x] = r.problems().get(index).ok_or_else(|| {
            Error::invalid(format!(
                "problem index {index} out of range (count {})",
                r.problems().len()
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
        let found = r.extra().iter().find(|(k, _)| k.to_bytes() == key.as_bytes());
        out.write(found.map_or(std::ptr::null(), |(_, v)| v.as_ptr()));
        Ok(())
    }
}

/// Copies the record as one line of normalized JSON (the same shape as the
/// Rust and Python SDKs) into `buf` (`len` bytes), NUL-terminated.
///
/// `needed` (may be NULL) receives the size needed, NUL included, whatever
/// the outcome; `VELIP_BUFFER_TOO_SMALL` when `len` is smaller.
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
        let r = unsafe { try_ref(record, "record")? };
        let json = serde_json::to_string(&r.inner)
            .map_err(|e| Error::invalid(format!("cannot serialize record: {e}")))?;
        // SAFETY: per this function's contract.
        unsafe { copy_out(&json, buf, len, needed) }
    }
}

/// Copies a record, so it can outlive its list, page or iterator step. On
/// `VELIP_OK`, `*out` is a new record owned by the caller: free it with
/// `velip_record_free`.
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

/// Frees a record obtained from `velip_client_get_call` or
/// `velip_record_clone`. NULL is a no-op. Never free a record borrowed from
/// a list, page or iterator.
///
/// # Safety
/// `record` must be NULL or a record owned by the caller, not freed before.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn velip_record_free(record: *mut velip_record) {
    ffi_panic_boundary! {
        // SAFETY: per this function's contract.
        unsafe { free(record) }
    }
}
