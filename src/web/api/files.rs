//! Spreadsheets in and out: `POST /api/v1/imports/{kind}` (a CSV body, all or nothing,
//! every row error as a field error with its `line`), the import history, and
//! `GET /api/v1/exports/{kind}` (the organisation's records in the import format).
//! The upload page uses the same `run_import`.

use actix_web::web::{self, Json};
use actix_web::HttpResponse;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{List, Page};
use crate::domain::access::{import_roles, Actor, Scope, RECORD_ROLES};
use crate::domain::enums::{AuditAction, ImportKind};
use crate::domain::ids::{ImportBatchId, OrganisationId};
use crate::imports::{self, ImportContext, ImportError, ImportSummary, Source};
use crate::store::audit::{self, NewEvent};
use crate::store::{self, write_transaction};
use crate::web::errors::{blocking, AppError, FieldError, Problem};
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

/// The organisation an import or export is for: the actor's own, or for admins the one
/// named by `organisation_id`.
pub fn organisation_for(actor: &Actor, named: Option<i64>) -> Result<OrganisationId, AppError> {
    match actor.scope() {
        Scope::Organisation(o) => Ok(o),
        Scope::All => named
            .map(OrganisationId)
            .ok_or_else(|| AppError::validation("organisation_id", "Select the provider")),
        Scope::Aggregate => Err(AppError::Forbidden),
    }
}

/// Row errors as field errors: the column, the line, and the whole message.
pub fn row_errors(e: ImportError) -> AppError {
    match e {
        ImportError::Invalid { errors, total } => {
            let mut out: Vec<FieldError> = errors
                .into_iter()
                .map(|r| FieldError {
                    field: if r.column.is_empty() {
                        "file".into()
                    } else {
                        r.column.clone()
                    },
                    message: r.to_string(),
                    line: Some(r.line),
                })
                .collect();
            if total > out.len() {
                out.push(FieldError::new(
                    "file",
                    format!("and {} more errors", total - out.len()),
                ));
            }
            AppError::Validation(out)
        }
        ImportError::Refused(m) => AppError::validation("file", m),
        ImportError::Io(e) => AppError::Internal(e.into()),
        ImportError::Store(e) => e.into(),
    }
}

/// What an import is asked to do besides its file: shared by the API and the upload page.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// "Data as of" of an offence extract (YYYY-MM-DD).
    pub extract_date: Option<String>,
    /// Admins (any kind) and commissioners (programmes): the provider the records are for.
    pub organisation: Option<i64>,
    /// Offence extracts: replace the current extract even with fewer than half its rows.
    pub confirm_shrink: bool,
    /// Comparison groups: the group's name.
    pub name: Option<String>,
    /// Run the import in a transaction that is rolled back: what it would do, nothing
    /// changed (and a refused file is not kept in the history of failed uploads).
    pub dry_run: bool,
    /// Keep a refused file in the history of failed uploads even on a dry run (the
    /// upload page's preview is the user's upload).
    pub keep_refusal: bool,
}

/// Imports one file for the actor (all or nothing); shared by the API and the upload page.
/// Each kind is open only to its roles (`import_roles`), whatever the path.
pub fn run_import(
    conn: &mut crate::db::DbConn,
    state: &AppState,
    actor: &Actor,
    kind: ImportKind,
    file_name: &str,
    bytes: Vec<u8>,
    options: &ImportOptions,
) -> Result<ImportSummary, AppError> {
    if !import_roles(kind).contains(&actor.role) {
        return Err(AppError::Forbidden);
    }
    let offences = kind == ImportKind::Offences;
    let extract_date = match options
        .extract_date
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
    {
        Some(d) => Some(crate::domain::period::parse_date(d).map_err(|_| {
            AppError::validation(
                "extract_date",
                "Enter the date the extract is as of, like 2026-10-31",
            )
        })?),
        None if offences => {
            return Err(AppError::validation(
                "extract_date",
                "Enter the date the extract is as of, like 2026-10-31",
            ))
        }
        None => None,
    };
    let organisation = match kind {
        // Police data and the shared outcome measures belong to no organisation.
        ImportKind::Offences | ImportKind::Measures | ImportKind::Comparison => None,
        // Commissioning set-up: the provider that delivers the programmes is named.
        ImportKind::Programmes => {
            let id = options.organisation.ok_or_else(|| {
                AppError::validation(
                    "organisation_id",
                    "Select the provider that delivers the programmes",
                )
            })?;
            let provider =
                store::organisations::find_provider_visible(conn, Scope::All, OrganisationId(id))
                    .map_err(|_| {
                    AppError::validation(
                        "organisation_id",
                        "Select the provider that delivers the programmes",
                    )
                })?;
            Some(provider.id)
        }
        _ => Some(organisation_for(actor, options.organisation)?),
    };
    let ctx = ImportContext {
        organisation,
        user: Some(actor.user_id),
        secret: &state.secrets.person_key,
        today: chrono::Utc::now().date_naive(),
        extract_date,
        confirm_shrink: options.confirm_shrink,
    };
    let name = match kind {
        ImportKind::Comparison => Some(
            imports::comparison::group_name(options.name.as_deref())
                .map_err(|e| AppError::validation("name", e.to_string()))?,
        ),
        _ => None,
    };
    let source = Source::Bytes(bytes);
    let run = |conn: &mut crate::db::DbConn| match &name {
        Some(name) => imports::comparison::import(conn, &ctx, name, file_name, &source),
        None => imports::import(conn, &ctx, kind, file_name, &source, &mut |_| {}),
    };
    let result = if options.dry_run {
        imports::rolled_back(conn, run)
    } else {
        run(conn)
    };
    if let Err(ImportError::Invalid { errors, total }) = &result {
        if !options.dry_run || options.keep_refusal {
            record_failure(conn, actor, organisation, kind, file_name, errors, *total)?;
        }
    }
    result.map_err(row_errors)
}

/// One line of a kept error report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReportLine {
    pub line: u64,
    pub column: String,
    pub message: String,
}

/// Keeps a refused upload in the history with its error report (the listed errors).
fn record_failure(
    conn: &mut crate::db::DbConn,
    actor: &Actor,
    organisation: Option<OrganisationId>,
    kind: ImportKind,
    file_name: &str,
    errors: &[imports::RowError],
    total: usize,
) -> Result<(), AppError> {
    let report: Vec<ReportLine> = errors
        .iter()
        .map(|e| ReportLine {
            line: e.line,
            column: e.column.clone(),
            message: e.to_string(),
        })
        .collect();
    let report = serde_json::to_string(&report).map_err(|e| AppError::Internal(e.into()))?;
    store::import_changes::record_failure(
        conn,
        &store::import_changes::NewFailure {
            organisation_id: organisation.or(match actor.scope() {
                Scope::Organisation(o) => Some(o),
                _ => None,
            }),
            kind,
            file_name,
            error_count: total as i64,
            errors: &report,
            created_by: Some(actor.user_id),
        },
    )?;
    Ok(())
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

/// Where an offence extract stands: current, previous (restorable) or superseded.
pub fn extract_status(b: &store::import_batches::Batch) -> Option<&'static str> {
    (b.kind == ImportKind::Offences).then_some(if b.superseded_at.is_none() {
        "current"
    } else if b.restorable {
        "previous"
    } else {
        "superseded"
    })
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

/// The organisation's records of one kind as CSV, audited as an export.
pub fn export_csv(
    conn: &mut crate::db::DbConn,
    actor: &Actor,
    kind: ImportKind,
    organisation: Option<i64>,
) -> Result<Vec<u8>, AppError> {
    // Police data is never exported: offence extracts and comparison groups hold keys only.
    if matches!(kind, ImportKind::Offences | ImportKind::Comparison) {
        return Err(AppError::NotFound);
    }
    let org = organisation_for(actor, organisation)?;
    let bytes = write_transaction(conn, |conn| -> Result<Vec<u8>, AppError> {
        let bytes = crate::exports::export(conn, org, kind).map_err(|e| match e {
            crate::exports::ExportError::Store(e) => AppError::from(e),
            other => AppError::Internal(other.into()),
        })?;
        audit::record(
            conn,
            NewEvent::new(AuditAction::Export, "export")
                .by(Some(actor))
                .entity_id(kind)
                .detail(format!(
                    "kind={kind} organisation={org} bytes={}",
                    bytes.len()
                )),
        )?;
        Ok(bytes)
    })?;
    Ok(bytes)
}

/// A CSV download of `kind`.
pub fn csv_download(kind: ImportKind, bytes: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{kind}.csv\""),
        ))
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .body(bytes)
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
