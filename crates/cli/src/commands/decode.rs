//! `velip decode`: a saved answer body or webhook payload → JSON lines of
//! normalized records.

use std::io::{Read, Write};

use velip_core::ApiError;
use velip_core::decode::{decode_page, decode_webhook_form};

use crate::args::DecodeArgs;
use crate::exit::Failure;
use crate::output;

fn looks_like_form(body: &[u8]) -> bool {
    let first = body.split(|&b| b == b'&').next().unwrap_or_default();
    match first.iter().position(|&b| b == b'=') {
        Some(eq) if eq > 0 => first[..eq]
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'_' || b == b'%' || b == b'.'),
        _ => false,
    }
}

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
    // Without --form, a body is a form delivery only when it starts like one
    // (`key=value&...`); anything else is read as an answer body, which also
    // copes with a PHP notice printed before the JSON.
    let sniff_form = !a.form && looks_like_form(&body);
    if a.form || sniff_form {
        let r = decode_webhook_form(&body).map_err(velip_blocking::Error::Decode)?;
        output::write_jsonl(&mut out, &r).map_err(io)?;
        return out.flush().map_err(io);
    }
    let page = decode_page(&body).map_err(velip_blocking::Error::Decode)?;
    for r in &page.records {
        output::write_jsonl(&mut out, r).map_err(io)?;
    }
    out.flush().map_err(io)?;
    if page.status_code != "0" && !page.status_code.is_empty() {
        // An error body: say what it means, with the exit code of its class.
        let e = ApiError::from_parts(0, &page.status_code, &page.status, None);
        return Err(Failure::Sdk(e.into()));
    }
    if let Some(w) = &page.warning {
        note!("warning: {w}");
    }
    Ok(())
}
