//! Pages of [`CallRecord`]s into [`RecordBatch`]es, straight from the typed
//! records: no JSON, no per-record intermediate objects.

use std::fmt::{self, Write as _};
use std::sync::Arc;

use arrow_array::builder::ArrayBuilder as _;
use arrow_array::builder::{
    BooleanBuilder, Date32Builder, Decimal128Builder, Int32Builder, Int64Builder, StringBuilder,
    Time32SecondBuilder, TimestampSecondBuilder,
};
use arrow_array::types::Date32Type;
use arrow_array::{ArrayRef, ListArray, MapArray, RecordBatch, StructArray};
use arrow_buffer::{OffsetBuffer, ScalarBuffer};
use arrow_schema::SchemaRef;
use chrono::Timelike as _;
use velip_core::{CallRecord, Destination, Problem};

use crate::dictionary::{DictColumn, known_amd, known_statuses};
use crate::error::Error;
use crate::fit;
use crate::schema::{
    MONEY_PRECISION, MONEY_SCALE, TIMESTAMP_TZ, dtmf_item, extra_entries, extra_entry_fields,
    problem_fields, problem_item, schema,
};

/// Most a batch may hold, counted as text bytes plus list items plus rows
/// (an upper bound for every column's 32-bit offsets).
const BUDGET: usize = i32::MAX as usize;
/// Bound for the problems the conversion itself may add to one record (at
/// most six: call number, campaign, duration, rate, value, recording).
const CONVERSION_PROBLEMS_BOUND: usize = 6 * 512;

/// Turns pages of [`CallRecord`]s into Arrow [`RecordBatch`]es of
/// [`schema()`](crate::schema()).
///
/// One builder serves a whole walk: [`build`](Self::build) one batch per
/// page, or [`append`](Self::append) several pages and
/// [`finish`](Self::finish) once. The finished arrays own their memory (a
/// batch may outlive the builder and go to another thread or language), so
/// what carries over from page to page is the sizing: each column's
/// buffers are allocated once per batch at the size the previous batch
/// needed, and the builder's scratch space and dictionary tables are kept.
///
/// Values that do not fit their column exactly (money past scale 3 or
/// precision 18, seconds past `i32::MAX`, ids past `i64::MAX`) become null
/// and add a [`Problem`] to that row's `problems`; nothing is rounded.
///
/// ```
/// use velip_arrow::CallBatchBuilder;
/// use velip_core::decode::decode_page;
///
/// let page = decode_page(br#"{"return":{"status":"OK","status_code":"0"},"calls":[
///   {"cd_id":"42_7","cd_status":"OK","date":"2026-11-20","time_dial":"20:58:42",
///    "dur":27,"resp_1":"1","value":"0,050","cdc_extra1":"abc"}]}"#)?;
/// let mut builder = CallBatchBuilder::new();
/// let batch = builder.build(&page.records)?;
/// assert_eq!(batch.num_rows(), 1);
/// assert_eq!(batch.schema(), velip_arrow::schema());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct CallBatchBuilder {
    columns: Option<Columns>,
    sizes: Sizes,
    /// Problems the conversion adds to the record being appended (reused).
    scratch: Vec<Problem>,
}

impl Default for CallBatchBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl CallBatchBuilder {
    /// A builder sized for one page of the service (5000 records).
    pub fn new() -> Self {
        Self {
            columns: None,
            sizes: Sizes::page(),
            scratch: Vec::new(),
        }
    }

    /// The schema of the batches this builder makes, [`schema()`](crate::schema()).
    pub fn schema(&self) -> SchemaRef {
        schema()
    }

    /// Records appended since the last [`finish`](Self::finish).
    pub fn len(&self) -> usize {
        self.columns.as_ref().map_or(0, |c| c.rows)
    }

    /// Whether nothing was appended since the last [`finish`](Self::finish).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The page as one batch: [`append`](Self::append) then
    /// [`finish`](Self::finish). An empty page gives an empty batch.
    ///
    /// # Errors
    /// [`Error::BatchFull`] (nothing is kept: the builder is empty again)
    /// or [`Error::Arrow`].
    pub fn build(&mut self, records: &[CallRecord]) -> Result<RecordBatch, Error> {
        if let Err(e) = self.append(records) {
            self.columns = None;
            return Err(e);
        }
        self.finish()
    }

    /// Appends records to the batch in progress.
    ///
    /// # Errors
    /// [`Error::BatchFull`] when the next record would pass Arrow's 2 GiB
    /// limit for one column; the records before it stay in the batch.
    pub fn append(&mut self, records: &[CallRecord]) -> Result<(), Error> {
        let sizes = self.sizes;
        let columns = self
            .columns
            .get_or_insert_with(|| Columns::with_sizes(&sizes));
        for r in records {
            let need = budget(r);
            if columns.used.saturating_add(need) > BUDGET {
                return Err(Error::BatchFull { rows: columns.rows });
            }
            columns.used += need;
            columns.push(r, &mut self.scratch);
        }
        Ok(())
    }

    /// The batch of every record appended since the last call; the builder
    /// is empty again. With nothing appended, an empty batch.
    ///
    /// # Errors
    /// [`Error::Arrow`] (a bug in this crate).
    pub fn finish(&mut self) -> Result<RecordBatch, Error> {
        let Some(columns) = self.columns.take() else {
            return Ok(RecordBatch::new_empty(schema()));
        };
        if columns.rows > 0 {
            // Size the next batch like this one.
            self.sizes = columns.sizes();
        }
        columns.finish()
    }
}

/// What one record may add to a batch, counted generously: text bytes of
/// every column plus list items plus one row.
fn budget(r: &CallRecord) -> usize {
    let opt = |s: &Option<String>| s.as_ref().map_or(0, String::len);
    let destination = match &r.destination {
        None => 0,
        Some(Destination::Phone(_)) => 16, // E.164: `+` and at most 15 digits
        Some(Destination::Masked(m)) => m.as_str().len(),
        Some(Destination::Raw(s)) => s.len(),
    };
    let dtmf: usize = r.dtmf.iter().map(|d| d.len() + 1).sum();
    let extra: usize = r
        .extra
        .iter()
        .map(|(k, v)| k.len() + 1 + v.as_str().map_or_else(|| displayed_len(v), str::len))
        .sum();
    let problems: usize = r
        .problems
        .iter()
        .map(|p| p.field.len() + p.raw.len() + p.rule.len() + 1)
        .sum();
    1 + r.call_id.alias().map_or(0, str::len)
        + 21
        + opt(&r.campaign_ref)
        + opt(&r.correlation_id)
        + opt(&r.origin)
        + opt(&r.route)
        + opt(&r.recording_url)
        + destination
        + dtmf
        + extra
        + problems
        + CONVERSION_PROBLEMS_BOUND
}

/// Length of a value's `Display` text, without keeping it.
fn displayed_len(v: &impl fmt::Display) -> usize {
    struct Count(usize);
    impl fmt::Write for Count {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            self.0 += s.len();
            Ok(())
        }
    }
    let mut c = Count(0);
    let _ = write!(c, "{v}");
    c.0
}

/// Buffer sizes of a batch: rows, list items and text bytes per column.
#[derive(Debug, Clone, Copy)]
struct Sizes {
    rows: usize,
    call_id: usize,
    campaign_ref: usize,
    correlation_id: usize,
    origin: usize,
    destination: usize,
    route: usize,
    recording_url: usize,
    dtmf_items: usize,
    dtmf_bytes: usize,
    extra_items: usize,
    extra_key_bytes: usize,
    extra_value_bytes: usize,
    problem_items: usize,
    problem_bytes: usize,
}

impl Sizes {
    /// A guess for the first page: 5000 typical records.
    fn page() -> Self {
        let rows = 5000;
        Self {
            rows,
            call_id: rows * 10,
            campaign_ref: rows * 16,
            correlation_id: rows * 8,
            origin: rows * 3,
            destination: rows * 14,
            route: rows * 10,
            recording_url: rows * 40,
            dtmf_items: rows * 2,
            dtmf_bytes: rows * 2,
            extra_items: rows,
            extra_key_bytes: rows * 10,
            extra_value_bytes: rows * 16,
            problem_items: 0,
            problem_bytes: 0,
        }
    }
}

/// One list column of utf8 values being built (`dtmf`).
#[derive(Debug)]
struct Offsets(Vec<i32>);

impl Offsets {
    fn with_capacity(rows: usize) -> Self {
        let mut v = Vec::with_capacity(rows + 1);
        v.push(0);
        Self(v)
    }

    /// Closes a row holding `items` items so far in total. The batch
    /// budget keeps `items` below `i32::MAX`; were it not, Arrow would
    /// refuse the offsets when the batch is finished (never a panic).
    fn push(&mut self, items: usize) {
        self.0.push(i32::try_from(items).unwrap_or(i32::MAX));
    }

    fn finish(self) -> OffsetBuffer<i32> {
        OffsetBuffer::new(ScalarBuffer::from(self.0))
    }
}

#[derive(Debug)]
struct Columns {
    rows: usize,
    used: usize,
    call_id: StringBuilder,
    call_number: Int64Builder,
    status: DictColumn,
    amd: DictColumn,
    campaign_id: Int64Builder,
    campaign_ref: StringBuilder,
    correlation_id: StringBuilder,
    origin: StringBuilder,
    destination: StringBuilder,
    destination_masked: BooleanBuilder,
    date: Date32Builder,
    dial_time: Time32SecondBuilder,
    answer_time: Time32SecondBuilder,
    hangup_time: Time32SecondBuilder,
    dialed_at: TimestampSecondBuilder,
    answered_at: TimestampSecondBuilder,
    hung_up_at: TimestampSecondBuilder,
    duration_seconds: Int32Builder,
    dtmf_offsets: Offsets,
    dtmf_values: StringBuilder,
    route: StringBuilder,
    rate: Decimal128Builder,
    value: Decimal128Builder,
    recording_url: StringBuilder,
    recording_seconds: Int32Builder,
    extra_offsets: Offsets,
    extra_keys: StringBuilder,
    extra_values: StringBuilder,
    problem_offsets: Offsets,
    problem_field: StringBuilder,
    problem_raw: StringBuilder,
    problem_rule: StringBuilder,
}

fn text(rows: usize, bytes: usize) -> StringBuilder {
    StringBuilder::with_capacity(rows, bytes)
}

fn money(rows: usize) -> Decimal128Builder {
    Decimal128Builder::with_capacity(rows)
        .with_precision_and_scale(MONEY_PRECISION, MONEY_SCALE)
        .unwrap_or_else(|_| Decimal128Builder::with_capacity(rows))
}

fn instant(rows: usize) -> TimestampSecondBuilder {
    TimestampSecondBuilder::with_capacity(rows).with_timezone(TIMESTAMP_TZ)
}

/// Appends an optional text.
fn opt_text(b: &mut StringBuilder, v: Option<&str>) {
    match v {
        Some(s) => b.append_value(s),
        None => b.append_null(),
    }
}

/// Appends a value's `Display` text without an intermediate `String`.
fn display(b: &mut StringBuilder, v: &impl fmt::Display) {
    // Writing to a StringBuilder cannot fail.
    let _ = write!(b, "{v}");
    b.append_value("");
}

/// `Ok` values as they are; an `Err` becomes null plus a problem.
fn fitted<T>(v: Option<Result<T, Problem>>, problems: &mut Vec<Problem>) -> Option<T> {
    match v? {
        Ok(v) => Some(v),
        Err(p) => {
            problems.push(p);
            None
        }
    }
}

/// Seconds since midnight, whole (the wire has no fractions).
fn seconds_of_day(t: chrono::NaiveTime) -> i32 {
    // Below 86 400: always fits.
    i32::try_from(t.num_seconds_from_midnight()).unwrap_or(i32::MAX)
}

impl Columns {
    fn with_sizes(s: &Sizes) -> Self {
        let n = s.rows;
        Self {
            rows: 0,
            used: 0,
            call_id: text(n, s.call_id),
            call_number: Int64Builder::with_capacity(n),
            status: DictColumn::new(known_statuses(), n),
            amd: DictColumn::new(known_amd(), n),
            campaign_id: Int64Builder::with_capacity(n),
            campaign_ref: text(n, s.campaign_ref),
            correlation_id: text(n, s.correlation_id),
            origin: text(n, s.origin),
            destination: text(n, s.destination),
            destination_masked: BooleanBuilder::with_capacity(n),
            date: Date32Builder::with_capacity(n),
            dial_time: Time32SecondBuilder::with_capacity(n),
            answer_time: Time32SecondBuilder::with_capacity(n),
            hangup_time: Time32SecondBuilder::with_capacity(n),
            dialed_at: instant(n),
            answered_at: instant(n),
            hung_up_at: instant(n),
            duration_seconds: Int32Builder::with_capacity(n),
            dtmf_offsets: Offsets::with_capacity(n),
            dtmf_values: text(s.dtmf_items, s.dtmf_bytes),
            route: text(n, s.route),
            rate: money(n),
            value: money(n),
            recording_url: text(n, s.recording_url),
            recording_seconds: Int32Builder::with_capacity(n),
            extra_offsets: Offsets::with_capacity(n),
            extra_keys: text(s.extra_items, s.extra_key_bytes),
            extra_values: text(s.extra_items, s.extra_value_bytes),
            problem_offsets: Offsets::with_capacity(n),
            problem_field: text(s.problem_items, s.problem_bytes / 3),
            problem_raw: text(s.problem_items, s.problem_bytes / 3),
            problem_rule: text(s.problem_items, s.problem_bytes / 3),
        }
    }

    fn sizes(&self) -> Sizes {
        let bytes = |b: &StringBuilder| b.values_slice().len();
        Sizes {
            rows: self.rows,
            call_id: bytes(&self.call_id),
            campaign_ref: bytes(&self.campaign_ref),
            correlation_id: bytes(&self.correlation_id),
            origin: bytes(&self.origin),
            destination: bytes(&self.destination),
            route: bytes(&self.route),
            recording_url: bytes(&self.recording_url),
            dtmf_items: self.dtmf_values.len(),
            dtmf_bytes: bytes(&self.dtmf_values),
            extra_items: self.extra_keys.len(),
            extra_key_bytes: bytes(&self.extra_keys),
            extra_value_bytes: bytes(&self.extra_values),
            problem_items: self.problem_field.len(),
            problem_bytes: bytes(&self.problem_field)
                + bytes(&self.problem_raw)
                + bytes(&self.problem_rule),
        }
    }

    fn push(&mut self, r: &CallRecord, added: &mut Vec<Problem>) {
        added.clear();
        self.rows += 1;

        display(&mut self.call_id, &r.call_id);
        let number = match fit::int64("cd_id", r.call_id.number()) {
            Ok(n) => n,
            Err(mut p) => {
                // Not nullable: 0, and the problem says so; `call_id` keeps
                // the id as text.
                p.raw = format!("\"{}\"", r.call_id);
                p.rule.push_str("; call_number is 0, call_id keeps the id");
                added.push(p);
                0
            }
        };
        self.call_number.append_value(number);

        match &r.status {
            Some(s) => self.status.append(s.as_wire()),
            None => self.status.append_null(),
        }
        match &r.amd {
            Some(a) => self.amd.append(a.as_wire()),
            None => self.amd.append_null(),
        }
        let campaign = fitted(r.campaign_id.map(|v| fit::int64("cp_id", v)), added);
        self.campaign_id.append_option(campaign);
        opt_text(&mut self.campaign_ref, r.campaign_ref.as_deref());
        opt_text(&mut self.correlation_id, r.correlation_id.as_deref());
        opt_text(&mut self.origin, r.origin.as_deref());
        if let Some(d) = &r.destination {
            display(&mut self.destination, d);
            self.destination_masked.append_value(d.is_masked());
        } else {
            self.destination.append_null();
            self.destination_masked.append_null();
        }

        self.date
            .append_option(r.date.map(Date32Type::from_naive_date));
        self.dial_time
            .append_option(r.dial_time.map(seconds_of_day));
        self.answer_time
            .append_option(r.answer_time.map(seconds_of_day));
        self.hangup_time
            .append_option(r.hangup_time.map(seconds_of_day));
        self.dialed_at
            .append_option(r.dialed_at().map(|t| t.timestamp()));
        self.answered_at
            .append_option(r.answered_at().map(|t| t.timestamp()));
        self.hung_up_at
            .append_option(r.hung_up_at().map(|t| t.timestamp()));

        let duration = fitted(r.duration_seconds.map(|v| fit::int32("dur", v)), added);
        self.duration_seconds.append_option(duration);

        for d in &r.dtmf {
            self.dtmf_values.append_value(d);
        }
        self.dtmf_offsets.push(self.dtmf_values.len());

        opt_text(&mut self.route, r.route.as_deref());
        let rate = fitted(r.rate.map(|v| fit::money("rate", v)), added);
        self.rate.append_option(rate);
        let value = fitted(r.value.map(|v| fit::money("value", v)), added);
        self.value.append_option(value);
        opt_text(&mut self.recording_url, r.recording_url.as_deref());
        let recording = fitted(r.recording_seconds.map(|v| fit::int32("cdr_sec", v)), added);
        self.recording_seconds.append_option(recording);

        for (k, v) in &r.extra {
            self.extra_keys.append_value(k);
            if let Some(s) = v.as_str() {
                self.extra_values.append_value(s);
            } else if v.is_null() {
                self.extra_values.append_null();
            } else {
                display(&mut self.extra_values, v); // JSON text
            }
        }
        self.extra_offsets.push(self.extra_keys.len());

        for p in r.problems.iter().chain(added.iter()) {
            self.problem_field.append_value(&p.field);
            self.problem_raw.append_value(&p.raw);
            self.problem_rule.append_value(&p.rule);
        }
        self.problem_offsets.push(self.problem_field.len());
    }

    fn finish(mut self) -> Result<RecordBatch, Error> {
        let dtmf = ListArray::try_new(
            dtmf_item(),
            self.dtmf_offsets.finish(),
            Arc::new(self.dtmf_values.finish()),
            None,
        )?;
        let entries = StructArray::try_new(
            extra_entry_fields(),
            vec![
                Arc::new(self.extra_keys.finish()) as ArrayRef,
                Arc::new(self.extra_values.finish()),
            ],
            None,
        )?;
        let extra = MapArray::try_new(
            extra_entries(),
            self.extra_offsets.finish(),
            entries,
            None,
            false,
        )?;
        let problem_items = StructArray::try_new(
            problem_fields(),
            vec![
                Arc::new(self.problem_field.finish()) as ArrayRef,
                Arc::new(self.problem_raw.finish()),
                Arc::new(self.problem_rule.finish()),
            ],
            None,
        )?;
        let problems = ListArray::try_new(
            problem_item(),
            self.problem_offsets.finish(),
            Arc::new(problem_items),
            None,
        )?;
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.call_id.finish()),
            Arc::new(self.call_number.finish()),
            Arc::new(self.status.finish()?),
            Arc::new(self.amd.finish()?),
            Arc::new(self.campaign_id.finish()),
            Arc::new(self.campaign_ref.finish()),
            Arc::new(self.correlation_id.finish()),
            Arc::new(self.origin.finish()),
            Arc::new(self.destination.finish()),
            Arc::new(self.destination_masked.finish()),
            Arc::new(self.date.finish()),
            Arc::new(self.dial_time.finish()),
            Arc::new(self.answer_time.finish()),
            Arc::new(self.hangup_time.finish()),
            Arc::new(self.dialed_at.finish()),
            Arc::new(self.answered_at.finish()),
            Arc::new(self.hung_up_at.finish()),
            Arc::new(self.duration_seconds.finish()),
            Arc::new(dtmf),
            Arc::new(self.route.finish()),
            Arc::new(self.rate.finish()),
            Arc::new(self.value.finish()),
            Arc::new(self.recording_url.finish()),
            Arc::new(self.recording_seconds.finish()),
            Arc::new(extra),
            Arc::new(problems),
        ];
        Ok(RecordBatch::try_new(schema(), columns)?)
    }
}
