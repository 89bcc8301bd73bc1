//! Import batches: the record of every file imported — kind, file name, SHA-256, row
//! counts, who and when, and for police extracts the date the data is "as of".

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use super::{now, StoreError};
use crate::db::schema::import_batches as b;
use crate::db::DbConn;
use crate::domain::access::{Rows, Scope};
use crate::domain::enums::ImportKind;
use crate::domain::ids::{ImportBatchId, OrganisationId, UserId};
use crate::on_backend;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewBatch<'a> {
    pub organisation_id: Option<OrganisationId>,
    pub kind: ImportKind,
    pub file_name: &'a str,
    pub sha256: &'a str,
    pub rows_total: i64,
    pub rows_inserted: i64,
    pub rows_updated: i64,
    pub rows_unchanged: i64,
    pub extract_date: Option<NaiveDate>,
    pub created_by: Option<UserId>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Batch {
    pub id: ImportBatchId,
    pub organisation_id: Option<OrganisationId>,
    pub kind: ImportKind,
    pub file_name: String,
    pub sha256: String,
    pub rows_total: i64,
    pub rows_inserted: i64,
    pub rows_updated: i64,
    pub rows_unchanged: i64,
    pub extract_date: Option<NaiveDate>,
    pub superseded_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    /// An offence extract replaced by the current one whose records are kept, so that
    /// `outcomes extract restore` can put it back (until the next import).
    pub restorable: bool,
    /// Who imported it (`None` for the command line).
    pub created_by: Option<UserId>,
    /// When the batch was undone (`outcomes revert-import`, or the upload history).
    pub reverted_at: Option<NaiveDateTime>,
}

pub fn insert(conn: &mut DbConn, n: &NewBatch) -> Result<ImportBatchId, StoreError> {
    let values = (
        b::organisation_id.eq(n.organisation_id.map(|o| o.0)),
        b::kind.eq(n.kind.as_str()),
        b::file_name.eq(n.file_name),
        b::sha256.eq(n.sha256),
        b::rows_total.eq(n.rows_total),
        b::rows_inserted.eq(n.rows_inserted),
        b::rows_updated.eq(n.rows_updated),
        b::rows_unchanged.eq(n.rows_unchanged),
        b::extract_date.eq(n.extract_date),
        b::created_by.eq(n.created_by.map(|u| u.0)),
        b::created_at.eq(now()),
    );
    let id: i64 = on_backend!(conn, |c| diesel::insert_into(b::table)
        .values(values)
        .returning(b::id)
        .get_result(c))?;
    Ok(ImportBatchId(id))
}

/// Sets the row counts once a streamed import has finished.
pub fn set_counts(
    conn: &mut DbConn,
    id: ImportBatchId,
    total: i64,
    inserted: i64,
) -> Result<(), StoreError> {
    diesel::update(b::table.find(id.0))
        .set((b::rows_total.eq(total), b::rows_inserted.eq(inserted)))
        .execute(conn)?;
    Ok(())
}

/// A row as the query reads it, field by field in the order of its columns.
#[derive(Queryable)]
struct Row {
    id: i64,
    organisation_id: Option<i64>,
    kind: ImportKind,
    file_name: String,
    sha256: String,
    rows_total: i64,
    rows_inserted: i64,
    rows_updated: i64,
    rows_unchanged: i64,
    extract_date: Option<NaiveDate>,
    superseded_at: Option<NaiveDateTime>,
    created_at: NaiveDateTime,
    restorable: bool,
    created_by: Option<i64>,
    reverted_at: Option<NaiveDateTime>,
}

fn from_row(x: Row) -> Result<Batch, StoreError> {
    Ok(Batch {
        id: ImportBatchId(x.id),
        organisation_id: x.organisation_id.map(OrganisationId),
        kind: x.kind,
        file_name: x.file_name,
        sha256: x.sha256,
        rows_total: x.rows_total,
        rows_inserted: x.rows_inserted,
        rows_updated: x.rows_updated,
        rows_unchanged: x.rows_unchanged,
        extract_date: x.extract_date,
        superseded_at: x.superseded_at,
        created_at: x.created_at,
        restorable: x.restorable,
        created_by: x.created_by.map(UserId),
        reverted_at: x.reverted_at,
    })
}

macro_rules! columns {
    () => {
        (
            b::id,
            b::organisation_id,
            b::kind,
            b::file_name,
            b::sha256,
            b::rows_total,
            b::rows_inserted,
            b::rows_updated,
            b::rows_unchanged,
            b::extract_date,
            b::superseded_at,
            b::created_at,
            b::restorable,
            b::created_by,
            b::reverted_at,
        )
    };
}

/// Batches of one kind, newest first; `organisation` limits them to one organisation.
pub fn list(
    conn: &mut DbConn,
    kind: Option<ImportKind>,
    organisation: Option<OrganisationId>,
) -> Result<Vec<Batch>, StoreError> {
    let mut q = b::table.select(columns!()).into_boxed();
    if let Some(k) = kind {
        q = q.filter(b::kind.eq(k.as_str()));
    }
    if let Some(o) = organisation {
        q = q.filter(b::organisation_id.eq(o.0));
    }
    q.order(b::id.desc())
        .load::<Row>(conn)?
        .into_iter()
        .map(from_row)
        .collect()
}

/// The current (not superseded) offence extract, if any.
pub fn current_offence_extract(conn: &mut DbConn) -> Result<Option<Batch>, StoreError> {
    b::table
        .filter(b::kind.eq(ImportKind::Offences.as_str()))
        .filter(b::superseded_at.is_null())
        .order(b::id.desc())
        .select(columns!())
        .first::<Row>(conn)
        .optional()?
        .map(from_row)
        .transpose()
}

/// Marks every other offence batch as superseded by a newer extract, and `previous` (the
/// extract it replaces, whose records are kept) as the only restorable one.
pub fn supersede_offence_batches(
    conn: &mut DbConn,
    except: ImportBatchId,
    previous: Option<ImportBatchId>,
) -> Result<(), StoreError> {
    diesel::update(
        b::table
            .filter(b::kind.eq(ImportKind::Offences.as_str()))
            .filter(b::id.ne(except.0))
            .filter(b::superseded_at.is_null()),
    )
    .set(b::superseded_at.eq(now()))
    .execute(conn)?;
    diesel::update(b::table.filter(b::restorable.eq(true)))
        .set(b::restorable.eq(false))
        .execute(conn)?;
    if let Some(p) = previous {
        diesel::update(b::table.find(p.0))
            .set(b::restorable.eq(true))
            .execute(conn)?;
    }
    Ok(())
}

/// The offence extract that can be restored, if any (see `supersede_offence_batches`).
pub fn restorable_offence_extract(conn: &mut DbConn) -> Result<Option<Batch>, StoreError> {
    b::table
        .filter(b::kind.eq(ImportKind::Offences.as_str()))
        .filter(b::restorable.eq(true))
        .select(columns!())
        .first::<Row>(conn)
        .optional()?
        .map(from_row)
        .transpose()
}

/// After a restore: `restored` is current again, and `replaced` (the extract that was
/// current) is superseded and restorable in its turn.
pub fn swap_current_offence_extract(
    conn: &mut DbConn,
    restored: ImportBatchId,
    replaced: Option<ImportBatchId>,
) -> Result<(), StoreError> {
    diesel::update(b::table.find(restored.0))
        .set((
            b::superseded_at.eq(None::<NaiveDateTime>),
            b::restorable.eq(false),
        ))
        .execute(conn)?;
    if let Some(r) = replaced {
        diesel::update(b::table.find(r.0))
            .set((b::superseded_at.eq(now()), b::restorable.eq(true)))
            .execute(conn)?;
    }
    Ok(())
}

/// The batches a scope may see, newest first: provider staff their organisation's,
/// commissioners and analysts the unowned ones (offence extracts, measures), admins all.
pub fn list_scoped(
    conn: &mut DbConn,
    scope: Scope,
    limit: i64,
    offset: i64,
) -> Result<(i64, Vec<Batch>), StoreError> {
    let query = || {
        let q = b::table.into_boxed();
        match scope.records() {
            Rows::Of(o) => q.filter(b::organisation_id.eq(o.0)),
            Rows::All => q,
            // Offence extracts and measures, and the programmes commissioners set up.
            Rows::None => q.filter(
                b::organisation_id
                    .is_null()
                    .or(b::kind.eq(ImportKind::Programmes.as_str())),
            ),
        }
    };
    let count = query().count().get_result(conn)?;
    let items = query()
        .order(b::id.desc())
        .limit(limit)
        .offset(offset)
        .select(columns!())
        .load::<Row>(conn)?
        .into_iter()
        .map(from_row)
        .collect::<Result<_, _>>()?;
    Ok((count, items))
}

/// One batch by id.
pub fn find(conn: &mut DbConn, id: ImportBatchId) -> Result<Option<Batch>, StoreError> {
    b::table
        .find(id.0)
        .select(columns!())
        .first::<Row>(conn)
        .optional()?
        .map(from_row)
        .transpose()
}
