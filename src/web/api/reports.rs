//! `GET /api/v1/reports/{programmes|providers|funding-streams}/{id}?period=...`: the
//! evaluation report of DESIGN.md section 5 as JSON.
//!
//! The record is looked up in the actor's scope first (another provider's programme is
//! 404, like one that does not exist); then the parameters are checked (422 with a field
//! error each); then the report is computed and its download audited.

use actix_web::web::{self, Json};
use serde::Deserialize;
use serde_json::Value;

use crate::domain::access::Actor;
use crate::domain::enums::AuditAction;
use crate::domain::ids::{FundingStreamId, OrganisationId, ProgrammeId};
use crate::domain::period::Period;
use crate::evaluation::reoffending::IndexDate;
use crate::reports::{self, ReportRequest};
use crate::store;
use crate::store::audit::{self, NewEvent};
use crate::store::report_rows::ReportScope;
use crate::web::errors::{blocking, AppError, FieldError};
use crate::web::AppState;

/// The query parameters of a report.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// `2025-26`, `2025-26-Q3` or `FROM..TO`.
    pub period: Option<String>,
    /// 3, 6, 12 or 24 (default 12).
    pub follow_up: Option<u32>,
    /// Waiting period in months (default 6).
    pub waiting: Option<u32>,
    /// `referral` (default), `start` or `completion`.
    pub index: Option<String>,
    /// `true` for disclosure control.
    pub published: Option<bool>,
    /// Financial year of cost-of-crime prices.
    pub price_year: Option<String>,
}

impl ReportQuery {
    /// The request for `scope`, or every parameter problem at once.
    fn request(
        &self,
        scope: ReportScope,
        name: String,
        threshold: u64,
    ) -> Result<ReportRequest, AppError> {
        let mut errors = Vec::new();
        let period: Option<Period> = match self.period.as_deref() {
            None | Some("") => {
                errors.push(FieldError::new(
                    "period",
                    "give a period, like 2025-26, 2025-26-Q3 or 2025-04-01..2025-09-30",
                ));
                None
            }
            Some(p) => p
                .parse()
                .map_err(|e: crate::domain::period::PeriodError| {
                    errors.push(FieldError::new("period", e.to_string()))
                })
                .ok(),
        };
        let index = match self.index.as_deref() {
            None => Some(IndexDate::Referral),
            Some(i) => i
                .parse()
                .map_err(|e: crate::evaluation::reoffending::ParamError| {
                    errors.push(FieldError::new("index", e.to_string()))
                })
                .ok(),
        };
        let follow_up = self.follow_up.unwrap_or(12);
        if ![3, 6, 12, 24].contains(&follow_up) {
            errors.push(FieldError::new(
                "follow_up",
                format!("follow-up must be 3, 6, 12 or 24 months, not {follow_up}"),
            ));
        }
        let waiting = self.waiting.unwrap_or(6);
        if waiting > 24 {
            errors.push(FieldError::new(
                "waiting",
                format!("the waiting period must be at most 24 months, not {waiting}"),
            ));
        }
        let (Some(period), Some(index), true) = (period, index, errors.is_empty()) else {
            return Err(AppError::Validation(errors));
        };
        let mut request = ReportRequest::new(scope, name, period);
        request.follow_up_months = follow_up;
        request.waiting_months = waiting;
        request.index = index;
        request.published = self.published.unwrap_or(false);
        request.price_year = self.price_year.clone();
        request.threshold = threshold;
        Ok(request)
    }
}

/// Which kind of record a report route names.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Programme,
    Provider,
    FundingStream,
}

async fn report(
    state: web::Data<AppState>,
    actor: Actor,
    kind: Kind,
    id: String,
    query: ReportQuery,
) -> Result<Json<Value>, AppError> {
    // An id that is not a number is a record that does not exist.
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    blocking(move || {
        let mut conn = state.conn()?;
        let scope = actor.scope();
        let (report_scope, name) = match kind {
            Kind::Programme => {
                let p = store::programmes::find_visible(&mut conn, scope, ProgrammeId(id))?;
                (ReportScope::Programme(p.id), p.fields.name)
            }
            Kind::Provider => {
                let o = store::organisations::find_provider_visible(
                    &mut conn,
                    scope,
                    OrganisationId(id),
                )?;
                (ReportScope::Provider(o.id), o.name)
            }
            Kind::FundingStream => {
                let f = store::funding_streams::find(&mut conn, FundingStreamId(id))?;
                (ReportScope::FundingStream(f.id), f.name)
            }
        };
        let request = query.request(report_scope, name, state.disclosure_threshold)?;
        let report = reports::build(&mut conn, &request, &state.costs).map_err(|e| match e {
            reports::BuildError::Report(e) => AppError::validation("report", e.to_string()),
            reports::BuildError::Store(e) => AppError::from(e),
            reports::BuildError::Settings(m) => AppError::validation("period", m),
        })?;
        audit::record(
            &mut conn,
            NewEvent::new(AuditAction::ReportDownload, "report")
                .by(Some(&actor))
                .entity_id(format!("{kind:?}:{id}").to_lowercase())
                .detail(format!(
                    "format=json period={} mode={} sha256={}",
                    request.period,
                    if request.published {
                        "published"
                    } else {
                        "internal"
                    },
                    report.body.provenance.input_sha256
                )),
        )
        .map_err(AppError::from)?;
        Ok(Json(report.to_json()))
    })
    .await
}

/// `GET /api/v1/reports/programmes/{id}`.
#[utoipa::path(get, path = "/api/v1/reports/programmes/{id}", tag = "reports",
    params(("id" = i64, Path, description = "programme id"), ReportQuery),
    responses((status = 200, description = "the report JSON of DESIGN.md section 5"),
              (status = 404, body = crate::web::errors::Problem),
              (status = 422, body = crate::web::errors::Problem)))]
pub async fn programme(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    query: web::Query<ReportQuery>,
) -> Result<Json<Value>, AppError> {
    report(
        state,
        actor,
        Kind::Programme,
        id.into_inner(),
        query.into_inner(),
    )
    .await
}

/// `GET /api/v1/reports/providers/{id}`.
#[utoipa::path(get, path = "/api/v1/reports/providers/{id}", tag = "reports",
    params(("id" = i64, Path, description = "provider organisation id"), ReportQuery),
    responses((status = 200, description = "the report JSON of DESIGN.md section 5"),
              (status = 404, body = crate::web::errors::Problem),
              (status = 422, body = crate::web::errors::Problem)))]
pub async fn provider(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    query: web::Query<ReportQuery>,
) -> Result<Json<Value>, AppError> {
    report(
        state,
        actor,
        Kind::Provider,
        id.into_inner(),
        query.into_inner(),
    )
    .await
}

/// `GET /api/v1/reports/funding-streams/{id}`.
#[utoipa::path(get, path = "/api/v1/reports/funding-streams/{id}", tag = "reports",
    params(("id" = i64, Path, description = "funding stream id"), ReportQuery),
    responses((status = 200, description = "the report JSON of DESIGN.md section 5"),
              (status = 404, body = crate::web::errors::Problem),
              (status = 422, body = crate::web::errors::Problem)))]
pub async fn funding_stream(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    query: web::Query<ReportQuery>,
) -> Result<Json<Value>, AppError> {
    report(
        state,
        actor,
        Kind::FundingStream,
        id.into_inner(),
        query.into_inner(),
    )
    .await
}
