//! `GET /programmes/{id}/report`: a programme's report as a page, with its downloads
//! (`format=csv|xlsx|pdf|json`, each audited), and `GET /dashboard`: every programme's
//! key figures for a period side by side, sortable by column.

use actix_web::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{render_status, viewer_context};
use crate::db::DbConn;
use crate::domain::access::Actor;
use crate::domain::ids::ProgrammeId;
use crate::reports::{self, html, view, Format, ReportRequest};
use crate::store;
use crate::store::report_rows::ReportScope;
use crate::web::api::path_id;
use crate::web::auth::Viewer;
use crate::web::errors::{blocking, AppError, FieldError, PageError};
use crate::web::report_query::{self, audit_download, query_string, ReportQuery};
use crate::web::security::CspNonce;
use crate::web::AppState;

/// The page's own parameter besides the report's.
#[derive(Debug, Deserialize)]
pub struct FormatQuery {
    pub format: Option<String>,
}

/// What the report route answers: a file, or a page (200, or 422 with errors).
enum Answer {
    File(String, Format, Vec<u8>),
    Page(StatusCode, Value),
}

/// `GET /programmes/{id}/report?period=...[&format=...]`.
pub async fn programme(
    state: web::Data<AppState>,
    nonce: CspNonce,
    viewer: Viewer,
    actor: Actor,
    id: web::Path<String>,
    query: web::Query<ReportQuery>,
    format: web::Query<FormatQuery>,
) -> Result<HttpResponse, PageError> {
    let id: ProgrammeId = path_id(&id)?;
    let format: Format = match format.into_inner().format.as_deref() {
        None | Some("") => Format::Html,
        Some(f) => f
            .parse()
            .map_err(|e: String| AppError::validation("format", e))?,
    };
    let query = query.into_inner();
    let answer =
        blocking(move || answer(&mut *state.conn()?, &state, &actor, id, query, format)).await?;
    match answer {
        Answer::File(name, format, bytes) => Ok(HttpResponse::Ok()
            .content_type(format.media_type())
            .insert_header((
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ))
            .insert_header((CACHE_CONTROL, "no-store"))
            .body(bytes)),
        Answer::Page(status, body) => {
            let title = body["title"].as_str().unwrap_or("Report").to_string();
            render_status(
                status,
                "pages/report",
                &viewer_context(&title, &nonce, &viewer, "", body),
            )
        }
    }
}

/// Looks the programme up in the actor's scope, then builds, audits and renders.
fn answer(
    conn: &mut DbConn,
    state: &AppState,
    actor: &Actor,
    id: ProgrammeId,
    mut query: ReportQuery,
    format: Format,
) -> Result<Answer, AppError> {
    let p = store::programmes::find_visible(conn, actor.scope(), id)?;
    let name = p.fields.name.clone();
    let asked = query
        .period
        .as_deref()
        .is_some_and(|s| !s.trim().is_empty());
    if !asked {
        query.period = Some(report_query::current_year());
    }
    let scope = ReportScope::Programme(p.id);
    let mut page = json!({"id": id.0, "programme": name, "period": query.period,
        "published": query.published.unwrap_or(false), "title": format!("{name}: report")});
    let request = match query.request(scope, name.clone(), state.disclosure_threshold) {
        Ok(r) => r,
        Err(AppError::Validation(errors)) if format == Format::Html => {
            page["errors"] = json!(summary(&errors));
            page["title"] = json!(format!("Error: {name}: report"));
            return Ok(Answer::Page(StatusCode::UNPROCESSABLE_ENTITY, page));
        }
        Err(e) => return Err(e),
    };
    if !asked && format == Format::Html {
        return Ok(Answer::Page(StatusCode::OK, page));
    }
    let report = report_query::build(conn, state, &request)?;
    let entity = format!("programme:{}", id.0);
    audit_download(conn, actor, entity, format.extension(), &request, &report)?;
    if format != Format::Html {
        let bytes = reports::render(&report, format)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("rendering the report: {e}")))?;
        return Ok(Answer::File(file_name(&request, format), format, bytes));
    }
    page["report"] = html::context(&view::view(&report));
    page["downloads"] = json!(downloads(id, &request));
    Ok(Answer::Page(StatusCode::OK, page))
}

fn summary(errors: &[FieldError]) -> Vec<Value> {
    errors
        .iter()
        .map(|e| json!({"href": format!("#{}", e.field), "text": e.message}))
        .collect()
}

/// `mentoring-2025-26-internal.csv`: letters, digits and hyphens only.
fn file_name(request: &ReportRequest, format: Format) -> String {
    let mode = if request.published {
        "published"
    } else {
        "internal"
    };
    let stem = format!("{} {} {mode}", request.scope_name, request.period);
    let slug: String = stem
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let slug = slug
        .split('-')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    format!("{slug}.{}", format.extension())
}

/// A link per format, in internal and in published mode.
fn downloads(id: ProgrammeId, request: &ReportRequest) -> Vec<Value> {
    [("internal", false), ("published", true)]
        .iter()
        .map(|(mode, published)| {
            let q = query_string(request, *published);
            let links: Vec<Value> = [("CSV", "csv"), ("XLSX", "xlsx"), ("PDF", "pdf"), ("JSON", "json")]
                .iter()
                .map(|(text, f)| json!({"text": text, "mode": mode, "href": format!("/programmes/{}/report?{q}&format={f}", id.0)}))
                .collect();
            json!({"heading": format!("{} mode", if *published { "Published" } else { "Internal" }), "links": links})
        })
        .collect()
}
