//! Outcome measures: named scales shared by every programme, and each programme's
//! outcome framework (the measures it records).

use diesel::prelude::*;
use serde::Serialize;

use super::{now, StoreError};
use crate::db::schema::outcome_measures as m;
use crate::db::DbConn;
use crate::domain::ids::{MeasureId, ProgrammeId};
use crate::on_backend;

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct MeasureFields {
    pub name: String,
    pub min: f64,
    pub max: f64,
    pub higher_is_better: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Measure {
    pub id: MeasureId,
    #[serde(flatten)]
    pub fields: MeasureFields,
}

/// A row as the query reads it, field by field in the order of its columns.
#[derive(Queryable)]
struct Row {
    id: i64,
    name: String,
    min: f64,
    max: f64,
    higher_is_better: bool,
}

fn from_row(r: Row) -> Measure {
    Measure {
        id: MeasureId(r.id),
        fields: MeasureFields {
            name: r.name,
            min: r.min,
            max: r.max,
            higher_is_better: r.higher_is_better,
        },
    }
}

pub fn all(conn: &mut DbConn) -> Result<Vec<Measure>, StoreError> {
    Ok(m::table
        .order(m::name)
        .select((
            m::id,
            m::name,
            m::min_value,
            m::max_value,
            m::higher_is_better,
        ))
        .load::<Row>(conn)?
        .into_iter()
        .map(from_row)
        .collect())
}

pub fn insert(conn: &mut DbConn, f: &MeasureFields) -> Result<MeasureId, StoreError> {
    let values = (
        m::name.eq(&f.name),
        m::min_value.eq(f.min),
        m::max_value.eq(f.max),
        m::higher_is_better.eq(f.higher_is_better),
        m::created_at.eq(now()),
    );
    let id: i64 = on_backend!(conn, |c| diesel::insert_into(m::table)
        .values(values)
        .returning(m::id)
        .get_result(c))
    .map_err(|e| StoreError::from_insert(e, &format!("a measure named '{}'", f.name)))?;
    Ok(MeasureId(id))
}

pub fn update(conn: &mut DbConn, id: MeasureId, f: &MeasureFields) -> Result<(), StoreError> {
    diesel::update(m::table.find(id.0))
        .set((
            m::min_value.eq(f.min),
            m::max_value.eq(f.max),
            m::higher_is_better.eq(f.higher_is_better),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConn, id: MeasureId) -> Result<Measure, StoreError> {
    m::table
        .find(id.0)
        .select((
            m::id,
            m::name,
            m::min_value,
            m::max_value,
            m::higher_is_better,
        ))
        .first::<Row>(conn)
        .map(from_row)
        .map_err(StoreError::from_query)
}

/// A programme's outcome framework: its measures in the order its form asks them (empty
/// when none were chosen: the programme then accepts any measure).
pub fn framework(conn: &mut DbConn, programme: ProgrammeId) -> Result<Vec<Measure>, StoreError> {
    use crate::db::schema::programme_measures as pm;
    Ok(pm::table
        .inner_join(m::table)
        .filter(pm::programme_id.eq(programme.0))
        .order((pm::position, m::name))
        .select((
            m::id,
            m::name,
            m::min_value,
            m::max_value,
            m::higher_is_better,
        ))
        .load::<Row>(conn)?
        .into_iter()
        .map(from_row)
        .collect())
}

/// Replaces a programme's outcome framework with these measures, in this order.
pub fn set_framework(
    conn: &mut DbConn,
    programme: ProgrammeId,
    measures: &[MeasureId],
) -> Result<(), StoreError> {
    use crate::db::schema::programme_measures as pm;
    diesel::delete(pm::table.filter(pm::programme_id.eq(programme.0))).execute(conn)?;
    // One row at a time: batch inserts do not go through `MultiConnection`, and a
    // framework is a handful of measures.
    for (i, id) in measures.iter().enumerate() {
        diesel::insert_into(pm::table)
            .values((
                pm::programme_id.eq(programme.0),
                pm::measure_id.eq(id.0),
                pm::position.eq(i as i32),
            ))
            .execute(conn)?;
    }
    Ok(())
}
