//! Number masking (`xxxxx877`) for tokens without the "full numbers" option.
//!
//! The fixtures fix the two shapes: a destination becomes `xxxxx` plus its
//! last 3 digits (always 8 characters); a run of 8 or more digits inside a
//! `cdc_extra*` field keeps its length and its last 4 digits
//! (`12345674321` -> `xxxxxxx4321`).

use super::auth::Principal;
use crate::rules::selection::RequestKind;

/// Whether an answer must be masked.
///
/// Full numbers: tokens with the option, HTTP Basic and sessions, and a point
/// lookup by a `ctid` matching one call. Masked otherwise (list requests and
/// point lookups by `cd_id`).
pub(crate) fn must_mask(principal: &Principal, kind: RequestKind, by_single_ctid: bool) -> bool {
    if principal.full_numbers {
        return false;
    }
    !(kind == RequestKind::PointLookup && by_single_ctid)
}

/// Masks a destination: `xxxxx` + the last 3 digits. Empty stays empty.
pub(crate) fn mask_dest(dest: &str, out: &mut String) {
    if dest.is_empty() {
        return;
    }
    out.push_str("xxxxx");
    let tail = dest.len().saturating_sub(3);
    out.push_str(&dest[tail..]);
}

/// Masks every run of 8+ digits in free text, keeping the run's last 4 digits.
pub(crate) fn mask_text(text: &str, out: &mut String) {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            let run = &text[start..i];
            if run.len() >= 8 {
                out.extend(std::iter::repeat_n('x', run.len() - 4));
                out.push_str(&run[run.len() - 4..]);
            } else {
                out.push_str(run);
            }
        } else {
            let start = i;
            while i < bytes.len() && !bytes[i].is_ascii_digit() {
                i += 1;
            }
            out.push_str(&text[start..i]);
        }
    }
}

/// True when the text holds a run of 8+ digits (needs masking).
pub(crate) fn has_long_digit_run(text: &str) -> bool {
    let mut run = 0;
    for b in text.bytes() {
        if b.is_ascii_digit() {
            run += 1;
            if run >= 8 {
                return true;
            }
        } else {
            run = 0;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_match_the_fixtures() {
        let mut s = String::new();
        mask_dest("5511999999877", &mut s);
        assert_eq!(s, "xxxxx877");
        let mut s = String::new();
        mask_text("contrato 12345674321 pedido 17", &mut s);
        assert_eq!(s, "contrato xxxxxxx4321 pedido 17");
        assert!(has_long_digit_run("a 12345678"));
        assert!(!has_long_digit_run("pedido 1234567"));
    }
}
