//! Group surveys: anonymous pre/post results of a workshop or programme where the pupils
//! are not registered — a measure, a timepoint (baseline or exit; the database refuses
//! others), the number of respondents and how many gave each scale value.

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Serialize;

use super::{now, parse_word, StoreError};
use crate::db::schema::{group_survey_counts as c, group_surveys as g};
use crate::db::DbConn;
use crate::domain::enums::Timepoint;
use crate::domain::ids::{MeasureId, OrganisationId, ProgrammeId, SessionId};
use crate::on_backend;

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

/// Adds one survey with its counts; returns its id.
pub fn insert(
    conn: &mut DbConn,
    organisation: OrganisationId,
    f: &GroupSurveyFields,
) -> Result<i64, StoreError> {
    let values = (
        g::organisation_id.eq(organisation.0),
        g::programme_id.eq(f.programme_id.0),
        g::session_id.eq(f.session_id.map(|s| s.0)),
        g::measure_id.eq(f.measure_id.0),
        g::timepoint.eq(f.timepoint.as_str()),
        g::recorded_on.eq(f.recorded_on),
        g::respondents.eq(f.respondents),
        g::created_at.eq(now()),
    );
    let id: i64 = on_backend!(conn, |x| diesel::insert_into(g::table)
        .values(values)
        .returning(g::id)
        .get_result(x))?;
    insert_counts(conn, &[(id, f)])?;
    Ok(id)
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

/// A programme's surveys with their counts, by date.
pub fn of_programme(
    conn: &mut DbConn,
    programme: ProgrammeId,
) -> Result<Vec<GroupSurvey>, StoreError> {
    type Row = (i64, i64, Option<i64>, i64, String, NaiveDate, i32);
    let rows: Vec<Row> = g::table
        .filter(g::programme_id.eq(programme.0))
        .order((g::recorded_on, g::id))
        .select((
            g::id,
            g::organisation_id,
            g::session_id,
            g::measure_id,
            g::timepoint,
            g::recorded_on,
            g::respondents,
        ))
        .load(conn)?;
    let counts: Vec<(i64, i32, i32)> = c::table
        .inner_join(g::table)
        .filter(g::programme_id.eq(programme.0))
        .order((c::group_survey_id, c::scale_value))
        .select((c::group_survey_id, c::scale_value, c::respondents))
        .load(conn)?;
    let mut by_survey: std::collections::HashMap<i64, Vec<(i32, i32)>> =
        std::collections::HashMap::new();
    for (id, value, n) in counts {
        by_survey.entry(id).or_default().push((value, n));
    }
    let surveys = rows
        .into_iter()
        .map(
            |(id, org, session, measure, timepoint, recorded_on, respondents)| {
                Ok(GroupSurvey {
                    id,
                    organisation_id: OrganisationId(org),
                    fields: GroupSurveyFields {
                        programme_id: programme,
                        session_id: session.map(SessionId),
                        measure_id: MeasureId(measure),
                        timepoint: parse_word(&timepoint)?,
                        recorded_on,
                        respondents,
                        counts: by_survey.remove(&id).unwrap_or_default(),
                    },
                })
            },
        )
        .collect::<Result<_, StoreError>>()?;
    Ok(surveys)
}
