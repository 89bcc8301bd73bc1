//! Organisations: providers, the commissioner's office, the VRU.

use diesel::prelude::*;
use serde::Serialize;

use super::audit::{self, NewEvent};
use super::{now, write_transaction, StoreError};
use crate::db::schema::organisations;
use crate::db::DbConn;
use crate::domain::access::{Actor, Scope};
use crate::domain::enums::AuditAction;
use crate::domain::enums::OrganisationKind;
use crate::domain::ids::OrganisationId;
use crate::on_backend;

#[derive(Debug, Clone, PartialEq, Serialize, Queryable, utoipa::ToSchema)]
pub struct Organisation {
    pub id: OrganisationId,
    pub name: String,
    pub kind: OrganisationKind,
}

/// Adds an organisation; a name already in use is `Duplicate`.
pub fn create(
    conn: &mut DbConn,
    name: &str,
    kind: OrganisationKind,
) -> Result<Organisation, StoreError> {
    create_by(conn, name, kind, None)
}

/// Adds an organisation on behalf of an actor (`None`: the command line), audited.
pub fn create_by(
    conn: &mut DbConn,
    name: &str,
    kind: OrganisationKind,
    by: Option<&Actor>,
) -> Result<Organisation, StoreError> {
    write_transaction(conn, |conn| insert(conn, name, kind, by))
}

fn insert(
    conn: &mut DbConn,
    name: &str,
    kind: OrganisationKind,
    by: Option<&Actor>,
) -> Result<Organisation, StoreError> {
    let name = name.trim();
    let values = (
        organisations::name.eq(name),
        organisations::kind.eq(kind.as_str()),
        organisations::created_at.eq(now()),
    );
    let id: i64 = on_backend!(conn, |c| diesel::insert_into(organisations::table)
        .values(values)
        .returning(organisations::id)
        .get_result(c))
    .map_err(|e| StoreError::from_insert(e, &format!("an organisation named '{name}'")))?;
    audit::record(
        conn,
        NewEvent::new(AuditAction::Create, "organisation")
            .by(by)
            .entity_id(id)
            .fields(&["name", "kind"])
            .detail(format!("kind={kind}")),
    )?;
    Ok(Organisation {
        id: OrganisationId(id),
        name: name.to_string(),
        kind,
    })
}

pub fn find_by_name(conn: &mut DbConn, name: &str) -> Result<Option<Organisation>, StoreError> {
    Ok(organisations::table
        .filter(organisations::name.eq(name.trim()))
        .select((organisations::id, organisations::name, organisations::kind))
        .first::<Organisation>(conn)
        .optional()?)
}

pub fn list(conn: &mut DbConn) -> Result<Vec<Organisation>, StoreError> {
    Ok(organisations::table
        .order(organisations::name)
        .select((organisations::id, organisations::name, organisations::kind))
        .load::<Organisation>(conn)?)
}

/// The organisations a scope may see: its own for provider staff, all for the others.
pub fn list_scoped(conn: &mut DbConn, scope: Scope) -> Result<Vec<Organisation>, StoreError> {
    Ok(
        crate::scoped!(organisations::table, scope.aggregates(), organisations::id)
            .order(organisations::name)
            .select((organisations::id, organisations::name, organisations::kind))
            .load::<Organisation>(conn)?,
    )
}

/// A provider whose figures the scope may see (provider staff: their own), or `NotFound`.
pub fn find_provider_visible(
    conn: &mut DbConn,
    scope: Scope,
    id: OrganisationId,
) -> Result<Organisation, StoreError> {
    crate::scoped!(organisations::table, scope.aggregates(), organisations::id)
        .filter(organisations::id.eq(id.0))
        .filter(organisations::kind.eq(OrganisationKind::Provider.as_str()))
        .select((organisations::id, organisations::name, organisations::kind))
        .first::<Organisation>(conn)
        .map_err(StoreError::from_query)
}
