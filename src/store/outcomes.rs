//! Outcome records: a referral's value on a measure at a timepoint.

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Serialize;

use super::{now, parse_word, StoreError};
use crate::db::schema::{outcome_records as o, referrals as r};
use crate::db::DbConn;
use crate::domain::enums::Timepoint;
use crate::domain::ids::{MeasureId, OrganisationId, ReferralId};

#[derive(Debug, Clone, PartialEq, Serialize)]
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
    let rows: Vec<(i64, i64, i64, String, NaiveDate, f64)> = o::table
        .inner_join(r::table)
        .filter(r::organisation_id.eq(organisation.0))
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
    rows.into_iter()
        .map(|(id, referral, measure, timepoint, recorded_on, value)| {
            Ok((
                id,
                OutcomeFields {
                    referral_id: ReferralId(referral),
                    measure_id: MeasureId(measure),
                    timepoint: parse_word(&timepoint)?,
                    recorded_on,
                    value,
                },
            ))
        })
        .collect()
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
