//! What each import batch did to each record (`import_changes`), the records that depend
//! on a record a batch added, and the deletes an undo needs; failed uploads with their
//! error reports. `imports::undo` decides; this module only reads and writes rows.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::{now, StoreError};
use crate::db::schema::{
    allocations, attendance, failed_uploads as f, group_surveys, import_batches as b,
    import_changes as c, outcome_measures, outcome_records, participants, programmes,
    quarterly_returns, referrals, sessions, targets,
};
use crate::db::DbConn;
use crate::domain::access::{Rows, Scope};
use crate::domain::enums::ImportKind;
use crate::domain::ids::{ImportBatchId, OrganisationId, UserId};

/// One record's change: its fields (JSON) before and after the batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// `participant`, `referral`, `session`, `attendance`, `outcome_record`, `programme`
    /// or `measure`.
    pub entity: String,
    pub record_id: i64,
    /// `None`: the batch added the record.
    pub old: Option<String>,
    /// `None`: the batch removed the record (an attendance mark).
    pub new: Option<String>,
}

pub fn insert(
    conn: &mut DbConn,
    batch: ImportBatchId,
    changes: &[Change],
) -> Result<(), StoreError> {
    for chunk in changes.chunks(super::rows_per_insert(5)) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|ch| {
                (
                    c::import_batch_id.eq(batch.0),
                    c::entity.eq(&ch.entity),
                    c::record_id.eq(ch.record_id),
                    c::old_fields.eq(&ch.old),
                    c::new_fields.eq(&ch.new),
                )
            })
            .collect();
        crate::on_backend!(conn, |conn| diesel::insert_into(c::table)
            .values(&rows)
            .execute(conn))?;
    }
    Ok(())
}

/// The changes of a batch, in the order they were recorded.
pub fn of_batch(conn: &mut DbConn, batch: ImportBatchId) -> Result<Vec<Change>, StoreError> {
    let rows: Vec<(String, i64, Option<String>, Option<String>)> = c::table
        .filter(c::import_batch_id.eq(batch.0))
        .order(c::id)
        .select((c::entity, c::record_id, c::old_fields, c::new_fields))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(entity, record_id, old, new)| Change {
            entity,
            record_id,
            old,
            new,
        })
        .collect())
}

/// Marks a batch undone.
pub fn set_reverted(
    conn: &mut DbConn,
    batch: ImportBatchId,
    by: Option<UserId>,
) -> Result<(), StoreError> {
    diesel::update(b::table.find(batch.0))
        .set((
            b::reverted_at.eq(Some(now())),
            b::reverted_by.eq(by.map(|u| u.0)),
        ))
        .execute(conn)?;
    Ok(())
}

/// What depends on a record a batch added, other than what the batch itself holds:
/// `(what, how many)` for each kind of dependant present (voided ones included, since a
/// voided record still refers to it).
pub fn dependants(
    conn: &mut DbConn,
    entity: &str,
    id: i64,
) -> Result<Vec<(&'static str, i64)>, StoreError> {
    let mut out = Vec::new();
    let mut add = |what: &'static str, n: i64| {
        if n > 0 {
            out.push((what, n));
        }
    };
    match entity {
        "participant" => {
            add(
                "referrals",
                referrals::table
                    .filter(referrals::participant_id.eq(id))
                    .count()
                    .get_result(conn)?,
            );
            add(
                "merged participants",
                participants::table
                    .filter(participants::merged_into.eq(Some(id)))
                    .count()
                    .get_result(conn)?,
            );
        }
        "referral" => {
            add(
                "attendance marks",
                attendance::table
                    .filter(attendance::referral_id.eq(id))
                    .count()
                    .get_result(conn)?,
            );
            add(
                "outcome records",
                outcome_records::table
                    .filter(outcome_records::referral_id.eq(id))
                    .count()
                    .get_result(conn)?,
            );
        }
        "session" => {
            add(
                "attendance marks",
                attendance::table
                    .filter(attendance::session_id.eq(id))
                    .count()
                    .get_result(conn)?,
            );
            add(
                "group surveys",
                group_surveys::table
                    .filter(group_surveys::session_id.eq(Some(id)))
                    .count()
                    .get_result(conn)?,
            );
        }
        "programme" => {
            add(
                "referrals",
                referrals::table
                    .filter(referrals::programme_id.eq(id))
                    .count()
                    .get_result(conn)?,
            );
            add(
                "sessions",
                sessions::table
                    .filter(sessions::programme_id.eq(id))
                    .count()
                    .get_result(conn)?,
            );
            add(
                "group surveys",
                group_surveys::table
                    .filter(group_surveys::programme_id.eq(id))
                    .count()
                    .get_result(conn)?,
            );
            add(
                "targets",
                targets::table
                    .filter(targets::programme_id.eq(id))
                    .count()
                    .get_result(conn)?,
            );
            add(
                "funding allocations",
                allocations::table
                    .filter(allocations::programme_id.eq(id))
                    .count()
                    .get_result(conn)?,
            );
            add(
                "quarterly returns",
                quarterly_returns::table
                    .filter(quarterly_returns::programme_id.eq(id))
                    .count()
                    .get_result(conn)?,
            );
        }
        "measure" => {
            add(
                "outcome records",
                outcome_records::table
                    .filter(outcome_records::measure_id.eq(id))
                    .count()
                    .get_result(conn)?,
            );
            add(
                "group surveys",
                group_surveys::table
                    .filter(group_surveys::measure_id.eq(id))
                    .count()
                    .get_result(conn)?,
            );
        }
        _ => {}
    }
    Ok(out)
}

/// Deletes a record a batch added (its dependants were checked first).
pub fn delete_record(conn: &mut DbConn, entity: &str, id: i64) -> Result<(), StoreError> {
    match entity {
        "participant" => diesel::delete(participants::table.find(id)).execute(conn)?,
        "referral" => diesel::delete(referrals::table.find(id)).execute(conn)?,
        "session" => diesel::delete(sessions::table.find(id)).execute(conn)?,
        "attendance" => diesel::delete(attendance::table.find(id)).execute(conn)?,
        "outcome_record" => diesel::delete(outcome_records::table.find(id)).execute(conn)?,
        "programme" => diesel::delete(programmes::table.find(id)).execute(conn)?,
        "measure" => diesel::delete(outcome_measures::table.find(id)).execute(conn)?,
        _ => return Err(StoreError::NotFound),
    };
    Ok(())
}

// --- failed uploads ---------------------------------------------------------------------

/// An upload refused for errors.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Failure {
    pub id: i64,
    pub organisation_id: Option<OrganisationId>,
    pub kind: ImportKind,
    pub file_name: String,
    pub error_count: i64,
    /// The error report: the listed errors as JSON (`imports::RowError`s).
    pub errors: String,
    pub created_by: Option<UserId>,
    pub created_at: NaiveDateTime,
}

pub struct NewFailure<'a> {
    pub organisation_id: Option<OrganisationId>,
    pub kind: ImportKind,
    pub file_name: &'a str,
    pub error_count: i64,
    pub errors: &'a str,
    pub created_by: Option<UserId>,
}

pub fn record_failure(conn: &mut DbConn, n: &NewFailure) -> Result<(), StoreError> {
    diesel::insert_into(f::table)
        .values((
            f::organisation_id.eq(n.organisation_id.map(|o| o.0)),
            f::kind.eq(n.kind.as_str()),
            f::file_name.eq(n.file_name),
            f::error_count.eq(n.error_count),
            f::errors.eq(n.errors),
            f::created_by.eq(n.created_by.map(|u| u.0)),
            f::created_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// A failed upload as the query reads it.
#[derive(Queryable)]
struct FailureRow {
    id: i64,
    organisation_id: Option<OrganisationId>,
    kind: ImportKind,
    file_name: String,
    error_count: i64,
    errors: String,
    created_by: Option<UserId>,
    created_at: NaiveDateTime,
}

fn failure_from(r: FailureRow) -> Result<Failure, StoreError> {
    Ok(Failure {
        id: r.id,
        organisation_id: r.organisation_id,
        kind: r.kind,
        file_name: r.file_name,
        error_count: r.error_count,
        errors: r.errors,
        created_by: r.created_by,
        created_at: r.created_at,
    })
}

macro_rules! failure_columns {
    () => {
        (
            f::id,
            f::organisation_id,
            f::kind,
            f::file_name,
            f::error_count,
            f::errors,
            f::created_by,
            f::created_at,
        )
    };
}

/// The failed uploads a scope may see, newest first: provider staff their
/// organisation's; commissioners and analysts their own uploads and their organisation's;
/// admins all.
pub fn failures(
    conn: &mut DbConn,
    scope: Scope,
    user: UserId,
    organisation: OrganisationId,
    limit: i64,
) -> Result<Vec<Failure>, StoreError> {
    let mut q = f::table.select(failure_columns!()).into_boxed();
    q = match scope.records() {
        Rows::Of(o) => q.filter(f::organisation_id.eq(o.0)),
        Rows::All => q,
        Rows::None => q.filter(
            f::created_by
                .eq(user.0)
                .or(f::organisation_id.eq(organisation.0)),
        ),
    };
    q.order(f::id.desc())
        .limit(limit)
        .load::<FailureRow>(conn)?
        .into_iter()
        .map(failure_from)
        .collect()
}

/// One failed upload, if the scope may see it (as `failures`).
pub fn failure(
    conn: &mut DbConn,
    scope: Scope,
    user: UserId,
    organisation: OrganisationId,
    id: i64,
) -> Result<Option<Failure>, StoreError> {
    let mut q = f::table
        .filter(f::id.eq(id))
        .select(failure_columns!())
        .into_boxed();
    q = match scope.records() {
        Rows::Of(o) => q.filter(f::organisation_id.eq(o.0)),
        Rows::All => q,
        Rows::None => q.filter(
            f::created_by
                .eq(user.0)
                .or(f::organisation_id.eq(organisation.0)),
        ),
    };
    q.first::<FailureRow>(conn)
        .optional()?
        .map(failure_from)
        .transpose()
}
