//! The database: which backend a URL names, the connection pool, per-connection settings
//! and the embedded migrations.
//!
//! One `DbConn` enum over SQLite and PostgreSQL (diesel's `MultiConnection`) is used by
//! every store function. The backend is chosen from the URL scheme alone: SQLite accepts
//! any path, so we never "try each backend in turn" — an unknown scheme is an error.

pub mod day;
pub mod reporting;
pub mod schema;
pub mod words;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::r2d2::{self, ManageConnection};
use diesel::sqlite::SqliteConnection;
use diesel::Connection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// A connection to whichever backend the service was started with.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

/// Runs `$body` with `$c` bound to the concrete inner connection. For the few queries
/// that `MultiConnection` cannot express (`RETURNING`, upserts, bulk `COPY`).
#[macro_export]
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConn::Postgres($c) => $body,
            $crate::db::DbConn::Sqlite($c) => $body,
        }
    };
}

/// Which backend the service talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A parsed, validated `DATABASE_URL`.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// `sqlite://PATH` (relative or absolute) or `sqlite::memory:`.
    Sqlite(PathBuf),
    /// `postgres://...` or `postgresql://...`, passed to libpq unchanged.
    Postgres(String),
}

/// The one-line message for a URL we do not accept.
pub const ACCEPTED_URL_FORMS: &str =
    "expected sqlite://PATH (e.g. sqlite://data/outcomes.db) or postgres://USER@HOST[:PORT]/DATABASE";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DatabaseUrlError {
    #[error("unsupported database URL scheme '{0}': {ACCEPTED_URL_FORMS}")]
    UnknownScheme(String),
    #[error("malformed database URL: {ACCEPTED_URL_FORMS}")]
    Malformed,
    #[error("the SQLite URL has no file path: {ACCEPTED_URL_FORMS}")]
    EmptyPath,
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> Result<Self, DatabaseUrlError> {
        let url = url.trim();
        let Some((scheme, rest)) = url.split_once("://") else {
            return Err(DatabaseUrlError::Malformed);
        };
        match scheme.to_ascii_lowercase().as_str() {
            "sqlite" => {
                if rest.is_empty() {
                    return Err(DatabaseUrlError::EmptyPath);
                }
                Ok(DatabaseUrl::Sqlite(PathBuf::from(rest)))
            }
            "postgres" | "postgresql" => {
                if rest.is_empty() || rest.starts_with('/') && rest.len() == 1 {
                    return Err(DatabaseUrlError::Malformed);
                }
                Ok(DatabaseUrl::Postgres(url.to_string()))
            }
            "" => Err(DatabaseUrlError::Malformed),
            other => Err(DatabaseUrlError::UnknownScheme(other.to_string())),
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            DatabaseUrl::Sqlite(_) => Backend::Sqlite,
            DatabaseUrl::Postgres(_) => Backend::Postgres,
        }
    }

    /// Opens one connection with the per-connection settings applied.
    pub fn connect(&self) -> anyhow::Result<DbConn> {
        match self {
            DatabaseUrl::Sqlite(path) => {
                let path_str = path
                    .to_str()
                    .context("the SQLite path is not valid UTF-8")?;
                make_private(path)?;
                let mut conn = SqliteConnection::establish(path_str)
                    .with_context(|| format!("opening the SQLite database {}", path.display()))?;
                // WAL lets readers work beside the one writer; the busy timeout makes a
                // writer wait for the lock instead of failing with "database is locked".
                // Memory-mapped reads (up to SQLite's compiled limit) save a system call
                // and a copy per page read: reports over a national-scale file spent half
                // their time in pread (docs/performance.md). The mapping is the kernel's
                // page cache, shared by every connection, not memory of our own.
                conn.batch_execute(
                    "PRAGMA foreign_keys = ON;
                     PRAGMA busy_timeout = 10000;
                     PRAGMA journal_mode = WAL;
                     PRAGMA synchronous = NORMAL;
                     PRAGMA mmap_size = 17179869184;",
                )
                .context("setting SQLite pragmas")?;
                Ok(DbConn::Sqlite(conn))
            }
            DatabaseUrl::Postgres(url) => {
                let conn = PgConnection::establish(url)
                    .map_err(|e| anyhow::anyhow!("connecting to PostgreSQL: {e}"))?;
                Ok(DbConn::Postgres(conn))
            }
        }
    }

    /// Creates the folder of a SQLite file if it is missing (first start).
    pub fn prepare(&self) -> anyhow::Result<()> {
        if let DatabaseUrl::Sqlite(path) = self {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                // A folder made here is private (0700); an existing one is left as it is.
                let mut builder = std::fs::DirBuilder::new();
                builder.recursive(true);
                #[cfg(unix)]
                {
                    use std::os::unix::fs::DirBuilderExt;
                    builder.mode(0o700);
                }
                builder
                    .create(dir)
                    .with_context(|| format!("creating the database folder {}", dir.display()))?;
            }
        }
        Ok(())
    }

    /// The SQLite file, if this is SQLite.
    pub fn sqlite_path(&self) -> Option<&Path> {
        match self {
            DatabaseUrl::Sqlite(p) => Some(p),
            DatabaseUrl::Postgres(_) => None,
        }
    }
}

/// The SQLite file is readable by its owner only (finding L8): created 0600 when missing
/// (SQLite gives its -wal and -shm files the database file's mode), and tightened to 0600
/// when an existing file, or its -wal or -shm, is readable by others.
fn make_private(path: &Path) -> anyhow::Result<()> {
    if path.as_os_str() == ":memory:" {
        return Ok(());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        if !path.exists() {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)
            {
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => {
                    return Err(e).with_context(|| {
                        format!("creating the SQLite database {}", path.display())
                    })
                }
            }
        }
        let mut names = vec![path.to_path_buf()];
        for suffix in ["-wal", "-shm"] {
            let mut name = path.as_os_str().to_owned();
            name.push(suffix);
            names.push(name.into());
        }
        for name in names {
            if let Ok(meta) = std::fs::metadata(&name) {
                if meta.permissions().mode() & 0o077 != 0 {
                    std::fs::set_permissions(&name, std::fs::Permissions::from_mode(0o600))
                        .with_context(|| format!("making {} private", name.display()))?;
                }
            }
        }
    }
    Ok(())
}

/// Never prints a PostgreSQL password.
impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DatabaseUrl::Sqlite(p) => write!(f, "sqlite://{}", p.display()),
            DatabaseUrl::Postgres(_) => f.write_str("postgres://…"),
        }
    }
}

/// r2d2 manager that opens connections of the configured backend with our settings.
#[derive(Debug, Clone)]
pub struct Manager {
    url: DatabaseUrl,
}

impl ManageConnection for Manager {
    type Connection = DbConn;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<DbConn, Self::Error> {
        self.url.connect().map_err(|e| {
            diesel::r2d2::Error::ConnectionError(diesel::ConnectionError::BadConnection(format!(
                "{e:#}"
            )))
        })
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), Self::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, _conn: &mut DbConn) -> bool {
        false
    }
}

pub type Pool = r2d2::Pool<Manager>;
pub type PooledConn = r2d2::PooledConnection<Manager>;

/// Builds the pool. SQLite gets a small pool (one writer at a time anyway); PostgreSQL a
/// larger one.
pub fn pool(url: &DatabaseUrl, max_size: Option<u32>) -> anyhow::Result<Pool> {
    url.prepare()?;
    let size = max_size.unwrap_or(match url.backend() {
        Backend::Sqlite => 8,
        Backend::Postgres => 16,
    });
    r2d2::Pool::builder()
        .max_size(size)
        // A PostgreSQL connection is checked (`SELECT 1`) when taken from the pool: the
        // server may have closed it. A SQLite connection is a handle on a local file that
        // nothing between can break, and the check prepared a statement at every request.
        .test_on_check_out(url.backend() == Backend::Postgres)
        .connection_timeout(Duration::from_secs(15))
        .build(Manager { url: url.clone() })
        .map_err(|e| anyhow::anyhow!("opening the database: {e}"))
}

/// Applies every pending migration of the connection's backend; returns how many ran.
pub fn migrate(conn: &mut DbConn) -> anyhow::Result<usize> {
    let applied = match conn {
        DbConn::Postgres(c) => c
            .run_pending_migrations(POSTGRES_MIGRATIONS)
            .map_err(|e| anyhow::anyhow!("applying PostgreSQL migrations: {e}"))?
            .len(),
        DbConn::Sqlite(c) => c
            .run_pending_migrations(SQLITE_MIGRATIONS)
            .map_err(|e| anyhow::anyhow!("applying SQLite migrations: {e}"))?
            .len(),
    };
    Ok(applied)
}

impl DbConn {
    pub fn backend(&self) -> Backend {
        match self {
            DbConn::Postgres(_) => Backend::Postgres,
            DbConn::Sqlite(_) => Backend::Sqlite,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_name_a_path() {
        assert_eq!(
            DatabaseUrl::parse("sqlite://data/outcomes.db").unwrap(),
            DatabaseUrl::Sqlite(PathBuf::from("data/outcomes.db"))
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///var/lib/outcomes.db").unwrap(),
            DatabaseUrl::Sqlite(PathBuf::from("/var/lib/outcomes.db"))
        );
    }

    #[test]
    fn postgres_urls_are_kept_whole() {
        let url = "postgres://outcomes@127.0.0.1:5432/outcomes";
        assert_eq!(
            DatabaseUrl::parse(url).unwrap(),
            DatabaseUrl::Postgres(url.to_string())
        );
        assert_eq!(
            DatabaseUrl::parse("postgresql://h/db").unwrap().backend(),
            Backend::Postgres
        );
    }

    #[test]
    fn an_unknown_scheme_names_the_accepted_forms() {
        let err = DatabaseUrl::parse("mysql://x").unwrap_err();
        assert_eq!(err, DatabaseUrlError::UnknownScheme("mysql".into()));
        assert!(err.to_string().contains("sqlite://PATH"));
        assert!(err.to_string().contains("postgres://"));
    }

    #[test]
    fn a_string_without_a_scheme_is_malformed_not_a_file() {
        assert_eq!(
            DatabaseUrl::parse("nonsense").unwrap_err(),
            DatabaseUrlError::Malformed
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite://").unwrap_err(),
            DatabaseUrlError::EmptyPath
        );
    }

    #[test]
    fn debug_output_hides_postgres_credentials() {
        let url = DatabaseUrl::parse("postgres://u:secret@h/db").unwrap();
        assert!(!format!("{url:?}").contains("secret"));
    }
}
