//! `GET /api/v1/reports/{programmes|providers|funding-streams}/{id}?period=...`: the
//! evaluation report of DESIGN.md section 5 as JSON.
//!
//! The record is looked up in the actor's scope first (another provider's programme is
//! 404, like one that does not exist); then the parameters are checked (422 with a field
//! error each); then the report is computed and its download audited.

use actix_web::web;
use actix_web::HttpResponse;

use crate::domain::access::Actor;
use crate::web::errors::{blocking, AppError};
pub use crate::web::report_query::ReportQuery;
use crate::web::report_query::{audit_download, audit_refusal, build, resolve, ReportKind};
use crate::web::AppState;

async fn report(
    state: web::Data<AppState>,
    actor: Actor,
    kind: ReportKind,
    id: String,
    query: ReportQuery,
) -> Result<HttpResponse, AppError> {
    // An id that is not a number is a record that does not exist.
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let (json, outcome) = blocking(move || {
        let mut conn = state.conn()?;
        let (report_scope, name) = resolve(&mut conn, actor.scope(), kind, id)?;
        let entity = kind.entity(id);
        let request = query.request(report_scope, name, &state, &actor);
        let request = audit_refusal(&mut conn, &actor, entity.clone(), "json", &query, request)?;
        let report = build(&mut conn, &state, &actor, &request);
        let report = audit_refusal(&mut conn, &actor, entity, "json", &query, report)?;
        audit_download(
            &mut conn,
            &state,
            &actor,
            kind.entity(id),
            "json",
            "api",
            &request,
            &report,
        )?;
        // The JSON is the cached report's own (serialised once), unless this request read
        // a replica whose lag is its own.
        Ok((report.json().into_owned(), report.outcome))
    })
    .await?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header(("Cache-Status", outcome.header()))
        .body(json))
}

/// `GET /api/v1/reports/programmes/{id}`.
#[utoipa::path(get, path = "/api/v1/reports/programmes/{id}", tag = "reports",
    operation_id = "programme_report",
    params(("id" = i64, Path, description = "programme id"), ReportQuery),
    responses((status = 200, description = "the report (DESIGN.md section 5)",
               body = crate::web::api::openapi::ReportDocument,
               headers(("Cache-Status" = String, description = "`outcomes; hit` when the report was served from this instance's report cache (its data unchanged since it was computed), `outcomes; fwd=miss; stored` when it was computed for this request, `outcomes; fwd=miss; collapsed` when another request was computing it and this one waited for that"))),
              (status = 404, body = crate::web::errors::Problem),
              (status = 422, body = crate::web::errors::Problem)))]
pub async fn programme(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, AppError> {
    report(
        state,
        actor,
        ReportKind::Programme,
        id.into_inner(),
        query.into_inner(),
    )
    .await
}

/// `GET /api/v1/reports/providers/{id}`.
#[utoipa::path(get, path = "/api/v1/reports/providers/{id}", tag = "reports",
    operation_id = "provider_report",
    params(("id" = i64, Path, description = "provider organisation id"), ReportQuery),
    responses((status = 200, description = "the report (DESIGN.md section 5)",
               body = crate::web::api::openapi::ReportDocument,
               headers(("Cache-Status" = String, description = "`outcomes; hit` when the report was served from this instance's report cache (its data unchanged since it was computed), `outcomes; fwd=miss; stored` when it was computed for this request, `outcomes; fwd=miss; collapsed` when another request was computing it and this one waited for that"))),
              (status = 404, body = crate::web::errors::Problem),
              (status = 422, body = crate::web::errors::Problem)))]
pub async fn provider(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, AppError> {
    report(
        state,
        actor,
        ReportKind::Provider,
        id.into_inner(),
        query.into_inner(),
    )
    .await
}

/// `GET /api/v1/reports/funding-streams/{id}`.
#[utoipa::path(get, path = "/api/v1/reports/funding-streams/{id}", tag = "reports",
    operation_id = "funding_stream_report",
    params(("id" = i64, Path, description = "funding stream id"), ReportQuery),
    responses((status = 200, description = "the report (DESIGN.md section 5)",
               body = crate::web::api::openapi::ReportDocument,
               headers(("Cache-Status" = String, description = "`outcomes; hit` when the report was served from this instance's report cache (its data unchanged since it was computed), `outcomes; fwd=miss; stored` when it was computed for this request, `outcomes; fwd=miss; collapsed` when another request was computing it and this one waited for that"))),
              (status = 404, body = crate::web::errors::Problem),
              (status = 422, body = crate::web::errors::Problem)))]
pub async fn funding_stream(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, AppError> {
    report(
        state,
        actor,
        ReportKind::FundingStream,
        id.into_inner(),
        query.into_inner(),
    )
    .await
}
