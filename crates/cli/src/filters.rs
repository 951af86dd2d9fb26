//! Command-line filters → a validated [`Query`].

use velip_core::NumberFormat;
use velip_core::query::{Query, QueryBuilder};

use crate::args::{Filters, NumType};

impl NumType {
    pub(crate) fn to_core(self) -> NumberFormat {
        match self {
            Self::International => NumberFormat::International,
            Self::TrunkPrefixed => NumberFormat::TrunkPrefixed,
            Self::Ddd => NumberFormat::Ddd,
        }
    }
}

impl Filters {
    /// A builder with every filter given on the command line; the page size
    /// falls back to `default_page_size`.
    pub(crate) fn builder(&self, default_page_size: i64) -> QueryBuilder {
        let mut b = Query::builder().page_size(self.page_size.unwrap_or(default_page_size));
        if let Some(id) = self.campaign_id {
            b = b.campaign_id(id);
        }
        if let Some(r) = &self.campaign_ref {
            b = b.campaign_ref(r.clone());
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
}
