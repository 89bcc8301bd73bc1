//! The store: every diesel query lives here, one file per aggregate. Functions take a
//! connection and return domain values; callers never see SQL.
//!
//! # Scoping (read this before adding a query on provider-owned records)
//!
//! Every function that reads or changes provider-owned records (participants, referrals,
//! sessions, attendance, outcome records, group surveys, provider imports) takes the
//! acting user's `Scope` (`actor.scope()`), and filters with the `scoped!` macro:
//!
//! ```text
//! pub fn find(conn: &mut DbConn, scope: Scope, id: ParticipantId) -> Result<Participant, StoreError> {
//!     scoped!(participants::table, scope.records(), participants::organisation_id)
//!         .filter(participants::id.eq(id.0))
//!         ...
//! }
//! ```
//!
//! `scope.records()` is for participant-level rows (nothing for commissioners and
//! analysts); `scope.aggregates()` is for figures and organisation-level facts. A record
//! outside the scope is simply not found: callers turn `NotFound` into 404, exactly as
//! for an id that does not exist, so nothing can be inferred. Changes go through
//! `write_transaction` and record an audit event (`audit::record`) in the same transaction.

pub mod access_log;
pub mod audit;
pub mod comparison_groups;
pub mod data_versions;
pub mod erasures;
pub mod funding_streams;
pub mod group_surveys;
pub mod import_batches;
pub mod import_changes;
pub mod login_attempts;
pub mod login_sessions;
pub mod measures;
pub mod offences;
pub mod organisations;
pub mod outcomes;
pub mod participants;
pub mod pending_uploads;
pub mod programmes;
pub mod quarterly_returns;
pub mod referrals;
pub mod report_archive;
pub mod report_rows;
pub mod retention;
pub mod sessions;
pub mod settings;
pub mod subject_access;
pub mod targets;
pub mod tokens;
pub mod users;
pub mod voids;

use chrono::{NaiveDateTime, SubsecRound, Utc};
use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::Connection;

use crate::db::DbConn;

/// Whether the connection is inside a transaction.
pub fn in_transaction(conn: &mut DbConn) -> bool {
    <DbConn as Connection>::TransactionManager::transaction_manager_status_mut(conn)
        .transaction_depth()
        .ok()
        .flatten()
        .is_some()
}

/// Filters `$query` (a table or a query on it) to the organisations `$rows` allows, by
/// `$column` (the table's `organisation_id`). Evaluates to a boxed query, so further
/// `.filter(..)` calls chain on it. `Rows::None` matches nothing.
#[macro_export]
macro_rules! scoped {
    ($query:expr, $rows:expr, $column:expr) => {{
        use diesel::prelude::*;
        let query = $query.into_boxed();
        match $rows {
            $crate::domain::access::Rows::Of(org) => query.filter($column.eq(org.0)),
            $crate::domain::access::Rows::All => query,
            $crate::domain::access::Rows::None => {
                query.filter(diesel::dsl::sql::<diesel::sql_types::Bool>("1 = 0"))
            }
        }
    }};
}

/// Runs `f` in a transaction that holds the write lock from its first statement: `BEGIN
/// IMMEDIATE` on SQLite (so a read-then-write never fails with "database is locked"
/// half-way, and audit appends are serialized), a plain transaction on PostgreSQL (where
/// `audit::record` takes an advisory lock). Commits when `f` returns `Ok`.
pub fn write_transaction<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    if in_transaction(conn) {
        // Part of the caller's transaction, which commits or rolls back as a whole.
        return f(conn);
    }
    match conn {
        DbConn::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?,
        DbConn::Postgres(c) => {
            <AnsiTransactionManager as TransactionManager<_>>::begin_transaction(c)?
        }
    }
    match f(conn) {
        Ok(value) => {
            <DbConn as Connection>::TransactionManager::commit_transaction(conn)?;
            Ok(value)
        }
        Err(e) => {
            <DbConn as Connection>::TransactionManager::rollback_transaction(conn)?;
            Err(e)
        }
    }
}

/// The one row of `query`, a lookup by a unique key (or `None`), read without a `LIMIT`.
/// diesel's `first()` binds `LIMIT 1` as a parameter, and SQLite (since 3.46) lets the
/// planner look at a bound `LIMIT`, which marks the statement to be prepared again
/// every time it is run: on the paths every request takes (its token or session, the
/// programme in scope, the audit trail's last event) that was a quarter of the CPU time
/// of a cached report (issue 20, docs/performance.md). Only for queries that cannot
/// return more than one row.
pub fn unique_row<'q, Q, U>(query: Q, conn: &mut DbConn) -> diesel::QueryResult<Option<U>>
where
    Q: diesel::query_dsl::LoadQuery<'q, DbConn, U>,
{
    use diesel::OptionalExtension;
    query.get_result(conn).optional()
}

/// The last link of a hash chain table (`audit_events`, `access_log`): the id and hash of
/// its row with the greatest id, in one indexed read (no bound `LIMIT`: see `unique_row`).
pub fn last_link(
    conn: &mut DbConn,
    table: &'static str,
) -> Result<Option<(i64, String)>, StoreError> {
    use diesel::sql_types::{BigInt, Text};
    #[derive(diesel::QueryableByName)]
    struct Link {
        #[diesel(sql_type = BigInt)]
        id: i64,
        #[diesel(sql_type = Text)]
        hash: String,
    }
    let link: Option<Link> = unique_row(
        diesel::sql_query(format!(
            "SELECT id, hash FROM {table} WHERE id = (SELECT max(id) FROM {table})"
        )),
        conn,
    )?;
    Ok(link.map(|l| (l.id, l.hash)))
}

/// The current time, truncated to microseconds so that SQLite (which would keep
/// nanoseconds) and PostgreSQL store the same value.
/// After a bulk load (the demo): PostgreSQL's `VACUUM (ANALYZE)`, so that the planner has
/// statistics and index-only scans can skip the table (its visibility map) without waiting
/// for autovacuum, which may be off or far behind. SQLite needs nothing: its planner works
/// without statistics, and the plans of reports were chosen for it
/// (docs/performance.md).
pub fn after_bulk_load(conn: &mut DbConn) -> Result<(), StoreError> {
    use diesel::connection::SimpleConnection;
    if let DbConn::Postgres(c) = conn {
        c.batch_execute("VACUUM (ANALYZE)")?;
    }
    Ok(())
}

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
    /// A rule the change breaks, in words for the user (e.g. a role that does not fit
    /// the organisation's kind).
    #[error("{0}")]
    Refused(String),
}

impl StoreError {
    /// Maps "no row" to `NotFound`.
    pub fn from_query(e: diesel::result::Error) -> Self {
        match e {
            diesel::result::Error::NotFound => StoreError::NotFound,
            other => StoreError::Database(other),
        }
    }

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

/// The bounds of a case-insensitive search by the start of a text: `[low, high)` such that
/// a lowercased value starts with `prefix` exactly when it lies between them (byte order).
/// `None` for an empty prefix.
pub fn prefix_bounds(prefix: &str) -> Option<(String, String)> {
    let low = prefix.trim().to_lowercase();
    let mut chars: Vec<char> = low.chars().collect();
    // The smallest text after every text starting with `low`: its last character raised
    // by one (a character that cannot be raised is dropped and the one before raised).
    while let Some(last) = chars.pop() {
        let mut next = last as u32 + 1;
        if (0xD800..0xE000).contains(&next) {
            next = 0xE000;
        }
        if let Some(c) = char::from_u32(next) {
            chars.push(c);
            return Some((low, chars.into_iter().collect()));
        }
    }
    None
}

/// `lower(<column>)` starts with the prefix whose `prefix_bounds` are `$low`, `$high`
/// (case-insensitively), as a range that an index on `lower(<column>)` serves (migration
/// 2026-12-10-000315_find_search): in byte order on both backends (the "C" collation on
/// PostgreSQL, SQLite's default), so the range holds exactly the values that start with
/// the text typed. `$column` is a fixed `table.column` literal, never input.
#[macro_export]
macro_rules! lower_starts_with {
    ($conn:expr, $column:literal, $low:expr, $high:expr) => {{
        let collate = match $conn {
            $crate::db::DbConn::Postgres(_) => " COLLATE \"C\"",
            $crate::db::DbConn::Sqlite(_) => "",
        };
        diesel::dsl::sql::<diesel::sql_types::Bool>(&format!("lower({}){} >= ", $column, collate))
            .bind::<diesel::sql_types::Text, _>($low)
            .sql(&format!(" AND lower({}){} < ", $column, collate))
            .bind::<diesel::sql_types::Text, _>($high)
    }};
}
