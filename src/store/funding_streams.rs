//! Funding streams and their allocations to programmes.

use diesel::prelude::*;
use serde::Serialize;

use super::{now, StoreError};
use crate::db::schema::{allocations, funding_streams as f};
use crate::db::DbConn;
use crate::domain::ids::{FundingStreamId, ProgrammeId};
use crate::on_backend;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FundingStream {
    pub id: FundingStreamId,
    pub name: String,
    pub funder: String,
    pub financial_year: String,
    pub amount_pence: i64,
}

/// A row as the query reads it, field by field in the order of its columns.
#[derive(Queryable)]
struct Row {
    id: i64,
    name: String,
    funder: String,
    financial_year: String,
    amount_pence: i64,
}

fn from_row(r: Row) -> FundingStream {
    FundingStream {
        id: FundingStreamId(r.id),
        name: r.name,
        funder: r.funder,
        financial_year: r.financial_year,
        amount_pence: r.amount_pence,
    }
}

pub fn find_by_name(conn: &mut DbConn, name: &str) -> Result<Option<FundingStream>, StoreError> {
    Ok(f::table
        .filter(f::name.eq(name.trim()))
        .select((
            f::id,
            f::name,
            f::funder,
            f::financial_year,
            f::amount_pence,
        ))
        .first::<Row>(conn)
        .optional()?
        .map(from_row))
}

pub fn all(conn: &mut DbConn) -> Result<Vec<FundingStream>, StoreError> {
    Ok(f::table
        .order((f::financial_year, f::name))
        .select((
            f::id,
            f::name,
            f::funder,
            f::financial_year,
            f::amount_pence,
        ))
        .load::<Row>(conn)?
        .into_iter()
        .map(from_row)
        .collect())
}

pub fn insert(
    conn: &mut DbConn,
    name: &str,
    funder: &str,
    financial_year: &str,
    amount_pence: i64,
) -> Result<FundingStreamId, StoreError> {
    let values = (
        f::name.eq(name.trim()),
        f::funder.eq(funder.trim()),
        f::financial_year.eq(financial_year),
        f::amount_pence.eq(amount_pence),
        f::created_at.eq(now()),
    );
    let id: i64 = on_backend!(conn, |c| diesel::insert_into(f::table)
        .values(values)
        .returning(f::id)
        .get_result(c))
    .map_err(|e| StoreError::from_insert(e, &format!("a funding stream named '{name}'")))?;
    Ok(FundingStreamId(id))
}

/// Allocates `amount_pence` of a stream to a programme.
pub fn allocate(
    conn: &mut DbConn,
    stream: FundingStreamId,
    programme: ProgrammeId,
    amount_pence: i64,
) -> Result<(), StoreError> {
    diesel::insert_into(allocations::table)
        .values((
            allocations::funding_stream_id.eq(stream.0),
            allocations::programme_id.eq(programme.0),
            allocations::amount_pence.eq(amount_pence),
            allocations::created_at.eq(now()),
        ))
        .execute(conn)
        .map_err(|e| {
            StoreError::from_insert(e, "an allocation of this stream to this programme")
        })?;
    Ok(())
}

pub fn find(conn: &mut DbConn, id: FundingStreamId) -> Result<FundingStream, StoreError> {
    f::table
        .find(id.0)
        .select((
            f::id,
            f::name,
            f::funder,
            f::financial_year,
            f::amount_pence,
        ))
        .first::<Row>(conn)
        .map(from_row)
        .map_err(StoreError::from_query)
}

/// An allocation of a stream to a programme, with the stream's name.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Allocation {
    pub funding_stream_id: FundingStreamId,
    pub funding_stream: String,
    pub programme_id: ProgrammeId,
    pub amount_pence: i64,
}

/// The allocations to one programme.
pub fn allocations_of_programme(
    conn: &mut DbConn,
    programme: ProgrammeId,
) -> Result<Vec<Allocation>, StoreError> {
    let rows: Vec<(i64, String, i64, i64)> = allocations::table
        .inner_join(f::table)
        .filter(allocations::programme_id.eq(programme.0))
        .order(f::name)
        .select((
            allocations::funding_stream_id,
            f::name,
            allocations::programme_id,
            allocations::amount_pence,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(s, name, p, amount)| Allocation {
            funding_stream_id: FundingStreamId(s),
            funding_stream: name,
            programme_id: ProgrammeId(p),
            amount_pence: amount,
        })
        .collect())
}
