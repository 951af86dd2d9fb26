//! How far below the watermark an incremental run reads: the calls still in
//! progress that the first leg of the walk did not reach are either read by
//! walking on (list requests, `page size` records each) or looked up one by
//! one (point lookups, counted against the separate daily lookup cap).
//! [`extension`] picks the cheaper mix; see the module docs of
//! [`crate::sync`] for the reasoning and the defaults.

/// What the first leg of an incremental walk saw, and what is left.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Leg {
    /// Every call numbered `reach` or higher has been read.
    pub(crate) reach: u64,
    /// The highest call number read.
    pub(crate) top: u64,
    /// Records the leg read (for the density of the selection in ids).
    pub(crate) records: u64,
    /// Records per page.
    pub(crate) page_size: u32,
}

/// The costs: how many point lookups one list request is worth, and the
/// most lookups one run may spend.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Costs {
    pub(crate) lookups_per_list_request: u32,
    pub(crate) max_lookups: u32,
}

/// The call number to walk on down to (`None`: no further walking, look
/// every call in `below` up), given the calls in progress below the leg's
/// reach, newest first.
///
/// The pages needed to reach the `j`-th of them are estimated from the
/// density of the selection in the leg (records per call number); the plan
/// minimises `pages × lookups_per_list_request + lookups`, with at most
/// `max_lookups` lookups (walking as far as needed to stay within it).
/// Ties go to fewer list requests.
pub(crate) fn extension(leg: Leg, below: &[u64], costs: Costs) -> Option<u64> {
    let m = below.len();
    if m == 0 {
        return None;
    }
    let span = leg.top.saturating_sub(leg.reach).saturating_add(1);
    #[allow(clippy::cast_precision_loss)] // estimates
    let density = if leg.records == 0 {
        1.0
    } else {
        leg.records as f64 / span as f64
    };
    let page = f64::from(leg.page_size.max(1));
    let max_lookups = costs.max_lookups as usize;
    let per_request = u64::from(costs.lookups_per_list_request);
    // (cost, pages, stop_at)
    let mut best: Option<(u64, u64, Option<u64>)> =
        (m <= max_lookups).then_some((m as u64, 0, None));
    for (j, &call) in below.iter().enumerate() {
        #[allow(clippy::cast_precision_loss)]
        let records = leg.reach.saturating_sub(call) as f64 * density;
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let pages = ((records / page).ceil() as u64).max(1);
        let lookups = m - (j + 1);
        if lookups > max_lookups {
            continue;
        }
        let cost = pages * per_request + lookups as u64;
        let better = match best {
            None => true,
            Some((c, p, _)) => cost < c || (cost == c && pages < p),
        };
        if better {
            best = Some((cost, pages, Some(call)));
        }
    }
    best.and_then(|(_, _, stop)| stop)
}

#[cfg(test)]
mod tests {
    use super::*;

    const COSTS: Costs = Costs {
        lookups_per_list_request: 10,
        max_lookups: 1000,
    };

    /// 5000 records over 5000 call numbers: one record per number.
    fn leg() -> Leg {
        Leg {
            reach: 100_000,
            top: 104_999,
            records: 5000,
            page_size: 5000,
        }
    }

    #[test]
    fn a_few_calls_far_below_are_looked_up() {
        // 3 calls, the nearest 20,000 numbers down: 4+ pages vs 3 lookups.
        assert_eq!(extension(leg(), &[80_000, 50_000, 10], COSTS), None);
    }

    #[test]
    fn many_calls_just_below_are_walked_to() {
        // 50 calls within the next page: 1 page (10) beats 50 lookups.
        let below: Vec<u64> = (0..50).map(|i| 99_990 - i * 10).collect();
        assert_eq!(extension(leg(), &below, COSTS), Some(99_500));
    }

    #[test]
    fn near_ones_walked_to_far_ones_looked_up() {
        let mut below: Vec<u64> = (0..40).map(|i| 99_990 - i * 10).collect();
        below.extend([40_000, 30_000]);
        assert_eq!(extension(leg(), &below, COSTS), Some(99_600));
    }

    #[test]
    fn the_lookup_cap_forces_a_longer_walk() {
        let below: Vec<u64> = (0..30).map(|i| 90_000 - i * 1000).collect();
        let capped = Costs {
            lookups_per_list_request: 10,
            max_lookups: 5,
        };
        // Walk down far enough that at most 5 remain: the 7 pages that
        // reach the 25th call reach the 26th too.
        assert_eq!(extension(leg(), &below, capped), Some(below[25]));
        assert_eq!(extension(leg(), &below, COSTS), None);
        let none = Costs {
            lookups_per_list_request: 10,
            max_lookups: 0,
        };
        assert_eq!(extension(leg(), &below, none), Some(below[29]));
    }

    #[test]
    fn nothing_below_nothing_to_do() {
        assert_eq!(extension(leg(), &[], COSTS), None);
    }
}
