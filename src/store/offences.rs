//! Police offence records, keyed by person key. Loaded in bulk from extracts; a newer
//! extract replaces the records of earlier ones.

use chrono::NaiveDate;
use diesel::prelude::*;

use super::StoreError;
use crate::db::schema::offence_records as o;
use crate::db::DbConn;
use crate::domain::enums::OffenceGroup;
use crate::domain::ids::ImportBatchId;
use crate::on_backend;

/// One offence ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewOffence {
    pub person_key: String,
    pub offence_date: NaiveDate,
    pub offence_group: OffenceGroup,
    pub proven_on: Option<NaiveDate>,
}

/// Rows per INSERT statement: well under SQLite's 32,766 bound variables (5 per row).
pub const INSERT_CHUNK: usize = 2_000;

/// Inserts offences of one batch, in multi-row statements.
pub fn insert_many(
    conn: &mut DbConn,
    batch: ImportBatchId,
    rows: &[NewOffence],
) -> Result<(), StoreError> {
    for chunk in rows.chunks(INSERT_CHUNK) {
        let values: Vec<_> = chunk
            .iter()
            .map(|r| {
                (
                    o::import_batch_id.eq(batch.0),
                    o::person_key.eq(&r.person_key),
                    o::offence_date.eq(r.offence_date),
                    o::offence_group.eq(r.offence_group.as_str()),
                    o::proven_on.eq(r.proven_on),
                )
            })
            .collect();
        on_backend!(conn, |c| diesel::insert_into(o::table)
            .values(&values)
            .execute(c))?;
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
