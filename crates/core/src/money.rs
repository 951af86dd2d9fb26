//! Brazilian decimal numbers (`0,050`, `1.234,56`): exact parsing into
//! [`Decimal`] and formatting back with a decimal comma. Never floats.
//!
//! The service sends tariffs (`rate`) and amounts (`value`, BRL) as text with
//! a decimal comma; the spec asks clients to also accept a decimal dot and
//! thousands separators.

use rust_decimal::Decimal;

/// Why a text is not a Brazilian decimal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{input:?} is not a decimal number: {reason}")]
pub struct MoneyError {
    input: String,
    reason: &'static str,
}

impl MoneyError {
    fn new(input: &str, reason: &'static str) -> Self {
        let mut input = input.to_owned();
        if input.len() > 40 {
            let mut cut = 40;
            while !input.is_char_boundary(cut) {
                cut -= 1;
            }
            input.truncate(cut);
            input.push('…');
        }
        Self { input, reason }
    }
}

/// Parses a decimal written the Brazilian way or the dot way, keeping the
/// scale as written.
///
/// Accepted: `0,050` → `0.050`; `1.234,56` → `1234.56`; `0.050` → `0.050`;
/// `1,234.56` → `1234.56`; `1.234.567` → `1234567`; `-3,5`; `R$ 1,00`
/// (the currency sign marks Brazilian notation: `R$ 1.234` is one thousand
/// two hundred and thirty-four). The right-most separator is the decimal
/// separator when both appear; otherwise a lone `.` or `,` is a decimal
/// separator (so `1.234` is one point two three four: the service writes
/// tariffs with three decimals, never thousands without cents); repeated separators of one kind
/// are thousands separators and must group by three. At most 28 decimal
/// places (the value is never rounded).
///
/// ```
/// use velip_core::money::parse_brl_decimal;
/// assert_eq!(parse_brl_decimal("0,050").unwrap().to_string(), "0.050");
/// assert_eq!(parse_brl_decimal("1.234,56").unwrap().to_string(), "1234.56");
/// ```
///
/// # Errors
/// [`MoneyError`] with the input (shortened) and the rule it breaks.
pub fn parse_brl_decimal(input: &str) -> Result<Decimal, MoneyError> {
    let mut s = input.trim();
    let mut currency = false;
    if let Some(rest) = s.strip_prefix("R$") {
        s = rest.trim_start();
        currency = true;
    }
    let (negative, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if body.is_empty() {
        return Err(MoneyError::new(input, "no digits"));
    }
    if !body
        .bytes()
        .all(|b| b.is_ascii_digit() || b == b'.' || b == b',')
    {
        return Err(MoneyError::new(
            input,
            "only digits, one decimal separator and thousands separators are allowed",
        ));
    }
    let commas = body.bytes().filter(|&b| b == b',').count();
    let dots = body.bytes().filter(|&b| b == b'.').count();
    let (thousands, decimal) = match (commas, dots) {
        (0, 0) => (None, None),
        (1, 0) => (None, Some(',')),
        // `R$ 1.234`: the currency sign says Brazilian notation, where a
        // dot groups thousands; without it a lone dot is a decimal point
        // (the service writes tariffs with three decimals, `1.234`).
        (0, 1) if currency && body.split_once('.').is_some_and(|(_, f)| f.len() == 3) => {
            (Some('.'), None)
        }
        (0, 1) => (None, Some('.')),
        (_, 0) => (Some(','), None),
        (0, _) => (Some('.'), None),
        _ => {
            let last_comma = body.rfind(',').unwrap_or(0);
            let last_dot = body.rfind('.').unwrap_or(0);
            if last_comma > last_dot {
                if commas > 1 {
                    return Err(MoneyError::new(input, "more than one decimal comma"));
                }
                (Some('.'), Some(','))
            } else {
                if dots > 1 {
                    return Err(MoneyError::new(input, "more than one decimal point"));
                }
                (Some(','), Some('.'))
            }
        }
    };
    let (int_part, frac_part) = match decimal {
        Some(sep) => body.split_once(sep).unwrap_or((body, "")),
        None => (body, ""),
    };
    let mut normalized = String::with_capacity(body.len() + 1);
    if negative {
        normalized.push('-');
    }
    match thousands {
        Some(sep) => {
            let mut groups = int_part.split(sep);
            let first = groups.next().unwrap_or("");
            if first.is_empty() || first.len() > 3 {
                return Err(MoneyError::new(
                    input,
                    "thousands separators must group digits by three",
                ));
            }
            normalized.push_str(first);
            for g in groups {
                if g.len() != 3 {
                    return Err(MoneyError::new(
                        input,
                        "thousands separators must group digits by three",
                    ));
                }
                normalized.push_str(g);
            }
        }
        None => normalized.push_str(if int_part.is_empty() { "0" } else { int_part }),
    }
    if decimal.is_some() {
        if frac_part.is_empty() && int_part.is_empty() {
            return Err(MoneyError::new(input, "no digits"));
        }
        // Beyond 28 places the decimal type would round: refuse, never
        // change a value silently.
        if frac_part.len() > 28 {
            return Err(MoneyError::new(input, "more than 28 decimal places"));
        }
        if !frac_part.is_empty() {
            normalized.push('.');
            normalized.push_str(frac_part);
        }
    }
    normalized
        .parse::<Decimal>()
        .map_err(|_| MoneyError::new(input, "out of range"))
}

/// Formats with a decimal comma at a fixed scale, no thousands separators,
/// the way the service writes `rate` and `value`: `0.05` at scale 3 →
/// `"0,050"`. Rounds half away from zero when the value has more places.
///
/// ```
/// use rust_decimal::Decimal;
/// use velip_core::money::format_brl_decimal;
/// assert_eq!(format_brl_decimal(Decimal::new(5, 2), 3), "0,050");
/// ```
pub fn format_brl_decimal(value: Decimal, scale: u32) -> String {
    let mut v =
        value.round_dp_with_strategy(scale, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    v.rescale(scale);
    v.to_string().replace('.', ",")
}

/// Formats keeping the value's own scale, decimal comma: `0.050` → `"0,050"`.
pub fn to_brl_string(value: Decimal) -> String {
    value.to_string().replace('.', ",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_forms() {
        let cases = [
            ("0,050", "0.050"),
            ("1.234,56", "1234.56"),
            ("0.050", "0.050"),
            ("1,234.56", "1234.56"),
            ("1.234.567", "1234567"),
            ("1.234.567,8", "1234567.8"),
            ("-3,5", "-3.5"),
            ("R$ 1,00", "1.00"),
            ("R$ 1.234", "1234"),
            ("R$1.234,5", "1234.5"),
            ("R$ 1.23", "1.23"),
            (" 12 ", "12"),
            (",5", "0.5"),
            ("5,", "5"),
        ];
        for (input, want) in cases {
            assert_eq!(
                parse_brl_decimal(input).map(|d| d.to_string()),
                Ok(want.to_string()),
                "{input}"
            );
        }
    }

    #[test]
    fn rejected_forms() {
        insta::assert_snapshot!(
            [
                "", "abc", "1,2,3", "12.34.5", "1.23,4,5", "1e5", "-", ",", "1.2345,6"
            ]
            .iter()
            .map(|s| parse_brl_decimal(s).unwrap_err().to_string())
            .collect::<Vec<_>>()
            .join("\n")
        );
    }

    #[test]
    fn formats_with_comma() {
        assert_eq!(format_brl_decimal(Decimal::new(5, 2), 3), "0,050");
        assert_eq!(format_brl_decimal(Decimal::new(12345, 4), 2), "1,23");
        assert_eq!(format_brl_decimal(Decimal::new(-15, 1), 2), "-1,50");
        assert_eq!(to_brl_string(Decimal::new(50, 3)), "0,050");
    }
}
