//! Referrals: one participant referred to one programme, with its decision and closure.

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Serialize;

use super::{now, StoreError};
use crate::db::schema::referral_linkage as rl;
use crate::db::schema::referrals as r;
use crate::db::DbConn;
use crate::domain::access::Scope;
use crate::domain::enums::{Closure, Decision, ReferralSource, ReferralStatus};
use crate::domain::ids::{OrganisationId, ParticipantId, ProgrammeId, ReferralId};
use crate::{on_backend, scoped};

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
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

/// A row as the query reads it, field by field in the order of its columns.
#[derive(Queryable)]
struct Row {
    id: i64,
    organisation_id: i64,
    reference: String,
    participant_id: i64,
    programme_id: i64,
    referred_on: NaiveDate,
    source: ReferralSource,
    reason: String,
    decision: Decision,
    decided_on: Option<NaiveDate>,
    closure: Closure,
    closed_on: Option<NaiveDate>,
    required_hours: Option<f64>,
}

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
        id: ReferralId(x.id),
        organisation_id: OrganisationId(x.organisation_id),
        fields: ReferralFields {
            reference: x.reference,
            participant_id: ParticipantId(x.participant_id),
            programme_id: ProgrammeId(x.programme_id),
            referred_on: x.referred_on,
            source: x.source,
            reason: x.reason,
            decision: x.decision,
            decided_on: x.decided_on,
            closure: x.closure,
            closed_on: x.closed_on,
            required_hours: x.required_hours,
        },
    })
}

/// The participant of a referral, voided or not (for the access log of a history read
/// already authorised).
pub fn participant_of(
    conn: &mut DbConn,
    id: ReferralId,
) -> Result<Option<ParticipantId>, StoreError> {
    Ok(r::table
        .find(id.0)
        .select(r::participant_id)
        .first::<i64>(conn)
        .optional()?
        .map(ParticipantId))
}

/// Whether the person objected to linking their police identifier to police data
/// (docs/data-protection.md, "Linkage to police data").
pub fn linkage_objection(conn: &mut DbConn, id: ReferralId) -> Result<bool, StoreError> {
    Ok(rl::table
        .find(id.0)
        .select(rl::linkage_objection)
        .first(conn)?)
}

/// The referrals of an organisation whose person objected to linkage.
pub fn objections_of_organisation(
    conn: &mut DbConn,
    organisation: OrganisationId,
) -> Result<std::collections::HashSet<ReferralId>, StoreError> {
    Ok(rl::table
        .filter(rl::organisation_id.eq(organisation.0))
        .filter(rl::linkage_objection.eq(true))
        .select(rl::id)
        .load::<i64>(conn)?
        .into_iter()
        .map(ReferralId)
        .collect())
}

/// Records (or withdraws) the person's objection to linkage; audit it in the same
/// transaction.
pub fn set_linkage_objection(
    conn: &mut DbConn,
    id: ReferralId,
    objection: bool,
) -> Result<(), StoreError> {
    diesel::update(rl::table.find(id.0))
        .set((
            rl::linkage_objection.eq(objection),
            rl::updated_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn of_organisation(
    conn: &mut DbConn,
    organisation: OrganisationId,
) -> Result<Vec<Referral>, StoreError> {
    r::table
        .filter(r::organisation_id.eq(organisation.0))
        .filter(r::voided_at.is_null())
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

/// What a list of referrals is narrowed to (every field optional).
#[derive(Debug, Clone, Default)]
pub struct ReferralFilter {
    pub programme: Option<ProgrammeId>,
    pub participant: Option<ParticipantId>,
    /// `referred_on` on or after.
    pub from: Option<NaiveDate>,
    /// `referred_on` on or before.
    pub to: Option<NaiveDate>,
    pub status: Option<ReferralStatus>,
    /// The referral's reference starts with this, in any case.
    pub reference: Option<String>,
}

/// The (closure, decision) of a status: every status is an equality on both (a pending or
/// declined referral is never closed, a closed one was accepted), so one index on
/// (…, closure, decision, referred_on) serves each.
pub fn status_words(status: ReferralStatus) -> (&'static str, &'static str) {
    match status {
        ReferralStatus::Pending => ("open", "pending"),
        ReferralStatus::Declined => ("open", "declined"),
        ReferralStatus::Open => ("open", "accepted"),
        s => (s.as_str(), "accepted"),
    }
}

/// The scope's referrals matching `filter`, as a boxed query.
macro_rules! filtered {
    ($conn:expr, $scope:expr, $filter:expr) => {{
        let f: &ReferralFilter = $filter;
        let mut q =
            scoped!(r::table, $scope.records(), r::organisation_id).filter(r::voided_at.is_null());
        if let Some(p) = f.programme {
            q = q.filter(r::programme_id.eq(p.0));
        }
        if let Some(p) = f.participant {
            q = q.filter(r::participant_id.eq(p.0));
        }
        if let Some(d) = f.from {
            q = q.filter(r::referred_on.ge(d));
        }
        if let Some(d) = f.to {
            q = q.filter(r::referred_on.le(d));
        }
        if let Some(s) = f.status {
            let (closure, decision) = status_words(s);
            q = q
                .filter(r::closure.eq(closure))
                .filter(r::decision.eq(decision));
        }
        if let Some((low, high)) = f.reference.as_deref().and_then(super::prefix_bounds) {
            q = q.filter(crate::lower_starts_with!(
                &*$conn,
                "referrals.reference",
                low,
                high
            ));
        }
        q
    }};
}

/// A page of the scope's referrals, newest referral first.
pub fn list(
    conn: &mut DbConn,
    scope: Scope,
    filter: &ReferralFilter,
    limit: i64,
    offset: i64,
) -> Result<Vec<Referral>, StoreError> {
    filtered!(conn, scope, filter)
        .order((r::referred_on.desc(), r::id.desc()))
        .limit(limit)
        .offset(offset)
        .select(columns!())
        .load::<Row>(conn)?
        .into_iter()
        .map(from_row)
        .collect()
}

pub fn count(conn: &mut DbConn, scope: Scope, filter: &ReferralFilter) -> Result<i64, StoreError> {
    Ok(filtered!(conn, scope, filter).count().get_result(conn)?)
}

/// One referral, if the scope may see it.
pub fn find(conn: &mut DbConn, scope: Scope, id: ReferralId) -> Result<Referral, StoreError> {
    let row = scoped!(r::table, scope.records(), r::organisation_id)
        .filter(r::id.eq(id.0))
        .filter(r::voided_at.is_null())
        .select(columns!())
        .first::<Row>(conn)
        .map_err(StoreError::from_query)?;
    from_row(row)
}

/// Gives a referral recorded without a reference the reference `R-<id>`.
pub fn set_reference(conn: &mut DbConn, id: ReferralId, reference: &str) -> Result<(), StoreError> {
    diesel::update(r::table.find(id.0))
        .set(r::reference.eq(reference))
        .execute(conn)
        .map_err(|e| StoreError::from_insert(e, &format!("a referral '{reference}'")))?;
    Ok(())
}

/// Moves a referral to another programme of its provider (only while nothing is recorded
/// against it: attendance refers to the referral's programme).
pub fn set_programme(
    conn: &mut DbConn,
    id: ReferralId,
    programme: ProgrammeId,
) -> Result<(), StoreError> {
    diesel::update(r::table.find(id.0))
        .set(r::programme_id.eq(programme.0))
        .execute(conn)?;
    Ok(())
}

/// Every referral of a participant, voided or not, by id: (id, reference, voided). What
/// merging the participant into another moves.
pub fn all_of_participant(
    conn: &mut DbConn,
    participant: ParticipantId,
) -> Result<Vec<(i64, String, bool)>, StoreError> {
    let rows: Vec<(i64, String, Option<chrono::NaiveDateTime>)> = r::table
        .filter(r::participant_id.eq(participant.0))
        .order(r::id)
        .select((r::id, r::reference, r::voided_at))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, reference, voided)| (id, reference, voided.is_some()))
        .collect())
}

/// Moves referrals to another participant (of the same organisation: the caller checked)
/// when two records of one person are merged, or back when the merge is undone.
pub fn move_to_participant(
    conn: &mut DbConn,
    ids: &[i64],
    participant: ParticipantId,
) -> Result<(), StoreError> {
    diesel::update(r::table.filter(r::id.eq_any(ids)))
        .set((r::participant_id.eq(participant.0), r::updated_at.eq(now())))
        .execute(conn)?;
    Ok(())
}

/// The participant each of these referrals is recorded against now.
pub fn participants_of(conn: &mut DbConn, ids: &[i64]) -> Result<Vec<(i64, i64)>, StoreError> {
    Ok(r::table
        .filter(r::id.eq_any(ids))
        .select((r::id, r::participant_id))
        .load(conn)?)
}
