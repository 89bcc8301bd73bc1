//! The upload page (multipart, all or nothing per file, with the import history) and
//! CSV downloads of the organisation's records.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use futures_util::StreamExt;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{forms, render_status, viewer_context, Choice, Page};
use crate::domain::access::{import_roles, Actor};
use crate::domain::enums::ImportKind;
use crate::domain::validation::FieldError;
use crate::imports::thousands;
use crate::store;
use crate::web::errors::{blocking, AppError, PageError};
use crate::web::security::CspNonce;
use crate::web::session::{see_other, Viewer};
use crate::web::shared::path_id;
use crate::web::uploads::{
    csv_download, export_csv, extract_status, row_errors, run_import, ImportOptions,
};
use crate::web::AppState;

/// The largest file the upload page and the import API accept.
pub const MAX_UPLOAD_BYTES: usize = 50 * 1024 * 1024;

/// The kinds the actor may upload (`import_roles`): provider staff their casework
/// records, commissioners the set-up files, analysts the offence extracts, admins all.
fn kinds(actor: &Actor) -> Vec<ImportKind> {
    ImportKind::ALL
        .iter()
        .copied()
        .filter(|k| import_roles(*k).contains(&actor.role))
        .collect()
}

/// A line of the upload history (`pages/uploads`, "Recent uploads").
#[derive(Debug, serde::Serialize)]
struct HistoryRow {
    when: String,
    who: String,
    kind: &'static str,
    file_name: String,
    added: i64,
    updated: i64,
    unchanged: i64,
    /// Imported, Undone, or where an offence extract stands.
    status: String,
    as_of: Option<String>,
    /// The undo confirmation page, when the viewer may undo it.
    undo_href: Option<String>,
}

/// A refused upload of the history (`pages/uploads`, "Uploads refused for errors").
#[derive(Debug, serde::Serialize)]
struct FailedRow {
    when: String,
    who: String,
    kind: &'static str,
    file_name: String,
    error_count: i64,
    href: String,
}

/// Display names of users, for the history (`None`: the command line).
fn who(
    conn: &mut crate::db::DbConn,
    cache: &mut std::collections::HashMap<i64, String>,
    user: Option<crate::domain::ids::UserId>,
) -> String {
    let Some(user) = user else {
        return "Command line".into();
    };
    cache
        .entry(user.0)
        .or_insert_with(|| {
            store::users::find(conn, user)
                .map(|u| u.display_name)
                .unwrap_or_default()
        })
        .clone()
}

pub(super) fn context(
    conn: &mut crate::db::DbConn,
    actor: &Actor,
    chosen: &str,
    errors: &[FieldError],
) -> Result<UploadsView, AppError> {
    let (_, batches) = store::import_batches::list_scoped(conn, actor.scope(), 20, 0)?;
    let may_undo = crate::domain::access::UNDO_IMPORT_ROLES.contains(&actor.role);
    let mut names = std::collections::HashMap::new();
    let batches: Vec<HistoryRow> = batches
        .into_iter()
        .map(|b| {
            let status = match (extract_status(&b), b.reverted_at) {
                (Some("current"), _) => "Current extract".to_string(),
                (Some("previous"), _) => "Replaced (can be restored)".to_string(),
                (Some(_), _) => "Superseded".to_string(),
                (None, Some(at)) => format!("Undone {}", at.format("%-d %B %Y %H:%M")),
                (None, None) => "Imported".to_string(),
            };
            let undoable =
                may_undo && b.reverted_at.is_none() && crate::imports::entity_of(b.kind).is_some();
            HistoryRow {
                when: b.created_at.format("%-d %B %Y %H:%M").to_string(),
                who: who(conn, &mut names, b.created_by),
                kind: b.kind.label(),
                file_name: b.file_name,
                added: b.rows_inserted,
                updated: b.rows_updated,
                unchanged: b.rows_unchanged,
                status,
                as_of: b.extract_date.map(|d| d.to_string()),
                undo_href: undoable.then(|| format!("/uploads/{}/undo", b.id)),
            }
        })
        .collect();
    let failed: Vec<FailedRow> = store::import_changes::failures(
        conn,
        actor.scope(),
        actor.user_id,
        actor.organisation_id,
        20,
    )?
    .into_iter()
    .map(|f| FailedRow {
        when: f.created_at.format("%-d %B %Y %H:%M").to_string(),
        who: who(conn, &mut names, f.created_by),
        kind: f.kind.label(),
        file_name: f.file_name,
        error_count: f.error_count,
        href: format!("/uploads/failed/{}", f.id),
    })
    .collect();
    let allowed = kinds(actor);
    let offences = allowed.contains(&ImportKind::Offences);
    let kinds = allowed
        .iter()
        .map(|k| Choice::new(k.as_str(), k.label(), k.as_str() == chosen))
        .collect();
    // Commissioners name the provider whose programmes a file holds; admins the provider
    // of any provider-owned kind.
    let providers = if crate::domain::access::COMMISSIONING_ROLES.contains(&actor.role) {
        store::organisations::list(conn)?
            .into_iter()
            .filter(|o| o.kind == crate::domain::enums::OrganisationKind::Provider)
            .map(|o| Choice::new(o.id, o.name, false))
            .collect()
    } else {
        Vec::new()
    };
    let restorable = if offences {
        store::import_batches::restorable_offence_extract(conn)?.map(|b| RestorableView {
            file_name: b.file_name,
            as_of: b.extract_date.map(|d| d.to_string()),
            rows: b.rows_total,
        })
    } else {
        None
    };
    let exports = ImportKind::ALL
        .iter()
        .filter(|k| !matches!(**k, ImportKind::Offences | ImportKind::Comparison))
        .map(|k| Link {
            href: format!("/exports/{k}"),
            text: k.as_str().to_string(),
        })
        .collect();
    let templates = allowed
        .iter()
        .map(|k| TemplateLinks {
            href: format!("/uploads/templates/{}", k.name()),
            csv_href: format!("/uploads/templates/{}?format=csv", k.name()),
            guide_href: format!("/uploads/guide/{}", k.name()),
            text: k.label().to_string(),
        })
        .collect();
    let summary = errors
        .iter()
        .map(|e| Link {
            href: if matches!(e.field.as_str(), "kind" | "extract_date" | "name") {
                format!("#{}", e.field)
            } else {
                "#file".into()
            },
            text: e.message.clone(),
        })
        .collect();
    Ok(UploadsView {
        kinds,
        batches,
        failed,
        exports,
        templates,
        errors: summary,
        row_errors: errors
            .iter()
            .filter(|e| e.line.is_some())
            .map(|e| RowErrorView {
                line: e.line,
                column: e.field.clone(),
                message: e.message.clone(),
            })
            .collect(),
        may_export: actor.scope() != crate::domain::access::Scope::Aggregate,
        offences,
        providers,
        restorable,
        comparison: allowed.contains(&ImportKind::Comparison),
    })
}

/// A link (an export, an entry of the error summary).
#[derive(Serialize)]
pub(super) struct Link {
    href: String,
    text: String,
}

/// A kind's template downloads and column guide.
#[derive(Serialize)]
pub(super) struct TemplateLinks {
    href: String,
    csv_href: String,
    guide_href: String,
    text: String,
}

/// A row's error in the error report.
#[derive(Serialize)]
pub(super) struct RowErrorView {
    line: Option<u64>,
    column: String,
    message: String,
}

/// The previous offence extract, which can be put back.
#[derive(Serialize)]
pub(super) struct RestorableView {
    file_name: String,
    as_of: Option<String>,
    rows: i64,
}

/// The view of `pages/uploads`: the form, the history and the downloads.
#[derive(Serialize)]
pub(super) struct UploadsView {
    kinds: Vec<Choice>,
    batches: Vec<HistoryRow>,
    failed: Vec<FailedRow>,
    exports: Vec<Link>,
    templates: Vec<TemplateLinks>,
    errors: Vec<Link>,
    row_errors: Vec<RowErrorView>,
    may_export: bool,
    offences: bool,
    providers: Vec<Choice>,
    restorable: Option<RestorableView>,
    comparison: bool,
}

/// `GET /uploads`.
pub async fn show(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
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
        &viewer_context("Upload a spreadsheet", &nonce, &viewer, "", &body),
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

/// `POST /uploads` (multipart: `csrf_token`, `kind`, `extract_date`, `organisation_id`,
/// `name`, `file`, and `confirm_sha256` when the same file is chosen again to confirm).
pub async fn upload(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
    payload: Multipart,
) -> Result<HttpResponse, PageError> {
    let session = viewer.session_id;
    let read = read_form(payload).await;
    let outcome = blocking(move || {
        let mut conn = state.conn()?;
        let (fields, file_name, bytes) = match read {
            Ok(x) => x,
            Err(AppError::Validation(errors)) => {
                return Ok(Err(Shown::Form(context(&mut conn, &actor, "", &errors)?)))
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
                return Ok(Err(Shown::Form(context(
                    &mut conn,
                    &actor,
                    &chosen,
                    &[FieldError::new("kind", "Select what the file holds")],
                )?)))
            }
        };
        if bytes.is_empty() {
            return Ok(Err(Shown::Form(context(
                &mut conn,
                &actor,
                &chosen,
                &[FieldError::new("file", "Select a CSV file")],
            )?)));
        }
        let options = ImportOptions {
            extract_date: Some(get("extract_date")),
            organisation: get("organisation_id").parse().ok(),
            confirm_shrink: get("confirm_shrink") == "yes",
            name: Some(get("name")),
            ..ImportOptions::default()
        };
        // Before an offence extract replaces the current one, the page shows both and
        // asks for confirmation: the same file again, with the hash of the one shown (the
        // file is not kept meanwhile: it holds clear police identifiers).
        let confirmed = get("confirm_sha256");
        let confirmed = !confirmed.is_empty() && confirmed == hex::encode(Sha256::digest(&bytes));
        if kind == ImportKind::Offences && !confirmed {
            if let Some(current) = store::import_batches::current_offence_extract(&mut conn)? {
                match confirmation(
                    &mut conn, &state, &actor, current, &file_name, &bytes, &options,
                ) {
                    Ok(Some(page)) => return Ok(Err(Shown::Confirm(page))),
                    // The current extract again: imported as usual, which changes nothing.
                    Ok(None) => {}
                    Err(AppError::Validation(errors)) => {
                        return Ok(Err(Shown::Form(context(
                            &mut conn, &actor, &chosen, &errors,
                        )?)))
                    }
                    Err(e) => return Err(e),
                }
            }
        }
        // Every other file is previewed first (see `uploads`): imported here only when
        // it is the one previewed, chosen again (files never held), or an offence
        // extract (whose confirmation is above).
        if kind != ImportKind::Offences && !confirmed {
            return match super::uploads::preview(
                &mut conn, &state, &actor, session, kind, &file_name, bytes, &options,
            ) {
                Ok(view) => Ok(Err(Shown::Preview(Box::new(view)))),
                Err(AppError::Validation(errors)) => Ok(Err(Shown::Form(context(
                    &mut conn, &actor, &chosen, &errors,
                )?))),
                Err(e) => Err(e),
            };
        }
        let imported = run_import(&mut conn, &state, &actor, kind, &file_name, bytes, &options);
        match imported {
            Ok(s) => {
                flash(&mut conn, session, &file_name, &s)?;
                Ok(Ok(()))
            }
            Err(AppError::Validation(errors)) => Ok(Err(Shown::Form(context(
                &mut conn, &actor, &chosen, &errors,
            )?))),
            Err(e) => Err(e),
        }
    })
    .await?;
    respond(outcome, &nonce, &viewer)
}

/// What an upload shows when it does not go straight back to the upload page.
enum Shown {
    /// The upload page again, with errors (422).
    Form(UploadsView),
    /// The confirmation before an offence extract replaces the current one.
    Confirm(ExtractConfirm),
    /// What the upload would do, before it is confirmed.
    Preview(Box<super::uploads::PreviewView>),
}

fn respond(
    outcome: Result<(), Shown>,
    nonce: &CspNonce,
    viewer: &Viewer,
) -> Result<HttpResponse, PageError> {
    match outcome {
        Ok(()) => Ok(see_other("/uploads")),
        Err(Shown::Form(body)) => render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            "pages/uploads",
            &viewer_context("Error: Upload a spreadsheet", nonce, viewer, "", &body),
        ),
        Err(Shown::Preview(view)) => super::uploads::show_preview(&view, nonce, viewer),
        Err(Shown::Confirm(body)) => render_status(
            StatusCode::OK,
            "pages/extract_confirm",
            &viewer_context(
                "Replace the police offence extract?",
                nonce,
                viewer,
                "",
                &body,
            ),
        ),
    }
}

/// The flash message of an import: what it did, and for an offence extract what the
/// extract now holds.
pub(super) fn flash(
    conn: &mut crate::db::DbConn,
    session: Option<i64>,
    file_name: &str,
    s: &crate::imports::ImportSummary,
) -> Result<(), AppError> {
    let mut message = if s.batch_id.is_some() {
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
    if let Some(x) = s.extract {
        message.push_str(&format!(
            ". The offence extract holds {} rows about {} people, matching {} participants",
            thousands(x.rows as u64),
            thousands(x.people as u64),
            thousands(x.matched_participants as u64)
        ));
    }
    if let Some(id) = session {
        store::login_sessions::set_flash(conn, id, &message)?;
    }
    Ok(())
}

/// Checks the new extract and shows it against the current one, with a form to upload it
/// again to confirm; `None` when the file is the current extract again (nothing to
/// replace: imported as usual, which changes nothing).
#[allow(clippy::too_many_arguments)]
fn confirmation(
    conn: &mut crate::db::DbConn,
    state: &AppState,
    actor: &Actor,
    current: store::import_batches::Batch,
    file_name: &str,
    bytes: &[u8],
    options: &ImportOptions,
) -> Result<Option<ExtractConfirm>, AppError> {
    let extract_date = options.extract_date.clone().unwrap_or_default();
    let date = crate::domain::period::parse_date(extract_date.trim()).map_err(|_| {
        AppError::validation(
            "extract_date",
            "Enter the date the extract is as of, like 2026-10-31",
        )
    })?;
    let ctx = crate::imports::ImportContext {
        organisation: None,
        user: Some(actor.user_id),
        secret: &state.secrets.person_key,
        today: state.today(),
        extract_date: Some(date),
        confirm_shrink: false,
    };
    let new = crate::imports::preview(conn, &ctx, bytes).map_err(row_errors)?;
    if new.sha256 == current.sha256 {
        return Ok(None);
    }
    let now = store::offences::current_stats(conn)?;
    let shrinks = new.rows.saturating_mul(2) < now.rows.max(0) as u64;
    Ok(Some(ExtractConfirm {
        sha256: new.sha256,
        extract_date,
        file_name: file_name.to_string(),
        current: ExtractFacts {
            file_name: Some(current.file_name),
            as_of: current.extract_date.map(|d| d.to_string()),
            rows: thousands(now.rows as u64),
            people: thousands(now.people as u64),
            matched: thousands(now.matched_participants as u64),
        },
        new: ExtractFacts {
            file_name: None,
            as_of: Some(new.extract_date.to_string()),
            rows: thousands(new.rows),
            people: thousands(new.people),
            matched: thousands(new.matched_participants),
        },
        shrinks,
    }))
}

/// An offence extract, the current one or the one uploaded, in figures.
#[derive(Serialize)]
pub(super) struct ExtractFacts {
    file_name: Option<String>,
    as_of: Option<String>,
    rows: String,
    people: String,
    matched: String,
}

/// The view of `pages/extract_confirm`: the current extract beside the new one.
#[derive(Serialize)]
pub(super) struct ExtractConfirm {
    sha256: String,
    extract_date: String,
    file_name: String,
    current: ExtractFacts,
    new: ExtractFacts,
    shrinks: bool,
}

/// `POST /uploads/offences/restore`: puts the previous offence extract back (audited).
pub async fn restore(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
) -> Result<HttpResponse, PageError> {
    let session = viewer.session_id;
    let outcome = blocking(move || {
        let mut conn = state.conn()?;
        match crate::imports::restore(&mut conn, Some(actor.user_id)) {
            Ok(r) => {
                let message = format!(
                    "Restored the offence extract {} (as of {}): {} rows about {} people, matching {} participants",
                    r.restored.file_name,
                    r.restored.extract_date.map(|d| d.to_string()).unwrap_or_default(),
                    thousands(r.stats.rows as u64),
                    thousands(r.stats.people as u64),
                    thousands(r.stats.matched_participants as u64)
                );
                if let Some(id) = session {
                    store::login_sessions::set_flash(&mut conn, id, &message)?;
                }
                Ok(Ok(()))
            }
            Err(e) => match row_errors(e) {
                AppError::Validation(errors) => {
                    Ok(Err(Shown::Form(context(&mut conn, &actor, "", &errors)?)))
                }
                e => Err(e),
            },
        }
    })
    .await?;
    respond(outcome, &nonce, &viewer)
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

/// `GET /uploads/templates/{kind}` (`?format=csv` for the CSV header line): an empty file of
/// the kind to fill in (see `imports::template`). It holds no records.
pub async fn template(
    state: web::Data<AppState>,
    actor: Actor,
    kind: web::Path<String>,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    use crate::imports::template;
    let kind = ImportKind::from_name(&kind).map_err(|_| AppError::NotFound)?;
    let csv = query.iter().any(|(k, v)| k == "format" && v == "csv");
    let (bytes, content_type, extension) = if csv {
        (template::csv(kind), "text/csv; charset=utf-8", "csv")
    } else {
        // Provider staff get their programmes' names (and the measures) as drop-downs.
        let names = blocking(move || {
            super::uploads::names_for(
                &mut *state.conn()?,
                super::uploads::template_organisation(&actor),
            )
        })
        .await?;
        let bytes = template::xlsx_with(kind, &names).map_err(|e| AppError::Internal(e.into()))?;
        (
            bytes,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        )
    };
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"{}-template.{extension}\"",
                kind.name()
            ),
        ))
        .body(bytes))
}
