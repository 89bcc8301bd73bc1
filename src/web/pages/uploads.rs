//! Preview, confirm and undo on the upload page (issue 17; docs/data-formats.md,
//! "Preview, confirm and undo"), the error reports of refused uploads, and the column
//! guide of each kind of file.
//!
//! An upload is first imported in a transaction that is rolled back (`imports::dry_run`),
//! and the page shows what it would do. The file is then held server-side
//! (`store::pending_uploads`: tied to the sign-in session, expiring after 30 minutes,
//! found by the hash of a random id that only the preview form's POST body carries) and
//! imported — checked again from scratch — when the user confirms. Files that may hold
//! clear police identifiers (participants, comparison groups) are never held: the user
//! chooses the same file again to confirm, and its SHA-256 must match the one previewed.

use actix_web::{web, HttpResponse};
use rand::RngCore;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{render, render_status, viewer_context, Page};
use crate::domain::access::Actor;
use crate::domain::enums::ImportKind;
use crate::domain::ids::{ImportBatchId, OrganisationId};
use crate::imports::{self, template, ImportSummary};
use crate::store::{self, pending_uploads};
use crate::web::errors::{blocking, AppError, FieldError, PageError};
use crate::web::security::CspNonce;
use crate::web::session::{see_other, Viewer};
use crate::web::shared::PathId;
use crate::web::uploads::{run_import, ImportOptions, ReportLine};
use crate::web::AppState;

/// Whether files of a kind may hold clear police identifiers, and so are never held.
fn never_held(kind: ImportKind) -> bool {
    matches!(
        kind,
        ImportKind::Participants | ImportKind::Comparison | ImportKind::Offences
    )
}

/// One field's changes on the preview.
#[derive(Debug, Serialize)]
struct FieldRow {
    field: String,
    records: u64,
}

/// The preview page (`pages/upload_preview`).
#[derive(Debug, Serialize)]
pub struct PreviewView {
    file_name: String,
    kind: &'static str,
    kind_label: &'static str,
    rows: u64,
    inserted: u64,
    updated: u64,
    unchanged: u64,
    changes: bool,
    fields: Vec<FieldRow>,
    /// The held file's id, posted back by the confirm form.
    upload: Option<String>,
    /// Files never held: the form asks for the same file again.
    reselect: Option<Reselect>,
}

#[derive(Debug, Serialize)]
struct Reselect {
    sha256: String,
    organisation_id: Option<i64>,
    name: Option<String>,
}

/// Checks an upload and returns its preview: the file is held (or, for files never held,
/// its hash kept in the form) until the user confirms. `Err(Validation)` lists the
/// errors the import would refuse the file with (kept in the history of failed uploads).
#[allow(clippy::too_many_arguments)]
pub fn preview(
    conn: &mut crate::db::DbConn,
    state: &AppState,
    actor: &Actor,
    session: Option<i64>,
    kind: ImportKind,
    file_name: &str,
    bytes: Vec<u8>,
    options: &ImportOptions,
) -> Result<PreviewView, AppError> {
    let options = ImportOptions {
        dry_run: true,
        keep_refusal: true,
        ..options.clone()
    };
    let sha256 = hex::encode(Sha256::digest(&bytes));
    let s: ImportSummary =
        run_import(conn, state, actor, kind, file_name, bytes.clone(), &options)?;
    let changes = s.inserted + s.updated > 0;
    let (mut upload, mut reselect) = (None, None);
    if changes && never_held(kind) {
        reselect = Some(Reselect {
            sha256,
            organisation_id: options.organisation,
            name: options.name.clone(),
        });
    } else if changes {
        let session = session.ok_or(AppError::Forbidden)?;
        let mut id = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut id);
        let id = hex::encode(id);
        pending_uploads::hold(
            conn,
            &hex::encode(Sha256::digest(id.as_bytes())),
            session,
            &pending_uploads::Pending {
                kind,
                file_name: file_name.to_string(),
                organisation_id: options.organisation.map(OrganisationId),
                content: bytes,
                expires_at: store::now() + pending_uploads::HELD_FOR,
            },
        )?;
        upload = Some(id);
    }
    Ok(PreviewView {
        file_name: file_name.to_string(),
        kind: kind.name(),
        kind_label: kind.label(),
        rows: s.rows,
        inserted: s.inserted,
        updated: s.updated,
        unchanged: s.unchanged,
        changes,
        fields: s
            .fields
            .into_iter()
            .map(|f| FieldRow {
                field: f.field,
                records: f.records,
            })
            .collect(),
        upload,
        reselect,
    })
}

/// Renders the preview page.
pub fn show_preview(
    view: &PreviewView,
    nonce: &CspNonce,
    viewer: &Viewer,
) -> Result<HttpResponse, PageError> {
    render(
        "pages/upload_preview",
        &viewer_context(
            "Check what the upload will do",
            nonce,
            viewer,
            "/uploads",
            view,
        ),
    )
}

/// The confirm form.
#[derive(Debug, serde::Deserialize)]
pub struct ConfirmForm {
    upload: String,
}

/// `POST /uploads/confirm` (form: `upload`, the held file's id): imports the held file,
/// checking it again from scratch. An expired or unknown id shows the upload page with
/// an error; a file refused now shows its errors there.
pub async fn confirm(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
    form: web::Form<ConfirmForm>,
) -> Result<HttpResponse, PageError> {
    let session = viewer.session_id;
    let outcome = blocking(move || {
        let mut conn = state.conn()?;
        let session = session.ok_or(AppError::Forbidden)?;
        let hash = hex::encode(Sha256::digest(form.upload.trim().as_bytes()));
        let Some(held) = pending_uploads::take(&mut conn, &hash, session)? else {
            let errors = [FieldError::new(
                "file",
                "The file you previewed is no longer held (files are kept for 30 minutes, and one at a time): upload it again",
            )];
            return Ok(Err(super::files::context(&mut conn, &actor, "", &errors)?));
        };
        let options = ImportOptions {
            organisation: held.organisation_id.map(|o| o.0),
            ..ImportOptions::default()
        };
        match run_import(
            &mut conn,
            &state,
            &actor,
            held.kind,
            &held.file_name,
            held.content,
            &options,
        ) {
            Ok(s) => {
                super::files::flash(&mut conn, Some(session), &held.file_name, &s)?;
                Ok(Ok(()))
            }
            Err(AppError::Validation(errors)) => Ok(Err(super::files::context(
                &mut conn,
                &actor,
                held.kind.as_str(),
                &errors,
            )?)),
            Err(e) => Err(e),
        }
    })
    .await?;
    match outcome {
        Ok(()) => Ok(see_other("/uploads")),
        Err(body) => render_status(
            actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
            "pages/uploads",
            &viewer_context(
                "Error: Upload a spreadsheet",
                &nonce,
                &viewer,
                "/uploads",
                &body,
            ),
        ),
    }
}

// --- undo -----------------------------------------------------------------------------

/// The undo confirmation page (`pages/upload_undo`).
#[derive(Debug, Serialize)]
struct UndoView {
    id: i64,
    file_name: String,
    kind_label: &'static str,
    when: String,
    added: i64,
    updated: i64,
    /// Why it cannot be undone (then no button).
    obstacles: Vec<String>,
}

/// The batch an actor may undo: provider managers their organisation's, admins any.
fn batch_for(
    conn: &mut crate::db::DbConn,
    actor: &Actor,
    id: i64,
) -> Result<store::import_batches::Batch, AppError> {
    let batch = store::import_batches::find(conn, ImportBatchId(id))?.ok_or(AppError::NotFound)?;
    match actor.scope().records() {
        crate::domain::access::Rows::All => Ok(batch),
        crate::domain::access::Rows::Of(o) if batch.organisation_id == Some(o) => Ok(batch),
        _ => Err(AppError::NotFound),
    }
}

fn own_organisation(actor: &Actor) -> Option<OrganisationId> {
    match actor.scope().records() {
        crate::domain::access::Rows::All => None,
        _ => Some(actor.organisation_id),
    }
}

/// `GET /uploads/{id}/undo`: what undoing the upload does, or why it cannot be undone.
pub async fn undo_page(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
    PathId(id): PathId<i64>,
) -> Result<HttpResponse, PageError> {
    let view = blocking(move || {
        let mut conn = state.conn()?;
        let batch = batch_for(&mut conn, &actor, id)?;
        let obstacles = imports::undo::obstacles(&mut conn, &batch)?;
        Ok(UndoView {
            id,
            file_name: batch.file_name,
            kind_label: batch.kind.label(),
            when: batch.created_at.format("%-d %B %Y %H:%M").to_string(),
            added: batch.rows_inserted,
            updated: batch.rows_updated,
            obstacles,
        })
    })
    .await?;
    render(
        "pages/upload_undo",
        &viewer_context("Undo this upload?", &nonce, &viewer, "/uploads", &view),
    )
}

/// `POST /uploads/{id}/undo`: undoes the upload (audited); refused with the reasons.
pub async fn undo(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
    PathId(id): PathId<i64>,
) -> Result<HttpResponse, PageError> {
    let session = viewer.session_id;
    let outcome = blocking(move || {
        let mut conn = state.conn()?;
        let batch = batch_for(&mut conn, &actor, id)?;
        match imports::undo::revert(
            &mut conn,
            batch.id,
            own_organisation(&actor),
            Some(actor.user_id),
        ) {
            Ok(r) => {
                if let Some(session) = session {
                    store::login_sessions::set_flash(
                        &mut conn,
                        session,
                        &format!(
                            "Upload of {} undone: {} records removed, {} put back as they were",
                            r.batch.file_name, r.removed, r.restored
                        ),
                    )?;
                }
                Ok(Ok(()))
            }
            Err(imports::undo::RevertError::Refused(obstacles)) => Ok(Err(UndoView {
                id,
                file_name: batch.file_name,
                kind_label: batch.kind.label(),
                when: batch.created_at.format("%-d %B %Y %H:%M").to_string(),
                added: batch.rows_inserted,
                updated: batch.rows_updated,
                obstacles,
            })),
            Err(imports::undo::RevertError::NotFound(_)) => Err(AppError::NotFound),
            Err(imports::undo::RevertError::Store(e)) => Err(e.into()),
        }
    })
    .await?;
    match outcome {
        Ok(()) => Ok(see_other("/uploads")),
        Err(view) => render_status(
            actix_web::http::StatusCode::CONFLICT,
            "pages/upload_undo",
            &viewer_context(
                "Error: Undo this upload?",
                &nonce,
                &viewer,
                "/uploads",
                &view,
            ),
        ),
    }
}

// --- error reports ----------------------------------------------------------------------

/// A refused upload's error report (`pages/upload_errors`).
#[derive(Debug, Serialize)]
struct ErrorsView {
    file_name: String,
    kind_label: &'static str,
    when: String,
    error_count: i64,
    errors: Vec<ReportLine>,
    /// Some errors were not kept (at most `imports::MAX_LISTED_ERRORS`).
    more: i64,
}

/// `GET /uploads/failed/{id}`: the error report of a refused upload, again.
pub async fn failed(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
    PathId(id): PathId<i64>,
) -> Result<HttpResponse, PageError> {
    let view = blocking(move || {
        let mut conn = state.conn()?;
        let f = store::import_changes::failure(
            &mut conn,
            actor.scope(),
            actor.user_id,
            actor.organisation_id,
            id,
        )?
        .ok_or(AppError::NotFound)?;
        let errors: Vec<ReportLine> = serde_json::from_str(&f.errors).unwrap_or_default();
        Ok(ErrorsView {
            more: (f.error_count - errors.len() as i64).max(0),
            file_name: f.file_name,
            kind_label: f.kind.label(),
            when: f.created_at.format("%-d %B %Y %H:%M").to_string(),
            error_count: f.error_count,
            errors,
        })
    })
    .await?;
    render(
        "pages/upload_errors",
        &viewer_context("Errors in an upload", &nonce, &viewer, "/uploads", &view),
    )
}

// --- column guides ----------------------------------------------------------------------

#[derive(Debug, Serialize)]
struct GuideColumn {
    name: &'static str,
    required: bool,
    accepted: String,
    example: &'static str,
}

/// The column guide of a kind (`pages/upload_guide`).
#[derive(Debug, Serialize)]
struct GuideView {
    kind: &'static str,
    kind_label: &'static str,
    columns: Vec<GuideColumn>,
}

/// The organisation's names a template or guide offers: its programmes (provider staff;
/// nothing for roles without one) and the outcome measures.
pub fn names_for(
    conn: &mut crate::db::DbConn,
    organisation: Option<OrganisationId>,
) -> Result<template::Names, AppError> {
    let programmes = match organisation {
        Some(o) => store::programmes::of_organisation(conn, o)?
            .into_iter()
            .map(|p| p.fields.name)
            .collect(),
        None => Vec::new(),
    };
    let measures = store::measures::all(conn)?
        .into_iter()
        .map(|m| m.fields.name)
        .collect();
    Ok(template::Names {
        programmes,
        measures,
    })
}

/// The organisation whose programmes an actor's templates list: provider staff's own.
pub fn template_organisation(actor: &Actor) -> Option<OrganisationId> {
    match actor.scope().records() {
        crate::domain::access::Rows::Of(o) => Some(o),
        _ => None,
    }
}

/// `GET /uploads/guide/{kind}`: each column of a kind of file — required or optional,
/// accepted values, an example — as a page.
pub async fn guide(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
    kind: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let kind = ImportKind::from_name(&kind).map_err(|_| AppError::NotFound)?;
    let names =
        blocking(move || names_for(&mut *state.conn()?, template_organisation(&actor))).await?;
    let view = GuideView {
        kind: kind.name(),
        kind_label: kind.label(),
        columns: template::columns_with(kind, &names)
            .into_iter()
            .map(|c| GuideColumn {
                name: c.name,
                required: c.required,
                accepted: c.accepted,
                example: c.example,
            })
            .collect(),
    };
    render(
        "pages/upload_guide",
        &viewer_context(
            &format!("{} file: columns", kind.label()),
            &nonce,
            &viewer,
            "/uploads",
            &view,
        ),
    )
}
