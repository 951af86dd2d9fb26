//! Output options shared by several commands: CSV dialects, record formats.

use clap::{Args, ValueEnum};

use super::heading;

/// CSV dialect options.
#[derive(Debug, Args, Clone, Copy, Default)]
#[command(next_help_heading = heading::OUTPUT)]
pub(crate) struct CsvOptions {
    /// `pt-BR`: `;` separators and decimal commas, for spreadsheets in
    /// Brazil; `C`: RFC 4180 with `,` and decimal dots [default: C]. CSV
    /// output only.
    #[arg(long, value_enum, value_name = "LOCALE")]
    pub(crate) csv_locale: Option<CsvLocale>,
}

impl CsvOptions {
    /// The store's CSV dialect.
    pub(crate) fn dialect(self) -> velip_store::rows::csv::CsvDialect {
        match self.csv_locale {
            Some(CsvLocale::PtBr) => velip_store::rows::csv::CsvDialect::PtBr,
            _ => velip_store::rows::csv::CsvDialect::Rfc4180,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum CsvLocale {
    /// `;` separators and decimal commas.
    #[value(name = "pt-BR", alias = "pt-br", alias = "pt_BR")]
    PtBr,
    /// `,` separators and decimal dots (RFC 4180).
    #[value(name = "C", alias = "en")]
    C,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum RecordFormat {
    /// Human-readable.
    Text,
    /// JSON.
    Json,
}
