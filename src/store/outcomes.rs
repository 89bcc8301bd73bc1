//! Outcome records: a referral's value on a measure at a timepoint.

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Serialize;

use super::{now, StoreError};
use crate::db::schema::{outcome_measures as m, outcome_records as o, referrals as r};
use crate::db::DbConn;
use crate::domain::access::Scope;
use crate::domain::enums::Timepoint;
use crate::domain::ids::{MeasureId, OrganisationId, ProgrammeId, ReferralId};
use crate::scoped;

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct OutcomeFields {
    pub referral_id: ReferralId,
    pub measure_id: MeasureId,
    pub timepoint: Timepoint,
    pub recorded_on: NaiveDate,
    pub value: f64,
}

/// The outcome records of one organisation's referrals, with their ids.
pub fn of_organisation(
    conn: &mut DbConn,
    organisation: OrganisationId,
) -> Result<Vec<(i64, OutcomeFields)>, StoreError> {
    let rows: Vec<(i64, ReferralId, MeasureId, Timepoint, NaiveDate, f64)> = o::table
        .inner_join(r::table)
        .filter(r::organisation_id.eq(organisation.0))
        .filter(o::voided_at.is_null())
        .filter(r::voided_at.is_null())
        .order((o::referral_id, o::measure_id, o::recorded_on, o::id))
        .select((
            o::id,
            o::referral_id,
            o::measure_id,
            o::timepoint,
            o::recorded_on,
            o::value,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(id, referral_id, measure_id, timepoint, recorded_on, value)| {
                (
                    id,
                    OutcomeFields {
                        referral_id,
                        measure_id,
                        timepoint,
                        recorded_on,
                        value,
                    },
                )
            },
        )
        .collect())
}

pub fn insert(conn: &mut DbConn, f: &OutcomeFields) -> Result<(), StoreError> {
    diesel::insert_into(o::table)
        .values((
            o::referral_id.eq(f.referral_id.0),
            o::measure_id.eq(f.measure_id.0),
            o::timepoint.eq(f.timepoint.as_str()),
            o::recorded_on.eq(f.recorded_on),
            o::value.eq(f.value),
            o::created_at.eq(now()),
        ))
        .execute(conn)
        .map_err(|e| {
            StoreError::from_insert(
                e,
                "an outcome record for this referral, measure, timepoint and date",
            )
        })?;
    Ok(())
}

pub fn update_value(conn: &mut DbConn, id: i64, value: f64) -> Result<(), StoreError> {
    diesel::update(o::table.find(id))
        .set(o::value.eq(value))
        .execute(conn)?;
    Ok(())
}

/// Adds many outcome records in multi-row statements (bulk loading).
pub fn insert_many(conn: &mut DbConn, rows: &[OutcomeFields]) -> Result<(), StoreError> {
    let t = now();
    for chunk in rows.chunks(super::rows_per_insert(6)) {
        let values: Vec<_> = chunk
            .iter()
            .map(|f| {
                (
                    o::referral_id.eq(f.referral_id.0),
                    o::measure_id.eq(f.measure_id.0),
                    o::timepoint.eq(f.timepoint.as_str()),
                    o::recorded_on.eq(f.recorded_on),
                    o::value.eq(f.value),
                    o::created_at.eq(t),
                )
            })
            .collect();
        crate::on_backend!(conn, |c| diesel::insert_into(o::table)
            .values(&values)
            .execute(c))?;
    }
    Ok(())
}

/// An outcome record as lists show it, with the measure's name.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutcomeRecord {
    pub id: i64,
    pub referral_id: ReferralId,
    pub referral_reference: String,
    pub measure_id: MeasureId,
    pub measure: String,
    pub timepoint: Timepoint,
    pub recorded_on: NaiveDate,
    pub value: f64,
}

/// What a list of outcome records is narrowed to.
#[derive(Debug, Clone, Default)]
pub struct OutcomeFilter {
    pub referral: Option<ReferralId>,
    pub programme: Option<ProgrammeId>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

macro_rules! filtered {
    ($scope:expr, $filter:expr) => {{
        let f: &OutcomeFilter = $filter;
        let mut q = scoped!(
            o::table.inner_join(r::table).inner_join(m::table),
            $scope.records(),
            r::organisation_id
        )
        .filter(o::voided_at.is_null())
        .filter(r::voided_at.is_null());
        if let Some(x) = f.referral {
            q = q.filter(o::referral_id.eq(x.0));
        }
        if let Some(x) = f.programme {
            q = q.filter(r::programme_id.eq(x.0));
        }
        if let Some(d) = f.from {
            q = q.filter(o::recorded_on.ge(d));
        }
        if let Some(d) = f.to {
            q = q.filter(o::recorded_on.le(d));
        }
        q
    }};
}

/// An outcome record with its referral's reference and its measure's name, as the query
/// reads it (in the order of its columns).
#[derive(Queryable)]
struct ListRow {
    id: i64,
    referral_id: i64,
    referral_reference: String,
    measure_id: i64,
    measure: String,
    timepoint: Timepoint,
    recorded_on: NaiveDate,
    value: f64,
}

fn from_row(x: ListRow) -> Result<OutcomeRecord, StoreError> {
    Ok(OutcomeRecord {
        id: x.id,
        referral_id: ReferralId(x.referral_id),
        referral_reference: x.referral_reference,
        measure_id: MeasureId(x.measure_id),
        measure: x.measure,
        timepoint: x.timepoint,
        recorded_on: x.recorded_on,
        value: x.value,
    })
}

/// A page of the scope's outcome records, by date.
pub fn list(
    conn: &mut DbConn,
    scope: Scope,
    filter: &OutcomeFilter,
    limit: i64,
    offset: i64,
) -> Result<Vec<OutcomeRecord>, StoreError> {
    let rows: Vec<ListRow> = filtered!(scope, filter)
        .order((o::recorded_on, o::id))
        .limit(limit)
        .offset(offset)
        .select((
            o::id,
            o::referral_id,
            r::reference,
            o::measure_id,
            m::name,
            o::timepoint,
            o::recorded_on,
            o::value,
        ))
        .load(conn)?;
    rows.into_iter().map(from_row).collect()
}

pub fn count(conn: &mut DbConn, scope: Scope, filter: &OutcomeFilter) -> Result<i64, StoreError> {
    Ok(filtered!(scope, filter).count().get_result(conn)?)
}

/// Records a value: inserts it, or updates the value of the record with the same
/// referral, measure, timepoint and date. Returns the record's id and whether anything
/// changed.
pub fn upsert(conn: &mut DbConn, f: &OutcomeFields) -> Result<(i64, bool), StoreError> {
    let existing: Option<(i64, f64)> = o::table
        .filter(o::referral_id.eq(f.referral_id.0))
        .filter(o::measure_id.eq(f.measure_id.0))
        .filter(o::timepoint.eq(f.timepoint.as_str()))
        .filter(o::recorded_on.eq(f.recorded_on))
        .select((o::id, o::value))
        .first(conn)
        .optional()?;
    match existing {
        Some((id, v)) if v == f.value => Ok((id, false)),
        Some((id, _)) => {
            update_value(conn, id, f.value)?;
            Ok((id, true))
        }
        None => {
            insert(conn, f)?;
            let id = o::table
                .filter(o::referral_id.eq(f.referral_id.0))
                .filter(o::measure_id.eq(f.measure_id.0))
                .filter(o::timepoint.eq(f.timepoint.as_str()))
                .filter(o::recorded_on.eq(f.recorded_on))
                .select(o::id)
                .first(conn)?;
            Ok((id, true))
        }
    }
}

/// One outcome record, if the scope may see it (and it and its referral are not voided).
pub fn find(conn: &mut DbConn, scope: Scope, id: i64) -> Result<OutcomeRecord, StoreError> {
    let filter = OutcomeFilter::default();
    let x: ListRow = filtered!(scope, &filter)
        .filter(o::id.eq(id))
        .select((
            o::id,
            o::referral_id,
            r::reference,
            o::measure_id,
            m::name,
            o::timepoint,
            o::recorded_on,
            o::value,
        ))
        .first(conn)
        .map_err(StoreError::from_query)?;
    from_row(x)
}

/// Corrects an outcome record's timepoint, date and value.
pub fn update(conn: &mut DbConn, id: i64, f: &OutcomeFields) -> Result<(), StoreError> {
    diesel::update(o::table.find(id))
        .set((
            o::timepoint.eq(f.timepoint.as_str()),
            o::recorded_on.eq(f.recorded_on),
            o::value.eq(f.value),
        ))
        .execute(conn)
        .map_err(|e| {
            StoreError::from_insert(
                e,
                "an outcome record for this referral, measure, timepoint and date",
            )
        })?;
    Ok(())
}
