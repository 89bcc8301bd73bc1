//! The store: every diesel query lives here, one file per aggregate. Functions take a
//! connection and return domain values; callers never see SQL.

pub mod funding_streams;
pub mod group_surveys;
pub mod import_batches;
pub mod measures;
pub mod offences;
pub mod organisations;
pub mod outcomes;
pub mod participants;
pub mod programmes;
pub mod referrals;
pub mod report_rows;
pub mod sessions;
pub mod targets;

use chrono::{NaiveDateTime, SubsecRound, Utc};

/// The current time, truncated to microseconds so that SQLite (which would keep
/// nanoseconds) and PostgreSQL store the same value.
pub fn now() -> NaiveDateTime {
    Utc::now().naive_utc().trunc_subsecs(6)
}

/// Rows per multi-row INSERT of a table with `columns` columns: under SQLite's 32,766
/// bound variables (PostgreSQL allows 65,535).
pub fn rows_per_insert(columns: usize) -> usize {
    30_000 / columns.max(1)
}

/// After rows were inserted with explicit ids (bulk loading), moves PostgreSQL's identity
/// sequences past the largest id so that ordinary inserts do not collide. SQLite needs
/// nothing: its rowids continue from the largest one.
pub fn sync_id_sequences(
    conn: &mut crate::db::DbConn,
    tables: &[&'static str],
) -> Result<(), StoreError> {
    use diesel::connection::SimpleConnection;
    if let crate::db::DbConn::Postgres(c) = conn {
        for table in tables {
            // Table names come from the caller's fixed list, never from input.
            c.batch_execute(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                 COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
            ))?;
        }
    }
    Ok(())
}

/// Errors from the store that callers handle differently.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} already exists")]
    Duplicate(String),
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

impl StoreError {
    /// Maps a unique-constraint violation to `Duplicate(what)`.
    pub fn from_insert(e: diesel::result::Error, what: &str) -> Self {
        match e {
            diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            ) => StoreError::Duplicate(what.to_string()),
            diesel::result::Error::NotFound => StoreError::NotFound,
            other => StoreError::Database(other),
        }
    }
}

/// Parses a vocabulary word read back from the database. The database checks these words,
/// so a failure means the schema and the code disagree.
pub fn parse_word<T>(word: &str) -> Result<T, StoreError>
where
    T: std::str::FromStr<Err = crate::domain::enums::UnknownValue>,
{
    word.parse()
        .map_err(|e: crate::domain::enums::UnknownValue| {
            StoreError::Database(diesel::result::Error::DeserializationError(e.into()))
        })
}
