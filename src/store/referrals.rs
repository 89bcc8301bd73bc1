//! Referrals: one participant referred to one programme, with its decision and closure.

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Serialize;

use super::{now, parse_word, StoreError};
use crate::db::schema::referrals as r;
use crate::db::DbConn;
use crate::domain::enums::{Closure, Decision, ReferralSource};
use crate::domain::ids::{OrganisationId, ParticipantId, ProgrammeId, ReferralId};
use crate::on_backend;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReferralFields {
    pub reference: String,
    pub participant_id: ParticipantId,
    pub programme_id: ProgrammeId,
    pub referred_on: NaiveDate,
    pub source: ReferralSource,
    pub reason: String,
    pub decision: Decision,
    pub decided_on: Option<NaiveDate>,
    pub closure: Closure,
    pub closed_on: Option<NaiveDate>,
    pub required_hours: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Referral {
    pub id: ReferralId,
    pub organisation_id: OrganisationId,
    #[serde(flatten)]
    pub fields: ReferralFields,
}

type Row = (
    i64,
    i64,
    String,
    i64,
    i64,
    NaiveDate,
    String,
    String,
    String,
    Option<NaiveDate>,
    String,
    Option<NaiveDate>,
    Option<f64>,
);

macro_rules! columns {
    () => {
        (
            r::id,
            r::organisation_id,
            r::reference,
            r::participant_id,
            r::programme_id,
            r::referred_on,
            r::source,
            r::reason,
            r::decision,
            r::decided_on,
            r::closure,
            r::closed_on,
            r::required_hours,
        )
    };
}

fn from_row(x: Row) -> Result<Referral, StoreError> {
    Ok(Referral {
        id: ReferralId(x.0),
        organisation_id: OrganisationId(x.1),
        fields: ReferralFields {
            reference: x.2,
            participant_id: ParticipantId(x.3),
            programme_id: ProgrammeId(x.4),
            referred_on: x.5,
            source: parse_word(&x.6)?,
            reason: x.7,
            decision: parse_word(&x.8)?,
            decided_on: x.9,
            closure: parse_word(&x.10)?,
            closed_on: x.11,
            required_hours: x.12,
        },
    })
}

pub fn of_organisation(
    conn: &mut DbConn,
    organisation: OrganisationId,
) -> Result<Vec<Referral>, StoreError> {
    r::table
        .filter(r::organisation_id.eq(organisation.0))
        .order(r::reference)
        .select(columns!())
        .load::<Row>(conn)?
        .into_iter()
        .map(from_row)
        .collect()
}

pub fn insert(
    conn: &mut DbConn,
    organisation: OrganisationId,
    f: &ReferralFields,
) -> Result<ReferralId, StoreError> {
    let t = now();
    let values = (
        r::organisation_id.eq(organisation.0),
        r::reference.eq(&f.reference),
        r::participant_id.eq(f.participant_id.0),
        r::programme_id.eq(f.programme_id.0),
        r::referred_on.eq(f.referred_on),
        r::source.eq(f.source.as_str()),
        r::reason.eq(&f.reason),
        r::decision.eq(f.decision.as_str()),
        r::decided_on.eq(f.decided_on),
        r::closure.eq(f.closure.as_str()),
        r::closed_on.eq(f.closed_on),
        r::required_hours.eq(f.required_hours),
        r::created_at.eq(t),
        r::updated_at.eq(t),
    );
    let id: i64 = on_backend!(conn, |c| diesel::insert_into(r::table)
        .values(values)
        .returning(r::id)
        .get_result(c))
    .map_err(|e| StoreError::from_insert(e, &format!("a referral '{}'", f.reference)))?;
    Ok(ReferralId(id))
}

/// Updates the lifecycle and details of a referral (not its participant or programme).
pub fn update(conn: &mut DbConn, id: ReferralId, f: &ReferralFields) -> Result<(), StoreError> {
    diesel::update(r::table.find(id.0))
        .set((
            r::referred_on.eq(f.referred_on),
            r::source.eq(f.source.as_str()),
            r::reason.eq(&f.reason),
            r::decision.eq(f.decision.as_str()),
            r::decided_on.eq(f.decided_on),
            r::closure.eq(f.closure.as_str()),
            r::closed_on.eq(f.closed_on),
            r::required_hours.eq(f.required_hours),
            r::updated_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Adds many referrals with ids chosen by the caller (bulk loading, e.g. the demo); see
/// `participants::insert_many_with_ids`. The database's CHECK constraints still apply.
pub fn insert_many_with_ids(conn: &mut DbConn, rows: &[Referral]) -> Result<(), StoreError> {
    let t = now();
    for chunk in rows.chunks(super::rows_per_insert(15)) {
        let values: Vec<_> = chunk
            .iter()
            .map(|x| {
                let f = &x.fields;
                (
                    (
                        r::id.eq(x.id.0),
                        r::organisation_id.eq(x.organisation_id.0),
                        r::reference.eq(&f.reference),
                        r::participant_id.eq(f.participant_id.0),
                        r::programme_id.eq(f.programme_id.0),
                        r::referred_on.eq(f.referred_on),
                        r::source.eq(f.source.as_str()),
                        r::reason.eq(&f.reason),
                    ),
                    (
                        r::decision.eq(f.decision.as_str()),
                        r::decided_on.eq(f.decided_on),
                        r::closure.eq(f.closure.as_str()),
                        r::closed_on.eq(f.closed_on),
                        r::required_hours.eq(f.required_hours),
                        r::created_at.eq(t),
                        r::updated_at.eq(t),
                    ),
                )
            })
            .collect();
        on_backend!(conn, |c| diesel::insert_into(r::table)
            .values(&values)
            .execute(c))?;
    }
    Ok(())
}

/// The largest referral id so far (0 when there is none).
pub fn max_id(conn: &mut DbConn) -> Result<i64, StoreError> {
    Ok(r::table
        .select(diesel::dsl::max(r::id))
        .first::<Option<i64>>(conn)?
        .unwrap_or(0))
}
