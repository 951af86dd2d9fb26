//! Database URLs: `sqlite:calls.db`, `sqlite:///abs/path.db`,
//! `postgres://user@host:port/db` (also `postgresql://`), parsed with the
//! `url` crate into what each driver needs, plus a display name without the
//! password for messages.

use std::path::PathBuf;
use std::time::Duration;

use percent_encoding::percent_decode_str;
use url::Url;

use super::error::{DbError, DbErrorKind};

/// The parameters a PostgreSQL URL may carry (libpq's names).
const PG_PARAMS: &str =
    "sslmode, connect_timeout, application_name, options, host, port, user, password, dbname";

/// Where a database is.
#[derive(Debug)]
pub(crate) enum Target {
    /// A SQLite file (absolute path).
    Sqlite(PathBuf),
    /// A PostgreSQL server (the config redacts the password in `Debug`).
    Postgres(Box<postgres::Config>),
}

/// A parsed database URL.
#[derive(Debug)]
pub(crate) struct DbUrl {
    pub(crate) target: Target,
    /// For messages: the absolute file path, or `postgres://user@host:port/db`
    /// (never the password).
    pub(crate) name: String,
}

fn invalid(url_for_message: &str, why: impl std::fmt::Display) -> DbError {
    DbError::new(
        DbErrorKind::InvalidUrl,
        format!(
            "invalid database URL {url_for_message}: {why} (expected sqlite:calls.db, \
             sqlite:///abs/path.db or postgres://user@host:port/db)"
        ),
    )
}

fn decode(text: &str) -> String {
    percent_decode_str(text).decode_utf8_lossy().into_owned()
}

/// How a database URL's `sqlite:` path is read ([`OpenOptions::url_style`](super::OpenOptions::url_style)).
///
/// | URL | [`Velip`](Self::Velip) | [`SqlAlchemy`](Self::SqlAlchemy) |
/// | --- | --- | --- |
/// | `sqlite:calls.db` | `./calls.db` | `./calls.db` |
/// | `sqlite://calls.db` | `./calls.db` | `./calls.db` |
/// | `sqlite:///calls.db` | `/calls.db` | `./calls.db` |
/// | `sqlite:////srv/calls.db` | `/srv/calls.db` | `/srv/calls.db` |
/// | `postgresql+psycopg://...` | refused | `postgresql://...` |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum UrlStyle {
    /// velip's own (the CLI and Rust): the path after `sqlite:` as a file
    /// URL reads it, `sqlite:///srv/calls.db` absolute.
    #[default]
    Velip,
    /// SQLAlchemy's and Django's (`dj-database-url`), what Python users
    /// write: `sqlite:///calls.db` is relative to the current folder,
    /// `sqlite:////srv/calls.db` absolute; a `+driver` suffix of the scheme
    /// (`postgresql+psycopg2://`, `sqlite+pysqlite://`) is accepted and
    /// ignored.
    SqlAlchemy,
}

/// The `sqlite:` URL of a file path, in the [`UrlStyle::Velip`] style
/// (absolute, percent-encoded): `/srv/my calls.db` gives
/// `sqlite:///srv/my%20calls.db`.
///
/// ```
/// let url = velip_store::db::sqlite_url(std::path::Path::new("/srv/my calls.db"))?;
/// assert_eq!(url, "sqlite:///srv/my%20calls.db");
/// # Ok::<(), velip_store::db::DbError>(())
/// ```
///
/// # Errors
/// [`DbErrorKind::InvalidUrl`] when the path cannot be made absolute.
pub fn sqlite_url(path: &std::path::Path) -> Result<String, DbError> {
    let abs = std::path::absolute(path).map_err(|e| {
        invalid(
            &path.display().to_string(),
            format_args!("cannot resolve the path: {e}"),
        )
    })?;
    let file = Url::from_file_path(&abs)
        .map_err(|()| invalid(&abs.display().to_string(), "not an absolute path"))?;
    Ok(format!("sqlite://{}", file.path()))
}

/// Parses a database URL. The password, if any, goes into the driver
/// config only; messages show [`DbUrl::name`].
#[cfg(test)]
pub(crate) fn parse(text: &str) -> Result<DbUrl, DbError> {
    parse_with(text, UrlStyle::Velip)
}

/// Parses a database URL read in `style`.
pub(crate) fn parse_with(text: &str, style: UrlStyle) -> Result<DbUrl, DbError> {
    let text = text.trim();
    let Ok(url) = Url::parse(text) else {
        // Not a URL at all; do not echo it (it may hold a password).
        let ext = std::path::Path::new(text)
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default();
        let hint = if ["db", "sqlite", "sqlite3"]
            .iter()
            .any(|e| ext.eq_ignore_ascii_case(e))
        {
            format!(" (did you mean sqlite:{text}?)")
        } else {
            String::new()
        };
        return Err(DbError::new(
            DbErrorKind::InvalidUrl,
            format!(
                "invalid database URL: not a URL{hint}; expected sqlite:calls.db, \
                 sqlite:///abs/path.db or postgres://user@host:port/db"
            ),
        ));
    };
    let scheme = match (style, url.scheme().split_once('+')) {
        (UrlStyle::SqlAlchemy, Some((base, _driver))) => base,
        _ => url.scheme(),
    };
    match scheme {
        "sqlite" => parse_sqlite(&url, style),
        "postgres" | "postgresql" => parse_postgres(&url),
        other => Err(invalid(
            &format!("{other}:..."),
            format_args!("unknown scheme {other:?}; supported: sqlite, postgres, postgresql"),
        )),
    }
}

fn parse_sqlite(url: &Url, style: UrlStyle) -> Result<DbUrl, DbError> {
    let shown = url.as_str();
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid(shown, "a sqlite URL takes no parameters"));
    }
    let path = decode(url.path());
    // SQLAlchemy: `sqlite:///rel.db` (three slashes, then a relative path),
    // `sqlite:////abs.db` (four).
    let path = match style {
        UrlStyle::SqlAlchemy if url.has_authority() => match path.strip_prefix('/') {
            Some(rest) => rest.to_owned(),
            None => path,
        },
        _ => path,
    };
    // `sqlite://dir/calls.db`: the "host" is the first part of a relative path.
    let path = match url.host_str() {
        Some(host) if !host.is_empty() => format!("{}{path}", decode(host)),
        _ => path,
    };
    // `sqlite:////abs/path.db` (SQLAlchemy's spelling) is `/abs/path.db` too.
    let path = if path.starts_with("//") {
        format!("/{}", path.trim_start_matches('/'))
    } else {
        path
    };
    if path.is_empty() {
        return Err(invalid(shown, "no file path"));
    }
    if path == ":memory:" || path.starts_with("file:") || path.contains("mode=memory") {
        return Err(invalid(
            shown,
            "in-memory databases are not supported (a sync state must outlive the process); give a file path",
        ));
    }
    let path = std::path::absolute(&path)
        .map_err(|e| invalid(shown, format_args!("cannot resolve the path: {e}")))?;
    Ok(DbUrl {
        name: path.display().to_string(),
        target: Target::Sqlite(path),
    })
}

fn parse_postgres(url: &Url) -> Result<DbUrl, DbError> {
    let mut shown = url.clone();
    let _ = shown.set_password(None);
    let shown = shown.to_string();
    let mut config = postgres::Config::new();
    config.application_name("velip");
    config.connect_timeout(Duration::from_secs(10));

    let mut user = (!url.username().is_empty()).then(|| decode(url.username()));
    let mut password = url.password().map(decode);
    let mut host = url.host_str().filter(|h| !h.is_empty()).map(decode);
    let mut port = url.port();
    let mut dbname = {
        let p = decode(url.path().trim_start_matches('/'));
        (!p.is_empty()).then_some(p)
    };
    if url.fragment().is_some() {
        return Err(invalid(&shown, "a postgres URL takes no #fragment"));
    }
    for (key, value) in url.query_pairs() {
        let value = value.into_owned();
        match key.as_ref() {
            "sslmode" => match value.as_str() {
                "disable" => {
                    config.ssl_mode(postgres::config::SslMode::Disable);
                }
                // Without TLS support these connect in plain text, as libpq does
                // when the server offers no TLS.
                "allow" | "prefer" => {
                    config.ssl_mode(postgres::config::SslMode::Prefer);
                }
                "require" | "verify-ca" | "verify-full" => {
                    return Err(invalid(
                        &shown,
                        format_args!(
                            "sslmode={value} is not supported by this build (no TLS); connect over \
                             a unix socket or 127.0.0.1, or through a TLS tunnel, with sslmode=disable"
                        ),
                    ));
                }
                _ => return Err(invalid(&shown, format_args!("unknown sslmode {value:?}"))),
            },
            "connect_timeout" => {
                let secs: u64 = value.parse().map_err(|_| {
                    invalid(&shown, "connect_timeout must be a whole number of seconds")
                })?;
                if secs > 0 {
                    config.connect_timeout(Duration::from_secs(secs));
                }
            }
            "application_name" => {
                config.application_name(&value);
            }
            "options" => {
                config.options(&value);
            }
            "host" => host = Some(value),
            "port" => {
                port = Some(
                    value
                        .parse()
                        .map_err(|_| invalid(&shown, "port must be a number"))?,
                );
            }
            "user" => user = Some(value),
            "password" => password = Some(value),
            "dbname" => dbname = Some(value),
            other => {
                return Err(invalid(
                    &shown,
                    format_args!("unknown parameter {other:?}; supported: {PG_PARAMS}"),
                ));
            }
        }
    }
    let user = user
        .or_else(|| std::env::var("PGUSER").ok())
        .or_else(|| std::env::var("USER").ok())
        .ok_or_else(|| invalid(&shown, "no user: write postgres://USER@host/db"))?;
    let host = host.unwrap_or_else(|| "localhost".to_owned());
    let port = port.unwrap_or(5432);
    let dbname = dbname.unwrap_or_else(|| user.clone());
    config.user(&user);
    if let Some(p) = &password {
        config.password(p);
    }
    if host.starts_with('/') {
        config.host_path(&host);
    } else {
        config.host(&host);
    }
    config.port(port);
    config.dbname(&dbname);
    let name = if host.starts_with('/') {
        format!("postgres://{user}@{host}/{dbname} (unix socket)")
    } else if host.contains(':') {
        format!("postgres://{user}@[{host}]:{port}/{dbname}")
    } else {
        format!("postgres://{user}@{host}:{port}/{dbname}")
    };
    Ok(DbUrl {
        target: Target::Postgres(Box::new(config)),
        name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sqlite_path(text: &str) -> PathBuf {
        match parse(text).unwrap().target {
            Target::Sqlite(p) => p,
            Target::Postgres(_) => panic!("not sqlite"),
        }
    }

    #[test]
    fn sqlite_forms() {
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(sqlite_path("sqlite:calls.db"), cwd.join("calls.db"));
        assert_eq!(
            sqlite_path("sqlite:data/calls.db"),
            cwd.join("data/calls.db")
        );
        assert_eq!(sqlite_path("sqlite://calls.db"), cwd.join("calls.db"));
        assert_eq!(
            sqlite_path("sqlite:///abs/path.db"),
            PathBuf::from("/abs/path.db")
        );
        assert_eq!(
            sqlite_path("sqlite:////abs/path.db"),
            PathBuf::from("/abs/path.db")
        );
        assert_eq!(
            sqlite_path("sqlite:///abs/my%20calls.db"),
            PathBuf::from("/abs/my calls.db")
        );
    }

    #[test]
    fn sqlalchemy_style_reads_three_slashes_as_relative() {
        let cwd = std::env::current_dir().unwrap();
        let path = |text: &str| match parse_with(text, UrlStyle::SqlAlchemy).unwrap().target {
            Target::Sqlite(p) => p,
            Target::Postgres(_) => panic!("not sqlite"),
        };
        assert_eq!(path("sqlite:///calls.db"), cwd.join("calls.db"));
        assert_eq!(path("sqlite:///data/calls.db"), cwd.join("data/calls.db"));
        assert_eq!(
            path("sqlite:////abs/path.db"),
            PathBuf::from("/abs/path.db")
        );
        assert_eq!(path("sqlite:calls.db"), cwd.join("calls.db"));
        assert_eq!(path("sqlite+pysqlite:///calls.db"), cwd.join("calls.db"));
        assert!(matches!(
            parse_with("postgresql+psycopg2://ana@h/db", UrlStyle::SqlAlchemy)
                .unwrap()
                .target,
            Target::Postgres(_)
        ));
        assert!(parse("postgresql+psycopg2://ana@h/db").is_err());
        // SQLAlchemy's `sqlite://` is an in-memory database: refused.
        assert!(parse_with("sqlite://", UrlStyle::SqlAlchemy).is_err());
        assert_eq!(
            sqlite_url(std::path::Path::new("rel dir/c#1.db")).unwrap(),
            format!(
                "sqlite://{}",
                Url::from_file_path(cwd.join("rel dir/c#1.db"))
                    .unwrap()
                    .path()
            )
        );
        assert_eq!(
            sqlite_path(&sqlite_url(std::path::Path::new("rel dir/c#1.db")).unwrap()),
            cwd.join("rel dir/c#1.db")
        );
    }

    #[test]
    fn refusals_name_the_rule() {
        for (url, needle) in [
            ("sqlite::memory:", "in-memory"),
            ("sqlite:", "no file path"),
            ("sqlite:calls.db?mode=ro", "no parameters"),
            ("calls.db", "did you mean sqlite:calls.db"),
            ("mysql://u@h/db", "unknown scheme"),
            ("postgres://u@h/db?sslmode=require", "no TLS"),
            ("postgres://u@h/db?foo=1", "unknown parameter \"foo\""),
        ] {
            let err = parse(url).unwrap_err();
            assert_eq!(err.kind(), DbErrorKind::InvalidUrl, "{url}");
            assert!(err.to_string().contains(needle), "{url}: {err}");
        }
    }

    #[test]
    fn postgres_name_hides_the_password() {
        let u = parse("postgresql://ana:s3cr%3Ft@db.example:6543/calls?sslmode=disable").unwrap();
        assert_eq!(u.name, "postgres://ana@db.example:6543/calls");
        assert!(!format!("{u:?}").contains("s3cr"));
        let err = parse("postgres://ana:hunter22@h/db?x=1").unwrap_err();
        assert!(!err.to_string().contains("hunter22"), "{err}");
        let u = parse("postgres://ana@%2Frun%2Fpg/calls").unwrap();
        assert_eq!(u.name, "postgres://ana@/run/pg/calls (unix socket)");
        let u = parse("postgres:///calls?user=ana&host=/tmp/s&port=5433").unwrap();
        assert_eq!(u.name, "postgres://ana@/tmp/s/calls (unix socket)");
        let u = parse("postgres://ana@localhost").unwrap();
        assert_eq!(u.name, "postgres://ana@localhost:5432/ana");
    }
}
