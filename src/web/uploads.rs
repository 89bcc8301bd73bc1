//! What the upload page and the import/export API share: running one import for an actor
//! (each kind open only to its roles), keeping a refused upload with its error report,
//! row errors as field errors, where an offence extract stands, and the organisation's
//! records as a CSV download. Pages and the API both call these, so neither depends on
//! the other.

use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};

use crate::domain::access::{import_roles, Actor, Scope};
use crate::domain::enums::{AuditAction, ImportKind};
use crate::domain::ids::OrganisationId;
use crate::imports::{self, ImportContext, ImportError, ImportSummary, Source};
use crate::store::audit::{self, NewEvent};
use crate::store::{self, write_transaction};
use crate::web::errors::{AppError, FieldError};
use crate::web::AppState;

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
        today: state.today(),
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
