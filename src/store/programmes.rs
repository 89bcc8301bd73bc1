//! Programmes: what a provider delivers, with kind, delivery, ages and dates.

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Serialize;

use super::{now, StoreError};
use crate::db::schema::programmes;
use crate::db::DbConn;
use crate::domain::access::Scope;
use crate::domain::enums::{Delivery, LawfulBasis, OffenceDataCondition, ProgrammeKind};
use crate::domain::ids::{OrganisationId, ProgrammeId};
use crate::{on_backend, scoped};

/// The fields a provider sets (and a file carries).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct ProgrammeFields {
    pub name: String,
    pub kind: ProgrammeKind,
    pub delivery: Delivery,
    pub min_age: Option<i32>,
    pub max_age: Option<i32>,
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
    pub description: String,
}

/// A programme's data protection settings, set at commissioning set-up
/// (docs/data-protection.md, "Lawful basis" and "Linkage to police data").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DataProtection {
    pub lawful_basis: LawfulBasis,
    /// The condition for the police-derived data, when linked.
    pub offence_data_condition: OffenceDataCondition,
    /// Whether participants' police identifiers may be linked to police data.
    pub police_linkage: bool,
}

impl Default for DataProtection {
    /// What every programme had before these were recorded: public task, statutory
    /// purposes, linked (so existing figures are unchanged).
    fn default() -> Self {
        DataProtection {
            lawful_basis: LawfulBasis::PublicTask,
            offence_data_condition: OffenceDataCondition::StatutoryPurposes,
            police_linkage: true,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Programme {
    pub id: ProgrammeId,
    pub organisation_id: OrganisationId,
    #[serde(flatten)]
    pub fields: ProgrammeFields,
    #[serde(flatten)]
    pub data_protection: DataProtection,
}

/// A row as the query reads it, field by field in the order of its columns.
#[derive(Queryable)]
struct Row {
    id: i64,
    organisation_id: i64,
    name: String,
    kind: ProgrammeKind,
    delivery: Delivery,
    min_age: Option<i32>,
    max_age: Option<i32>,
    starts_on: NaiveDate,
    ends_on: Option<NaiveDate>,
    description: String,
    lawful_basis: LawfulBasis,
    offence_data_condition: OffenceDataCondition,
    police_linkage: bool,
}

macro_rules! columns {
    () => {
        (
            programmes::id,
            programmes::organisation_id,
            programmes::name,
            programmes::kind,
            programmes::delivery,
            programmes::min_age,
            programmes::max_age,
            programmes::starts_on,
            programmes::ends_on,
            programmes::description,
            programmes::lawful_basis,
            programmes::offence_data_condition,
            programmes::police_linkage,
        )
    };
}

fn from_row(r: Row) -> Result<Programme, StoreError> {
    Ok(Programme {
        id: ProgrammeId(r.id),
        organisation_id: OrganisationId(r.organisation_id),
        fields: ProgrammeFields {
            name: r.name,
            kind: r.kind,
            delivery: r.delivery,
            min_age: r.min_age,
            max_age: r.max_age,
            starts_on: r.starts_on,
            ends_on: r.ends_on,
            description: r.description,
        },
        data_protection: DataProtection {
            lawful_basis: r.lawful_basis,
            offence_data_condition: r.offence_data_condition,
            police_linkage: r.police_linkage,
        },
    })
}

/// Sets a programme's data protection settings (audit it in the same transaction).
pub fn set_data_protection(
    conn: &mut DbConn,
    id: ProgrammeId,
    d: &DataProtection,
) -> Result<(), StoreError> {
    diesel::update(programmes::table.find(id.0))
        .set((
            programmes::lawful_basis.eq(d.lawful_basis.as_str()),
            programmes::offence_data_condition.eq(d.offence_data_condition.as_str()),
            programmes::police_linkage.eq(d.police_linkage),
            programmes::updated_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// The programmes of one organisation.
pub fn of_organisation(
    conn: &mut DbConn,
    organisation: OrganisationId,
) -> Result<Vec<Programme>, StoreError> {
    programmes::table
        .filter(programmes::organisation_id.eq(organisation.0))
        .order(programmes::name)
        .select(columns!())
        .load::<Row>(conn)?
        .into_iter()
        .map(from_row)
        .collect()
}

/// Every programme (for commissioners' and analysts' aggregate views).
pub fn all(conn: &mut DbConn) -> Result<Vec<Programme>, StoreError> {
    programmes::table
        .order((programmes::organisation_id, programmes::name))
        .select(columns!())
        .load::<Row>(conn)?
        .into_iter()
        .map(from_row)
        .collect()
}

/// A programme whose figures the scope may see (its own organisation's for provider
/// staff, any for the others), or `NotFound`.
pub fn find_visible(
    conn: &mut DbConn,
    scope: Scope,
    id: ProgrammeId,
) -> Result<Programme, StoreError> {
    let row = scoped!(
        programmes::table,
        scope.aggregates(),
        programmes::organisation_id
    )
    .filter(programmes::id.eq(id.0))
    .select(columns!());
    let row: Row = super::unique_row(row, conn)?.ok_or(StoreError::NotFound)?;
    from_row(row)
}

pub fn find(conn: &mut DbConn, id: ProgrammeId) -> Result<Option<Programme>, StoreError> {
    programmes::table
        .find(id.0)
        .select(columns!())
        .first::<Row>(conn)
        .optional()?
        .map(from_row)
        .transpose()
}

/// Programmes with this name (several providers may use the same name).
pub fn by_name(conn: &mut DbConn, name: &str) -> Result<Vec<Programme>, StoreError> {
    programmes::table
        .filter(programmes::name.eq(name.trim()))
        .select(columns!())
        .load::<Row>(conn)?
        .into_iter()
        .map(from_row)
        .collect()
}

pub fn insert(
    conn: &mut DbConn,
    organisation: OrganisationId,
    f: &ProgrammeFields,
) -> Result<ProgrammeId, StoreError> {
    let t = now();
    let values = (
        programmes::organisation_id.eq(organisation.0),
        programmes::name.eq(&f.name),
        programmes::kind.eq(f.kind.as_str()),
        programmes::delivery.eq(f.delivery.as_str()),
        programmes::min_age.eq(f.min_age),
        programmes::max_age.eq(f.max_age),
        programmes::starts_on.eq(f.starts_on),
        programmes::ends_on.eq(f.ends_on),
        programmes::description.eq(&f.description),
        programmes::created_at.eq(t),
        programmes::updated_at.eq(t),
    );
    let id: i64 = on_backend!(conn, |c| diesel::insert_into(programmes::table)
        .values(values)
        .returning(programmes::id)
        .get_result(c))
    .map_err(|e| StoreError::from_insert(e, &format!("a programme named '{}'", f.name)))?;
    Ok(ProgrammeId(id))
}

pub fn update(conn: &mut DbConn, id: ProgrammeId, f: &ProgrammeFields) -> Result<(), StoreError> {
    diesel::update(programmes::table.find(id.0))
        .set((
            programmes::name.eq(&f.name),
            programmes::kind.eq(f.kind.as_str()),
            programmes::delivery.eq(f.delivery.as_str()),
            programmes::min_age.eq(f.min_age),
            programmes::max_age.eq(f.max_age),
            programmes::starts_on.eq(f.starts_on),
            programmes::ends_on.eq(f.ends_on),
            programmes::description.eq(&f.description),
            programmes::updated_at.eq(now()),
        ))
        .execute(conn)
        .map_err(|e| StoreError::from_insert(e, &format!("a programme named '{}'", f.name)))?;
    Ok(())
}

/// A page of the programmes whose figures the scope may see, optionally of one provider.
pub fn list(
    conn: &mut DbConn,
    scope: Scope,
    organisation: Option<OrganisationId>,
    limit: i64,
    offset: i64,
) -> Result<Vec<Programme>, StoreError> {
    let mut q = scoped!(
        programmes::table,
        scope.aggregates(),
        programmes::organisation_id
    );
    if let Some(o) = organisation {
        q = q.filter(programmes::organisation_id.eq(o.0));
    }
    q.order((programmes::organisation_id, programmes::name))
        .limit(limit)
        .offset(offset)
        .select(columns!())
        .load::<Row>(conn)?
        .into_iter()
        .map(from_row)
        .collect()
}

pub fn count(
    conn: &mut DbConn,
    scope: Scope,
    organisation: Option<OrganisationId>,
) -> Result<i64, StoreError> {
    let mut q = scoped!(
        programmes::table,
        scope.aggregates(),
        programmes::organisation_id
    );
    if let Some(o) = organisation {
        q = q.filter(programmes::organisation_id.eq(o.0));
    }
    Ok(q.count().get_result(conn)?)
}
