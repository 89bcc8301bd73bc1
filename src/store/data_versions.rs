//! The versions of what reports read (migration `2026-12-11-000900_data_versions`): a
//! version per programme, and one each for the police offence extract, the comparison
//! groups and the outcome measures. Database triggers bump them in the transaction of
//! every write that can change a figure, whatever wrote it (casework, imports,
//! corrections, voids, merges, erasures, set-up, another instance), so a report's
//! versions name the data it was computed from; the report cache keys on them
//! (`reports::cache`).

use diesel::prelude::*;

use super::StoreError;
use crate::db::DbConn;
use crate::store::report_rows::ReportScope;

/// The versions of every scope a report reads, in scope order: equal lists mean equal
/// data (versions only grow, and a scope that enters or leaves the report changes the
/// list).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Versions(pub Vec<(String, i64)>);

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = diesel::sql_types::Text)]
    scope: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    version: i64,
}

/// The versions a report of `scope` depends on, in one query on the primary key. With
/// `every_programme` (a comparison with another programme or with the matched pool,
/// which reads people of every programme) every programme's version is included.
pub fn for_report(
    conn: &mut DbConn,
    scope: ReportScope,
    every_programme: bool,
) -> Result<Versions, StoreError> {
    // Ids are integers: written into the SQL as numbers, nothing of a user's text.
    let programmes = if every_programme {
        "scope LIKE 'programme:%'".to_string()
    } else {
        match scope {
            ReportScope::Programme(id) => format!("scope = 'programme:{}'", id.0),
            ReportScope::Provider(org) => format!(
                "scope IN (SELECT 'programme:' || id FROM programmes WHERE organisation_id = {})",
                org.0
            ),
            ReportScope::FundingStream(stream) => format!(
                "scope IN (SELECT 'programme:' || programme_id FROM allocations \
                 WHERE funding_stream_id = {})",
                stream.0
            ),
        }
    };
    let sql = format!(
        "SELECT scope, version FROM data_versions \
         WHERE scope IN ('extract', 'comparisons', 'measures') OR {programmes} ORDER BY scope"
    );
    let rows: Vec<Row> = diesel::sql_query(sql).load(conn)?;
    Ok(Versions(
        rows.into_iter().map(|r| (r.scope, r.version)).collect(),
    ))
}
