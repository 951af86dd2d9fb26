//! Dictionary-encoded text columns with a stable dictionary: the known
//! wire values (from core's vocabulary) always come first, in a fixed order,
//! so their keys are the same in every batch; any other text the service
//! sends follows, in order of first appearance within the batch.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use arrow_array::builder::{Int32Builder, StringBuilder};
use arrow_array::types::Int32Type;
use arrow_array::{DictionaryArray, Int32Array};
use arrow_schema::ArrowError;
use velip_core::{AmdResult, CallStatus};

/// The known `cd_status` values (core's vocabulary), key 0.. in this order.
pub(crate) fn known_statuses() -> &'static [String] {
    static KNOWN: LazyLock<Vec<String>> = LazyLock::new(|| {
        [
            CallStatus::Answered,
            CallStatus::Busy,
            CallStatus::NoAnswer,
            CallStatus::Cancel,
            CallStatus::Congestion,
            CallStatus::ChanUnavail,
        ]
        .iter()
        .map(|s| s.as_wire().to_owned())
        .collect()
    });
    &KNOWN
}

/// The known `cd_amdasw` values (core's vocabulary), key 0.. in this order.
pub(crate) fn known_amd() -> &'static [String] {
    static KNOWN: LazyLock<Vec<String>> = LazyLock::new(|| {
        [
            AmdResult::Machine,
            AmdResult::Human,
            AmdResult::NotDetermined,
        ]
        .iter()
        .map(|s| s.as_wire().to_owned())
        .collect()
    });
    &KNOWN
}

/// One dictionary column being built.
#[derive(Debug)]
pub(crate) struct DictColumn {
    known: &'static [String],
    keys: Int32Builder,
    others: HashMap<Box<str>, i32>,
    other_order: Vec<Box<str>>,
}

impl DictColumn {
    pub(crate) fn new(known: &'static [String], capacity: usize) -> Self {
        Self {
            known,
            keys: Int32Builder::with_capacity(capacity),
            others: HashMap::new(),
            other_order: Vec::new(),
        }
    }

    /// Appends the value at `known[key]`.
    fn append_known(&mut self, key: usize) {
        debug_assert!(key < self.known.len());
        // At most a handful of known values: the cast cannot truncate.
        #[allow(clippy::cast_possible_truncation, clippy::cast_possible_wrap)]
        self.keys.append_value(key as i32);
    }

    /// Appends a wire text: the key of a known value, else the text's key
    /// among this batch's other values.
    pub(crate) fn append(&mut self, text: &str) {
        if let Some(k) = self.known.iter().position(|k| k == text) {
            self.append_known(k);
            return;
        }
        let key = if let Some(&k) = self.others.get(text) {
            k
        } else {
            // Keys are int32; a page holds at most a few thousand rows, and
            // a batch larger than i32::MAX rows is refused by the builder.
            #[allow(clippy::cast_possible_truncation, clippy::cast_possible_wrap)]
            let k = (self.known.len() + self.other_order.len()) as i32;
            self.others.insert(text.into(), k);
            self.other_order.push(text.into());
            k
        };
        self.keys.append_value(key);
    }

    pub(crate) fn append_null(&mut self) {
        self.keys.append_null();
    }

    /// The finished column; the builder is left empty for the next batch
    /// (its unknown-value table keeps its allocation).
    pub(crate) fn finish(&mut self) -> Result<DictionaryArray<Int32Type>, ArrowError> {
        let bytes = self.known.iter().map(String::len).sum::<usize>()
            + self.other_order.iter().map(|s| s.len()).sum::<usize>();
        let mut values =
            StringBuilder::with_capacity(self.known.len() + self.other_order.len(), bytes);
        for v in self.known {
            values.append_value(v);
        }
        for v in self.other_order.drain(..) {
            values.append_value(v);
        }
        self.others.clear();
        let keys: Int32Array = self.keys.finish();
        DictionaryArray::try_new(keys, Arc::new(values.finish()))
    }
}
