//! Command-line filters → a validated [`Query`], with validation problems
//! named by the flags the user gave.

use velip_core::NumberFormat;
use velip_core::model::local_time::DaySpec;
use velip_core::query::{Query, QueryBuilder};

use crate::args::selection::{Filters, NumType};
use crate::exit::Failure;

impl NumType {
    pub(crate) fn to_core(self) -> NumberFormat {
        match self {
            Self::International => NumberFormat::International,
            Self::TrunkPrefixed => NumberFormat::TrunkPrefixed,
            Self::Ddd => NumberFormat::Ddd,
        }
    }
}

/// Whether a day was given relative to today.
fn is_relative(d: Option<DaySpec>) -> bool {
    matches!(
        d,
        Some(DaySpec::Today | DaySpec::Yesterday | DaySpec::Ago(_))
    )
}

impl Filters {
    /// A builder with every filter given on the command line; the page size
    /// falls back to `default_page_size`. Days given as `--date`, `--since`
    /// or `--until` are resolved by core (São Paulo time).
    fn builder(&self, default_page_size: i64) -> QueryBuilder {
        let mut b = Query::builder().page_size(self.page_size.unwrap_or(default_page_size));
        if let Some(id) = self.campaign_id {
            b = b.campaign_id(id);
        }
        if let Some(r) = &self.campaign_ref {
            b = b.campaign_ref(r.clone());
        }
        if let Some(d) = self.date {
            let day = d.resolve();
            b = b.date_range(day, day);
        }
        if let Some(d) = self.since {
            b = b.date_start(d.resolve());
            if self.until.is_none() && self.date_end.is_none() {
                b = b.date_end(DaySpec::Today.resolve());
            }
        }
        if let Some(d) = self.until {
            b = b.date_end(d.resolve());
        }
        if let Some(d) = &self.date_start {
            b = b.date_start(d.as_str());
        }
        if let Some(d) = &self.date_end {
            b = b.date_end(d.as_str());
        }
        if let Some(c) = &self.ctid {
            b = b.correlation_id(c.clone());
        }
        if self.empty_ctid {
            b = b.empty_correlation_id();
        }
        b = b.only_dtmf(self.only_dtmf);
        if let Some(n) = self.numtype {
            b = b.number_format(n.to_core());
        }
        if let Some(o) = &self.origin {
            b = b.origin(o.clone());
        }
        if let Some(c) = &self.cursor {
            b = b.cursor(c.clone());
        }
        b
    }

    /// The validated query; a validation error names the flags given.
    pub(crate) fn query(&self, default_page_size: i64) -> Result<Query, Failure> {
        self.query_with(default_page_size, |b| b)
    }

    /// [`query`](Self::query) with more parameters set on the builder.
    pub(crate) fn query_with(
        &self,
        default_page_size: i64,
        more: impl FnOnce(QueryBuilder) -> QueryBuilder,
    ) -> Result<Query, Failure> {
        more(self.builder(default_page_size))
            .build()
            .map_err(|e| Failure::invalid(&e, |field| self.flag_of(field)))
    }

    /// The flag that set a query field, as the user gave it.
    fn flag_of(&self, field: &str) -> Option<&'static str> {
        Some(match field {
            "date_start" | "date_end" if self.date.is_some() => "--date",
            "date_end" if self.until.is_some() => "--until",
            // --since without --until also sets the last day (today).
            "date_start" | "date_end"
                if self.since.is_some() && (field == "date_start" || self.date_end.is_none()) =>
            {
                "--since"
            }
            _ => return None,
        })
    }

    /// `dates: 2026-11-13 to 2026-11-20 (America/Sao_Paulo)` when a day was
    /// given relative to today (for the log of a cron job), else `None`.
    pub(crate) fn resolved_days(&self, q: &Query) -> Option<String> {
        if !(is_relative(self.date) || is_relative(self.since) || is_relative(self.until)) {
            return None;
        }
        let (s, e) = (q.date_start()?, q.date_end()?);
        Some(if s == e {
            format!("day: {s} (America/Sao_Paulo)")
        } else {
            format!("days: {s} to {e} (America/Sao_Paulo)")
        })
    }
}
