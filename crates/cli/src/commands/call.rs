//! `velip call get` and `velip call find`.

use std::io::Write;

use velip_core::CallRecord;

use crate::args::RecordFormat;
use crate::context::Context;
use crate::exit::Failure;
use crate::output;

/// Prints records; JSON is one object for `get` and always an array for
/// `find` (whatever the number of matches).
fn print(records: &[CallRecord], format: RecordFormat, json_array: bool) -> Result<(), Failure> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let res = match format {
        RecordFormat::Json if !json_array && records.len() == 1 => {
            serde_json::to_writer_pretty(&mut out, &records[0])
                .map_err(std::io::Error::from)
                .and_then(|()| writeln!(out))
        }
        RecordFormat::Json => serde_json::to_writer_pretty(&mut out, records)
            .map_err(std::io::Error::from)
            .and_then(|()| writeln!(out)),
        RecordFormat::Text => records.iter().enumerate().try_for_each(|(i, r)| {
            if i > 0 {
                writeln!(out)?;
            }
            output::text::record(&mut out, r)
        }),
    };
    res.map_err(|e| Failure::io("stdout", e))
}

pub(crate) fn get(ctx: &Context, call_id: &str, format: RecordFormat) -> Result<(), Failure> {
    let record = ctx.client.get_call(call_id)?;
    print(std::slice::from_ref(&record), format, false)
}

pub(crate) fn find(ctx: &Context, ctid: &str, format: RecordFormat) -> Result<(), Failure> {
    let records = ctx.client.find_calls(ctid)?;
    if records.is_empty() {
        return Err(Failure::NotFound(format!(
            "no call has correlation id {ctid:?}"
        )));
    }
    print(&records, format, true)
}
