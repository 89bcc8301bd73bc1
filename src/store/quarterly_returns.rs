//! Quarterly returns: one row per programme and quarter, with its status (submitted,
//! approved, returned, unlocked), the comment of the last decision (or the reason of an
//! unlock), who submitted and who decided. A return belongs to its programme's provider:
//! `find` takes the actor's `Scope` (aggregate figures: every programme for
//! commissioners, analysts and admins, their own for provider staff). The history of a
//! return is its audit events (`casework::returns`).

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::{now, StoreError};
use crate::db::schema::{programmes, quarterly_returns as r};
use crate::db::DbConn;
use crate::domain::access::Scope;
use crate::domain::enums::ReturnStatus;
use crate::domain::ids::{OrganisationId, ProgrammeId, ReturnId, UserId};
use crate::domain::period::Quarter;
use crate::domain::returns::{parse_quarter, Locks};
use crate::{on_backend, scoped};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuarterlyReturn {
    pub id: ReturnId,
    pub programme_id: ProgrammeId,
    /// The programme's provider.
    pub organisation_id: OrganisationId,
    /// Like `2025-26-Q3`.
    pub quarter: String,
    pub status: ReturnStatus,
    /// The comment of a return to the provider, or the reason of an unlock; "" otherwise.
    pub comment: String,
    pub submitted_by: Option<UserId>,
    pub submitted_at: Option<NaiveDateTime>,
    pub decided_by: Option<UserId>,
    pub decided_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
    /// What the provider wrote about the quarter when submitting; "" when nothing.
    pub narrative: String,
}

/// A row as the query reads it, field by field in the order of its columns.
#[derive(Queryable)]
struct Row {
    id: i64,
    programme_id: i64,
    organisation_id: i64,
    quarter: String,
    status: ReturnStatus,
    comment: String,
    submitted_by: Option<i64>,
    submitted_at: Option<NaiveDateTime>,
    decided_by: Option<i64>,
    decided_at: Option<NaiveDateTime>,
    updated_at: NaiveDateTime,
    narrative: String,
}

macro_rules! columns {
    () => {
        (
            r::id,
            r::programme_id,
            programmes::organisation_id,
            r::quarter,
            r::status,
            r::comment,
            r::submitted_by,
            r::submitted_at,
            r::decided_by,
            r::decided_at,
            r::updated_at,
            r::narrative,
        )
    };
}

fn from_row(row: Row) -> Result<QuarterlyReturn, StoreError> {
    Ok(QuarterlyReturn {
        id: ReturnId(row.id),
        programme_id: ProgrammeId(row.programme_id),
        organisation_id: OrganisationId(row.organisation_id),
        quarter: row.quarter,
        status: row.status,
        comment: row.comment,
        submitted_by: row.submitted_by.map(UserId),
        submitted_at: row.submitted_at,
        decided_by: row.decided_by.map(UserId),
        decided_at: row.decided_at,
        updated_at: row.updated_at,
        narrative: row.narrative,
    })
}

/// A return whose programme the scope may see, or `NotFound`.
pub fn find(conn: &mut DbConn, scope: Scope, id: ReturnId) -> Result<QuarterlyReturn, StoreError> {
    let row = scoped!(
        r::table.inner_join(programmes::table),
        scope.aggregates(),
        programmes::organisation_id
    )
    .filter(r::id.eq(id.0))
    .select(columns!())
    .first::<Row>(conn)
    .map_err(StoreError::from_query)?;
    from_row(row)
}

/// The returns of one programme (whose visibility the caller has checked), newest
/// quarter first.
pub fn of_programme(
    conn: &mut DbConn,
    programme: ProgrammeId,
) -> Result<Vec<QuarterlyReturn>, StoreError> {
    r::table
        .inner_join(programmes::table)
        .filter(r::programme_id.eq(programme.0))
        .order(r::quarter.desc())
        .select(columns!())
        .load::<Row>(conn)?
        .into_iter()
        .map(from_row)
        .collect()
}

/// The return of a programme for a quarter, if there is one.
pub fn for_quarter(
    conn: &mut DbConn,
    programme: ProgrammeId,
    quarter: Quarter,
) -> Result<Option<QuarterlyReturn>, StoreError> {
    r::table
        .inner_join(programmes::table)
        .filter(r::programme_id.eq(programme.0))
        .filter(r::quarter.eq(quarter.to_string()))
        .select(columns!())
        .first::<Row>(conn)
        .optional()?
        .map(from_row)
        .transpose()
}

/// Records a first submission.
pub fn insert_submitted(
    conn: &mut DbConn,
    programme: ProgrammeId,
    quarter: Quarter,
    narrative: &str,
    by: UserId,
) -> Result<ReturnId, StoreError> {
    let t = now();
    let values = (
        r::programme_id.eq(programme.0),
        r::quarter.eq(quarter.to_string()),
        r::status.eq(ReturnStatus::Submitted.as_str()),
        r::comment.eq(""),
        r::narrative.eq(narrative),
        r::submitted_by.eq(Some(by.0)),
        r::submitted_at.eq(Some(t)),
        r::updated_at.eq(t),
    );
    let id: i64 = on_backend!(conn, |c| diesel::insert_into(r::table)
        .values(values)
        .returning(r::id)
        .get_result(c))
    .map_err(|e| StoreError::from_insert(e, &format!("a return for {quarter}")))?;
    Ok(ReturnId(id))
}

/// A return written as history (the demo): submitted at `submitted_at` by nobody, and
/// when approved, approved ten days later.
pub fn insert_history(
    conn: &mut DbConn,
    programme: ProgrammeId,
    quarter: Quarter,
    status: ReturnStatus,
    submitted_at: NaiveDateTime,
) -> Result<ReturnId, StoreError> {
    let decided_at =
        (status != ReturnStatus::Submitted).then(|| submitted_at + chrono::Days::new(10));
    let values = (
        r::programme_id.eq(programme.0),
        r::quarter.eq(quarter.to_string()),
        r::status.eq(status.as_str()),
        r::comment.eq(""),
        r::submitted_at.eq(Some(submitted_at)),
        r::decided_at.eq(decided_at),
        r::updated_at.eq(decided_at.unwrap_or(submitted_at)),
    );
    let id: i64 = on_backend!(conn, |c| diesel::insert_into(r::table)
        .values(values)
        .returning(r::id)
        .get_result(c))
    .map_err(|e| StoreError::from_insert(e, &format!("a return for {quarter}")))?;
    Ok(ReturnId(id))
}

/// Submits a returned, unlocked or withdrawn return again: the last decision is cleared.
pub fn resubmit(
    conn: &mut DbConn,
    id: ReturnId,
    narrative: &str,
    by: UserId,
) -> Result<(), StoreError> {
    let t = now();
    diesel::update(r::table.find(id.0))
        .set((
            r::status.eq(ReturnStatus::Submitted.as_str()),
            r::comment.eq(""),
            r::narrative.eq(narrative),
            r::submitted_by.eq(Some(by.0)),
            r::submitted_at.eq(Some(t)),
            r::decided_by.eq(None::<i64>),
            r::decided_at.eq(None::<NaiveDateTime>),
            r::updated_at.eq(t),
        ))
        .execute(conn)?;
    Ok(())
}

/// Records that the provider withdrew a submitted return (before a decision).
pub fn withdraw(conn: &mut DbConn, id: ReturnId) -> Result<(), StoreError> {
    diesel::update(r::table.find(id.0))
        .set((
            r::status.eq(ReturnStatus::Withdrawn.as_str()),
            r::updated_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// The returns with one of `statuses` whose programmes the scope may see, oldest
/// submission first (the order a commissioner decides them in), at most `limit`.
pub fn with_status(
    conn: &mut DbConn,
    scope: Scope,
    statuses: &[ReturnStatus],
    limit: i64,
) -> Result<Vec<QuarterlyReturn>, StoreError> {
    let words: Vec<&str> = statuses.iter().map(|s| s.as_str()).collect();
    scoped!(
        r::table.inner_join(programmes::table),
        scope.aggregates(),
        programmes::organisation_id
    )
    .filter(r::status.eq_any(words))
    .order((r::submitted_at.asc(), r::id.asc()))
    .limit(limit)
    .select(columns!())
    .load::<Row>(conn)?
    .into_iter()
    .map(from_row)
    .collect()
}

/// Records a decision (approved, returned) or an unlock, with its comment or reason.
pub fn decide(
    conn: &mut DbConn,
    id: ReturnId,
    status: ReturnStatus,
    comment: &str,
    by: UserId,
) -> Result<(), StoreError> {
    if let DbConn::Postgres(c) = conn {
        // Waits for writes checking this programme's locks (see `locks`).
        programmes::table
            .filter(programmes::id.eq_any(r::table.find(id.0).select(r::programme_id)))
            .select(programmes::id)
            .for_update()
            .load::<i64>(c)?;
    }
    let t = now();
    diesel::update(r::table.find(id.0))
        .set((
            r::status.eq(status.as_str()),
            r::comment.eq(comment),
            r::decided_by.eq(Some(by.0)),
            r::decided_at.eq(Some(t)),
            r::updated_at.eq(t),
        ))
        .execute(conn)?;
    Ok(())
}

/// The approved quarters of these programmes: the lock on records dated in them. Read
/// inside the writing transaction, so that the check and the write see the same state.
///
/// On PostgreSQL (read committed) the programmes' rows are first locked FOR SHARE, and
/// [`decide`] locks its programme's row FOR UPDATE: an approval waits for writes already
/// checking that programme's locks to commit, and a write that starts during an approval
/// waits for it and then reads the approved quarter. SQLite has one writer at a time
/// (BEGIN IMMEDIATE), so the check and the write cannot interleave with an approval.
pub fn locks(conn: &mut DbConn, programmes: &[ProgrammeId]) -> Result<Locks, StoreError> {
    let ids: Vec<i64> = programmes.iter().map(|p| p.0).collect();
    if let DbConn::Postgres(c) = conn {
        programmes::table
            .filter(programmes::id.eq_any(&ids))
            .select(programmes::id)
            .for_share()
            .load::<i64>(c)?;
    }
    let rows: Vec<(i64, String)> = r::table
        .filter(r::programme_id.eq_any(ids))
        .filter(r::status.eq(ReturnStatus::Approved.as_str()))
        .select((r::programme_id, r::quarter))
        .load(conn)?;
    Ok(Locks::new(rows.into_iter().filter_map(|(p, q)| {
        parse_quarter(&q).map(|q| (ProgrammeId(p), q))
    })))
}

/// The status of each programme's return for one quarter (programmes without one are
/// absent), for the dashboard.
pub fn statuses_for(
    conn: &mut DbConn,
    quarter: Quarter,
) -> Result<HashMap<ProgrammeId, ReturnStatus>, StoreError> {
    Ok(r::table
        .filter(r::quarter.eq(quarter.to_string()))
        .select((r::programme_id, r::status))
        .load::<(ProgrammeId, ReturnStatus)>(conn)?
        .into_iter()
        .collect())
}
