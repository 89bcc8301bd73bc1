//! Participants: pseudonymous people known to a provider, by the provider's case
//! reference. No names or addresses exist in this table; the person key is an HMAC.
//! Reads for users take the actor's `Scope`: a participant of another organisation is
//! `NotFound`, exactly like one that does not exist. (`of_organisation`, `insert` and
//! `update` take an organisation the caller has already resolved from the actor, as
//! imports do.)

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Serialize;

use super::{now, StoreError};
use crate::db::schema::participants as p;
use crate::db::DbConn;
use crate::domain::access::Scope;
use crate::domain::enums::{Ethnicity, Gender};
use crate::domain::ids::{OrganisationId, ParticipantId};
use crate::{on_backend, scoped};

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct ParticipantFields {
    pub reference: String,
    /// HMAC-SHA256 of the normalised police identifier (hex), never the identifier.
    pub person_key: Option<String>,
    pub date_of_birth: Option<NaiveDate>,
    pub gender: Gender,
    pub ethnicity: Ethnicity,
    pub district: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Participant {
    pub id: ParticipantId,
    pub organisation_id: OrganisationId,
    #[serde(flatten)]
    pub fields: ParticipantFields,
}

/// A row as the query reads it, field by field in the order of its columns.
#[derive(Queryable)]
struct Row {
    id: i64,
    organisation_id: i64,
    reference: String,
    person_key: Option<String>,
    date_of_birth: Option<NaiveDate>,
    gender: Gender,
    ethnicity: Ethnicity,
    district: Option<String>,
}

macro_rules! columns {
    () => {
        (
            p::id,
            p::organisation_id,
            p::reference,
            p::person_key,
            p::date_of_birth,
            p::gender,
            p::ethnicity,
            p::district,
        )
    };
}

fn from_row(r: Row) -> Result<Participant, StoreError> {
    Ok(Participant {
        id: ParticipantId(r.id),
        organisation_id: OrganisationId(r.organisation_id),
        fields: ParticipantFields {
            reference: r.reference,
            person_key: r.person_key,
            date_of_birth: r.date_of_birth,
            gender: r.gender,
            ethnicity: r.ethnicity,
            district: r.district,
        },
    })
}

/// Every participant of one organisation, by reference order.
pub fn of_organisation(
    conn: &mut DbConn,
    organisation: OrganisationId,
) -> Result<Vec<Participant>, StoreError> {
    p::table
        .filter(p::organisation_id.eq(organisation.0))
        .filter(p::voided_at.is_null())
        .order(p::reference)
        .select(columns!())
        .load::<Row>(conn)?
        .into_iter()
        .map(from_row)
        .collect()
}

pub fn insert(
    conn: &mut DbConn,
    organisation: OrganisationId,
    f: &ParticipantFields,
) -> Result<ParticipantId, StoreError> {
    let t = now();
    let values = (
        p::organisation_id.eq(organisation.0),
        p::reference.eq(&f.reference),
        p::person_key.eq(&f.person_key),
        p::date_of_birth.eq(f.date_of_birth),
        p::gender.eq(f.gender.as_str()),
        p::ethnicity.eq(f.ethnicity.as_str()),
        p::district.eq(&f.district),
        p::created_at.eq(t),
        p::updated_at.eq(t),
    );
    let id: i64 = on_backend!(conn, |c| diesel::insert_into(p::table)
        .values(values)
        .returning(p::id)
        .get_result(c))
    .map_err(|e| StoreError::from_insert(e, &format!("a participant '{}'", f.reference)))?;
    Ok(ParticipantId(id))
}

pub fn update(
    conn: &mut DbConn,
    id: ParticipantId,
    f: &ParticipantFields,
) -> Result<(), StoreError> {
    diesel::update(p::table.find(id.0))
        .set((
            p::person_key.eq(&f.person_key),
            p::date_of_birth.eq(f.date_of_birth),
            p::gender.eq(f.gender.as_str()),
            p::ethnicity.eq(f.ethnicity.as_str()),
            p::district.eq(&f.district),
            p::updated_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// One participant, if the scope may see it.
pub fn find(conn: &mut DbConn, scope: Scope, id: ParticipantId) -> Result<Participant, StoreError> {
    let row = scoped!(p::table, scope.records(), p::organisation_id)
        .filter(p::id.eq(id.0))
        .filter(p::voided_at.is_null())
        .select(columns!())
        .first::<Row>(conn)
        .map_err(StoreError::from_query)?;
    from_row(row)
}

/// A page of the scope's participants, by reference; `reference` finds one exactly.
pub fn list(
    conn: &mut DbConn,
    scope: Scope,
    reference: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<Vec<Participant>, StoreError> {
    let mut q =
        scoped!(p::table, scope.records(), p::organisation_id).filter(p::voided_at.is_null());
    if let Some(r) = reference {
        q = q.filter(p::reference.eq(r.trim().to_string()));
    }
    q.order((p::organisation_id, p::reference))
        .limit(limit)
        .offset(offset)
        .select(columns!())
        .load::<Row>(conn)?
        .into_iter()
        .map(from_row)
        .collect()
}

pub fn count(conn: &mut DbConn, scope: Scope, reference: Option<&str>) -> Result<i64, StoreError> {
    let mut q =
        scoped!(p::table, scope.records(), p::organisation_id).filter(p::voided_at.is_null());
    if let Some(r) = reference {
        q = q.filter(p::reference.eq(r.trim().to_string()));
    }
    Ok(q.count().get_result(conn)?)
}

/// The participants of one organisation holding this person key (possible duplicates;
/// voided and merged records are left out: they cannot be used).
pub fn with_person_key(
    conn: &mut DbConn,
    organisation: OrganisationId,
    key: &str,
) -> Result<Vec<Participant>, StoreError> {
    p::table
        .filter(p::organisation_id.eq(organisation.0))
        .filter(p::person_key.eq(key))
        .filter(p::voided_at.is_null())
        .order(p::reference)
        .select(columns!())
        .load::<Row>(conn)?
        .into_iter()
        .map(from_row)
        .collect()
}

/// Adds many participants with ids chosen by the caller (bulk loading, e.g. the demo, into
/// a table nobody else writes to at the time); PostgreSQL's identity must be advanced
/// after with `store::sync_id_sequences`.
pub fn insert_many_with_ids(conn: &mut DbConn, rows: &[Participant]) -> Result<(), StoreError> {
    let t = now();
    for chunk in rows.chunks(super::rows_per_insert(10)) {
        let values: Vec<_> = chunk
            .iter()
            .map(|x| {
                (
                    p::id.eq(x.id.0),
                    p::organisation_id.eq(x.organisation_id.0),
                    p::reference.eq(&x.fields.reference),
                    p::person_key.eq(&x.fields.person_key),
                    p::date_of_birth.eq(x.fields.date_of_birth),
                    p::gender.eq(x.fields.gender.as_str()),
                    p::ethnicity.eq(x.fields.ethnicity.as_str()),
                    p::district.eq(&x.fields.district),
                    p::created_at.eq(t),
                    p::updated_at.eq(t),
                )
            })
            .collect();
        on_backend!(conn, |c| diesel::insert_into(p::table)
            .values(&values)
            .execute(c))?;
    }
    Ok(())
}

/// The largest participant id so far (0 when there is none).
pub fn max_id(conn: &mut DbConn) -> Result<i64, StoreError> {
    Ok(p::table
        .select(diesel::dsl::max(p::id))
        .first::<Option<i64>>(conn)?
        .unwrap_or(0))
}

/// The participant a participant was merged into (voided or not; `None` when it was not
/// merged).
pub fn merged_into(conn: &mut DbConn, id: ParticipantId) -> Result<Option<i64>, StoreError> {
    Ok(p::table
        .find(id.0)
        .select(p::merged_into)
        .first::<Option<i64>>(conn)
        .optional()?
        .flatten())
}

/// Marks (`Some`) or clears (`None`) the participant a participant was merged into.
pub fn set_merged_into(
    conn: &mut DbConn,
    id: ParticipantId,
    into: Option<ParticipantId>,
) -> Result<(), StoreError> {
    diesel::update(p::table.find(id.0))
        .set((
            p::merged_into.eq(into.map(|i| i.0)),
            p::updated_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Sets or clears a participant's person key (merging gives the kept record the merged
/// one's key; undoing the merge takes it back).
pub fn set_person_key(
    conn: &mut DbConn,
    id: ParticipantId,
    key: Option<&str>,
) -> Result<(), StoreError> {
    diesel::update(p::table.find(id.0))
        .set((p::person_key.eq(key), p::updated_at.eq(now())))
        .execute(conn)?;
    Ok(())
}

/// A participant's person key, voided or not (the caller has checked the scope).
pub fn person_key_of(conn: &mut DbConn, id: ParticipantId) -> Result<Option<String>, StoreError> {
    p::table
        .find(id.0)
        .select(p::person_key)
        .first::<Option<String>>(conn)
        .map_err(StoreError::from_query)
}

/// What a search of participants is narrowed to (every field optional; docs/casework.md,
/// "Finding people").
#[derive(Debug, Clone, Default)]
pub struct ParticipantFilter {
    /// The case reference starts with this, in any case.
    pub q: Option<String>,
    pub date_of_birth: Option<NaiveDate>,
    /// The district is this, in any case.
    pub district: Option<String>,
    /// Has a referral to this programme (with `status`, one in that status).
    pub programme: Option<crate::domain::ids::ProgrammeId>,
    /// Has a referral in this status (to `programme`, when given).
    pub status: Option<crate::domain::enums::ReferralStatus>,
}

/// The scope's participants matching `filter`, as a boxed query.
macro_rules! searched {
    ($conn:expr, $scope:expr, $filter:expr) => {{
        let f: &ParticipantFilter = $filter;
        let rows = $scope.records();
        let by_referrals = f.programme.is_some() || f.status.is_some();
        let mut q = if by_referrals {
            // The referrals' subquery below drives (through its index), scoped by
            // organisation there and here. Here as `+organisation_id` (raw SQL: only the
            // id, a number), so that SQLite does not walk the whole organisation's index in
            // reference order instead (docs/performance.md, "Issue 15").
            let q = p::table.into_boxed().filter(p::voided_at.is_null());
            match rows {
                crate::domain::access::Rows::Of(org) => {
                    q.filter(diesel::dsl::sql::<diesel::sql_types::Bool>(&format!(
                        "+participants.organisation_id = {}",
                        org.0
                    )))
                }
                crate::domain::access::Rows::All => q,
                crate::domain::access::Rows::None => {
                    q.filter(diesel::dsl::sql::<diesel::sql_types::Bool>("1 = 0"))
                }
            }
        } else {
            scoped!(p::table, rows, p::organisation_id).filter(p::voided_at.is_null())
        };
        if let Some((low, high)) = f.q.as_deref().and_then(super::prefix_bounds) {
            q = q.filter(crate::lower_starts_with!(
                &*$conn,
                "participants.reference",
                low,
                high
            ));
        }
        if let Some(d) = f.date_of_birth {
            q = q.filter(p::date_of_birth.eq(d));
        }
        if let Some(d) = f
            .district
            .as_deref()
            .map(str::trim)
            .filter(|d| !d.is_empty())
        {
            q = q.filter(
                diesel::dsl::sql::<diesel::sql_types::Bool>("lower(participants.district) = ")
                    .bind::<diesel::sql_types::Text, _>(d.to_lowercase()),
            );
        }
        if by_referrals {
            // Driven from the referrals' indexes: (programme, closure, decision) or
            // (organisation, closure, decision).
            // Raw SQL (MultiConnection cannot nest a boxed subquery): only ids (numbers)
            // and the fixed words of `status_words` are written into it, never input.
            // PostgreSQL: `= ANY(ARRAY(…))`, so the referrals' ids are looked up by primary
            // key rather than hashed against a scan of the participants.
            let mut sub = String::from(match &*$conn {
                crate::db::DbConn::Postgres(_) => "participants.id = ANY(ARRAY(",
                crate::db::DbConn::Sqlite(_) => "participants.id IN (",
            });
            sub.push_str(
                "SELECT referrals.participant_id FROM referrals WHERE referrals.voided_at IS NULL",
            );
            match rows {
                crate::domain::access::Rows::Of(org) => {
                    sub.push_str(&format!(" AND referrals.organisation_id = {}", org.0))
                }
                crate::domain::access::Rows::All => {}
                crate::domain::access::Rows::None => sub.push_str(" AND 1 = 0"),
            }
            if let Some(pid) = f.programme {
                sub.push_str(&format!(" AND referrals.programme_id = {}", pid.0));
            }
            if let Some(s) = f.status {
                let (closure, decision) = super::referrals::status_words(s);
                sub.push_str(&format!(
                    " AND referrals.closure = '{closure}' AND referrals.decision = '{decision}'"
                ));
            }
            sub.push_str(match &*$conn {
                crate::db::DbConn::Postgres(_) => "))",
                crate::db::DbConn::Sqlite(_) => ")",
            });
            q = q.filter(diesel::dsl::sql::<diesel::sql_types::Bool>(&sub));
        }
        q
    }};
}

/// A page of the scope's participants matching `filter`, by reference.
pub fn search(
    conn: &mut DbConn,
    scope: Scope,
    filter: &ParticipantFilter,
    limit: i64,
    offset: i64,
) -> Result<Vec<Participant>, StoreError> {
    searched!(conn, scope, filter)
        .order((p::organisation_id, p::reference))
        .limit(limit)
        .offset(offset)
        .select(columns!())
        .load::<Row>(conn)?
        .into_iter()
        .map(from_row)
        .collect()
}

/// How many of the scope's participants match `filter`.
pub fn search_count(
    conn: &mut DbConn,
    scope: Scope,
    filter: &ParticipantFilter,
) -> Result<i64, StoreError> {
    Ok(searched!(conn, scope, filter).count().get_result(conn)?)
}

/// The case references of these participants (the caller has them in scope already).
pub fn references(
    conn: &mut DbConn,
    ids: &[i64],
) -> Result<std::collections::HashMap<ParticipantId, String>, StoreError> {
    #[derive(Queryable)]
    struct Reference {
        id: i64,
        reference: String,
    }
    Ok(p::table
        .filter(p::id.eq_any(ids))
        .select((p::id, p::reference))
        .load::<Reference>(conn)?
        .into_iter()
        .map(|r| (ParticipantId(r.id), r.reference))
        .collect())
}
