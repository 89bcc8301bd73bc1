//! Group surveys: anonymous results of a session's (or programme's) pre/post survey, as
//! the number of respondents at each scale value. No person is recorded.

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Serialize;

use super::{now, StoreError};
use crate::db::schema::{group_survey_counts as c, group_surveys as g, outcome_measures as m};
use crate::db::DbConn;
use crate::domain::access::Scope;
use crate::domain::enums::Timepoint;
use crate::domain::ids::{MeasureId, OrganisationId, ProgrammeId, SessionId};
use crate::{on_backend, scoped};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewSurvey {
    pub programme_id: ProgrammeId,
    pub session_id: Option<SessionId>,
    pub measure_id: MeasureId,
    pub timepoint: Timepoint,
    pub recorded_on: NaiveDate,
    /// (scale value, respondents) pairs; respondents in total is their sum.
    pub counts: Vec<(i32, i32)>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Survey {
    pub id: i64,
    pub organisation_id: OrganisationId,
    pub programme_id: ProgrammeId,
    pub session_id: Option<SessionId>,
    pub measure_id: MeasureId,
    pub measure: String,
    pub timepoint: Timepoint,
    pub recorded_on: NaiveDate,
    pub respondents: i32,
    pub counts: Vec<ScaleCount>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScaleCount {
    pub value: i32,
    pub respondents: i32,
}

pub fn insert(
    conn: &mut DbConn,
    organisation: OrganisationId,
    s: &NewSurvey,
) -> Result<i64, StoreError> {
    let respondents: i32 = s.counts.iter().map(|(_, n)| n).sum();
    let values = (
        g::organisation_id.eq(organisation.0),
        g::programme_id.eq(s.programme_id.0),
        g::session_id.eq(s.session_id.map(|x| x.0)),
        g::measure_id.eq(s.measure_id.0),
        g::timepoint.eq(s.timepoint.as_str()),
        g::recorded_on.eq(s.recorded_on),
        g::respondents.eq(respondents),
        g::created_at.eq(now()),
    );
    let id: i64 = on_backend!(conn, |x| diesel::insert_into(g::table)
        .values(values)
        .returning(g::id)
        .get_result(x))
    .map_err(|e| StoreError::from_insert(e, "this survey"))?;
    for (value, n) in &s.counts {
        diesel::insert_into(c::table)
            .values((
                c::group_survey_id.eq(id),
                c::scale_value.eq(*value),
                c::respondents.eq(*n),
            ))
            .execute(conn)?;
    }
    Ok(id)
}

/// A row as the query reads it, field by field in the order of its columns.
#[derive(Queryable)]
struct Row {
    id: i64,
    organisation_id: i64,
    programme_id: i64,
    session_id: Option<i64>,
    measure_id: i64,
    measure: String,
    timepoint: Timepoint,
    recorded_on: NaiveDate,
    respondents: i32,
}

/// A page of the scope's surveys, newest first, optionally of one session.
pub fn list(
    conn: &mut DbConn,
    scope: Scope,
    session: Option<SessionId>,
    limit: i64,
    offset: i64,
) -> Result<(i64, Vec<Survey>), StoreError> {
    let query = || {
        let mut q = scoped!(
            g::table.inner_join(m::table),
            scope.records(),
            g::organisation_id
        )
        .filter(g::voided_at.is_null());
        if let Some(s) = session {
            q = q.filter(g::session_id.eq(s.0));
        }
        q
    };
    let count = query().count().get_result(conn)?;
    let rows: Vec<Row> = query()
        .order((g::recorded_on.desc(), g::id.desc()))
        .limit(limit)
        .offset(offset)
        .select((
            g::id,
            g::organisation_id,
            g::programme_id,
            g::session_id,
            g::measure_id,
            m::name,
            g::timepoint,
            g::recorded_on,
            g::respondents,
        ))
        .load(conn)?;
    let mut items = Vec::with_capacity(rows.len());
    for x in rows {
        let counts: Vec<(i32, i32)> = c::table
            .filter(c::group_survey_id.eq(x.id))
            .order(c::scale_value)
            .select((c::scale_value, c::respondents))
            .load(conn)?;
        items.push(Survey {
            id: x.id,
            organisation_id: OrganisationId(x.organisation_id),
            programme_id: ProgrammeId(x.programme_id),
            session_id: x.session_id.map(SessionId),
            measure_id: MeasureId(x.measure_id),
            measure: x.measure,
            timepoint: x.timepoint,
            recorded_on: x.recorded_on,
            respondents: x.respondents,
            counts: counts
                .into_iter()
                .map(|(value, respondents)| ScaleCount { value, respondents })
                .collect(),
        });
    }
    Ok((count, items))
}

// Bulk loading (the demo): surveys with ids chosen by the caller.

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupSurveyFields {
    pub programme_id: ProgrammeId,
    pub session_id: Option<SessionId>,
    pub measure_id: MeasureId,
    /// `Baseline` or `Exit`.
    pub timepoint: Timepoint,
    pub recorded_on: NaiveDate,
    pub respondents: i32,
    /// `(scale value, respondents who gave it)`, each value once.
    pub counts: Vec<(i32, i32)>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupSurvey {
    pub id: i64,
    pub organisation_id: OrganisationId,
    #[serde(flatten)]
    pub fields: GroupSurveyFields,
}

/// Adds many surveys with ids chosen by the caller (bulk loading into tables nobody else
/// writes to at the time, e.g. the demo); PostgreSQL's identity must be advanced after,
/// with `store::sync_id_sequences`.
pub fn insert_many_with_ids(conn: &mut DbConn, rows: &[GroupSurvey]) -> Result<(), StoreError> {
    let t = now();
    for chunk in rows.chunks(super::rows_per_insert(9)) {
        let values: Vec<_> = chunk
            .iter()
            .map(|s| {
                (
                    g::id.eq(s.id),
                    g::organisation_id.eq(s.organisation_id.0),
                    g::programme_id.eq(s.fields.programme_id.0),
                    g::session_id.eq(s.fields.session_id.map(|x| x.0)),
                    g::measure_id.eq(s.fields.measure_id.0),
                    g::timepoint.eq(s.fields.timepoint.as_str()),
                    g::recorded_on.eq(s.fields.recorded_on),
                    g::respondents.eq(s.fields.respondents),
                    g::created_at.eq(t),
                )
            })
            .collect();
        on_backend!(conn, |x| diesel::insert_into(g::table)
            .values(&values)
            .execute(x))?;
    }
    let with_ids: Vec<(i64, &GroupSurveyFields)> = rows.iter().map(|s| (s.id, &s.fields)).collect();
    insert_counts(conn, &with_ids)
}

fn insert_counts(
    conn: &mut DbConn,
    surveys: &[(i64, &GroupSurveyFields)],
) -> Result<(), StoreError> {
    let counts: Vec<_> = surveys
        .iter()
        .flat_map(|(id, f)| {
            f.counts.iter().map(move |(value, n)| {
                (
                    c::group_survey_id.eq(*id),
                    c::scale_value.eq(*value),
                    c::respondents.eq(*n),
                )
            })
        })
        .collect();
    for chunk in counts.chunks(super::rows_per_insert(3)) {
        on_backend!(conn, |x| diesel::insert_into(c::table)
            .values(chunk)
            .execute(x))?;
    }
    Ok(())
}

/// The largest survey id so far (0 when there is none).
pub fn max_id(conn: &mut DbConn) -> Result<i64, StoreError> {
    Ok(g::table
        .select(diesel::dsl::max(g::id))
        .first::<Option<i64>>(conn)?
        .unwrap_or(0))
}

/// One survey, if the scope may see it and it is not voided.
pub fn find(conn: &mut DbConn, scope: Scope, id: i64) -> Result<Survey, StoreError> {
    let organisation: Option<i64> = g::table
        .find(id)
        .filter(g::voided_at.is_null())
        .select(g::organisation_id)
        .first(conn)
        .optional()?;
    let visible = match (organisation, scope.records()) {
        (Some(o), crate::domain::access::Rows::Of(x)) => o == x.0,
        (Some(_), crate::domain::access::Rows::All) => true,
        _ => false,
    };
    if !visible {
        return Err(StoreError::NotFound);
    }
    let session: Option<i64> = g::table.find(id).select(g::session_id).first(conn)?;
    let (_, items) = list(conn, scope, session.map(SessionId), 100_000, 0)?;
    items
        .into_iter()
        .find(|s| s.id == id)
        .ok_or(StoreError::NotFound)
}

/// Replaces a survey's counts (and its respondents, their sum).
pub fn replace_counts(conn: &mut DbConn, id: i64, counts: &[(i32, i32)]) -> Result<(), StoreError> {
    diesel::delete(c::table.filter(c::group_survey_id.eq(id))).execute(conn)?;
    for (value, n) in counts {
        diesel::insert_into(c::table)
            .values((
                c::group_survey_id.eq(id),
                c::scale_value.eq(*value),
                c::respondents.eq(*n),
            ))
            .execute(conn)?;
    }
    let respondents: i32 = counts.iter().map(|(_, n)| n).sum();
    diesel::update(g::table.find(id))
        .set(g::respondents.eq(respondents))
        .execute(conn)?;
    Ok(())
}
