//! Group surveys: anonymous results of a session's (or programme's) pre/post survey, as
//! the number of respondents at each scale value. No person is recorded.

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Serialize;

use super::{now, parse_word, StoreError};
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

type Row = (
    i64,
    i64,
    i64,
    Option<i64>,
    i64,
    String,
    String,
    NaiveDate,
    i32,
);

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
        );
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
            .filter(c::group_survey_id.eq(x.0))
            .order(c::scale_value)
            .select((c::scale_value, c::respondents))
            .load(conn)?;
        items.push(Survey {
            id: x.0,
            organisation_id: OrganisationId(x.1),
            programme_id: ProgrammeId(x.2),
            session_id: x.3.map(SessionId),
            measure_id: MeasureId(x.4),
            measure: x.5,
            timepoint: parse_word(&x.6)?,
            recorded_on: x.7,
            respondents: x.8,
            counts: counts
                .into_iter()
                .map(|(value, respondents)| ScaleCount { value, respondents })
                .collect(),
        });
    }
    Ok((count, items))
}
