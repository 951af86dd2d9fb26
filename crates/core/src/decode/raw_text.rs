//! The raw JSON text of records that could not be read in full, found by a
//! second, cheap pass over the body (only for pages that have such records,
//! so clean pages pay nothing).

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use super::page::RawPage;

/// Longest raw text kept for one record.
pub(crate) const RAW_TEXT_MAX: usize = 64 * 1024;

/// Fills `raw_json` of records with problems and `raw` of rejected entries
/// from the body's `calls`.
pub(crate) fn attach_raw_texts(json: &str, page: &mut RawPage) {
    if page.problem_positions.is_empty() && page.rejected.is_empty() {
        return;
    }
    let mut de = serde_json::Deserializer::from_str(json);
    let Ok(Some(texts)) = TopSeed.deserialize(&mut de) else {
        return;
    };
    let text_at = |position: usize| texts.get(position).map(|t| clip(t.get()));
    for &(index, position) in &page.problem_positions {
        if let (Some(r), Some(t)) = (page.records.get_mut(index), text_at(position)) {
            r.raw_json = Some(t);
        }
    }
    for r in &mut page.rejected {
        if let Some(t) = text_at(r.index) {
            r.raw = t;
        }
    }
}

fn clip(s: &str) -> String {
    if s.len() <= RAW_TEXT_MAX {
        return s.to_owned();
    }
    let mut cut = RAW_TEXT_MAX;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    s[..cut].to_owned()
}

/// The top level: finds `calls` and keeps each entry's raw text, in order.
struct TopSeed;

impl<'de> DeserializeSeed<'de> for TopSeed {
    type Value = Option<Vec<&'de RawValue>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TopSeed {
    type Value = Option<Vec<&'de RawValue>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an answer object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found = None;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if key == "calls" {
                found = map.next_value_seed(CallsTexts)?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }
}

/// `calls` as an array, or PHP's object keyed by index (in document order,
/// as the decoder counts positions).
struct CallsTexts;

impl<'de> DeserializeSeed<'de> for CallsTexts {
    type Value = Option<Vec<&'de RawValue>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for CallsTexts {
    type Value = Option<Vec<&'de RawValue>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of records")
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element::<&'de RawValue>()? {
            out.push(v);
        }
        Ok(Some(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some((_, v)) = map.next_entry::<IgnoredAny, &'de RawValue>()? {
            out.push(v);
        }
        Ok(Some(out))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }
}
