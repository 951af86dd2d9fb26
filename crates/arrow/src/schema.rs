//! The Arrow schema of a call record: column names, types, nullability and
//! the field-level metadata that names each column's wire field.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use arrow_schema::{DataType, Field, FieldRef, Fields, Schema, SchemaRef, TimeUnit};

/// Field metadata key naming the wire field (or fields) a column comes
/// from: `"cd_id"`, `"date+time_dial"`, `"resp_1..resp_N"`. Every column
/// has it but `problems`, which the decoder writes.
pub const WIRE_FIELD_KEY: &str = "velip.wire_field";
/// Field metadata key giving a column's unit: `"seconds"` or `"BRL"`.
pub const UNIT_KEY: &str = "velip.unit";
/// Schema metadata key holding [`SCHEMA_VERSION`].
pub const SCHEMA_VERSION_KEY: &str = "velip.schema_version";
/// Version of this schema, stored in the schema's metadata. It changes only
/// with a release that changes the columns, never with data.
pub const SCHEMA_VERSION: &str = "1";

/// The time zone of the `*_at` timestamp columns: America/Sao_Paulo, the
/// platform's local time (the values are UTC epoch seconds, as Arrow
/// prescribes).
pub const TIMESTAMP_TZ: &str = "America/Sao_Paulo";
/// Precision of the money columns (`rate`, `value`): decimal128(18, 3).
pub const MONEY_PRECISION: u8 = 18;
/// Scale of the money columns: three decimal places, the service's scale.
pub const MONEY_SCALE: i8 = 3;

/// Column names, in schema order (databases and Parquet use the same).
pub mod columns {
    /// `cd_id` as text, `42_123456` or `9876545`.
    pub const CALL_ID: &str = "call_id";
    /// Numeric part of `cd_id`.
    pub const CALL_NUMBER: &str = "call_number";
    /// `cd_status`.
    pub const STATUS: &str = "status";
    /// `cd_amdasw`.
    pub const AMD: &str = "amd";
    /// `cp_id`.
    pub const CAMPAIGN_ID: &str = "campaign_id";
    /// `cpid`.
    pub const CAMPAIGN_REF: &str = "campaign_ref";
    /// `ctid`.
    pub const CORRELATION_ID: &str = "correlation_id";
    /// `origin`.
    pub const ORIGIN: &str = "origin";
    /// `dest`.
    pub const DESTINATION: &str = "destination";
    /// Whether `dest` came masked.
    pub const DESTINATION_MASKED: &str = "destination_masked";
    /// `date`.
    pub const DATE: &str = "date";
    /// `time_dial`.
    pub const DIAL_TIME: &str = "dial_time";
    /// `time_start`.
    pub const ANSWER_TIME: &str = "answer_time";
    /// `time_end`.
    pub const HANGUP_TIME: &str = "hangup_time";
    /// `date` + `time_dial` as an instant.
    pub const DIALED_AT: &str = "dialed_at";
    /// `date` + `time_start` as an instant.
    pub const ANSWERED_AT: &str = "answered_at";
    /// `date` + `time_end` as an instant.
    pub const HUNG_UP_AT: &str = "hung_up_at";
    /// `dur`.
    pub const DURATION_SECONDS: &str = "duration_seconds";
    /// `resp_1` … `resp_N`.
    pub const DTMF: &str = "dtmf";
    /// `route`.
    pub const ROUTE: &str = "route";
    /// `rate`.
    pub const RATE: &str = "rate";
    /// `value`.
    pub const VALUE: &str = "value";
    /// `cdr_url`.
    pub const RECORDING_URL: &str = "recording_url";
    /// `cdr_sec`.
    pub const RECORDING_SECONDS: &str = "recording_seconds";
    /// `cdc_extra*` and unknown keys.
    pub const EXTRA: &str = "extra";
    /// Fields that could not be read.
    pub const PROBLEMS: &str = "problems";

    /// Every column, in schema order.
    pub const ALL: [&str; 26] = [
        CALL_ID,
        CALL_NUMBER,
        STATUS,
        AMD,
        CAMPAIGN_ID,
        CAMPAIGN_REF,
        CORRELATION_ID,
        ORIGIN,
        DESTINATION,
        DESTINATION_MASKED,
        DATE,
        DIAL_TIME,
        ANSWER_TIME,
        HANGUP_TIME,
        DIALED_AT,
        ANSWERED_AT,
        HUNG_UP_AT,
        DURATION_SECONDS,
        DTMF,
        ROUTE,
        RATE,
        VALUE,
        RECORDING_URL,
        RECORDING_SECONDS,
        EXTRA,
        PROBLEMS,
    ];
}

/// The schema of a call-record batch (see the crate docs for the table).
/// The same `Arc` every time; data never changes it.
///
/// ```
/// let schema = velip_arrow::schema();
/// let rate = schema.field_with_name("rate").unwrap();
/// assert_eq!(rate.data_type().to_string(), "Decimal128(18, 3)");
/// assert_eq!(rate.metadata()["velip.wire_field"], "rate");
/// assert_eq!(schema.fields().len(), velip_arrow::columns::ALL.len());
/// ```
pub fn schema() -> SchemaRef {
    static SCHEMA: LazyLock<SchemaRef> = LazyLock::new(build_schema);
    Arc::clone(&SCHEMA)
}

fn field(name: &str, data_type: DataType, nullable: bool, wire: &str, unit: Option<&str>) -> Field {
    let mut metadata = HashMap::new();
    if !wire.is_empty() {
        metadata.insert(WIRE_FIELD_KEY.to_owned(), wire.to_owned());
    }
    if let Some(unit) = unit {
        metadata.insert(UNIT_KEY.to_owned(), unit.to_owned());
    }
    Field::new(name, data_type, nullable).with_metadata(metadata)
}

pub(crate) fn dictionary_type() -> DataType {
    DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))
}

pub(crate) fn timestamp_type() -> DataType {
    DataType::Timestamp(TimeUnit::Second, Some(TIMESTAMP_TZ.into()))
}

pub(crate) fn money_type() -> DataType {
    DataType::Decimal128(MONEY_PRECISION, MONEY_SCALE)
}

/// The item field of `dtmf`: one DTMF answer, `""` when unanswered.
pub(crate) fn dtmf_item() -> FieldRef {
    Arc::new(Field::new("item", DataType::Utf8, false))
}

/// The entries field of `extra` (`key` utf8 not null, `value` utf8).
pub(crate) fn extra_entries() -> FieldRef {
    Arc::new(Field::new(
        "entries",
        DataType::Struct(extra_entry_fields()),
        false,
    ))
}

pub(crate) fn extra_entry_fields() -> Fields {
    Fields::from(vec![
        Field::new("key", DataType::Utf8, false),
        Field::new("value", DataType::Utf8, true),
    ])
}

/// The item field of `problems`: struct<field, raw, rule>, all utf8 not null.
pub(crate) fn problem_item() -> FieldRef {
    Arc::new(Field::new(
        "item",
        DataType::Struct(problem_fields()),
        false,
    ))
}

pub(crate) fn problem_fields() -> Fields {
    Fields::from(vec![
        Field::new("field", DataType::Utf8, false),
        Field::new("raw", DataType::Utf8, false),
        Field::new("rule", DataType::Utf8, false),
    ])
}

fn build_schema() -> SchemaRef {
    use DataType::{Boolean, Date32, Int32, Int64, Time32, Utf8};
    use columns as c;
    let time = || Time32(TimeUnit::Second);
    let secs = Some("seconds");
    let brl = Some("BRL");
    let fields = vec![
        field(c::CALL_ID, Utf8, false, "cd_id", None),
        field(c::CALL_NUMBER, Int64, false, "cd_id", None),
        field(c::STATUS, dictionary_type(), true, "cd_status", None),
        field(c::AMD, dictionary_type(), true, "cd_amdasw", None),
        field(c::CAMPAIGN_ID, Int64, true, "cp_id", None),
        field(c::CAMPAIGN_REF, Utf8, true, "cpid", None),
        field(c::CORRELATION_ID, Utf8, true, "ctid", None),
        field(c::ORIGIN, Utf8, true, "origin", None),
        field(c::DESTINATION, Utf8, true, "dest", None),
        field(c::DESTINATION_MASKED, Boolean, true, "dest", None),
        field(c::DATE, Date32, true, "date", None),
        field(c::DIAL_TIME, time(), true, "time_dial", None),
        field(c::ANSWER_TIME, time(), true, "time_start", None),
        field(c::HANGUP_TIME, time(), true, "time_end", None),
        field(c::DIALED_AT, timestamp_type(), true, "date+time_dial", None),
        field(
            c::ANSWERED_AT,
            timestamp_type(),
            true,
            "date+time_start",
            None,
        ),
        field(c::HUNG_UP_AT, timestamp_type(), true, "date+time_end", None),
        field(c::DURATION_SECONDS, Int32, true, "dur", secs),
        field(
            c::DTMF,
            DataType::List(dtmf_item()),
            false,
            "resp_1..resp_N",
            None,
        ),
        field(c::ROUTE, Utf8, true, "route", None),
        field(c::RATE, money_type(), true, "rate", brl),
        field(c::VALUE, money_type(), true, "value", brl),
        field(c::RECORDING_URL, Utf8, true, "cdr_url", None),
        field(c::RECORDING_SECONDS, Int32, true, "cdr_sec", secs),
        field(
            c::EXTRA,
            DataType::Map(extra_entries(), false),
            false,
            "cdc_extra*, unknown keys",
            None,
        ),
        field(c::PROBLEMS, DataType::List(problem_item()), false, "", None),
    ];
    let metadata = HashMap::from([(SCHEMA_VERSION_KEY.to_owned(), SCHEMA_VERSION.to_owned())]);
    Arc::new(Schema::new_with_metadata(fields, metadata))
}
