//! `velip decode`: a saved answer body or webhook payload → JSON lines of
//! normalized records.

use std::io::{Read, Write};

use velip_core::decode::{BodyKind, HttpAnswer, WebhookPayload, classify_answer, sniff_body};

use crate::args::decode::DecodeArgs;
use crate::exit::Failure;

pub(crate) fn run(a: &DecodeArgs) -> Result<(), Failure> {
    let mut body = Vec::new();
    match a.file.as_deref() {
        None => std::io::stdin().read_to_end(&mut body),
        Some(p) if p.as_os_str() == "-" => std::io::stdin().read_to_end(&mut body),
        Some(p) => std::fs::File::open(p).and_then(|mut f| f.read_to_end(&mut body)),
    }
    .map_err(|e| {
        let name = a
            .file
            .as_ref()
            .map_or("stdin".into(), |p| p.display().to_string());
        Failure::io(name, e)
    })?;

    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let io = |e: std::io::Error| Failure::io("stdout", e);
    // Without --form, what the body holds is sniffed (core's one rule); an
    // answer body is classified by core as the client classifies a live
    // answer, with the status and headers given (unknown status: read as a
    // successful answer). A body that came with an HTTP status is an answer.
    if a.form || (a.http_status.is_none() && sniff_body(&body) == BodyKind::Form) {
        // One delivery per line (a GET delivery's query string too); a line
        // that cannot be read is reported and the others still printed.
        let mut first_error = None;
        for (line, r) in WebhookPayload::from_form_lines(&body) {
            match r {
                Ok(r) => velip_store::rows::jsonl::write_record(&mut out, &r).map_err(io)?,
                Err(e) => {
                    note!("line {line}: {e}");
                    first_error.get_or_insert(e);
                }
            }
        }
        out.flush().map_err(io)?;
        return match first_error {
            Some(e) => Err(Failure::from(velip_blocking::Error::Decode(e))),
            None => Ok(()),
        };
    }
    let mut answer = match a.http_status {
        Some(status) => HttpAnswer::new(status, &body),
        None => HttpAnswer::saved(&body),
    };
    if let Some(v) = a.retry_after.as_deref() {
        answer = answer.retry_after(v);
    }
    if let Some(v) = a.content_type.as_deref() {
        answer = answer.content_type(v);
    }
    let page = classify_answer(&answer).map_err(velip_blocking::Error::from)?;
    for r in &page.records {
        velip_store::rows::jsonl::write_record(&mut out, r).map_err(io)?;
    }
    out.flush().map_err(io)?;
    if let Some(w) = &page.warning {
        note!("warning: {w}");
    }
    Ok(())
}
