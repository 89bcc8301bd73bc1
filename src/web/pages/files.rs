//! The upload page (multipart, all or nothing per file, with the import history) and
//! CSV downloads of the organisation's records.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use futures_util::StreamExt;
use serde_json::{json, Value};

use super::{forms, render_status, viewer_context};
use crate::domain::access::Actor;
use crate::domain::enums::{ImportKind, Role};
use crate::domain::validation::FieldError;
use crate::store;
use crate::web::api::files::{batch_view, csv_download, export_csv, run_import};
use crate::web::api::path_id;
use crate::web::auth::{see_other, Viewer};
use crate::web::errors::{blocking, AppError, PageError};
use crate::web::security::CspNonce;
use crate::web::AppState;

/// The largest file the upload page and the import API accept.
pub const MAX_UPLOAD_BYTES: usize = 50 * 1024 * 1024;

fn kinds(actor: &Actor) -> Vec<ImportKind> {
    ImportKind::ALL
        .iter()
        .copied()
        .filter(|k| *k != ImportKind::Offences || matches!(actor.role, Role::Analyst | Role::Admin))
        .collect()
}

fn context(
    conn: &mut crate::db::DbConn,
    actor: &Actor,
    chosen: &str,
    errors: &[FieldError],
) -> Result<Value, AppError> {
    let (_, batches) = store::import_batches::list_scoped(conn, actor.scope(), 20, 0)?;
    let batches: Vec<Value> = batches
        .into_iter()
        .map(batch_view)
        .map(|b| {
            json!({"kind": b.kind.as_str(), "file_name": b.file_name, "added": b.rows_inserted,
            "updated": b.rows_updated, "unchanged": b.rows_unchanged,
            "when": b.created_at.format("%-d %B %Y %H:%M").to_string()})
        })
        .collect();
    let kinds: Vec<Value> = kinds(actor)
        .into_iter()
        .map(|k| json!({"value": k.as_str(), "text": k.as_str(), "selected": k.as_str() == chosen}))
        .collect();
    let exports: Vec<Value> = ImportKind::ALL
        .iter()
        .filter(|k| **k != ImportKind::Offences)
        .map(|k| json!({"href": format!("/exports/{k}"), "text": k.as_str()}))
        .collect();
    let summary: Vec<Value> = errors
        .iter()
        .map(|e| json!({"href": if e.field == "kind" || e.field == "extract_date" { format!("#{}", e.field) } else { "#file".into() }, "text": e.message}))
        .collect();
    Ok(json!({
        "kinds": kinds, "batches": batches, "exports": exports,
        "errors": summary,
        "row_errors": errors.iter().filter(|e| e.line.is_some()).map(|e| json!({"line": e.line, "column": e.field, "message": e.message})).collect::<Vec<_>>(),
        "may_export": actor.scope() != crate::domain::access::Scope::Aggregate,
    }))
}

/// `GET /uploads`.
pub async fn show(
    state: web::Data<AppState>,
    nonce: CspNonce,
    viewer: Viewer,
    actor: Actor,
) -> Result<HttpResponse, PageError> {
    let v = viewer.clone();
    let body = blocking(move || {
        let mut conn = state.conn()?;
        let body = context(&mut conn, &actor, "", &[])?;
        forms::shown(&mut conn, &v)?;
        Ok(body)
    })
    .await?;
    super::render(
        "pages/uploads",
        &viewer_context("Upload a spreadsheet", &nonce, &viewer, "", body),
    )
}

/// Reads the multipart form: the text fields and the file.
async fn read_form(
    mut payload: Multipart,
) -> Result<(Vec<(String, String)>, String, Vec<u8>), AppError> {
    let mut fields = Vec::new();
    let (mut file_name, mut bytes) = (String::new(), Vec::new());
    while let Some(item) = payload.next().await {
        let mut field =
            item.map_err(|_| AppError::BadRequest("the upload could not be read".into()))?;
        let name = field.name().unwrap_or_default().to_string();
        let is_file = name == "file";
        if is_file {
            file_name = field
                .content_disposition()
                .and_then(|d| d.get_filename())
                .unwrap_or("upload.csv")
                .to_string();
        }
        let mut value = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk =
                chunk.map_err(|_| AppError::BadRequest("the upload could not be read".into()))?;
            if value.len() + chunk.len() > MAX_UPLOAD_BYTES {
                return Err(AppError::validation(
                    "file",
                    "The file must be smaller than 50 MB",
                ));
            }
            value.extend_from_slice(&chunk);
        }
        if is_file {
            bytes = value;
        } else {
            fields.push((name, String::from_utf8_lossy(&value).into_owned()));
        }
    }
    Ok((fields, file_name, bytes))
}

/// `POST /uploads?csrf_token=...` (multipart: `kind`, `extract_date`, `file`).
pub async fn upload(
    state: web::Data<AppState>,
    nonce: CspNonce,
    viewer: Viewer,
    actor: Actor,
    payload: Multipart,
) -> Result<HttpResponse, PageError> {
    let session = viewer.session_id;
    let read = read_form(payload).await;
    let outcome = blocking(move || {
        let mut conn = state.conn()?;
        let (fields, file_name, bytes) = match read {
            Ok(x) => x,
            Err(AppError::Validation(errors)) => {
                return Ok(Err(context(&mut conn, &actor, "", &errors)?))
            }
            Err(e) => return Err(e),
        };
        let get = |k: &str| {
            fields
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.trim().to_string())
                .unwrap_or_default()
        };
        let chosen = get("kind");
        let kind = match chosen.parse::<ImportKind>() {
            Ok(k) if kinds(&actor).contains(&k) => k,
            _ => {
                return Ok(Err(context(
                    &mut conn,
                    &actor,
                    &chosen,
                    &[FieldError::new("kind", "Select what the file holds")],
                )?))
            }
        };
        if bytes.is_empty() {
            return Ok(Err(context(
                &mut conn,
                &actor,
                &chosen,
                &[FieldError::new("file", "Select a CSV file")],
            )?));
        }
        let extract_date = get("extract_date");
        let organisation = get("organisation_id").parse().ok();
        match run_import(
            &mut conn,
            &state,
            &actor,
            kind,
            &file_name,
            bytes,
            Some(&extract_date),
            organisation,
        ) {
            Ok(s) => {
                let message = if s.batch_id.is_some() {
                    format!(
                        "{} imported: {} added, {} updated, {} unchanged",
                        file_name, s.inserted, s.updated, s.unchanged
                    )
                } else {
                    format!(
                        "{file_name} changed nothing: all {} rows are already recorded",
                        s.unchanged
                    )
                };
                if let Some(id) = session {
                    store::login_sessions::set_flash(&mut conn, id, &message)?;
                }
                Ok(Ok(()))
            }
            Err(AppError::Validation(errors)) => {
                Ok(Err(context(&mut conn, &actor, &chosen, &errors)?))
            }
            Err(e) => Err(e),
        }
    })
    .await?;
    match outcome {
        Ok(()) => Ok(see_other("/uploads")),
        Err(body) => render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            "pages/uploads",
            &viewer_context("Error: Upload a spreadsheet", &nonce, &viewer, "", body),
        ),
    }
}

/// `GET /exports/{kind}`: the organisation's records of one kind as CSV.
pub async fn export(
    state: web::Data<AppState>,
    actor: Actor,
    kind: web::Path<String>,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    let kind: ImportKind = path_id(&kind)?;
    let org = query
        .iter()
        .find(|(k, _)| k == "organisation_id")
        .and_then(|(_, v)| v.parse().ok());
    let bytes = blocking(move || export_csv(&mut *state.conn()?, &actor, kind, org)).await?;
    Ok(csv_download(kind, bytes))
}
