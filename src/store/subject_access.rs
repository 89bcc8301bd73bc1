//! The rows a subject access export reads: one participant (voided or merged or not) and
//! every record of theirs, voided ones included — what is held, not what is shown
//! (docs/erasure-and-retention.md, "Subject access").

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use super::StoreError;
use crate::db::schema::{
    attendance, offence_records, outcome_measures, outcome_records, participants, programmes,
    referrals, sessions,
};
use crate::db::DbConn;
use crate::domain::ids::ParticipantId;

#[derive(Debug, Clone, PartialEq, Serialize, Queryable)]
pub struct ParticipantRow {
    pub id: i64,
    pub organisation_id: i64,
    pub reference: String,
    #[serde(skip)]
    pub person_key: Option<String>,
    pub date_of_birth: Option<NaiveDate>,
    pub gender: String,
    pub ethnicity: String,
    pub district: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub voided_at: Option<NaiveDateTime>,
    pub voided_reason: Option<String>,
    pub merged_into: Option<i64>,
}

/// A participant row as read, before its void reason is added.
#[derive(Queryable)]
struct PRow {
    id: i64,
    organisation_id: i64,
    reference: String,
    person_key: Option<String>,
    date_of_birth: Option<NaiveDate>,
    gender: String,
    ethnicity: String,
    district: Option<String>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    voided_at: Option<NaiveDateTime>,
    merged_into: Option<i64>,
}

pub fn participant(conn: &mut DbConn, id: ParticipantId) -> Result<ParticipantRow, StoreError> {
    use crate::db::schema::participant_voids as v;
    let row: PRow = participants::table
        .find(id.0)
        .select((
            participants::id,
            participants::organisation_id,
            participants::reference,
            participants::person_key,
            participants::date_of_birth,
            participants::gender,
            participants::ethnicity,
            participants::district,
            participants::created_at,
            participants::updated_at,
            participants::voided_at,
            participants::merged_into,
        ))
        .first(conn)
        .map_err(StoreError::from_query)?;
    let voided_reason: Option<String> = v::table
        .find(id.0)
        .select(v::voided_reason)
        .first(conn)
        .map_err(StoreError::from_query)?;
    Ok(ParticipantRow {
        id: row.id,
        organisation_id: row.organisation_id,
        reference: row.reference,
        person_key: row.person_key,
        date_of_birth: row.date_of_birth,
        gender: row.gender,
        ethnicity: row.ethnicity,
        district: row.district,
        created_at: row.created_at,
        updated_at: row.updated_at,
        voided_at: row.voided_at,
        voided_reason,
        merged_into: row.merged_into,
    })
}

/// The records merged into participant `id` (the same person, recorded twice).
pub fn merged_into(conn: &mut DbConn, id: ParticipantId) -> Result<Vec<i64>, StoreError> {
    Ok(participants::table
        .filter(participants::merged_into.eq(id.0))
        .order(participants::id)
        .select(participants::id)
        .load(conn)?)
}

/// A referral as its query reads it (sixteen columns, diesel's widest row).
#[derive(Queryable)]
struct ReferralRead {
    id: i64,
    reference: String,
    participant_id: i64,
    programme_id: i64,
    programme: String,
    referred_on: NaiveDate,
    source: String,
    reason: String,
    decision: String,
    decided_on: Option<NaiveDate>,
    closure: String,
    closed_on: Option<NaiveDate>,
    required_hours: Option<f64>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    voided_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReferralRow {
    pub id: i64,
    pub reference: String,
    pub participant_id: i64,
    pub programme_id: i64,
    pub programme: String,
    pub referred_on: NaiveDate,
    pub source: String,
    pub reason: String,
    pub decision: String,
    pub decided_on: Option<NaiveDate>,
    pub closure: String,
    pub closed_on: Option<NaiveDate>,
    pub required_hours: Option<f64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub voided_at: Option<NaiveDateTime>,
    /// The person objected to their police identifier being linked to police data.
    pub objected_to_linkage: bool,
}

/// Every referral of the participants `ids`, voided or not, by id, with whether the
/// person objected to linkage.
pub fn referrals(conn: &mut DbConn, ids: &[i64]) -> Result<Vec<ReferralRow>, StoreError> {
    use crate::db::schema::referral_linkage as rl;
    let read: Vec<ReferralRead> = referrals::table
        .inner_join(programmes::table)
        .filter(referrals::participant_id.eq_any(ids))
        .order(referrals::id)
        .select((
            referrals::id,
            referrals::reference,
            referrals::participant_id,
            referrals::programme_id,
            programmes::name,
            referrals::referred_on,
            referrals::source,
            referrals::reason,
            referrals::decision,
            referrals::decided_on,
            referrals::closure,
            referrals::closed_on,
            referrals::required_hours,
            referrals::created_at,
            referrals::updated_at,
            referrals::voided_at,
        ))
        .load(conn)?;
    let objected: std::collections::HashSet<i64> = rl::table
        .filter(rl::id.eq_any(read.iter().map(|r| r.id).collect::<Vec<_>>()))
        .filter(rl::linkage_objection.eq(true))
        .select(rl::id)
        .load::<i64>(conn)?
        .into_iter()
        .collect();
    Ok(read
        .into_iter()
        .map(|r| ReferralRow {
            objected_to_linkage: objected.contains(&r.id),
            id: r.id,
            reference: r.reference,
            participant_id: r.participant_id,
            programme_id: r.programme_id,
            programme: r.programme,
            referred_on: r.referred_on,
            source: r.source,
            reason: r.reason,
            decision: r.decision,
            decided_on: r.decided_on,
            closure: r.closure,
            closed_on: r.closed_on,
            required_hours: r.required_hours,
            created_at: r.created_at,
            updated_at: r.updated_at,
            voided_at: r.voided_at,
        })
        .collect())
}

#[derive(Debug, Clone, PartialEq, Serialize, Queryable)]
pub struct AttendanceRow {
    pub id: i64,
    pub referral_id: i64,
    pub session_id: i64,
    pub session_date: NaiveDate,
    pub session_kind: String,
    pub status: String,
    pub hours: Option<f64>,
    pub session_voided_at: Option<NaiveDateTime>,
}

/// Every attendance line of the referrals `ids`, by session date.
pub fn attendance(conn: &mut DbConn, ids: &[i64]) -> Result<Vec<AttendanceRow>, StoreError> {
    Ok(attendance::table
        .inner_join(sessions::table)
        .filter(attendance::referral_id.eq_any(ids))
        .order((attendance::session_date, attendance::id))
        .select((
            attendance::id,
            attendance::referral_id,
            attendance::session_id,
            attendance::session_date,
            sessions::kind,
            attendance::status,
            attendance::hours,
            sessions::voided_at,
        ))
        .load(conn)?)
}

#[derive(Debug, Clone, PartialEq, Serialize, Queryable)]
pub struct OutcomeRow {
    pub id: i64,
    pub referral_id: i64,
    pub measure: String,
    pub timepoint: String,
    pub recorded_on: NaiveDate,
    pub value: f64,
    pub created_at: NaiveDateTime,
    pub voided_at: Option<NaiveDateTime>,
}

/// Every outcome record of the referrals `ids`, voided or not.
pub fn outcomes(conn: &mut DbConn, ids: &[i64]) -> Result<Vec<OutcomeRow>, StoreError> {
    Ok(outcome_records::table
        .inner_join(outcome_measures::table)
        .filter(outcome_records::referral_id.eq_any(ids))
        .order((outcome_records::recorded_on, outcome_records::id))
        .select((
            outcome_records::id,
            outcome_records::referral_id,
            outcome_measures::name,
            outcome_records::timepoint,
            outcome_records::recorded_on,
            outcome_records::value,
            outcome_records::created_at,
            outcome_records::voided_at,
        ))
        .load(conn)?)
}

#[derive(Debug, Clone, PartialEq, Serialize, Queryable)]
pub struct OffenceRow {
    pub offence_date: NaiveDate,
    pub offence_group: String,
    pub proven_on: Option<NaiveDate>,
}

/// The current extract's offence records under a person key.
pub fn offences(conn: &mut DbConn, key: &str) -> Result<Vec<OffenceRow>, StoreError> {
    Ok(offence_records::table
        .filter(offence_records::person_key.eq(key))
        .order(offence_records::offence_date)
        .select((
            offence_records::offence_date,
            offence_records::offence_group,
            offence_records::proven_on,
        ))
        .load(conn)?)
}
