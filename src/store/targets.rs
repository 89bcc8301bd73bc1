//! Contracted targets: an output a programme is contracted to reach in a financial year
//! (metric name + value, e.g. referrals_received = 80).

use diesel::prelude::*;
use serde::Serialize;

use super::{now, StoreError};
use crate::db::schema::targets as t;
use crate::db::DbConn;
use crate::domain::ids::ProgrammeId;
use crate::on_backend;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Target {
    pub id: i64,
    pub programme_id: ProgrammeId,
    pub financial_year: String,
    pub metric: String,
    pub value: f64,
}

pub fn insert(
    conn: &mut DbConn,
    programme: ProgrammeId,
    financial_year: &str,
    metric: &str,
    value: f64,
) -> Result<i64, StoreError> {
    let values = (
        t::programme_id.eq(programme.0),
        t::financial_year.eq(financial_year),
        t::metric.eq(metric),
        t::value.eq(value),
        t::created_at.eq(now()),
    );
    on_backend!(conn, |c| diesel::insert_into(t::table)
        .values(values)
        .returning(t::id)
        .get_result(c))
    .map_err(|e| StoreError::from_insert(e, &format!("a target for {metric} in {financial_year}")))
}

/// The targets of one programme, by year and metric.
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
        .map(|(id, p, year, metric, value)| Target {
            id,
            programme_id: ProgrammeId(p),
            financial_year: year,
            metric,
            value,
        })
        .collect())
}
