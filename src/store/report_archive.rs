//! The report archive: every published or downloaded report with its figures (the
//! report's JSON, as given out), parameters and input hash, so that a figure published
//! before an erasure stays traceable after it (docs/erasure-and-retention.md).
//!
//! A report identical to the scope's latest entry (same parameters, audience, mode, input
//! hash and figures) is not archived again: the audit trail has every download, the
//! archive every distinct set of figures given out.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{now, StoreError};
use crate::db::schema::report_archive as a;
use crate::db::DbConn;
use crate::domain::ids::UserId;

/// What is archived.
pub struct NewEntry<'a> {
    /// `programme:7`, `provider:3` or `fundingstream:2`.
    pub scope: &'a str,
    pub scope_name: &'a str,
    pub programme_ids: &'a [i64],
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    /// `published` or `internal`.
    pub mode: &'static str,
    /// `provider` (a provider's own figures), `aggregate` (commissioners and analysts) or
    /// `operator` (the command line).
    pub audience: &'static str,
    pub format: &'a str,
    /// `page`, `api` or `cli`.
    pub via: &'static str,
    pub user_id: Option<UserId>,
    pub parameters: &'a Value,
    pub input_sha256: &'a str,
    /// `figures_hash` of the figures.
    pub figures_sha256: &'a str,
    /// The figures (the report's JSON), made only when a new entry is written.
    pub figures: &'a dyn Fn() -> Value,
}

/// An archive entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    pub id: i64,
    pub archived_at: NaiveDateTime,
    pub scope: String,
    pub scope_name: String,
    pub programme_ids: Vec<i64>,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    pub mode: String,
    pub audience: String,
    pub format: String,
    pub via: String,
    pub user_id: Option<i64>,
    pub parameters: Value,
    pub input_sha256: String,
    pub figures_sha256: String,
    /// Left out of lists (`list`); read by `find`.
    #[serde(skip_serializing_if = "Value::is_null")]
    pub figures: Value,
}

/// SHA-256 of the figures without the moment they were generated (which differs at
/// every request) and without where they were read (a replica's replay time and lag
/// differ at every request too), so that the same figures hash the same.
pub fn figures_hash(figures: &Value) -> String {
    let mut f = figures.clone();
    if let Some(p) = f.get_mut("provenance").and_then(Value::as_object_mut) {
        p.remove("generated_at");
        p.remove("read_from");
    }
    hex::encode(Sha256::digest(f.to_string().as_bytes()))
}

/// Archives a report, unless the scope's latest entry is the same; returns the entry's id
/// (the new one's or the existing one's).
pub fn archive(conn: &mut DbConn, n: NewEntry) -> Result<i64, StoreError> {
    let figures_sha256 = n.figures_sha256;
    let parameters = n.parameters.to_string();
    let latest: Option<(i64, String, String, String, String, String)> = a::table
        .filter(a::scope.eq(n.scope))
        .filter(a::mode.eq(n.mode))
        .filter(a::audience.eq(n.audience))
        .filter(a::parameters.eq(&parameters))
        .order(a::id.desc())
        .select((
            a::id,
            a::input_sha256,
            a::figures_sha256,
            a::parameters,
            a::mode,
            a::audience,
        ))
        .first(conn)
        .optional()?;
    if let Some((id, input, figures, ..)) = latest {
        if input == n.input_sha256 && figures == figures_sha256 {
            return Ok(id);
        }
    }
    let values = (
        a::archived_at.eq(now()),
        a::scope.eq(n.scope),
        a::scope_name.eq(n.scope_name),
        a::programme_ids.eq(serde_json::to_string(n.programme_ids).unwrap_or_default()),
        a::period_from.eq(n.period_from),
        a::period_to.eq(n.period_to),
        a::mode.eq(n.mode),
        a::audience.eq(n.audience),
        a::format.eq(n.format),
        a::via.eq(n.via),
        a::user_id.eq(n.user_id.map(|u| u.0)),
        a::parameters.eq(&parameters),
        a::input_sha256.eq(n.input_sha256),
        a::figures.eq((n.figures)().to_string()),
        a::figures_sha256.eq(figures_sha256),
    );
    let id: i64 = crate::on_backend!(conn, |c| diesel::insert_into(a::table)
        .values(values)
        .returning(a::id)
        .get_result(c))?;
    Ok(id)
}

/// An archive entry as `columns!` reads it (JSON columns as their text).
#[derive(Queryable)]
struct Row {
    id: i64,
    archived_at: NaiveDateTime,
    scope: String,
    scope_name: String,
    programme_ids: String,
    period_from: NaiveDate,
    period_to: NaiveDate,
    mode: String,
    audience: String,
    format: String,
    via: String,
    user_id: Option<i64>,
    parameters: String,
    input_sha256: String,
    figures_sha256: String,
}

macro_rules! columns {
    () => {
        (
            a::id,
            a::archived_at,
            a::scope,
            a::scope_name,
            a::programme_ids,
            a::period_from,
            a::period_to,
            a::mode,
            a::audience,
            a::format,
            a::via,
            a::user_id,
            a::parameters,
            a::input_sha256,
            a::figures_sha256,
        )
    };
}

fn from_row(r: Row, figures: Value) -> Entry {
    Entry {
        id: r.id,
        archived_at: r.archived_at,
        scope: r.scope,
        scope_name: r.scope_name,
        programme_ids: serde_json::from_str(&r.programme_ids).unwrap_or_default(),
        period_from: r.period_from,
        period_to: r.period_to,
        mode: r.mode,
        audience: r.audience,
        format: r.format,
        via: r.via,
        user_id: r.user_id,
        parameters: serde_json::from_str(&r.parameters).unwrap_or(Value::Null),
        input_sha256: r.input_sha256,
        figures_sha256: r.figures_sha256,
        figures,
    }
}

/// Every entry, newest first, without figures.
pub fn list(conn: &mut DbConn) -> Result<Vec<Entry>, StoreError> {
    Ok(a::table
        .order(a::id.desc())
        .select(columns!())
        .load::<Row>(conn)?
        .into_iter()
        .map(|r| from_row(r, Value::Null))
        .collect())
}

/// The newest `limit` entries of reports downloaded or published (not those only viewed
/// on a page), without figures.
pub fn latest_downloads(conn: &mut DbConn, limit: i64) -> Result<Vec<Entry>, StoreError> {
    Ok(a::table
        .filter(a::format.ne("html"))
        .order(a::id.desc())
        .limit(limit)
        .select(columns!())
        .load::<Row>(conn)?
        .into_iter()
        .map(|r| from_row(r, Value::Null))
        .collect())
}

/// One entry with its figures.
pub fn find(conn: &mut DbConn, id: i64) -> Result<Entry, StoreError> {
    let row: Row = a::table
        .find(id)
        .select(columns!())
        .first(conn)
        .map_err(StoreError::from_query)?;
    let figures: String = a::table
        .find(id)
        .select(a::figures)
        .first(conn)
        .map_err(StoreError::from_query)?;
    Ok(from_row(
        row,
        serde_json::from_str(&figures).unwrap_or(Value::Null),
    ))
}
