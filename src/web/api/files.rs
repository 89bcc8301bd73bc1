//! Spreadsheets in and out: `POST /api/v1/imports/{kind}` (a CSV body, all or nothing,
//! every row error as a field error with its `line`), the import history, and
//! `GET /api/v1/exports/{kind}` (the organisation's records in the import format).
//! The upload page shares `web::uploads` with it.

use actix_web::web::{self, Json};
use actix_web::HttpResponse;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{List, Page};
use crate::domain::access::{import_roles, Actor, RECORD_ROLES};
use crate::domain::enums::ImportKind;
use crate::domain::ids::{ImportBatchId, OrganisationId};
use crate::imports::{self, ImportSummary};
use crate::store;
use crate::web::errors::{blocking, AppError, Problem};
use crate::web::uploads::{
    csv_download, export_csv, extract_status, row_errors, run_import, ImportOptions,
};
use crate::web::AppState;

/// What an import did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ImportResult {
    pub kind: ImportKind,
    pub file_name: String,
    pub sha256: String,
    pub rows: u64,
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// The batch written; `null` when nothing changed.
    pub batch_id: Option<ImportBatchId>,
    /// Offence extracts: the people (distinct identifiers) the current extract is about.
    pub people: Option<i64>,
    /// Offence extracts: how many participants' keys the current extract matches.
    pub matched_participants: Option<i64>,
    /// For the updated records: which fields change on how many records.
    pub fields: Vec<imports::FieldChanges>,
    /// `true` for a dry run: the figures are what the import would do, and nothing was
    /// changed.
    pub dry_run: bool,
}

impl From<ImportSummary> for ImportResult {
    fn from(s: ImportSummary) -> Self {
        ImportResult {
            kind: s.kind,
            file_name: s.file_name,
            sha256: s.sha256,
            rows: s.rows,
            inserted: s.inserted,
            updated: s.updated,
            unchanged: s.unchanged,
            batch_id: s.batch_id,
            people: s.extract.map(|x| x.people),
            matched_participants: s.extract.map(|x| x.matched_participants),
            fields: s.fields,
            dry_run: false,
        }
    }
}

/// An import batch of the history.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BatchView {
    pub id: ImportBatchId,
    pub organisation_id: Option<OrganisationId>,
    pub kind: ImportKind,
    pub file_name: String,
    pub rows_total: i64,
    pub rows_inserted: i64,
    pub rows_updated: i64,
    pub rows_unchanged: i64,
    pub extract_date: Option<NaiveDate>,
    /// When a later extract replaced it (UTC, RFC 3339).
    pub superseded_at: Option<DateTime<Utc>>,
    /// Offence extracts: `current`, `previous` (replaced, kept and restorable until the next
    /// import) or `superseded`; `null` for other kinds.
    pub status: Option<String>,
    /// UTC, RFC 3339 (e.g. 2025-04-01T09:30:00.123456Z).
    pub created_at: DateTime<Utc>,
}

/// Query of an import or export.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FileQuery {
    /// File name recorded in the import history (default `upload.csv`).
    pub file_name: Option<String>,
    /// "Data as of" of a police offence extract (YYYY-MM-DD); required for `offences`.
    pub extract_date: Option<String>,
    /// Admins, and commissioners for `programmes`: the provider whose records these are.
    pub organisation_id: Option<i64>,
    /// Offence extracts: `true` to replace the current extract with one of fewer than
    /// half its rows (refused otherwise, with both row counts).
    pub confirm_shrink: Option<bool>,
    /// Comparison groups: the group's name, as reports call it; re-importing a name
    /// replaces that group's members. Required for `comparison-group`.
    pub name: Option<String>,
    /// Imports only: `true` to check the file and answer what the import would do (rows to add, update
    /// and leave unchanged, which fields change on how many records), changing nothing.
    /// The import is run in a transaction that is rolled back, so the answer (or the 422
    /// with every error, including rows that would change records in approved quarters)
    /// is exactly what the same request without `dry_run` would do now.
    pub dry_run: Option<bool>,
}

fn kind(raw: &str) -> Result<ImportKind, AppError> {
    raw.parse::<ImportKind>().map_err(|_| AppError::NotFound)
}

/// `POST /api/v1/imports/{kind}`: a CSV file of one kind as the body (programmes,
/// measures, participants, referrals, sessions, attendance, outcomes). All or nothing:
/// 422 lists every row error with its `line` and column (`field`). With `dry_run=true`
/// the answer is what the import would do, and nothing is changed.
#[utoipa::path(post, path = "/api/v1/imports/{kind}", tag = "imports",
    params(("kind" = ImportKind, Path, description = "the kind of file"), FileQuery),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ImportResult), (status = 422, body = Problem)))]
pub async fn import(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<String>,
    query: web::Query<FileQuery>,
    body: web::Bytes,
) -> Result<Json<ImportResult>, AppError> {
    let kind = kind(&path)?;
    if import_roles(kind) != RECORD_ROLES {
        // Offence extracts and set-up files have their own routes and rules.
        return Err(AppError::NotFound);
    }
    import_body(state, actor, kind, query.into_inner(), body).await
}

/// `POST /api/v1/imports/programmes?organisation_id=N`: programmes of the provider `N`
/// (commissioning set-up: commissioners and admins).
#[utoipa::path(post, path = "/api/v1/imports/programmes", tag = "imports",
    params(FileQuery),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ImportResult), (status = 403, body = Problem),
              (status = 422, body = Problem)))]
pub async fn import_programmes(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<FileQuery>,
    body: web::Bytes,
) -> Result<Json<ImportResult>, AppError> {
    import_body(
        state,
        actor,
        ImportKind::Programmes,
        query.into_inner(),
        body,
    )
    .await
}

/// `POST /api/v1/imports/measures`: the outcome measures every provider shares
/// (commissioning set-up: commissioners and admins).
#[utoipa::path(post, path = "/api/v1/imports/measures", tag = "imports",
    params(FileQuery),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ImportResult), (status = 403, body = Problem),
              (status = 422, body = Problem)))]
pub async fn import_measures(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<FileQuery>,
    body: web::Bytes,
) -> Result<Json<ImportResult>, AppError> {
    import_body(state, actor, ImportKind::Measures, query.into_inner(), body).await
}

/// `POST /api/v1/imports/offences?extract_date=YYYY-MM-DD`: a police offence extract
/// (analysts and admins). It replaces earlier extracts' records.
#[utoipa::path(post, path = "/api/v1/imports/offences", tag = "imports",
    params(FileQuery),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ImportResult), (status = 422, body = Problem)))]
pub async fn import_offences(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<FileQuery>,
    body: web::Bytes,
) -> Result<Json<ImportResult>, AppError> {
    import_body(state, actor, ImportKind::Offences, query.into_inner(), body).await
}

/// `POST /api/v1/imports/comparison-group?name=LABEL`: a comparison group, a
/// `police_id,index_date` CSV file (analysts and admins). Identifiers are keyed and never
/// stored; re-importing a name replaces that group (audited). Compare a report with it
/// with `compare=group:ID`.
#[utoipa::path(post, path = "/api/v1/imports/comparison-group", tag = "imports",
    params(FileQuery),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ImportResult), (status = 403, body = Problem),
              (status = 422, body = Problem)))]
pub async fn import_comparison_group(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<FileQuery>,
    body: web::Bytes,
) -> Result<Json<ImportResult>, AppError> {
    import_body(
        state,
        actor,
        ImportKind::Comparison,
        query.into_inner(),
        body,
    )
    .await
}

/// `GET /api/v1/comparison-groups`: the imported comparison groups (names and sizes), to
/// compare a report with (`compare=group:ID`).
#[utoipa::path(get, path = "/api/v1/comparison-groups", tag = "reports",
    responses((status = 200, body = Vec<store::comparison_groups::ComparisonGroup>)))]
pub async fn comparison_groups(
    state: web::Data<AppState>,
    _actor: Actor,
) -> Result<Json<Vec<store::comparison_groups::ComparisonGroup>>, AppError> {
    blocking(move || {
        let mut conn = state.conn()?;
        Ok(Json(store::comparison_groups::list(&mut conn)?))
    })
    .await
}

async fn import_body(
    state: web::Data<AppState>,
    actor: Actor,
    kind: ImportKind,
    query: FileQuery,
    body: web::Bytes,
) -> Result<Json<ImportResult>, AppError> {
    let file_name = query
        .file_name
        .clone()
        .filter(|f| !f.trim().is_empty())
        .unwrap_or_else(|| "upload.csv".into());
    blocking(move || {
        let mut conn = state.conn()?;
        let options = ImportOptions {
            extract_date: query.extract_date.clone(),
            organisation: query.organisation_id,
            confirm_shrink: query.confirm_shrink.unwrap_or(false),
            name: query.name.clone(),
            dry_run: query.dry_run.unwrap_or(false),
            keep_refusal: false,
        };
        let summary = run_import(
            &mut conn,
            &state,
            &actor,
            kind,
            &file_name,
            body.to_vec(),
            &options,
        )?;
        let mut result = ImportResult::from(summary);
        result.dry_run = options.dry_run;
        Ok(Json(result))
    })
    .await
}

/// `GET /api/v1/imports`: the import history the caller may see (their organisation's;
/// for analysts the offence extracts and measures; everything for admins).
#[utoipa::path(get, path = "/api/v1/imports", tag = "imports", params(Page),
    responses((status = 200, body = List<BatchView>)))]
pub async fn batches(
    state: web::Data<AppState>,
    actor: Actor,
    page: web::Query<Page>,
) -> Result<Json<List<BatchView>>, AppError> {
    let (limit, offset) = page.bounds()?;
    blocking(move || {
        let (count, items) =
            store::import_batches::list_scoped(&mut *state.conn()?, actor.scope(), limit, offset)?;
        Ok(Json(List {
            count,
            items: items.into_iter().map(batch_view).collect(),
        }))
    })
    .await
}

/// What a restore did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RestoreResult {
    /// The extract put back.
    pub restored: BatchView,
    /// The extract it replaced, now the previous one (restorable until the next import).
    pub replaced: Option<BatchView>,
    pub rows: i64,
    pub people: i64,
    pub matched_participants: i64,
}

/// `POST /api/v1/imports/offences/restore`: puts the previous offence extract back in
/// place of the current one, which becomes the previous (analysts and admins; audited).
/// 422 when there is none to restore.
#[utoipa::path(post, path = "/api/v1/imports/offences/restore", tag = "imports",
    responses((status = 200, body = RestoreResult), (status = 422, body = Problem)))]
pub async fn restore_offences(
    state: web::Data<AppState>,
    actor: Actor,
) -> Result<Json<RestoreResult>, AppError> {
    blocking(move || {
        let mut conn = state.conn()?;
        let r = imports::restore(&mut conn, Some(actor.user_id)).map_err(row_errors)?;
        Ok(Json(RestoreResult {
            restored: batch_view(r.restored),
            replaced: r.replaced.map(batch_view),
            rows: r.stats.rows,
            people: r.stats.people,
            matched_participants: r.stats.matched_participants,
        }))
    })
    .await
}

pub fn batch_view(b: store::import_batches::Batch) -> BatchView {
    let status = extract_status(&b).map(str::to_string);
    BatchView {
        id: b.id,
        organisation_id: b.organisation_id,
        kind: b.kind,
        file_name: b.file_name,
        rows_total: b.rows_total,
        rows_inserted: b.rows_inserted,
        rows_updated: b.rows_updated,
        rows_unchanged: b.rows_unchanged,
        extract_date: b.extract_date,
        superseded_at: b.superseded_at.map(|t| t.and_utc()),
        status,
        created_at: b.created_at.and_utc(),
    }
}

/// `GET /api/v1/exports/{kind}`: the organisation's records in the import format.
#[utoipa::path(get, path = "/api/v1/exports/{kind}", tag = "imports",
    params(("kind" = ImportKind, Path, description = "the kind of file"), FileQuery),
    responses((status = 200, content_type = "text/csv", body = String), (status = 404, body = Problem),
              (status = 422, body = Problem)))]
pub async fn export(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<String>,
    query: web::Query<FileQuery>,
) -> Result<HttpResponse, AppError> {
    let kind = kind(&path)?;
    let org = query.organisation_id;
    let bytes = blocking(move || export_csv(&mut *state.conn()?, &actor, kind, org)).await?;
    Ok(csv_download(kind, bytes))
}
