//! Police offence records, keyed by person key. Loaded in bulk from extracts; a newer
//! extract replaces the records of earlier ones, and the records it replaced are kept in
//! `offence_records_previous` until the next import, so that they can be restored.

use chrono::NaiveDate;
use diesel::prelude::*;

use super::StoreError;
use crate::db::schema::offence_records as o;
use crate::db::DbConn;
use crate::domain::enums::{Gender, OffenceGroup};
use crate::domain::ids::ImportBatchId;

/// One offence ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewOffence {
    pub person_key: String,
    pub offence_date: NaiveDate,
    pub offence_group: OffenceGroup,
    pub proven_on: Option<NaiveDate>,
    /// The extract's month of birth (its 1st), for the matched comparison.
    pub birth_month: Option<NaiveDate>,
    /// The extract's gender, for the matched comparison.
    pub gender: Option<Gender>,
}

/// One row as written.
#[derive(Insertable)]
#[diesel(table_name = o, treat_none_as_default_value = false)]
struct Insert<'a> {
    import_batch_id: i64,
    person_key: &'a str,
    offence_date: NaiveDate,
    offence_group: &'static str,
    proven_on: Option<NaiveDate>,
    birth_month: Option<NaiveDate>,
    gender: Option<&'static str>,
}

/// Rows per multi-row INSERT on SQLite: 7 bound values a row, well under SQLite's
/// 32,766. Measured faster than one cached single-row INSERT per row.
const SQLITE_CHUNK: usize = 2_000;

/// Inserts offences of one batch by each backend's fastest path: PostgreSQL's binary
/// `COPY FROM`, SQLite's multi-row INSERT.
pub fn insert_many(
    conn: &mut DbConn,
    batch: ImportBatchId,
    rows: &[NewOffence],
) -> Result<(), StoreError> {
    let values: Vec<Insert> = rows
        .iter()
        .map(|r| Insert {
            import_batch_id: batch.0,
            person_key: &r.person_key,
            offence_date: r.offence_date,
            offence_group: r.offence_group.as_str(),
            proven_on: r.proven_on,
            birth_month: r.birth_month,
            gender: r.gender.map(Gender::as_str),
        })
        .collect();
    match conn {
        DbConn::Postgres(c) => {
            diesel::copy_from(o::table)
                .from_insertable(&values)
                .execute(c)?;
        }
        DbConn::Sqlite(c) => {
            for chunk in values.chunks(SQLITE_CHUNK) {
                diesel::insert_into(o::table).values(chunk).execute(c)?;
            }
        }
    }
    Ok(())
}

pub fn count(conn: &mut DbConn) -> Result<i64, StoreError> {
    Ok(o::table.count().get_result(conn)?)
}

/// The lookup index of `offence_records`, exactly as the SQLite migrations create it: it
/// holds every column a report reads, so a cohort's offences come from the index alone.
const SQLITE_PERSON_INDEX: &str = "CREATE INDEX offence_records_person_date_idx \
    ON offence_records (person_key, offence_date, offence_group, proven_on)";

/// The table a complete extract is loaded into on PostgreSQL before it replaces
/// `offence_records` (see [`begin_reload`]).
mod load_table {
    diesel::table! {
        offence_records_load (id) {
            id -> BigInt,
            import_batch_id -> BigInt,
            person_key -> Text,
            offence_date -> Date,
            offence_group -> Text,
            proven_on -> Nullable<Date>,
            birth_month -> Nullable<Date>,
            gender -> Nullable<Text>,
        }
    }
}
use load_table::offence_records_load as load;

#[derive(Insertable)]
#[diesel(table_name = load, treat_none_as_default_value = false)]
struct LoadInsert<'a> {
    import_batch_id: i64,
    person_key: &'a str,
    offence_date: NaiveDate,
    offence_group: &'static str,
    proven_on: Option<NaiveDate>,
    birth_month: Option<NaiveDate>,
    gender: Option<&'static str>,
}

/// PostgreSQL: a table shaped like `offence_records` (columns, defaults, identity, checks),
/// with no index and no foreign key while it is loaded.
const PG_CREATE_LOAD: &str = "DROP TABLE IF EXISTS offence_records_load;
CREATE TABLE offence_records_load (LIKE offence_records INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING CONSTRAINTS)";

/// PostgreSQL: renames `from` and every name that comes with it (primary key, foreign
/// key, indexes, identity sequence) to `to`.
fn pg_rename(from: &str, to: &str) -> String {
    format!(
        "ALTER TABLE {from} RENAME TO {to};
ALTER TABLE {to} RENAME CONSTRAINT {from}_pkey TO {to}_pkey;
ALTER TABLE {to} RENAME CONSTRAINT {from}_import_batch_id_fkey TO {to}_import_batch_id_fkey;
ALTER INDEX {from}_person_date_idx RENAME TO {to}_person_date_idx;
ALTER INDEX {from}_batch_idx RENAME TO {to}_batch_idx;
ALTER SEQUENCE {from}_id_seq RENAME TO {to}_id_seq;
"
    )
}

/// The table that keeps the records of the extract the current one replaced, until the
/// next import (see [`restore_previous`]).
pub const PREVIOUS: &str = "offence_records_previous";

/// PostgreSQL: indexes and the foreign key are built once over the loaded rows (a sort and
/// one join, instead of maintaining them row by row), then the loaded table takes the
/// place and every name of the old one, and the old one becomes the previous extract (the
/// one before it is dropped). Renames copy no row. Only the last statements, from DROP
/// TABLE on, lock readers out, and only until the transaction commits.
fn pg_swap_in_load() -> String {
    format!(
        "ALTER TABLE offence_records_load ADD CONSTRAINT offence_records_load_pkey PRIMARY KEY (id);
CREATE INDEX offence_records_load_person_date_idx ON offence_records_load (person_key, offence_date)
    INCLUDE (offence_group, proven_on);
CREATE INDEX offence_records_load_batch_idx ON offence_records_load (import_batch_id);
ALTER TABLE offence_records_load ADD CONSTRAINT offence_records_load_import_batch_id_fkey
    FOREIGN KEY (import_batch_id) REFERENCES import_batches (id);
DROP TABLE IF EXISTS {PREVIOUS};
{}{}ANALYZE offence_records",
        pg_rename("offence_records", PREVIOUS),
        pg_rename("offence_records_load", "offence_records")
    )
}

/// SQLite: `offence_records` exactly as the migrations create it (a new one takes the
/// place of the table that becomes the previous extract).
const SQLITE_CREATE: &str = "CREATE TABLE offence_records (
    id INTEGER PRIMARY KEY,
    import_batch_id INTEGER NOT NULL REFERENCES import_batches (id),
    person_key TEXT NOT NULL CHECK (length(person_key) = 64),
    offence_date TEXT NOT NULL,
    offence_group TEXT NOT NULL CHECK (offence_group IN ('homicide', 'violence_with_injury', 'violence_without_injury', 'rape', 'other_sexual_offences', 'robbery', 'domestic_burglary', 'non_domestic_burglary', 'vehicle_offences', 'theft_from_person', 'shoplifting', 'other_theft', 'criminal_damage_arson', 'criminal_damage_other', 'possession_of_weapons', 'public_order', 'drug_offences', 'miscellaneous')),
    proven_on TEXT,
    birth_month TEXT,
    gender TEXT CHECK (gender IS NULL OR gender IN ('female', 'male', 'other', 'not_known')),
    CHECK (proven_on IS NULL OR proven_on >= offence_date)
) STRICT;
CREATE INDEX offence_records_batch_idx ON offence_records (import_batch_id);";

/// SQLite: the current table becomes the previous extract, without its indexes (index
/// names are global, and nothing reads the previous extract but a restore).
fn sqlite_keep_previous() -> String {
    format!(
        "DROP INDEX IF EXISTS offence_records_person_date_idx;
DROP INDEX IF EXISTS offence_records_batch_idx;
DROP TABLE IF EXISTS {PREVIOUS};
ALTER TABLE offence_records RENAME TO {PREVIOUS};
{SQLITE_CREATE}"
    )
}

/// Starts a complete reload inside the caller's transaction: afterwards `offence_records`
/// holds only the rows passed to [`load_many`], once [`finish_reload`] has run, and the
/// records it held before are the previous extract (those of the extract before that are
/// dropped). A failure anywhere rolls all of it back.
///
/// SQLite: the table is renamed to the previous extract's (no row is copied or deleted),
/// and a new one made with only its batch index; the person-key index is built once at the
/// end (a sort, several times faster than maintaining it row by row for millions of random
/// 64-character keys). Readers in WAL mode keep seeing the committed table and its index
/// until the load commits.
///
/// PostgreSQL: the rows go by binary COPY into a fresh table without indexes or foreign
/// key, which then replaces `offence_records` (see `pg_swap_in_load`). Readers see the old
/// table during the load.
pub fn begin_reload(conn: &mut DbConn) -> Result<(), StoreError> {
    use diesel::connection::SimpleConnection;
    match conn {
        DbConn::Sqlite(c) => c.batch_execute(&sqlite_keep_previous())?,
        DbConn::Postgres(c) => c.batch_execute(PG_CREATE_LOAD)?,
    }
    Ok(())
}

/// Writes rows of a reload begun with [`begin_reload`].
pub fn load_many(
    conn: &mut DbConn,
    batch: ImportBatchId,
    rows: &[NewOffence],
) -> Result<(), StoreError> {
    match conn {
        DbConn::Postgres(c) => {
            let values: Vec<LoadInsert> = rows
                .iter()
                .map(|r| LoadInsert {
                    import_batch_id: batch.0,
                    person_key: &r.person_key,
                    offence_date: r.offence_date,
                    offence_group: r.offence_group.as_str(),
                    proven_on: r.proven_on,
                    birth_month: r.birth_month,
                    gender: r.gender.map(Gender::as_str),
                })
                .collect();
            diesel::copy_from(load::table)
                .from_insertable(&values)
                .execute(c)?;
            Ok(())
        }
        DbConn::Sqlite(_) => insert_many(conn, batch, rows),
    }
}

/// Completes a reload begun with [`begin_reload`].
pub fn finish_reload(conn: &mut DbConn) -> Result<(), StoreError> {
    use diesel::connection::SimpleConnection;
    match conn {
        DbConn::Sqlite(c) => c.batch_execute(SQLITE_PERSON_INDEX)?,
        DbConn::Postgres(c) => c.batch_execute(&pg_swap_in_load())?,
    }
    Ok(())
}

/// Puts the previous extract's records back in place of the current ones, which become
/// the previous extract in their turn (so a restore can itself be undone until the next
/// import). Tables are renamed, no row is copied. Inside the caller's transaction.
pub fn restore_previous(conn: &mut DbConn) -> Result<(), StoreError> {
    use diesel::connection::SimpleConnection;
    match conn {
        DbConn::Sqlite(c) => c.batch_execute(&format!(
            "DROP INDEX IF EXISTS offence_records_person_date_idx;
DROP INDEX IF EXISTS offence_records_batch_idx;
ALTER TABLE offence_records RENAME TO offence_records_swap;
ALTER TABLE {PREVIOUS} RENAME TO offence_records;
ALTER TABLE offence_records_swap RENAME TO {PREVIOUS};
CREATE INDEX offence_records_batch_idx ON offence_records (import_batch_id);
{SQLITE_PERSON_INDEX}"
        ))?,
        DbConn::Postgres(c) => c.batch_execute(&format!(
            "{}{}{}ANALYZE offence_records",
            pg_rename("offence_records", "offence_records_swap"),
            pg_rename(PREVIOUS, "offence_records"),
            pg_rename("offence_records_swap", PREVIOUS)
        ))?,
    }
    Ok(())
}

/// What an extract holds: its rows, the people (distinct person keys) they are about, and
/// how many participants' keys it matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ExtractStats {
    pub rows: i64,
    pub people: i64,
    pub matched_participants: i64,
}

/// The current extract's figures: counted over the person-key index.
pub fn current_stats(conn: &mut DbConn) -> Result<ExtractStats, StoreError> {
    use crate::db::schema::participants as p;
    let rows: i64 = o::table.count().get_result(conn)?;
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let people = diesel::sql_query(
        "SELECT COUNT(*) AS n FROM (SELECT DISTINCT person_key FROM offence_records) k",
    )
    .get_result::<Count>(conn)?
    .n;
    let matched_participants: i64 = p::table
        .filter(p::person_key.is_not_null())
        .filter(diesel::dsl::exists(
            o::table.filter(o::person_key.nullable().eq(p::person_key)),
        ))
        .count()
        .get_result(conn)?;
    Ok(ExtractStats {
        rows,
        people,
        matched_participants,
    })
}

/// How many participants have each of `keys` (an extract not yet loaded).
pub fn participants_matching(
    conn: &mut DbConn,
    keys: &std::collections::HashSet<String>,
) -> Result<i64, StoreError> {
    use crate::db::schema::participants as p;
    let stored: Vec<Option<String>> = p::table
        .filter(p::person_key.is_not_null())
        .select(p::person_key)
        .load(conn)?;
    Ok(stored
        .iter()
        .flatten()
        .filter(|k| keys.contains(k.as_str()))
        .count() as i64)
}
