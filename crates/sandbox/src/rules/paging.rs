//! Paging: newest first, default 1000, capped at 5000, `maxreg + 1` rows read,
//! `last_id` cursor.

/// Default page size when `maxreg` is not sent.
pub(crate) const DEFAULT_MAXREG: usize = 1000;
/// The cap.
pub(crate) const MAX_MAXREG: usize = 5000;

/// The page the request asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PageRequest {
    /// `maxreg` was sent: the answer carries `pagination`.
    pub(crate) maxreg_sent: bool,
    /// Page size served.
    pub(crate) size: usize,
    /// `-1` or more than 5000 was asked: served as 5000, said in the answer.
    pub(crate) capped: bool,
}

impl PageRequest {
    /// Reads `maxreg`. `-1` and anything above 5000 are capped; zero, other
    /// negatives and garbage fall back to the default.
    pub(crate) fn parse(maxreg: Option<&str>) -> Self {
        let Some(raw) = maxreg else {
            return Self {
                maxreg_sent: false,
                size: DEFAULT_MAXREG,
                capped: false,
            };
        };
        let (size, capped) = match raw.trim().parse::<i64>() {
            Ok(-1) => (MAX_MAXREG, true),
            Ok(n) if n > 5000 => (MAX_MAXREG, true),
            Ok(n) if n > 0 => (usize::try_from(n).unwrap_or(DEFAULT_MAXREG), false),
            _ => (DEFAULT_MAXREG, false),
        };
        Self {
            maxreg_sent: true,
            size,
            capped,
        }
    }
}

/// One page of row indices (newest first).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Page {
    pub(crate) rows: Vec<usize>,
    pub(crate) has_more: bool,
    /// The id of the first row of the next page (pass as `last_id`).
    pub(crate) next_id: Option<u64>,
}

/// Takes `size + 1` candidates (newest first) to know whether more exist.
pub(crate) fn take_page(
    candidates: impl Iterator<Item = usize>,
    size: usize,
    id_of: impl Fn(usize) -> u64,
) -> Page {
    let mut rows: Vec<usize> = candidates.take(size + 1).collect();
    if rows.len() > size {
        let extra = rows.pop().unwrap_or_default();
        Page {
            rows,
            has_more: true,
            next_id: Some(id_of(extra)),
        }
    } else {
        Page {
            rows,
            has_more: false,
            next_id: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maxreg_rules() {
        assert_eq!(PageRequest::parse(None).size, 1000);
        assert!(!PageRequest::parse(None).maxreg_sent);
        let p = PageRequest::parse(Some("-1"));
        assert!(p.capped && p.size == 5000);
        let p = PageRequest::parse(Some("5001"));
        assert!(p.capped && p.size == 5000);
        let p = PageRequest::parse(Some("5000"));
        assert!(!p.capped && p.size == 5000);
        assert_eq!(PageRequest::parse(Some("abc")).size, 1000);
    }
}
