//! Where a typed value meets a narrower Arrow type: money into
//! decimal128(18, 3), seconds into int32, ids into int64. A value that does
//! not fit exactly is never rounded or wrapped: the cell becomes null and
//! the row gets a [`Problem`] naming the wire field, the value and the rule.

use velip_core::{Decimal, Problem};

use crate::schema::{MONEY_PRECISION, MONEY_SCALE};

/// 10^18: the first magnitude decimal128(18, _) cannot hold (as an
/// unscaled integer).
const MONEY_LIMIT: i128 = 10i128.pow(MONEY_PRECISION as u32);

/// The unscaled decimal128(18, 3) value of `d` (`0.050` → `50`), exactly.
///
/// # Errors
/// A [`Problem`] on `field` when `d` has a non-zero digit past the third
/// decimal place, or more than 15 digits before the point.
pub(crate) fn money(field: &str, d: Decimal) -> Result<i128, Problem> {
    let target = MONEY_SCALE.unsigned_abs().into();
    let scale = d.scale();
    let mantissa = d.mantissa(); // at most 96 bits: times 1000 fits i128
    let unscaled = if scale <= target {
        mantissa * 10i128.pow(target - scale)
    } else {
        let divisor = 10i128.pow(scale - target);
        if mantissa % divisor != 0 {
            return Err(Problem::new(
                field,
                decimal_raw(d),
                "does not fit decimal128(18, 3) exactly: more than 3 decimal places (never rounded)",
            ));
        }
        mantissa / divisor
    };
    if unscaled.abs() >= MONEY_LIMIT {
        return Err(Problem::new(
            field,
            decimal_raw(d),
            "does not fit decimal128(18, 3): more than 15 digits before the decimal point",
        ));
    }
    Ok(unscaled)
}

/// The value quoted as JSON text, the way [`Problem::raw`] holds values.
fn decimal_raw(d: Decimal) -> String {
    format!("\"{d}\"")
}

/// `v` as int32 (durations, recording lengths in seconds).
///
/// # Errors
/// A [`Problem`] on `field` when `v` is above `i32::MAX`.
pub(crate) fn int32(field: &str, v: u64) -> Result<i32, Problem> {
    i32::try_from(v).map_err(|_| {
        Problem::new(
            field,
            v.to_string(),
            "out of range for an int32 column (at most 2147483647)",
        )
    })
}

/// `v` as int64 (campaign ids, call numbers).
///
/// # Errors
/// A [`Problem`] on `field` when `v` is above `i64::MAX`.
pub(crate) fn int64(field: &str, v: u64) -> Result<i64, Problem> {
    i64::try_from(v).map_err(|_| {
        Problem::new(
            field,
            v.to_string(),
            "out of range for an int64 column (at most 9223372036854775807)",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn money_fits_exactly_or_not_at_all() {
        assert_eq!(money("rate", dec("0.050")), Ok(50));
        assert_eq!(money("rate", dec("0.05")), Ok(50));
        assert_eq!(money("rate", dec("12")), Ok(12_000));
        assert_eq!(money("rate", dec("-3.5")), Ok(-3_500));
        assert_eq!(money("rate", dec("0.0500000")), Ok(50));
        assert_eq!(
            money("value", dec("999999999999999.999")),
            Ok(999_999_999_999_999_999)
        );
        let p = money("value", dec("0.0501")).unwrap_err();
        assert_eq!((p.field.as_str(), p.raw.as_str()), ("value", "\"0.0501\""));
        assert!(p.rule.contains("more than 3 decimal places"), "{}", p.rule);
        let p = money("value", dec("1000000000000000")).unwrap_err();
        assert!(p.rule.contains("15 digits"), "{}", p.rule);
        assert!(money("value", dec("-1000000000000000.000")).is_err());
        assert!(money("value", Decimal::MAX).is_err());
        assert!(money("value", Decimal::MIN).is_err());
    }

    #[test]
    fn integers_never_wrap() {
        assert_eq!(int32("dur", 27), Ok(27));
        assert_eq!(int32("dur", 2_147_483_647), Ok(i32::MAX));
        let p = int32("dur", 2_147_483_648).unwrap_err();
        assert_eq!((p.field.as_str(), p.raw.as_str()), ("dur", "2147483648"));
        assert_eq!(int64("cp_id", u64::MAX >> 1), Ok(i64::MAX));
        assert!(int64("cp_id", u64::MAX).is_err());
    }
}
