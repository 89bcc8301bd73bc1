//! Police offence records, keyed by person key. Loaded in bulk from extracts; a newer
//! extract replaces the records of earlier ones.

use chrono::NaiveDate;
use diesel::prelude::*;

use super::StoreError;
use crate::db::schema::offence_records as o;
use crate::db::DbConn;
use crate::domain::enums::OffenceGroup;
use crate::domain::ids::ImportBatchId;

/// One offence ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewOffence {
    pub person_key: String,
    pub offence_date: NaiveDate,
    pub offence_group: OffenceGroup,
    pub proven_on: Option<NaiveDate>,
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
}

/// Rows per multi-row INSERT on SQLite: 5 bound values a row, well under SQLite's
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

/// Removes every offence record not in `keep` (the new complete snapshot).
pub fn delete_except_batch(conn: &mut DbConn, keep: ImportBatchId) -> Result<usize, StoreError> {
    Ok(diesel::delete(o::table.filter(o::import_batch_id.ne(keep.0))).execute(conn)?)
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
}

/// PostgreSQL: a table shaped like `offence_records` (columns, defaults, identity, checks),
/// with no index and no foreign key while it is loaded.
const PG_CREATE_LOAD: &str = "DROP TABLE IF EXISTS offence_records_load;
CREATE TABLE offence_records_load (LIKE offence_records INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING CONSTRAINTS)";

/// PostgreSQL: indexes and the foreign key are built once over the loaded rows (a sort and
/// one join, instead of maintaining them row by row), then the loaded table takes the
/// place and every name of the old one. Only the last statements, from DROP TABLE on,
/// lock readers out, and only until the transaction commits.
const PG_SWAP_IN_LOAD: &str = "ALTER TABLE offence_records_load ADD CONSTRAINT offence_records_load_pkey PRIMARY KEY (id);
CREATE INDEX offence_records_load_person_date_idx ON offence_records_load (person_key, offence_date)
    INCLUDE (offence_group, proven_on);
CREATE INDEX offence_records_load_batch_idx ON offence_records_load (import_batch_id);
ALTER TABLE offence_records_load ADD CONSTRAINT offence_records_load_import_batch_id_fkey
    FOREIGN KEY (import_batch_id) REFERENCES import_batches (id);
DROP TABLE offence_records;
ALTER TABLE offence_records_load RENAME TO offence_records;
ALTER TABLE offence_records RENAME CONSTRAINT offence_records_load_pkey TO offence_records_pkey;
ALTER TABLE offence_records RENAME CONSTRAINT offence_records_load_import_batch_id_fkey TO offence_records_import_batch_id_fkey;
ALTER INDEX offence_records_load_person_date_idx RENAME TO offence_records_person_date_idx;
ALTER INDEX offence_records_load_batch_idx RENAME TO offence_records_batch_idx;
ALTER SEQUENCE offence_records_load_id_seq RENAME TO offence_records_id_seq;
ANALYZE offence_records";

/// Starts a complete reload inside the caller's transaction: afterwards `offence_records`
/// holds only the rows passed to [`load_many`] and the batch `keep`, once
/// [`finish_reload`] has run. A failure anywhere rolls all of it back.
///
/// SQLite: the records of other batches are deleted and the person-key index dropped, to
/// be built once at the end (a sort, several times faster than maintaining it row by row
/// for millions of random 64-character keys). Readers in WAL mode keep seeing the
/// committed table and its index until the load commits.
///
/// PostgreSQL: the rows go by binary COPY into a fresh table without indexes or foreign
/// key, which then replaces `offence_records` (see `PG_SWAP_IN_LOAD`). Readers see the old
/// table during the load.
pub fn begin_reload(conn: &mut DbConn, keep: ImportBatchId) -> Result<(), StoreError> {
    use diesel::connection::SimpleConnection;
    match conn {
        DbConn::Sqlite(c) => {
            c.batch_execute("DROP INDEX IF EXISTS offence_records_person_date_idx")?;
            delete_except_batch(conn, keep)?;
        }
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
        DbConn::Postgres(c) => c.batch_execute(PG_SWAP_IN_LOAD)?,
    }
    Ok(())
}
