//! Rate limits: the hourly list quota (sliding window) and the daily cap of
//! point lookups (reset at midnight, São Paulo time).

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use super::{ApiError, prune};
use crate::config::LimitsConfig;

/// São Paulo is UTC-3 (no daylight saving since 2019).
const SAO_PAULO_OFFSET_SECS: u64 = 3 * 3600;

/// Per-client quota state.
#[derive(Debug, Default)]
pub(crate) struct Limiter {
    list: HashMap<IpAddr, VecDeque<Instant>>,
    daily: HashMap<IpAddr, (u64, u32)>,
}

/// Usage counters of one client, as tests can read them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QuotaStatus {
    /// List requests counted in the current window.
    pub list_requests: u32,
    /// Point lookups counted today.
    pub lookups_today: u32,
}

fn window_text(secs: u64) -> String {
    match secs {
        3600 => "hour".to_owned(),
        60 => "minute".to_owned(),
        s => format!("{s} seconds"),
    }
}

/// (São Paulo day number, seconds until the next midnight there).
fn sao_paulo_day(wall: SystemTime) -> (u64, u64) {
    let secs = wall.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let local = secs.saturating_sub(SAO_PAULO_OFFSET_SECS);
    (local / 86_400, 86_400 - local % 86_400)
}

impl Limiter {
    /// Counts a list request, or refuses it with `429`.
    pub(crate) fn list(
        &mut self,
        ip: IpAddr,
        now: Instant,
        cfg: &LimitsConfig,
    ) -> Result<(), ApiError> {
        let q = self.list.entry(ip).or_default();
        prune(q, now, cfg.list_window);
        if q.len() >= cfg.list_requests as usize {
            let oldest = q.front().copied().unwrap_or(now);
            let wait = cfg
                .list_window
                .saturating_sub(now.saturating_duration_since(oldest));
            let mut e = ApiError::new(
                429,
                "429",
                format!(
                    "Rate limit exceeded: {} list requests per {}",
                    cfg.list_requests,
                    window_text(cfg.list_window.as_secs())
                ),
            );
            e.retry_after = Some(wait.as_secs() + u64::from(wait.subsec_nanos() > 0));
            return Err(e);
        }
        q.push_back(now);
        Ok(())
    }

    /// Counts a point lookup, or refuses it with `429` once the daily cap is reached.
    pub(crate) fn lookup(
        &mut self,
        ip: IpAddr,
        wall: SystemTime,
        cap: u32,
    ) -> Result<(), ApiError> {
        let (day, until_midnight) = sao_paulo_day(wall);
        let entry = self.daily.entry(ip).or_insert((day, 0));
        if entry.0 != day {
            *entry = (day, 0);
        }
        if entry.1 >= cap {
            let mut e = ApiError::new(
                429,
                "429",
                format!(
                    "Daily limit of status lookups reached ({cap}). Use rurl to receive final statuses."
                ),
            );
            e.retry_after = Some(until_midnight);
            return Err(e);
        }
        entry.1 += 1;
        Ok(())
    }

    pub(crate) fn status(
        &mut self,
        ip: IpAddr,
        now: Instant,
        wall: SystemTime,
        cfg: &LimitsConfig,
    ) -> QuotaStatus {
        let list = self.list.get_mut(&ip).map_or(0, |q| {
            prune(q, now, cfg.list_window);
            q.len()
        });
        let (day, _) = sao_paulo_day(wall);
        let lookups = self
            .daily
            .get(&ip)
            .filter(|(d, _)| *d == day)
            .map_or(0, |(_, n)| *n);
        QuotaStatus {
            list_requests: u32::try_from(list).unwrap_or(u32::MAX),
            lookups_today: lookups,
        }
    }
}
