//! Retention periods and evaluation holds of programmes, and the dates a participant's
//! last activity is computed from (the rules: `domain::retention`;
//! docs/erasure-and-retention.md).

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use super::{now, StoreError};
use crate::db::schema::{
    attendance, evaluation_holds as h, outcome_records, participants, referrals,
    retention_periods as r, sessions,
};
use crate::db::DbConn;
use crate::domain::ids::{OrganisationId, ParticipantId, ProgrammeId, UserId};

/// Every programme's own retention period in months (programmes without one keep the
/// default).
pub fn periods(conn: &mut DbConn) -> Result<HashMap<ProgrammeId, i32>, StoreError> {
    Ok(r::table
        .select((r::programme_id, r::months))
        .load::<(i64, i32)>(conn)?
        .into_iter()
        .map(|(p, m)| (ProgrammeId(p), m))
        .collect())
}

/// Sets a programme's retention period (replacing any before).
pub fn set_period(
    conn: &mut DbConn,
    programme: ProgrammeId,
    months: i32,
    by: Option<UserId>,
) -> Result<(), StoreError> {
    diesel::delete(r::table.filter(r::programme_id.eq(programme.0))).execute(conn)?;
    diesel::insert_into(r::table)
        .values((
            r::programme_id.eq(programme.0),
            r::months.eq(months),
            r::updated_by.eq(by.map(|u| u.0)),
            r::updated_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// An evaluation hold on a programme.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hold {
    pub programme_id: ProgrammeId,
    pub ends_on: NaiveDate,
    pub reason: String,
    pub set_by: Option<i64>,
    pub set_at: NaiveDateTime,
}

/// Every programme's hold (in force or ended), by programme.
pub fn holds(conn: &mut DbConn) -> Result<Vec<Hold>, StoreError> {
    Ok(h::table
        .order(h::programme_id)
        .select((h::programme_id, h::ends_on, h::reason, h::set_by, h::set_at))
        .load::<(i64, NaiveDate, String, Option<i64>, NaiveDateTime)>(conn)?
        .into_iter()
        .map(|(p, ends_on, reason, set_by, set_at)| Hold {
            programme_id: ProgrammeId(p),
            ends_on,
            reason,
            set_by,
            set_at,
        })
        .collect())
}

/// One programme's hold, if it has one.
pub fn hold_of(conn: &mut DbConn, programme: ProgrammeId) -> Result<Option<Hold>, StoreError> {
    Ok(holds(conn)?
        .into_iter()
        .find(|h| h.programme_id == programme))
}

/// Sets a programme's hold (replacing any before).
pub fn set_hold(
    conn: &mut DbConn,
    programme: ProgrammeId,
    ends_on: NaiveDate,
    reason: &str,
    by: Option<UserId>,
) -> Result<(), StoreError> {
    lift_hold(conn, programme)?;
    diesel::insert_into(h::table)
        .values((
            h::programme_id.eq(programme.0),
            h::ends_on.eq(ends_on),
            h::reason.eq(reason),
            h::set_by.eq(by.map(|u| u.0)),
            h::set_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Lifts a programme's hold; whether there was one.
pub fn lift_hold(conn: &mut DbConn, programme: ProgrammeId) -> Result<bool, StoreError> {
    Ok(diesel::delete(h::table.filter(h::programme_id.eq(programme.0))).execute(conn)? > 0)
}

/// What a participant's retention and holds are computed from.
#[derive(Debug, Clone, PartialEq)]
pub struct Activity {
    pub participant: ParticipantId,
    pub organisation_id: OrganisationId,
    pub reference: String,
    pub registered_on: NaiveDate,
    /// The dates of their records that are not voided (see `domain::retention`).
    pub dates: Vec<NaiveDate>,
    /// The programmes of all their referrals, voided or not.
    pub programmes: Vec<ProgrammeId>,
    /// (programme, referral date) of each referral that is not voided.
    pub referrals: Vec<(ProgrammeId, NaiveDate)>,
}

/// The activity of every participant (`only`: of one), leaving out records merged into
/// another (they go with the record they were merged into). Reads every casework table
/// once, so that a retention run over many participants is a handful of queries.
pub fn activity(
    conn: &mut DbConn,
    only: Option<ParticipantId>,
) -> Result<Vec<Activity>, StoreError> {
    #[derive(Queryable)]
    struct PRow {
        id: i64,
        organisation_id: i64,
        reference: String,
        created_at: NaiveDateTime,
        merged_into: Option<i64>,
    }
    let mut q = participants::table
        .select((
            participants::id,
            participants::organisation_id,
            participants::reference,
            participants::created_at,
            participants::merged_into,
        ))
        .order(participants::id)
        .into_boxed();
    if let Some(id) = only {
        q = q.filter(participants::id.eq(id.0));
    }
    let people: Vec<PRow> = q.load(conn)?;
    #[derive(Queryable)]
    struct RRow {
        id: i64,
        participant_id: i64,
        programme_id: i64,
        referred_on: NaiveDate,
        decided_on: Option<NaiveDate>,
        closed_on: Option<NaiveDate>,
        voided_at: Option<NaiveDateTime>,
    }
    let mut rq = referrals::table
        .select((
            referrals::id,
            referrals::participant_id,
            referrals::programme_id,
            referrals::referred_on,
            referrals::decided_on,
            referrals::closed_on,
            referrals::voided_at,
        ))
        .into_boxed();
    if let Some(id) = only {
        rq = rq.filter(referrals::participant_id.eq(id.0));
    }
    let refs: Vec<RRow> = rq.load(conn)?;
    let referral_ids: Vec<i64> = refs.iter().map(|r| r.id).collect();
    let owner: HashMap<i64, (i64, bool)> = refs
        .iter()
        .map(|r| (r.id, (r.participant_id, r.voided_at.is_none())))
        .collect();
    let void_sessions: HashSet<i64> = sessions::table
        .filter(sessions::voided_at.is_not_null())
        .select(sessions::id)
        .load::<i64>(conn)?
        .into_iter()
        .collect();
    let mut aq = attendance::table
        .select((
            attendance::referral_id,
            attendance::session_id,
            attendance::session_date,
        ))
        .into_boxed();
    let mut oq = outcome_records::table
        .filter(outcome_records::voided_at.is_null())
        .select((outcome_records::referral_id, outcome_records::recorded_on))
        .into_boxed();
    if only.is_some() {
        aq = aq.filter(attendance::referral_id.eq_any(referral_ids.clone()));
        oq = oq.filter(outcome_records::referral_id.eq_any(referral_ids));
    }
    let lines: Vec<(i64, i64, NaiveDate)> = aq.load(conn)?;
    let outcomes: Vec<(i64, NaiveDate)> = oq.load(conn)?;

    let mut by_person: BTreeMap<i64, Activity> = people
        .into_iter()
        .filter(|p| p.merged_into.is_none())
        .map(|p| {
            let (id, org, reference, created_at) =
                (p.id, p.organisation_id, p.reference, p.created_at);
            (
                id,
                Activity {
                    participant: ParticipantId(id),
                    organisation_id: OrganisationId(org),
                    reference,
                    registered_on: created_at.date(),
                    dates: Vec::new(),
                    programmes: Vec::new(),
                    referrals: Vec::new(),
                },
            )
        })
        .collect();
    for RRow {
        participant_id: person,
        programme_id: programme,
        referred_on,
        decided_on,
        closed_on,
        voided_at,
        ..
    } in &refs
    {
        let Some(a) = by_person.get_mut(person) else {
            continue;
        };
        a.programmes.push(ProgrammeId(*programme));
        if voided_at.is_none() {
            a.referrals.push((ProgrammeId(*programme), *referred_on));
            a.dates.push(*referred_on);
            a.dates
                .extend(decided_on.iter().chain(closed_on.iter()).copied());
        }
    }
    let live = |referral: &i64| owner.get(referral).filter(|(_, live)| *live).map(|o| o.0);
    for (referral, session, date) in lines {
        if void_sessions.contains(&session) {
            continue;
        }
        if let Some(a) = live(&referral).and_then(|p| by_person.get_mut(&p)) {
            a.dates.push(date);
        }
    }
    for (referral, date) in outcomes {
        if let Some(a) = live(&referral).and_then(|p| by_person.get_mut(&p)) {
            a.dates.push(date);
        }
    }
    Ok(by_person.into_values().collect())
}

/// The data's "as of" date for holds: the current offence extract's, or `today`.
pub fn data_as_of(conn: &mut DbConn, today: NaiveDate) -> Result<NaiveDate, StoreError> {
    Ok(super::import_batches::current_offence_extract(conn)?
        .and_then(|b| b.extract_date)
        .unwrap_or(today))
}
