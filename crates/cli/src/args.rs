//! Command-line arguments (clap derive).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Look up and export call records from the Velip voice platform
/// (GetCallStatus).
///
/// Every command works offline with `--sandbox`, which starts a local
/// simulator of the service with generated data.
#[derive(Debug, Parser)]
#[command(name = "velip", version, about, long_about = None, propagate_version = true)]
#[command(after_help = EXIT_CODES_HELP)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: Global,
    #[command(subcommand)]
    pub(crate) command: Command,
}

pub(crate) const EXIT_CODES_HELP: &str = "\
Exit codes:
  0 success              6 rate limited
  1 other error (I/O)    7 other API error
  2 usage                8 server error (5xx)
  3 validation           9 transport (connect, timeout)
  4 authentication      10 undecodable answer
  5 forbidden (IP)      11 paging cannot go on
 12 call not found      13 request budget spent
130 interrupted (Ctrl-C)";

/// Options of every command.
#[derive(Debug, Args)]
#[allow(clippy::doc_markdown)] // the doc comments are `--help` text, not rustdoc
pub(crate) struct Global {
    /// Base URL of the service [default: $VELIP_BASE_URL, else
    /// https://vox.velip.com.br].
    #[arg(long, global = true, value_name = "URL")]
    pub(crate) base_url: Option<String>,

    /// Account token, sent as `Authorization: Bearer` (never in a URL)
    /// [default: $VELIP_TOKEN].
    #[arg(long, global = true, value_name = "TOKEN")]
    pub(crate) token: Option<String>,

    /// HTTP Basic user, instead of a token (Basic always returns full
    /// numbers) [default: $VELIP_USER].
    #[arg(long, global = true, value_name = "USER")]
    pub(crate) user: Option<String>,

    /// HTTP Basic password [default: $VELIP_PASSWORD].
    #[arg(long, global = true, value_name = "PASSWORD")]
    pub(crate) password: Option<String>,

    /// Per-request deadline, in seconds (more than 0, at most 86400).
    #[arg(long, global = true, default_value = "60", value_parser = parse_seconds, value_name = "SECONDS")]
    pub(crate) timeout: std::time::Duration,

    /// Retries after the first attempt for transient failures (never for
    /// authentication errors).
    #[arg(long, global = true, default_value_t = 2, value_name = "N")]
    pub(crate) retries: u32,

    /// More log output on stderr (-v: info, -vv: debug with one line per request).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub(crate) verbose: u8,

    /// Only errors on stderr (no progress, no warnings).
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub(crate) quiet: bool,

    /// Fail on a record field that cannot be read (instead of leaving it
    /// empty with a note in the `problems` column).
    #[arg(long, global = true)]
    pub(crate) strict: bool,

    /// When the quota is used up, fail at once (exit 6) instead of waiting
    /// (`calls export`, `calls push` wait by default; the others never do).
    #[arg(long, global = true)]
    pub(crate) no_wait: bool,

    /// The longest quota wait, in seconds (default: 3700, one hourly window
    /// and a minute).
    #[arg(long, global = true, default_value = "3700", value_parser = parse_seconds, value_name = "SECONDS")]
    pub(crate) max_wait: std::time::Duration,

    /// Send at most this many requests (retries included); the job stops
    /// with exit 13 and can be resumed.
    #[arg(long, global = true, value_name = "N")]
    pub(crate) max_requests: Option<u64>,

    /// The account's list quota, requests per window (default: 200, the
    /// service's).
    #[arg(long, global = true, value_name = "N")]
    pub(crate) list_quota: Option<u32>,

    /// The list quota's window, in seconds (default: 3600).
    #[arg(long, global = true, default_value = "3600", value_parser = parse_seconds, value_name = "SECONDS")]
    pub(crate) list_window: std::time::Duration,

    /// Start the embedded sandbox (a local simulator with generated data) and
    /// use it: no account, no network.
    #[arg(long, global = true)]
    pub(crate) sandbox: bool,

    /// Number of calls the embedded sandbox generates (at most 5,000,000).
    #[arg(long, global = true, default_value_t = 200_000, value_name = "N",
          value_parser = clap::value_parser!(u32).range(0..=5_000_000))]
    pub(crate) sandbox_calls: u32,

    /// Seed of the embedded sandbox's data generator.
    #[arg(long, global = true, value_name = "SEED")]
    pub(crate) sandbox_seed: Option<u64>,
}

#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once per process
pub(crate) enum Command {
    /// One call: by call id or by correlation id.
    #[command(subcommand)]
    Call(CallCommand),
    /// Many calls: list, export to a file, or push to a webhook.
    #[command(subcommand)]
    Calls(CallsCommand),
    /// Turn a saved answer body or webhook payload into JSON lines of
    /// normalized records.
    Decode(DecodeArgs),
    /// What the quota ledger knows for these credentials: list requests in
    /// the window, lookups today, Retry-After deadlines, a lock-out.
    Quota {
        /// Output format.
        #[arg(long, value_enum, default_value_t = RecordFormat::Text)]
        format: RecordFormat,
    },
    /// Credentials: clear a lock-out after an authentication failure.
    #[command(subcommand)]
    Auth(AuthCommand),
}

#[derive(Debug, Subcommand)]
pub(crate) enum AuthCommand {
    /// Clear the lock-out of these credentials (after fixing them): every
    /// process of yours refuses to send with credentials that failed
    /// authentication, since repeated failures get the IP banned for good.
    Reset,
}

#[derive(Debug, Subcommand)]
pub(crate) enum CallCommand {
    /// Get one call by its id (`42_123456`, or bare digits).
    Get {
        /// The call id, as MakeTTSCall returned it.
        call_id: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = RecordFormat::Text)]
        format: RecordFormat,
    },
    /// Find the calls with a customer correlation id (may be several).
    Find {
        /// The correlation id (`ctid`).
        #[arg(long)]
        ctid: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = RecordFormat::Text)]
        format: RecordFormat,
    },
}

#[derive(Debug, Subcommand)]
#[allow(clippy::doc_markdown)] // the doc comments are `--help` text, not rustdoc
pub(crate) enum CallsCommand {
    /// List calls to stdout.
    List {
        #[command(flatten)]
        filters: Filters,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
        /// Stop after this many records.
        #[arg(long, value_name = "N")]
        limit: Option<u64>,
        #[command(flatten)]
        csv: CsvOptions,
    },
    /// Export calls to a file (CSV, JSON lines or Parquet) or a
    /// date-partitioned Parquet dataset, streaming page by page, resumable
    /// after an interruption.
    Export {
        #[command(flatten)]
        filters: Filters,
        /// The file to write (the folder, with --partition-by). Written aside
        /// and renamed into place on success.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// File format; default: from the extension (`.csv`, `.jsonl`,
        /// `.parquet`), Parquet with --partition-by.
        #[arg(long, value_enum)]
        format: Option<ExportFormat>,
        /// Write a Hive-style Parquet dataset into the folder --out, one
        /// folder per call date: DIR/date=2026-11-20/part-00000.parquet.
        #[arg(long, value_enum, value_name = "COLUMN")]
        partition_by: Option<PartitionBy>,
        /// Continue an interrupted export of the same selection from its
        /// checkpoint, or start one when there is none (safe in cron).
        #[arg(long, conflicts_with = "restart")]
        resume: bool,
        /// Discard an earlier, interrupted export of this file and start over.
        #[arg(long)]
        restart: bool,
        #[command(flatten)]
        csv: CsvOptions,
    },
    /// Ask the service to deliver the calls to a webhook (`rurl`) instead of
    /// answering inline.
    Push {
        #[command(flatten)]
        filters: Filters,
        /// Webhook URL (absolute http/https).
        #[arg(long, value_name = "URL")]
        rurl: String,
        /// Delivery method (default: the account's setting).
        #[arg(long, value_enum)]
        rurl_method: Option<HttpMethod>,
        /// `json`: one JSON body; `form`: one form-encoded delivery per call.
        #[arg(long, value_enum)]
        rurl_type: Option<WebhookType>,
        /// Extra header for the deliveries, `Name: value` (repeatable).
        #[arg(long = "rurl-header", value_name = "HEADER")]
        rurl_headers: Vec<String>,
        /// HTTP Basic user for the deliveries.
        #[arg(long, value_name = "USER")]
        rurl_user: Option<String>,
        /// HTTP Basic password for the deliveries [default:
        /// $VELIP_RURL_PASSWORD].
        #[arg(
            long,
            env = "VELIP_RURL_PASSWORD",
            hide_env_values = true,
            value_name = "PASSWORD"
        )]
        rurl_password: Option<String>,
        /// Continue an interrupted push of the same selection (or start one).
        #[arg(long, conflicts_with = "restart")]
        resume: bool,
        /// Discard an interrupted push of this selection and start over.
        #[arg(long)]
        restart: bool,
        /// Where the push's checkpoint is kept [default: the state folder,
        /// $VELIP_STATE_DIR or ~/.local/state/velip].
        #[arg(long, value_name = "FILE")]
        checkpoint: Option<PathBuf>,
    },
}

/// Which calls: every filter of GetCallStatus.
#[derive(Debug, Args, Clone, Default)]
pub(crate) struct Filters {
    /// Campaign id (`cp_id`).
    #[arg(long, value_name = "ID")]
    pub(crate) campaign_id: Option<i64>,
    /// Customer-side campaign ref (`cpid`); the latest matching campaign.
    #[arg(long, value_name = "REF")]
    pub(crate) campaign_ref: Option<String>,
    /// First day, inclusive, `YYYY-MM-DD`.
    #[arg(long, value_name = "DATE")]
    pub(crate) date_start: Option<String>,
    /// Last day, inclusive, `YYYY-MM-DD`.
    #[arg(long, value_name = "DATE")]
    pub(crate) date_end: Option<String>,
    /// Customer correlation id (`ctid`).
    #[arg(long, value_name = "CTID", conflicts_with = "empty_ctid")]
    pub(crate) ctid: Option<String>,
    /// Only calls whose correlation id is empty (`ctid=null`).
    #[arg(long)]
    pub(crate) empty_ctid: bool,
    /// Only calls with at least one DTMF answer.
    #[arg(long)]
    pub(crate) only_dtmf: bool,
    /// How the service writes destinations (`numtype`): `international`
    /// (5511999999999), `0ddd` (011999999999) or `ddd` (11999999999). velip
    /// reads all three and prints valid numbers in E.164 (+5511999999999).
    #[arg(long, value_enum, value_name = "STYLE")]
    pub(crate) numtype: Option<NumType>,
    /// The `origin` marker echoed in each record, `[a-zA-Z0-9_-]{1,32}`.
    #[arg(long)]
    pub(crate) origin: Option<String>,
    /// Records per page, 1..=5000 (default: 5000, the server maximum; for
    /// `calls list --limit N`, N when smaller).
    #[arg(long, value_name = "N")]
    pub(crate) page_size: Option<i64>,
    /// Start after this cursor (a previous page's `next_id`).
    #[arg(long, value_name = "CURSOR")]
    pub(crate) cursor: Option<String>,
}

/// CSV dialect options.
#[derive(Debug, Args, Clone, Copy, Default)]
pub(crate) struct CsvOptions {
    /// `pt-BR`: `;` separators and decimal commas, for spreadsheets in
    /// Brazil. Default: RFC 4180 with `,` and decimal dots.
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

#[derive(Debug, Args)]
pub(crate) struct DecodeArgs {
    /// The saved body; `-` or nothing for stdin.
    pub(crate) file: Option<PathBuf>,
    /// The body is a form-encoded webhook delivery (one call).
    #[arg(long)]
    pub(crate) form: bool,
}

/// A number of seconds (its range is the client builder's rule).
fn parse_seconds(s: &str) -> Result<std::time::Duration, String> {
    s.trim()
        .parse::<f64>()
        .ok()
        .and_then(|v| std::time::Duration::try_from_secs_f64(v).ok())
        .ok_or_else(|| format!("{s:?} is not a number of seconds"))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum RecordFormat {
    /// Human-readable.
    Text,
    /// JSON.
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ListFormat {
    /// Aligned columns.
    Table,
    /// CSV with a header.
    Csv,
    /// One JSON object per line.
    Jsonl,
    /// One JSON array.
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ExportFormat {
    /// CSV with a header.
    Csv,
    /// One JSON object per line.
    Jsonl,
    /// Apache Parquet: typed columns, zstd, a row group per page.
    Parquet,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum PartitionBy {
    /// The call date (America/Sao_Paulo): a folder per day.
    Date,
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
pub(crate) enum NumType {
    /// 5511999999999 (country code + DDD + number).
    International,
    /// 011999999999 (trunk 0 + DDD + number).
    #[value(name = "0ddd", alias = "0DDD")]
    TrunkPrefixed,
    /// 11999999999 (DDD + number).
    #[value(name = "ddd", alias = "DDD")]
    Ddd,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum HttpMethod {
    /// POST.
    #[value(name = "POST", alias = "post")]
    Post,
    /// GET.
    #[value(name = "GET", alias = "get")]
    Get,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum WebhookType {
    /// One JSON body.
    Json,
    /// One form-encoded delivery per call.
    Form,
}
