//! Void marks of casework records (participants, referrals, sessions, outcome records,
//! group surveys): who voided a record, when and why. A voided record is kept, and every
//! other store query leaves it out (`voided_at IS NULL`); only these functions see it.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use super::{now, StoreError};
use crate::db::schema::{
    group_survey_voids as gv, outcome_record_voids as ov, participant_voids as pv,
    referral_voids as rv, referrals as r, session_voids as sv,
};
use crate::db::DbConn;
use crate::domain::access::{Rows, Scope};
use crate::domain::ids::{OrganisationId, ProgrammeId, UserId};

/// The kinds of record that can be voided, changed and have a history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    Participant,
    Referral,
    Session,
    OutcomeRecord,
    GroupSurvey,
}

impl RecordKind {
    /// The entity name of its audit events.
    pub fn entity(self) -> &'static str {
        match self {
            RecordKind::Participant => "participant",
            RecordKind::Referral => "referral",
            RecordKind::Session => "session",
            RecordKind::OutcomeRecord => "outcome_record",
            RecordKind::GroupSurvey => "group_survey",
        }
    }

    /// From the path segment of the API (`participants`, `group-surveys`, …).
    pub fn from_path(segment: &str) -> Option<Self> {
        Some(match segment {
            "participants" => RecordKind::Participant,
            "referrals" => RecordKind::Referral,
            "sessions" => RecordKind::Session,
            "outcomes" => RecordKind::OutcomeRecord,
            "group-surveys" => RecordKind::GroupSurvey,
            _ => return None,
        })
    }
}

/// Stored timestamps are UTC without a zone; the API writes them as RFC 3339 UTC.
pub fn rfc3339_utc<S: serde::Serializer>(t: &NaiveDateTime, s: S) -> Result<S::Ok, S::Error> {
    t.and_utc().serialize(s)
}

/// A void mark.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct VoidMark {
    /// RFC 3339 UTC, as every timestamp of the API.
    #[serde(serialize_with = "rfc3339_utc")]
    pub voided_at: NaiveDateTime,
    pub voided_by: Option<i64>,
    pub reason: String,
}

/// A record's void columns as the query reads them (`voided_at`, `voided_by`,
/// `voided_reason`).
#[derive(Queryable)]
struct Mark {
    voided_at: Option<NaiveDateTime>,
    voided_by: Option<i64>,
    voided_reason: Option<String>,
}

fn mark(m: Mark) -> Option<VoidMark> {
    m.voided_at.map(|at| VoidMark {
        voided_at: at,
        voided_by: m.voided_by,
        reason: m.voided_reason.unwrap_or_default(),
    })
}

/// The owner of a record, voided or not, and its void mark; `None` when there is no
/// such record or the scope may not see it (both read as "not found").
pub fn find(
    conn: &mut DbConn,
    scope: Scope,
    kind: RecordKind,
    id: i64,
) -> Result<Option<(OrganisationId, Option<VoidMark>)>, StoreError> {
    let row: Option<(i64, Mark)> = match kind {
        RecordKind::Participant => pv::table
            .find(id)
            .select((
                pv::organisation_id,
                (pv::voided_at, pv::voided_by, pv::voided_reason),
            ))
            .first(conn)
            .optional()?,
        RecordKind::Referral => rv::table
            .find(id)
            .select((
                rv::organisation_id,
                (rv::voided_at, rv::voided_by, rv::voided_reason),
            ))
            .first(conn)
            .optional()?,
        RecordKind::Session => sv::table
            .find(id)
            .select((
                sv::organisation_id,
                (sv::voided_at, sv::voided_by, sv::voided_reason),
            ))
            .first(conn)
            .optional()?,
        RecordKind::GroupSurvey => gv::table
            .find(id)
            .select((
                gv::organisation_id,
                (gv::voided_at, gv::voided_by, gv::voided_reason),
            ))
            .first(conn)
            .optional()?,
        RecordKind::OutcomeRecord => {
            use crate::db::schema::outcome_records as o;
            let found: Option<(i64, i64)> = o::table
                .find(id)
                .select((o::id, o::referral_id))
                .first(conn)
                .optional()?;
            match found {
                None => None,
                Some((_, referral)) => {
                    let org: i64 = r::table
                        .find(referral)
                        .select(r::organisation_id)
                        .first(conn)?;
                    let m: Mark = ov::table
                        .find(id)
                        .select((ov::voided_at, ov::voided_by, ov::voided_reason))
                        .first(conn)?;
                    Some((org, m))
                }
            }
        }
    };
    Ok(row.and_then(|(org, m)| {
        let org = OrganisationId(org);
        let visible = match scope.records() {
            Rows::Of(o) => o == org,
            Rows::All => true,
            Rows::None => false,
        };
        visible.then(|| (org, mark(m)))
    }))
}

/// Sets (`Some((by, reason))`) or clears (`None`) the void mark of a record. Returns the
/// moment written (so that records voided together can be restored together).
pub fn set(
    conn: &mut DbConn,
    kind: RecordKind,
    id: i64,
    mark: Option<(UserId, &str)>,
    at: NaiveDateTime,
) -> Result<(), StoreError> {
    let (at, by, reason) = match mark {
        Some((by, reason)) => (Some(at), Some(by.0), Some(reason.to_string())),
        None => (None, None, None),
    };
    macro_rules! write {
        ($t:ident) => {
            diesel::update($t::table.find(id))
                .set((
                    $t::voided_at.eq(at),
                    $t::voided_by.eq(by),
                    $t::voided_reason.eq(reason),
                ))
                .execute(conn)?
        };
    }
    match kind {
        RecordKind::Participant => write!(pv),
        RecordKind::Referral => write!(rv),
        RecordKind::Session => write!(sv),
        RecordKind::OutcomeRecord => write!(ov),
        RecordKind::GroupSurvey => write!(gv),
    };
    Ok(())
}

/// The moment to stamp a void with.
pub fn stamp() -> NaiveDateTime {
    now()
}

/// Referrals of a participant that are not voided (what voiding it also voids), or those
/// voided at `at` (what restoring it also restores).
pub fn referrals_of(
    conn: &mut DbConn,
    participant: i64,
    at: Option<NaiveDateTime>,
) -> Result<Vec<(i64, String)>, StoreError> {
    let all: Vec<(i64, String)> = r::table
        .filter(r::participant_id.eq(participant))
        .select((r::id, r::reference))
        .order(r::id)
        .load(conn)?;
    let ids: Vec<i64> = all.iter().map(|x| x.0).collect();
    let q = rv::table
        .filter(rv::id.eq_any(&ids))
        .select(rv::id)
        .into_boxed();
    let q = match at {
        None => q.filter(rv::voided_at.is_null()),
        Some(at) => q.filter(rv::voided_at.eq(at)),
    };
    let keep: std::collections::HashSet<i64> = q.load::<i64>(conn)?.into_iter().collect();
    Ok(all.into_iter().filter(|x| keep.contains(&x.0)).collect())
}

/// Group surveys of a session that are not voided, or those voided at `at`.
pub fn surveys_of(
    conn: &mut DbConn,
    session: i64,
    at: Option<NaiveDateTime>,
) -> Result<Vec<i64>, StoreError> {
    use crate::db::schema::group_surveys as g;
    let ids: Vec<i64> = g::table
        .filter(g::session_id.eq(session))
        .select(g::id)
        .order(g::id)
        .load(conn)?;
    let q = gv::table
        .filter(gv::id.eq_any(&ids))
        .select(gv::id)
        .into_boxed();
    let q = match at {
        None => q.filter(gv::voided_at.is_null()),
        Some(at) => q.filter(gv::voided_at.eq(at)),
    };
    let keep: std::collections::HashSet<i64> = q.load::<i64>(conn)?.into_iter().collect();
    Ok(ids.into_iter().filter(|x| keep.contains(x)).collect())
}

/// The dated facts of a record (voided or not), with its programme: see
/// `casework::corrections` for what each kind touches.
pub fn dates(
    conn: &mut DbConn,
    kind: RecordKind,
    id: i64,
) -> Result<Vec<(ProgrammeId, &'static str, NaiveDate)>, StoreError> {
    use crate::db::schema::{
        attendance as a, group_surveys as g, outcome_records as o, sessions as s,
    };
    let mut out = Vec::new();
    match kind {
        RecordKind::Participant => {}
        RecordKind::Referral => {
            let (programme, referred_on, decided_on, closed_on): (
                i64,
                NaiveDate,
                Option<NaiveDate>,
                Option<NaiveDate>,
            ) = r::table
                .find(id)
                .select((r::programme_id, r::referred_on, r::decided_on, r::closed_on))
                .first(conn)?;
            let p = ProgrammeId(programme);
            out.push((p, "referred_on", referred_on));
            out.extend(decided_on.map(|d| (p, "decided_on", d)));
            out.extend(closed_on.map(|d| (p, "closed_on", d)));
            let sessions: Vec<NaiveDate> = a::table
                .filter(a::referral_id.eq(id))
                .select(a::session_date)
                .load(conn)?;
            out.extend(sessions.into_iter().map(|d| (p, "date", d)));
        }
        RecordKind::Session => {
            let (programme, date): (i64, NaiveDate) = s::table
                .find(id)
                .select((s::programme_id, s::date))
                .first(conn)?;
            out.push((ProgrammeId(programme), "date", date));
        }
        RecordKind::OutcomeRecord => {
            let (programme, date): (i64, NaiveDate) = o::table
                .inner_join(r::table)
                .filter(o::id.eq(id))
                .select((r::programme_id, o::recorded_on))
                .first(conn)?;
            out.push((ProgrammeId(programme), "recorded_on", date));
        }
        RecordKind::GroupSurvey => {
            let (programme, date): (i64, NaiveDate) = g::table
                .find(id)
                .select((g::programme_id, g::recorded_on))
                .first(conn)?;
            out.push((ProgrammeId(programme), "recorded_on", date));
        }
    }
    Ok(out)
}
