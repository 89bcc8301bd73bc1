//! Organisations: providers, the commissioner's office, the VRU.

use diesel::prelude::*;
use serde::Serialize;

use super::{now, StoreError};
use crate::db::schema::organisations;
use crate::db::DbConn;
use crate::domain::enums::OrganisationKind;
use crate::domain::ids::OrganisationId;
use crate::on_backend;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Organisation {
    pub id: OrganisationId,
    pub name: String,
    pub kind: OrganisationKind,
}

type Row = (i64, String, String);

fn from_row((id, name, kind): Row) -> Result<Organisation, StoreError> {
    let kind = kind
        .parse()
        .map_err(|e: crate::domain::enums::UnknownValue| {
            StoreError::Database(diesel::result::Error::DeserializationError(e.into()))
        })?;
    Ok(Organisation {
        id: OrganisationId(id),
        name,
        kind,
    })
}

/// Adds an organisation; a name already in use is `Duplicate`.
pub fn create(
    conn: &mut DbConn,
    name: &str,
    kind: OrganisationKind,
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
    Ok(Organisation {
        id: OrganisationId(id),
        name: name.to_string(),
        kind,
    })
}

pub fn find_by_name(conn: &mut DbConn, name: &str) -> Result<Option<Organisation>, StoreError> {
    organisations::table
        .filter(organisations::name.eq(name.trim()))
        .select((organisations::id, organisations::name, organisations::kind))
        .first::<Row>(conn)
        .optional()?
        .map(from_row)
        .transpose()
}

pub fn list(conn: &mut DbConn) -> Result<Vec<Organisation>, StoreError> {
    organisations::table
        .order(organisations::name)
        .select((organisations::id, organisations::name, organisations::kind))
        .load::<Row>(conn)?
        .into_iter()
        .map(from_row)
        .collect()
}
