//! Sessions (delivery events of a programme) and their attendance registers.

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Serialize;

use super::{now, StoreError};
use crate::db::schema::{attendance as a, referrals as r, sessions as s};
use crate::db::DbConn;
use crate::domain::access::Scope;
use crate::domain::enums::{AttendanceStatus, SessionKind};
use crate::domain::ids::{OrganisationId, ProgrammeId, ReferralId, SessionId};
use crate::{on_backend, scoped};

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct SessionFields {
    pub reference: Option<String>,
    pub programme_id: ProgrammeId,
    pub date: NaiveDate,
    pub kind: SessionKind,
    pub duration_minutes: Option<i32>,
    pub headcount: i32,
    pub district: Option<String>,
    pub venue: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Session {
    pub id: SessionId,
    pub organisation_id: OrganisationId,
    #[serde(flatten)]
    pub fields: SessionFields,
}

/// A row as the query reads it, field by field in the order of its columns.
#[derive(Queryable)]
struct Row {
    id: i64,
    organisation_id: i64,
    reference: Option<String>,
    programme_id: i64,
    date: NaiveDate,
    kind: SessionKind,
    duration_minutes: Option<i32>,
    headcount: i32,
    district: Option<String>,
    venue: Option<String>,
}

macro_rules! columns {
    () => {
        (
            s::id,
            s::organisation_id,
            s::reference,
            s::programme_id,
            s::date,
            s::kind,
            s::duration_minutes,
            s::headcount,
            s::district,
            s::venue,
        )
    };
}

fn from_row(x: Row) -> Result<Session, StoreError> {
    Ok(Session {
        id: SessionId(x.id),
        organisation_id: OrganisationId(x.organisation_id),
        fields: SessionFields {
            reference: x.reference,
            programme_id: ProgrammeId(x.programme_id),
            date: x.date,
            kind: x.kind,
            duration_minutes: x.duration_minutes,
            headcount: x.headcount,
            district: x.district,
            venue: x.venue,
        },
    })
}

pub fn of_organisation(
    conn: &mut DbConn,
    organisation: OrganisationId,
) -> Result<Vec<Session>, StoreError> {
    s::table
        .filter(s::organisation_id.eq(organisation.0))
        .filter(s::voided_at.is_null())
        .order((s::date, s::id))
        .select(columns!())
        .load::<Row>(conn)?
        .into_iter()
        .map(from_row)
        .collect()
}

pub fn insert(
    conn: &mut DbConn,
    organisation: OrganisationId,
    f: &SessionFields,
) -> Result<SessionId, StoreError> {
    let t = now();
    let values = (
        s::organisation_id.eq(organisation.0),
        s::reference.eq(&f.reference),
        s::programme_id.eq(f.programme_id.0),
        s::date.eq(f.date),
        s::kind.eq(f.kind.as_str()),
        s::duration_minutes.eq(f.duration_minutes),
        s::headcount.eq(f.headcount),
        s::district.eq(&f.district),
        s::venue.eq(&f.venue),
        s::created_at.eq(t),
        s::updated_at.eq(t),
    );
    let id: i64 = on_backend!(conn, |c| diesel::insert_into(s::table)
        .values(values)
        .returning(s::id)
        .get_result(c))
    .map_err(|e| StoreError::from_insert(e, "a session with this reference"))?;
    Ok(SessionId(id))
}

/// Updates a session's details (not its programme: attendance depends on it).
pub fn update(conn: &mut DbConn, id: SessionId, f: &SessionFields) -> Result<(), StoreError> {
    diesel::update(s::table.find(id.0))
        .set((
            s::date.eq(f.date),
            s::kind.eq(f.kind.as_str()),
            s::duration_minutes.eq(f.duration_minutes),
            s::headcount.eq(f.headcount),
            s::district.eq(&f.district),
            s::venue.eq(&f.venue),
            s::updated_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// One line of a register.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct AttendanceFields {
    pub session_id: SessionId,
    pub referral_id: ReferralId,
    pub programme_id: ProgrammeId,
    /// The session's date: the database refuses any other (a foreign key to the session's
    /// id, programme and date), and follows the session when its date changes.
    pub session_date: NaiveDate,
    pub status: AttendanceStatus,
    pub hours: Option<f64>,
}

/// Attendance of one organisation's sessions, keyed by (session, referral).
pub fn attendance_of_organisation(
    conn: &mut DbConn,
    organisation: OrganisationId,
) -> Result<Vec<(i64, AttendanceFields)>, StoreError> {
    type Line = (
        i64,
        SessionId,
        ReferralId,
        ProgrammeId,
        NaiveDate,
        AttendanceStatus,
        Option<f64>,
    );
    let rows: Vec<Line> = a::table
        .inner_join(s::table)
        .inner_join(r::table)
        .filter(s::organisation_id.eq(organisation.0))
        .filter(s::voided_at.is_null())
        .filter(r::voided_at.is_null())
        .order((a::session_id, a::referral_id))
        .select((
            a::id,
            a::session_id,
            a::referral_id,
            a::programme_id,
            a::session_date,
            a::status,
            a::hours,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(id, session_id, referral_id, programme_id, session_date, status, hours)| {
                (
                    id,
                    AttendanceFields {
                        session_id,
                        referral_id,
                        programme_id,
                        session_date,
                        status,
                        hours,
                    },
                )
            },
        )
        .collect())
}

pub fn insert_attendance(conn: &mut DbConn, f: &AttendanceFields) -> Result<(), StoreError> {
    let t = now();
    diesel::insert_into(a::table)
        .values((
            a::session_id.eq(f.session_id.0),
            a::referral_id.eq(f.referral_id.0),
            a::programme_id.eq(f.programme_id.0),
            a::session_date.eq(f.session_date),
            a::status.eq(f.status.as_str()),
            a::hours.eq(f.hours),
            a::created_at.eq(t),
            a::updated_at.eq(t),
        ))
        .execute(conn)
        .map_err(|e| StoreError::from_insert(e, "attendance for this referral at this session"))?;
    Ok(())
}

pub fn update_attendance(
    conn: &mut DbConn,
    id: i64,
    f: &AttendanceFields,
) -> Result<(), StoreError> {
    diesel::update(a::table.find(id))
        .set((
            a::status.eq(f.status.as_str()),
            a::hours.eq(f.hours),
            a::updated_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Removes a register mark (the line becomes "not recorded").
pub fn delete_attendance(conn: &mut DbConn, id: i64) -> Result<(), StoreError> {
    diesel::delete(a::table.find(id)).execute(conn)?;
    Ok(())
}

/// Adds many sessions with ids chosen by the caller (bulk loading, e.g. the demo); see
/// `participants::insert_many_with_ids`.
pub fn insert_many_with_ids(conn: &mut DbConn, rows: &[Session]) -> Result<(), StoreError> {
    let t = now();
    for chunk in rows.chunks(super::rows_per_insert(12)) {
        let values: Vec<_> = chunk
            .iter()
            .map(|x| {
                let f = &x.fields;
                (
                    s::id.eq(x.id.0),
                    s::organisation_id.eq(x.organisation_id.0),
                    s::reference.eq(&f.reference),
                    s::programme_id.eq(f.programme_id.0),
                    s::date.eq(f.date),
                    s::kind.eq(f.kind.as_str()),
                    s::duration_minutes.eq(f.duration_minutes),
                    s::headcount.eq(f.headcount),
                    s::district.eq(&f.district),
                    s::venue.eq(&f.venue),
                    s::created_at.eq(t),
                    s::updated_at.eq(t),
                )
            })
            .collect();
        on_backend!(conn, |c| diesel::insert_into(s::table)
            .values(&values)
            .execute(c))?;
    }
    Ok(())
}

/// The largest session id so far (0 when there is none).
pub fn max_id(conn: &mut DbConn) -> Result<i64, StoreError> {
    Ok(s::table
        .select(diesel::dsl::max(s::id))
        .first::<Option<i64>>(conn)?
        .unwrap_or(0))
}

/// Adds many attendance lines in multi-row statements (bulk loading).
pub fn insert_attendance_many(
    conn: &mut DbConn,
    rows: &[AttendanceFields],
) -> Result<(), StoreError> {
    let t = now();
    for chunk in rows.chunks(super::rows_per_insert(8)) {
        let values: Vec<_> = chunk
            .iter()
            .map(|f| {
                (
                    a::session_id.eq(f.session_id.0),
                    a::referral_id.eq(f.referral_id.0),
                    a::programme_id.eq(f.programme_id.0),
                    a::session_date.eq(f.session_date),
                    a::status.eq(f.status.as_str()),
                    a::hours.eq(f.hours),
                    a::created_at.eq(t),
                    a::updated_at.eq(t),
                )
            })
            .collect();
        on_backend!(conn, |c| diesel::insert_into(a::table)
            .values(&values)
            .execute(c))?;
    }
    Ok(())
}

/// What a list of sessions is narrowed to.
#[derive(Debug, Clone, Default)]
pub struct SessionFilter {
    pub programme: Option<ProgrammeId>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

macro_rules! filtered {
    ($scope:expr, $filter:expr) => {{
        let f: &SessionFilter = $filter;
        let mut q =
            scoped!(s::table, $scope.records(), s::organisation_id).filter(s::voided_at.is_null());
        if let Some(p) = f.programme {
            q = q.filter(s::programme_id.eq(p.0));
        }
        if let Some(d) = f.from {
            q = q.filter(s::date.ge(d));
        }
        if let Some(d) = f.to {
            q = q.filter(s::date.le(d));
        }
        q
    }};
}

/// A page of the scope's sessions, most recent first.
pub fn list(
    conn: &mut DbConn,
    scope: Scope,
    filter: &SessionFilter,
    limit: i64,
    offset: i64,
) -> Result<Vec<Session>, StoreError> {
    filtered!(scope, filter)
        .order((s::date.desc(), s::id.desc()))
        .limit(limit)
        .offset(offset)
        .select(columns!())
        .load::<Row>(conn)?
        .into_iter()
        .map(from_row)
        .collect()
}

/// The scope's sessions dated from `since` to `until` with no register: no attendance
/// line and no headcount (a caseworker's home page asks for them), newest first.
pub fn without_register(
    conn: &mut DbConn,
    scope: Scope,
    since: NaiveDate,
    until: NaiveDate,
    limit: i64,
) -> Result<Vec<Session>, StoreError> {
    use crate::db::schema::attendance as a;
    scoped!(s::table, scope.records(), s::organisation_id)
        .filter(s::voided_at.is_null())
        .filter(s::date.ge(since))
        .filter(s::date.le(until))
        .filter(s::headcount.eq(0))
        .filter(diesel::dsl::not(diesel::dsl::exists(
            a::table.filter(a::session_id.eq(s::id)),
        )))
        .order((s::date.desc(), s::id.desc()))
        .limit(limit)
        .select(columns!())
        .load::<Row>(conn)?
        .into_iter()
        .map(from_row)
        .collect()
}

pub fn count(conn: &mut DbConn, scope: Scope, filter: &SessionFilter) -> Result<i64, StoreError> {
    Ok(filtered!(scope, filter).count().get_result(conn)?)
}

/// One session, if the scope may see it.
pub fn find(conn: &mut DbConn, scope: Scope, id: SessionId) -> Result<Session, StoreError> {
    let row = scoped!(s::table, scope.records(), s::organisation_id)
        .filter(s::id.eq(id.0))
        .filter(s::voided_at.is_null())
        .select(columns!())
        .first::<Row>(conn)
        .map_err(StoreError::from_query)?;
    from_row(row)
}

/// Gives a session recorded without a reference the reference `S-<id>`, so that its
/// attendance can be exported and imported again.
pub fn set_reference(conn: &mut DbConn, id: SessionId, reference: &str) -> Result<(), StoreError> {
    diesel::update(s::table.find(id.0))
        .set(s::reference.eq(reference))
        .execute(conn)
        .map_err(|e| StoreError::from_insert(e, "a session with this reference"))?;
    Ok(())
}

pub fn set_headcount(conn: &mut DbConn, id: SessionId, headcount: i32) -> Result<(), StoreError> {
    diesel::update(s::table.find(id.0))
        .set((s::headcount.eq(headcount), s::updated_at.eq(now())))
        .execute(conn)?;
    Ok(())
}

/// A register line with the referral's reference, for showing a session's register.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegisterLine {
    pub referral_id: ReferralId,
    pub referral_reference: String,
    pub status: AttendanceStatus,
    pub hours: Option<f64>,
}

/// The attendance recorded at one session (the caller has checked the session's scope).
pub fn register_of(conn: &mut DbConn, session: SessionId) -> Result<Vec<RegisterLine>, StoreError> {
    let rows: Vec<(ReferralId, String, AttendanceStatus, Option<f64>)> = a::table
        .inner_join(r::table)
        .filter(a::session_id.eq(session.0))
        .filter(r::voided_at.is_null())
        .order(r::reference)
        .select((a::referral_id, r::reference, a::status, a::hours))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(referral_id, referral_reference, status, hours)| RegisterLine {
                referral_id,
                referral_reference,
                status,
                hours,
            },
        )
        .collect())
}

/// One referral's attendance, with each session's id, reference and date, by date.
#[derive(Debug, Clone, PartialEq, Serialize, Queryable)]
pub struct AttendanceOfReferral {
    pub session_id: SessionId,
    pub session_reference: Option<String>,
    pub date: NaiveDate,
    pub kind: SessionKind,
    pub status: AttendanceStatus,
    pub hours: Option<f64>,
}

pub fn attendance_of_referral(
    conn: &mut DbConn,
    referral: ReferralId,
) -> Result<Vec<AttendanceOfReferral>, StoreError> {
    Ok(a::table
        .inner_join(s::table)
        .filter(a::referral_id.eq(referral.0))
        .filter(s::voided_at.is_null())
        .order((s::date, s::id))
        .select((s::id, s::reference, s::date, s::kind, a::status, a::hours))
        .load::<AttendanceOfReferral>(conn)?)
}

/// Records one line of a register: inserts it, or updates the line already there.
/// Returns whether anything changed.
/// Locks a session's row until the transaction ends, so that register writes to one
/// session run one after the other on PostgreSQL (under `READ COMMITTED` two could both
/// find a line missing and both insert it, or each skip a line the other changed).
/// SQLite needs nothing: `write_transaction` holds the database's write lock.
pub fn lock_for_register(conn: &mut DbConn, id: SessionId) -> Result<(), StoreError> {
    if let DbConn::Postgres(c) = conn {
        s::table
            .filter(s::id.eq(id.0))
            .select(s::id)
            .for_update()
            .first::<i64>(c)
            .map_err(StoreError::from_query)?;
    }
    Ok(())
}

pub fn upsert_attendance(conn: &mut DbConn, f: &AttendanceFields) -> Result<bool, StoreError> {
    let existing: Option<(i64, String, Option<f64>)> = a::table
        .filter(a::session_id.eq(f.session_id.0))
        .filter(a::referral_id.eq(f.referral_id.0))
        .select((a::id, a::status, a::hours))
        .first(conn)
        .optional()?;
    match existing {
        Some((_, status, hours)) if status == f.status.as_str() && hours == f.hours => Ok(false),
        Some((id, _, _)) => {
            update_attendance(conn, id, f)?;
            Ok(true)
        }
        None => {
            insert_attendance(conn, f)?;
            Ok(true)
        }
    }
}

/// Removes a referral's mark from a session's register. Returns whether there was one.
pub fn remove_attendance(
    conn: &mut DbConn,
    session: SessionId,
    referral: crate::domain::ids::ReferralId,
) -> Result<bool, StoreError> {
    let n = diesel::delete(
        a::table
            .filter(a::session_id.eq(session.0))
            .filter(a::referral_id.eq(referral.0)),
    )
    .execute(conn)?;
    Ok(n > 0)
}

// --- the people a session is for (issue 15; docs/casework.md "Registers") ----------------

/// The referrals chosen as a session's participants, by referral id (the caller has the
/// session in scope).
pub fn participants_of(
    conn: &mut DbConn,
    session: SessionId,
) -> Result<Vec<ReferralId>, StoreError> {
    use crate::db::schema::session_participants as sp;
    Ok(sp::table
        .filter(sp::session_id.eq(session.0))
        .order(sp::referral_id)
        .select(sp::referral_id)
        .load::<i64>(conn)?
        .into_iter()
        .map(ReferralId)
        .collect())
}

/// Adds a referral (of the session's programme: the caller checked, and the database's
/// foreign keys refuse any other) to a session's participants. Returns whether it was
/// not there yet.
pub fn add_participant(
    conn: &mut DbConn,
    session: SessionId,
    referral: ReferralId,
    programme: ProgrammeId,
) -> Result<bool, StoreError> {
    use crate::db::schema::session_participants as sp;
    let there: i64 = sp::table
        .filter(sp::session_id.eq(session.0))
        .filter(sp::referral_id.eq(referral.0))
        .count()
        .get_result(conn)?;
    if there > 0 {
        return Ok(false);
    }
    diesel::insert_into(sp::table)
        .values((
            sp::session_id.eq(session.0),
            sp::referral_id.eq(referral.0),
            sp::programme_id.eq(programme.0),
            sp::created_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(true)
}

/// Takes a referral off a session's participants. Returns whether it was there.
pub fn remove_participant(
    conn: &mut DbConn,
    session: SessionId,
    referral: ReferralId,
) -> Result<bool, StoreError> {
    use crate::db::schema::session_participants as sp;
    let n = diesel::delete(
        sp::table
            .filter(sp::session_id.eq(session.0))
            .filter(sp::referral_id.eq(referral.0)),
    )
    .execute(conn)?;
    Ok(n > 0)
}
