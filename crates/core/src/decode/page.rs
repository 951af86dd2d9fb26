//! Decoding a whole answer body (`{"return": {...}, "calls": [...]}`) into a
//! [`Page`], in one pass with no intermediate JSON tree.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::lenient::Scalar;
use super::record::{Context, RecordOutcome, RecordSeed};
use crate::model::{CallRecord, Page, Pagination, RejectedRecord};

/// What the top level of a body holds, before the status check.
#[derive(Debug, Default)]
pub(crate) struct RawPage {
    pub(crate) has_return: bool,
    pub(crate) status: String,
    pub(crate) status_code: String,
    pub(crate) records: Vec<CallRecord>,
    /// Entries of `calls` not readable as calls (raw text filled after the
    /// pass, see `decode::attach_raw_texts`).
    pub(crate) rejected: Vec<RejectedRecord>,
    /// 0-based `calls` positions of `records` that have problems.
    pub(crate) problem_positions: Vec<(usize, usize)>,
    pub(crate) pagination: Option<Pagination>,
    pub(crate) numbers_masked: bool,
    pub(crate) warning: Option<String>,
    pub(crate) extra: BTreeMap<String, serde_json::Value>,
}

impl RawPage {
    pub(crate) fn into_page(self) -> Page {
        Page {
            status: self.status,
            status_code: self.status_code,
            records: self.records,
            rejected: self.rejected,
            pagination: self.pagination,
            numbers_masked: self.numbers_masked,
            warning: self.warning,
            extra: self.extra,
        }
    }
}

pub(crate) struct PageSeed<'c> {
    pub(crate) ctx: &'c Context,
    /// Strict decoding: a field that does not fit fails the whole body.
    pub(crate) strict: bool,
    /// How many records to make room for up front (an estimate).
    pub(crate) records_hint: usize,
}

/// Room for the records of a `len`-byte body, made up front so a page's
/// list is allocated once instead of growing by doubling: a record takes
/// at least ~200 bytes of JSON in practice (the documented shape, ~350),
/// and a page holds at most 5000 (the server maximum; more still fit, the
/// list grows then).
pub(crate) fn records_hint(len: usize) -> usize {
    (len / 200).min(5000)
}

/// Reads the top level only up to the end of the `return` object, into
/// `page` (see [`peek_head`](super::peek_head)). Its visitor stops there, so
/// the parser reports an error for the unread rest; the caller keeps what
/// was read. `page.has_return` is set only when the whole `return` object
/// was read; `calls` before `return` stops the reading without it.
pub(crate) struct HeadSeed<'c, 'p> {
    pub(crate) ctx: &'c Context,
    pub(crate) page: &'p mut RawPage,
}

impl<'de> DeserializeSeed<'de> for HeadSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for HeadSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a GetCallStatus answer object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            match key.as_ref() {
                "return" => {
                    map.next_value_seed(ReturnSeed {
                        ctx: self.ctx,
                        page: self.page,
                    })?;
                    // Only a `return` read to its end counts.
                    self.page.has_return = true;
                    return Ok(());
                }
                "calls" => return Ok(()),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for PageSeed<'_> {
    type Value = RawPage;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<RawPage, D::Error> {
        d.deserialize_map(PageVisitor {
            ctx: self.ctx,
            strict: self.strict,
            records_hint: self.records_hint,
        })
    }
}

struct PageVisitor<'c> {
    ctx: &'c Context,
    strict: bool,
    records_hint: usize,
}

fn field_fail<E: de::Error>(ctx: &Context, field: &str, m: super::lenient::Misfit) -> E {
    let mut p = ctx.inner.borrow_mut();
    p.record = None;
    p.field = Some(field.to_owned());
    p.snippet = Some(m.snippet);
    E::custom(m.rule)
}

impl<'de> Visitor<'de> for PageVisitor<'_> {
    type Value = RawPage;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a GetCallStatus answer object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawPage, A::Error> {
        let mut page = RawPage::default();
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            match key.as_ref() {
                "return" => {
                    page.has_return = true;
                    map.next_value_seed(ReturnSeed {
                        ctx: self.ctx,
                        page: &mut page,
                    })?;
                }
                "calls" => {
                    let calls = map.next_value_seed(CallsSeed {
                        ctx: self.ctx,
                        strict: self.strict,
                        records_hint: self.records_hint,
                    })?;
                    page.records = calls.records;
                    page.rejected = calls.rejected;
                    page.problem_positions = calls.problem_positions;
                    self.ctx.set_record(None);
                }
                other => {
                    let v: serde_json::Value = map.next_value()?;
                    page.extra.insert(other.to_owned(), v);
                }
            }
        }
        Ok(page)
    }
}

struct ReturnSeed<'c, 'p> {
    ctx: &'c Context,
    page: &'p mut RawPage,
}

impl<'de> DeserializeSeed<'de> for ReturnSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ReturnSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the `return` object")
    }

    // PHP writes an empty associative array as `[]`.
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let ctx = self.ctx;
        let page = self.page;
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            match key.as_ref() {
                "status" => {
                    let v: Scalar<'de> = map.next_value()?;
                    page.status = v
                        .text()
                        .map_err(|m| field_fail(ctx, "return.status", m))?
                        .unwrap_or_default();
                }
                "status_code" => {
                    let v: Scalar<'de> = map.next_value()?;
                    let code = v
                        .text()
                        .map_err(|m| field_fail(ctx, "return.status_code", m))?
                        .unwrap_or_default();
                    code.trim().clone_into(&mut page.status_code);
                }
                "numbers_masked" => {
                    let v: Scalar<'de> = map.next_value()?;
                    page.numbers_masked = v
                        .flag()
                        .map_err(|m| field_fail(ctx, "return.numbers_masked", m))?;
                }
                "warning" => {
                    let v: Scalar<'de> = map.next_value()?;
                    page.warning = v.text().map_err(|m| field_fail(ctx, "return.warning", m))?;
                }
                "pagination" => {
                    page.pagination = map.next_value_seed(PaginationSeed { ctx })?;
                }
                other => {
                    let v: serde_json::Value = map.next_value()?;
                    page.extra.insert(format!("return.{other}"), v);
                }
            }
        }
        Ok(())
    }
}

struct PaginationSeed<'c> {
    ctx: &'c Context,
}

impl<'de> DeserializeSeed<'de> for PaginationSeed<'_> {
    type Value = Option<Pagination>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for PaginationSeed<'_> {
    type Value = Option<Pagination>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the `pagination` object")
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        if v {
            Err(E::custom("`pagination` must be an object"))
        } else {
            Ok(None)
        }
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut n = 0usize;
        while seq.next_element::<IgnoredAny>()?.is_some() {
            n += 1;
        }
        if n == 0 {
            Ok(None)
        } else {
            Err(de::Error::custom("`pagination` must be an object"))
        }
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let ctx = self.ctx;
        let mut p = Pagination::default();
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            match key.as_ref() {
                "has_more" => {
                    let v: Scalar<'de> = map.next_value()?;
                    p.has_more_sent = !matches!(v, Scalar::Null);
                    p.has_more = v
                        .flag()
                        .map_err(|m| field_fail(ctx, "pagination.has_more", m))?;
                }
                "next_id" => {
                    let v: Scalar<'de> = map.next_value()?;
                    p.next_cursor = v
                        .cursor()
                        .map_err(|m| field_fail(ctx, "pagination.next_id", m))?;
                }
                "maxreg_capped" => {
                    let v: Scalar<'de> = map.next_value()?;
                    p.page_size_capped = v
                        .flag()
                        .map_err(|m| field_fail(ctx, "pagination.maxreg_capped", m))?;
                }
                "maxreg_applied" => {
                    let v: Scalar<'de> = map.next_value()?;
                    p.page_size_applied = v
                        .uint()
                        .map_err(|m| field_fail(ctx, "pagination.maxreg_applied", m))?
                        .map(|n| u32::try_from(n).unwrap_or(u32::MAX));
                }
                other => {
                    let v: serde_json::Value = map.next_value()?;
                    p.extra.insert(other.to_owned(), v);
                }
            }
        }
        Ok(Some(p))
    }
}

/// `calls`: an array of records, PHP's object keyed by index, or `null`.
pub(crate) struct CallsSeed<'c> {
    pub(crate) ctx: &'c Context,
    pub(crate) strict: bool,
    pub(crate) records_hint: usize,
}

/// What `calls` holds.
#[derive(Default)]
pub(crate) struct Calls {
    pub(crate) records: Vec<CallRecord>,
    pub(crate) rejected: Vec<RejectedRecord>,
    /// (index in `records`, position in `calls`) of records with problems.
    pub(crate) problem_positions: Vec<(usize, usize)>,
}

impl Calls {
    fn with_capacity(n: usize) -> Self {
        Self {
            records: Vec::with_capacity(n),
            ..Self::default()
        }
    }

    fn push(&mut self, position: usize, outcome: RecordOutcome) {
        match outcome {
            RecordOutcome::Record(r) => {
                if !r.problems.is_empty() {
                    self.problem_positions.push((self.records.len(), position));
                }
                self.records.push(r);
            }
            RecordOutcome::Rejected(problem) => {
                self.rejected
                    .push(RejectedRecord::new(position, String::new(), problem));
            }
        }
    }
}

impl<'de> DeserializeSeed<'de> for CallsSeed<'_> {
    type Value = Calls;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for CallsSeed<'_> {
    type Value = Calls;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of call records")
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Calls::default())
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(Calls::default())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Calls::with_capacity(seq.size_hint().unwrap_or(self.records_hint).min(8192));
        let mut position = 0;
        loop {
            self.ctx.set_record(Some(position));
            let seed = RecordSeed {
                ctx: self.ctx,
                strict: self.strict,
            };
            match seq.next_element_seed(seed)? {
                Some(r) => out.push(position, r),
                None => break,
            }
            position += 1;
        }
        Ok(out)
    }
    // PHP's json_encode of a non-sequential array: {"0": {...}, "1": {...}}.
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = Calls::with_capacity(map.size_hint().unwrap_or(self.records_hint).min(8192));
        let mut position = 0;
        while map.next_key::<IgnoredAny>()?.is_some() {
            self.ctx.set_record(Some(position));
            let seed = RecordSeed {
                ctx: self.ctx,
                strict: self.strict,
            };
            let r = map.next_value_seed(seed)?;
            out.push(position, r);
            position += 1;
        }
        Ok(out)
    }
}
