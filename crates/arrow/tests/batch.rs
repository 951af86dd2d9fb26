//! Pages into batches: the shared fixtures, generated pages, problem
//! records, and the schema's stability and documentation.

mod common;

use arrow_array::cast::AsArray;
use arrow_array::types::{Decimal128Type, Int32Type, TimestampSecondType};
use arrow_array::{Array, ArrayAccessor, StringArray};
use arrow_schema::DataType;
use common::check::{assert_batch_matches, problems};
use common::generate;
use velip_arrow::{CallBatchBuilder, columns as c, schema};
use velip_core::decode::decode_page;
use velip_core::{CallId, CallRecord, Decimal};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/../../tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn records_of(body: &[u8]) -> Vec<CallRecord> {
    decode_page(body).unwrap().records
}

#[test]
fn every_list_fixture_round_trips_cell_by_cell() {
    let mut builder = CallBatchBuilder::new();
    let mut total = 0;
    for name in [
        "list_documented.json",
        "list_all_strings.json",
        "list_capped_masked.json",
        "empty.json",
    ] {
        let records = records_of(&fixture(name));
        let batch = builder.build(&records).unwrap();
        assert_batch_matches(&records, &batch);
        total += batch.num_rows();
    }
    assert_eq!(total, 5);
}

#[test]
fn documented_record_lands_with_the_right_types_and_values() {
    let records = records_of(&fixture("list_documented.json"));
    let batch = velip_arrow::to_record_batch(&records).unwrap();
    let col = |name| batch.column_by_name(name).unwrap();
    assert_eq!(col(c::CALL_ID).as_string::<i32>().value(0), "9876545");
    let status = col(c::STATUS).as_dictionary::<Int32Type>();
    assert_eq!(status.keys().value(0), 0, "OK is key 0 in every batch");
    assert_eq!(
        status.downcast_dict::<StringArray>().unwrap().value(0),
        "OK"
    );
    assert_eq!(
        col(c::DESTINATION).as_string::<i32>().value(0),
        "+5511999999999"
    );
    assert!(!col(c::DESTINATION_MASKED).as_boolean().value(0));
    let rate = col(c::RATE).as_primitive::<Decimal128Type>();
    assert_eq!(rate.value(0), 50);
    assert_eq!(rate.value_as_string(0), "0.050");
    assert_eq!(rate.data_type(), &DataType::Decimal128(18, 3));
    let dialed = col(c::DIALED_AT).as_primitive::<TimestampSecondType>();
    // 2026-05-06 10:00:01 in São Paulo (UTC-3) is 13:00:01 UTC.
    assert_eq!(dialed.value(0), 1_778_072_401);
    assert_eq!(
        dialed.data_type().to_string(),
        "Timestamp(s, \"America/Sao_Paulo\")"
    );
    let dtmf = col(c::DTMF).as_list::<i32>().value(0);
    let dtmf = dtmf.as_string::<i32>();
    assert_eq!(
        (0..dtmf.len()).map(|i| dtmf.value(i)).collect::<Vec<_>>(),
        ["1", "12345", "0"]
    );
    assert_eq!(col(c::DURATION_SECONDS).data_type(), &DataType::Int32);
    assert!(problems(&batch, 0).is_empty());
}

#[test]
fn masked_numbers_and_extra_fields() {
    let records = records_of(&fixture("list_capped_masked.json"));
    let batch = velip_arrow::to_record_batch(&records).unwrap();
    let col = |name| batch.column_by_name(name).unwrap();
    assert_eq!(col(c::DESTINATION).as_string::<i32>().value(0), "xxxxx877");
    assert!(col(c::DESTINATION_MASKED).as_boolean().value(0));
    let extra = col(c::EXTRA).as_map().value(0);
    let keys = extra.column(0).as_string::<i32>();
    let values = extra.column(1).as_string::<i32>();
    assert_eq!(
        (0..extra.len())
            .map(|i| (keys.value(i), values.value(i)))
            .collect::<Vec<_>>(),
        [("cdc_extra1", "xxxxxxx4321"), ("cdc_extra2", "pedido 17")]
    );
    // Empty strings on the wire are "no value".
    assert!(col(c::CAMPAIGN_REF).is_null(0));
    assert!(col(c::RECORDING_URL).is_null(0));
}

#[test]
fn generated_pages_round_trip_and_the_builder_carries_over() {
    let mut builder = CallBatchBuilder::new();
    for (k, n) in [5000, 5000, 17, 0, 4999].into_iter().enumerate() {
        let records = generate::records(n, k as u64, 9_000_000 - 5000 * k as u64, 3);
        let batch = builder.build(&records).unwrap();
        assert_batch_matches(&records, &batch);
        assert!(builder.is_empty());
    }
    // Several pages in one batch.
    let a = generate::records(300, 1, 100_000, 1);
    let b = generate::records(200, 2, 99_700, 1);
    builder.append(&a).unwrap();
    builder.append(&b).unwrap();
    assert_eq!(builder.len(), 500);
    let batch = builder.finish().unwrap();
    let both: Vec<_> = a.into_iter().chain(b).collect();
    assert_batch_matches(&both, &batch);
    assert_eq!(builder.finish().unwrap().num_rows(), 0);
}

#[test]
fn problem_records_keep_their_problems_and_money_never_rounds() {
    let body = br#"{"return":{"status":"OK","status_code":"0"},"calls":[
        {"cd_id":7,"date":"2026-02-30","dur":27.5,"value":"0,0501","rate":"0,050","cdc_x":{"a":[1,2]}},
        {"cd_id":6,"cd_status":"OK","value":"1.234.567.890.123.456,000","rate":"0,0500"},
        {"cd_id":5,"cd_status":"WEIRD","cd_amdasw":"??","dur":"3000000000","cdr_sec":"4294967296"}
    ]}"#;
    let records = records_of(body);
    assert_eq!(records.len(), 3);
    assert_eq!(records[0].problems.len(), 2, "{:?}", records[0].problems);
    let batch = velip_arrow::to_record_batch(&records).unwrap();
    assert_batch_matches(&records, &batch);

    // Row 0: the decoder's two problems first, then the money that does not fit.
    let p = problems(&batch, 0);
    let fields: Vec<&str> = p.iter().map(|p| p.0.as_str()).collect();
    assert_eq!(fields, ["date", "dur", "value"]);
    assert_eq!(p[2].1, "\"0.0501\"");
    assert!(p[2].2.contains("never rounded"), "{}", p[2].2);
    let value = batch.column_by_name(c::VALUE).unwrap();
    let rate = batch
        .column_by_name(c::RATE)
        .unwrap()
        .as_primitive::<Decimal128Type>();
    assert!(value.is_null(0));
    assert_eq!(rate.value(0), 50);
    let extra = batch.column_by_name(c::EXTRA).unwrap().as_map().value(0);
    assert_eq!(
        extra.column(1).as_string::<i32>().value(0),
        r#"{"a":[1,2]}"#
    );

    // Row 1: 19 integer digits do not fit precision 18; 0.0500 fits exactly.
    assert!(value.is_null(1));
    assert_eq!(rate.value(1), 50);
    assert_eq!(problems(&batch, 1)[0].0, "value");

    // Row 2: seconds past int32, unknown status kept after the known ones.
    let p = problems(&batch, 2);
    assert_eq!(
        p.iter().map(|p| p.0.as_str()).collect::<Vec<_>>(),
        ["dur", "cdr_sec"]
    );
    assert_eq!(p[0].1, "3000000000");
    let status = batch
        .column_by_name(c::STATUS)
        .unwrap()
        .as_dictionary::<Int32Type>();
    assert_eq!(status.keys().value(2), 6, "after the six known statuses");
    assert_eq!(
        status.downcast_dict::<StringArray>().unwrap().value(2),
        "WEIRD"
    );
}

#[test]
fn ids_past_int64_keep_their_text() {
    let mut r = CallRecord::new(CallId::with_alias("9", u64::MAX).unwrap());
    r.campaign_id = Some(u64::MAX);
    r.value = Some(Decimal::MAX);
    let batch = velip_arrow::to_record_batch(std::slice::from_ref(&r)).unwrap();
    assert_batch_matches(std::slice::from_ref(&r), &batch);
    let p = problems(&batch, 0);
    assert_eq!(
        p.iter().map(|p| p.0.as_str()).collect::<Vec<_>>(),
        ["cd_id", "cp_id", "value"]
    );
    assert_eq!(p[0].1, "\"9_18446744073709551615\"");
}

#[test]
fn data_never_changes_the_schema() {
    let body = br#"{"return":{"status":"OK","status_code":"0"},"calls":[
        {"cd_id":1,"brand_new_field":"x","cd_returl":5,"cdc_extra9":null,"resp_7":"1"}]}"#;
    let records = records_of(body);
    let batch = velip_arrow::to_record_batch(&records).unwrap();
    assert_eq!(batch.schema(), schema());
    assert_batch_matches(&records, &batch);
    let empty = velip_arrow::to_record_batch(&[]).unwrap();
    assert_eq!(empty.schema(), schema());
}

#[test]
fn every_field_names_its_wire_field() {
    let schema = schema();
    for f in schema.fields() {
        let wire = f.metadata().get(velip_arrow::WIRE_FIELD_KEY);
        assert_eq!(wire.is_none(), f.name() == c::PROBLEMS, "{}", f.name());
    }
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(names, c::ALL);
    let non_null: Vec<&str> = schema
        .fields()
        .iter()
        .filter(|f| !f.is_nullable())
        .map(|f| f.name().as_str())
        .collect();
    assert_eq!(
        non_null,
        [c::CALL_ID, c::CALL_NUMBER, c::DTMF, c::EXTRA, c::PROBLEMS]
    );
}

/// The README's table is the crate's documentation: it must say what the
/// schema is (names, order, types, wire fields, units).
#[test]
fn readme_table_matches_the_schema() {
    let readme = include_str!("../README.md");
    let rows: Vec<Vec<String>> = readme
        .lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            l.trim()
                .trim_matches('|')
                .split('|')
                .map(|cell| cell.trim().trim_matches('`').to_owned())
                .collect()
        })
        .collect();
    let schema = schema();
    assert_eq!(rows.len(), schema.fields().len());
    for (row, f) in rows.iter().zip(schema.fields()) {
        assert_eq!(row[0], *f.name());
        assert_eq!(row[1], readable_type(f.data_type()), "{}", f.name());
        let wire = f.metadata().get(velip_arrow::WIRE_FIELD_KEY).cloned();
        assert_eq!(row[2], wire.unwrap_or_default(), "{}", f.name());
        let unit = f.metadata().get(velip_arrow::UNIT_KEY).cloned();
        assert_eq!(row[4], unit.unwrap_or_default(), "{}", f.name());
    }
}

fn readable_type(t: &DataType) -> String {
    match t {
        DataType::Utf8 => "utf8".into(),
        DataType::Int32 => "int32".into(),
        DataType::Int64 => "int64".into(),
        DataType::Boolean => "bool".into(),
        DataType::Date32 => "date32".into(),
        DataType::Time32(_) => "time32(s)".into(),
        DataType::Timestamp(_, Some(tz)) => format!("timestamp(s, {tz})"),
        DataType::Decimal128(p, s) => format!("decimal128({p}, {s})"),
        DataType::Dictionary(k, v) => {
            format!("dictionary<{}, {}>", readable_type(k), readable_type(v))
        }
        DataType::List(item) => format!("list<{}>", readable_type(item.data_type())),
        DataType::Map(entries, _) => match entries.data_type() {
            DataType::Struct(kv) => format!(
                "map<{}, {}>",
                readable_type(kv[0].data_type()),
                readable_type(kv[1].data_type())
            ),
            other => panic!("{other}"),
        },
        DataType::Struct(fields) => format!(
            "struct<{}>",
            fields
                .iter()
                .map(|f| format!("{}: {}", f.name(), readable_type(f.data_type())))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => panic!("undocumented type {other}"),
    }
}

#[test]
fn the_reader_streams_a_batch_per_page_and_stops_at_an_error() {
    use arrow_array::RecordBatchReader;
    let first = generate::records(300, 3, 10_000, 1);
    let second = generate::records(5, 4, 9_700, 1);
    let pages: Vec<Result<Vec<CallRecord>, std::io::Error>> = vec![
        Ok(first.clone()),
        Ok(second.clone()),
        Err(std::io::Error::other("rate limited")),
        Ok(first.clone()),
    ];
    let mut reader = velip_arrow::CallBatchReader::new(pages.into_iter());
    assert_eq!(reader.schema(), schema());
    assert_batch_matches(&first, &reader.next().unwrap().unwrap());
    assert_batch_matches(&second, &reader.next().unwrap().unwrap());
    let err = reader.next().unwrap().unwrap_err();
    let arrow_schema::ArrowError::ExternalError(inner) = err else {
        panic!("{err}")
    };
    assert_eq!(
        inner.downcast_ref::<std::io::Error>().unwrap().to_string(),
        "rate limited"
    );
    assert!(reader.next().is_none(), "nothing after an error");
}
