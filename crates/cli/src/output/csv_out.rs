//! CSV writing: RFC 4180 by default, or the pt-BR dialect (`;` and decimal
//! commas) for spreadsheets in Brazil.

use std::io::Write;

use velip_core::CallRecord;

use super::columns::{COLUMNS, cells};
use crate::args::CsvLocale;

/// A CSV writer over any output, header written on request.
pub(crate) struct CsvOut<W: Write> {
    inner: csv::Writer<W>,
    decimal_comma: bool,
}

impl<W: Write> CsvOut<W> {
    pub(crate) fn new(out: W, locale: Option<CsvLocale>) -> Self {
        let pt = locale == Some(CsvLocale::PtBr);
        let inner = csv::WriterBuilder::new()
            .delimiter(if pt { b';' } else { b',' })
            .terminator(csv::Terminator::CRLF)
            .from_writer(out);
        Self {
            inner,
            decimal_comma: pt,
        }
    }

    /// The header row; for pt-BR, preceded by a UTF-8 byte-order mark so that
    /// spreadsheet programs read accents right.
    pub(crate) fn header(&mut self) -> std::io::Result<()> {
        let result = if self.decimal_comma {
            let mut cols: Vec<String> = COLUMNS.iter().map(|c| (*c).to_owned()).collect();
            cols[0].insert(0, '\u{feff}');
            self.inner.write_record(&cols)
        } else {
            self.inner.write_record(COLUMNS)
        };
        result.map_err(std::io::Error::other)
    }

    pub(crate) fn record(&mut self, r: &CallRecord) -> std::io::Result<()> {
        self.inner
            .write_record(cells(r, self.decimal_comma))
            .map_err(std::io::Error::other)
    }

    pub(crate) fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }

    pub(crate) fn get_ref(&self) -> &W {
        self.inner.get_ref()
    }
}
