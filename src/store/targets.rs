//! Targets: a programme's contracted outputs for a financial year (e.g. referrals_received
//! = 80). The metric is named like the engagement figure it is compared with; the report
//! lists a metric it does not know without an achievement rather than refusing it.

use diesel::prelude::*;
use serde::Serialize;

use super::{now, StoreError};
use crate::db::schema::targets as t;
use crate::db::DbConn;
use crate::domain::ids::ProgrammeId;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Target {
    pub id: i64,
    pub programme_id: ProgrammeId,
    /// `2025-26`.
    pub financial_year: String,
    pub metric: String,
    pub value: f64,
}

/// Adds a target; a second target of the same metric, programme and year is `Duplicate`.
pub fn insert(
    conn: &mut DbConn,
    programme: ProgrammeId,
    financial_year: &str,
    metric: &str,
    value: f64,
) -> Result<(), StoreError> {
    diesel::insert_into(t::table)
        .values((
            t::programme_id.eq(programme.0),
            t::financial_year.eq(financial_year),
            t::metric.eq(metric.trim()),
            t::value.eq(value),
            t::created_at.eq(now()),
        ))
        .execute(conn)
        .map_err(|e| {
            StoreError::from_insert(
                e,
                &format!("a {metric} target for this programme in {financial_year}"),
            )
        })?;
    Ok(())
}

/// A programme's targets, by year and metric.
pub fn of_programme(conn: &mut DbConn, programme: ProgrammeId) -> Result<Vec<Target>, StoreError> {
    let rows: Vec<(i64, i64, String, String, f64)> = t::table
        .filter(t::programme_id.eq(programme.0))
        .order((t::financial_year, t::metric))
        .select((
            t::id,
            t::programme_id,
            t::financial_year,
            t::metric,
            t::value,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, programme, financial_year, metric, value)| Target {
            id,
            programme_id: ProgrammeId(programme),
            financial_year,
            metric,
            value,
        })
        .collect())
}
