//! Comparison groups: cohorts of pseudonymous person keys with index dates (e.g. matched
//! by a police analyst), imported with `outcomes import comparison-group FILE --name L`
//! and compared with in reports (`compare=group:ID`). Identifiers are keyed like offence
//! extracts and never stored in clear. Re-importing a name replaces that group's members.

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Serialize;

use super::{now, StoreError};
use crate::db::day::Day;
use crate::db::schema::{comparison_groups as g, comparison_members as m};
use crate::db::DbConn;
use crate::domain::ids::ImportBatchId;
use crate::evaluation::rows::ComparisonMemberRow;

/// A comparison group as listed.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ComparisonGroup {
    pub id: i64,
    pub name: String,
    /// Members (rows of the file last imported under this name).
    pub members: i64,
    /// The import that last set its members.
    pub import_batch_id: Option<i64>,
}

#[derive(Queryable)]
struct GroupRow {
    id: i64,
    name: String,
    import_batch_id: Option<i64>,
}

/// Every group, by name, with its size.
pub fn list(conn: &mut DbConn) -> Result<Vec<ComparisonGroup>, StoreError> {
    let rows: Vec<GroupRow> = g::table
        .order(g::name)
        .select((g::id, g::name, g::import_batch_id))
        .load(conn)?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let members: i64 = m::table
            .filter(m::comparison_group_id.eq(r.id))
            .count()
            .get_result(conn)?;
        out.push(ComparisonGroup {
            id: r.id,
            name: r.name,
            members,
            import_batch_id: r.import_batch_id,
        });
    }
    Ok(out)
}

/// The group `id`.
pub fn find(conn: &mut DbConn, id: i64) -> Result<ComparisonGroup, StoreError> {
    list(conn)?
        .into_iter()
        .find(|c| c.id == id)
        .ok_or(StoreError::NotFound)
}

/// The group named `name` (exactly), if there is one.
pub fn find_by_name(conn: &mut DbConn, name: &str) -> Result<Option<ComparisonGroup>, StoreError> {
    Ok(list(conn)?.into_iter().find(|c| c.name == name))
}

/// The members of group `id`, in person-key order.
pub fn members(conn: &mut DbConn, id: i64) -> Result<Vec<ComparisonMemberRow>, StoreError> {
    let rows: Vec<(String, Day)> = m::table
        .filter(m::comparison_group_id.eq(id))
        .order((m::person_key, m::index_date))
        .select((m::person_key, m::index_date))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(person_key, Day(index_date))| ComparisonMemberRow {
            person_key: Some(person_key),
            index_date,
        })
        .collect())
}

/// What [`replace`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Replaced {
    pub id: i64,
    /// Members the group had before (0 for a new group).
    pub previous_members: i64,
}

/// Sets the members of the group `name` (made if new) to `members`, in the caller's
/// transaction. Keys must be unique (the caller has checked).
pub fn replace(
    conn: &mut DbConn,
    name: &str,
    batch: ImportBatchId,
    members: &[(String, NaiveDate)],
) -> Result<Replaced, StoreError> {
    let existing = find_by_name(conn, name)?;
    let (id, previous_members) = match existing {
        Some(group) => {
            diesel::delete(m::table.filter(m::comparison_group_id.eq(group.id))).execute(conn)?;
            diesel::update(g::table.filter(g::id.eq(group.id)))
                .set(g::import_batch_id.eq(Some(batch.0)))
                .execute(conn)?;
            (group.id, group.members)
        }
        None => {
            let values = (
                g::name.eq(name),
                g::description.eq(""),
                g::import_batch_id.eq(Some(batch.0)),
                g::created_at.eq(now()),
            );
            let id: i64 = crate::on_backend!(conn, |c| diesel::insert_into(g::table)
                .values(values)
                .returning(g::id)
                .get_result(c))?;
            (id, 0)
        }
    };
    let rows: Vec<_> = members
        .iter()
        .map(|(key, index_date)| {
            (
                m::comparison_group_id.eq(id),
                m::person_key.eq(key.as_str()),
                m::index_date.eq(*index_date),
            )
        })
        .collect();
    for chunk in rows.chunks(5_000) {
        crate::on_backend!(conn, |c| diesel::insert_into(m::table)
            .values(chunk)
            .execute(c))?;
    }
    Ok(Replaced {
        id,
        previous_members,
    })
}
